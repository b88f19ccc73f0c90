// The six samplers of u ∈ (0,1)^{S×n} (docs/design.md, "Randomness contract"; docs/method.md §3). Mirrors
// lib/samplers.ts: every value is a pure function of (seed, sampler, S, n, b, i, d), bit-identical to the TS.
//
// Use: the host validates the options (validateSamplerSpec in TS; sampler_config_valid here is a cheap
// re-check), computes the Cartesian side k and the Sobol direction numbers, then per batch element b calls
// prepare_batch_keys once (batch_key_words(c) words) and sample_row for any rows, in any order.
// Antithetic pairs live inside each sampler: rows 2j and 2j+1 form pair j, and row 2j+1 = 1 − row 2j (exact).
#ifndef SS_CORE_SAMPLERS_H
#define SS_CORE_SAMPLERS_H

#include "hd.h"
#include "permutation.h"
#include "philox.h"
#include "scramble.h"
#include "sobol.h"

namespace ss {

/** The samplers, in the order of SAMPLER_NAMES in lib/samplers.ts. */
enum SamplerKind : int {
  SAMPLER_MC = 0,              // 'mc'
  SAMPLER_QMC_LATIN = 1,       // 'qmc-latin'
  SAMPLER_RQMC_LATIN = 2,      // 'rqmc-latin'
  SAMPLER_RQMC_CARTESIAN = 3,  // 'rqmc-cartesian'
  SAMPLER_SOBOL = 4,           // 'sobol'
  SAMPLER_RQMC_SOBOL = 5,      // 'rqmc-sobol'
};
constexpr int SAMPLER_COUNT = 6;

/** SamplerSpec plus what the host precomputes once (createSampler in TS). */
struct SamplerConfig {
  int sampler;              // a SamplerKind
  uint32_t samples;         // S, 1 ≤ S < 2³² (even when antithetic)
  uint32_t dims;            // n ≥ 1
  uint64_t seed;            // < 2⁵³ in the TS API; key = (low, high) 32-bit words
  bool antithetic;
  uint32_t cartesian_k;     // rqmc-cartesian: k ≥ 2 with k^dims == samples (even when antithetic), else unused
  const uint32_t* sobol_v;  // sobol / rqmc-sobol: dims·32 direction integers v[d·32 + j], else may be null
};

/** k^n, or 2³² once it exceeds 2³² − 1 (ipow in TS, saturating instead of Infinity). */
SS_HD uint64_t cartesian_power(uint32_t k, uint32_t n) {
  uint64_t r = 1;
  for (uint32_t i = 0; i < n; i++) {
    r *= k;
    if (r > 0xffffffffull) return 0x100000000ull;
  }
  return r;
}

/**
 * The grid side k of rqmc-cartesian, k ≥ 2 with k^dims == samples, or 0 when there is none (validateCartesian in
 * TS, which also names the nearest valid counts; the host reports errors, this only computes). Integer-only.
 */
SS_HD uint32_t cartesian_side(uint32_t samples, uint32_t dims) {
  if (dims == 0 || cartesian_power(2, dims) > samples) return 0;
  // Bisection for the largest k with k^dims ≤ samples; k ≤ samples because dims ≥ 1.
  uint32_t lo = 2, hi = samples;
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo + 1) / 2;
    if (cartesian_power(mid, dims) <= samples) lo = mid; else hi = mid - 1;
  }
  return cartesian_power(lo, dims) == samples ? lo : 0;
}

/**
 * The preconditions sample_row relies on (validateSamplerSpec guarantees them on the TS side); false means the
 * host made a mistake, never a user error to report as such. Not per sample: call once per configuration.
 */
SS_HD bool sampler_config_valid(const SamplerConfig& c) {
  if (c.sampler < 0 || c.sampler >= SAMPLER_COUNT || c.samples == 0 || c.dims == 0) return false;
  if (c.antithetic && (c.samples & 1u)) return false;
  if ((c.sampler == SAMPLER_QMC_LATIN || c.sampler == SAMPLER_RQMC_LATIN) && c.dims > 0xffffffffu / PERMUTATION_KEY_WORDS) {
    return false;  // batch_key_words must fit in 32 bits
  }
  if (c.sampler == SAMPLER_RQMC_CARTESIAN) {
    if (c.cartesian_k < 2 || cartesian_power(c.cartesian_k, c.dims) != c.samples) return false;
    if (c.antithetic && (c.cartesian_k & 1u)) return false;
  }
  if ((c.sampler == SAMPLER_SOBOL || c.sampler == SAMPLER_RQMC_SOBOL) && (c.sobol_v == nullptr || c.dims > SOBOL_MAX_DIMS)) {
    return false;
  }
  return true;
}

/**
 * Per-batch-element key words the sampler needs (in 64 bits: size host buffers with this one): Latin (either, antithetic or not) 16 per dimension for the
 * permutations (latinKeys), rqmc-sobol 1 Owen scrambling key per dimension (scrambleKeys), the others 0.
 */
SS_HD uint64_t batch_key_words64(const SamplerConfig& c) {
  switch (c.sampler) {
    case SAMPLER_QMC_LATIN:
    case SAMPLER_RQMC_LATIN: return static_cast<uint64_t>(PERMUTATION_KEY_WORDS) * c.dims;  // 16·n: wraps in 32 bits past n = 2^28
    case SAMPLER_RQMC_SOBOL: return c.dims;
    default: return 0;
  }
}

/** batch_key_words64 as the 32-bit count the kernels index with: only for a config sampler_config_valid accepts. */
SS_HD uint32_t batch_key_words(const SamplerConfig& c) { return static_cast<uint32_t>(batch_key_words64(c)); }

/** Fills the batch_key_words(c) words for batch element b: the same words as TS latinKeys / scrambleKeys. */
SS_HD void prepare_batch_keys(const SamplerConfig& c, uint32_t b, uint32_t* keys) {
  switch (c.sampler) {
    case SAMPLER_QMC_LATIN:
    case SAMPLER_RQMC_LATIN: latin_keys(c.seed, b, c.dims, keys); break;
    case SAMPLER_RQMC_SOBOL: scramble_keys(c.seed, b, c.dims, keys); break;
    default: break;
  }
}

namespace detail {

/** Philox blocks per row: ⌈dims/4⌉ without overflowing near dims = 2³². */
SS_HD uint32_t row_blocks(uint32_t dims) { return (dims >> 2) + ((dims & 3u) != 0); }
/** Words of block q used by a row of dims values. */
SS_HD uint32_t block_words(uint32_t dims, uint32_t q) { return dims - 4 * q < 4 ? dims - 4 * q : 4; }

/** Philox uniforms of `stream` at (b, i, d) for d < dims: word d mod 4 of block (⌊d/4⌋, i) (philoxRow in TS). */
SS_HD void philox_row(uint64_t seed, uint32_t stream, uint32_t b, uint32_t i, uint32_t dims, double* out) {
  const uint32_t k0 = seed_lo(seed), k1 = seed_hi(seed);
  const uint32_t blocks = row_blocks(dims);
  uint32_t block[4];
  for (uint32_t q = 0; q < blocks; q++) {
    philox4x32_10(q, i, b, stream, k0, k1, block);
    const uint32_t n = block_words(dims, q);
    for (uint32_t w = 0; w < n; w++) out[4 * q + w] = word_to_uniform(block[w]);
  }
}

/** Latin row i: u_id = (π_d(i) + U_id)/S, U = ½ (qmc) or the jitter stream at (b, i, d) (latinRows in TS). */
SS_HD void latin_row(const SamplerConfig& c, const uint32_t* keys, uint32_t b, uint32_t i, bool jitter, double* out) {
  const double S = static_cast<double>(c.samples);
  if (jitter) philox_row(c.seed, STREAM_JITTER, b, i, c.dims, out);
  for (uint32_t d = 0; d < c.dims; d++) {
    const double U = jitter ? out[d] : 0.5;
    const uint32_t p = permute(i, c.samples, keys + static_cast<uint64_t>(d) * PERMUTATION_KEY_WORDS);
    out[d] = (static_cast<double>(p) + U) / S;
  }
}

/**
 * Antithetic Latin pair j (antitheticLatinRows in TS): p = π'_d(j) permutes {0..S/2−1}; the flip bit (top bit of
 * word d mod 4 of block (⌊d/4⌋, j), stream STREAM_ANTITHETIC_FLIP) picks the base stratum r = p or S−1−p, and
 * the mirror row 1 − u lands in S−1−r, so every stratum is hit once per dimension.
 */
SS_HD void antithetic_latin_row(const SamplerConfig& c, const uint32_t* keys, uint32_t b, uint32_t j, bool jitter,
                                double* out) {
  const uint32_t S = c.samples;
  const uint32_t half = S / 2;
  const double Sd = static_cast<double>(S);
  const uint32_t k0 = seed_lo(c.seed), k1 = seed_hi(c.seed);
  const uint32_t blocks = row_blocks(c.dims);
  uint32_t flip[4];
  uint32_t jit[4];
  for (uint32_t q = 0; q < blocks; q++) {
    philox4x32_10(q, j, b, STREAM_ANTITHETIC_FLIP, k0, k1, flip);
    if (jitter) philox4x32_10(q, j, b, STREAM_JITTER, k0, k1, jit);
    const uint32_t n = block_words(c.dims, q);
    for (uint32_t w = 0; w < n; w++) {
      const uint32_t d = 4 * q + w;
      const uint32_t p = permute(j, half, keys + static_cast<uint64_t>(d) * PERMUTATION_KEY_WORDS);
      const uint32_t r = (flip[w] >> 31) == 1u ? S - 1u - p : p;
      const double U = jitter ? word_to_uniform(jit[w]) : 0.5;
      out[d] = (static_cast<double>(r) + U) / Sd;
    }
  }
}

/** Cartesian row i, S = k^n: cell i with base-k digits c_d (d = 0 least significant), u = (c_d + U)/k (cartesianRows). */
SS_HD void cartesian_row(const SamplerConfig& c, uint32_t b, uint32_t i, double* out) {
  const uint32_t k = c.cartesian_k;
  const double kd = static_cast<double>(k);
  philox_row(c.seed, STREAM_JITTER, b, i, c.dims, out);
  uint32_t rest = i;
  for (uint32_t d = 0; d < c.dims; d++) {
    const uint32_t digit = rest % k;
    rest /= k;
    out[d] = (static_cast<double>(digit) + out[d]) / kd;
  }
}

/**
 * Antithetic Cartesian pair j, k even (antitheticCartesianRows): the cell with c_0 = j mod (k/2) < k/2 and the
 * higher digits from ⌊j/(k/2)⌋ in base k; the mirror row 1 − u is the cell k−1−c in every coordinate.
 */
SS_HD void antithetic_cartesian_row(const SamplerConfig& c, uint32_t b, uint32_t j, double* out) {
  const uint32_t k = c.cartesian_k;
  const uint32_t h = k / 2;
  const double kd = static_cast<double>(k);
  philox_row(c.seed, STREAM_JITTER, b, j, c.dims, out);
  const uint32_t c0 = j % h;
  uint32_t rest = j / h;
  out[0] = (static_cast<double>(c0) + out[0]) / kd;
  for (uint32_t d = 1; d < c.dims; d++) {
    const uint32_t digit = rest % k;
    rest /= k;
    out[d] = (static_cast<double>(digit) + out[d]) / kd;
  }
}

/** Plain Sobol point i, the same for every b and seed (sobolRows); point 0 is the origin. */
SS_HD void sobol_row(const SamplerConfig& c, uint32_t i, double* out) {
  for (uint32_t d = 0; d < c.dims; d++) out[d] = sobol_point(c.sobol_v, i, d);
}

/** Owen-scrambled Sobol point i, centred in the finest cell: u = (scrambled + ½)·2⁻³² ∈ (0, 1) (scrambledSobolRows). */
SS_HD void scrambled_sobol_row(const SamplerConfig& c, const uint32_t* keys, uint32_t i, double* out) {
  for (uint32_t d = 0; d < c.dims; d++) out[d] = word_to_uniform(owen_scramble(sobol_int(c.sobol_v, i, d), keys[d]));
}

/** Base row j of batch element b: sample j, or pair j when antithetic (the RowFn of createSampler in TS). */
SS_HD void base_row(const SamplerConfig& c, const uint32_t* keys, uint32_t b, uint32_t j, double* out) {
  switch (c.sampler) {
    case SAMPLER_MC: philox_row(c.seed, STREAM_MC, b, j, c.dims, out); break;
    case SAMPLER_QMC_LATIN:
    case SAMPLER_RQMC_LATIN: {
      const bool jitter = c.sampler == SAMPLER_RQMC_LATIN;
      if (c.antithetic) antithetic_latin_row(c, keys, b, j, jitter, out);
      else latin_row(c, keys, b, j, jitter, out);
      break;
    }
    case SAMPLER_RQMC_CARTESIAN:
      if (c.antithetic) antithetic_cartesian_row(c, b, j, out);
      else cartesian_row(c, b, j, out);
      break;
    case SAMPLER_SOBOL: sobol_row(c, j, out); break;
    case SAMPLER_RQMC_SOBOL: scrambled_sobol_row(c, keys, j, out); break;
    default: break;
  }
}

}  // namespace detail

/**
 * Row i (0 ≤ i < samples) of batch element b, all dims values into out[0..dims), exactly as TS
 * createSampler(spec).fill(b, i, 1, out). `keys` = prepare_batch_keys(c, b, ·) (may be null when
 * batch_key_words(c) is 0). Antithetic: row i is pair j = ⌊i/2⌋, and odd rows are the mirror 1 − u (exact).
 */
SS_HD void sample_row(const SamplerConfig& c, const uint32_t* keys, uint32_t b, uint32_t i, double* out) {
  if (!c.antithetic) {
    detail::base_row(c, keys, b, i, out);
    return;
  }
  detail::base_row(c, keys, b, i >> 1, out);
  if (i & 1u) {
    for (uint32_t d = 0; d < c.dims; d++) out[d] = 1.0 - out[d];
  }
}

/** uint32 words of scratch sample_block needs for `count` rows. */
SS_HD uint64_t sample_block_scratch_words(uint32_t count) { return 5 * static_cast<uint64_t>(count); }

namespace detail {

/**
 * Philox uniforms of `stream` for rows j0 + r, r < count, column-major: out[d·ld + r] = word_to_uniform(word d mod 4
 * of block (⌊d/4⌋, j0 + r)), i.e. philox_row(seed, stream, b, j0 + r, dims, ·)[d]. `words` = 4·count scratch.
 */
SS_HD void philox_block_columns(uint64_t seed, uint32_t stream, uint32_t b, uint32_t j0, uint32_t count, uint32_t dims,
                                double* out, uint64_t ld, uint32_t* words) {
  const uint32_t k0 = seed_lo(seed), k1 = seed_hi(seed);
  const uint32_t blocks = row_blocks(dims);
  uint32_t* w[4] = {words, words + count, words + 2 * static_cast<uint64_t>(count), words + 3 * static_cast<uint64_t>(count)};
  for (uint32_t q = 0; q < blocks; q++) {
    philox4x32_10_rows(q, j0, b, stream, k0, k1, count, w[0], w[1], w[2], w[3]);
    const uint32_t n = block_words(dims, q);
    for (uint32_t k = 0; k < n; k++) {
      double* col = out + static_cast<uint64_t>(4 * q + k) * ld;
      const uint32_t* src = w[k];
      for (uint32_t r = 0; r < count; r++) col[r] = word_to_uniform(src[r]);
    }
  }
}

/**
 * Base rows j0 .. j0 + count − 1 (samples, or pairs when antithetic), column-major: out[d·ld + r] =
 * base_row(c, keys, b, j0 + r, ·)[d], bit for bit. `scratch` = sample_block_scratch_words(count) words.
 */
SS_HD void base_block(const SamplerConfig& c, const uint32_t* keys, uint32_t b, uint32_t j0, uint32_t count, double* out,
                      uint64_t ld, uint32_t* scratch) {
  const uint32_t dims = c.dims;
  switch (c.sampler) {
    case SAMPLER_MC: philox_block_columns(c.seed, STREAM_MC, b, j0, count, dims, out, ld, scratch); break;
    case SAMPLER_QMC_LATIN:
    case SAMPLER_RQMC_LATIN: {
      const bool jitter = c.sampler == SAMPLER_RQMC_LATIN;
      uint32_t* perm = scratch + 4 * static_cast<uint64_t>(count);
      if (jitter) philox_block_columns(c.seed, STREAM_JITTER, b, j0, count, dims, out, ld, scratch);
      if (!c.antithetic) {
        const double S = static_cast<double>(c.samples);
        for (uint32_t d = 0; d < dims; d++) {
          permute_rows(j0, count, c.samples, keys + static_cast<uint64_t>(d) * PERMUTATION_KEY_WORDS, perm);
          double* col = out + static_cast<uint64_t>(d) * ld;
          if (jitter) {
            for (uint32_t r = 0; r < count; r++) col[r] = (static_cast<double>(perm[r]) + col[r]) / S;
          } else {
            for (uint32_t r = 0; r < count; r++) col[r] = (static_cast<double>(perm[r]) + 0.5) / S;
          }
        }
      } else {
        // antithetic_latin_row: stratum p of {0..S/2−1}, flipped to S−1−p by the top bit of the flip word.
        const uint32_t S = c.samples;
        const uint32_t half = S / 2;
        const double Sd = static_cast<double>(S);
        const uint32_t k0 = seed_lo(c.seed), k1 = seed_hi(c.seed);
        uint32_t* w[4] = {scratch, scratch + count, scratch + 2 * static_cast<uint64_t>(count), scratch + 3 * static_cast<uint64_t>(count)};
        // The jitter columns are already in `out`; the flip words go through the scratch, one block at a time.
        for (uint32_t q = 0; q < row_blocks(dims); q++) {
          philox4x32_10_rows(q, j0, b, STREAM_ANTITHETIC_FLIP, k0, k1, count, w[0], w[1], w[2], w[3]);
          const uint32_t n = block_words(dims, q);
          for (uint32_t k = 0; k < n; k++) {
            const uint32_t d = 4 * q + k;
            permute_rows(j0, count, half, keys + static_cast<uint64_t>(d) * PERMUTATION_KEY_WORDS, perm);
            double* col = out + static_cast<uint64_t>(d) * ld;
            const uint32_t* flip = w[k];
            for (uint32_t r = 0; r < count; r++) {
              const uint32_t p = perm[r];
              const uint32_t st = (flip[r] >> 31) == 1u ? S - 1u - p : p;
              const double U = jitter ? col[r] : 0.5;
              col[r] = (static_cast<double>(st) + U) / Sd;
            }
          }
        }
      }
      break;
    }
    case SAMPLER_RQMC_CARTESIAN: {
      const uint32_t k = c.cartesian_k;
      const double kd = static_cast<double>(k);
      philox_block_columns(c.seed, STREAM_JITTER, b, j0, count, dims, out, ld, scratch);
      for (uint32_t r = 0; r < count; r++) {
        const uint32_t j = j0 + r;
        uint32_t rest = j;
        uint32_t d0 = 0;
        if (c.antithetic) {  // antithetic_cartesian_row: c_0 = j mod (k/2), higher digits from ⌊j/(k/2)⌋
          const uint32_t h = k / 2;
          out[r] = (static_cast<double>(j % h) + out[r]) / kd;
          rest = j / h;
          d0 = 1;
        }
        for (uint32_t d = d0; d < dims; d++) {
          const uint32_t digit = rest % k;
          rest /= k;
          double* v = out + static_cast<uint64_t>(d) * ld + r;
          *v = (static_cast<double>(digit) + *v) / kd;
        }
      }
      break;
    }
    case SAMPLER_SOBOL:
      for (uint32_t d = 0; d < dims; d++)
        for (uint32_t r = 0; r < count; r++) out[static_cast<uint64_t>(d) * ld + r] = sobol_point(c.sobol_v, j0 + r, d);
      break;
    case SAMPLER_RQMC_SOBOL:
      for (uint32_t d = 0; d < dims; d++)
        for (uint32_t r = 0; r < count; r++)
          out[static_cast<uint64_t>(d) * ld + r] = word_to_uniform(owen_scramble(sobol_int(c.sobol_v, j0 + r, d), keys[d]));
      break;
    default: break;
  }
}

}  // namespace detail

/**
 * Rows i0 .. i0 + count − 1 of batch element b, column-major (an extension for the CPU backend, which computes
 * a block of rows per dimension so that the Philox rounds, the Latin mixing and the conversions vectorise):
 * out[d·ld + r] == sample_row(c, keys, b, i0 + r, ·)[d] bit for bit, for r < count ≤ ld, d < dims.
 * i0 + count ≤ samples. `scratch` holds sample_block_scratch_words(count) uint32 words.
 */
SS_HD void sample_block(const SamplerConfig& c, const uint32_t* keys, uint32_t b, uint32_t i0, uint32_t count, double* out,
                        uint64_t ld, uint32_t* scratch) {
  if (count == 0) return;
  if (!c.antithetic) {
    detail::base_block(c, keys, b, i0, count, out, ld, scratch);
    return;
  }
  // Pairs j0 .. j1 cover the rows; their base rows go to the front of each column, then each column is expanded
  // in place from the back (row r reads pair slot (i0 + r)/2 − j0 ≤ r, not yet overwritten).
  const uint32_t j0 = i0 >> 1;
  const uint32_t j1 = (i0 + count - 1) >> 1;
  detail::base_block(c, keys, b, j0, j1 - j0 + 1, out, ld, scratch);
  for (uint32_t d = 0; d < c.dims; d++) {
    double* col = out + static_cast<uint64_t>(d) * ld;
    for (uint32_t r = count; r-- > 0;) {
      const uint32_t i = i0 + r;
      const double v = col[(i >> 1) - j0];
      col[r] = (i & 1u) ? 1.0 - v : v;
    }
  }
}

/**
 * One value u(b, i, d), equal to sample_row(c, keys, b, i, ·)[d] (an extension for one-thread-per-value
 * kernels; sample_row is cheaper per value when a whole row is needed: it shares Philox blocks and digits).
 */
SS_HD double sample_value(const SamplerConfig& c, const uint32_t* keys, uint32_t b, uint32_t i, uint32_t d) {
  const uint32_t j = c.antithetic ? i >> 1 : i;
  const uint32_t k0 = seed_lo(c.seed), k1 = seed_hi(c.seed);
  uint32_t block[4];
  double u = 0.0;
  switch (c.sampler) {
    case SAMPLER_MC:
      philox4x32_10(d >> 2, j, b, STREAM_MC, k0, k1, block);
      u = word_to_uniform(block[d & 3u]);
      break;
    case SAMPLER_QMC_LATIN:
    case SAMPLER_RQMC_LATIN: {
      const bool jitter = c.sampler == SAMPLER_RQMC_LATIN;
      double U = 0.5;
      if (jitter) {
        philox4x32_10(d >> 2, j, b, STREAM_JITTER, k0, k1, block);
        U = word_to_uniform(block[d & 3u]);
      }
      const uint32_t* kd = keys + static_cast<uint64_t>(d) * PERMUTATION_KEY_WORDS;
      uint32_t r;
      if (c.antithetic) {
        const uint32_t p = permute(j, c.samples / 2, kd);
        philox4x32_10(d >> 2, j, b, STREAM_ANTITHETIC_FLIP, k0, k1, block);
        r = (block[d & 3u] >> 31) == 1u ? c.samples - 1u - p : p;
      } else {
        r = permute(j, c.samples, kd);
      }
      u = (static_cast<double>(r) + U) / static_cast<double>(c.samples);
      break;
    }
    case SAMPLER_RQMC_CARTESIAN: {
      const uint32_t k = c.cartesian_k;
      philox4x32_10(d >> 2, j, b, STREAM_JITTER, k0, k1, block);
      const double U = word_to_uniform(block[d & 3u]);
      uint32_t digit;
      uint32_t rest;
      if (c.antithetic) {
        const uint32_t h = k / 2;
        digit = j % h;
        rest = j / h;
        for (uint32_t e = 1; e <= d; e++) {
          digit = rest % k;
          rest /= k;
        }
      } else {
        rest = j;
        digit = rest % k;
        rest /= k;
        for (uint32_t e = 1; e <= d; e++) {
          digit = rest % k;
          rest /= k;
        }
      }
      u = (static_cast<double>(digit) + U) / static_cast<double>(k);
      break;
    }
    case SAMPLER_SOBOL: u = sobol_point(c.sobol_v, j, d); break;
    case SAMPLER_RQMC_SOBOL: u = word_to_uniform(owen_scramble(sobol_int(c.sobol_v, j, d), keys[d])); break;
    default: break;
  }
  return (c.antithetic && (i & 1u)) ? 1.0 - u : u;
}

}  // namespace ss

#endif  // SS_CORE_SAMPLERS_H
