// The small kernels around the fused estimator (launched by stream_kernels.cu): merging per-item partials,
// sampler keys, the user-box stream (noise out, outputs in, sums on the device), raw uniforms, the
// cuRAND-vs-core check and a fault hook. Kernels only, so that the SIMT test (cuda/test/simt_test.cc) can
// compile them with the host compiler and run them on the emulator.
#pragma once
#include "block/device_exec.cuh"
#include "kernels/launch.h"
#include "tile/item.h"

namespace ss {
namespace gpu {

__global__ void merge_items_kernel(const double* part, double* totals, uint64_t item0, uint32_t items, uint32_t items_per_b,
                                   uint64_t total) {
  const uint64_t b_first = item0 / items_per_b;
  const uint64_t b_last = (item0 + items - 1) / items_per_b;
  const uint64_t units = (b_last - b_first + 1) * total;
  for (uint64_t idx = blockIdx.x * static_cast<uint64_t>(blockDim.x) + threadIdx.x; idx < units;
       idx += static_cast<uint64_t>(gridDim.x) * blockDim.x) {
    const uint64_t bl = idx / total;
    const uint64_t e = idx - bl * total;
    const uint64_t b = b_first + bl;
    const uint64_t lo = b * items_per_b > item0 ? b * items_per_b : item0;
    const uint64_t hi = (b + 1) * items_per_b < item0 + items ? (b + 1) * items_per_b : item0 + items;
    double acc = totals[b * total + e];
    for (uint64_t it = lo; it < hi; it++) acc += part[(it - item0) * total + e];  // item order, as the CPU merges
    totals[b * total + e] = acc;
  }
}

__global__ void batch_keys_kernel(const SamplerConfig c, uint32_t b0, uint32_t nb, uint32_t key_words, uint32_t* keys) {
  grid_units(nb, c.dims, [&](uint32_t bl, uint32_t d) { batch_keys_dim(c, b0 + bl, d, keys + static_cast<uint64_t>(bl) * key_words); });
}

__global__ void user_noise_kernel(const FusedArgs a, const TileView tv, const uint32_t* keys, uint32_t b, uint32_t start,
                                  uint32_t count) {
  const float* xb = a.x + static_cast<uint64_t>(b) * a.n;
  grid_units(count, quads(a.n), [&](uint32_t t, uint32_t q) { noise_unit(a, tv, keys, b, xb, start, t, q); });
}

__global__ void user_perturb_matrix_kernel(const FusedArgs a, const TileView tv, uint32_t b, uint32_t count) {
  const float* xb = a.x + static_cast<uint64_t>(b) * a.n;
  grid_units(count, a.n, [&](uint32_t t, uint32_t r) { perturb_matrix_unit(a, tv, xb, t, r); });
}

/** One block per segment of USER_SEGMENT rows: the tile accumulation of tile/sums.h over dense user outputs. */
__global__ void __launch_bounds__(BLOCK_THREADS) user_accumulate_kernel(const FusedArgs a, const TileView tv, uint32_t b,
                                                                        uint32_t count, double* part) {
  __shared__ double g[USER_SEGMENT];
  const uint32_t t0 = blockIdx.x * USER_SEGMENT;
  const uint32_t tc = count - t0 < USER_SEGMENT ? count - t0 : USER_SEGMENT;
  TileView seg = tv;
  seg.s = tv.s ? tv.s + static_cast<uint64_t>(t0) * a.n : nullptr;
  seg.e = tv.e ? tv.e + static_cast<uint64_t>(t0) * a.n : nullptr;
  seg.f = tv.f + static_cast<uint64_t>(t0) * a.m;
  seg.g = g;
  double* mine = part + static_cast<uint64_t>(blockIdx.x) * a.L.total;
  DeviceExec ex;
  ex.for_units(static_cast<uint32_t>(a.L.total), [&](uint32_t e) { mine[e] = 0.0; });
  ex.sync();
  accumulate_tile<TILE_USER_BOX>(ex, a, seg, b, tc, mine);
}

__global__ void merge_segments_kernel(const double* part, double* totals_b, uint32_t segments, uint64_t total) {
  for (uint64_t e = blockIdx.x * static_cast<uint64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<uint64_t>(gridDim.x) * blockDim.x) {
    double acc = totals_b[e];
    for (uint32_t s = 0; s < segments; s++) acc += part[static_cast<uint64_t>(s) * total + e];
    totals_b[e] = acc;
  }
}

__global__ void uniforms_kernel(const SamplerConfig c, const uint32_t* keys, uint32_t b, uint32_t start, uint32_t count,
                                double* out) {
  grid_units(count, quads(c.dims), [&](uint32_t r, uint32_t q) {
    double v[4];
    noise_quad(c, keys, b, start + r, q, v);
    const uint32_t width = quad_width(c.dims, q);
    for (uint32_t w = 0; w < width; w++) out[static_cast<uint64_t>(r) * c.dims + 4 * q + w] = v[w];
  });
}

__global__ void curand_check_kernel(const SamplerConfig c, const uint32_t* keys, uint32_t b, uint32_t start, uint32_t count,
                                    unsigned long long* result) {
#if defined(SS_HAVE_CURAND)
  grid_units(count, quads(c.dims), [&](uint32_t r, uint32_t q) {
    double core[4], cur[4];
    noise_quad_core(c, keys, b, start + r, q, core);
    noise_quad_curand(c, keys, b, start + r, q, cur);
    const uint32_t width = quad_width(c.dims, q);
    for (uint32_t w = 0; w < width; w++) {
      if (__double_as_longlong(core[w]) != __double_as_longlong(cur[w])) {  // bitwise: NaN-safe, -0 != +0
        atomicAdd(result, 1ull);
        atomicMin(result + 1, static_cast<unsigned long long>(r) * c.dims + 4 * q + w);
      }
    }
  });
#else
  (void)c, (void)keys, (void)b, (void)start, (void)count, (void)result;  // no cuRAND: nothing to compare
#endif
}

__global__ void fault_kernel(int* p) { *reinterpret_cast<volatile int*>(p) = 1; }

}  // namespace gpu
}  // namespace ss
