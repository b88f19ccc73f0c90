// The grid shortest path of the CUDA backend: a data-parallel (Jacobi) relaxation of THE RULE of
// native/core/shortest_path.h and lib/blackboxes/shortestPath.ts, then the same trace-back.
//
//   label(start) = (cost(start), 0)                               start = cell 0, pinned
//   label(v)     = lexicographic min over the 8-neighbours u of (dist(u) + cost(v), hops(u) + 1)
//
// Every sweep recomputes EVERY label from its neighbours' labels of the PREVIOUS sweep only (two buffers,
// never min(old, new)): under double rounding (a NaN/+Inf cell costs FLT_MAX and absorbs small costs) the
// step is not order-preserving, and a Bellman-Ford that keeps min(old, candidates) can freeze a label that is
// smaller than every current candidate. Recomputing from neighbours alone converges to the unique fixed point
// (shortestPath.ts proves uniqueness), which is what Dijkstra constructs; sweeps stop when a sweep changes
// nothing, i.e. when the labels ARE a fixed point, so the result does not depend on how fast we got there.
// Then the trace-back: from the target, step to the LOWEST linear index neighbour u with
// (dist(u) + cost(v), hops(u) + 1) == label(v), exactly as the core does.
//
// Layout: unpadded rows×cols grids, cell (r, c) at r·cols + c (the "linear index" of the tie rule), with
// explicit bounds checks (the core pads instead; the neighbour order below is the same row-major order).
#pragma once
#include <cstdint>
#include <math.h>

#include "block/exec.h"
#include "shortest_path.h"  // sanitize_cost, SS_FLT_MAX (device-safe, SS_HD)

namespace ss {
namespace gpu {

/** hops of a cell that has no label yet (+Infinity distance): never a predecessor. */
constexpr int32_t RELAX_NO_HOPS = 0x7FFFFFFF;

/** Initial label of cell v: the pinned start, or "none" (dist +Infinity, RELAX_NO_HOPS). */
SSG_HD void relax_init(const double* cost, uint32_t v, double& dist, int32_t& hops) {
  if (v == 0) {
    dist = cost[0];
    hops = 0;
  } else {
    dist = HUGE_VAL;
    hops = RELAX_NO_HOPS;
  }
}

/**
 * One cell of one sweep: the label of v recomputed from the labels (dist, hops) of its neighbours in the
 * previous sweep (v = 0 stays pinned). Unlabelled neighbours are skipped (their dist is +Infinity anyway;
 * skipping keeps hops + 1 from overflowing). Ties of the lexicographic min are identical labels, so the
 * neighbour order does not matter here; it does in the trace-back.
 */
SSG_HD void relax_cell(const double* dist, const int32_t* hops, const double* cost, uint32_t rows, uint32_t cols,
                       uint32_t v, double& nd, int32_t& nh) {
  if (v == 0) {
    nd = cost[0];
    nh = 0;
    return;
  }
  const uint32_t r = v / cols;
  const uint32_t c = v - r * cols;
  const double cv = cost[v];
  double bd = HUGE_VAL;
  int32_t bh = RELAX_NO_HOPS;
  for (int dr = -1; dr <= 1; dr++) {
    if ((dr < 0 && r == 0) || (dr > 0 && r + 1 >= rows)) continue;
    for (int dc = -1; dc <= 1; dc++) {
      if ((dr == 0 && dc == 0) || (dc < 0 && c == 0) || (dc > 0 && c + 1 >= cols)) continue;
      const uint32_t u = static_cast<uint32_t>(static_cast<int64_t>(v) + static_cast<int64_t>(dr) * cols + dc);
      const int32_t hu = hops[u];
      if (hu == RELAX_NO_HOPS) continue;
      const double d = dist[u] + cv;  // the one double addition of the rule
      const int32_t h = hu + 1;
      if (d < bd || (d == bd && h < bh)) {
        bd = d;
        bh = h;
      }
    }
  }
  nd = bd;
  nh = bh;
}

/**
 * Trace-back (rule 3): from the target rows·cols − 1 to the start, each step to the lowest-index neighbour u
 * with hops(u) == hops(v) − 1 and dist(u) + cost(v) == dist(v). Calls mark(cell) for every cell on the path,
 * target first. Returns false if a step finds no predecessor (impossible for a fixed point; reported by the
 * kernel as an internal error instead of looping).
 */
SSG_EXEC_CHECK_DISABLE
template <typename Mark>
SSG_HD bool relax_trace(const double* dist, const int32_t* hops, const double* cost, uint32_t rows, uint32_t cols,
                        Mark&& mark) {
  uint32_t v = rows * cols - 1;
  mark(v);
  uint32_t steps = 0;
  while (v != 0) {
    if (++steps >= rows * cols) return false;
    const double want = dist[v];
    const int32_t wantHops = hops[v] - 1;
    const double cv = cost[v];
    const uint32_t r = v / cols;
    const uint32_t c = v - r * cols;
    bool found = false;
    // Row-major neighbour order = increasing linear index: the first match is the lowest index.
    for (int dr = -1; dr <= 1 && !found; dr++) {
      if ((dr < 0 && r == 0) || (dr > 0 && r + 1 >= rows)) continue;
      for (int dc = -1; dc <= 1; dc++) {
        if ((dr == 0 && dc == 0) || (dc < 0 && c == 0) || (dc > 0 && c + 1 >= cols)) continue;
        const uint32_t u = static_cast<uint32_t>(static_cast<int64_t>(v) + static_cast<int64_t>(dr) * cols + dc);
        if (hops[u] == wantHops && dist[u] + cv == want) {
          v = u;
          found = true;
          break;
        }
      }
    }
    if (!found) return false;
    mark(v);
  }
  return true;
}

/**
 * Sweeps before the kernel gives up and reports non-convergence (STATUS_NOT_CONVERGED, an error, never a wrong
 * mask): 2·N for N cells, twice the longest possible path (N − 1 steps) plus 2. Why no correct grid reaches it
 * (costs are ≥ 0 after sanitize_cost, and double addition is monotone: a ≤ b ⇒ a + c ≤ b + c):
 *   - dist alone. The dist part of a lexicographic min is the min of the dists, so after sweep k dist(v) is the
 *     least left-to-right sum over walks from the start of at most k steps (the pinned start lets a walk wait
 *     there). A walk's sum is never below that of the path it contains, so every dist is final after N − 1
 *     sweeps.
 *   - hops, once the dists are final: hops(v) = 1 + min hops(u) over the tight neighbours u (dist(u) + cost(v)
 *     == dist(v)), a breadth-first step. Unrolled, a value after k more sweeps is either a tight walk's length from
 *     the start (≥ the breadth-first depth h(v)) or a stale value plus k (≥ k); the depth is reached along the
 *     breadth-first path after h(v) sweeps. So hops are final after at most max h ≤ N − 1 more sweeps.
 * Labels therefore change in at most 2N − 2 sweeps. cuda_host_test checks the bound on random, absorbing and
 * maze grids (serpentine walls force paths of about N/2 cells). The cap was 4N + 64 before this argument, and
 * N² + 64 before that (about 10⁶ sweeps for 32×32: a tile that failed to converge looked like a hung kernel).
 */
SSG_HD uint32_t relax_max_sweeps(uint32_t cells) {
  const uint64_t s = 2 * static_cast<uint64_t>(cells);
  return s > 0x7FFFFFFFull ? 0x7FFFFFFFu : static_cast<uint32_t>(s);
}

/** One grid's two label buffers (per-sample slices of the tile workspace): dist[k], hops[k] for buffer k. */
struct GridLabels {
  double* dist[2];
  int32_t* hops[2];
};

/** How a grid's relaxation ended. relaxed and word_passes count work for tests and the performance model. */
struct RelaxOutcome {
  uint32_t sweeps;       // sweeps that changed a label (the cap counts these)
  bool converged;        // false: more than max_sweeps such sweeps (STATUS_NOT_CONVERGED)
  uint32_t relaxed;      // relax_cell calls
  uint32_t word_passes;  // warp path: 32-cell words with at least one relaxed cell, summed over sweeps
};

/**
 * One grid, sequentially: every cell from the previous sweep (relax_cell), until a sweep changes nothing or the
 * cap. Labels start in buffer 0 (relax_init); on return buffer 0 holds the final labels. After the last sweep
 * both buffers hold the fixed point (that sweep rewrote every cell with its own label).
 */
SSG_HD RelaxOutcome relax_grid_jacobi(GridLabels g, const double* cost, uint32_t rows, uint32_t cols, uint32_t max_sweeps) {
  const uint32_t N = rows * cols;
  RelaxOutcome out{0, true, 0, 0};
  uint32_t cur = 0;
  for (;;) {
    bool changed = false;
    for (uint32_t v = 0; v < N; v++) {
      double nd;
      int32_t nh;
      relax_cell(g.dist[cur], g.hops[cur], cost, rows, cols, v, nd, nh);
      changed |= nd != g.dist[cur][v] || nh != g.hops[cur][v];
      g.dist[cur ^ 1][v] = nd;
      g.hops[cur ^ 1][v] = nh;
    }
    out.relaxed += N;
    if (!changed) break;
    cur ^= 1;
    if (++out.sweeps > max_sweeps) {
      out.converged = false;
      if (cur == 1) {
        for (uint32_t v = 0; v < N; v++) {
          g.dist[0][v] = g.dist[1][v];
          g.hops[0][v] = g.hops[1][v];
        }
      }
      break;
    }
  }
  return out;
}

}  // namespace gpu
}  // namespace ss
