// Node-free, GPU-free test of the CUDA backend's per-thread logic (ctest: cuda_host_test; also run by
// test/cuda.test.ts when built). Compiled by nvcc as host code: the kernels' phases (cuda/tile/, block/bitonic.h,
// block/grid_relax.h, tile/noise_quad.h) run sequentially through HostExec (block/exec.h), which executes exactly the work
// units the device spreads over a block, barrier by barrier. With SS_CURAND_ON_HOST, cuRAND's own device-API
// functions (curand_init / curand for Philox4_32_10 and Sobol32) are compiled for the host as well, so the
// cuRAND draws are checked bit for bit against the core here, not only on a GPU.
//
// References are the core (native/core: sample_row, prepare_batch_keys, sort_keys, ranks_of_row, Dijkstra
// shortest_path_row) and the CPU engine (native/cpu/engine.cc: run_job, UserStream), never the code under test.
// Each check prints one line; the last line is "N passed, N failed"; the exit status is non-zero on a failure.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "engine.h"  // native/cpu: the reference engine
#include "block/exec.h"
#include "tile/item.h"
#include "check.h"  // native/test: the shared harness
#include "frontier_model.h"
#include "test_scale.h"

using namespace ss;
using namespace ss::gpu;

using ss::test::check;
using ss::test::Rng;

namespace {




const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

uint64_t bits(double x) {
  uint64_t b;
  std::memcpy(&b, &x, 8);
  return b;
}

/** Joe–Kuo rows 2..9 of new-joe-kuo-6.21201 (s, a, m_1..m_s), enough for dims ≤ 9; dimension 0 is van der Corput. */
std::vector<uint32_t> sobol_directions(uint32_t dims) {
  struct Row { uint32_t s, a; uint32_t m[4]; };
  static const Row rows[] = {{1, 0, {1}}, {2, 1, {1, 3}}, {3, 1, {1, 3, 1}}, {3, 2, {1, 1, 1}},
                             {4, 1, {1, 1, 3, 3}}, {4, 4, {1, 3, 5, 13}}, {5, 2, {1, 1, 5, 5}}, {5, 4, {1, 3, 3, 9}}};
  std::vector<uint32_t> v(static_cast<size_t>(dims) * 32);
  sobol_van_der_corput(v.data());
  for (uint32_t d = 1; d < dims; d++) {
    const Row& r = rows[d - 1];
    uint32_t m[8] = {0};
    for (uint32_t k = 0; k < r.s && k < 4; k++) m[k] = r.m[k];
    if (r.s == 5) m[4] = d == 7 ? 17 : 31;  // rows 8, 9: m_5 = 17, 31 (table rows "5 2 1 1 5 5 17", "5 4 1 3 3 9 31")
    sobol_joe_kuo(r.s, r.a, m, v.data() + static_cast<size_t>(d) * 32);
  }
  return v;
}

struct SamplerCase {
  int sampler;
  uint32_t S, dims;
  bool antithetic;
  uint32_t k;
};

std::vector<SamplerCase> sampler_cases() {
  std::vector<SamplerCase> cs;
  const uint32_t shapes[][2] = {{64, 3}, {1000, 3}, {256, 2}, {81, 4}, {30, 7}, {17, 5}, {4096, 9}, {1024, 5}};
  for (int s = 0; s < SAMPLER_COUNT; s++) {
    for (const auto& sh : shapes) {
      for (bool anti : {false, true}) {
        const uint32_t S = sh[0], dims = sh[1];
        if (anti && (S & 1u)) continue;
        uint32_t k = 0;
        if (s == SAMPLER_RQMC_CARTESIAN) {
          k = cartesian_side(S, dims);
          if (k == 0 || (anti && (k & 1u))) continue;
        }
        cs.push_back({s, S, dims, anti, k});
      }
    }
  }
  return cs;
}

SamplerConfig make_config(const SamplerCase& c, uint64_t seed, const std::vector<uint32_t>& sobol) {
  SamplerConfig cfg{c.sampler, c.S, c.dims, seed, c.antithetic, c.k, sobol.data()};
  return cfg;
}

// ------------------------------------------------------------------------------------------------------------
// Noise

void test_noise() {
  const std::vector<uint32_t> sobol = sobol_directions(9);
  check("noise_quad_core == sample_row, every sampler, antithetic or not (bitwise)", [&](auto fail) {
    long cases = 0;
    for (const SamplerCase& sc : sampler_cases()) {
      for (uint64_t seed : {0ull, 7ull, (1ull << 40) + 3}) {
        for (uint32_t b : {0u, 5u, 77u}) {
          SamplerConfig c = make_config(sc, seed, sobol);
          std::vector<uint32_t> keys(std::max<uint32_t>(1, batch_key_words(c)));
          prepare_batch_keys(c, b, keys.data());
          std::vector<double> row(sc.dims);
          for (uint32_t i = 0; i < sc.S; i += (sc.S > 300 ? 7 : 1)) {
            sample_row(c, keys.data(), b, i, row.data());
            for (uint32_t q = 0; q < quads(sc.dims); q++) {
              double u[4];
              noise_quad_core(c, keys.data(), b, i, q, u);
              for (uint32_t w = 0; w < quad_width(sc.dims, q); w++, cases++) {
                if (bits(u[w]) != bits(row[4 * q + w])) {
                  fail("sampler " + std::to_string(sc.sampler) + " S=" + std::to_string(sc.S) + " i=" + std::to_string(i) + " d=" + std::to_string(4 * q + w));
                }
              }
            }
          }
        }
      }
    }
    return cases;
  });
  check("batch_keys_dim == prepare_batch_keys (Latin permutation and Owen scrambling keys)", [&](auto fail) {
    long cases = 0;
    for (const SamplerCase& sc : sampler_cases()) {
      SamplerConfig c = make_config(sc, 123456789ull, sobol);
      const uint32_t kw = batch_key_words(c);
      if (kw == 0) continue;
      for (uint32_t b : {0u, 3u, 1000u}) {
        std::vector<uint32_t> want(kw), got(kw, 0xdeadbeefu);
        prepare_batch_keys(c, b, want.data());
        for (uint32_t d = 0; d < sc.dims; d++) batch_keys_dim(c, b, d, got.data());
        cases++;
        if (want != got) fail("sampler " + std::to_string(sc.sampler) + " b=" + std::to_string(b));
      }
    }
    return cases;
  });
#if defined(SS_HAVE_CURAND) && defined(SS_CURAND_ON_HOST)
  check("cuRAND (the Philox4_32_10 block function for mc; curand_init/curand Sobol32 from our Joe-Kuo vectors) == the core, bitwise", [&](auto fail) {
    long cases = 0;
    for (const SamplerCase& sc : sampler_cases()) {
      for (uint64_t seed : {0ull, 42ull, (1ull << 33) + 1, 0x1fffffffffffffull}) {
        for (uint32_t b : {0u, 9u, 0xfffffu}) {
          SamplerConfig c = make_config(sc, seed, sobol);
          std::vector<uint32_t> keys(std::max<uint32_t>(1, batch_key_words(c)));
          prepare_batch_keys(c, b, keys.data());
          for (uint32_t i : {0u, 1u, 2u, 3u, 5u, 16u, sc.S / 2, sc.S - 1}) {
            if (i >= sc.S) continue;
            for (uint32_t q = 0; q < quads(sc.dims); q++) {
              double a[4], r[4];
              noise_quad_core(c, keys.data(), b, i, q, a);
              noise_quad_curand(c, keys.data(), b, i, q, r);
              for (uint32_t w = 0; w < quad_width(sc.dims, q); w++, cases++) {
                if (bits(a[w]) != bits(r[w])) fail("sampler " + std::to_string(sc.sampler) + " i=" + std::to_string(i) + " d=" + std::to_string(4 * q + w));
              }
            }
          }
        }
      }
    }
    // Large sample indices (offset i·2^32 in cuRAND's Philox counter) and dimensions past the first block.
    SamplerConfig c{SAMPLER_MC, 0xfffffffeu, 9, 99, false, 0, nullptr};
    for (uint32_t i : {100000u, 0x7fffffffu, 0xfffffffdu}) {
      for (uint32_t q = 0; q < 3; q++) {
        double a[4], r[4];
        noise_quad_core(c, nullptr, 3, i, q, a);
        noise_quad_curand(c, nullptr, 3, i, q, r);
        for (uint32_t w = 0; w < quad_width(9, q); w++, cases++)
          if (bits(a[w]) != bits(r[w])) fail("mc large i=" + std::to_string(i));
      }
    }
    return cases;
  });
#else
  std::printf("SKIP  cuRAND vs core on the host (built without cuRAND headers)\n");
#endif
}

// ------------------------------------------------------------------------------------------------------------
// Bitonic network

float weird_value(Rng& rng) {
  static const float weird[] = {kNaN, -kNaN, kInf, -kInf, 0.0f, -0.0f, 1e-45f, -1e-45f, 1.0f, -1.0f, 3.4e38f, 2.5f};
  const double r = rng();
  if (r < 0.3) return weird[rng.below(12)];
  if (r < 0.6) return static_cast<float>(rng.below(5));  // many ties
  return static_cast<float>((rng() - 0.5) * 100);
}

void test_bitonic() {
  check("bitonic network (the kernels' schedule, run sequentially) == sort_keys, with NaN, ±0, ±Inf, ties", [&](auto fail) {
    Rng rng(7);
    long cases = 0;
    HostExec ex;
    for (uint32_t n : {1u, 2u, 3u, 5u, 16u, 17u, 31u, 32u, 33u, 100u, 127u, 128u, 129u, 255u, 1000u, 1024u, 1025u, 3000u}) {
      for (int rep = 0; rep < 20; rep++) {
        const uint32_t n_pad = next_pow2(n);
        const uint32_t rows = 3;
        std::vector<float> z(static_cast<size_t>(rows) * n);
        for (float& v : z) v = weird_value(rng);
        std::vector<uint64_t> keys(static_cast<size_t>(rows) * n_pad);
        for (uint32_t r = 0; r < rows; r++)
          for (uint32_t i = 0; i < n_pad; i++)
            keys[r * n_pad + i] = i < n ? (rep & 1 ? desc_key(z[r * n + i], i) : asc_key(z[r * n + i], i)) : BITONIC_PAD;
        bitonic_sort_rows(ex, keys.data(), rows, n_pad);
        for (uint32_t r = 0; r < rows; r++) {
          std::vector<uint64_t> ref(2 * static_cast<size_t>(n));
          for (uint32_t i = 0; i < n; i++) ref[i] = rep & 1 ? desc_key(z[r * n + i], i) : asc_key(z[r * n + i], i);
          sort_keys(ref.data(), ref.data() + n, n);
          cases++;
          for (uint32_t i = 0; i < n; i++) {
            if (keys[r * n_pad + i] != ref[i]) {
              fail("n=" + std::to_string(n) + " position " + std::to_string(i));
              break;
            }
          }
          for (uint32_t i = n; i < n_pad; i++)
            if (keys[r * n_pad + i] != BITONIC_PAD) fail("padding moved, n=" + std::to_string(n));
        }
      }
    }
    return cases;
  });
  check("bitonic network: 0-1 principle for n_pad = 2..64 (all 0/1 inputs up to 16, random above)", [&](auto fail) {
    long cases = 0;
    HostExec ex;
    Rng rng(3);
    for (uint32_t n_pad = 2; n_pad <= 64; n_pad <<= 1) {
      const uint64_t total = n_pad <= 16 ? (1ull << n_pad) : 4000;
      for (uint64_t pattern = 0; pattern < total; pattern++) {
        std::vector<uint64_t> v(n_pad);
        for (uint32_t i = 0; i < n_pad; i++) v[i] = n_pad <= 16 ? (pattern >> i) & 1u : rng.below(2);
        bitonic_sort_rows(ex, v.data(), 1, n_pad);
        cases++;
        if (!std::is_sorted(v.begin(), v.end())) fail("n_pad=" + std::to_string(n_pad));
      }
    }
    return cases;
  });
}

// ------------------------------------------------------------------------------------------------------------
// Shortest path

struct PathResult {
  std::vector<float> mask;
  bool ok;
  uint32_t sweeps;
};

/** The kernel's relaxation (two buffers, every label from the previous sweep) and trace-back, sequentially. */
PathResult relax_path(const std::vector<float>& z, uint32_t rows, uint32_t cols) {
  const uint32_t N = rows * cols;
  std::vector<double> cost(N), dist[2] = {std::vector<double>(N), std::vector<double>(N)};
  std::vector<int32_t> hops[2] = {std::vector<int32_t>(N), std::vector<int32_t>(N)};
  for (uint32_t v = 0; v < N; v++) cost[v] = sanitize_cost(z[v]);
  for (uint32_t v = 0; v < N; v++) relax_init(cost.data(), v, dist[0][v], hops[0][v]);
  uint32_t cur = 0, sweeps = 0;
  PathResult r{std::vector<float>(N, 0.0f), true, 0};
  for (;;) {
    bool changed = false;
    for (uint32_t v = 0; v < N; v++) {
      double nd;
      int32_t nh;
      relax_cell(dist[cur].data(), hops[cur].data(), cost.data(), rows, cols, v, nd, nh);
      changed |= nd != dist[cur][v] || nh != hops[cur][v];
      dist[cur ^ 1][v] = nd;
      hops[cur ^ 1][v] = nh;
    }
    cur ^= 1;
    if (!changed) break;
    if (++sweeps > relax_max_sweeps(N)) {
      r.ok = false;
      return r;
    }
  }
  r.sweeps = sweeps;
  r.ok = relax_trace(dist[cur].data(), hops[cur].data(), cost.data(), rows, cols, [&](uint32_t c) { r.mask[c] = 1.0f; });
  return r;
}

std::vector<float> dijkstra_path(const std::vector<float>& z, uint32_t rows, uint32_t cols) {
  std::vector<uint64_t> scratch(shortest_path_scratch_bytes(rows, cols) / 8 + 1);
  std::vector<float> out(static_cast<size_t>(rows) * cols);
  shortest_path_row(rows, cols, z.data(), out.data(), scratch.data());
  return out;
}

void test_relaxation() {
  check("relaxation: the absorption grid of test/blackboxes.test.ts (a min(old, new) Bellman-Ford fails it)", [&](auto fail) {
    const std::vector<float> costs = {1, 1, 0, kNaN, 0, kNaN, 1, 2, 1, 0, 1, kNaN};
    const std::vector<float> want = {1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1};
    const PathResult r = relax_path(costs, 3, 4);
    if (!r.ok || r.mask != want) fail("mask differs from the stated rule output");
    if (dijkstra_path(costs, 3, 4) != want) fail("core Dijkstra differs from the stated output");
    return 1L;
  });
  check("relaxation + trace-back == core Dijkstra on random grids (ties, zeros, NaN/Inf absorption, huge, denormal)", [&](auto fail) {
    Rng rng(11);
    long cases = 0;
    uint32_t max_sweeps = 0;
    const uint32_t shapes[][2] = {{1, 2}, {2, 1}, {2, 2}, {3, 4}, {1, 17}, {17, 1}, {3, 3}, {8, 8}, {12, 12}, {5, 40}, {32, 32}};
    for (const auto& sh : shapes) {
      const uint32_t rows = sh[0], cols = sh[1], N = rows * cols;
      for (int rep = 0; rep < (N > 500 ? 40 : 150); rep++) {
        std::vector<float> z(N);
        const int style = rep % 5;
        for (float& v : z) {
          if (style == 0) v = static_cast<float>(rng() * 2 + 0.01);               // generic positive costs
          else if (style == 1) v = static_cast<float>(rng.below(3));               // integer ties and zeros
          else if (style == 2) v = weird_value(rng);                               // NaN/Inf/negative/denormal/huge
          else if (style == 3) v = rng() < 0.2 ? kNaN : static_cast<float>(rng.below(4));  // absorption next to FLT_MAX
          else v = rng() < 0.5 ? 1e-45f : static_cast<float>(rng() * 1e30);        // wide dynamic range
        }
        const PathResult r = relax_path(z, rows, cols);
        cases++;
        max_sweeps = std::max(max_sweeps, r.sweeps);
        if (!r.ok) {
          fail(std::to_string(rows) + "x" + std::to_string(cols) + " style " + std::to_string(style) + ": no convergence / no predecessor");
          continue;
        }
        if (r.mask != dijkstra_path(z, rows, cols))
          fail(std::to_string(rows) + "x" + std::to_string(cols) + " style " + std::to_string(style) + " rep " + std::to_string(rep));
      }
    }
    std::printf("      (most sweeps to a fixed point: %u)\n", max_sweeps);
    return cases;
  });
  check("relaxation: serpentine mazes (the longest optimal paths a grid allows) converge within relax_max_sweeps = 2N", [&](auto fail) {
    long cases = 0;
    uint32_t most = 0;
    const uint32_t sizes[][2] = {{5, 5}, {9, 9}, {16, 16}, {31, 31}, {32, 32}, {3, 60}};
    for (const auto& sh : sizes) {
      const uint32_t rows = sh[0], cols = sh[1];
      // Odd rows are walls (cost 1e30) with one gap, alternating between the right and the left end: the
      // optimal path snakes through every even row, about N/2 cells long.
      std::vector<float> z(static_cast<size_t>(rows) * cols, 1.0f);
      for (uint32_t r = 1; r < rows; r += 2)
        for (uint32_t c = 0; c < cols; c++) {
          const uint32_t gap = (r / 2) % 2 == 0 ? cols - 1 : 0;
          if (c != gap) z[static_cast<size_t>(r) * cols + c] = 1e30f;
        }
      const PathResult res = relax_path(z, rows, cols);
      cases++;
      most = std::max(most, res.sweeps);
      if (!res.ok) fail(std::to_string(rows) + "x" + std::to_string(cols) + ": not converged within " + std::to_string(relax_max_sweeps(rows * cols)) + " sweeps");
      else if (res.mask != dijkstra_path(z, rows, cols)) fail(std::to_string(rows) + "x" + std::to_string(cols) + ": path differs from Dijkstra");
    }
    std::printf("      (most sweeps: %u; the cap for 32x32 is %u)\n", most, relax_max_sweeps(1024));
    return cases;
  });
}

/** Sanitized costs of a serpentine maze: odd rows are walls (1e30) with one gap, alternating ends. */
std::vector<double> serpentine_costs(uint32_t rows, uint32_t cols) {
  std::vector<double> cost(static_cast<size_t>(rows) * cols, 1.0);
  for (uint32_t r = 1; r < rows; r += 2)
    for (uint32_t c = 0; c < cols; c++)
      if (c != ((r / 2) % 2 == 0 ? cols - 1 : 0)) cost[static_cast<size_t>(r) * cols + c] = sanitize_cost(1e30f);
  return cost;
}

void test_frontier() {
  check("warp path frontier (block/warp_relax.h): cells with no changed neighbour keep their label; HostExec's "
        "relax_grid_jacobi == full sweeps; sweeps <= 2N - 2 (the cap's argument); random, absorbing, maze grids",
        [&](auto fail) {
          Rng rng(21);
          long cases = 0;
          uint32_t worst = 0;  // most sweeps relative to N, in per mille of 2N - 2
          const uint32_t shapes[][2] = {{1, 1}, {1, 2}, {2, 1}, {2, 2}, {3, 5}, {1, 40}, {40, 1}, {12, 12}, {16, 16}, {32, 32}, {1, 1024}, {33, 31}};
          for (const auto& sh : shapes) {
            const uint32_t rows = sh[0], cols = sh[1], N = rows * cols;
            for (int rep = 0; rep < (N > 500 ? 12 : 60); rep++) {
              std::vector<double> cost(N);
              const int style = rep % 6;
              if (style == 5) {
                cost = serpentine_costs(rows, cols);
              } else {
                for (double& c : cost) {
                  float v;
                  if (style == 0) v = static_cast<float>(rng() * 2 + 0.01);
                  else if (style == 1) v = 0.0f;                              // ties everywhere
                  else if (style == 2) v = weird_value(rng);                  // NaN/Inf/negative/denormal/huge
                  else if (style == 3) v = rng() < 0.2 ? kNaN : static_cast<float>(rng.below(4));
                  else v = rng() < 0.5 ? 1e-45f : static_cast<float>(rng() * 1e30);
                  c = sanitize_cost(v);
                }
              }
              const uint32_t cap = relax_max_sweeps(N);
              const ss::test::FrontierRun m = ss::test::frontier_model(cost.data(), rows, cols, cap);
              std::vector<double> d0(N), d1(N, -1.0);
              std::vector<int32_t> h0(N), h1(N, -1);
              for (uint32_t v = 0; v < N; v++) relax_init(cost.data(), v, d0[v], h0[v]);
              const RelaxOutcome r = relax_grid_jacobi(GridLabels{{d0.data(), d1.data()}, {h0.data(), h1.data()}}, cost.data(), rows, cols, cap);
              cases++;
              const std::string what = std::to_string(rows) + "x" + std::to_string(cols) + " style " + std::to_string(style);
              if (m.skipped_changes != 0) fail(what + ": a cell outside the frontier changed");
              if (!m.converged || !r.converged || m.sweeps != r.sweeps) fail(what + ": sweeps differ or no convergence");
              if (m.sweeps + 2 > 2 * N && N > 1) fail(what + ": " + std::to_string(m.sweeps) + " sweeps > 2N - 2");
              if (std::memcmp(d0.data(), m.dist.data(), N * 8) != 0 || h0 != m.hops) fail(what + ": buffer 0 differs from the full sweeps' labels");
              if (std::memcmp(d1.data(), m.dist.data(), N * 8) != 0 || h1 != m.hops) fail(what + ": buffer 1 does not hold the fixed point too");
              if (N > 1) worst = std::max(worst, static_cast<uint32_t>(1000.0 * m.sweeps / (2.0 * N - 2)));
            }
          }
          std::printf("      (most sweeps: %.1f %% of the bound 2N - 2)\n", worst / 10.0);
          return cases;
        });
  check("warp path frontier on benchmark-like 12x12 inputs (bench/workloads.ts costs, + 0.5 logistic noise): "
        "relaxations per sample (the performance model in cuda/README.md)",
        [&](auto fail) {
          const uint32_t rows = 12, cols = 12, N = rows * cols, B = 16, per_b = 252;
          // The block path's tile for this box and vjp (choose_tile: as many samples as fit 47 KiB): T samples
          // sweep together until the slowest converges.
          uint32_t T = 1;
          while (tile_shape(BOX_SHORTEST_PATH, N, rows, cols, T + 1, true, false).bytes <= 47 * 1024) T++;
          Rng rng(5);
          uint64_t relaxed = 0, words = 0, packed = 0, sweeps = 0, grids = 0, most = 0, block_sweeps = 0;
          uint32_t tile_max = 0;
          std::vector<double> cost(N);
          for (uint32_t b = 0; b < B; b++) {
            for (uint32_t i = 0; i < per_b; i++) {
              for (uint32_t v = 0; v < N; v++) {
                const uint32_t k = b * N + v;  // workloadInputs: x over the whole batch
                const double x = std::sin(12.9898 * k) * 0.5 + 1;
                const double u = (rng.below(1u << 30) + 0.5) / 1073741824.0;
                cost[v] = sanitize_cost(static_cast<float>(x + 0.5 * std::log(u / (1 - u))));
              }
              const ss::test::FrontierRun m = ss::test::frontier_model(cost.data(), rows, cols, relax_max_sweeps(N));
              if (m.skipped_changes != 0 || !m.converged) fail("sample " + std::to_string(grids));
              relaxed += m.relaxed;
              words += m.word_passes;
              packed += m.packed_passes;
              sweeps += m.sweeps + 1;  // + the sweep that finds nothing to change
              most = std::max<uint64_t>(most, m.relaxed);
              tile_max = std::max(tile_max, m.sweeps + 1);
              if (++grids % T == 0) {
                block_sweeps += static_cast<uint64_t>(tile_max) * T;
                tile_max = 0;
              }
            }
          }
          const double g = static_cast<double>(grids);
          std::printf("      (%llu grids: %.1f sweeps; per grid %.0f relaxations (%.0f in full sweeps; %.0f on the block path, "
                      "whose tiles of %u sweep until the slowest converges), %.1f busy 32-cell words (%.1f in full sweeps), "
                      "%.1f warp passes if the frontier were compacted; most relaxations %llu)\n",
                      static_cast<unsigned long long>(grids), sweeps / g, relaxed / g, sweeps / g * N, block_sweeps / g * N, T,
                      words / g, sweeps / g * ((N + 31) / 32), packed / g, static_cast<unsigned long long>(most));
          if (relaxed >= sweeps * N) fail("the frontier relaxed as many cells as full sweeps");
          return static_cast<long>(grids);
        });
}

// ------------------------------------------------------------------------------------------------------------
// The fused estimator, emulated on the host, against the CPU engine

struct Job {
  EnginePlan plan;
  JobInput in;
};

EnginePlan make_plan(BoxSpec box, bool builtin, uint32_t n, uint32_t m, int dist, int covariate, int sampler, uint32_t S,
                     bool anti, int scale_kind, const std::vector<uint32_t>& sobol_all) {
  EnginePlan p;
  p.n = n;
  p.m = m;
  p.builtin = builtin;
  p.box = box;
  p.dist = dist;
  p.covariate = covariate;
  p.sampler.sampler = sampler;
  p.sampler.samples = S;
  p.sampler.dims = n;
  p.sampler.antithetic = anti;
  p.sampler.cartesian_k = sampler == SAMPLER_RQMC_CARTESIAN ? cartesian_side(S, n) : 0;
  if (sampler == SAMPLER_SOBOL || sampler == SAMPLER_RQMC_SOBOL) p.sobol_v.assign(sobol_all.begin(), sobol_all.begin() + static_cast<size_t>(n) * 32);
  ss::test::set_test_scale(p, n, scale_kind);
  p.bind();
  return p;
}

/**
 * ss::run_job's contract, computed by the kernels' tile code (HostExec) with tile size T and items of spi samples:
 * the job layer's prepare_job and finish_totals around the items, as the cuda engine runs them.
 */
JobOutput emulate_job(const EnginePlan& plan, const JobInput& in0, uint32_t T, uint32_t spi) {
  const uint32_t B = in0.batch, n = plan.n, m = plan.m;
  const int op = in0.op;
  uint32_t p, q;
  op_shape(plan, op, p, q);
  const EnginePlan local = plan.seeded(in0.seed);
  JobInput in = in0;
  std::vector<double> shift;
  prepare_job(local, in, shift);
  const uint32_t kw = batch_key_words(local.sampler);
  std::vector<uint32_t> keys(static_cast<size_t>(B) * std::max<uint32_t>(kw, 1));
  for (uint32_t b = 0; b < B; b++) prepare_batch_keys(local.sampler, b, keys.data() + static_cast<size_t>(b) * kw);
  FusedArgs a = fused_args(local.sampler, plan.dist, local.scale, plan.box, op, n, m, p, q, spi);
  const SumsLayout L = a.L;
  const uint64_t items = static_cast<uint64_t>(B) * a.items_per_b;
  a.item0 = 0;
  a.key_words = kw;
  a.keys_b0 = 0;
  a.keys = keys.data();
  a.x = in.x.data();
  a.v = in.v.empty() ? nullptr : in.v.data();
  a.dir = in.dir.empty() ? nullptr : in.dir.data();
  a.shift = shift.empty() ? nullptr : shift.data();
  std::vector<double> part(items * L.total);
  a.part = part.data();
  a.shape = tile_shape(plan.box.kind, n, plan.box.rows, plan.box.cols, T, a.store_s, a.store_e);
  a.max_sweeps = relax_max_sweeps(a.shape.cells);
  unsigned int status = 0;
  a.status = &status;
  std::vector<uint64_t> ws(a.shape.bytes / 8 + 2);
  HostExec ex;
  for (uint32_t item = 0; item < items; item++) {
    switch (plan.box.kind) {
      case BOX_PERMUTATION: run_item<BOX_PERMUTATION>(ex, a, reinterpret_cast<char*>(ws.data()), item); break;
      case BOX_RANKS: run_item<BOX_RANKS>(ex, a, reinterpret_cast<char*>(ws.data()), item); break;
      case BOX_ARGMAX: run_item<BOX_ARGMAX>(ex, a, reinterpret_cast<char*>(ws.data()), item); break;
      case BOX_TOPK: run_item<BOX_TOPK>(ex, a, reinterpret_cast<char*>(ws.data()), item); break;
      case BOX_SHORTEST_PATH: run_item<BOX_SHORTEST_PATH>(ex, a, reinterpret_cast<char*>(ws.data()), item); break;
      default: std::printf("      unknown box kind %d\n", plan.box.kind); return JobOutput{};
    }
  }
  if (status != 0) std::printf("      status %u\n", status);
  // merge_items_kernel: per b, items in order
  std::vector<double> totals(static_cast<size_t>(B) * L.total, 0.0);
  for (uint64_t item = 0; item < items; item++) {
    const uint64_t b = item / a.items_per_b;
    for (uint64_t e = 0; e < L.total; e++) totals[b * L.total + e] += part[item * L.total + e];
  }
  JobOutput out;
  finish_totals(plan, in, op, p, q, totals, shift, out);
  return out;
}

/** Largest relative difference |a − b| / (1 + |b|) over two arrays (NaN: infinite). */
template <typename A, typename B>
double worst(const std::vector<A>& a, const std::vector<B>& b) {
  if (a.size() != b.size()) return INFINITY;
  double w = 0;
  for (size_t k = 0; k < a.size(); k++) {
    const double d = std::fabs(static_cast<double>(a[k]) - static_cast<double>(b[k])) / (1 + std::fabs(static_cast<double>(b[k])));
    if (!(d <= w)) w = std::isnan(d) ? INFINITY : d;
  }
  return w;
}

JobInput make_input(const EnginePlan& plan, int op, uint32_t B, uint64_t seed, Rng& rng) {
  JobInput in;
  in.op = op;
  in.batch = B;
  in.seed = seed;
  in.threads = 1;
  in.x.resize(static_cast<size_t>(B) * plan.n);
  const bool path = plan.box.kind == BOX_SHORTEST_PATH;
  for (float& v : in.x) v = static_cast<float>(path ? 0.5 + rng() : rng() * 2 - 1);
  if (op == OP_VJP || op == OP_SCALE_GRADIENT) {
    in.v.resize(static_cast<size_t>(B) * plan.m);
    for (float& v : in.v) v = static_cast<float>(rng() * 2 - 1);
  }
  if (op == OP_JVP) {
    in.dir.resize(static_cast<size_t>(B) * plan.n);
    for (double& v : in.dir) v = rng() * 2 - 1;
  }
  return in;
}

void test_fused() {
  const std::vector<uint32_t> sobol = sobol_directions(9);
  struct BoxCase { const char* name; BoxSpec box; };
  const BoxCase boxes[] = {
      {"permutation(4)", box_permutation(4)}, {"ranks(5)", box_ranks_spec(5)},  {"argmax(3)", box_argmax(3)},
      {"topk(5,2)", box_topk(5, 2)},         {"shortestPath(3,3)", box_shortest_path(3, 3)}};
  const char* ops[] = {"forward", "vjp", "jacobian", "jvp", "scaleGradient"};
  check("fused tile emulation == CPU engine: 5 boxes × 6 samplers × 6 distributions × 3 covariates × 5 ops (small sizes)", [&](auto fail) {
    long cases = 0;
    Rng rng(5);
    double max_diff = 0;
    for (const BoxCase& bc : boxes) {
      const uint32_t n = bc.box.n, m = box_output_size(bc.box);
      for (int sampler = 0; sampler < SAMPLER_COUNT; sampler++) {
        for (int dist = 0; dist < DISTRIBUTION_COUNT; dist++) {
          for (int cov = 0; cov < 3; cov++) {
            const uint32_t S = sampler == SAMPLER_RQMC_CARTESIAN ? (n == 9 ? 512 : 1u << n) : 48;
            const int scale_kind = (sampler + dist + cov) % 3;
            EnginePlan plan = make_plan(bc.box, true, n, m, dist, cov, sampler, S, false, scale_kind, sobol);
            if (sampler == SAMPLER_RQMC_CARTESIAN && plan.sampler.cartesian_k == 0) continue;
            for (int op = 0; op < 5; op++) {
              JobInput in = make_input(plan, op, 2, 3 + op, rng);
              JobOutput want;
              std::string err;
              std::atomic<bool> aborted{false};
              if (!run_job(plan, in, want, aborted, [](uint64_t) {}, err)) {
                fail(std::string("CPU engine failed: ") + err);
                continue;
              }
              const uint32_t T = 1 + (cases % 7);  // odd tile sizes: partial last tiles
              const JobOutput got = emulate_job(plan, in, T, 20);
              const double d = op == OP_FORWARD ? std::max(worst(got.value, want.value), worst(got.stderr_, want.stderr_)) : worst(got.mean, want.mean);
              max_diff = std::max(max_diff, d);
              cases++;
              if (!(d <= 1e-9)) {
                fail(std::string(bc.name) + " sampler " + std::to_string(sampler) + " dist " + std::to_string(dist) + " cov " +
                     std::to_string(cov) + " " + ops[op] + ": max relative difference " + std::to_string(d));
              }
            }
          }
        }
      }
    }
    std::printf("      (largest relative difference %.3g)\n", max_diff);
    return cases;
  });
  check("fused tile emulation == CPU engine at kernel sizes: bitonic (n > 16), warp argmax, 12×12 paths, antithetic, items of 1024", [&](auto fail) {
    long cases = 0;
    Rng rng(9);
    double max_diff = 0;
    const BoxCase big[] = {{"ranks(100)", box_ranks_spec(100)},       {"permutation(20)", box_permutation(20)},
                           {"topk(33,5)", box_topk(33, 5)},           {"argmax(70)", box_argmax(70)},
                           {"shortestPath(12,12)", box_shortest_path(12, 12)}, {"shortestPath(4,9)", box_shortest_path(4, 9)},
                           {"ranks(16)", box_ranks_spec(16)},         {"topk(17,17)", box_topk(17, 17)}};
    for (const BoxCase& bc : big) {
      const uint32_t n = bc.box.n, m = box_output_size(bc.box);
      for (int op = 0; op < 5; op++) {
        const int sampler = (op + static_cast<int>(n)) % SAMPLER_COUNT == SAMPLER_RQMC_CARTESIAN ? SAMPLER_RQMC_LATIN : (op + static_cast<int>(n)) % SAMPLER_COUNT;
        const int dist = (op * 5 + static_cast<int>(n)) % DISTRIBUTION_COUNT;
        const bool anti = dist != DIST_GUMBEL && (op % 2 == 1);
        const uint32_t S = 2500;
        EnginePlan plan = make_plan(bc.box, true, n, m, dist, op % 3, sampler, S, anti, op == 4 ? SCALE_MATRIX : op % 2, sobol);
        if ((sampler == SAMPLER_SOBOL || sampler == SAMPLER_RQMC_SOBOL) && n > 9) {
          plan.sampler.sampler = SAMPLER_MC;  // the test's Joe-Kuo rows stop at 9 dimensions
          plan.sobol_v.clear();
          plan.bind();
        }
        JobInput in = make_input(plan, op, 2, 77 + op, rng);
        JobOutput want;
        std::string err;
        std::atomic<bool> aborted{false};
        if (!run_job(plan, in, want, aborted, [](uint64_t) {}, err)) {
          fail(std::string("CPU engine failed: ") + err);
          continue;
        }
        const uint32_t smem_T = [&] {
          uint32_t T = 1;
          while (T < 256 && tile_shape(plan.box.kind, n, plan.box.rows, plan.box.cols, T + 1, op != 0, plan.scale.kind == SCALE_MATRIX || op == 4).bytes <= 47 * 1024) T++;
          return T;
        }();
        const JobOutput got = emulate_job(plan, in, smem_T, SAMPLES_PER_ITEM);
        const double d = op == OP_FORWARD ? std::max(worst(got.value, want.value), worst(got.stderr_, want.stderr_)) : worst(got.mean, want.mean);
        max_diff = std::max(max_diff, d);
        cases++;
        if (!(d <= 1e-9)) fail(std::string(bc.name) + " " + ops[op] + " T=" + std::to_string(smem_T) + ": max relative difference " + std::to_string(d));
      }
    }
    std::printf("      (largest relative difference %.3g)\n", max_diff);
    return cases;
  });
}

/** The user-box stream: noise units and the tile accumulation over dense outputs, against ss::UserStream. */
void test_user_stream() {
  check("user-box stream emulation (noise units, dense-output accumulation) == CPU UserStream", [&](auto fail) {
    long cases = 0;
    Rng rng(21);
    const std::vector<uint32_t> sobol = sobol_directions(9);
    double max_diff = 0;
    for (int op = 0; op < 5; op++) {
      for (int cov = 0; cov < 3; cov++) {
        const uint32_t n = 3, m = 2, S = 300, B = 2, chunk = 64;
        EnginePlan plan = make_plan(BoxSpec{}, false, n, m, (op + cov) % DISTRIBUTION_COUNT, cov, (op + 2 * cov) % SAMPLER_COUNT == SAMPLER_RQMC_CARTESIAN ? SAMPLER_MC : (op + 2 * cov) % SAMPLER_COUNT, S, false, (op + cov) % 3, sobol);
        JobInput in = make_input(plan, op, B, 5 + op, rng);
        if (cov == COVARIATE_FX) {
          in.fx.resize(static_cast<size_t>(B) * m);
          for (double& v : in.fx) v = rng();
        }
        auto f = [](const float* z, float* out) {
          out[0] = std::tanh(z[0] - z[1]) + z[2];
          out[1] = z[0] > 0 ? 1.0f : 0.0f;
        };
        // Reference.
        ss::UserStream ref(plan, in, chunk);
        // Emulation, with the same chunking.
        uint32_t p, q;
        op_shape(plan, op, p, q);
        const SumsLayout L = sums_layout(op, p, q);
        const EnginePlan local = plan.seeded(in.seed);
        FusedArgs a = fused_args(local.sampler, plan.dist, local.scale, plan.box, op, n, m, p, q, 0);
        a.x = in.x.data();
        a.v = in.v.empty() ? nullptr : in.v.data();
        a.dir = in.dir.empty() ? nullptr : in.dir.data();
        std::vector<double> shift(static_cast<size_t>(B) * m, 0.0), totals(static_cast<size_t>(B) * L.total, 0.0);
        a.shift = shift.data();
        std::vector<float> z(chunk * n), zr(chunk * n), outs(chunk * m);
        std::vector<double> s(chunk * n), e(chunk * n), g(chunk), part(L.total);
        std::vector<uint32_t> keys(std::max<uint32_t>(1, batch_key_words(local.sampler)));
        HostExec ex;
        for (uint32_t b = 0; b < B; b++) {
          prepare_batch_keys(local.sampler, b, keys.data());
          for (uint32_t start = 0; start < S; start += chunk) {
            const uint32_t count = std::min(chunk, S - start);
            ref.noise(b, start, count, zr.data());
            TileView tv{};
            tv.z = z.data();
            tv.s = s.data();
            tv.e = e.data();
            tv.f = outs.data();
            tv.g = g.data();
            const uint32_t nq = quads(n);
            ex.for_units(count * nq, [&](uint32_t u) { noise_unit(a, tv, keys.data(), b, in.x.data() + b * n, start, u / nq, u % nq); });
            if (plan.scale.kind == SCALE_MATRIX)
              ex.for_units(count * n, [&](uint32_t u) { perturb_matrix_unit(a, tv, in.x.data() + b * n, u / n, u % n); });
            cases++;
            if (worst(std::vector<float>(z.begin(), z.begin() + count * n), std::vector<float>(zr.begin(), zr.begin() + count * n)) != 0)
              fail("perturbed inputs differ, op " + std::to_string(op));
            for (uint32_t r = 0; r < count; r++) f(zr.data() + r * n, outs.data() + r * m);
            ref.accumulate(outs.data());
            if (op == OP_FORWARD && start == 0)
              for (uint32_t k = 0; k < m; k++) shift[b * m + k] = outs[k];
            std::fill(part.begin(), part.end(), 0.0);
            accumulate_tile<TILE_USER_BOX>(ex, a, tv, b, count, part.data());
            for (uint64_t k = 0; k < L.total; k++) totals[b * L.total + k] += part[k];
          }
        }
        JobOutput want;
        ref.finish(want);
        const double Sd = S;
        double d = 0;
        if (op == OP_FORWARD) {
          std::vector<float> value(B * m), se(B * m);
          for (uint32_t b = 0; b < B; b++)
            moments_finish(totals.data() + b * L.total, totals.data() + b * L.total + m, shift.data() + b * m, Sd, m, value.data() + b * m, se.data() + b * m);
          d = std::max(worst(value, want.value), worst(se, want.stderr_));
        } else {
          std::vector<double> mean(static_cast<size_t>(B) * p * q);
          for (uint32_t b = 0; b < B; b++) {
            std::vector<double> base;
            if (cov == COVARIATE_FX) {
              const double* fx = in.fx.data() + b * m;
              if (p == 1) {
                double acc = 0;
                for (uint32_t k = 0; k < m; k++) acc += static_cast<double>(in.v[b * m + k]) * fx[k];
                base.assign(1, acc);
              } else {
                base.assign(fx, fx + m);
              }
            }
            const double* tot = totals.data() + b * L.total;
            cross_finish(cov, tot + L.A, tot + L.a, tot + L.c, Sd, base.empty() ? nullptr : base.data(), p, q, mean.data() + b * p * q);
          }
          d = worst(mean, want.mean);
        }
        max_diff = std::max(max_diff, d);
        if (!(d <= 1e-9)) fail("op " + std::to_string(op) + " cov " + std::to_string(cov) + ": max relative difference " + std::to_string(d));
      }
    }
    std::printf("      (largest relative difference %.3g)\n", max_diff);
    return cases;
  });
}

void test_shapes() {
  check("tile_shape: 16-byte aligned arrays inside the workspace, never shrinking as T grows", [&](auto fail) {
    long cases = 0;
    for (int box = 0; box <= TILE_USER_BOX; box++) {
      for (uint32_t n : {2u, 9u, 17u, 100u, 1024u}) {
        uint64_t prev = 0;
        for (uint32_t T = 1; T <= 64; T++) {
          const uint32_t rows = box == BOX_SHORTEST_PATH ? 1 : 0, cols = box == BOX_SHORTEST_PATH ? n : 0;
          const TileShape s = tile_shape(box, n, rows, cols, T, true, true);
          cases++;
          const uint64_t offs[] = {s.z, s.s, s.e, s.keys, s.rank, s.thr, s.best, s.cost, s.dist0, s.dist1, s.hops0, s.hops1, s.mask, s.g};
          for (uint64_t o : offs)
            if (o % 16 != 0 || o > s.bytes) fail("misaligned or out of range, box " + std::to_string(box));
          if (s.bytes < prev) fail("decreasing in T");
          prev = s.bytes;
        }
      }
    }
    return cases;
  });
}

}  // namespace

int main() {
  std::printf("cuda_host_test: the CUDA kernels' per-thread logic on the host (%s)\n",
#if defined(SS_HAVE_CURAND) && defined(SS_CURAND_ON_HOST)
              "cuRAND device API compiled for the host"
#else
              "no cuRAND headers"
#endif
  );
  test_noise();
  test_bitonic();
  test_relaxation();
  test_frontier();
  test_shapes();
  test_fused();
  test_user_stream();
  return ss::test::summary();
}
