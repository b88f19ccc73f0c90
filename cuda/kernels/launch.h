// Host-callable entry points of the CUDA kernels (defined in the .cu files). Plain C++ plus the CUDA runtime
// API header, so the host engine (cuda_engine.cc) and the kernels meet here and nowhere else.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "tile/args.h"

namespace ss {
namespace gpu {

/** Threads per block of every tile kernel (8 warps). */
constexpr uint32_t BLOCK_THREADS = 256;
/** Samples per block of the user-box accumulation (its per-sample scalars live in static shared memory). */
constexpr uint32_t USER_SEGMENT = 1024;

/** One fused kernel instantiation (one built-in box). */
struct FusedLauncher {
  /** Allow `smem` bytes of dynamic shared memory (above 48 KiB needs an opt-in) and report resident blocks/SM. */
  cudaError_t (*configure)(size_t smem, int* blocks_per_sm);
  /** One block per work item a.item0 .. a.item0 + items − 1. */
  cudaError_t (*launch)(const FusedArgs& a, uint32_t items, size_t smem, cudaStream_t stream);
};

FusedLauncher fused_launcher_permutation();  // fused_sort.cu
FusedLauncher fused_launcher_ranks();        // fused_sort.cu
FusedLauncher fused_launcher_topk();         // fused_sort.cu
FusedLauncher fused_launcher_argmax();       // fused_path.cu
FusedLauncher fused_launcher_path();         // fused_path.cu

/** totals[b] += partials of the launch's items of b, in item order (the CPU engine's merge order). */
cudaError_t launch_merge_items(const double* part, double* totals, uint64_t item0, uint32_t items, uint32_t items_per_b,
                               uint64_t total, cudaStream_t stream);
/** Sampler key words of batch elements b0 .. b0 + nb − 1 (prepare_batch_keys), key_words each. */
cudaError_t launch_batch_keys(const SamplerConfig& c, uint32_t b0, uint32_t nb, uint32_t key_words, uint32_t* keys,
                              cudaStream_t stream);
/** User boxes: noise rows start .. start + count − 1 of b into the chunk buffers of `tv` (z, s, e). */
cudaError_t launch_user_noise(const FusedArgs& a, const TileView& tv, const uint32_t* keys, uint32_t b, uint32_t start,
                              uint32_t count, cudaStream_t stream);
/** User boxes: accumulate count evaluated rows (tv.f, tv.s, tv.e) of b into totals_b (L.total doubles). */
cudaError_t launch_user_accumulate(const FusedArgs& a, const TileView& tv, uint32_t b, uint32_t count, double* part,
                                   double* totals_b, cudaStream_t stream);
/** Raw uniforms u(b, start + r, d) into out (count × dims doubles). */
cudaError_t launch_uniforms(const SamplerConfig& c, const uint32_t* keys, uint32_t b, uint32_t start, uint32_t count,
                            double* out, cudaStream_t stream);
/**
 * cuRAND's draws against the core's generators for rows start .. start + count − 1 of b: result[0] += bitwise
 * mismatches, result[1] = min(result[1], first mismatching row·dims + d). No-op without cuRAND.
 */
cudaError_t launch_curand_check(const SamplerConfig& c, const uint32_t* keys, uint32_t b, uint32_t start, uint32_t count,
                                unsigned long long* result, cudaStream_t stream);
/** Test hook: 1 = a launch with an invalid configuration (recoverable), 2 = an illegal address (sticky). */
cudaError_t launch_fault(int kind, cudaStream_t stream);
/** Whether the kernels draw `mc` and Sobol words through cuRAND (built with its headers). */
bool built_with_curand();

}  // namespace gpu
}  // namespace ss
