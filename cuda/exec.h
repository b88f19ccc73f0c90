// Host/device plumbing of the CUDA backend's own headers (cuda/*.h).
//
// The kernels' per-thread logic is written once, in headers that BOTH nvcc (for the device) and g++/nvcc (for
// cuda/test/host_test.cu, which runs on a machine without a GPU) compile. A kernel body is a sequence of
// "phases": each phase is a loop over independent work units (for_units), separated by block barriers (sync).
// The device executor (device_exec.cuh) spreads the units over the threads of a block; the host executor
// (HostExec below) runs them one after the other. Because units inside a phase are independent, both orders
// give the same result, so the host test exercises exactly the code the device runs, barrier for barrier.
#pragma once
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
#if defined(__CUDA_ARCH__)
  atomicOr(status, bits);
#else
  *status |= bits;
#endif
}

/** Lanes of one per-sample reduction: a warp on the device. */
constexpr uint32_t SAMPLE_LANES = 32;

/**
 * The sequential executor for host tests: every unit of a phase in order, barriers are no-ops, and the
 * per-sample lane reductions add the 32 lane partials in lane order (the device adds them as a shuffle tree,
 * so the two can differ by rounding, never by more).
 */
struct HostExec {
  template <typename F>
  void for_units(uint32_t count, F&& f) {
    for (uint32_t u = 0; u < count; u++) f(u);
  }
  void sync() {}
  bool sync_or(bool x) { return x; }
  template <typename F>
  void sample_sum(uint32_t count, F&& partial, double* out) {
    for (uint32_t t = 0; t < count; t++) {
      double acc = 0;
      for (uint32_t lane = 0; lane < SAMPLE_LANES; lane++) acc += partial(t, lane, SAMPLE_LANES);
      out[t] = acc;
    }
  }
  template <typename F>
  void sample_min(uint32_t count, F&& partial, uint64_t* out) {
    for (uint32_t t = 0; t < count; t++) {
      uint64_t best = ~static_cast<uint64_t>(0);
      for (uint32_t lane = 0; lane < SAMPLE_LANES; lane++) {
        const uint64_t v = partial(t, lane, SAMPLE_LANES);
        best = v < best ? v : best;
      }
      out[t] = best;
    }
  }
};

}  // namespace gpu
}  // namespace ss
