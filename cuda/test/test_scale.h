// The scale both CUDA tests give their plans (cuda_host_test, cuda_simt_test): scalar 0.7, a diagonal 0.3 + 0.1·d, or
// a lower-triangular matrix with a 0.6 + 0.1·r diagonal, so that every scale path of the tiles is exercised.
#pragma once
#include <cstddef>
#include <cstdint>

#include "job.h"

namespace ss {
namespace test {

inline void set_test_scale(EnginePlan& p, uint32_t n, int scale_kind) {
  p.scale.kind = scale_kind;
  p.scale.n = n;
  if (scale_kind == SCALE_MATRIX) {
    p.matrix.assign(static_cast<size_t>(n) * n, 0.0);
    for (uint32_t r = 0; r < n; r++)
      for (uint32_t c = 0; c <= r; c++) p.matrix[r * n + c] = r == c ? 0.6 + 0.1 * r : 0.05 * (1.0 + r - c);
  } else {
    p.sigma.assign(n, 0.7);
    if (scale_kind == SCALE_DIAGONAL)
      for (uint32_t d = 0; d < n; d++) p.sigma[d] = 0.3 + 0.1 * d;
  }
}

}  // namespace test
}  // namespace ss
