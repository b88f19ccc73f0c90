// The `mc` and Sobol words drawn through cuRAND's device API (docs/design.md, "Randomness contract"):
//   mc:    curandStatePhilox4_32_10_t, curand_init(seed, subsequence = b + 2^32·STREAM_MC, offset), curand().
//          Uniform (b, i, d) is word d mod 4 of block i·2^32 + ⌊d/4⌋, i.e. offset 4·(i·2^32 + ⌊d/4⌋) + d mod 4
//          (past 2^64 for i ≥ 2^30: the excess goes through skipahead, see below):
//          curand_init puts the seed in the key (low, high), the subsequence in counter words 2-3 and the block
//          index in words 0-1, exactly philox_block(seed, STREAM_MC, b, ⌊d/4⌋, i) of native/core/philox.h.
//   Sobol: curandStateSobol32_t initialised from OUR Joe-Kuo direction integers (v + 32·d; no host library
//          call, no cuRAND table) at offset i: cuRAND's skip-ahead XORs the direction integers selected by the
//          Gray code i ^ (i >> 1), the core's sobol_int. The core's Owen scrambling is applied on top.
// Only the raw 32-bit words come from cuRAND; the mapping to (0, 1) and everything else is the core's.
// Compiled only with SS_HAVE_CURAND (headers found by CMake). With SS_CURAND_ON_HOST (host_test.cu) cuRAND's
// functions are compiled for the host too, so the host test proves these draws equal the core's.
#pragma once
#if defined(SS_HAVE_CURAND)

#if defined(SS_CURAND_ON_HOST)
#ifndef QUALIFIERS
#define QUALIFIERS static __forceinline__ __host__ __device__
#endif
#define SS_CURAND_FN __host__ __device__ inline
#else
#define SS_CURAND_FN __device__ __forceinline__
#endif

#include <curand_kernel.h>

#include "noise_quad.h"

namespace ss {
namespace gpu {

/** noise_quad_core with the `mc` Philox words and the raw Sobol integers drawn by cuRAND; same u, bit for bit. */
SS_CURAND_FN void noise_quad_curand(const SamplerConfig& c, const uint32_t* keys, uint32_t b, uint32_t i, uint32_t q,
                                    double* u) {
  const uint32_t j = c.antithetic ? i >> 1 : i;
  const uint32_t width = quad_width(c.dims, q);
  switch (c.sampler) {
    case SAMPLER_MC: {
      curandStatePhilox4_32_10_t st;
      const unsigned long long subsequence = static_cast<unsigned long long>(b) + (static_cast<unsigned long long>(STREAM_MC) << 32);
      // Block index j·2^32 + q, offset 4× that. The offset is 64-bit, so for j ≥ 2^29 the top bits of j go
      // through skipahead(2^63) = 2^61 blocks each (at most 7 calls, only for S ≥ 2^29 samples).
      const unsigned long long rest = (static_cast<unsigned long long>(j & 0x1fffffffu) << 32) + q;
      curand_init(static_cast<unsigned long long>(c.seed), subsequence, 4ull * rest, &st);
      for (uint32_t k = 0; k < (j >> 29); k++) skipahead(1ull << 63, &st);
      for (uint32_t w = 0; w < width; w++) u[w] = word_to_uniform(curand(&st));
      break;
    }
    case SAMPLER_SOBOL:
    case SAMPLER_RQMC_SOBOL:
      for (uint32_t w = 0; w < width; w++) {
        const uint32_t d = 4 * q + w;
        curandStateSobol32_t st;
        // curand_init copies the 32 direction integers of dimension d into the state and skips to point j.
        curand_init(const_cast<unsigned int*>(c.sobol_v + static_cast<uint64_t>(d) * SOBOL_BITS), j, &st);
        const uint32_t x = curand(&st);
        u[w] = c.sampler == SAMPLER_SOBOL ? static_cast<double>(x) * TWO_POW_M32 : word_to_uniform(owen_scramble(x, keys[d]));
      }
      break;
    default:
      noise_quad_core(c, keys, b, i, q, u);  // Latin and Cartesian: the core's streams (mirrored there)
      return;
  }
  if (c.antithetic && (i & 1u)) {
    for (uint32_t w = 0; w < width; w++) u[w] = 1.0 - u[w];
  }
}

}  // namespace gpu
}  // namespace ss

#endif  // SS_HAVE_CURAND
