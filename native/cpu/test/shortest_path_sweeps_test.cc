// The block shortest-path solver of the cpu engine (native/cpu/shortest_path_sweeps.h) against the reference
// Dijkstra (native/core/shortest_path.h), cell list for cell list, at every SIMD level this processor has
// (ctest, no Node):
//  1. ≥ 100 000 random grids of every shape from 1×2 to 16×16 (one-row and one-column grids included), drawn
//     from families meant to break it: continuous costs, few distinct values (ties everywhere), zeros and
//     negatives (clamped to 0: ties through zero-cost cells), mostly-zero grids, NaN / ±Infinity / FLT_MAX walls, -0, denormals,
//     huge next to tiny values (double absorption: the hops rule decides), and the bench workload's costs;
//  2. blocks of every length 1..64 (a short last group of lanes repeats a grid);
//  3. the pass cap: with a cap of 1–3 passes the groups that need more are solved by the reference;
//  4. serpentine mazes (the path turns against every sweep) and grids too large for the lanes;
//  5. the absorption example of test/blackboxes.test.ts, by its documented answer.
// A level the processor lacks is reported as skipped. Prints one line per check and "N passed, N failed".
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "shortest_path_sweeps.h"
#include "simd.h"
#include "check.h"  // native/test: the shared harness

using namespace ss;
using ss::test::check;
using ss::test::Fail;
using ss::test::Rng;

namespace {

const float kNaN = std::nanf("");
const float kInf = INFINITY;

/** One grid family: fills n costs. */
void fill(int family, Rng& rand, float* c, uint32_t n) {
  static const float weird[] = {kNaN, -kNaN, kInf, -kInf, -0.0f, 0.0f, -5.0f, FLT_MAX, 3.4e38f, 1e-45f, 1e-30f, 1e30f, 1.0f, 2.5f};
  static const float absorb[][5] = {{FLT_MAX, 1e-45f, 1, 0, kNaN}, {3.4e38f, 3.4e38f, 1e30f, 1, 1}, {kInf, 0.5f, 2, 0, 0},
                                    {1e16f, 1, 0.5f, 1e16f, 0}};
  for (uint32_t k = 0; k < n; k++) {
    switch (family) {
      case 0: c[k] = static_cast<float>(rand() * 10); break;                          // continuous
      case 1: c[k] = static_cast<float>(rand.below(3)); break;                        // 0, 1, 2: ties everywhere
      case 2: c[k] = static_cast<float>(1 + rand.below(2)); break;                    // 1, 2: equal sums, no zeros
      case 3: c[k] = weird[rand.below(sizeof weird / sizeof weird[0])]; break;        // special values
      case 4: c[k] = absorb[rand.below(4)][rand.below(5)]; break;                     // absorption
      case 5: {                                                                       // the bench's costs
        const double u = (rand.below(1u << 30) + 0.5) / 1073741824.0;
        c[k] = static_cast<float>(std::sin(12.9898 * k) * 0.5 + 1 + 0.5 * std::log(u / (1 - u)));
        break;
      }
      case 6: c[k] = rand() < 0.3 ? FLT_MAX : static_cast<float>(rand()); break;       // walls
      case 7: c[k] = rand() < 0.7 ? 0.0f : static_cast<float>(1 + rand.below(2)); break;  // mostly zero: ties at every distance
      default: c[k] = rand() < 0.5 ? -static_cast<float>(rand()) : static_cast<float>(rand() * 1e-38); break;  // zeros, denormal-ish
    }
  }
}
constexpr int FAMILIES = 9;

std::string show(const float* c, uint32_t n) {
  std::string s;
  for (uint32_t k = 0; k < n && k < 40; k++) {
    char b[32];
    std::snprintf(b, sizeof b, "%s%.9g", k ? "," : "", static_cast<double>(c[k]));
    s += b;
  }
  return s;
}

/**
 * The block solver at `level` against the reference on `count` grids of z: returns the number of grids that
 * differ (first one reported through fail).
 */
long compare(int level, uint32_t rows, uint32_t cols, const std::vector<float>& z, uint32_t count, PathSweepsScratch& s,
             const Fail& fail) {
  const uint32_t n = rows * cols;
  std::vector<uint32_t> cells(static_cast<size_t>(count) * n, 0xFFFFFFFFu), ncells(count, 0), want(n);
  std::vector<uint64_t> ref((shortest_path_scratch_bytes(rows, cols) + 7) / 8);
  shortest_paths_block(level, rows, cols, z.data(), count, cells.data(), ncells.data(), s);
  long bad = 0;
  for (uint32_t g = 0; g < count; g++) {
    const uint32_t k = shortest_path_cells(rows, cols, z.data() + static_cast<size_t>(g) * n, want.data(), ref.data());
    bool same = k == ncells[g];
    for (uint32_t t = 0; same && t < k; t++) same = want[t] == cells[static_cast<size_t>(g) * n + t];
    if (!same) {
      bad++;
      fail(std::to_string(rows) + "x" + std::to_string(cols) + " grid " + std::to_string(g) + " costs=" +
           show(z.data() + static_cast<size_t>(g) * n, n));
    }
  }
  return bad;
}

std::string level_name(int level) { return level == SIMD_SCALAR ? "scalar (2 lanes)" : simd_level_name(level); }

void check_level(int level) {
  const std::string at = " at " + level_name(level);
  if (level > simd_supported_level()) {
    std::printf("skip shortest_paths_block%s (this processor lacks it)\n", at.c_str());
    return;
  }
  PathSweepsScratch s;

  check("random grids 1x2 .. 16x16, nine families, equal the reference" + at, [&](Fail fail) {
    long cases = 0;
    Rng rand(1000 + level);
    s.capped = s.anomalies = 0;
    for (uint32_t rows = 1; rows <= 16; rows++)
      for (uint32_t cols = 1; cols <= 16; cols++) {
        if (rows * cols < 2) continue;
        const uint32_t n = rows * cols, count = 64;
        for (int family = 0; family < FAMILIES; family++) {
          std::vector<float> z(static_cast<size_t>(count) * n);
          for (uint32_t g = 0; g < count; g++) fill(family, rand, z.data() + static_cast<size_t>(g) * n, n);
          compare(level, rows, cols, z, count, s, fail);
          cases += count;
        }
      }
    if (s.anomalies) fail(std::to_string(s.anomalies) + " traces needed the reference (the argument excludes any)");
    return cases;
  });

  check("blocks of 1..64 grids (short lane groups) equal the reference" + at, [&](Fail fail) {
    long cases = 0;
    Rng rand(2000 + level);
    for (uint32_t count = 1; count <= 64; count++) {
      const uint32_t rows = 1 + rand.below(12), cols = 2 + rand.below(12), n = rows * cols;
      std::vector<float> z(static_cast<size_t>(count) * n);
      for (uint32_t g = 0; g < count; g++) fill(static_cast<int>(g % FAMILIES), rand, z.data() + static_cast<size_t>(g) * n, n);
      compare(level, rows, cols, z, count, s, fail);
      cases += count;
    }
    return cases;
  });

  check("a pass cap of 1..3 sends the groups that need more to the reference, same answers" + at, [&](Fail fail) {
    long cases = 0;
    Rng rand(3000 + level);
    PathSweepsScratch t;
    for (uint32_t cap = 1; cap <= 3; cap++) {
      t.max_passes = cap;
      t.capped = 0;
      for (uint32_t rows = 2; rows <= 12; rows += 5) {
        const uint32_t cols = 14 - rows, n = rows * cols, count = 64;
        std::vector<float> z(static_cast<size_t>(count) * n);
        for (uint32_t g = 0; g < count; g++) fill(static_cast<int>(g % FAMILIES), rand, z.data() + static_cast<size_t>(g) * n, n);
        compare(level, rows, cols, z, count, t, fail);
        cases += count;
      }
      if (t.capped == 0) fail("cap " + std::to_string(cap) + ": no group reached the cap (the fallback went untested)");
    }
    return cases;
  });

  check("serpentine mazes (FLT_MAX and NaN walls) and grids beyond the lanes' size equal the reference" + at, [&](Fail fail) {
    long cases = 0;
    Rng rand(4000 + level);
    for (uint32_t size : {5u, 9u, 16u, 31u, 61u}) {
      const uint32_t rows = size, cols = size, n = rows * cols, count = 9;
      std::vector<float> z(static_cast<size_t>(count) * n);
      for (uint32_t g = 0; g < count; g++) {
        float* c = z.data() + static_cast<size_t>(g) * n;
        for (uint32_t r = 0; r < rows; r++)
          for (uint32_t q = 0; q < cols; q++) {
            // Walls on every other row (alternately open at the right and left end), or columns for odd g.
            const uint32_t a = g % 2 ? q : r, b = g % 2 ? r : q;
            const bool wall = a % 2 == 1 && b != (a % 4 == 1 ? size - 1 : 0);
            c[r * cols + q] = wall ? (g % 3 ? FLT_MAX : kNaN) : static_cast<float>(g % 4 == 0 ? 0 : rand() + 0.5);
          }
      }
      compare(level, rows, cols, z, count, s, fail);
      cases += count;
    }
    // 70×70: padded 5 184 cells, past PATH_SWEEPS_MAX_PADDED: the reference serves it.
    const uint32_t rows = 70, cols = 70, n = rows * cols, count = 3;
    std::vector<float> z(static_cast<size_t>(count) * n);
    for (uint32_t g = 0; g < count; g++) fill(static_cast<int>(g), rand, z.data() + static_cast<size_t>(g) * n, n);
    if (path_sweeps_serve(rows, cols)) fail("70x70 should be beyond the lanes");
    compare(level, rows, cols, z, count, s, fail);
    return cases + count;
  });

  check("the absorption example of test/blackboxes.test.ts gives its documented 5-cell path" + at, [&](Fail fail) {
    const std::vector<float> z = {1, 1, 0, kNaN, 0, kNaN, 1, 2, 1, 0, 1, kNaN};
    std::vector<uint32_t> cells(12), ncells(1);
    shortest_paths_block(level, 3, 4, z.data(), 1, cells.data(), ncells.data(), s);
    // The documented mask [1,0,0,0, 1,0,1,0, 0,1,0,1].
    const std::vector<float> want = {1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1};
    std::vector<float> mask(12, 0.0f);
    for (uint32_t t = 0; t < ncells[0] && t < 12; t++) mask[cells[t]] = 1;
    if (ncells[0] != 5 || mask != want || cells[0] != 11 || cells[4] != 0) fail("wrong path");
    return 1L;
  });
}

}  // namespace

int main() {
  for (int level = SIMD_SCALAR; level <= SIMD_AVX512; level++) check_level(level);
  return ss::test::summary();
}
