// Tile stage "cache": the device side of the output cache (tile/cache_rows.h for the layout). A forward launch
// stores each tile's outputs after the box stage (store_tile_outputs); a backward launch skips the box stage and
// rebuilds from the cache what box_output and the scalars read (load_tile_outputs): ranks into tv.rank, a
// permutation's column per row into tv.rank, argmax's index into tv.best, a path's cells into tv.mask; top-k's
// box_output reads its bits directly (its box state, a threshold over z, cannot be rebuilt from bits). The noise
// and scores are regenerated as without the cache, and every sum reads the same outputs in the same order, so
// the results are bit-identical with the cache on and off.
#pragma once
#include <cstdint>

#include "blackbox.h"
#include "order.h"
#include "block/exec.h"
#include "tile/args.h"
#include "tile/box.h"
#include "tile/cache_rows.h"
#include "tile/workspace.h"

namespace ss {
namespace gpu {

/** The tile's place in the cache: batch element b's segment, samples from i0 (TileView::cache_base / cache_first). */
SSG_HD void point_tile_at_cache(const FusedArgs& a, TileView& tv, uint32_t b, uint32_t i0) {
  tv.cache_base = a.cache + static_cast<uint64_t>(b) * a.cache_segment;
  tv.cache_first = static_cast<uint64_t>(i0) * a.m;
}

/**
 * The tc samples' outputs into the cache (forward). Bits: one unit per byte of the tile's bit range, so no two
 * threads write one byte; the range's first and last bytes keep the bits of the neighbouring tiles (the same
 * block's earlier tile, ordered by the barriers between tiles). Ranks: one unit per element. Ends synced.
 */
SSG_EXEC_CHECK_DISABLE
template <int BOX, typename Exec>
SSG_HD void store_tile_outputs(Exec& ex, const FusedArgs& a, const TileView& tv, uint32_t tc) {
  const uint32_t m = a.m;
  if (a.cache_format == CACHE_BITS) {
    const uint64_t first = tv.cache_first, end = first + static_cast<uint64_t>(tc) * m;
    const uint64_t byte0 = first >> 3;
    const uint32_t bytes = static_cast<uint32_t>(((end + 7) >> 3) - byte0);
    ex.for_units(bytes, [&](uint32_t u) {
      const uint64_t byte = byte0 + u;
      uint32_t v = tv.cache_base[byte];
      for (uint32_t j = 0; j < 8; j++) {
        const uint64_t bit = byte * 8 + j;
        if (bit < first || bit >= end) continue;
        const uint64_t k = bit - first;
        const uint32_t t = static_cast<uint32_t>(k / m);
        const uint32_t r = static_cast<uint32_t>(k - static_cast<uint64_t>(t) * m);
        if (box_output<BOX>(a, tv, t, r) != 0.0f) v |= 1u << j;
        else v &= ~(1u << j);
      }
      tv.cache_base[byte] = static_cast<uint8_t>(v);
    });
  } else {
    ex.for_units(tc * m, [&](uint32_t u) {
      const uint32_t t = u / m;
      const uint32_t r = u - t * m;
      cache_put_int(tv.cache_base, a.cache_format, tv.cache_first + u, static_cast<uint32_t>(box_output<BOX>(a, tv, t, r)));
    });
  }
  ex.sync();
}

/**
 * In place of evaluate_tile (backward passes with a filled cache): the box state of the tc samples from the
 * cache. A permutation row or an argmax without a one (which no forward writes) reads as column / index 0, so
 * that a damaged buffer can never make a later stage index outside v. Ends synced.
 */
SSG_EXEC_CHECK_DISABLE
template <int BOX, typename Exec>
SSG_HD void load_tile_outputs(Exec& ex, const FusedArgs& a, const TileView& tv, uint32_t tc) {
  const uint32_t n = a.n, m = a.m;
  const uint8_t* base = tv.cache_base;
  const uint64_t first = tv.cache_first;
  if (BOX == BOX_RANKS) {
    ex.for_units(tc * n, [&](uint32_t u) { tv.rank[u] = cache_int(base, a.cache_format, first + u); });
  } else if (BOX == BOX_PERMUTATION) {
    ex.for_units(tc * n, [&](uint32_t u) {  // u = t·n + i: row i of sample t (outputs i·n .. i·n + n − 1)
      const uint64_t row = first + static_cast<uint64_t>(u) * n;
      uint32_t col = 0;
      for (uint32_t j = n; j-- > 0;) col = cache_bit(base, row + j) ? j : col;
      tv.rank[u] = col;
    });
  } else if (BOX == BOX_ARGMAX) {
    ex.for_units(tc, [&](uint32_t t) {
      const uint64_t row = first + static_cast<uint64_t>(t) * m;
      uint32_t idx = 0;
      for (uint32_t r = m; r-- > 0;) idx = cache_bit(base, row + r) ? r : idx;
      tv.best[t] = idx;  // key_index(best) is all that box_output and the scalars read
    });
  } else if (BOX == BOX_SHORTEST_PATH) {
    ex.for_units(tc * m, [&](uint32_t u) { tv.mask[u] = static_cast<uint8_t>(cache_bit(base, first + u)); });
  }
  ex.sync();
}

}  // namespace gpu
}  // namespace ss
