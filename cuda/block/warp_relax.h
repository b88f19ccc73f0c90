// The grid shortest path with ONE WARP PER GRID, for grids of at most 1024 cells: the Jacobi sweeps of
// block/grid_relax.h restricted to the cells whose label can change (a changed-cell frontier), separated by
// __syncwarp instead of a block barrier, with a ballot exit. Same per-cell math (relax_cell), same labels.
//
// Mapping. Lane L owns the cells v = L + 32·j (j < W = ⌈N/32⌉) and word L of every cell bitmask (bit b of word
// j is cell 32·j + b; 32 words of 32 bits cover 1024 cells, hence the limit). Labels (dist, hops) stay in the
// tile workspace's two buffers, per-sample slices, as the block-wide path keeps them.
//
// Why skipping cells is exact. Sweep k computes labels_{k+1}(v) from labels_k of v's 8 neighbours only. If no
// neighbour of v changed in sweep k − 1 (labels_k = labels_{k−1} on them), then labels_{k+1}(v) = labels_k(v): the
// recomputation would return the label v already has. So a sweep relaxes only the FRONTIER F, the cells with a
// neighbour in M (the cells that changed in the previous sweep), and the sequence of labels is exactly the
// full Jacobi sequence: same fixed point (the unique one, shortestPath.ts), same number of sweeps, same cap.
// The first sweep takes M = every cell (nothing is known yet), so it relaxes everything.
//
// Two buffers. Sweep k reads `cur` (labels_k) and writes `next`. A buffer is written every other sweep, so
// before sweep k `next` holds labels_{k−1}; it is rewritten only where the new label may differ from that,
// U = F ∪ M: relaxed for F, copied from `cur` for M \ F. Elsewhere labels_{k+1} = labels_k = labels_{k−1}
// already. Consequence used by the trace-back: after the last sweep (nothing changed) BOTH buffers hold the
// fixed point, so buffer 0 is always the answer.
//
// Race freedom. Within a sweep every lane reads `cur` (any cell) and the masks (registers), and writes `next`
// for its own cells only; the masks move by shuffles and ballots. One __syncwarp per sweep orders the writes of
// sweep k before the reads of sweep k + 1 (which also rewrites the buffer sweep k read). The ThreadSanitizer
// build of cuda_simt_test checks this; a planted variant without the __syncwarp must show a race there.
//
// The frontier from M, on bit words: V = M shifted by ± cols (the cells above and below), H = V | M, then
// F = V | (H shifted by −1, where a left neighbour exists) | (H shifted by +1, where a right one exists). Each
// shift of a 1024-bit mask held one word per lane is two shuffles (a funnel of the two source words).
#pragma once
#include <cstdint>

#include "block/grid_relax.h"

namespace ss {
namespace gpu {

/** Largest grid (rows·cols) relaxed by one warp: one 32-bit mask word per lane. Larger grids use the block path. */
constexpr uint32_t WARP_GRID_CELLS = 1024;

SSG_HD uint32_t popc32(uint32_t x) {
#if defined(__CUDA_ARCH__)
  return __popc(x);
#else
  return static_cast<uint32_t>(__builtin_popcount(x));
#endif
}

/**
 * Word `lane` of a cell mask shifted by s cells: bit b is bit 32·lane + b + s of x (zero outside the 32 words).
 * x is one word per lane; every lane of the warp must call it (two shuffles).
 */
SSG_EXEC_CHECK_DISABLE
template <typename Warp>
SSG_HD uint32_t shift_cells(const Warp& w, uint32_t x, int32_t s) {
  const int32_t q = s >= 0 ? s / 32 : -((31 - s) / 32);  // floor(s / 32)
  const uint32_t b = static_cast<uint32_t>(s - 32 * q);  // 0 ≤ b < 32
  const int32_t lo_src = static_cast<int32_t>(w.lane) + q;
  const int32_t hi_src = lo_src + 1;
  uint32_t lo = w.shfl(x, static_cast<uint32_t>(lo_src) & 31u);
  uint32_t hi = w.shfl(x, static_cast<uint32_t>(hi_src) & 31u);
  if (lo_src < 0 || lo_src > 31) lo = 0;
  if (hi_src < 0 || hi_src > 31) hi = 0;
  return b == 0 ? lo : (lo >> b) | (hi << (32 - b));
}

/**
 * One grid relaxed by the warp w (every lane calls it; w.lane, w.sync(), w.ballot(p), w.shfl(x, src): DeviceWarp
 * in device_exec.cuh, or a test's variant). Labels start as relax_init left them in buffer 0; on return buffer 0
 * holds the final labels (the fixed point unless the sweep cap was reached, then the latest sweep's).
 */
SSG_EXEC_CHECK_DISABLE
template <typename Warp>
SSG_HD RelaxOutcome relax_grid_frontier(const Warp& w, GridLabels g, const double* cost, uint32_t rows, uint32_t cols,
                                        uint32_t max_sweeps) {
  const uint32_t N = rows * cols;
  const uint32_t W = (N + 31) / 32;
  const uint32_t L = w.lane;
  // Lane L's word of: the grid's cells, the cells with a left neighbour, the cells with a right neighbour.
  uint32_t valid = 0, has_left = 0, has_right = 0;
  if (L < W) {
    uint32_t c = (32 * L) % cols;
    for (uint32_t b = 0; b < 32 && 32 * L + b < N; b++) {
      valid |= 1u << b;
      if (c != 0) has_left |= 1u << b;
      if (c + 1 < cols) has_right |= 1u << b;
      c = c + 1 == cols ? 0 : c + 1;
    }
  }
  RelaxOutcome out{0, true, 0, 0};
  uint32_t M = valid;  // changed in the previous sweep: before the first, every cell counts as changed
  uint32_t cur = 0;
  for (;;) {
    const uint32_t V = shift_cells(w, M, static_cast<int32_t>(cols)) | shift_cells(w, M, -static_cast<int32_t>(cols));
    const uint32_t H = V | M;
    const uint32_t F = (V | (shift_cells(w, H, -1) & has_left) | (shift_cells(w, H, 1) & has_right)) & valid;
    const uint32_t U = F | M;
    const double* cd = g.dist[cur];
    const int32_t* ch = g.hops[cur];
    double* nd = g.dist[cur ^ 1];
    int32_t* nh = g.hops[cur ^ 1];
    uint32_t changed_word = 0;  // lane L: word L of this sweep's changed cells
    uint32_t any = 0;
    for (uint32_t j = 0; j < W; j++) {  // warp-uniform
      const uint32_t Uj = w.shfl(U, j);
      if (Uj == 0) continue;  // warp-uniform: nothing to write in these 32 cells
      const uint32_t Fj = w.shfl(F, j);
      const uint32_t v = 32 * j + L;
      bool changed = false;
      if ((Uj >> L) & 1u) {
        double d = cd[v];
        int32_t h = ch[v];
        if ((Fj >> L) & 1u) {
          double rd;
          int32_t rh;
          relax_cell(cd, ch, cost, rows, cols, v, rd, rh);
          changed = rd != d || rh != h;
          d = rd;
          h = rh;
        }
        nd[v] = d;
        nh[v] = h;
      }
      const uint32_t word = w.ballot(changed);
      if (L == j) changed_word = word;
      any |= word;
      out.relaxed += popc32(Fj);
      out.word_passes += Fj != 0;
    }
    w.sync();  // this sweep's labels are complete before the next sweep reads them (or rewrites `cur`)
    if (any == 0) break;  // a fixed point: both buffers hold it (see above)
    M = changed_word;
    cur ^= 1;
    if (++out.sweeps > max_sweeps) {
      out.converged = false;
      if (cur == 1) {  // the latest labels to buffer 0, as after convergence: each lane its own cells
        for (uint32_t v = L; v < N; v += 32) {
          g.dist[0][v] = g.dist[1][v];
          g.hops[0][v] = g.hops[1][v];
        }
        w.sync();
      }
      break;
    }
  }
  return out;
}

/** The warp path of a tile: the frontier sweeps on the device's warps (and tests' warp types). */
SSG_EXEC_CHECK_DISABLE
template <typename Warp>
SSG_HD RelaxOutcome relax_grid(const Warp& w, GridLabels g, const double* cost, uint32_t rows, uint32_t cols,
                               uint32_t max_sweeps) {
  return relax_grid_frontier(w, g, cost, rows, cols, max_sweeps);
}

/** HostExec's "warp" is one sequential thread: the plain Jacobi sweeps, same labels, same sweeps (see above). */
SSG_HD RelaxOutcome relax_grid(const HostWarp&, GridLabels g, const double* cost, uint32_t rows, uint32_t cols,
                               uint32_t max_sweeps) {
  return relax_grid_jacobi(g, cost, rows, cols, max_sweeps);
}

}  // namespace gpu
}  // namespace ss
