// Per-sample scale arithmetic; mirrors perturb() and scaleStatistic() in lib/scale.ts. The once-per-input
// transforms (L⁻¹ on the sums, the scale-gradient finish) stay in lib/scale.ts for every backend; their per-sample
// copies below serve only the standard errors (applyInverseRight, finishScaleGradient).
#pragma once
#include <cstdint>
#include "hd.h"

namespace ss {

enum ScaleKind : int { SCALE_SCALAR = 0, SCALE_DIAGONAL = 1, SCALE_MATRIX = 2 };

struct ScaleConfig {
  int kind;
  uint32_t n;
  const double* sigma;   // n values (scalar: all γ); null for a matrix
  const double* matrix;  // L row-major n×n; null unless kind == SCALE_MATRIX
};

// z = x + L ε, computed in double and rounded once to float (as the TS stores into a Float32Array).
SS_HD void perturb(const ScaleConfig& s, const float* x, const double* eps, float* out) {
  const uint32_t n = s.n;
  if (s.kind != SCALE_MATRIX) {
    for (uint32_t j = 0; j < n; j++) out[j] = static_cast<float>(static_cast<double>(x[j]) + s.sigma[j] * eps[j]);
    return;
  }
  for (uint32_t r = 0; r < n; r++) {
    double acc = 0;
    for (uint32_t c = 0; c < n; c++) acc += s.matrix[static_cast<size_t>(r) * n + c] * eps[c];
    out[r] = static_cast<float>(static_cast<double>(x[r]) + acc);
  }
}

SS_HD uint32_t scale_statistic_size(const ScaleConfig& s) { return s.kind == SCALE_MATRIX ? s.n * s.n : s.n; }

// h = s ⊙ ε − 1 (scalar, diagonal) or s εᵀ − I (matrix).
SS_HD void scale_statistic(const ScaleConfig& s, const double* score, const double* eps, double* out) {
  const uint32_t n = s.n;
  if (s.kind != SCALE_MATRIX) {
    for (uint32_t j = 0; j < n; j++) out[j] = score[j] * eps[j] - 1;
    return;
  }
  for (uint32_t r = 0; r < n; r++)
    for (uint32_t c = 0; c < n; c++) out[static_cast<size_t>(r) * n + c] = score[r] * eps[c] - (r == c ? 1 : 0);
}

// The final linear maps of the estimates, applied per sample for the standard errors (the estimates themselves
// get them once per input, in lib/scale.ts). `inverse` is L⁻¹ row-major (matrix only; null otherwise).
// w = h L⁻¹ (a row vector times L⁻¹): mirrors applyInverseRight in lib/scale.ts.
SS_HD void inverse_right(const ScaleConfig& s, const double* inverse, const double* h, double* w) {
  const uint32_t n = s.n;
  if (s.kind != SCALE_MATRIX) {
    for (uint32_t j = 0; j < n; j++) w[j] = h[j] / s.sigma[j];
    return;
  }
  for (uint32_t c = 0; c < n; c++) {
    double acc = 0;
    for (uint32_t k = 0; k < n; k++) acc += h[k] * inverse[static_cast<size_t>(k) * n + c];
    w[c] = acc;
  }
}

// The scale gradient's map of a scale statistic h: scalar Σ_j h_j / γ (1 value), diagonal h_j / σ_j (n),
// matrix L⁻ᵀ h (n×n). Mirrors finishScaleGradient in lib/scale.ts.
SS_HD uint32_t scale_gradient_size(const ScaleConfig& s) { return s.kind == SCALE_SCALAR ? 1 : s.kind == SCALE_DIAGONAL ? s.n : s.n * s.n; }
SS_HD void scale_gradient_map(const ScaleConfig& s, const double* inverse, const double* h, double* w) {
  const uint32_t n = s.n;
  if (s.kind == SCALE_SCALAR) {
    double acc = 0;
    for (uint32_t j = 0; j < n; j++) acc += h[j];
    w[0] = acc / s.sigma[0];
    return;
  }
  if (s.kind == SCALE_DIAGONAL) {
    for (uint32_t j = 0; j < n; j++) w[j] = h[j] / s.sigma[j];
    return;
  }
  for (uint32_t r = 0; r < n; r++) {
    for (uint32_t c = 0; c < n; c++) {
      double acc = 0;
      for (uint32_t k = 0; k < n; k++) acc += inverse[static_cast<size_t>(k) * n + r] * h[static_cast<size_t>(k) * n + c];
      w[static_cast<size_t>(r) * n + c] = acc;
    }
  }
}

}  // namespace ss
