// Every SIMD level of the cpu engine (native/cpu/simd.h) gives the scalar level's bits (ctest, no Node):
//  1. the vector F⁻¹ kernels (noise_simd.h) against their scalar references in distributions.h, on random
//     uniforms and on the edges (the clip bounds, the AS241 branch point m = 0.075, ½, NaN), for every level
//     this processor has; the logistic and Gumbel kernels against their scalar references on fdlibm_log.h, and
//     that log family's lanes (log, log1p, atanh) against its scalar functions on every branch of fdlibm;
//  2. whole jobs (run_job: every distribution, mc / rqmc-latin / antithetic, every built-in box, every
//     operation) at each supported level against the scalar level, bit for bit; logistic and Gumbel jobs on
//     every sampler, antithetic where allowed, at every level on 1 and 3 threads;
//  3. the level choice: STOCHASTIC_SMOOTHING_SIMD lowers, never raises, an unknown value is ignored;
//  4. ranks by the sorting network across samples (rank_network.h) against the per-row sort (sorting.h), for
//     every n it serves, on random rows and on rows full of ties, ±0, ±Infinity and NaN;
//  5. progress and abort at large S (one input, S = 2²⁰): progress every ~1 % of the work, an abort stops the job
//     long before its end.
// A level the processor lacks is reported as skipped (CI's AVX-512 machine runs all three).
// Prints one line per check and "N passed, N failed"; exits non-zero on any failure.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <thread>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "engine.h"
#include "fdlibm_log.h"
#include "noise_simd.h"
#include "rank_network.h"
#include "simd.h"
#include "sobol.h"
#include "sorting.h"
#include "check.h"  // native/test: the shared harness

using namespace ss;

using ss::test::check;

namespace {



bool same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

// Uniforms: the edges, then (k + ½)·2⁻³² for pseudo-random words (what the samplers produce) and a sweep
// through the branch point of AS241 (m = 0.075, where q = −0.425).
std::vector<double> test_uniforms() {
  std::vector<double> u = {0.0, 1.0, U_CLIP, U_CLIP_HI, 1e-300, 0.5, std::nextafter(0.5, 0.0), std::nextafter(0.5, 1.0),
                           0.075, std::nextafter(0.075, 0.0), std::nextafter(0.075, 1.0), 0.925, std::nextafter(0.925, 0.0),
                           std::nextafter(0.925, 1.0), 0.25, 0.75, NAN, 1.0 - 1e-17, 2.0, -1.0};
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (int k = 0; k < 200000; k++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    u.push_back((static_cast<double>(static_cast<uint32_t>(x)) + 0.5) * 0x1p-32);
  }
  for (int k = -500; k <= 500; k++) u.push_back(0.075 + k * 1e-15);
  // Logistic and Gumbel: the tail/centre switch (m = ¼), ½ (atanh of ±tiny, log1p of −½), u near 1 (log1p of
  // |x| < 2^−29), and fdlibm log1p's switch near 1 + x = √2/2 (u ≈ 0.7071).
  for (int k = -300; k <= 300; k++) {
    u.push_back(0.25 + k * 0x1p-52);
    u.push_back(0.75 + k * 0x1p-52);
    u.push_back(0.5 + k * 0x1p-40);
    u.push_back(1 - (300.5 + k) * 0x1p-32);
    u.push_back(0.70710678118654757 + k * 0x1p-30);
  }
  return u;
}

// The kernels at width W, compiled for the level's ISA when it has one (the bits must not depend on it).
template <int W>
inline void kernels(const std::vector<double>& u, std::vector<double>& g, std::vector<double>& te, std::vector<double>& ts) {
  const uint32_t count = static_cast<uint32_t>(u.size());
  simd::gaussian_column<W>(u.data(), count, 1, g.data());
  simd::triangular_column<W>(u.data(), count, 1, te.data(), ts.data());
}

// The logistic and Gumbel column kernels at width W (W = 1: the scalar level's code), in columns of up to
// COLUMN_ROWS_MAX rows of varying height (every remainder of a vector), as a noise block feeds them.
struct LogNoise {
  std::vector<double> le, ls, ge, gs;
  explicit LogNoise(size_t n) : le(n), ls(n), ge(n), gs(n) {}
};
template <int W>
inline void log_kernels(const std::vector<double>& u, LogNoise& out) {
  uint32_t rows = 1;
  for (size_t r0 = 0; r0 < u.size(); r0 += rows) {
    rows = static_cast<uint32_t>(std::min<size_t>(u.size() - r0, 1 + (r0 / 7) % simd::COLUMN_ROWS_MAX));
    simd::logistic_column<W>(u.data() + r0, rows, 1, out.le.data() + r0, out.ls.data() + r0);
    simd::gumbel_column<W>(u.data() + r0, rows, 1, out.ge.data() + r0, out.gs.data() + r0);
  }
}
// The log family's lanes on arguments x: log, log1p, atanh of each.
template <int W>
inline void log_lanes(const std::vector<double>& x, std::vector<double>& out) {
  const size_t n = x.size();
  out.assign(3 * n, 0.0);
  std::copy(x.begin(), x.end(), out.begin());
  std::copy(x.begin(), x.end(), out.begin() + n);
  std::copy(x.begin(), x.end(), out.begin() + 2 * n);
  simd::log_array<W>(out.data(), static_cast<uint32_t>(n));
  simd::log1p_array<W>(out.data() + n, static_cast<uint32_t>(n));
  simd::atanh_array<W>(out.data() + 2 * n, static_cast<uint32_t>(n));
}
#if SS_SIMD_X86
SS_TARGET_AVX2 void log_kernels_avx2(const std::vector<double>& u, LogNoise& out) { log_kernels<4>(u, out); }
SS_TARGET_AVX512 void log_kernels_avx512(const std::vector<double>& u, LogNoise& out) { log_kernels<8>(u, out); }
SS_TARGET_AVX2 void log_lanes_avx2(const std::vector<double>& x, std::vector<double>& out) { log_lanes<4>(x, out); }
SS_TARGET_AVX512 void log_lanes_avx512(const std::vector<double>& x, std::vector<double>& out) { log_lanes<8>(x, out); }

// Runs check_at(level) at AVX2 and AVX-512 where this processor has them, and says which it skips: the kernel
// checks all walk these two levels.
template <typename Check>
void at_each_x86_level(const char* what, Check check_at) {
  for (int level = SIMD_AVX2; level <= SIMD_AVX512; level++) {
    if (level > simd_supported_level()) std::printf("skip %s at %s (this processor lacks it)\n", what, simd_level_name(level));
    else check_at(level);
  }
}
SS_TARGET_AVX2 void kernels_avx2(const std::vector<double>& u, std::vector<double>& g, std::vector<double>& te, std::vector<double>& ts) {
  kernels<4>(u, g, te, ts);
}
SS_TARGET_AVX512 void kernels_avx512(const std::vector<double>& u, std::vector<double>& g, std::vector<double>& te,
                                     std::vector<double>& ts) {
  kernels<8>(u, g, te, ts);
}
#endif

// Arguments for the log family: every branch of fdlibm's log, log1p and atanh (zero, negative, subnormal, ±∞,
// NaN, 1 ± tiny, |x| < 2^−29 and < 2^−54, the √2 and √2/2 switches, ±½, ±1, x ≥ 2^53), then pseudo-random
// values over the whole exponent range and over (−1, 2). A multiple of 8 long.
std::vector<double> log_arguments() {
  std::vector<double> x = {0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, INFINITY, -INFINITY, NAN, -NAN, 5e-324, 2.2250738585072014e-308,
                           std::nextafter(1.0, 0.0), std::nextafter(1.0, 2.0), 0x1p-30, -0x1p-30, 0x1p-55, -0x1p-55, 0x1p-29,
                           0x1p53, 0x1p60, 1e300, 0.41421356237309503, 0.414213562373095, -0.2928932188134524,
                           -0.29289321881345254, 0.7071067811865476, 1.4142135623730951, 0x1p-28, -0x1p-28, 0.99999999999, -1.5};
  uint64_t s = 0x2545F4914F6CDD1Dull;
  auto next = [&]() { s ^= s << 13, s ^= s >> 7, s ^= s << 17; return s; };
  for (int k = 0; k < 100000; k++) {
    const uint64_t r = next();
    double v;
    memcpy(&v, &r, sizeof v);  // any bit pattern: every exponent, sign, NaN payloads
    x.push_back(v);
    x.push_back(static_cast<double>(r >> 11) * 0x1p-52 - 1);            // (−1, 1)
    x.push_back(static_cast<double>(next() >> 11) * 0x1p-52);            // (0, 2)
    x.push_back(1 + (static_cast<double>(next() >> 11) * 0x1p-53 - 0.5) * 0x1p-18);  // 1 ± 2^−19
    x.push_back(-0.2928932188134524 + (static_cast<double>(next() >> 11) * 0x1p-53 - 0.5) * 0x1p-19);
  }
  while (x.size() % 8) x.push_back(0.25);
  return x;
}

void check_log_family() {
  const std::vector<double> x = log_arguments();
  const size_t n = x.size();
  std::vector<double> want(3 * n);
  for (size_t k = 0; k < n; k++) {
    want[k] = fdlibm::log(x[k]);
    want[n + k] = fdlibm::log1p(x[k]);
    want[2 * n + k] = fdlibm::atanh(x[k]);
  }
  auto compare = [&](const std::vector<double>& got, const std::string& where) {
    size_t bad = 0, first = 0;
    for (size_t k = 0; k < 3 * n; k++)
      if (!same_bits(got[k], want[k]) && bad++ == 0) first = k;
    char detail[200];
    snprintf(detail, sizeof detail, "%zu differ, first: %s of %.17g", bad, first < n ? "log" : first < 2 * n ? "log1p" : "atanh", x[first % n]);
    check(bad == 0, "fdlibm log, log1p and atanh in lanes equal the scalar functions bit for bit at " + where + " (" + std::to_string(n) + " arguments each)",
          bad ? detail : "");
  };
  std::vector<double> got;
  log_lanes<4>(x, got);
  compare(got, "generic 4-lane vectors");
  log_lanes<8>(x, got);
  compare(got, "generic 8-lane vectors");
#if SS_SIMD_X86
  at_each_x86_level("the log family's lanes", [&](int level) {
    if (level == SIMD_AVX2) log_lanes_avx2(x, got);
    else log_lanes_avx512(x, got);
    compare(got, simd_level_name(level));
  });
#endif
  // Closed forms fdlibm is exact on, and the special values: a check on the scalar functions themselves.
  check(fdlibm::log(1.0) == 0 && fdlibm::log(2.0) == 0.6931471805599453 && fdlibm::log(0.0) == -INFINITY && std::isnan(fdlibm::log(-1.0)) &&
            fdlibm::log(INFINITY) == INFINITY && fdlibm::log1p(0.0) == 0 && fdlibm::log1p(-1.0) == -INFINITY && fdlibm::log1p(0x1p-60) == 0x1p-60 &&
            fdlibm::atanh(0.0) == 0 && fdlibm::atanh(1.0) == INFINITY && fdlibm::atanh(-1.0) == -INFINITY && std::isnan(fdlibm::atanh(1.5)) &&
            std::fabs(fdlibm::log(10.0) - 2.302585092994046) <= 4.5e-16 && std::fabs(fdlibm::atanh(0.5) - 0.5493061443340549) <= 1.2e-16,
        "fdlibm log, log1p and atanh: exact values, ±∞ and NaN where the functions have them, ln 10 and atanh ½ to an ulp");
}

void check_log_kernels() {
  const std::vector<double> u = test_uniforms();
  LogNoise want(u.size());
  for (size_t k = 0; k < u.size(); k++) {
    want.le[k] = simd::logistic_icdf_fdlibm(u[k]);
    want.ls[k] = logistic_score_from_u(u[k]);
    want.ge[k] = simd::gumbel_icdf_fdlibm(u[k]);
    want.gs[k] = simd::gumbel_score_from_u_fdlibm(u[k]);
  }
  // Bit for bit, except that a NaN (from u = NaN only, which no sampler makes) may come with either sign: IEEE
  // leaves a NaN result's sign open, and GCC folds negations around one (−a − −a into a − a) as it sees fit.
  auto same = [](double a, double b) { return same_bits(a, b) || (std::isnan(a) && std::isnan(b)); };
  auto compare = [&](const LogNoise& got, const std::string& where) {
    size_t bad = 0, first = 0;
    for (size_t k = 0; k < u.size(); k++) {
      const bool ok = same(got.le[k], want.le[k]) && same(got.ls[k], want.ls[k]) && same(got.ge[k], want.ge[k]) && same(got.gs[k], want.gs[k]);
      if (!ok && bad++ == 0) first = k;
    }
    char detail[200];
    snprintf(detail, sizeof detail, "%zu of %zu differ, first at u = %.17g", bad, u.size(), bad ? u[first] : 0.0);
    check(bad == 0, "logistic and Gumbel column kernels equal their scalar references bit for bit at " + where + " (" + std::to_string(u.size()) + " uniforms)",
          bad ? detail : "");
  };
  LogNoise got(u.size());
  log_kernels<1>(u, got);
  compare(got, "the scalar level");
  log_kernels<4>(u, got);
  compare(got, "generic 4-lane vectors");
  log_kernels<8>(u, got);
  compare(got, "generic 8-lane vectors");
#if SS_SIMD_X86
  at_each_x86_level("the logistic and Gumbel kernels", [&](int level) {
    if (level == SIMD_AVX2) log_kernels_avx2(u, got);
    else log_kernels_avx512(u, got);
    compare(got, simd_level_name(level));
  });
#endif
  // The references are distributions.h's formulas with another log: within two ulps of max(|ε|, 1) of the C
  // library's (Gumbel's ε = −log(−L) near 0 magnifies L's last bit, hence not relative to ε), and antithetic
  // pairs give exactly opposite logistic noise.
  double worst = 0;
  size_t odd = 0, checked = 0;
  for (size_t k = 0; k < u.size(); k++) {
    if (!(u[k] >= 0 && u[k] <= 1)) continue;
    const double a = want.le[k], b = logistic_icdf(u[k]), c = want.ge[k], d = gumbel_icdf(u[k]);
    worst = std::max({worst, std::fabs(a - b) / std::max(std::fabs(b), 1.0), std::fabs(c - d) / std::max(std::fabs(d), 1.0)});
    const double mirrored = 1 - u[k];
    if (1 - mirrored == u[k] && u[k] > 0 && u[k] < 1) {
      checked++;
      odd += !same_bits(simd::logistic_icdf_fdlibm(mirrored), -a) && !(a == 0 && simd::logistic_icdf_fdlibm(mirrored) == 0);
    }
  }
  char detail[160];
  snprintf(detail, sizeof detail, "worst difference %.3g of max(|ε|, 1), %zu of %zu antithetic pairs not opposite", worst, odd, checked);
  check(worst <= 4.5e-16 && odd == 0 && checked > 100000,
        "the fdlibm logistic and Gumbel F⁻¹ agree with distributions.h's to 2 ulps of max(|ε|, 1), and logistic antithetic pairs are exactly opposite", detail);
}

void check_kernels() {
  const std::vector<double> u = test_uniforms();
#if SS_SIMD_X86
  at_each_x86_level("the vector F⁻¹ kernels", [&](int level) {
    const std::string name = std::string("vector F⁻¹ kernels equal the scalar functions bit for bit at ") + simd_level_name(level);
    std::vector<double> g(u.size()), te(u.size()), ts(u.size());
    if (level == SIMD_AVX2) kernels_avx2(u, g, te, ts);
    else kernels_avx512(u, g, te, ts);
    size_t bad = 0, first = 0;
    for (size_t k = 0; k < u.size(); k++) {
      const bool ok = same_bits(g[k], gaussian_icdf(u[k])) && same_bits(te[k], triangular_icdf(u[k])) &&
                      same_bits(ts[k], triangular_score_from_u(u[k]));
      if (!ok && bad++ == 0) first = k;
    }
    char detail[200];
    snprintf(detail, sizeof detail, "%zu of %zu differ, first at u = %.17g", bad, u.size(), bad ? u[first] : 0.0);
    check(bad == 0, name + " (" + std::to_string(u.size()) + " uniforms)", bad ? detail : "");
  });
#endif
  // The generic-vector build of the same kernels (no target attribute): GCC lowers it to SSE2, same bits.
  std::vector<double> g(u.size()), te(u.size()), ts(u.size());
  kernels<4>(u, g, te, ts);
  size_t bad = 0;
  for (size_t k = 0; k < u.size(); k++)
    bad += !same_bits(g[k], gaussian_icdf(u[k])) || !same_bits(te[k], triangular_icdf(u[k])) || !same_bits(ts[k], triangular_score_from_u(u[k]));
  check(bad == 0, "vector F⁻¹ kernels lowered to baseline x86-64 equal the scalar functions", std::to_string(bad) + " differ");
}

template <int W>
inline void network_ranks(const std::vector<uint32_t>& pairs, const std::vector<float>& z, uint32_t rows, uint32_t n,
                          std::vector<uint32_t>& rank) {
  std::vector<int64_t> keys(static_cast<size_t>(n) * W);
  std::vector<uint32_t> offsets;
  network_offsets(pairs, W, offsets);
  ranks_by_network<W>(offsets.data(), pairs.size(), z.data(), rows, n, rank.data(), keys.data());
}
#if SS_SIMD_X86
SS_TARGET_AVX2 void network_ranks_avx2(const std::vector<uint32_t>& pairs, const std::vector<float>& z, uint32_t rows, uint32_t n,
                                       std::vector<uint32_t>& rank) {
  network_ranks<4>(pairs, z, rows, n, rank);
}
SS_TARGET_AVX512 void network_ranks_avx512(const std::vector<uint32_t>& pairs, const std::vector<float>& z, uint32_t rows, uint32_t n,
                                           std::vector<uint32_t>& rank) {
  network_ranks<8>(pairs, z, rows, n, rank);
}
#endif

void check_rank_network() {
  const float specials[] = {0.0f, -0.0f, 1.0f, -1.0f, INFINITY, -INFINITY, NAN, -NAN, 1e-45f, 2.0f};
  uint64_t x = 12345;
  auto next = [&]() { x ^= x << 13, x ^= x >> 7, x ^= x << 17; return x; };
  for (int level = SIMD_SCALAR; level <= SIMD_AVX512; level++) {
    const std::string name = std::string("network ranks across samples equal the per-row sort for 16 < n <= 256 (ties, NaN, ±0) at ") +
                             (level == SIMD_SCALAR ? "generic vectors" : simd_level_name(level));
    if (level > simd_supported_level()) {
      std::printf("skip %s (this processor lacks it)\n", name.c_str());
      continue;
    }
    long rows_checked = 0, bad = 0;
    std::string first;
    std::vector<uint32_t> pairs;
    for (uint32_t n = SS_NETWORK_BLOCK + 1; n <= RANK_NETWORK_MAX_N; n++) {
      rank_network(n, pairs);
      const uint32_t rows = 11;  // not a multiple of 4 or 8: the short last group
      std::vector<float> z(static_cast<size_t>(rows) * n);
      for (uint32_t r = 0; r < rows; r++)
        for (uint32_t i = 0; i < n; i++) {
          const uint64_t u = next();
          float& v = z[static_cast<size_t>(r) * n + i];
          if (r % 3 == 0) v = static_cast<float>(static_cast<int32_t>(u % 2001) - 1000) / 7.0f;  // distinct-ish
          else if (r % 3 == 1) v = static_cast<float>(u % 3);                                     // mostly ties
          else v = specials[u % 10];                                                             // special values
        }
      std::vector<uint32_t> got(z.size()), want(z.size());
      std::vector<uint64_t> keys(2 * static_cast<size_t>(n));
      for (uint32_t r = 0; r < rows; r++) ranks_of_row(z.data() + static_cast<size_t>(r) * n, n, want.data() + static_cast<size_t>(r) * n, keys.data());
#if SS_SIMD_X86
      if (level == SIMD_AVX2) network_ranks_avx2(pairs, z, rows, n, got);
      else if (level == SIMD_AVX512) network_ranks_avx512(pairs, z, rows, n, got);
      else network_ranks<4>(pairs, z, rows, n, got);
#else
      network_ranks<4>(pairs, z, rows, n, got);
#endif
      rows_checked += rows;
      if (got != want && bad++ == 0) first = "n = " + std::to_string(n);
    }
    check(bad == 0, name + " (" + std::to_string(rows_checked) + " rows)", first);
  }
}

EnginePlan make_plan(const BoxSpec& box, int dist, int sampler, bool antithetic, uint32_t S, int covariate) {
  EnginePlan plan;
  plan.builtin = true;
  plan.box = box;
  plan.n = box_input_size(box);
  plan.m = box_output_size(box);
  plan.dist = dist;
  plan.covariate = covariate;
  plan.sampler = SamplerConfig{sampler, S, plan.n, 0, antithetic, 0, nullptr};
  plan.sigma.resize(plan.n);
  for (uint32_t j = 0; j < plan.n; j++) plan.sigma[j] = 0.3 + 0.05 * j;
  plan.scale = ScaleConfig{SCALE_DIAGONAL, plan.n, nullptr, nullptr};
  plan.bind();
  return plan;
}

// All outputs of one operation, as raw doubles (floats widened exactly).
std::vector<double> run(const EnginePlan& plan, int op, uint32_t B, unsigned threads, std::string& error) {
  JobInput in;
  in.op = op;
  in.batch = B;
  in.seed = 12345;
  in.threads = threads;
  in.x.resize(static_cast<size_t>(B) * plan.n);
  for (size_t k = 0; k < in.x.size(); k++) in.x[k] = static_cast<float>(std::sin(3.7 * k) * (plan.box.kind == BOX_SHORTEST_PATH ? 0.4 : 1) + (plan.box.kind == BOX_SHORTEST_PATH ? 1 : 0));
  if (in.x.size() > 3) in.x[1] = in.x[2];  // a tie
  if (plan.sigma[0] < 1e-20)                 // the ties case: z == x, three values over all items
    for (size_t k = 0; k < in.x.size(); k++) in.x[k] = static_cast<float>(k % 3);
  in.v.resize(static_cast<size_t>(B) * plan.m);
  for (size_t k = 0; k < in.v.size(); k++) in.v[k] = static_cast<float>(std::cos(1.3 * k));
  in.dir.resize(static_cast<size_t>(B) * plan.n);
  for (size_t k = 0; k < in.dir.size(); k++) in.dir[k] = std::cos(0.7 * k);
  std::atomic<bool> aborted{false};
  JobOutput out;
  if (!run_job(plan, in, out, aborted, [](uint64_t) {}, error)) return {};
  std::vector<double> all(out.value.begin(), out.value.end());
  all.insert(all.end(), out.stderr_.begin(), out.stderr_.end());
  all.insert(all.end(), out.mean.begin(), out.mean.end());
  return all;
}

void check_jobs() {
  const BoxSpec boxes[] = {box_ranks_spec(100), box_ranks_spec(40), box_ranks_spec(5), box_permutation(5), box_topk(10, 3), box_argmax(7),
                           box_shortest_path(4, 5)};
  const char* box_names[] = {"ranks(100)", "ranks(40) with ties", "ranks(5)", "permutation(5)", "topk(10,3)", "argmax(7)", "shortestPath(4,5)"};
  struct SamplerCase { int sampler; bool antithetic; const char* name; };
  const SamplerCase samplers[] = {{SAMPLER_MC, false, "mc"}, {SAMPLER_RQMC_LATIN, false, "rqmc-latin"}, {SAMPLER_MC, true, "mc antithetic"}};
  const int ops[] = {OP_FORWARD, OP_VJP, OP_JACOBIAN, OP_JVP, OP_SCALE_GRADIENT};
  const int top = simd_supported_level();
  for (int level = SIMD_AVX2; level <= SIMD_AVX512; level++)
    if (level > top) std::printf("skip whole jobs at %s (this processor lacks it)\n", simd_level_name(level));
  for (size_t bi = 0; bi < sizeof boxes / sizeof boxes[0]; bi++) {
    long cases = 0, bad = 0;
    std::string first;
    for (int dist = 0; dist < DISTRIBUTION_COUNT; dist++)
      for (const SamplerCase& sc : samplers)
        for (int op : ops) {
          // S = 1100: a partial noise block and a second work item; odd counts reach the vector remainders.
          EnginePlan plan = make_plan(boxes[bi], dist, sc.sampler, sc.antithetic, 1100, dist % 3);
          if (bi == 1) {  // noise far below the spacing of the inputs: z == x, and x has ties (run() sets x[1] = x[2])
            plan.sigma.assign(plan.n, 1e-30);
            plan.bind();
          }
          std::string error;
          simd_set_level(SIMD_SCALAR);
          const std::vector<double> ref = run(plan, op, 2, 1, error);
          for (int level = SIMD_AVX2; level <= top; level++) {
            simd_set_level(level);
            const std::vector<double> got = run(plan, op, 2, level == top ? 2 : 1, error);
            cases++;
            bool same = !ref.empty() && got.size() == ref.size();
            for (size_t k = 0; same && k < ref.size(); k++) same = same_bits(got[k], ref[k]);
            if (!same && bad++ == 0)
              first = std::string(simd_level_name(level)) + ", dist " + std::to_string(dist) + ", " + sc.name + ", op " + std::to_string(op) + error;
          }
        }
    simd_set_level(top);
    check(bad == 0, std::string("whole jobs on ") + box_names[bi] + ": every supported level gives the scalar bits (" + std::to_string(cases) + " jobs)", first);
  }
}

// Logistic and Gumbel whole jobs on every sampler (Sobol with van der Corput directions in every dimension: any
// table serves a level comparison), antithetic where the distribution allows it (the API refuses it for the
// asymmetric Gumbel), against the scalar level on one thread: each supported level on 1 and on 3 threads.
void check_log_jobs() {
  const BoxSpec boxes[] = {box_permutation(4), box_topk(6, 2)};
  const char* box_names[] = {"permutation(4)", "topk(6,2)"};
  const char* sampler_names[] = {"mc", "qmc-latin", "rqmc-latin", "rqmc-cartesian", "sobol", "rqmc-sobol"};
  const int ops[] = {OP_FORWARD, OP_VJP, OP_JACOBIAN};
  const int top = simd_supported_level();
  long cases = 0, bad = 0;
  std::string first;
  for (size_t bi = 0; bi < sizeof boxes / sizeof boxes[0]; bi++)
    for (int dist : {DIST_LOGISTIC, DIST_GUMBEL})
      for (int sampler = 0; sampler < SAMPLER_COUNT; sampler++)
        for (bool antithetic : {false, true}) {
          if (antithetic && dist == DIST_GUMBEL) continue;
          const uint32_t n = box_input_size(boxes[bi]);
          const uint32_t k = n == 4 ? 4 : 2;  // rqmc-cartesian: k^n samples, k even for antithetic pairs
          uint32_t S = 300;
          if (sampler == SAMPLER_RQMC_CARTESIAN) {
            S = 1;
            for (uint32_t d = 0; d < n; d++) S *= k;
          }
          for (int op : ops) {
            EnginePlan plan = make_plan(boxes[bi], dist, sampler, antithetic, S, COVARIATE_LOO);
            plan.sampler.cartesian_k = sampler == SAMPLER_RQMC_CARTESIAN ? k : 0;
            if (sampler == SAMPLER_SOBOL || sampler == SAMPLER_RQMC_SOBOL) {
              plan.sobol_v.resize(static_cast<size_t>(n) * SOBOL_BITS);
              for (uint32_t d = 0; d < n; d++) sobol_van_der_corput(plan.sobol_v.data() + static_cast<size_t>(d) * SOBOL_BITS);
            }
            plan.bind();
            std::string error;
            simd_set_level(SIMD_SCALAR);
            const std::vector<double> ref = run(plan, op, 2, 1, error);
            for (int level = SIMD_SCALAR; level <= top; level++)
              for (unsigned threads : {1u, 3u}) {
                if (level == SIMD_SCALAR && threads == 1) continue;
                simd_set_level(level);
                const std::vector<double> got = run(plan, op, 2, threads, error);
                cases++;
                bool same = !ref.empty() && got.size() == ref.size();
                for (size_t j = 0; same && j < ref.size(); j++) same = same_bits(got[j], ref[j]);
                if (!same && bad++ == 0)
                  first = std::string(box_names[bi]) + ", " + (dist == DIST_LOGISTIC ? "logistic" : "gumbel") + ", " + sampler_names[sampler] +
                          (antithetic ? " antithetic" : "") + ", op " + std::to_string(op) + ", " + simd_level_name(level) + ", " +
                          std::to_string(threads) + " threads " + error;
              }
          }
        }
  simd_set_level(top);
  check(bad == 0 && cases > 0,
        "logistic and Gumbel jobs on every sampler (antithetic too): every supported level on 1 and 3 threads gives the scalar level's bits (" +
            std::to_string(cases) + " jobs)",
        first);
}

void check_level_choice() {
  check(simd_level_for(nullptr, SIMD_AVX2) == SIMD_AVX2 && simd_level_for("scalar", SIMD_AVX512) == SIMD_SCALAR &&
            simd_level_for("avx2", SIMD_AVX512) == SIMD_AVX2 && simd_level_for("avx512", SIMD_AVX2) == SIMD_AVX2 &&
            simd_level_for("avx512", SIMD_AVX512) == SIMD_AVX512 && simd_level_for("sse9", SIMD_AVX2) == SIMD_AVX2,
        "STOCHASTIC_SMOOTHING_SIMD lowers the level, never raises it; unknown values are ignored");
  check(!simd_set_level(simd_supported_level() + 1) && simd_set_level(SIMD_SCALAR) && simd_level() == SIMD_SCALAR,
        "a level above the processor's is refused");
  simd_set_level(simd_supported_level());
}

void check_progress_and_abort() {
  const EnginePlan plan = make_plan(box_ranks_spec(8), DIST_GAUSSIAN, SAMPLER_MC, false, 1u << 20, COVARIATE_LOO);
  JobInput in;
  in.op = OP_FORWARD;
  in.batch = 1;
  in.threads = 2;
  in.x.assign(8, 0.5f);
  std::atomic<bool> aborted{false};
  JobOutput out;
  std::string error;
  std::vector<uint64_t> seen;
  const bool ok = run_job(plan, in, out, aborted, [&](uint64_t done) { seen.push_back(done); }, error);
  bool increasing = true;
  for (size_t k = 1; k < seen.size(); k++) increasing &= seen[k] > seen[k - 1];
  const uint64_t S = plan.sampler.samples;
  uint64_t largest_step = seen.empty() ? S : seen[0];
  for (size_t k = 1; k < seen.size(); k++) largest_step = std::max(largest_step, seen[k] - seen[k - 1]);
  check(ok && seen.size() >= 50 && increasing && !seen.empty() && seen.back() == S && largest_step * 50 <= S,
        "S = 2^20 on one input reports progress at least every 2 % (increasing, ending at S)",
        std::to_string(seen.size()) + " calls, largest step " + std::to_string(largest_step));

  // Abort from the progress callback's thread side: set the flag at the first report and time the rest.
  const EnginePlan big = make_plan(box_ranks_spec(100), DIST_LOGISTIC, SAMPLER_MC, false, 1u << 20, COVARIATE_LOO);
  in.x.assign(100, 0.5f);
  in.threads = 1;
  std::atomic<bool> stop{false};
  uint64_t at_abort = 0;
  std::chrono::steady_clock::time_point t_abort;
  const bool finished = run_job(big, in, out, stop, [&](uint64_t done) {
    if (!stop.load()) {
      at_abort = done;
      t_abort = std::chrono::steady_clock::now();
      stop.store(true);
    }
  }, error);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_abort).count();
  // The job has ~99 % of its work left when the flag is set (seconds, even on a fast machine); the bound is
  // generous for a loaded one: what is checked is that the job stops at once, not after its remaining waves.
  check(!finished && error == "aborted" && at_abort < S / 10 && ms < 1000,
        "an abort at the first progress report ends a job of S = 2^20 at once", std::to_string(ms) + " ms after the abort");
}

}  // namespace

int main() {
  std::printf("processor supports: %s\n", simd_level_name(simd_supported_level()));
  check_level_choice();
  check_kernels();
  check_log_family();
  check_log_kernels();
  check_rank_network();
  check_jobs();
  check_log_jobs();
  check_progress_and_abort();
  return ss::test::summary();
}
