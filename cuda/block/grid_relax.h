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
 * mask): 4·N + 64 for N cells, i.e. four times the longest possible path plus slack. Labels settle in about as
 * many sweeps as the optimal paths have hops (cuda_host_test: at most 68 sweeps over 1540 grids up to 32×32,
 * NaN/Inf absorption included). The old cap, N² + 64, meant about 10⁶ sweeps for 32×32: a tile that failed to
 * converge would have looked like a hung kernel instead of an error.
 */
SSG_HD uint32_t relax_max_sweeps(uint32_t cells) {
  const uint64_t s = 4 * static_cast<uint64_t>(cells) + 64;
  return s > 0x7FFFFFFFull ? 0x7FFFFFFFu : static_cast<uint32_t>(s);
}

}  // namespace gpu
}  // namespace ss
