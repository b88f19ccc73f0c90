// A work item of the CUDA backend's fused estimator: the tile stages (cuda/tile/) in order, written once for the
// device and for host tests (block/exec.h).
//
// A block owns one WORK ITEM: batch element b and samples [blk·SPI, min(S, (blk+1)·SPI)), the job layer's items
// (native/engine/job.h, SAMPLES_PER_ITEM = 1024), and walks it in tiles of T samples (workspace: tile/workspace.h):
//
//   noise       tile/noise.h    u, ε = F⁻¹(u), s = score(u), z = x + σ ⊙ ε (matrix scale: z = x + L ε)
//   box         tile/box.h      the built-in black box on the T perturbed rows; with the output cache
//               tile/cache.h    a forward stores the outputs after it, a backward reads them in its place
//   scalars     tile/scalars.h  per sample, g = ⟨v, f⟩ (vjp, scale gradient) or h = ⟨s, L⁻¹t⟩ (jvp)
//   accumulate  tile/sums.h     the item's partial sums, each entry owned by one thread, in sample order
//
// Per-item partials are merged into per-b totals in item order by merge_items_kernel (kernels/stream_kernels.cuh),
// the CPU's merge order; the host finishes with the job layer's finish_totals. Nothing of size S exists anywhere:
// the workspace is T samples, the partials a wave of items.
#pragma once
#include <cstdint>

#include "samplers.h"
#include "block/exec.h"
#include "tile/args.h"
#include "tile/box.h"
#include "tile/cache.h"
#include "tile/noise.h"
#include "tile/sums.h"
#include "tile/workspace.h"

namespace ss {
namespace gpu {

/**
 * One work item (the body of one block of the fused kernel): item a.item0 + item_local, workspace ws, partial
 * sums at a.part + item_local·L.total (zeroed here).
 */
SSG_EXEC_CHECK_DISABLE
template <int BOX, typename Exec>
SSG_HD void run_item(Exec& ex, const FusedArgs& a, char* ws, uint32_t item_local) {
  const uint64_t item = a.item0 + item_local;
  const uint32_t b = static_cast<uint32_t>(item / a.items_per_b);
  const uint32_t blk = static_cast<uint32_t>(item - static_cast<uint64_t>(b) * a.items_per_b);
  const uint32_t start = blk * a.spi;
  const uint32_t end = a.S - start < a.spi ? a.S : start + a.spi;
  TileView tv = carve(ws, a.shape);
  double* part = a.part + static_cast<uint64_t>(item_local) * a.L.total;
  const uint32_t* keys = a.keys + static_cast<uint64_t>(b - a.keys_b0) * a.key_words;
  const float* xb = a.x + static_cast<uint64_t>(b) * a.n;
  const uint32_t nq = quads(a.n);
  const uint32_t T = a.shape.T;

  ex.for_units(static_cast<uint32_t>(a.L.total), [&](uint32_t e) { part[e] = 0.0; });
  ex.sync();
  for (uint32_t i0 = start; i0 < end; i0 += end - i0 < T ? end - i0 : T) {  // stops at end: i0 + T wraps at S ≈ 2^32
    const uint32_t tc = end - i0 < T ? end - i0 : T;
    ex.for_units(tc * nq, [&](uint32_t u) {
      const uint32_t t = u / nq;
      noise_unit(a, tv, keys, b, xb, i0, t, u - t * nq);
    });
    ex.sync();
    if (a.scale.kind == SCALE_MATRIX) {
      ex.for_units(tc * a.n, [&](uint32_t u) {
        const uint32_t t = u / a.n;
        perturb_matrix_unit(a, tv, xb, t, u - t * a.n);
      });
      ex.sync();
    }
    if (a.cache_mode != CACHE_OFF) point_tile_at_cache(a, tv, b, i0);
    if (a.cache_mode == CACHE_READ) load_tile_outputs<BOX>(ex, a, tv, tc);  // the box stage is skipped
    else evaluate_tile<BOX>(ex, a, tv, tc);
    if (a.cache_mode == CACHE_WRITE) store_tile_outputs<BOX>(ex, a, tv, tc);
    accumulate_tile<BOX>(ex, a, tv, b, tc, part);
  }
}

}  // namespace gpu
}  // namespace ss
