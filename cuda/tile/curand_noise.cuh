// The `mc` and Sobol words drawn through cuRAND's device API (docs/design.md, "Randomness contract"):
//   mc:    cuRAND's Philox4_32_10 block function (curand_Philox4x32_10), on the counter that
//          curand_init(seed, subsequence = b + 2^32·STREAM_MC, offset = 4·(i·2^32 + ⌊d/4⌋)) would set up:
//          uniform (b, i, d) is word d mod 4 of block i·2^32 + ⌊d/4⌋. curand_init puts the seed in the key (low,
//          high), the subsequence in counter words 2-3 and the block index in words 0-1, exactly
//          philox_block(seed, STREAM_MC, b, ⌊d/4⌋, i) of native/core/philox.h. One block per quad of dimensions.
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

#include "tile/noise_quad.h"

namespace ss {
namespace gpu {

/** noise_quad_core with the `mc` Philox words and the raw Sobol integers drawn by cuRAND; same u, bit for bit. */
SS_CURAND_FN void noise_quad_curand(const SamplerConfig& c, const uint32_t* keys, uint32_t b, uint32_t i, uint32_t q,
                                    double* u) {
  const uint32_t j = c.antithetic ? i >> 1 : i;
  const uint32_t width = quad_width(c.dims, q);
  switch (c.sampler) {
    case SAMPLER_MC: {
      // cuRAND's Philox4_32_10 block function on the counter curand_init(seed, b + 2^32·STREAM_MC, 4·(j·2^32 + q))
      // would set up: block index j·2^32 + q in words 0-1, the subsequence in words 2-3, the seed as the key.
      // Exactly ONE block per quad: curand_init computes a block at initialisation, the fourth curand() another
      // (unused), and offsets past 2^64 (j ≥ 2^30) needed skipahead calls that compute one more each.
      const uint4 ctr = make_uint4(q, j, b, STREAM_MC);
      const uint2 key = make_uint2(static_cast<unsigned int>(c.seed), static_cast<unsigned int>(c.seed >> 32));
      const uint4 words = curand_Philox4x32_10(ctr, key);
      const uint32_t w4[4] = {words.x, words.y, words.z, words.w};
      for (uint32_t w = 0; w < width; w++) u[w] = word_to_uniform(w4[w]);
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
