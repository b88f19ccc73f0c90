// Tile stage "noise": units (t, quad) draw u from the samplers (tile/noise_quad.h, or cuRAND through
// tile/curand_noise.cuh), map it through the core's F⁻¹ and score, and perturb z = x + σ ⊙ ε; matrix scales take
// a second phase, units (t, row): z = x + L ε. The CPU engine's per-sample noise, value for value.
#pragma once
#include <cstdint>

#include "distributions.h"
#include "median.h"
#include "samplers.h"
#include "scale.h"
#include "block/exec.h"
#include "tile/args.h"
#include "tile/noise_quad.h"
#if defined(SS_HAVE_CURAND)
#include "tile/curand_noise.cuh"
#endif

namespace ss {
namespace gpu {

/** The sampler words of one quad: cuRAND's where this build has them (device, or host tests), else the core's. */
SSG_HD void noise_quad(const SamplerConfig& c, const uint32_t* keys, uint32_t b, uint32_t i, uint32_t q, double* u) {
#if defined(SS_HAVE_CURAND) && (defined(__CUDA_ARCH__) || defined(SS_CURAND_ON_HOST))
  noise_quad_curand(c, keys, b, i, q, u);
#else
  noise_quad_core(c, keys, b, i, q, u);
#endif
}

/**
 * Noise unit (row t, quad q) of sample i = i0 + t: the CPU engine's make_noise (uc = clip_u(u); ε = icdf(uc);
 * s = score_from_u(uc), or noise_from_u for median-of-k noise) and, for scalar/diagonal scales, perturb (z = float(x + σ·ε), one rounding).
 */
SSG_HD void noise_unit(const FusedArgs& a, const TileView& tv, const uint32_t* keys, uint32_t b, const float* xb,
                       uint32_t i0, uint32_t t, uint32_t q) {
  double u[4];
  noise_quad(a.sampler, keys, b, i0 + t, q, u);
  const uint32_t width = quad_width(a.n, q);
  const uint64_t row = static_cast<uint64_t>(t) * a.n;
  for (uint32_t w = 0; w < width; w++) {
    const uint32_t d = 4 * q + w;
    const double uc = clip_u(u[w]);
    double eps;
    if (a.median_of > 1) {  // median-of-k noise: the core's noise_from_u, as the CPU engine
      double s;
      noise_from_u(a.dist, a.median_of, uc, &eps, &s);
      if (a.store_s) tv.s[row + d] = s;
    } else {
      eps = icdf(a.dist, uc);
      if (a.store_s) tv.s[row + d] = score_from_u(a.dist, uc);
    }
    if (a.store_e) tv.e[row + d] = eps;
    if (a.scale.kind != SCALE_MATRIX) tv.z[row + d] = static_cast<float>(static_cast<double>(xb[d]) + a.scale.sigma[d] * eps);
  }
}

/** Matrix scale, unit (t, r): z_r = float(x_r + Σ_c L_rc ε_c), the core's perturb, same order. */
SSG_HD void perturb_matrix_unit(const FusedArgs& a, const TileView& tv, const float* xb, uint32_t t, uint32_t r) {
  const uint32_t n = a.n;
  const double* eps = tv.e + static_cast<uint64_t>(t) * n;
  const double* L = a.scale.matrix + static_cast<uint64_t>(r) * n;
  double acc = 0;
  for (uint32_t c = 0; c < n; c++) acc += L[c] * eps[c];
  tv.z[static_cast<uint64_t>(t) * n + r] = static_cast<float>(static_cast<double>(xb[r]) + acc);
}

}  // namespace gpu
}  // namespace ss
