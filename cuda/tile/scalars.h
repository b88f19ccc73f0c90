// Tile stage "scalars": one number per sample, a warp-shuffle sum (the executor's sample_sum): g = ⟨v, f⟩ for
// vjp and the scale gradient, h = ⟨s, L⁻¹t⟩ for jvp.
#pragma once
#include <cstdint>

#include "ops.h"
#include "block/exec.h"
#include "tile/args.h"
#include "tile/box.h"

namespace ss {
namespace gpu {

/** Lane partial of g = Σ_r v_r f_r for sample t (the CPU's cross_sample), skipping the zeros of 0/1 outputs. */
template <int BOX>
SSG_HD double g_lane_partial(const FusedArgs& a, const TileView& tv, const float* vb, uint32_t t, uint32_t lane, uint32_t lanes) {
  const uint32_t n = a.n;
  double acc = 0;
  if (BOX == BOX_PERMUTATION) {
    const uint32_t* rank = tv.rank + static_cast<uint64_t>(t) * n;
    for (uint32_t i = lane; i < n; i += lanes) acc += static_cast<double>(vb[static_cast<uint64_t>(i) * n + rank[i]]);
  } else if (BOX == BOX_RANKS) {
    const uint32_t* rank = tv.rank + static_cast<uint64_t>(t) * n;
    for (uint32_t i = lane; i < n; i += lanes) acc += static_cast<double>(vb[i]) * static_cast<float>(rank[i]);
  } else if (BOX == BOX_ARGMAX) {
    if (lane == 0) acc = static_cast<double>(vb[key_index(tv.best[t])]);
  } else if (BOX == TILE_USER_BOX) {
    const float* f = tv.f + static_cast<uint64_t>(t) * a.m;
    for (uint32_t r = lane; r < a.m; r += lanes) acc += static_cast<double>(vb[r]) * f[r];
  } else {  // top-k, shortest path: 0/1 outputs read through box_output
    for (uint32_t r = lane; r < a.m; r += lanes) {
      if (box_output<BOX>(a, tv, t, r) != 0.0f) acc += static_cast<double>(vb[r]);
    }
  }
  return acc;
}

/** Per-sample scalars into tv.g: g = ⟨v, f⟩ (vjp, scale gradient) or h = ⟨s, L⁻¹t⟩ (jvp). Ends synced. */
SSG_EXEC_CHECK_DISABLE
template <int BOX, typename Exec>
SSG_HD void sample_scalars(Exec& ex, const FusedArgs& a, const TileView& tv, uint32_t b, uint32_t tc) {
  if (a.op == OP_VJP || a.op == OP_SCALE_GRADIENT) {
    const float* vb = a.v + static_cast<uint64_t>(b) * a.m;
    ex.sample_sum(tc, [&](uint32_t t, uint32_t lane, uint32_t lanes) { return g_lane_partial<BOX>(a, tv, vb, t, lane, lanes); }, tv.g);
    ex.sync();
  } else if (a.op == OP_JVP) {
    const double* dir = a.dir + static_cast<uint64_t>(b) * a.n;
    ex.sample_sum(tc, [&](uint32_t t, uint32_t lane, uint32_t lanes) {
      const double* s = tv.s + static_cast<uint64_t>(t) * a.n;
      double acc = 0;
      for (uint32_t d = lane; d < a.n; d += lanes) acc += s[d] * dir[d];
      return acc;
    }, tv.g);
    ex.sync();
  }
}

}  // namespace gpu
}  // namespace ss
