// Per-sample scale arithmetic; mirrors perturb() and scaleStatistic() in lib/scale.ts. The once-per-input
// transforms (L⁻¹ on the sums, the scale-gradient finish) stay in lib/scale.ts for every backend.
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

}  // namespace ss
