// The fused estimator kernel: one block per work item, the body is run_item of tile.h on the device executor.
// Instantiated per built-in box (fused_sort.cu, fused_path.cu) so each box gets only its own code and registers.
#pragma once
#include "device_exec.cuh"
#include "launch.h"
#include "tile.h"

namespace ss {
namespace gpu {

template <int BOX>
__global__ void __launch_bounds__(BLOCK_THREADS) fused_kernel(const FusedArgs a) {
  // Tile workspace: dynamic shared memory, or a per-block slice of global memory when one tile does not fit
  // (huge n): the same code either way, __syncthreads orders global accesses within a block as well.
  extern __shared__ __align__(16) char smem[];
  char* ws = a.gws != nullptr ? a.gws + static_cast<uint64_t>(blockIdx.x) * a.shape.bytes : smem;
  DeviceExec ex;
  run_item<BOX>(ex, a, ws, blockIdx.x);
}

template <int BOX>
cudaError_t fused_configure(size_t smem, int* blocks_per_sm) {
  cudaError_t err = cudaSuccess;
  if (smem > 48 * 1024) err = cudaFuncSetAttribute(fused_kernel<BOX>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem));
  if (err != cudaSuccess) return err;
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
