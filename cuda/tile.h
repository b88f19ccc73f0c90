// The fused estimator of the CUDA backend, written once for the device and for host tests (see exec.h).
//
// A block owns one WORK ITEM: batch element b and samples [blk·SPI, min(S, (blk+1)·SPI)), the CPU engine's
// items (native/engine/job.h, SAMPLES_PER_ITEM = 1024), and walks it in tiles of T samples:
//
//   noise      units (t, quad): u from the samplers (noise_quad.h / cuRAND), ε = F⁻¹(u), s = score(u),
//              z = x + σ ⊙ ε   (matrix scale: a second phase, z = x + L ε, units (t, row))
//   box        the built-in black box on the T perturbed rows (tile workspace, shared memory when it fits):
//              sorting boxes: the core's per-thread network for n ≤ 16, else a bitonic sort of the keys of
//              order.h; argmax: a warp-wide min of descending keys; shortest path: grid_relax.h
//   scalars    per sample, a warp-shuffle sum: g = ⟨v, f⟩ (vjp, scale gradient) or h = ⟨s, L⁻¹t⟩ (jvp)
//   accumulate units = the entries of the item's partial sums, each owned by ONE thread that adds the tile's
//              samples in sample order: no atomics, and the per-item sums are the CPU engine's, term for term
//
// Per-item partials are merged into per-b totals in item order by reduce kernels (fused_kernels.cu), the
// CPU's merge order; the host finishes with the core's cross_finish / moments_finish. Nothing of size S
// exists anywhere: the workspace is T samples, the partials a wave of items.
#pragma once
#include <cstddef>
#include <cstdint>

#include "accumulate.h"
#include "bitonic.h"
#include "blackbox.h"
#include "distributions.h"
#include "exec.h"
#include "grid_relax.h"
#include "noise_quad.h"
#include "ops.h"
#include "order.h"
#include "samplers.h"
#include "scale.h"
#include "sorting.h"
#if defined(SS_HAVE_CURAND)
#include "curand_noise.cuh"
#endif

namespace ss {
namespace gpu {

/**
 * What a tile evaluates: one of the five built-ins (the core's BoxKind, blackbox.h) or, for user JS boxes, the
 * dense outputs the stream copied in. The operations are the job layer's Op (native/engine/ops.h).
 */
constexpr int TILE_USER_BOX = BOX_KIND_COUNT;

/** Rows up to this size are sorted by one thread with the core's network (sort_small_keys). */
constexpr uint32_t SMALL_SORT_N = 16;

/** Byte offsets of the tile workspace's arrays (16-byte aligned), for T samples. Unused arrays have size 0. */
struct TileShape {
  uint32_t T;      // samples per tile
  uint32_t n_pad;  // bitonic row length (0: no bitonic sort)
  uint32_t cells;  // shortest path: rows·cols (0 otherwise)
  uint64_t z, s, e, keys, rank, thr, best, cost, dist0, dist1, hops0, hops1, mask, g;
  uint64_t bytes;
};

SSG_HD uint64_t align16(uint64_t x) { return (x + 15) & ~static_cast<uint64_t>(15); }

/**
 * Workspace layout of a tile of T samples for `box` (a BoxKind or TILE_USER_BOX) with n inputs. store_s: scores are needed
 * (every op but forward); store_e: ε is needed (matrix scale, scale gradient). User boxes keep z/s/e in the
 * stream's global chunk buffers: their workspace is the per-sample scalars only.
 */
SSG_HD TileShape tile_shape(int box, uint32_t n, uint32_t rows, uint32_t cols, uint32_t T, bool store_s, bool store_e) {
  TileShape t{};
  t.T = T;
  const uint64_t Tn = static_cast<uint64_t>(T) * n;
  uint64_t o = 0;
  auto take = [&](uint64_t bytes) {
    const uint64_t at = o;
    o = align16(o + bytes);
    return at;
  };
  if (box != TILE_USER_BOX) {
    t.z = take(Tn * sizeof(float));
    t.s = store_s ? take(Tn * sizeof(double)) : 0;
    t.e = store_e ? take(Tn * sizeof(double)) : 0;
  }
  const bool sorting = box == BOX_PERMUTATION || box == BOX_RANKS || box == BOX_TOPK;
  if (sorting && n > SMALL_SORT_N) {
    t.n_pad = next_pow2(n);
    t.keys = take(static_cast<uint64_t>(T) * t.n_pad * sizeof(uint64_t));
  }
  if (box == BOX_PERMUTATION || box == BOX_RANKS) t.rank = take(Tn * sizeof(uint32_t));
  if (box == BOX_TOPK) t.thr = take(static_cast<uint64_t>(T) * sizeof(uint64_t));
  if (box == BOX_ARGMAX) t.best = take(static_cast<uint64_t>(T) * sizeof(uint64_t));
  if (box == BOX_SHORTEST_PATH) {
    t.cells = rows * cols;
    const uint64_t TN = static_cast<uint64_t>(T) * t.cells;
    t.cost = take(TN * sizeof(double));
    t.dist0 = take(TN * sizeof(double));
    t.dist1 = take(TN * sizeof(double));
    t.hops0 = take(TN * sizeof(int32_t));
    t.hops1 = take(TN * sizeof(int32_t));
    t.mask = take(TN);
  }
  t.g = take(static_cast<uint64_t>(T) * sizeof(double));
  t.bytes = o;
  return t;
}

/** Everything a fused kernel (or a user-box accumulation) reads; device pointers on the device. */
struct FusedArgs {
  SamplerConfig sampler;  // seed = the job's seed; sobol_v on the device
  int dist;               // DistributionKind
  ScaleConfig scale;      // sigma / matrix on the device
  BoxSpec box;
  int op;                 // Op (ops.h)
  uint32_t n, m, p, q;    // op_shape(plan, op): g has p entries, h has q
  SumsLayout L;
  uint32_t S;             // samples per batch element
  uint32_t spi;           // samples per work item
  uint32_t items_per_b;   // ⌈S / spi⌉
  uint64_t item0;         // first item of this launch (a wave)
  uint32_t key_words;     // batch_key_words(sampler)
  uint32_t keys_b0;       // keys hold batch elements keys_b0, keys_b0 + 1, ...
  const uint32_t* keys;   // key_words per batch element
  const float* x;         // B×n inputs
  const float* v;         // B×m (vjp, scale gradient)
  const double* dir;      // B×n, L⁻¹t (jvp)
  const double* shift;    // B×m, the forward moment shift (sample 0's output)
  double* part;           // per item of the launch: L.total doubles
  bool store_s;           // scores kept (every op but forward)
  bool store_e;           // ε kept (matrix scale, scale gradient)
  TileShape shape;
  char* gws;              // global workspace (launch items × shape.bytes) when shape.bytes exceeds shared memory
  uint32_t max_sweeps;    // shortest path: relaxation sweeps before giving up
  unsigned int* status;   // set non-zero on an internal failure (relaxation or trace-back)
};

/** Status bits written to FusedArgs::status. */
constexpr unsigned int STATUS_NOT_CONVERGED = 1u;
constexpr unsigned int STATUS_NO_PREDECESSOR = 2u;

/** The typed views of one tile workspace (or, for user boxes, of the stream's chunk buffers). */
struct TileView {
  float* z;
  double* s;
  double* e;
  uint64_t* keys;
  uint32_t* rank;
  uint64_t* thr;
  uint64_t* best;
  double* cost;
  double* dist[2];
  int32_t* hops[2];
  uint8_t* mask;
  double* g;
  const float* f;  // user boxes: dense outputs, T×m
};

SSG_HD TileView carve(char* ws, const TileShape& t) {
  TileView v{};
  v.z = reinterpret_cast<float*>(ws + t.z);
  v.s = reinterpret_cast<double*>(ws + t.s);
  v.e = reinterpret_cast<double*>(ws + t.e);
  v.keys = reinterpret_cast<uint64_t*>(ws + t.keys);
  v.rank = reinterpret_cast<uint32_t*>(ws + t.rank);
  v.thr = reinterpret_cast<uint64_t*>(ws + t.thr);
  v.best = reinterpret_cast<uint64_t*>(ws + t.best);
  v.cost = reinterpret_cast<double*>(ws + t.cost);
  v.dist[0] = reinterpret_cast<double*>(ws + t.dist0);
  v.dist[1] = reinterpret_cast<double*>(ws + t.dist1);
  v.hops[0] = reinterpret_cast<int32_t*>(ws + t.hops0);
  v.hops[1] = reinterpret_cast<int32_t*>(ws + t.hops1);
  v.mask = reinterpret_cast<uint8_t*>(ws + t.mask);
  v.g = reinterpret_cast<double*>(ws + t.g);
  v.f = nullptr;
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// Noise

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
 * s = score_from_u(uc)) and, for scalar/diagonal scales, perturb (z = float(x + σ·ε), one rounding).
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
    const double eps = icdf(a.dist, uc);
    if (a.store_s) tv.s[row + d] = score_from_u(a.dist, uc);
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

// ---------------------------------------------------------------------------------------------------------
// Black boxes on a tile

/** Output f_r of sample t of the tile, for the accumulation (bit-identical to evaluate_box's floats). */
template <int BOX>
SSG_HD float box_output(const FusedArgs& a, const TileView& tv, uint32_t t, uint32_t r) {
  const uint32_t n = a.n;
  if (BOX == BOX_PERMUTATION) {
    const uint32_t i = r / n;
    return tv.rank[static_cast<uint64_t>(t) * n + i] == r - i * n ? 1.0f : 0.0f;
  } else if (BOX == BOX_RANKS) {
    return static_cast<float>(tv.rank[static_cast<uint64_t>(t) * n + r]);
  } else if (BOX == BOX_ARGMAX) {
    return key_index(tv.best[t]) == r ? 1.0f : 0.0f;
  } else if (BOX == BOX_TOPK) {
    return desc_key(tv.z[static_cast<uint64_t>(t) * n + r], r) <= tv.thr[t] ? 1.0f : 0.0f;
  } else if (BOX == BOX_SHORTEST_PATH) {
    return static_cast<float>(tv.mask[static_cast<uint64_t>(t) * a.shape.cells + r]);
  } else {
    return tv.f[static_cast<uint64_t>(t) * a.m + r];
  }
}

/** The black box on the tc rows of z: ranks / threshold / argmax / path mask in the workspace. Ends synced. */
SSG_EXEC_CHECK_DISABLE
template <int BOX, typename Exec>
SSG_HD void evaluate_tile(Exec& ex, const FusedArgs& a, const TileView& tv, uint32_t tc) {
  const uint32_t n = a.n;
  if (BOX == BOX_PERMUTATION || BOX == BOX_RANKS || BOX == BOX_TOPK) {
    if (n <= SMALL_SORT_N) {
      // One thread per row, keys in registers: the core's pruned Batcher network (sorting.h) and top-k selection.
      ex.for_units(tc, [&](uint32_t t) {
        uint64_t scratch[2 * SMALL_SORT_N];
        const float* row = tv.z + static_cast<uint64_t>(t) * n;
        if (BOX == BOX_TOPK) tv.thr[t] = topk_threshold(row, n, a.box.k, scratch);
        else ranks_of_row(row, n, tv.rank + static_cast<uint64_t>(t) * n, scratch);
      });
      ex.sync();
      return;
    }
    const uint32_t n_pad = a.shape.n_pad;
    ex.for_units(tc * n_pad, [&](uint32_t u) {
      const uint32_t t = u / n_pad;
      const uint32_t i = u - t * n_pad;
      const float v = i < n ? tv.z[static_cast<uint64_t>(t) * n + i] : 0.0f;
      tv.keys[u] = i >= n ? BITONIC_PAD : BOX == BOX_TOPK ? desc_key(v, i) : asc_key(v, i);
    });
    ex.sync();
    bitonic_sort_rows(ex, tv.keys, tc, n_pad);  // ends with a barrier
    if (BOX == BOX_TOPK) {
      // Item i is among the k largest iff desc_key(z_i, i) <= the k-th smallest descending key (topk_threshold).
      ex.for_units(tc, [&](uint32_t t) { tv.thr[t] = tv.keys[static_cast<uint64_t>(t) * n_pad + a.box.k - 1]; });
    } else {
      ex.for_units(tc * n, [&](uint32_t u) {
        const uint32_t t = u / n;
        const uint32_t r = u - t * n;
        tv.rank[static_cast<uint64_t>(t) * n + key_index(tv.keys[static_cast<uint64_t>(t) * n_pad + r])] = r;
      });
    }
    ex.sync();
  } else if (BOX == BOX_ARGMAX) {
    // The least descending key is the largest value (NaN largest, -0 == +0) with the lowest index: argmax_row.
    ex.sample_min(tc, [&](uint32_t t, uint32_t lane, uint32_t lanes) {
      const float* row = tv.z + static_cast<uint64_t>(t) * n;
      uint64_t best = ~static_cast<uint64_t>(0);
      for (uint32_t i = lane; i < n; i += lanes) {
        const uint64_t k = desc_key(row[i], i);
        best = k < best ? k : best;
      }
      return best;
    }, tv.best);
    ex.sync();
  } else if (BOX == BOX_SHORTEST_PATH) {
    const uint32_t N = a.shape.cells;
    const uint32_t rows = a.box.rows, cols = a.box.cols;
    ex.for_units(tc * N, [&](uint32_t u) {
      const uint32_t t = u / N;
      const uint32_t v = u - t * N;
      const uint64_t at = static_cast<uint64_t>(t) * N;
      tv.cost[at + v] = sanitize_cost(tv.z[static_cast<uint64_t>(t) * n + v]);  // n == N
      tv.mask[at + v] = 0;
    });
    ex.sync();
    ex.for_units(tc * N, [&](uint32_t u) {
      const uint32_t t = u / N;
      const uint64_t at = static_cast<uint64_t>(t) * N;
      relax_init(tv.cost + at, u - t * N, tv.dist[0][u], tv.hops[0][u]);
    });
    ex.sync();
    uint32_t cur = 0;
    uint32_t sweeps = 0;
    for (;;) {
      bool changed = false;
      ex.for_units(tc * N, [&](uint32_t u) {
        const uint32_t t = u / N;
        const uint64_t at = static_cast<uint64_t>(t) * N;
        double nd;
        int32_t nh;
        relax_cell(tv.dist[cur] + at, tv.hops[cur] + at, tv.cost + at, rows, cols, u - t * N, nd, nh);
        changed |= nd != tv.dist[cur][u] || nh != tv.hops[cur][u];
        tv.dist[cur ^ 1][u] = nd;
        tv.hops[cur ^ 1][u] = nh;
      });
      const bool any = ex.sync_or(changed);  // a barrier too: the new labels are complete
      cur ^= 1;
      if (!any) break;
      if (++sweeps > a.max_sweeps) {
        ex.for_units(1, [&](uint32_t) { status_or(a.status, STATUS_NOT_CONVERGED); });
        break;
      }
    }
    ex.for_units(tc, [&](uint32_t t) {
      const uint64_t at = static_cast<uint64_t>(t) * N;
      uint8_t* mask = tv.mask + at;
      const bool ok = relax_trace(tv.dist[cur] + at, tv.hops[cur] + at, tv.cost + at, rows, cols,
                                  [&](uint32_t cell) { mask[cell] = 1; });
      if (!ok) status_or(a.status, STATUS_NO_PREDECESSOR);
    });
    ex.sync();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Per-sample scalars and the owner-computes accumulation

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

/** Units of the accumulation: m output entries (forward) or every entry of A, a and c. */
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

/**
 * One work item (the body of one block of the fused kernel): item a.item0 + item_local, workspace ws, partial
 * sums at a.part + item_local·L.total (zeroed here).
 */
SSG_EXEC_CHECK_DISABLE
template <int BOX, typename Exec>
SSG_HD void run_item(Exec& ex, const FusedArgs& a, char* ws, uint32_t item_local) {
  const uint64_t item = a.item0 + item_local;
  const uint32_t b = static_cast<uint32_t>(item / a.items_per_b);
  const uint32_t blk = static_cast<uint32_t>(item - static_cast<uint64_t>(b) * a.items_per_b);
  const uint32_t start = blk * a.spi;
  const uint32_t end = a.S - start < a.spi ? a.S : start + a.spi;
  const TileView tv = carve(ws, a.shape);
  double* part = a.part + static_cast<uint64_t>(item_local) * a.L.total;
  const uint32_t* keys = a.keys + static_cast<uint64_t>(b - a.keys_b0) * a.key_words;
  const float* xb = a.x + static_cast<uint64_t>(b) * a.n;
  const uint32_t nq = quads(a.n);
  const uint32_t T = a.shape.T;

  ex.for_units(static_cast<uint32_t>(a.L.total), [&](uint32_t e) { part[e] = 0.0; });
  ex.sync();
  for (uint32_t i0 = start; i0 < end; i0 += end - i0 < T ? end - i0 : T) {  // stops at end: i0 + T wraps at S ≈ 2^32
    const uint32_t tc = end - i0 < T ? end - i0 : T;
    ex.for_units(tc * nq, [&](uint32_t u) {
      const uint32_t t = u / nq;
      noise_unit(a, tv, keys, b, xb, i0, t, u - t * nq);
    });
    ex.sync();
    if (a.scale.kind == SCALE_MATRIX) {
      ex.for_units(tc * a.n, [&](uint32_t u) {
        const uint32_t t = u / a.n;
        perturb_matrix_unit(a, tv, xb, t, u - t * a.n);
      });
      ex.sync();
    }
    evaluate_tile<BOX>(ex, a, tv, tc);
    accumulate_tile<BOX>(ex, a, tv, b, tc, part);
  }
}

}  // namespace gpu
}  // namespace ss
