// Tile stage "box": the built-in black box on the T perturbed rows of a tile. Sorting boxes: the core's
// per-thread network for n ≤ SMALL_SORT_N, a warp-per-row register sort of order.h's keys up to WARP_SORT_MAX_N
// (the executor's warp_sort_rows), else a bitonic sort of the keys in shared memory (block/bitonic.h); argmax: a
// warp-wide min of descending keys; shortest path: the grid relaxation, one warp per grid up to 1024 cells
// (block/warp_relax.h), block-wide above (block/grid_relax.h). box_output reads one output entry back,
// bit-identical to evaluate_box's floats (from the output cache for top-k when a backward launch reads it:
// tile/cache.h rebuilds the other boxes' state instead of running evaluate_tile).
#pragma once
#include <cstdint>

#include "blackbox.h"
#include "order.h"
#include "sorting.h"
#include "block/bitonic.h"
#include "block/exec.h"
#include "block/grid_relax.h"
#include "block/warp_relax.h"
#include "tile/args.h"
#include "tile/cache_rows.h"

namespace ss {
namespace gpu {

/** Output f_r of sample t of the tile, for the accumulation (bit-identical to evaluate_box's floats). */
template <int BOX>
SSG_HD float box_output(const FusedArgs& a, const TileView& tv, uint32_t t, uint32_t r) {
  const uint32_t n = a.n;
  if (BOX == BOX_PERMUTATION) {
    const uint32_t i = r / n;
    return tv.rank[static_cast<uint64_t>(t) * n + i] == r - i * n ? 1.0f : 0.0f;
  } else if (BOX == BOX_RANKS) {
    return static_cast<float>(tv.rank[static_cast<uint64_t>(t) * n + r]);
  } else if (BOX == BOX_ARGMAX) {
    return key_index(tv.best[t]) == r ? 1.0f : 0.0f;
  } else if (BOX == BOX_TOPK) {
    // Backward with the output cache (tile/cache.h): the bits the forward stored; the threshold is not rebuilt.
    if (a.cache_mode == CACHE_READ) return static_cast<float>(cache_bit(tv.cache_base, tv.cache_first + static_cast<uint64_t>(t) * a.m + r));
    return desc_key(tv.z[static_cast<uint64_t>(t) * n + r], r) <= tv.thr[t] ? 1.0f : 0.0f;
  } else if (BOX == BOX_SHORTEST_PATH) {
    return static_cast<float>(tv.mask[static_cast<uint64_t>(t) * a.shape.cells + r]);
  } else {
    return tv.f[static_cast<uint64_t>(t) * a.m + r];
  }
}

/** The black box on the tc rows of z: ranks / threshold / argmax / path mask in the workspace. Ends synced. */
SSG_EXEC_CHECK_DISABLE
template <int BOX, typename Exec>
SSG_HD void evaluate_tile(Exec& ex, const FusedArgs& a, const TileView& tv, uint32_t tc) {
  const uint32_t n = a.n;
  if (BOX == BOX_PERMUTATION || BOX == BOX_RANKS || BOX == BOX_TOPK) {
    if (n <= SMALL_SORT_N) {
      // One thread per row, keys in registers: the core's pruned Batcher network (sorting.h) and top-k selection.
      ex.for_units(tc, [&](uint32_t t) {
        uint64_t scratch[2 * SMALL_SORT_N];
        const float* row = tv.z + static_cast<uint64_t>(t) * n;
        if (BOX == BOX_TOPK) tv.thr[t] = topk_threshold(row, n, a.box.k, scratch);
        else ranks_of_row(row, n, tv.rank + static_cast<uint64_t>(t) * n, scratch);
      });
      ex.sync();
      return;
    }
    const uint32_t n_pad = a.shape.n_pad;
    // Key i of row t: ascending (ranks, permutation) or descending (top-k) order keys, BITONIC_PAD past n.
    auto key = [&](uint32_t t, uint32_t i) -> uint64_t {
      if (i >= n) return BITONIC_PAD;
      const float v = tv.z[static_cast<uint64_t>(t) * n + i];
      return BOX == BOX_TOPK ? desc_key(v, i) : asc_key(v, i);
    };
    if (n <= WARP_SORT_MAX_N) {
      // One warp per row, the keys built from z straight into registers and sorted there (block/warp_bitonic.cuh);
      // the sorted rows land in tv.keys for the steps below.
      ex.warp_sort_rows(tc, n_pad, key, tv.keys);
      ex.sync();
    } else {
      ex.for_units(tc * n_pad, [&](uint32_t u) {
        const uint32_t t = u / n_pad;
        tv.keys[u] = key(t, u - t * n_pad);
      });
      ex.sync();
      bitonic_sort_rows(ex, tv.keys, tc, n_pad);  // ends with a barrier
    }
    if (BOX == BOX_TOPK) {
      // Item i is among the k largest iff desc_key(z_i, i) <= the k-th smallest descending key (topk_threshold).
      ex.for_units(tc, [&](uint32_t t) { tv.thr[t] = tv.keys[static_cast<uint64_t>(t) * n_pad + a.box.k - 1]; });
    } else {
      ex.for_units(tc * n, [&](uint32_t u) {
        const uint32_t t = u / n;
        const uint32_t r = u - t * n;
        tv.rank[static_cast<uint64_t>(t) * n + key_index(tv.keys[static_cast<uint64_t>(t) * n_pad + r])] = r;
      });
    }
    ex.sync();
  } else if (BOX == BOX_ARGMAX) {
    // The least descending key is the largest value (NaN largest, -0 == +0) with the lowest index: argmax_row.
    ex.sample_min(tc, [&](uint32_t t, uint32_t lane, uint32_t lanes) {
      const float* row = tv.z + static_cast<uint64_t>(t) * n;
      uint64_t best = ~static_cast<uint64_t>(0);
      for (uint32_t i = lane; i < n; i += lanes) {
        const uint64_t k = desc_key(row[i], i);
        best = k < best ? k : best;
      }
      return best;
    }, tv.best);
    ex.sync();
  } else if (BOX == BOX_SHORTEST_PATH) {
    const uint32_t N = a.shape.cells;
    const uint32_t rows = a.box.rows, cols = a.box.cols;
    ex.for_units(tc * N, [&](uint32_t u) {
      const uint32_t t = u / N;
      const uint32_t v = u - t * N;
      const uint64_t at = static_cast<uint64_t>(t) * N;
      tv.cost[at + v] = sanitize_cost(tv.z[static_cast<uint64_t>(t) * n + v]);  // n == N
      tv.mask[at + v] = 0;
    });
    ex.sync();
    ex.for_units(tc * N, [&](uint32_t u) {
      const uint32_t t = u / N;
      const uint64_t at = static_cast<uint64_t>(t) * N;
      relax_init(tv.cost + at, u - t * N, tv.dist[0][u], tv.hops[0][u]);
    });
    ex.sync();
    uint32_t cur = 0;  // the label buffer the trace-back reads
    if (N <= WARP_GRID_CELLS) {
      // One warp per grid (block/warp_relax.h): frontier sweeps separated by __syncwarp; each grid's final
      // labels end in buffer 0. HostExec relaxes each grid with the plain sweeps: the same labels.
      ex.for_warp_samples(tc, [&](uint32_t t, auto& warp) {
        const uint64_t at = static_cast<uint64_t>(t) * N;
        const GridLabels g{{tv.dist[0] + at, tv.dist[1] + at}, {tv.hops[0] + at, tv.hops[1] + at}};
        const RelaxOutcome r = relax_grid(warp, g, tv.cost + at, rows, cols, a.max_sweeps);
        if (!r.converged && warp.lane == 0) status_or(a.status, STATUS_NOT_CONVERGED);
      });
      ex.sync();
    } else {
      // Larger grids: block-wide Jacobi sweeps over units (t, cell) of every grid of the tile.
      uint32_t sweeps = 0;
      for (;;) {
        bool changed = false;
        ex.for_units(tc * N, [&](uint32_t u) {
          const uint32_t t = u / N;
          const uint64_t at = static_cast<uint64_t>(t) * N;
          double nd;
          int32_t nh;
          relax_cell(tv.dist[cur] + at, tv.hops[cur] + at, tv.cost + at, rows, cols, u - t * N, nd, nh);
          changed |= nd != tv.dist[cur][u] || nh != tv.hops[cur][u];
          tv.dist[cur ^ 1][u] = nd;
          tv.hops[cur ^ 1][u] = nh;
        });
        const bool any = ex.sync_or(changed);  // a barrier too: the new labels are complete
        cur ^= 1;
        if (!any) break;
        if (++sweeps > a.max_sweeps) {
          ex.for_units(1, [&](uint32_t) { status_or(a.status, STATUS_NOT_CONVERGED); });
          break;
        }
      }
    }
    ex.for_units(tc, [&](uint32_t t) {
      const uint64_t at = static_cast<uint64_t>(t) * N;
      uint8_t* mask = tv.mask + at;
      const bool ok = relax_trace(tv.dist[cur] + at, tv.hops[cur] + at, tv.cost + at, rows, cols,
                                  [&](uint32_t cell) { mask[cell] = 1; });
      if (!ok) status_or(a.status, STATUS_NO_PREDECESSOR);
    });
    ex.sync();
  }
}

}  // namespace gpu
}  // namespace ss
