// Tile stage "accumulation": the units are the entries of the item's partial sums (sums_layout), each owned by
// ONE thread that adds the tile's samples in sample order: no atomics, and the per-item sums are the CPU
// engine's, term for term (moments_add for forward, cross_add otherwise).
#pragma once
#include <cstdint>

#include "ops.h"
#include "scale.h"
#include "block/exec.h"
#include "tile/args.h"
#include "tile/box.h"
#include "tile/scalars.h"

namespace ss {
namespace gpu {

/** h_k of sample t (the CPU's cross_sample): the score (vjp, jacobian), h (jvp) or the scale statistic. */
SSG_HD double h_entry(const FusedArgs& a, const TileView& tv, uint32_t t, uint32_t k) {
  const uint64_t row = static_cast<uint64_t>(t) * a.n;
  switch (a.op) {
    case OP_JVP: return tv.g[t];
    case OP_SCALE_GRADIENT:
      if (a.scale.kind != SCALE_MATRIX) return tv.s[row + k] * tv.e[row + k] - 1;
      else {
        const uint32_t r = k / a.n;
        const uint32_t c = k - r * a.n;
        return tv.s[row + r] * tv.e[row + c] - (r == c ? 1 : 0);
      }
    default: return tv.s[row + k];
  }
}

/** g_r of sample t: ⟨v, f⟩ for p = 1 (vjp, scale gradient), else f_r itself (jacobian, jvp). */
template <int BOX>
SSG_HD double g_entry(const FusedArgs& a, const TileView& tv, uint32_t t, uint32_t r) {
  if (a.op == OP_VJP || a.op == OP_SCALE_GRADIENT) return tv.g[t];
  return static_cast<double>(box_output<BOX>(a, tv, t, r));
}

/**
 * w_k of sample t for the standard errors: the statistic through the operation's final map, entry by entry with
 * the operations of inverse_right / scale_gradient_map (native/core/scale.h) in their order, so that the sums
 * are the CPU engine's (stderr_sample in native/engine/job.h), term for term.
 */
SSG_HD double w_entry(const FusedArgs& a, const TileView& tv, uint32_t t, uint32_t k) {
  const uint32_t n = a.n;
  const uint64_t row = static_cast<uint64_t>(t) * n;
  switch (a.op) {
    case OP_JVP: return tv.g[t];
    case OP_SCALE_GRADIENT:
      if (a.scale.kind == SCALE_SCALAR) {
        double acc = 0;
        for (uint32_t j = 0; j < n; j++) acc += h_entry(a, tv, t, j);
        return acc / a.scale.sigma[0];
      }
      if (a.scale.kind == SCALE_DIAGONAL) return h_entry(a, tv, t, k) / a.scale.sigma[k];
      else {
        const uint32_t r = k / n;
        const uint32_t c = k - r * n;
        double acc = 0;
        for (uint32_t j = 0; j < n; j++) acc += a.inverse[static_cast<uint64_t>(j) * n + r] * h_entry(a, tv, t, j * n + c);
        return acc;
      }
    default:  // vjp, jacobian: s L⁻¹
      if (a.scale.kind != SCALE_MATRIX) return tv.s[row + k] / a.scale.sigma[k];
      else {
        double acc = 0;
        for (uint32_t j = 0; j < n; j++) acc += tv.s[row + j] * a.inverse[static_cast<uint64_t>(j) * n + k];
        return acc;
      }
  }
}

/**
 * One owned entry of the standard-error sums (e ≥ L.Aw), samples in order: Aw, aw, cw as cross_add of (g, w),
 * Q, P, R as square_add (zero g skip their row in Aw, Q and P, exactly as there).
 */
template <int BOX>
SSG_HD void stderr_unit(const FusedArgs& a, const TileView& tv, uint32_t tc, double* part, uint64_t e) {
  double acc = part[e];
  if (e < a.L.aw || (e >= a.L.Q && e < a.L.R)) {  // Aw, Q or P: entry (row, k) of a p×r block
    const uint64_t base = e < a.L.aw ? a.L.Aw : e < a.L.P ? a.L.Q : a.L.P;
    const uint32_t row = static_cast<uint32_t>((e - base) / a.r);
    const uint32_t k = static_cast<uint32_t>(e - base - static_cast<uint64_t>(row) * a.r);
    for (uint32_t t = 0; t < tc; t++) {
      const double gr = g_entry<BOX>(a, tv, t, row);
      if (gr == 0.0) continue;
      const double w = w_entry(a, tv, t, k);
      if (base == a.L.Aw) acc += gr * w;
      else {
        const double w2 = w * w;
        if (base == a.L.Q) acc += gr * gr * w2;
        else acc += gr * w2;
      }
    }
  } else if (e < a.L.cw) {  // aw
    const uint32_t row = static_cast<uint32_t>(e - a.L.aw);
    for (uint32_t t = 0; t < tc; t++) acc += g_entry<BOX>(a, tv, t, row);
  } else {  // cw or R
    const bool square = e >= a.L.R;
    const uint32_t k = static_cast<uint32_t>(e - (square ? a.L.R : a.L.cw));
    for (uint32_t t = 0; t < tc; t++) {
      const double w = w_entry(a, tv, t, k);
      acc += square ? w * w : w;
    }
  }
  part[e] = acc;
}

/** Units of the accumulation: m output entries (forward) or every entry of A, a and c (and of the stderr sums). */
SSG_HD uint32_t accumulate_units(const FusedArgs& a) {
  return a.op == OP_FORWARD ? a.m : static_cast<uint32_t>(a.L.total);
}

/**
 * One owned entry, samples t = 0..tc−1 in order, added to part (the item's partial sums): moments_add for
 * forward (both sums of output r), cross_add otherwise (A_rk skips g_r == 0 exactly like cross_add).
 */
template <int BOX>
SSG_HD void accumulate_unit(const FusedArgs& a, const TileView& tv, uint32_t b, uint32_t tc, double* part, uint32_t e) {
  if (a.op == OP_FORWARD) {
    const double K = a.shift[static_cast<uint64_t>(b) * a.m + e];
    double sum = part[e], sq = part[a.m + e];
    for (uint32_t t = 0; t < tc; t++) {
      const double d = static_cast<double>(box_output<BOX>(a, tv, t, e)) - K;
      sum += d;
      sq += d * d;
    }
    part[e] = sum;
    part[a.m + e] = sq;
    return;
  }
  if (a.want_stderr && e >= a.L.Aw) return stderr_unit<BOX>(a, tv, tc, part, e);
  const uint64_t pq = static_cast<uint64_t>(a.p) * a.q;
  double acc = part[e];
  if (e < pq) {
    const uint32_t r = e / a.q;
    const uint32_t k = e - r * a.q;
    for (uint32_t t = 0; t < tc; t++) {
      const double gr = g_entry<BOX>(a, tv, t, r);
      if (gr == 0.0) continue;
      acc += gr * h_entry(a, tv, t, k);
    }
  } else if (e < pq + a.p) {
    const uint32_t r = static_cast<uint32_t>(e - pq);
    for (uint32_t t = 0; t < tc; t++) acc += g_entry<BOX>(a, tv, t, r);
  } else {
    const uint32_t k = static_cast<uint32_t>(e - pq - a.p);
    for (uint32_t t = 0; t < tc; t++) acc += h_entry(a, tv, t, k);
  }
  part[e] = acc;
}

/** Scalars and accumulation of tc evaluated samples of batch element b into part. Ends synced. */
SSG_EXEC_CHECK_DISABLE
template <int BOX, typename Exec>
SSG_HD void accumulate_tile(Exec& ex, const FusedArgs& a, const TileView& tv, uint32_t b, uint32_t tc, double* part) {
  sample_scalars<BOX>(ex, a, tv, b, tc);
  ex.for_units(accumulate_units(a), [&](uint32_t e) { accumulate_unit<BOX>(a, tv, b, tc, part, e); });
  ex.sync();
}

}  // namespace gpu
}  // namespace ss
