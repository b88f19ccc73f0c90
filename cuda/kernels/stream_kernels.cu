// Launchers of the small kernels of stream_kernels.cuh (grid sizes, the user-box segment merge, the fault hook).
#include <cstring>

#include "kernels/stream_kernels.cuh"

namespace ss {
namespace gpu {

namespace {

/** Grid size for a grid-stride loop over `units`, at least 1 block, at most 65535·4. */
unsigned grid_for(uint64_t units, unsigned threads) {
  const uint64_t blocks = (units + threads - 1) / threads;
  return static_cast<unsigned>(blocks == 0 ? 1 : blocks > 262140 ? 262140 : blocks);
}

}  // namespace

cudaError_t launch_merge_items(const double* part, double* totals, uint64_t item0, uint32_t items, uint32_t items_per_b,
                               uint64_t total, cudaStream_t stream) {
  const uint64_t nb = (item0 + items - 1) / items_per_b - item0 / items_per_b + 1;
  merge_items_kernel<<<grid_for(nb * total, 256), 256, 0, stream>>>(part, totals, item0, items, items_per_b, total);
  return cudaGetLastError();
}

cudaError_t launch_batch_keys(const SamplerConfig& c, uint32_t b0, uint32_t nb, uint32_t key_words, uint32_t* keys,
                              cudaStream_t stream) {
  if (key_words == 0 || nb == 0) return cudaSuccess;
  batch_keys_kernel<<<grid_for(static_cast<uint64_t>(nb) * c.dims, 128), 128, 0, stream>>>(c, b0, nb, key_words, keys);
  return cudaGetLastError();
}

cudaError_t launch_user_noise(const FusedArgs& a, const TileView& tv, const uint32_t* keys, uint32_t b, uint32_t start,
                              uint32_t count, cudaStream_t stream) {
  user_noise_kernel<<<grid_for(static_cast<uint64_t>(count) * quads(a.n), 128), 128, 0, stream>>>(a, tv, keys, b, start, count);
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess || a.scale.kind != SCALE_MATRIX) return err;
  user_perturb_matrix_kernel<<<grid_for(static_cast<uint64_t>(count) * a.n, 128), 128, 0, stream>>>(a, tv, b, count);
  return cudaGetLastError();
}

cudaError_t launch_user_accumulate(const FusedArgs& a, const TileView& tv, uint32_t b, uint32_t count, double* part,
                                   double* totals_b, cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  const uint32_t segments = (count + USER_SEGMENT - 1) / USER_SEGMENT;
  user_accumulate_kernel<<<segments, BLOCK_THREADS, 0, stream>>>(a, tv, b, count, part);
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) return err;
  merge_segments_kernel<<<grid_for(a.L.total, 256), 256, 0, stream>>>(part, totals_b, segments, a.L.total);
  return cudaGetLastError();
}

cudaError_t launch_uniforms(const SamplerConfig& c, const uint32_t* keys, uint32_t b, uint32_t start, uint32_t count,
                            double* out, cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  uniforms_kernel<<<grid_for(static_cast<uint64_t>(count) * quads(c.dims), 128), 128, 0, stream>>>(c, keys, b, start, count, out);
  return cudaGetLastError();
}

cudaError_t launch_curand_check(const SamplerConfig& c, const uint32_t* keys, uint32_t b, uint32_t start, uint32_t count,
                                unsigned long long* result, cudaStream_t stream) {
  if (count == 0) return cudaSuccess;
  curand_check_kernel<<<grid_for(static_cast<uint64_t>(count) * quads(c.dims), 128), 128, 0, stream>>>(c, keys, b, start, count, result);
  return cudaGetLastError();
}

cudaError_t launch_fault(int kind, cudaStream_t stream) {
  if (kind == 1) {
    fault_kernel<<<1, 4096, 0, stream>>>(nullptr);  // more threads per block than any device allows
    return cudaGetLastError();
  }
  fault_kernel<<<1, 1, 0, stream>>>(nullptr);  // writes to address 0: cudaErrorIllegalAddress, sticky
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) return err;
  return cudaStreamSynchronize(stream);
}

bool built_with_curand() {
#if defined(SS_HAVE_CURAND)
  return true;
#else
  return false;
#endif
}

}  // namespace gpu
}  // namespace ss
