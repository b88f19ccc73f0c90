// See engine.h. The per-sample math all comes from native/core (shared with the CUDA kernels); this file
// only schedules it: work items (b, block of SAMPLES_PER_ITEM samples) in b-major order, computed in waves
// by a few threads into per-item partial sums, merged in item order. The merge order is fixed, so a result
// is bit-identical for any thread count.
#include "engine.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <thread>

#include "checked.h"
#include "distributions.h"
#include "noise_simd.h"
#include "rank_network.h"
#include "shortest_path_sweeps.h"
#include "simd.h"

namespace ss {

namespace {

// SIMD: the noise kernels (sample_block: Philox and the samplers; noise_block: F⁻¹ and scores) are compiled
// once per level of simd.h, everything they call inlined, and run_item (a template on the vector width W) once
// per level too, without flattening: the perturbation and the sums vectorise in each copy, the black boxes
// stay shared calls. Philox, the perturbation and the sums vectorise automatically (integer operations, exact
// conversions, element-wise IEEE operations in the scalar order); the Gaussian, triangular, logistic and Gumbel
// F⁻¹ use noise_simd.h (the last two on the log family of fdlibm_log.h at every level). Every copy computes the
// same bits; engine_simd_test compares them.
// Rows per noise block: the sampler, F⁻¹ and the score run column-wise over this many rows at once.
constexpr uint32_t BLOCK_ROWS = 64;
static_assert(BLOCK_ROWS <= simd::COLUMN_ROWS_MAX, "the logistic and Gumbel column kernels take at most COLUMN_ROWS_MAX rows");

// Per-thread buffers of the fused path: one sample's perturbed input, outputs and VJP/Jacobian rows, and a
// block of BLOCK_ROWS rows of noise.
struct Scratch {
  std::vector<uint32_t> keys;
  std::vector<double> h, g;
  std::vector<float> z, f;
  std::vector<uint64_t> box;  // 8-byte aligned scratch for evaluate_box
  int64_t keys_b = -1;
  // Block buffers: U column-major (n × BLOCK_ROWS), ε and s row-major (BLOCK_ROWS × n).
  std::vector<double> bu, beps, bscore;
  std::vector<uint32_t> words, rank, idx;
  std::vector<int64_t> isum, isq;  // exact integer moments of the fast forward paths
  std::vector<uint32_t> cnt;
  std::vector<int32_t> kint;
  // Ranks by a network across samples (rank_network.h): its comparators for n, a block of perturbed rows,
  // their ranks, the interleaved keys.
  std::vector<uint32_t> net_pairs, net_offsets;
  uint32_t net_n = 0;
  std::vector<float> zb;
  std::vector<uint32_t> rb;
  std::vector<int64_t> nkeys;
  // The job's output cache (output_cache.h), shared by every thread: each writes or reads its own items' rows.
  OutputCacheView cache;
  std::vector<double> w;  // the mapped statistic of the standard errors (stderr_width entries)
  // Shortest paths of a whole block in SIMD lanes (shortest_path_sweeps.h): its buffers, then the block's path
  // cells (BLOCK_ROWS × n, target first) and their counts.
  PathSweepsScratch paths;
  std::vector<uint32_t> pcells, pcount;

  Scratch(const EnginePlan& plan, uint32_t p, uint32_t q) {
    keys.resize(to_size(std::max<uint64_t>(1, batch_key_words64(plan.sampler)), "sampler key words"));
    h.resize(std::max<uint32_t>(1, q)); g.resize(std::max<uint32_t>(1, p));
    z.resize(plan.n); f.resize(plan.m);
    box.resize(plan.builtin ? (box_scratch_bytes(plan.box) + 7) / 8 + 1 : 1);
    const size_t nb = static_cast<size_t>(plan.n) * BLOCK_ROWS;
    bu.resize(nb); beps.resize(nb); bscore.resize(nb);
    words.resize(sample_block_scratch_words(BLOCK_ROWS));
    if (plan.builtin) {
      rank.resize(plan.n);
      idx.resize(std::max<uint32_t>(1, box_support_max(plan.box)));
    }
  }
  void prepare(const EnginePlan& plan, uint32_t b) {
    if (keys_b != b) {
      prepare_batch_keys(plan.sampler, b, keys.data());
      keys_b = b;
    }
  }
};

// ε and s for one column of a block (U column-major, outputs row-major with stride n), any distribution: the
// same calls as sample_noise (job.h), with the distribution dispatched once per column.
template <typename Icdf, typename Score>
inline void noise_column(const double* col, uint32_t count, uint32_t n, double* eps, double* score, Icdf icdf_fn, Score score_fn) {
  for (uint32_t r = 0; r < count; r++) {
    const double uc = clip_u(col[r]);
    eps[static_cast<size_t>(r) * n] = icdf_fn(uc);
    score[static_cast<size_t>(r) * n] = score_fn(uc);
  }
}

// The noise of a block: U (column-major, ld = BLOCK_ROWS) → ε, s (row-major count × n), as sample_noise per row.
// W > 1: the vector kernels of noise_simd.h where there is one. Gaussian: ε only (the score is ε; callers read ε).
template <int W>
inline void noise_block(int dist, const double* U, uint32_t count, uint32_t n, double* eps, double* score) {
  for (uint32_t d = 0; d < n; d++) {
    const double* col = U + static_cast<size_t>(d) * BLOCK_ROWS;
    double* e = eps + d;
    double* sc = score + d;
    switch (dist) {
      case DIST_GAUSSIAN:  // icdf and score are the same value (gaussian_icdf): computed and stored once
        if constexpr (W > 1) simd::gaussian_column<W>(col, count, n, e);
        else
          for (uint32_t r = 0; r < count; r++) e[static_cast<size_t>(r) * n] = gaussian_icdf(clip_u(col[r]));
        break;
      // Logistic and Gumbel: the log family of fdlibm_log.h, in lanes at W > 1 and as scalar code at W = 1.
      case DIST_LOGISTIC: simd::logistic_column<W>(col, count, n, e, sc); break;
      case DIST_GUMBEL: simd::gumbel_column<W>(col, count, n, e, sc); break;
      case DIST_CAUCHY: noise_column(col, count, n, e, sc, cauchy_icdf, cauchy_score_from_u); break;
      case DIST_LAPLACE: noise_column(col, count, n, e, sc, laplace_icdf, laplace_score_from_u); break;
      case DIST_TRIANGULAR:
        if constexpr (W > 1) simd::triangular_column<W>(col, count, n, e, sc);
        else noise_column(col, count, n, e, sc, triangular_icdf, triangular_score_from_u);
        break;
      default: noise_column(col, count, n, e, sc, [dist](double x) { return icdf(dist, x); }, [dist](double x) { return score_from_u(dist, x); }); break;
    }
  }
}

// Median-of-k noise of a block (k > 1): noise_from_u (core/median.h) per value, the same call as sample_noise
// (job.h) makes, so the block path and the per-sample path agree bit for bit. Scalar: the Newton solve per value
// has data-dependent trip counts that no vector kernel here would share.
inline void median_noise_block(int dist, int median_of, const double* U, uint32_t count, uint32_t n, double* eps, double* score) {
  for (uint32_t d = 0; d < n; d++) {
    const double* col = U + static_cast<size_t>(d) * BLOCK_ROWS;
    for (uint32_t r = 0; r < count; r++) {
      const size_t at = static_cast<size_t>(r) * n + d;
      noise_from_u(dist, median_of, clip_u(col[r]), eps + at, score + at);
    }
  }
}

// sample_block (samplers.h) and noise_block per level: Kernels<W>::sample / ::noise. Not inlined (one call per
// 64 rows costs nothing), so that a profile shows the noise stages apart from the rest.
#define SS_SAMPLE_ARGS const SamplerConfig &c, const uint32_t *keys, uint32_t b, uint32_t i0, uint32_t count, double *out, uint32_t *scratch
#define SS_NOISE_ARGS int dist, const double *U, uint32_t count, uint32_t n, double *eps, double *score
template <int W>
struct Kernels;
template <>
struct Kernels<1> {
  __attribute__((noinline)) static void sample(SS_SAMPLE_ARGS) { sample_block(c, keys, b, i0, count, out, BLOCK_ROWS, scratch); }
  __attribute__((noinline)) static void noise(SS_NOISE_ARGS) { noise_block<1>(dist, U, count, n, eps, score); }
};
#if SS_SIMD_X86
template <>
struct Kernels<4> {
  SS_TARGET_AVX2 __attribute__((noinline)) static void sample(SS_SAMPLE_ARGS) { sample_block(c, keys, b, i0, count, out, BLOCK_ROWS, scratch); }
  SS_TARGET_AVX2 __attribute__((noinline)) static void noise(SS_NOISE_ARGS) { noise_block<4>(dist, U, count, n, eps, score); }
};
template <>
struct Kernels<8> {
  SS_TARGET_AVX512 __attribute__((noinline)) static void sample(SS_SAMPLE_ARGS) { sample_block(c, keys, b, i0, count, out, BLOCK_ROWS, scratch); }
  SS_TARGET_AVX512 __attribute__((noinline)) static void noise(SS_NOISE_ARGS) { noise_block<8>(dist, U, count, n, eps, score); }
};
#endif
#undef SS_SAMPLE_ARGS
#undef SS_NOISE_ARGS

// Whether the black box's outputs are 0/1 (its sparse form is box_support).
inline bool box_is_01(const BoxSpec& box) {
  return box.kind == BOX_PERMUTATION || box.kind == BOX_ARGMAX || box.kind == BOX_TOPK || box.kind == BOX_SHORTEST_PATH;
}

// Add one evaluated sample to cross sums (A, a, c), for the operation's g and h.
inline void cross_sample(const EnginePlan& plan, const JobInput& in, int op, uint32_t b, uint32_t p, uint32_t q, const float* f,
                         const double* eps, const double* score, double* g, double* h, double* A, double* a, double* c) {
  const uint32_t n = plan.n, m = plan.m;
  switch (op) {
    case OP_VJP:
    case OP_SCALE_GRADIENT: {
      const float* v = in.v.data() + static_cast<size_t>(b) * m;
      double acc = 0;
      for (uint32_t k = 0; k < m; k++) acc += static_cast<double>(v[k]) * f[k];
      g[0] = acc;
      if (op == OP_VJP) cross_add(A, a, c, 1, n, g, score);
      else {
        scale_statistic(plan.scale, score, eps, h);
        cross_add(A, a, c, 1, q, g, h);
      }
      break;
    }
    case OP_JACOBIAN:
      cross_add(A, a, c, p, n, f, score);
      break;
    case OP_JVP: {
      const double* dir = in.dir.data() + static_cast<size_t>(b) * n;
      double acc = 0;
      for (uint32_t j = 0; j < n; j++) acc += score[j] * dir[j];
      h[0] = acc;
      cross_add(A, a, c, p, 1, f, h);
      break;
    }
    default:
      break;
  }
}

// std::thread(worker, t), except that STOCHASTIC_SMOOTHING_TEST_THREAD_FAIL=k makes the start of thread k (0-based)
// throw what a refused pthread_create throws (std::system_error, EAGAIN): the only way a test can reach that path.
template <typename F>
std::thread start_thread(F& worker, unsigned t) {
  const char* const fail = std::getenv("STOCHASTIC_SMOOTHING_TEST_THREAD_FAIL");
  if (fail && *fail && std::strtoul(fail, nullptr, 10) == t) {
    throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again), "thread start refused (test hook)");
  }
  return std::thread(worker, t);
}

// The perturbed rows of a block (into s.zb) and their shortest paths, all rows at once in the SIMD lanes of
// run_item's level (shortest_path_sweeps.h; the same cells as box_support, bit for bit): s.pcells, s.pcount.
template <int W>
inline void block_paths(const EnginePlan& plan, const float* xb, uint32_t rows, Scratch& s) {
  const uint32_t n = plan.n;
  s.zb.resize(static_cast<size_t>(BLOCK_ROWS) * n);
  s.pcells.resize(static_cast<size_t>(BLOCK_ROWS) * n);
  s.pcount.resize(BLOCK_ROWS);
  for (uint32_t r = 0; r < rows; r++)
    perturb(plan.scale, xb, s.beps.data() + static_cast<size_t>(r) * n, s.zb.data() + static_cast<size_t>(r) * n);
  const int level = W >= 8 ? SIMD_AVX512 : W >= 4 ? SIMD_AVX2 : SIMD_SCALAR;
  shortest_paths_block(level, plan.box.rows, plan.box.cols, s.zb.data(), rows, s.pcells.data(), s.pcount.data(), s.paths);
}

// One work item (samples [start, end) of batch element b) on the fused path: noise by blocks of BLOCK_ROWS rows
// (sample_block + noise_block), then per sample perturb → black box → sums. Sums that are exact in double
// (integers: ranks and 0/1 outputs) are formed from the sparse outputs (box_ranks, box_support) in integers or
// with the zero terms skipped; every value is the one the per-sample path (sample_noise, evaluate_box,
// moments_add / cross_sample) gives, bit for bit: skipped terms are exact zeros, integer sums are exact.
// `aborted` is polled once per block of BLOCK_ROWS samples (an item may take long for a large box): the caller
// discards the partial sums of an aborted job.
template <int W>
__attribute__((always_inline)) inline void run_item(const EnginePlan& plan, const JobInput& in, int op, uint32_t b, uint32_t start, uint32_t end, uint32_t p,
                     uint32_t q, const SumsLayout& L, const std::vector<double>& shift, double* part, Scratch& s,
                     const std::atomic<bool>& aborted) {
  const uint32_t n = plan.n, m = plan.m;
  const float* xb = in.x.data() + static_cast<size_t>(b) * n;
  const BoxSpec& box = plan.box;
  const bool is01 = box_is_01(box);
  const bool ranks = box.kind == BOX_RANKS && n <= (1u << 20);  // ranks exact as floats, their sums as integers
  enum { GENERIC, FWD_RANKS, FWD_COUNT, G_RANKS, G_SUPPORT, JAC_SUPPORT } mode = GENERIC;
  const double* K = op == OP_FORWARD ? shift.data() + static_cast<size_t>(b) * m : nullptr;
  const float* v = (op == OP_VJP || op == OP_SCALE_GRADIENT) ? in.v.data() + static_cast<size_t>(b) * m : nullptr;
  if (op == OP_FORWARD) {
    if (ranks) mode = FWD_RANKS;
    else if (is01) mode = FWD_COUNT;
  } else if (v) {
    bool finite = true;  // 0·v must be an exact zero for the skipped terms
    for (uint32_t k = 0; k < m; k++) finite &= std::isfinite(v[k]);
    if (ranks) mode = G_RANKS;
    else if (is01 && finite) mode = G_SUPPORT;
  } else if (op == OP_JACOBIAN && is01 && !in.want_stderr) {  // standard errors need the dense outputs: GENERIC
    mode = JAC_SUPPORT;
  }
  if (mode == FWD_RANKS) {
    s.isum.assign(m, 0);
    s.isq.assign(m, 0);
    s.kint.resize(m);
    for (uint32_t k = 0; k < m; k++) s.kint[k] = static_cast<int32_t>(K[k]);
  } else if (mode == FWD_COUNT) {
    s.cnt.assign(m, 0);
  }
  double* A = part + L.A;
  double* a = part + L.a;
  double* c = part + L.c;
  // Ranks of a whole block by a sorting network across W samples (rank_network.h), for mid-sized n.
  const OutputCacheView& oc = s.cache;
  const bool cached = oc.reading();  // the outputs come from the cache: no perturbation, no box
  const bool net = !cached && W > 1 && (mode == FWD_RANKS || mode == G_RANKS) && n > SS_NETWORK_BLOCK && n <= RANK_NETWORK_MAX_N;
  if (net && s.net_n != n) {  // a scratch lives for one job, at one level: W never changes under it
    rank_network(n, s.net_pairs);
    network_offsets(s.net_pairs, W, s.net_offsets);
    s.net_n = n;
    s.zb.resize(static_cast<size_t>(BLOCK_ROWS) * n);
    s.rb.resize(static_cast<size_t>(BLOCK_ROWS) * n);
    s.nkeys.resize(static_cast<size_t>(8) * n);
  }
  // Shortest paths of a whole block in SIMD lanes (shortest_path_sweeps.h) where the sparse path serves the sums
  // and the grid fits the lanes (larger grids: the reference per row, without the block's BLOCK_ROWS·n buffers);
  // not when the outputs come from the cache.
  const bool lanes_path = !cached && box.kind == BOX_SHORTEST_PATH && (mode == FWD_COUNT || mode == G_SUPPORT || mode == JAC_SUPPORT) &&
                          path_sweeps_serve(box.rows, box.cols);
  // The path cells of row r: from the block's lanes, or box_support (the reference) per row.
  auto support = [&](uint32_t r, uint32_t*& idx) -> uint32_t {
    if (lanes_path) {
      idx = s.pcells.data() + static_cast<size_t>(r) * n;
      return s.pcount[r];
    }
    idx = s.idx.data();
    return box_support(box, s.z.data(), idx, s.box.data());
  };
  for (uint32_t i = start; i < end; i += std::min(BLOCK_ROWS, end - i)) {  // never steps past end: no wrap at 2^32
    if (aborted.load(std::memory_order_relaxed)) return;
    const uint32_t rows = std::min(BLOCK_ROWS, end - i);
    Kernels<W>::sample(plan.sampler, s.keys.data(), b, i, rows, s.bu.data(), s.words.data());
    if (plan.median_of > 1) median_noise_block(plan.dist, plan.median_of, s.bu.data(), rows, n, s.beps.data(), s.bscore.data());
    else Kernels<W>::noise(plan.dist, s.bu.data(), rows, n, s.beps.data(), s.bscore.data());
    const double* scores = plan.dist == DIST_GAUSSIAN && plan.median_of == 1 ? s.beps.data() : s.bscore.data();
    if (lanes_path) block_paths<W>(plan, xb, rows, s);
    if (net) {
      for (uint32_t r = 0; r < rows; r++)
        perturb(plan.scale, xb, s.beps.data() + static_cast<size_t>(r) * n, s.zb.data() + static_cast<size_t>(r) * n);
      if constexpr (W > 1)
        ranks_by_network<W>(s.net_offsets.data(), s.net_pairs.size(), s.zb.data(), rows, n, s.rb.data(), s.nkeys.data());
    }
    for (uint32_t r = 0; r < rows; r++) {
      const double* eps = s.beps.data() + static_cast<size_t>(r) * n;
      const double* sc = scores + static_cast<size_t>(r) * n;
      // Only with the network: s.rb is empty otherwise, and nullptr + offset is undefined behaviour.
      const uint32_t* net_rank = net ? s.rb.data() + static_cast<size_t>(r) * n : nullptr;
      if (!net && !cached && !lanes_path) perturb(plan.scale, xb, eps, s.z.data());
      const uint32_t sample = i + r;
      switch (mode) {
        case FWD_RANKS: {
          const uint32_t* rk = net_rank;
          if (!net) {
            box_ranks(box, s.z.data(), s.rank.data(), s.box.data());
            rk = s.rank.data();
          }
          if (oc.writing()) oc.store_ranks(b, sample, rk);
          const int32_t* kk = s.kint.data();
          int64_t* sum = s.isum.data();
          int64_t* sq = s.isq.data();
          for (uint32_t k = 0; k < m; k++) {
            const int64_t d = static_cast<int32_t>(rk[k]) - kk[k];
            sum[k] += d;
            sq[k] += d * d;
          }
          break;
        }
        case FWD_COUNT: {
          uint32_t* idx;
          const uint32_t ns = support(r, idx);
          if (oc.writing()) oc.store_support(b, sample, idx, ns);
          for (uint32_t k = 0; k < ns; k++) s.cnt[idx[k]]++;
          break;
        }
        case G_RANKS:
        case G_SUPPORT: {
          double g = 0;
          if (mode == G_RANKS) {
            const uint32_t* rk = net_rank;
            if (cached) {
              oc.load_ranks(b, sample, s.rank.data());
              rk = s.rank.data();
            } else if (!net) {
              box_ranks(box, s.z.data(), s.rank.data(), s.box.data());
              rk = s.rank.data();
            }
            for (uint32_t k = 0; k < m; k++) g += static_cast<double>(v[k]) * static_cast<double>(rk[k]);
          } else {
            uint32_t* idx = s.idx.data();
            const uint32_t ns = cached ? oc.load_support(b, sample, idx, box_support_max(box)) : support(r, idx);
            // Target first: put the cells in ascending order, as the dense sum (the cache gives them ascending).
            if (box.kind == BOX_SHORTEST_PATH && !cached) {
              std::reverse(idx, idx + ns);
              for (uint32_t t = 1; t < ns; t++) {
                const uint32_t key = idx[t];
                uint32_t u = t;
                for (; u > 0 && idx[u - 1] > key; u--) idx[u] = idx[u - 1];
                idx[u] = key;
              }
            }
            for (uint32_t k = 0; k < ns; k++) g += static_cast<double>(v[idx[k]]);
          }
          if (op == OP_VJP) cross_add(A, a, c, 1, n, &g, sc);
          else {
            scale_statistic(plan.scale, sc, eps, s.h.data());
            cross_add(A, a, c, 1, q, &g, s.h.data());
          }
          if (in.want_stderr) stderr_sample<float>(plan, in, op, 1, nullptr, &g, sc, s.h.data(), s.w.data(), part, L);
          break;
        }
        case JAC_SUPPORT: {
          uint32_t* idx = s.idx.data();
          const uint32_t ns = cached ? oc.load_support(b, sample, idx, box_support_max(box)) : support(r, idx);
          for (uint32_t k = 0; k < n; k++) c[k] += sc[k];
          for (uint32_t t = 0; t < ns; t++) {
            const uint32_t row = idx[t];
            a[row] += 1.0;
            double* Ar = A + static_cast<size_t>(row) * n;
            for (uint32_t k = 0; k < n; k++) Ar[k] += sc[k];
          }
          break;
        }
        default:
          if (cached) oc.load_dense(b, sample, s.f.data());
          else evaluate_box(box, s.z.data(), s.f.data(), s.box.data());
          if (oc.writing()) oc.store_dense(b, sample, s.f.data());
          if (op == OP_FORWARD) moments_add(part, part + m, K, m, s.f.data());
          else {
            cross_sample(plan, in, op, b, p, q, s.f.data(), eps, sc, s.g.data(), s.h.data(), A, a, c);
            if (in.want_stderr) stderr_sample(plan, in, op, p, s.f.data(), s.g.data(), sc, s.h.data(), s.w.data(), part, L);
          }
          break;
      }
    }
  }
  if (mode == FWD_RANKS) {
    for (uint32_t k = 0; k < m; k++) {
      part[k] = static_cast<double>(s.isum[k]);
      part[m + k] = static_cast<double>(s.isq[k]);
    }
  } else if (mode == FWD_COUNT) {
    const int64_t N = end - start;
    for (uint32_t k = 0; k < m; k++) {
      const int64_t ones = s.cnt[k];
      const bool one = K[k] != 0;  // the shift is sample 0's output: 0 or 1
      part[k] = static_cast<double>(one ? ones - N : ones);
      part[m + k] = static_cast<double>(one ? N - ones : ones);
    }
  }
}

// run_item compiled for each SIMD level (simd.h); run_item_at picks the copy.
#define SS_RUN_ITEM_ARGS                                                                                             \
  const EnginePlan &plan, const JobInput &in, int op, uint32_t b, uint32_t start, uint32_t end, uint32_t p, uint32_t q, \
      const SumsLayout &L, const std::vector<double> &shift, double *part, Scratch &s, const std::atomic<bool> &aborted
#if SS_SIMD_X86
SS_ISA_AVX512 void run_item_avx512(SS_RUN_ITEM_ARGS) { run_item<8>(plan, in, op, b, start, end, p, q, L, shift, part, s, aborted); }
SS_ISA_AVX2 void run_item_avx2(SS_RUN_ITEM_ARGS) { run_item<4>(plan, in, op, b, start, end, p, q, L, shift, part, s, aborted); }
#endif
void run_item_scalar(SS_RUN_ITEM_ARGS) { run_item<1>(plan, in, op, b, start, end, p, q, L, shift, part, s, aborted); }

void run_item_at(int level, SS_RUN_ITEM_ARGS) {
#if SS_SIMD_X86
  if (level == SIMD_AVX512) return run_item_avx512(plan, in, op, b, start, end, p, q, L, shift, part, s, aborted);
  if (level == SIMD_AVX2) return run_item_avx2(plan, in, op, b, start, end, p, q, L, shift, part, s, aborted);
#endif
  (void)level;
  run_item_scalar(plan, in, op, b, start, end, p, q, L, shift, part, s, aborted);
}
#undef SS_RUN_ITEM_ARGS

}  // namespace

void noise_of_u(int dist, const double* u, uint32_t count, double* eps, double* score) {
  const int level = simd_level();
  double col[BLOCK_ROWS];
  for (uint32_t r0 = 0; r0 < count; r0 += BLOCK_ROWS) {
    const uint32_t rows = std::min(BLOCK_ROWS, count - r0);
    std::copy(u + r0, u + r0 + rows, col);
#if SS_SIMD_X86
    if (level == SIMD_AVX512) Kernels<8>::noise(dist, col, rows, 1, eps + r0, score + r0);
    else if (level == SIMD_AVX2) Kernels<4>::noise(dist, col, rows, 1, eps + r0, score + r0);
    else
#endif
      Kernels<1>::noise(dist, col, rows, 1, eps + r0, score + r0);
    if (dist == DIST_GAUSSIAN) std::copy(eps + r0, eps + r0 + rows, score + r0);  // the kernels store ε only
  }
  (void)level;
}

bool run_job(const EnginePlan& plan, const JobInput& in0, JobOutput& out, const std::atomic<bool>& aborted,
             const std::function<void(uint64_t)>& progress, std::string& error) {
  if (!check_builtin(plan, error)) return false;
  const uint32_t B = in0.batch, m = plan.m, S = plan.sampler.samples;
  uint32_t p, q;
  op_shape(plan, in0.op, p, q);
  const int op = in0.op;
  const SumsLayout L = job_layout(plan, in0, op, p, q);  // with the second moments: counted in the wave budget below
  const EnginePlan local = plan.seeded(in0.seed);

  JobInput in = in0;
  std::vector<double> shift;
  prepare_job(local, in, shift);

  const uint32_t blocks = items_for(S, SAMPLES_PER_ITEM);  // no S + 1023 (wraps for S near 2^32)
  const uint64_t items = static_cast<uint64_t>(B) * blocks;
  const unsigned threads = job_threads(in.threads, items);
  // Items per wave: at least a few per thread, and as many as 16 MiB of partial sums allow (fewer thread
  // start-ups and less idle time at the end of each wave), but at most ~1 % of the job, so that progress is
  // reported at least every 1 % (S = 10⁶ on one input is ~980 items: ~100 waves, not one). Only memory and the
  // number of progress calls depend on it, never a result.
  const uint64_t by_memory = std::max<uint64_t>({threads * 4ull, 16ull, (16ull << 20) / (8 * std::max<size_t>(1, L.total))});
  const uint64_t wave = std::max<uint64_t>(threads, std::min(by_memory, (items + 99) / 100));
  const int level = simd_level();

  std::vector<double> totals(static_cast<size_t>(B) * L.total, 0.0);
  std::vector<double> partials(static_cast<size_t>(std::min<uint64_t>(wave, items)) * L.total);
  std::vector<Scratch> scratch;
  scratch.reserve(threads);
  for (unsigned t = 0; t < threads; t++) scratch.emplace_back(local, p, q);
  if (in.cache_present) {  // validate_cache checked its length; a forward job fills it, the others read it
    OutputCacheView view;
    view.data = in.cache_data;
    view.bytes = in.cache_length;
    view.fill = op == OP_FORWARD;
    view.bind(local.box, S, m);
    for (Scratch& s : scratch) s.cache = view;
  }
  for (Scratch& s : scratch) s.w.resize(std::max<uint32_t>(1, stderr_width(local, op)));

  uint64_t done = 0;
  for (uint64_t w0 = 0; w0 < items; w0 += wave) {
    const uint64_t w1 = std::min(items, w0 + wave);
    std::atomic<uint64_t> next{w0};
    std::atomic<bool> stop{false};  // a thread failed to start: the others leave at their next item
    auto worker = [&](unsigned t) {
      Scratch& s = scratch[t];
      for (;;) {
        const uint64_t item = next.fetch_add(1);
        if (item >= w1 || aborted.load(std::memory_order_relaxed) || stop.load(std::memory_order_relaxed)) return;
        const uint32_t b = static_cast<uint32_t>(item / blocks);
        uint32_t start, end;
        item_range(S, SAMPLES_PER_ITEM, item % blocks, start, end);
        double* part = partials.data() + (item - w0) * L.total;
        std::fill(part, part + L.total, 0.0);
        s.prepare(local, b);
        run_item_at(level, local, in, op, b, start, end, p, q, L, shift, part, s, aborted);
      }
    };
    if (threads == 1) worker(0);
    else {
      // A thread that cannot start (std::system_error: EAGAIN under a thread or memory limit) fails the job
      // cleanly: the started ones are told to stop and joined, nothing is left running or terminated.
      std::vector<std::thread> pool;
      std::string failed;
      try {
        for (unsigned t = 0; t < threads; t++) pool.emplace_back(start_thread(worker, t));
      } catch (const std::system_error& e) {
        stop.store(true);
        failed = "could not start worker thread " + std::to_string(pool.size() + 1) + " of " + std::to_string(threads) + ": " + e.what();
      }
      for (auto& th : pool) th.join();
      if (!failed.empty()) {
        error = failed;
        return false;
      }
    }
    if (aborted.load()) {
      error = "aborted";
      return false;
    }
    // Merge in item order: the only reduction order there is.
    for (uint64_t item = w0; item < w1; item++) {
      const uint32_t b = static_cast<uint32_t>(item / blocks);
      double* tot = totals.data() + static_cast<size_t>(b) * L.total;
      const double* part = partials.data() + (item - w0) * L.total;
      for (size_t k = 0; k < L.total; k++) tot[k] += part[k];
      uint32_t start, end;
      item_range(S, SAMPLES_PER_ITEM, item % blocks, start, end);
      done += end - start;
    }
    progress(done);
  }

  finish_totals(plan, in, op, p, q, totals, shift, out);
  return true;
}

UserStream::UserStream(const EnginePlan& plan, JobInput in, uint32_t chunk)
    : plan_(plan.seeded(in.seed)), in_(std::move(in)), chunk_(chunk) {  // plan_ is declared before in_
  op_shape(plan_, in_.op, p_, q_);
  const SumsLayout L = job_layout(plan_, in_, in_.op, p_, q_);
  keys_.resize(to_size(std::max<uint64_t>(1, batch_key_words64(plan_.sampler)), "sampler key words"));
  u_.resize(plan_.n);
  eps_.resize(static_cast<size_t>(chunk_) * plan_.n);
  score_.resize(static_cast<size_t>(chunk_) * plan_.n);
  h_.resize(std::max<uint32_t>(1, q_));
  g_.resize(std::max<uint32_t>(1, p_));
  w_.resize(std::max<uint32_t>(1, stderr_width(plan_, in_.op)));
  totals_.assign(static_cast<size_t>(in_.batch) * L.total, 0.0);
  shift_.assign(static_cast<size_t>(in_.batch) * plan_.m, 0.0);
}

void UserStream::noise(uint32_t b, uint32_t start, uint32_t count, float* z) {
  if (keys_b_ != b) {
    prepare_batch_keys(plan_.sampler, b, keys_.data());
    keys_b_ = b;
  }
  const uint32_t n = plan_.n;
  for (uint32_t r = 0; r < count; r++) {
    double* e = eps_.data() + static_cast<size_t>(r) * n;
    double* s = score_.data() + static_cast<size_t>(r) * n;
    sample_noise(plan_, keys_.data(), b, start + r, u_.data(), e, s);
    perturb(plan_.scale, in_.x.data() + static_cast<size_t>(b) * n, e, z + static_cast<size_t>(r) * n);
  }
  b_ = b;
  start_ = start;
  count_ = count;
}

void UserStream::accumulate(const float* outputs) {
  const uint32_t n = plan_.n, m = plan_.m;
  const SumsLayout L = job_layout(plan_, in_, in_.op, p_, q_);
  double* tot = totals_.data() + static_cast<size_t>(b_) * L.total;
  double* shift = shift_.data() + static_cast<size_t>(b_) * m;
  if (in_.op == OP_FORWARD && start_ == 0) for (uint32_t k = 0; k < m; k++) shift[k] = outputs[k];
  for (uint32_t r = 0; r < count_; r++) {
    const float* f = outputs + static_cast<size_t>(r) * m;
    if (in_.op == OP_FORWARD) moments_add(tot, tot + m, shift, m, f);
    else {
      const double* score = score_.data() + static_cast<size_t>(r) * n;
      cross_sample(plan_, in_, in_.op, b_, p_, q_, f, eps_.data() + static_cast<size_t>(r) * n, score, g_.data(), h_.data(), tot + L.A, tot + L.a,
                   tot + L.c);
      if (in_.want_stderr) stderr_sample(plan_, in_, in_.op, p_, f, g_.data(), score, h_.data(), w_.data(), tot, L);
    }
  }
}

void UserStream::finish(JobOutput& out) { finish_totals(plan_, in_, in_.op, p_, q_, totals_, shift_, out); }

}  // namespace ss
