// The fused estimator kernel: one block per work item, the body is run_item of tile/item.h on the device executor.
// Instantiated per built-in box (fused_sort.cu, fused_path.cu, through fused_launch.cuh) so each box gets only
// its own code and registers. Kernel only: the SIMT test (cuda/test/simt_test.cc) compiles this file with the
// host compiler and launches it on the emulator.
#pragma once
#include "block/device_exec.cuh"
#include "tile/item.h"

namespace ss {
namespace gpu {

/** Threads per block of every tile kernel (8 warps); launch.h's BLOCK_THREADS is this value. */
constexpr uint32_t FUSED_BLOCK_THREADS = 256;

/**
 * Resident blocks per SM the register allocation must allow. Without it ptxas alternated between ~110
 * registers (2 blocks) and 80 registers (3 blocks) with spills, build by build (cuda/README.md, "Occupancy");
 * stating 2 lets it keep the working set in registers.
 */
constexpr int FUSED_MIN_BLOCKS_PER_SM = 2;

template <int BOX>
__global__ void __launch_bounds__(FUSED_BLOCK_THREADS, FUSED_MIN_BLOCKS_PER_SM) fused_kernel(const FusedArgs a) {
  // Tile workspace: dynamic shared memory, or a per-block slice of global memory when one tile does not fit
  // (huge n): the same code either way, __syncthreads orders global accesses within a block as well.
#if defined(SS_SIMT)
  char* smem = ::simt::dynamic_shared();
#else
  extern __shared__ __align__(16) char smem[];
#endif
  char* ws = a.gws != nullptr ? a.gws + static_cast<uint64_t>(blockIdx.x) * a.shape.bytes : smem;
  DeviceExec ex;
  run_item<BOX>(ex, a, ws, blockIdx.x);
}

}  // namespace gpu
}  // namespace ss
