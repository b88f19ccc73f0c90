// Host side of the fused kernels (fused_kernel.cuh): shared-memory opt-in, occupancy and the launch, per box.
#pragma once
#include <mutex>

#include "kernels/fused_kernel.cuh"
#include "kernels/launch.h"

namespace ss {
namespace gpu {

static_assert(FUSED_BLOCK_THREADS == BLOCK_THREADS, "the fused kernel's launch bounds are the launch's block size");

/**
 * The kernel's dynamic shared-memory limit, raised ONCE per process to the device's opt-in maximum minus the
 * kernel's static shared memory. Setting it per job (to that job's size) raced: two concurrent jobs of one box
 * with different sizes could each lower the attribute under the other's launch. Returns the limit (0 and the
 * error on failure; the error repeats on every later call, so no job runs with an unknown limit).
 */
template <int BOX>
cudaError_t fused_smem_limit(size_t* limit) {
  static std::once_flag once;
  static cudaError_t err = cudaSuccess;
  static size_t max_dynamic = 0;
  std::call_once(once, [] {
    cudaFuncAttributes attr{};
    int device = 0, optin = 0;
    err = cudaFuncGetAttributes(&attr, fused_kernel<BOX>);
    if (err == cudaSuccess) err = cudaGetDevice(&device);
    if (err == cudaSuccess) err = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device);
    if (err == cudaSuccess) {
      max_dynamic = static_cast<size_t>(optin) > attr.sharedSizeBytes ? static_cast<size_t>(optin) - attr.sharedSizeBytes : 0;
      err = cudaFuncSetAttribute(fused_kernel<BOX>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(max_dynamic));
    }
  });
  *limit = err == cudaSuccess ? max_dynamic : 0;
  return err;
}

template <int BOX>
cudaError_t fused_configure(size_t smem, int* blocks_per_sm) {
  size_t limit = 0;
  const cudaError_t err = fused_smem_limit<BOX>(&limit);
  if (err != cudaSuccess) return err;
  if (smem > limit) return cudaErrorInvalidValue;  // choose_tile keeps tiles below the opt-in maximum
  return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks_per_sm, fused_kernel<BOX>, BLOCK_THREADS, smem);
}

template <int BOX>
cudaError_t fused_launch(const FusedArgs& a, uint32_t items, size_t smem, cudaStream_t stream) {
  fused_kernel<BOX><<<items, BLOCK_THREADS, smem, stream>>>(a);
  return cudaGetLastError();
}

template <int BOX>
FusedLauncher make_fused_launcher() {
  return FusedLauncher{&fused_configure<BOX>, &fused_launch<BOX>};
}

}  // namespace gpu
}  // namespace ss
