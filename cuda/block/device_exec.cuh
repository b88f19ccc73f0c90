// The device executor of the tile phases (exec.h): block-strided work units, __syncthreads barriers, and the
// per-sample reductions as warp shuffles (one warp per sample), widened to several warps per sample with a
// block-level combine through shared memory when a tile holds fewer samples than the block has warps.
// Written here rather than taken from CUB: four small primitives, each with the ordering it needs.
#pragma once
#include <cstdint>

#include "block/exec.h"
#include "block/warp_bitonic.cuh"

namespace ss {
namespace gpu {

constexpr unsigned FULL_MASK = 0xffffffffu;

/**
 * Sum over the 32 lanes of a warp, every lane gets the total (xor butterfly: after the step with distance d
 * each lane holds the sum of its 2d-lane group). All lanes must take part. Doubles travel as two 32-bit halves
 * inside __shfl_xor_sync's double overload.
 */
__device__ __forceinline__ double warp_sum(double x) {
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) x += __shfl_xor_sync(FULL_MASK, x, d);
  return x;
}

/** Minimum of a 64-bit key over the 32 lanes of a warp, every lane gets it (exact: min is order-free). */
__device__ __forceinline__ uint64_t warp_min_u64(uint64_t x) {
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) {
    const unsigned long long y = __shfl_xor_sync(FULL_MASK, static_cast<unsigned long long>(x), d);
    x = y < x ? y : x;
  }
  return x;
}

struct SumOp {
  __device__ static double identity() { return 0.0; }
  __device__ static double warp(double x) { return warp_sum(x); }
  __device__ static double combine(double a, double b) { return a + b; }
};
struct MinOp {
  __device__ static uint64_t identity() { return ~0ull; }
  __device__ static uint64_t warp(uint64_t x) { return warp_min_u64(x); }
  __device__ static uint64_t combine(uint64_t a, uint64_t b) { return b < a ? b : a; }
};

/**
 * The warp-level helpers of DeviceExec::for_warp_samples: the calling lane, __syncwarp, and full-warp ballot and
 * shuffle. Every lane of the warp must call each of them (FULL_MASK).
 */
struct DeviceWarp {
  uint32_t lane;
  __device__ void sync() const { __syncwarp(FULL_MASK); }
  __device__ uint32_t ballot(bool p) const { return __ballot_sync(FULL_MASK, p); }
  __device__ uint32_t shfl(uint32_t x, uint32_t src) const { return __shfl_sync(FULL_MASK, x, src); }
};

/** Block-strided executor. Every method is called by all threads of the block (they contain barriers or not,
 *  but always uniformly), so the kernels' control flow stays block-uniform. */
struct DeviceExec {
  template <typename F>
  __device__ void for_units(uint32_t count, F&& f) {
    for (uint32_t u = threadIdx.x; u < count; u += blockDim.x) f(u);
  }
  __device__ void sync() { __syncthreads(); }
  __device__ bool sync_or(bool x) { return __syncthreads_or(x) != 0; }

  /**
   * One warp per sample: warp w runs f(t, warp) for t = w, w + warps, ... < count (a warp-uniform trip count,
   * so f may use the warp's collectives; blockDim is a multiple of 32). No block barrier: follow with sync().
   */
  template <typename F>
  __device__ void for_warp_samples(uint32_t count, F&& f) {
    const uint32_t warps = blockDim.x >> 5;
    const DeviceWarp w{threadIdx.x & 31u};
    for (uint32_t t = threadIdx.x >> 5; t < count; t += warps) f(t, w);
  }

  /**
   * out[t] = reduction over lanes of partial(t, lane, lanes) for t < count. With count ≥ warps: warp w
   * reduces samples w, w + warps, ... (lanes = 32). With fewer samples than warps: `per` warps share one
   * sample (lanes = 32·per), each warp reduces by shuffles, then one thread per sample combines the warps'
   * results from shared memory in warp order (a block reduction; deterministic).
   */
  template <typename Op, typename T, typename F>
  __device__ void sample_reduce(uint32_t count, F&& partial, T* out) {
    __shared__ T warp_part[32];  // blockDim ≤ 1024: at most 32 warps
    const uint32_t warps = blockDim.x >> 5;
    const uint32_t warp = threadIdx.x >> 5;
    const uint32_t lane = threadIdx.x & 31u;
    if (count >= warps || count == 0) {
      for (uint32_t t = warp; t < count; t += warps) {  // warp-uniform trip count
        const T r = Op::warp(partial(t, lane, 32u));
        if (lane == 0) out[t] = r;
      }
      return;
    }
    const uint32_t per = warps / count;
    const uint32_t t = warp / per;
    const uint32_t sub = warp - t * per;
    T r = Op::identity();
    if (t < count) r = partial(t, sub * 32u + lane, per * 32u);
    r = Op::warp(r);
    if (lane == 0) warp_part[warp] = r;
    __syncthreads();
    if (threadIdx.x < count) {
      T acc = warp_part[threadIdx.x * per];
      for (uint32_t w = 1; w < per; w++) acc = Op::combine(acc, warp_part[threadIdx.x * per + w]);
      out[threadIdx.x] = acc;
    }
    __syncthreads();  // warp_part is reused by the next call
  }
  template <typename F>
  __device__ void sample_sum(uint32_t count, F&& partial, double* out) {
    sample_reduce<SumOp>(count, partial, out);
  }
  template <typename F>
  __device__ void sample_min(uint32_t count, F&& partial, uint64_t* out) {
    sample_reduce<MinOp>(count, partial, out);
  }

  /**
   * Sorts `rows` rows of n_pad ∈ {32, 64, 128} keys, one warp per row in registers (block/warp_bitonic.cuh):
   * key(t, i) is key i of row t (BITONIC_PAD for the padding), the sorted row t goes to out + t·n_pad. No
   * barrier inside: the caller syncs before others read `out`.
   */
  template <typename KeyF>
  __device__ void warp_sort_rows(uint32_t rows, uint32_t n_pad, KeyF&& key, uint64_t* out) {
    if (n_pad == 32) warp_sort_rows_k<1>(rows, key, out);
    else if (n_pad == 64) warp_sort_rows_k<2>(rows, key, out);
    else warp_sort_rows_k<4>(rows, key, out);
  }
};

/**
 * Grid-stride loop over the units (row, col) of a rows × cols grid, for the small kernels: f(row, col) exactly once
 * per unit, whatever the grid and block sizes. 64-bit unit indices: rows · cols may exceed 2^32.
 */
template <typename F>
__device__ __forceinline__ void grid_units(uint32_t rows, uint32_t cols, F&& f) {
  const uint64_t units = static_cast<uint64_t>(rows) * cols;
  for (uint64_t u = blockIdx.x * static_cast<uint64_t>(blockDim.x) + threadIdx.x; u < units;
       u += static_cast<uint64_t>(gridDim.x) * blockDim.x) {
    const uint32_t r = static_cast<uint32_t>(u / cols);
    f(r, static_cast<uint32_t>(u - static_cast<uint64_t>(r) * cols));
  }
}

}  // namespace gpu
}  // namespace ss
