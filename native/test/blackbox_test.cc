// Self-checking test of native/core/blackbox.h (no Node needed); the C++ twin of test/blackboxes.test.ts.
//
//   g++ -std=c++17 -O2 -Wall -Wextra -Inative/core native/test/blackbox_test.cc -o /tmp/bb && /tmp/bb
//
// Each check is one line (PASS/FAIL, name, cases run, first failure); the last line is "N passed, N failed" and
// the exit status is non-zero on any failure. The references are independent of the code under test:
// std::stable_sort with the documented float comparator for the sorting boxes; for the shortest path a
// brute-force enumeration of all simple paths and a synchronous (Jacobi) relaxation of the label rule, as in
// the TS test, plus the hand-written examples of test/blackboxes.test.ts with their stated outputs.
#include <algorithm>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "blackbox.h"
#include "check.h"  // native/test: the shared harness

using ss::test::check;
using ss::test::Rng;

namespace {




const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

float neg_nan() {  // a NaN with the sign bit and a payload: still "the largest value"
  uint32_t b = 0xFFC01234u;
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

const std::vector<float> kSpecials = {kNaN, kInf, -kInf, 0.0f, -0.0f, 1.0f, -1.0f, 0.5f, 3.4e38f, -3.4e38f, 1e-45f,
                                      neg_nan(), FLT_MAX, -FLT_MAX};

/** Random float32 scores with deliberate ties and the special values (randomScores in the TS test). */
std::vector<float> random_scores(Rng& rand, size_t count) {
  std::vector<float> out(count);
  for (auto& x : out) {
    const double p = rand();
    if (p < 0.2) x = kSpecials[rand.below(static_cast<uint32_t>(kSpecials.size()))];
    else if (p < 0.55) x = static_cast<float>(std::floor(rand() * 4) - 2);  // small integers: many ties
    else x = static_cast<float>((rand() - 0.5) * 10);
  }
  return out;
}

std::string show(const float* v, size_t n) {
  std::string s = "[";
  char buf[32];
  for (size_t i = 0; i < n && i < 16; i++) {
    std::snprintf(buf, sizeof buf, "%s%g", i ? "," : "", static_cast<double>(v[i]));
    s += buf;
  }
  return s + (n > 16 ? ",...]" : "]");
}

/** Reference ascending order: stable sort, NaN last (all NaNs equal), -0 == +0 (plain float <). */
std::vector<uint32_t> ref_ascending(const float* v, uint32_t n) {
  std::vector<uint32_t> idx(n);
  for (uint32_t i = 0; i < n; i++) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [v](uint32_t i, uint32_t j) {
    const bool na = std::isnan(v[i]), nb = std::isnan(v[j]);
    if (na != nb) return nb;
    if (na) return false;
    return v[i] < v[j];
  });
  return idx;
}

/** Reference "largest first": stable sort, NaN first, values descending; equal values keep index order. */
std::vector<uint32_t> ref_descending(const float* v, uint32_t n) {
  std::vector<uint32_t> idx(n);
  for (uint32_t i = 0; i < n; i++) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [v](uint32_t i, uint32_t j) {
    const bool na = std::isnan(v[i]), nb = std::isnan(v[j]);
    if (na != nb) return na;
    if (na) return false;
    return v[i] > v[j];
  });
  return idx;
}

bool same_bits(const float* a, const float* b, size_t n) { return std::memcmp(a, b, n * sizeof(float)) == 0; }

std::vector<float> run(const ss::BoxSpec& s, const std::vector<float>& in) {
  std::vector<uint64_t> scratch((ss::box_scratch_bytes(s) + 7) / 8 + 1);
  const size_t n = ss::box_input_size(s), m = ss::box_output_size(s);
  const size_t count = in.size() / n;
  std::vector<float> out(count * m, 7.0f);  // garbage: every output must be written
  ss::evaluate_boxes(s, in.data(), count, out.data(), scratch.data());
  return out;
}

// ------------------------------------------------------------------ shortest-path references

const double FMAX = 3.4028234663852886e38;
double sanitize_ref(float c) { return std::isnan(c) || c == kInf ? FMAX : (c <= 0 ? 0.0 : static_cast<double>(c)); }

std::vector<int> neighbours(int v, int rows, int cols) {
  std::vector<int> out;
  const int r = v / cols, c = v % cols;
  for (int dr = -1; dr <= 1; dr++)
    for (int dc = -1; dc <= 1; dc++) {
      if (!dr && !dc) continue;
      const int rr = r + dr, cc = c + dc;
      if (rr >= 0 && rr < rows && cc >= 0 && cc < cols) out.push_back(rr * cols + cc);
    }
  return out;  // row-major: increasing index
}

struct Brute {
  double minCost = HUGE_VAL;
  size_t minCells = 0;
  std::vector<std::vector<float>> best;  // masks of all minimum-cost paths
};

/** Every simple 8-neighbour path from start to target, costs summed left to right in double. */
Brute brute_force(const float* costs, int rows, int cols) {
  const int N = rows * cols;
  std::vector<double> c(N);
  for (int i = 0; i < N; i++) c[i] = sanitize_ref(costs[i]);
  std::vector<char> visited(N, 0);
  std::vector<int> path{0};
  std::vector<std::vector<int>> best;
  double minCost = HUGE_VAL;
  std::function<void(int, double)> dfs = [&](int v, double cost) {
    if (v == N - 1) {
      if (cost < minCost) {
        minCost = cost;
        best.clear();
      }
      if (cost == minCost) best.push_back(path);
      return;
    }
    for (int u : neighbours(v, rows, cols)) {
      if (visited[u]) continue;
      visited[u] = 1;
      path.push_back(u);
      dfs(u, cost + c[u]);
      path.pop_back();
      visited[u] = 0;
    }
  };
  visited[0] = 1;
  dfs(0, c[0]);
  Brute b;
  b.minCost = minCost;
  b.minCells = SIZE_MAX;
  for (auto& p : best) {
    std::vector<float> m(N, 0.0f);
    for (int v : p) m[v] = 1.0f;
    b.best.push_back(m);
    b.minCells = std::min(b.minCells, p.size());
  }
  return b;
}

/**
 * The label rule by synchronous relaxation (every sweep recomputes each label from the previous sweep's
 * neighbours alone, start pinned) and the lowest-index trace-back: relaxationReference in the TS test.
 */
std::vector<float> relaxation_ref(const float* costs, int rows, int cols) {
  const int N = rows * cols;
  std::vector<double> c(N), dist(N, HUGE_VAL);
  std::vector<long> hops(N, LONG_MAX / 2);
  for (int i = 0; i < N; i++) c[i] = sanitize_ref(costs[i]);
  dist[0] = c[0];
  hops[0] = 0;
  for (bool changed = true; changed;) {
    changed = false;
    std::vector<double> nd(N, HUGE_VAL);
    std::vector<long> nh(N, LONG_MAX / 2);
    nd[0] = c[0];
    nh[0] = 0;
    for (int v = 1; v < N; v++) {
      for (int u : neighbours(v, rows, cols)) {
        const double d = dist[u] + c[v];
        const long h = hops[u] + 1;
        if (d < nd[v] || (d == nd[v] && h < nh[v])) {
          nd[v] = d;
          nh[v] = h;
        }
      }
      if (nd[v] != dist[v] || nh[v] != hops[v]) changed = true;
    }
    dist.swap(nd);
    hops.swap(nh);
  }
  std::vector<float> mask(N, 0.0f);
  int v = N - 1;
  mask[v] = 1;
  while (v != 0) {
    int pred = -1;
    for (int u : neighbours(v, rows, cols))
      if (dist[u] + c[v] == dist[v] && hops[u] + 1 == hops[v]) {
        pred = u;
        break;
      }
    if (pred < 0) return {};  // not the fixed point: reported as a mismatch
    v = pred;
    mask[v] = 1;
  }
  return mask;
}

/** 0/1 mask holding start and target whose cells are 8-connected. */
bool is_connected_path(const float* mask, int rows, int cols) {
  const int N = rows * cols;
  int total = 0;
  for (int i = 0; i < N; i++) {
    if (mask[i] != 0.0f && mask[i] != 1.0f) return false;
    total += mask[i] == 1.0f;
  }
  if (mask[0] != 1.0f || mask[N - 1] != 1.0f) return false;
  std::vector<char> seen(N, 0);
  std::vector<int> stack{0};
  seen[0] = 1;
  int reached = 0;
  while (!stack.empty()) {
    const int v = stack.back();
    stack.pop_back();
    reached++;
    for (int u : neighbours(v, rows, cols))
      if (mask[u] == 1.0f && !seen[u]) {
        seen[u] = 1;
        stack.push_back(u);
      }
  }
  return reached == total && seen[N - 1];
}

double mask_cost(const float* mask, const float* costs, int N) {
  double s = 0;
  for (int i = 0; i < N; i++)
    if (mask[i] == 1.0f) s += sanitize_ref(costs[i]);
  return s;
}

std::vector<float> sp(int rows, int cols, const std::vector<float>& costs) {
  return run(ss::box_shortest_path(rows, cols), costs);
}

}  // namespace

int main() {
  using ss::BoxSpec;
  std::vector<uint32_t> sizes;
  for (uint32_t n = 1; n <= 70; n++) sizes.push_back(n);
  sizes.push_back(257);

  // ---------------------------------------------------------------- the order itself
  check("order keys agree with precedes_ascending/descending on all pairs of special values", [&](auto fail) {
    long cases = 0;
    std::vector<float> vals = kSpecials;
    for (float x : {2.0f, -2.0f, -1e-45f, 1e-38f}) vals.push_back(x);
    for (uint32_t a = 0; a < vals.size(); a++)
      for (uint32_t b = 0; b < vals.size(); b++)
        for (uint32_t i : {0u, 1u})
          for (uint32_t j : {0u, 1u}) {
            if (i == j) continue;
            cases++;
            const bool asc = ss::asc_key(vals[a], i) < ss::asc_key(vals[b], j);
            const bool desc = ss::desc_key(vals[a], i) < ss::desc_key(vals[b], j);
            if (asc != ss::precedes_ascending(vals[a], i, vals[b], j) ||
                desc != ss::precedes_descending(vals[a], i, vals[b], j))
              fail("a=" + std::to_string(vals[a]) + " b=" + std::to_string(vals[b]));
          }
    return cases;
  });

  check("sort_network<N>, N = 2..16, sorts every 0/1 input (the 0-1 principle: it sorts everything)", [&](auto fail) {
    long cases = 0;
    auto run_net = [](uint32_t N, uint64_t* v) {
      switch (N) {
        case 2: ss::sort_network<2>(v); break;    case 3: ss::sort_network<3>(v); break;
        case 4: ss::sort_network<4>(v); break;    case 5: ss::sort_network<5>(v); break;
        case 6: ss::sort_network<6>(v); break;    case 7: ss::sort_network<7>(v); break;
        case 8: ss::sort_network<8>(v); break;    case 9: ss::sort_network<9>(v); break;
        case 10: ss::sort_network<10>(v); break;  case 11: ss::sort_network<11>(v); break;
        case 12: ss::sort_network<12>(v); break;  case 13: ss::sort_network<13>(v); break;
        case 14: ss::sort_network<14>(v); break;  case 15: ss::sort_network<15>(v); break;
        default: ss::sort_network<16>(v); break;
      }
    };
    for (uint32_t N = 2; N <= 16; N++)
      for (uint32_t m = 0; m < (1u << N); m++, cases++) {
        uint64_t v[16];
        for (uint32_t i = 0; i < 16; i++) v[i] = i < N ? (m >> i) & 1 : 99;  // 99: must stay untouched
        run_net(N, v);
        bool ok = true;
        for (uint32_t i = 0; i + 1 < N; i++) ok = ok && v[i] <= v[i + 1];
        for (uint32_t i = N; i < 16; i++) ok = ok && v[i] == 99;
        if (!ok) fail("N=" + std::to_string(N) + " m=" + std::to_string(m));
      }
    return cases;
  });

  check("sort_keys and select_keys (every budget) match std::sort on patterned inputs", [&](auto fail) {
    long cases = 0;
    Rng rand(99);
    for (uint32_t n : {1u, 2u, 3u, 5u, 8u, 9u, 15u, 16u, 17u, 31u, 32u, 33u, 47u, 48u, 64u, 65u, 100u, 1000u, 4097u}) {
      for (int pattern = 0; pattern < 5; pattern++) {
        std::vector<uint64_t> keys(n), tmp(n);
        for (uint32_t i = 0; i < n; i++) {
          const uint64_t hi = pattern == 0 ? rand.below(1u << 31) : pattern == 1 ? i : pattern == 2 ? n - i
                              : pattern == 3 ? std::min(i, n - i) : 7;
          keys[i] = (hi << 32) | i;
        }
        std::vector<uint64_t> want = keys;
        std::sort(want.begin(), want.end());
        std::vector<uint64_t> got = keys;
        ss::sort_keys(got.data(), tmp.data(), n);
        cases++;
        if (got != want) fail("sort n=" + std::to_string(n) + " pattern=" + std::to_string(pattern));
        for (uint32_t k : {1u, 2u, n / 2, n - 1, n}) {
          if (k < 1 || k > n) continue;
          for (int budget : {-1, 0, 1, 2}) {
            std::vector<uint64_t> s = keys;
            const uint64_t t = ss::select_keys(s.data(), tmp.data(), n, k, budget);
            cases++;
            std::vector<uint64_t> first(s.begin(), s.begin() + k);
            std::sort(first.begin(), first.end());
            if (t != want[k - 1] || !std::equal(first.begin(), first.end(), want.begin()))
              fail("select n=" + std::to_string(n) + " k=" + std::to_string(k) + " budget=" + std::to_string(budget));
          }
        }
      }
    }
    return cases;
  });

  // ---------------------------------------------------------------- sorting boxes vs references
  check("permutation(n), n = 1..70 and 257, matches the stable-sort reference", [&](auto fail) {
    long cases = 0;
    Rng rand(1);
    for (uint32_t n : sizes) {
      const size_t count = n > 64 ? 20 : 200;
      const auto x = random_scores(rand, count * n);
      const BoxSpec s = ss::box_permutation(n);
      if (!ss::box_spec_valid(s) || ss::box_output_size(s) != n * n) fail("spec n=" + std::to_string(n));
      const auto out = run(s, x);
      for (size_t b = 0; b < count; b++, cases++) {
        const auto order = ref_ascending(&x[b * n], n);
        std::vector<float> expected(size_t(n) * n, 0.0f);
        for (uint32_t pos = 0; pos < n; pos++) expected[size_t(order[pos]) * n + pos] = 1.0f;
        if (!same_bits(&out[b * n * n], expected.data(), size_t(n) * n))
          fail("n=" + std::to_string(n) + " x=" + show(&x[b * n], n));
      }
    }
    return cases;
  });

  check("ranks(n), n = 1..70 and 257, are the inverse of the reference argsort", [&](auto fail) {
    long cases = 0;
    Rng rand(3);
    for (uint32_t n : sizes) {
      const size_t count = n > 64 ? 20 : 150;
      const auto x = random_scores(rand, count * n);
      const auto out = run(ss::box_ranks_spec(n), x);
      for (size_t b = 0; b < count; b++, cases++) {
        const auto order = ref_ascending(&x[b * n], n);
        std::vector<float> expected(n);
        for (uint32_t pos = 0; pos < n; pos++) expected[order[pos]] = static_cast<float>(pos);
        if (!same_bits(&out[b * n], expected.data(), n)) fail("n=" + std::to_string(n) + " x=" + show(&x[b * n], n));
      }
    }
    return cases;
  });

  check("argmax(n), n = 1..70 and 257, matches a brute-force maximum (NaN largest, lowest index)", [&](auto fail) {
    long cases = 0;
    Rng rand(4);
    for (uint32_t n : sizes) {
      const size_t count = 200;
      const auto x = random_scores(rand, count * n);
      const auto out = run(ss::box_argmax(n), x);
      for (size_t b = 0; b < count; b++, cases++) {
        const float* v = &x[b * n];
        uint32_t expected = n;
        for (uint32_t i = 0; i < n && expected == n; i++)
          if (std::isnan(v[i])) expected = i;
        if (expected == n) {
          float mx = -kInf;
          for (uint32_t i = 0; i < n; i++) mx = std::max(mx, v[i]);
          for (uint32_t i = 0; i < n && expected == n; i++)
            if (v[i] == mx) expected = i;
        }
        std::vector<float> hot(n, 0.0f);
        hot[expected] = 1.0f;
        if (!same_bits(&out[b * n], hot.data(), n) || expected != ref_descending(v, n)[0])
          fail("n=" + std::to_string(n) + " x=" + show(v, n));
      }
    }
    return cases;
  });

  check("topk(n, k), n = 1..70 (every k) and 257, matches brute force and the reference sort", [&](auto fail) {
    long cases = 0;
    Rng rand(5);
    for (uint32_t n : sizes) {
      std::vector<uint32_t> ks;
      if (n <= 70) for (uint32_t k = 1; k <= n; k++) ks.push_back(k);
      else ks = {1, 2, 3, 50, 128, 129, 200, n - 1, n};
      for (uint32_t k : ks) {
        const size_t count = n > 64 ? 10 : 12;
        const auto x = random_scores(rand, count * n);
        const auto out = run(ss::box_topk(n, k), x);
        for (size_t b = 0; b < count; b++, cases++) {
          const float* v = &x[b * n];
          auto beats = [v](uint32_t j, uint32_t i) {
            const float a = v[j], c = v[i];
            if (std::isnan(a) && std::isnan(c)) return j < i;
            if (std::isnan(a)) return true;
            if (std::isnan(c)) return false;
            return a > c || (a == c && j < i);
          };
          std::vector<float> brute(n, 0.0f), fromSort(n, 0.0f);
          for (uint32_t i = 0; i < n; i++) {
            uint32_t beaten = 0;
            for (uint32_t j = 0; j < n; j++) beaten += j != i && beats(j, i);
            brute[i] = beaten < k ? 1.0f : 0.0f;
          }
          const auto order = ref_descending(v, n);
          for (uint32_t r = 0; r < k; r++) fromSort[order[r]] = 1.0f;
          if (!same_bits(brute.data(), fromSort.data(), n) || !same_bits(&out[b * n], brute.data(), n))
            fail("n=" + std::to_string(n) + " k=" + std::to_string(k) + " x=" + show(v, n));
        }
      }
    }
    return cases;
  });

  check("box_ranks and box_support agree with the dense outputs", [&](auto fail) {
    long cases = 0;
    Rng rand(7);
    for (uint32_t n : sizes) {
      const auto x = random_scores(rand, n);
      const std::vector<BoxSpec> specs = {ss::box_permutation(n), ss::box_ranks_spec(n), ss::box_argmax(n),
                                          ss::box_topk(n, (n + 1) / 2), ss::box_topk(n, 1), ss::box_topk(n, n)};
      for (const BoxSpec& s : specs) {
        cases++;
        std::vector<uint64_t> scratch(ss::box_scratch_bytes(s) / 8 + 1);
        const auto dense = run(s, x);
        std::vector<uint32_t> ranks(n, 0xFFFFFFFFu), idx(ss::box_support_max(s) + 1, 0xFFFFFFFFu);
        const uint32_t nr = ss::box_ranks(s, x.data(), ranks.data(), scratch.data());
        const uint32_t ni = ss::box_support(s, x.data(), idx.data(), scratch.data());
        if (s.kind == ss::BOX_PERMUTATION || s.kind == ss::BOX_RANKS) {
          if (nr != n) fail("box_ranks count");
          for (uint32_t i = 0; i < n; i++) {
            const float want = s.kind == ss::BOX_RANKS ? dense[i] : static_cast<float>(ranks[i]);
            if (static_cast<float>(ranks[i]) != want || (s.kind == ss::BOX_PERMUTATION && dense[i * n + ranks[i]] != 1.0f))
              fail("box_ranks kind=" + std::to_string(s.kind) + " n=" + std::to_string(n));
          }
        } else if (nr != 0) {
          fail("box_ranks should return 0 for kind " + std::to_string(s.kind));
        }
        if (s.kind == ss::BOX_RANKS) {
          if (ni != 0) fail("box_support(ranks) should return 0");
          continue;
        }
        std::vector<float> rebuilt(dense.size(), 0.0f);
        for (uint32_t t = 0; t < ni; t++) {
          rebuilt[idx[t]] = 1.0f;
          if (t && idx[t] <= idx[t - 1]) fail("box_support not ascending");
        }
        if (ni > ss::box_support_max(s) || !same_bits(rebuilt.data(), dense.data(), dense.size()))
          fail("box_support kind=" + std::to_string(s.kind) + " n=" + std::to_string(n));
      }
    }
    return cases;
  });

  check("sorting boxes: the documented tie and special-value examples of test/blackboxes.test.ts", [&](auto fail) {
    struct Ex { BoxSpec s; std::vector<float> in, out; };
    const std::vector<Ex> ex = {
        {ss::box_argmax(2), {3, 3}, {1, 0}},
        {ss::box_argmax(3), {kNaN, 1, kNaN}, {1, 0, 0}},
        {ss::box_argmax(3), {1, kInf, kNaN}, {0, 0, 1}},
        {ss::box_argmax(3), {-0.0f, 0, -1}, {1, 0, 0}},
        {ss::box_argmax(3), {-kInf, -kInf, -kInf}, {1, 0, 0}},
        {ss::box_ranks_spec(2), {5, 5}, {0, 1}},
        {ss::box_ranks_spec(2), {0, -0.0f}, {0, 1}},
        {ss::box_ranks_spec(2), {-0.0f, 0}, {0, 1}},
        {ss::box_ranks_spec(3), {kNaN, kInf, -kInf}, {2, 1, 0}},
        {ss::box_ranks_spec(3), {kNaN, kNaN, 1}, {1, 2, 0}},
        {ss::box_topk(3, 2), {1, 1, 1}, {1, 1, 0}},
        {ss::box_topk(4, 2), {2, kNaN, 2, 5}, {0, 1, 0, 1}},
        {ss::box_topk(3, 3), {kNaN, -1, 0}, {1, 1, 1}},
        {ss::box_permutation(2), {2, 1}, {0, 1, 1, 0}},
        {ss::box_permutation(1), {kNaN}, {1}},
    };
    long cases = 0;
    for (const auto& e : ex) {
      cases++;
      const auto out = run(e.s, e.in);
      if (out.size() != e.out.size() || !same_bits(out.data(), e.out.data(), out.size()))
        fail("kind=" + std::to_string(e.s.kind) + " in=" + show(e.in.data(), e.in.size()));
    }
    // count 0 is a no-op
    cases++;
    std::vector<float> out(4, 9.0f);
    ss::evaluate_boxes(ss::box_permutation(2), nullptr, 0, out.data(), nullptr);
    if (out != std::vector<float>(4, 9.0f)) fail("count 0 wrote outputs");
    return cases;
  });

  check("spec sizes and validity (the TS factory limits)", [&](auto fail) {
    long cases = 0;
    auto expect = [&](bool cond, const char* what) {
      cases++;
      if (!cond) fail(what);
    };
    expect(ss::box_output_size(ss::box_permutation(7)) == 49 && ss::box_input_size(ss::box_permutation(7)) == 7, "perm sizes");
    expect(ss::box_output_size(ss::box_shortest_path(3, 4)) == 12, "path sizes");
    expect(ss::box_spec_valid(ss::box_permutation(46340)) && !ss::box_spec_valid(ss::box_permutation(46341)), "perm limit");
    expect(!ss::box_spec_valid(ss::box_permutation(0)) && !ss::box_spec_valid(ss::box_ranks_spec(0)), "n = 0");
    expect(ss::box_spec_valid(ss::box_topk(5, 5)) && !ss::box_spec_valid(ss::box_topk(5, 6)) &&
               !ss::box_spec_valid(ss::box_topk(5, 0)), "topk k range");
    expect(!ss::box_spec_valid(ss::box_shortest_path(1, 1)) && ss::box_spec_valid(ss::box_shortest_path(1, 2)) &&
               ss::box_spec_valid(ss::box_shortest_path(2, 1)) && !ss::box_spec_valid(ss::box_shortest_path(0, 3)),
           "path shapes");
    expect(!ss::box_spec_valid(ss::box_shortest_path(100000, 100000)), "path too large");
    expect(!ss::box_spec_valid(BoxSpec{ss::BOX_SHORTEST_PATH, 5, 0, 2, 3}), "path n != rows*cols");
    expect(!ss::box_spec_valid(BoxSpec{9, 5, 0, 0, 0}), "unknown kind");
    expect(ss::box_scratch_bytes(ss::box_shortest_path(7, 5)) % 8 == 0 && ss::box_scratch_bytes(ss::box_argmax(9)) == 0,
           "scratch sizes");
    return cases;
  });

  // ---------------------------------------------------------------- shortest path
  const std::vector<std::pair<int, int>> smallGrids = {{1, 2}, {2, 1}, {1, 5}, {2, 2}, {2, 3}, {3, 2}, {3, 3}, {3, 4}, {4, 3}};

  check("shortestPath equals the unique brute-force optimum on grids up to 3x4 (continuous costs)", [&](auto fail) {
    long cases = 0;
    Rng rand(10);
    for (auto [rows, cols] : smallGrids) {
      const int N = rows * cols;
      const int count = N > 9 ? 15 : 40;
      std::vector<float> x(size_t(count) * N);
      for (auto& c : x) c = static_cast<float>(0.01 + rand() * 5);
      const auto out = sp(rows, cols, x);
      for (int b = 0; b < count; b++, cases++) {
        const Brute br = brute_force(&x[size_t(b) * N], rows, cols);
        if (br.best.size() != 1) fail("optimum not unique");
        else if (!same_bits(&out[size_t(b) * N], br.best[0].data(), N))
          fail(std::to_string(rows) + "x" + std::to_string(cols) + " costs=" + show(&x[size_t(b) * N], N));
      }
    }
    return cases;
  });

  check("shortestPath with ties and zero/negative costs: min cost, fewest cells, relaxation reference", [&](auto fail) {
    long cases = 0;
    Rng rand(11);
    const std::vector<std::vector<float>> palettes = {{1, 2}, {0, 1}, {0, 0, 1, 2}, {0}, {-1, -0.0f, 0, 2}};
    for (auto [rows, cols] : smallGrids)
      for (const auto& pal : palettes) {
        const int N = rows * cols;
        const int count = N > 9 ? 8 : 20;
        std::vector<float> x(size_t(count) * N);
        for (auto& c : x) c = pal[rand.below(static_cast<uint32_t>(pal.size()))];
        const auto out = sp(rows, cols, x);
        for (int b = 0; b < count; b++, cases++) {
          const float* costs = &x[size_t(b) * N];
          const float* mask = &out[size_t(b) * N];
          const Brute br = brute_force(costs, rows, cols);
          size_t cells = 0;
          for (int i = 0; i < N; i++) cells += mask[i] == 1.0f;
          bool among = false;
          for (auto& m : br.best) among = among || same_bits(m.data(), mask, N);
          const auto relax = relaxation_ref(costs, rows, cols);
          if (!is_connected_path(mask, rows, cols) || mask_cost(mask, costs, N) != br.minCost ||
              cells != br.minCells || !among || relax.size() != size_t(N) || !same_bits(relax.data(), mask, N))
            fail(std::to_string(rows) + "x" + std::to_string(cols) + " costs=" + show(costs, N));
        }
      }
    return cases;
  });

  check("shortestPath agrees with the relaxation reference on larger grids with heavy ties", [&](auto fail) {
    long cases = 0;
    Rng rand(12);
    const std::vector<std::vector<float>> palettes = {{1, 2}, {0, 1}, {0, 0, 0, 1}, {1, 2, 3, kNaN, kInf, -kInf, -0.0f}};
    for (auto [rows, cols] : std::vector<std::pair<int, int>>{{5, 5}, {6, 9}, {10, 10}, {1, 17}, {17, 1}, {12, 12}})
      for (const auto& pal : palettes) {
        const int N = rows * cols, count = 10;
        std::vector<float> x(size_t(count) * N);
        for (auto& c : x) c = pal[rand.below(static_cast<uint32_t>(pal.size()))];
        const auto out = sp(rows, cols, x);
        for (int b = 0; b < count; b++, cases++) {
          const auto relax = relaxation_ref(&x[size_t(b) * N], rows, cols);
          if (relax.size() != size_t(N) || !same_bits(relax.data(), &out[size_t(b) * N], N))
            fail(std::to_string(rows) + "x" + std::to_string(cols));
        }
      }
    return cases;
  });

  check("shortestPath under float absorption (3.4e38 cells next to tiny ones) matches the relaxation reference",
        [&](auto fail) {
    // Here d + cost(v) rounds equal for different d, so the hops tie-break of the relaxation decides labels
    // and a search that ignores it (a plain "dist improves" Dijkstra) goes wrong.
    long cases = 0;
    Rng rand(16);
    const std::vector<std::vector<float>> palettes = {{FLT_MAX, 1e-45f, 1, 0, kNaN}, {3.4e38f, 3.4e38f, 1e30f, 1},
                                                      {kInf, 0.5f, 2, 0}};
    for (auto [rows, cols] : std::vector<std::pair<int, int>>{{3, 3}, {3, 4}, {4, 4}, {3, 30}, {30, 3}, {8, 8}, {16, 16}})
      for (const auto& pal : palettes) {
        const int N = rows * cols, count = 60;
        std::vector<float> x(size_t(count) * N);
        for (auto& c : x) c = pal[rand.below(static_cast<uint32_t>(pal.size()))];
        const auto out = sp(rows, cols, x);
        for (int b = 0; b < count; b++, cases++) {
          const auto relax = relaxation_ref(&x[size_t(b) * N], rows, cols);
          if (relax.size() != size_t(N) || !same_bits(relax.data(), &out[size_t(b) * N], N))
            fail(std::to_string(rows) + "x" + std::to_string(cols) + " costs=" + show(&x[size_t(b) * N], N));
        }
      }
    return cases;
  });

  check("shortestPath: the documented examples of test/blackboxes.test.ts", [&](auto fail) {
    long cases = 0;
    auto expect = [&](int rows, int cols, const std::vector<float>& in, const std::vector<float>& want) {
      cases++;
      const auto out = sp(rows, cols, in);
      if (!same_bits(out.data(), want.data(), want.size()))
        fail(std::to_string(rows) + "x" + std::to_string(cols) + " in=" + show(in.data(), in.size()));
    };
    expect(1, 2, {5, 7}, {1, 1});
    expect(2, 1, {kNaN, kNaN}, {1, 1});
    expect(2, 2, {1, 0, 0, 1}, {1, 0, 0, 1});                    // diagonal beats the zero-cell detour
    expect(2, 3, {1, 1, 9, 9, 9, 1}, {1, 1, 0, 0, 0, 1});        // vertex weights
    expect(2, 3, {1, 1, 1, 1, 1, 1}, {1, 1, 0, 0, 0, 1});        // lowest-index predecessor
    std::vector<float> diag(25, 0.0f);
    for (int i = 0; i < 25; i += 6) diag[i] = 1;
    expect(5, 5, std::vector<float>(25, kNaN), diag);             // all NaN: fewest cells, the diagonal
    // Float absorption: the label rule, not a min(old, new) Bellman-Ford.
    expect(3, 4, {1, 1, 0, kNaN, 0, kNaN, 1, 2, 1, 0, 1, kNaN}, {1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1});
    // An "infinite" wall is crossed exactly once.
    const std::vector<float> wall = {1, kInf, 1, 1, kInf, 1, 1, kInf, 1};
    const auto m = sp(3, 3, wall);
    cases++;
    if (m[1] + m[4] + m[7] != 1.0f || mask_cost(m.data(), wall.data(), 9) != 1 + FMAX + 1) fail("wall");
    return cases;
  });

  check("shortestPath: NaN, ±Infinity, negative, -0 and huge costs give a connected minimum-cost path", [&](auto fail) {
    long cases = 0;
    Rng rand(13);
    const std::vector<float> weird = {kNaN, kInf, -kInf, -0.0f, 0, -5, 3.4e38f, 1e-45f, 1, 2.5f, neg_nan()};
    for (auto [rows, cols] : std::vector<std::pair<int, int>>{{2, 2}, {3, 4}, {7, 5}, {16, 16}}) {
      const int N = rows * cols, count = 30;
      std::vector<float> x(size_t(count) * N);
      for (auto& c : x) c = weird[rand.below(static_cast<uint32_t>(weird.size()))];
      const auto out = sp(rows, cols, x);
      for (int b = 0; b < count; b++, cases++) {
        const float* mask = &out[size_t(b) * N];
        const float* costs = &x[size_t(b) * N];
        if (!is_connected_path(mask, rows, cols)) fail("not a path");
        else if (N <= 12 && mask_cost(mask, costs, N) != brute_force(costs, rows, cols).minCost) fail("not cheapest");
      }
    }
    for (float fill : {kNaN, kInf, -kInf, 0.0f, -0.0f, 3.4e38f}) {
      cases++;
      const auto mask = sp(6, 4, std::vector<float>(24, fill));
      float total = 0;
      for (float v : mask) total += v;
      if (!is_connected_path(mask.data(), 6, 4) || total != 6) fail("uniform fill " + std::to_string(fill));
    }
    return cases;
  });

  check("shortestPath: box_support lists the path cells, target first; batches equal one-row calls", [&](auto fail) {
    long cases = 0;
    Rng rand(14);
    const int rows = 9, cols = 7, N = rows * cols, count = 25;
    const BoxSpec s = ss::box_shortest_path(rows, cols);
    std::vector<float> x(size_t(count) * N);
    for (auto& c : x) c = rand() < 0.5 ? static_cast<float>(std::floor(rand() * 3)) : static_cast<float>(rand());
    const auto batch = run(s, x);
    std::vector<uint64_t> scratch(ss::box_scratch_bytes(s) / 8);
    for (int b = 0; b < count; b++, cases++) {
      const std::vector<float> one(x.begin() + size_t(b) * N, x.begin() + size_t(b + 1) * N);
      const auto single = run(s, one);
      std::vector<uint32_t> idx(ss::box_support_max(s));
      const uint32_t k = ss::box_support(s, one.data(), idx.data(), scratch.data());
      std::vector<float> rebuilt(N, 0.0f);
      for (uint32_t t = 0; t < k; t++) rebuilt[idx[t]] = 1.0f;
      if (!same_bits(single.data(), &batch[size_t(b) * N], N) || !same_bits(rebuilt.data(), single.data(), N) ||
          idx[0] != uint32_t(N - 1) || idx[k - 1] != 0)
        fail("row " + std::to_string(b));
    }
    return cases;
  });

  check("shortestPath on a 32x32 grid: connected paths, relaxation reference on two rows", [&](auto fail) {
    long cases = 0;
    Rng rand(15);
    const int count = 64, N = 1024;
    std::vector<float> x(size_t(count) * N);
    for (auto& c : x) c = static_cast<float>(rand() * 10);
    const auto out = sp(32, 32, x);
    for (int b = 0; b < count; b++, cases++)
      if (!is_connected_path(&out[size_t(b) * N], 32, 32)) fail("row " + std::to_string(b));
    for (int b = 0; b < 2; b++, cases++) {
      const auto relax = relaxation_ref(&x[size_t(b) * N], 32, 32);
      if (relax.size() != size_t(N) || !same_bits(relax.data(), &out[size_t(b) * N], N)) fail("relaxation row");
    }
    return cases;
  });

  return ss::test::summary();
}
