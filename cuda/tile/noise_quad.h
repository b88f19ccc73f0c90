// Noise of the CUDA backend, four dimensions at a time, from the core's generators (native/core/samplers.h).
//
// One Philox4x32-10 block yields the words of dimensions 4q..4q+3 of a row (the cuRAND layout of
// docs/design.md), so a work unit "quad" (sample i, dimensions 4q..4q+3) costs one block per stream, where the
// core's one-value sample_value costs one per dimension. Everything below is the core's arithmetic in the
// core's order (sample_value, case by case), so u is bit-identical to sample_row; host_test.cu checks it for
// every sampler, antithetic or not. The cuRAND draws for `mc` and Sobol (curand_noise.cuh) replace only the
// raw words and are checked against these.
#pragma once
#include <cstdint>

#include "block/exec.h"
#include "permutation.h"
#include "philox.h"
#include "samplers.h"
#include "scramble.h"
#include "sobol.h"

namespace ss {
namespace gpu {

/** Dimensions in quad q of a row of `dims`: min(4, dims − 4q). */
SSG_HD uint32_t quad_width(uint32_t dims, uint32_t q) {
  const uint32_t rest = dims - 4 * q;
  return rest < 4 ? rest : 4;
}

/** Quads per row: ⌈dims/4⌉. */
SSG_HD uint32_t quads(uint32_t dims) { return (dims >> 2) + ((dims & 3u) != 0); }

/** Base-k digit of dimension d of Cartesian cell j (cartesian_row / antithetic_cartesian_row in samplers.h). */
SSG_HD uint32_t cartesian_digit(const SamplerConfig& c, uint32_t j, uint32_t d) {
  const uint32_t k = c.cartesian_k;
  uint32_t digit;
  uint32_t rest;
  if (c.antithetic) {  // pair j: c_0 = j mod (k/2), the higher digits from ⌊j/(k/2)⌋ in base k
    const uint32_t h = k / 2;
    digit = j % h;
    rest = j / h;
  } else {
    digit = j % k;
    rest = j / k;
  }
  for (uint32_t e = 1; e <= d; e++) {
    digit = rest % k;
    rest /= k;
  }
  return digit;
}

/**
 * u(b, i, d) for d = 4q .. 4q + quad_width − 1 into u[0..width), from the core's generators: equal to
 * sample_row(c, keys, b, i, ·)[4q + w] bit for bit. `keys` = prepare_batch_keys(c, b, ·).
 */
SSG_HD void noise_quad_core(const SamplerConfig& c, const uint32_t* keys, uint32_t b, uint32_t i, uint32_t q,
                            double* u) {
  const uint32_t j = c.antithetic ? i >> 1 : i;
  const uint32_t width = quad_width(c.dims, q);
  const uint32_t k0 = seed_lo(c.seed), k1 = seed_hi(c.seed);
  uint32_t block[4];
  switch (c.sampler) {
    case SAMPLER_MC:
      philox4x32_10(q, j, b, STREAM_MC, k0, k1, block);
      for (uint32_t w = 0; w < width; w++) u[w] = word_to_uniform(block[w]);
      break;
    case SAMPLER_QMC_LATIN:
    case SAMPLER_RQMC_LATIN: {
      const bool jitter = c.sampler == SAMPLER_RQMC_LATIN;
      uint32_t flip[4] = {0, 0, 0, 0};
      if (jitter) philox4x32_10(q, j, b, STREAM_JITTER, k0, k1, block);
      if (c.antithetic) philox4x32_10(q, j, b, STREAM_ANTITHETIC_FLIP, k0, k1, flip);
      const double Sd = static_cast<double>(c.samples);
      for (uint32_t w = 0; w < width; w++) {
        const uint32_t d = 4 * q + w;
        const uint32_t* kd = keys + static_cast<uint64_t>(d) * PERMUTATION_KEY_WORDS;
        uint32_t r;
        if (c.antithetic) {
          const uint32_t p = permute(j, c.samples / 2, kd);
          r = (flip[w] >> 31) == 1u ? c.samples - 1u - p : p;
        } else {
          r = permute(j, c.samples, kd);
        }
        const double U = jitter ? word_to_uniform(block[w]) : 0.5;
        u[w] = (static_cast<double>(r) + U) / Sd;
      }
      break;
    }
    case SAMPLER_RQMC_CARTESIAN: {
      philox4x32_10(q, j, b, STREAM_JITTER, k0, k1, block);
      const double kd = static_cast<double>(c.cartesian_k);
      for (uint32_t w = 0; w < width; w++) {
        const uint32_t digit = cartesian_digit(c, j, 4 * q + w);
        u[w] = (static_cast<double>(digit) + word_to_uniform(block[w])) / kd;
      }
      break;
    }
    case SAMPLER_SOBOL:
      for (uint32_t w = 0; w < width; w++) u[w] = sobol_point(c.sobol_v, j, 4 * q + w);
      break;
    case SAMPLER_RQMC_SOBOL:
      for (uint32_t w = 0; w < width; w++) {
        const uint32_t d = 4 * q + w;
        u[w] = word_to_uniform(owen_scramble(sobol_int(c.sobol_v, j, d), keys[d]));
      }
      break;
    default:
      for (uint32_t w = 0; w < width; w++) u[w] = NAN;
      break;
  }
  if (c.antithetic && (i & 1u)) {
    for (uint32_t w = 0; w < width; w++) u[w] = 1.0 - u[w];  // exact: the mirror of the pair
  }
}

/** Key words of dimension d for batch element b (one slice of prepare_batch_keys), into out (the row of b). */
SSG_HD void batch_keys_dim(const SamplerConfig& c, uint32_t b, uint32_t d, uint32_t* out) {
  switch (c.sampler) {
    case SAMPLER_QMC_LATIN:
    case SAMPLER_RQMC_LATIN:
      for (uint32_t q = 0; q < PERMUTATION_KEY_WORDS / 4; q++) {
        philox_block(c.seed, STREAM_LATIN_KEY, b, d, q, out + static_cast<uint64_t>(d) * PERMUTATION_KEY_WORDS + 4 * q);
      }
      break;
    case SAMPLER_RQMC_SOBOL: {
      uint32_t block[4];
      philox_block(c.seed, STREAM_SOBOL_SCRAMBLE, b, d >> 2, 0, block);
      out[d] = block[d & 3u];
      break;
    }
    default:
      break;
  }
}

}  // namespace gpu
}  // namespace ss
