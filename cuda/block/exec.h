// Host/device plumbing of the CUDA backend's own headers (cuda/block, cuda/tile, cuda/kernels).
//
// The kernels' per-thread logic is written once, in headers that BOTH nvcc (for the device) and g++/nvcc (for
// cuda/test/host_test.cu, which runs on a machine without a GPU) compile. A kernel body is a sequence of
// "phases": each phase is a loop over independent work units (for_units), separated by block barriers (sync).
// The device executor (device_exec.cuh) spreads the units over the threads of a block; the host executor
// (HostExec below) runs them one after the other. Because units inside a phase are independent, both orders
// give the same result, so the host test exercises exactly the code the device runs, barrier for barrier.
#pragma once
#include <algorithm>
#include <cstdint>

#include "hd.h"

#if defined(__CUDACC__)
// Not __forceinline__ (the core's SS_HD is): these are large functions; let the compiler decide.
#define SSG_HD __host__ __device__ inline
#else
#define SSG_HD inline
#endif

// Templates over an executor or a callable are instantiated with device lambdas in the kernels and with host
// lambdas / HostExec in host_test.cu; nvcc's host/device call check does not apply to such instantiations.
#if defined(__CUDACC__)
#define SSG_EXEC_CHECK_DISABLE _Pragma("nv_exec_check_disable")
#else
#define SSG_EXEC_CHECK_DISABLE
#endif

namespace ss {
namespace gpu {

/** Sets bits of a status word shared by all blocks (atomic on the device). */
SSG_HD void status_or(unsigned int* status, unsigned int bits) {
#if defined(__CUDA_ARCH__) || defined(SS_SIMT)  // SS_SIMT: the SIMT emulator's threads (cuda/simt)
  atomicOr(status, bits);
#else
  *status |= bits;
#endif
}

/** Lanes of one per-sample reduction: a warp on the device. */
constexpr uint32_t SAMPLE_LANES = 32;

/** Threads per block of the tile kernels (kernels/launch.h's BLOCK_THREADS); HostExec mirrors it unless told otherwise. */
constexpr uint32_t HOST_EXEC_THREADS = 256;

/**
 * Sum of the 32 values of a warp in the order the device's xor butterfly adds them (device_exec.cuh, warp_sum):
 * after the step with distance d, lane l holds x_l + x_{l^d}; lane 0's final value is returned. Doubles are
 * added pairwise in exactly that tree, so the host and the device agree bit for bit.
 */
inline double butterfly_sum(double* x) {
  for (uint32_t d = 16; d > 0; d >>= 1) {
    double next[SAMPLE_LANES];
    for (uint32_t l = 0; l < SAMPLE_LANES; l++) next[l] = x[l] + x[l ^ d];
    for (uint32_t l = 0; l < SAMPLE_LANES; l++) x[l] = next[l];
  }
  return x[0];
}

/**
 * HostExec's stand-in for a warp in for_warp_samples: one sequential thread, lane 0. Code that needs real lanes
 * (shuffles, ballots) takes the device's warp type instead and gives HostWarp a sequential overload with the same
 * result (block/warp_relax.h: relax_grid).
 */
struct HostWarp {
  uint32_t lane = 0;
};

/**
 * The sequential executor for host tests and the emulated addon: every unit of a phase in order, barriers are
 * no-ops, and the per-sample reductions reproduce the device's grouping and addition order exactly
 * (DeviceExec::sample_reduce for a block of `threads`): one warp per sample, or `per` warps per sample combined
 * in warp order when a tile has fewer samples than the block has warps. The SIMT test (cuda/test/simt_test.cc)
 * checks that the kernels on the emulated device equal this executor bit for bit.
 */
struct HostExec {
  uint32_t threads = HOST_EXEC_THREADS;

  template <typename F>
  void for_units(uint32_t count, F&& f) {
    for (uint32_t u = 0; u < count; u++) f(u);
  }
  void sync() {}
  bool sync_or(bool x) { return x; }
  /** One warp per sample (DeviceExec::for_warp_samples): here the samples in order, each by one HostWarp. */
  template <typename F>
  void for_warp_samples(uint32_t count, F&& f) {
    HostWarp w;
    for (uint32_t t = 0; t < count; t++) f(t, w);
  }
  /** Warps that share one sample when a phase reduces `count` samples (DeviceExec::sample_reduce's grouping). */
  uint32_t warps_per_sample(uint32_t count) const {
    const uint32_t warps = threads / SAMPLE_LANES;
    return count >= warps || count == 0 ? 1 : warps / count;
  }
  template <typename F>
  void sample_sum(uint32_t count, F&& partial, double* out) {
    const uint32_t per = warps_per_sample(count);
    const uint32_t lanes = per * SAMPLE_LANES;
    for (uint32_t t = 0; t < count; t++) {
      double acc = 0;
      for (uint32_t sub = 0; sub < per; sub++) {
        double x[SAMPLE_LANES];
        for (uint32_t lane = 0; lane < SAMPLE_LANES; lane++) x[lane] = partial(t, sub * SAMPLE_LANES + lane, lanes);
        const double r = butterfly_sum(x);
        acc = sub == 0 ? r : acc + r;
      }
      out[t] = acc;
    }
  }
  template <typename F>
  void sample_min(uint32_t count, F&& partial, uint64_t* out) {
    const uint32_t lanes = warps_per_sample(count) * SAMPLE_LANES;
    for (uint32_t t = 0; t < count; t++) {
      uint64_t best = ~static_cast<uint64_t>(0);
      for (uint32_t lane = 0; lane < lanes; lane++) {
        const uint64_t v = partial(t, lane, lanes);
        best = v < best ? v : best;
      }
      out[t] = best;
    }
  }
  /**
   * DeviceExec::warp_sort_rows' result: row t of `rows` is key(t, 0..n_pad) sorted ascending, at out + t·n_pad.
   * The keys of a row are distinct apart from equal padding, so any exact sort gives the device's bits.
   */
  template <typename KeyF>
  void warp_sort_rows(uint32_t rows, uint32_t n_pad, KeyF&& key, uint64_t* out) {
    for (uint32_t t = 0; t < rows; t++) {
      uint64_t* row = out + static_cast<uint64_t>(t) * n_pad;
      for (uint32_t i = 0; i < n_pad; i++) row[i] = key(t, i);
      std::sort(row, row + n_pad);
    }
  }
};

}  // namespace gpu
}  // namespace ss
