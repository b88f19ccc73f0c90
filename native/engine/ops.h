// The operations a job runs and the layout of their per-input sums: the part of the job layer (job.h) that the
// CUDA kernels need too, so it is header-only and SS_HD (plain integers, no containers).
#pragma once
#include <cstdint>

#include "hd.h"

namespace ss {

/** The operations, in the order of the `ops` table the addons export (enum_names.h). */
enum Op : int { OP_FORWARD = 0, OP_VJP = 1, OP_JACOBIAN = 2, OP_JVP = 3, OP_SCALE_GRADIENT = 4 };
constexpr int OP_COUNT = 5;

/**
 * Offsets of the sums of one input (or of one work item's partial sums) in a flat array of doubles:
 * forward keeps sum (m) and sum_sq (m) of the shifted outputs at 0 and p (= m); every other operation keeps
 * A (p×q), a (p) and c (q) of the cross sums Σ g hᵀ, Σ g, Σ h. One struct for the CPU engine, the CUDA
 * kernels and the host finish, so that the three read the same offsets.
 */
struct SumsLayout {
  uint64_t A, a, c, total;
  // With standard errors (sums_layout_stderr; 0 otherwise): the cross sums Aw (p×r), aw (p), cw (r) of the
  // mapped statistic w and its second moments Q (p×r), P (p×r), R (r), after the sums above, inside `total`.
  uint64_t Aw = 0, aw = 0, cw = 0, Q = 0, P = 0, R = 0;
};

SS_HD SumsLayout sums_layout(int op, uint32_t p, uint32_t q) {
  if (op == OP_FORWARD) return SumsLayout{0, p, 0, 2 * static_cast<uint64_t>(p)};
  const uint64_t pq = static_cast<uint64_t>(p) * q;
  return SumsLayout{0, pq, pq + p, pq + p + q};
}

// The layout of an operation whose standard errors are kept too (accumulate.h square_add): w has r entries.
SS_HD SumsLayout sums_layout_stderr(int op, uint32_t p, uint32_t q, uint32_t r) {
  SumsLayout L = sums_layout(op, p, q);
  const uint64_t pr = static_cast<uint64_t>(p) * r;
  L.Aw = L.total;
  L.aw = L.Aw + pr;
  L.cw = L.aw + p;
  L.Q = L.cw + r;
  L.P = L.Q + pr;
  L.R = L.P + pr;
  L.total = L.R + r;
  return L;
}

}  // namespace ss
