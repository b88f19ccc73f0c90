// Tile stage "layout": the byte layout of a tile's workspace for T samples (tile_shape) and its typed views
// (carve). Sizes depend on the box, n and the operation only, so the host (choose_tile in cuda_engine.cc) and the
// kernels compute the same offsets.
#pragma once
#include <cstddef>
#include <cstdint>

#include "blackbox.h"  // BoxKind, BOX_KIND_COUNT
#include "block/bitonic.h"  // next_pow2
#include "block/exec.h"

namespace ss {
namespace gpu {

/**
 * What a tile evaluates: one of the five built-ins (the core's BoxKind, blackbox.h) or, for user JS boxes, the
 * dense outputs the stream copied in. The operations are the job layer's Op (native/engine/ops.h).
 */
constexpr int TILE_USER_BOX = BOX_KIND_COUNT;

/** Rows up to this size are sorted by one thread with the core's network (sort_small_keys). */
constexpr uint32_t SMALL_SORT_N = 16;

/** Rows up to this size (and above SMALL_SORT_N) are sorted by one warp in registers (block/warp_bitonic.cuh). */
constexpr uint32_t WARP_SORT_MAX_N = 128;

/** Byte offsets of the tile workspace's arrays (16-byte aligned), for T samples. Unused arrays have size 0. */
struct TileShape {
  uint32_t T;      // samples per tile
  uint32_t n_pad;  // bitonic row length (0: no bitonic sort)
  uint32_t cells;  // shortest path: rows·cols (0 otherwise)
  uint64_t z, s, e, keys, rank, thr, best, cost, dist0, dist1, hops0, hops1, mask, g;
  uint64_t bytes;
};

SSG_HD uint64_t align16(uint64_t x) { return (x + 15) & ~static_cast<uint64_t>(15); }

/**
 * Workspace layout of a tile of T samples for `box` (a BoxKind or TILE_USER_BOX) with n inputs. store_s: scores are needed
 * (every op but forward); store_e: ε is needed (matrix scale, scale gradient). User boxes keep z/s/e in the
 * stream's global chunk buffers: their workspace is the per-sample scalars only.
 */
SSG_HD TileShape tile_shape(int box, uint32_t n, uint32_t rows, uint32_t cols, uint32_t T, bool store_s, bool store_e) {
  TileShape t{};
  t.T = T;
  const uint64_t Tn = static_cast<uint64_t>(T) * n;
  uint64_t o = 0;
  auto take = [&](uint64_t bytes) {
    const uint64_t at = o;
    o = align16(o + bytes);
    return at;
  };
  if (box != TILE_USER_BOX) {
    t.z = take(Tn * sizeof(float));
    t.s = store_s ? take(Tn * sizeof(double)) : 0;
    t.e = store_e ? take(Tn * sizeof(double)) : 0;
  }
  const bool sorting = box == BOX_PERMUTATION || box == BOX_RANKS || box == BOX_TOPK;
  if (sorting && n > SMALL_SORT_N) {
    // Also for the warp sort (n ≤ WARP_SORT_MAX_N), which keeps its keys in registers but stores the sorted rows
    // here for the rank scatter. Dropping the array there would fit more samples per tile (18 → about 29 at n = 100 with
    // scores), but it moves the tile boundaries, and a short tile's per-sample sums group their lanes differently
    // (DeviceExec::sample_reduce): the results would no longer be bit-identical to the earlier ones.
    t.n_pad = next_pow2(n);
    t.keys = take(static_cast<uint64_t>(T) * t.n_pad * sizeof(uint64_t));
  }
  if (box == BOX_PERMUTATION || box == BOX_RANKS) t.rank = take(Tn * sizeof(uint32_t));
  if (box == BOX_TOPK) t.thr = take(static_cast<uint64_t>(T) * sizeof(uint64_t));
  if (box == BOX_ARGMAX) t.best = take(static_cast<uint64_t>(T) * sizeof(uint64_t));
  if (box == BOX_SHORTEST_PATH) {
    t.cells = rows * cols;
    const uint64_t TN = static_cast<uint64_t>(T) * t.cells;
    t.cost = take(TN * sizeof(double));
    t.dist0 = take(TN * sizeof(double));
    t.dist1 = take(TN * sizeof(double));
    t.hops0 = take(TN * sizeof(int32_t));
    t.hops1 = take(TN * sizeof(int32_t));
    t.mask = take(TN);
  }
  t.g = take(static_cast<uint64_t>(T) * sizeof(double));
  t.bytes = o;
  return t;
}

/** The typed views of one tile workspace (or, for user boxes, of the stream's chunk buffers). */
struct TileView {
  float* z;
  double* s;
  double* e;
  uint64_t* keys;
  uint32_t* rank;
  uint64_t* thr;
  uint64_t* best;
  double* cost;
  double* dist[2];
  int32_t* hops[2];
  uint8_t* mask;
  double* g;
  const float* f;  // user boxes: dense outputs, T×m
  // The tile's rows of the output cache (tile/cache.h point_tile_at_cache): the batch element's segment and the
  // tile's first bit (bits) or element (ranks) in it. Unset without a cache.
  uint8_t* cache_base;
  uint64_t cache_first;
};

SSG_HD TileView carve(char* ws, const TileShape& t) {
  TileView v{};
  v.z = reinterpret_cast<float*>(ws + t.z);
  v.s = reinterpret_cast<double*>(ws + t.s);
  v.e = reinterpret_cast<double*>(ws + t.e);
  v.keys = reinterpret_cast<uint64_t*>(ws + t.keys);
  v.rank = reinterpret_cast<uint32_t*>(ws + t.rank);
  v.thr = reinterpret_cast<uint64_t*>(ws + t.thr);
  v.best = reinterpret_cast<uint64_t*>(ws + t.best);
  v.cost = reinterpret_cast<double*>(ws + t.cost);
  v.dist[0] = reinterpret_cast<double*>(ws + t.dist0);
  v.dist[1] = reinterpret_cast<double*>(ws + t.dist1);
  v.hops[0] = reinterpret_cast<int32_t*>(ws + t.hops0);
  v.hops[1] = reinterpret_cast<int32_t*>(ws + t.hops1);
  v.mask = reinterpret_cast<uint8_t*>(ws + t.mask);
  v.g = reinterpret_cast<double*>(ws + t.g);
  v.f = nullptr;
  v.cache_base = nullptr;
  v.cache_first = 0;
  return v;
}

}  // namespace gpu
}  // namespace ss
