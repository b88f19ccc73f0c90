// The shortestPath box of the cpu engine for a block of samples at once: label-correcting sweeps over L grids
// held in SIMD lanes (L = 2, 4 or 8 doubles: the scalar, AVX2 and AVX-512 levels of simd.h), then a scalar
// trace-back per grid. The result is the reference's (native/core/shortest_path.h, THE RULE there) bit for bit,
// for every input; shortest_path_sweeps_test compares the two on random and adversarial grids at every level.
//
// Why this is exact. THE RULE defines labels (dist, hops) as the unique fixed point of the lexicographic
// relaxation. We split it in two, each part being a relaxation that IS order-preserving, so that any
// label-correcting order reaches its answer:
//   1. dist alone. The dist part of the fixed point satisfies dist(v) = min over neighbours u of
//      (dist(u) + cost(v)) (the lexicographic min takes the least dist first), a min-plus relaxation whose step
//      d -> d + cost(v) is monotone in double (rounding preserves ≤) and never decreasing (cost ≥ 0). So the
//      classic Bellman–Ford min(old, candidates), started from +Infinity with dist(start) = cost(start), stops at
//      the least solution, the minimum over paths of the left-to-right double sum; and that is the rule's dist
//      (the rule's dist is such a path sum, and the least solution lies below every solution). Monotone rounding
//      also gives min(a, b) + c == min(a + c, b + c) exactly, so a cell adds its cost once to the least
//      neighbour. (Keeping min(old, new) on the PAIR would be wrong: under absorption the hops part is not
//      order-preserving; shortestPath.ts explains. On dist alone it is.)
//   2. hops. Given the final dists, call u -> v tight when dist(u) + cost(v) == dist(v). The rule's hops are then
//      the breadth-first distances from the start along tight edges: (dist, BFS hops) satisfies the fixed-point
//      equation, and the fixed point is unique.
// The trace-back (rule 3) steps from v to the lowest-index tight neighbour of least hops. When v has exactly one
// tight neighbour, that one is the step whatever the hops are, so hops are computed only when a step is
// ambiguous: once per grid, breadth-first from the start over the tight ancestors of v (every later step stays
// among them). Random costs rarely tie; zero costs (clamped negatives) and equal costs do, and take that path.
//
// The sweeps. Cells are relaxed in place (Gauss–Seidel), the grid's rows top-down left-to-right, then bottom-up
// right-to-left, alternating, until a pass changes nothing in any lane. A row is recomputed only when it or an
// adjacent row changed since its last computation (a row-level frontier): the last passes touch only the rows
// around the latest changes. The padded border holds +Infinity and is never written. A pass cap bounds the
// work on maze-like grids (the number of passes grows with how often the path turns against the sweep order):
// past it the group is solved by the reference Dijkstra, as are grids too large for the lane buffers.
//
// Speed (bench/RESULTS.md, "Issue 14 item 2"): a pass costs about eight vector min and one add per cell for L
// grids, against the reference's binary-heap operations per cell for one grid.
#pragma once
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <vector>

#include "shortest_path.h"
#include "lanes.h"
#include "simd.h"

namespace ss {

/** Largest padded grid (rows + 2)·(cols + 2) solved in lanes; larger ones go to the reference (a 62×62 grid fits). */
constexpr uint64_t PATH_SWEEPS_MAX_PADDED = 4096;
/** Default pass cap before a group falls back to the reference. */
constexpr uint32_t PATH_SWEEPS_MAX_PASSES = 64;

/** Whether a rows×cols grid is solved in lanes (else shortest_paths_block uses the reference per grid). */
inline bool path_sweeps_serve(uint32_t rows, uint32_t cols) {
  return shortest_path_supported(rows, cols) && shortest_path_padded_cells(rows, cols) <= PATH_SWEEPS_MAX_PADDED;
}

/** Per-thread buffers of shortest_paths_block (sized on first use for a grid shape). */
struct PathSweepsScratch {
  std::vector<double> dist, cost;      // padded cells × 8 lanes, lane-interleaved: cell p of lane l at [p·L + l]
  std::vector<uint8_t> dirty;          // per grid row (padded): recompute it in the next pass
  std::vector<int32_t> hops;           // per padded cell, one lane at a time; -1: not a tight ancestor
  std::vector<uint32_t> queue;         // tight ancestors, then the breadth-first order
  std::vector<uint8_t> tight;          // per padded cell, one lane at a time: which neighbours are tight
  std::vector<uint64_t> reference;     // scratch of the reference solver (fallback)
  uint32_t rows = 0, cols = 0;
  uint32_t max_passes = PATH_SWEEPS_MAX_PASSES;  // tests lower it to reach the fallback
  // Statistics: passes run; groups solved by the reference after the pass cap; grids whose trace met a state
  // the argument above excludes (also answered by the reference; the tests require none).
  uint64_t passes = 0, capped = 0, anomalies = 0;

  void shape(uint32_t r, uint32_t c) {
    if (r == rows && c == cols) return;
    rows = r;
    cols = c;
    const uint64_t P = shortest_path_padded_cells(r, c);
    reference.assign((shortest_path_scratch_bytes(r, c) + 7) / 8, 0);
    if (P > PATH_SWEEPS_MAX_PADDED) return;
    // Every padded cell +Infinity: the border keeps it for good (sweeps write real cells only).
    dist.assign(static_cast<size_t>(P) * 8, HUGE_VAL);
    cost.assign(static_cast<size_t>(P) * 8, 0.0);
    dirty.assign(static_cast<size_t>(r) + 2, 0);
    hops.assign(static_cast<size_t>(P), -1);
    queue.assign(static_cast<size_t>(P), 0);
    tight.assign(static_cast<size_t>(P), 0);
  }
};

namespace detail {

#define SS_PATH_INLINE inline __attribute__((always_inline))

// The lanes of cell p (padded index) of an interleaved array.
#define SS_LANES(arr, p) (*reinterpret_cast<vu*>((arr) + (p) * L))
#define SS_CLANES(arr, p) (*reinterpret_cast<const vu*>((arr) + (p) * L))
// a < b ? a : b, what the x86 min instruction computes (no NaN can occur: labels are sums of costs in
// [0, FLT_MAX], or +Infinity).
#define SS_MIN(a, b) ((a) < (b) ? (a) : (b))

/**
 * Relaxes grid row pr (padded) in place for the L lanes: along the row in direction `step` (+1: left to right)
 * from the six vertical neighbours and the cell just relaxed, then back along the row from the horizontal
 * neighbour alone, so that a path that enters the row from above or below and then runs along it either way is
 * complete after one call. (The forward scan skips the neighbour ahead: the backward scan relaxes from its final
 * value, which is no larger.) Returns whether some lane improved a cell to a value ≤ T (the target's dist as it
 * stands, per lane): only those changes are counted (path_dists explains why the others need no follow-up).
 */
template <int L>
SS_PATH_INLINE bool relax_row(double* D, const double* C, int64_t pr, int64_t cols, int64_t step, int64_t target) {
  typedef typename simd::Vec<L>::d vd;
  typedef typename simd::Vec<L>::u vu;
  typedef typename simd::Vec<L>::i vi;
  const int64_t W = cols + 2;
  const vd T = SS_CLANES(D, target);
  // T's successor, so that "nd < min(old, Tn)" says "nd < old and nd ≤ T" in one compare (+Infinity stays).
  const vd Tn = T == HUGE_VAL ? T : (vd)((vi)T + 1);
  const int64_t first = pr * W + (step > 0 ? 1 : cols);
  // Column minima of the rows above and below, min(D[q - W], D[q + W]), for the cells before, at and after the
  // current one, kept in registers along the row (border columns give +Infinity); `pair` = min over the first two.
#define SS_VERT(q) SS_MIN(SS_CLANES(D, (q) - W), SS_CLANES(D, (q) + W))
  vd cur = SS_VERT(first);
  vd pair = SS_MIN(SS_VERT(first - step), cur);
  // The cell relaxed just before (this call's value) stays in a register: the chain along the row is the only
  // dependency between cells.
  vd behind = SS_CLANES(D, first - step);
  vi changed = {};
#pragma GCC unroll 4
  for (int64_t j = 0, p = first; j < cols; j++, p += step) {
    const vd next = SS_VERT(p + step);
    const vd nd = SS_MIN(SS_MIN(pair, next), behind) + SS_CLANES(C, p);
    pair = SS_MIN(cur, next);
    cur = next;
    const vd old = SS_CLANES(D, p);
    changed |= nd < SS_MIN(old, Tn);
    behind = SS_MIN(nd, old);
    SS_LANES(D, p) = behind;
  }
  // Back along the row: behind holds its last cell.
#pragma GCC unroll 4
  for (int64_t j = cols - 1, p = first + (cols - 2) * step; j > 0; j--, p -= step) {
    const vd nd = behind + SS_CLANES(C, p);
    const vd old = SS_CLANES(D, p);
    changed |= nd < SS_MIN(old, Tn);
    behind = SS_MIN(nd, old);
    SS_LANES(D, p) = behind;
  }
#undef SS_VERT
  bool any = false;
  for (int l = 0; l < L; l++) any |= changed[l] != 0;
  return any;
}

/**
 * One pass over the rows marked dirty, top-down left-to-right (Down) or bottom-up right-to-left. A row that
 * changed marks itself and its neighbours for the next pass. Returns whether any row changed.
 */
template <int L, bool Down>
SS_PATH_INLINE bool path_pass(double* D, const double* C, uint8_t* dirty, uint32_t rows, uint32_t cols) {
  const int64_t target = static_cast<int64_t>(rows) * (static_cast<int64_t>(cols) + 2) + cols;
  bool any = false;
  for (uint32_t k = 0; k < rows; k++) {
    const uint32_t pr = Down ? 1 + k : rows - k;
    if (!dirty[pr]) continue;
    dirty[pr] = 0;
    if (relax_row<L>(D, C, pr, cols, Down ? 1 : -1, target)) {
      any = true;
      dirty[pr - 1] = dirty[pr] = dirty[pr + 1] = 1;
    }
  }
  // The border rows are never relaxed: their flags must not keep the loop going.
  dirty[0] = dirty[rows + 1] = 0;
  return any;
}

/**
 * Labels' dist for the L lanes: C holds the sanitised costs (border: anything), D is rewritten (real cells
 * +Infinity, then the sweeps). Returns false when the pass cap was reached first (D is then not final).
 *
 * On return every cell whose exact dist is ≤ the target's holds it exactly, the target included; the others
 * hold something larger than the target's dist. That is all the trace-back needs: a cell u is a tight neighbour
 * of a path cell v only if dist(u) ≤ dist(v) ≤ dist(target). Why the criterion suffices: with T the final
 * dist(target), every cell ends with either dist ≤ T and no neighbour improving it, or dist > T and no
 * neighbour bringing it to ≤ T (a change to a value above T is stored but not counted; T only decreases, which
 * keeps both cases true). Then along a cheapest path to a cell whose exact dist is ≤ T, every prefix is ≤ T
 * too, and induction from the start shows each cell holds its exact dist; cells with exact dist > T cannot hold
 * less (every stored value is the sum along some path).
 */
template <int L>
SS_PATH_INLINE bool path_dists(double* D, const double* C, uint8_t* dirty, uint32_t rows, uint32_t cols,
                               uint32_t max_passes, uint64_t& passes) {
  typedef typename simd::Vec<L>::d vd;
  typedef typename simd::Vec<L>::u vu;
  const int64_t W = static_cast<int64_t>(cols) + 2;
  const vd inf = vd{} + HUGE_VAL;
  for (int64_t pr = 1; pr <= rows; pr++)
    for (int64_t pc = 1; pc <= cols; pc++) SS_LANES(D, pr * W + pc) = inf;
  SS_LANES(D, W + 1) = SS_CLANES(C, W + 1);  // dist(start) = cost(start)
  for (uint32_t pr = 1; pr <= rows; pr++) dirty[pr] = 1;
  for (uint32_t pass = 0; pass < max_passes; pass++) {
    passes++;
    const bool any = pass % 2 == 0 ? path_pass<L, true>(D, C, dirty, rows, cols) : path_pass<L, false>(D, C, dirty, rows, cols);
    if (!any) return true;
  }
  return false;
}

/** Neighbour offsets in increasing linear index (row-major), with their row and column steps. */
constexpr int SW_DR[8] = {-1, -1, -1, 0, 0, 1, 1, 1};
constexpr int SW_DC[8] = {-1, 0, 1, -1, 1, -1, 0, 1};

/**
 * Rule 3 for lane `lane` of the final dists: writes the path's cells (original indices, target first, start
 * last) to cells_out and returns their number (0: a state the argument above excludes; the caller then asks
 * the reference). hops and queue: one int32 / uint32 per padded cell, hops all -1 on entry and on return;
 * tight: one byte per padded cell (scratch).
 */
template <int L>
inline uint32_t path_trace(const double* D, const double* C, int lane, uint32_t rows, uint32_t cols, int32_t* hops,
                           uint32_t* queue, uint8_t* tight, uint32_t* cells_out) {
  const int64_t W = static_cast<int64_t>(cols) + 2;
  // Symmetric: off[7 - j] == -off[j].
  const int64_t off[8] = {-W - 1, -W, -W + 1, -1, 1, W - 1, W, W + 1};
  const int64_t start = W + 1;
  int64_t v = static_cast<int64_t>(rows) * W + cols;
  uint32_t vr = rows - 1, vc = cols - 1;
  const uint32_t N = rows * cols;
  uint32_t count = 0;
  cells_out[count++] = vr * cols + vc;
  bool haveHops = false;  // hops[] filled for the tight ancestors of v (after the first ambiguous step)
  uint32_t marked = 0;    // how many: they are queue[0, marked)
  // Bit j set: neighbour x + off[j] is tight for x (dist(u) + cost(x) == dist(x)). Border cells hold +Infinity
  // and are never tight (dists of real cells are finite).
  auto tight_mask = [&](int64_t x) {
    const double dx = D[x * L + lane], cx = C[x * L + lane];
    uint32_t m = 0;
    for (int j = 0; j < 8; j++) m |= static_cast<uint32_t>(D[(x + off[j]) * L + lane] + cx == dx) << j;
    return m;
  };
  while (v != start && count < N) {  // count < N: a path never repeats a cell (a guard, never needed)
    uint32_t m = haveHops ? tight[v] : tight_mask(v);
    int pick = m ? __builtin_ctz(m) : -1;
    if (m & (m - 1)) {  // several tight neighbours: the least hops decides
      if (!haveHops) {
        // Tight ancestors of v (depth-first, their masks kept), then breadth-first hops from the start among
        // them: every shortest tight chain from the start to one of them runs through ancestors only.
        uint32_t n = 0;
        queue[n++] = static_cast<uint32_t>(v);
        hops[v] = -2;
        tight[v] = static_cast<uint8_t>(m);
        for (uint32_t k = 0; k < n; k++) {
          const int64_t x = queue[k];
          for (uint32_t bits = tight[x]; bits; bits &= bits - 1) {
            const int64_t u = x + off[__builtin_ctz(bits)];
            if (hops[u] == -1) {
              hops[u] = -2;
              tight[u] = static_cast<uint8_t>(tight_mask(u));
              queue[n++] = static_cast<uint32_t>(u);
            }
          }
        }
        // Breadth-first from the start (an ancestor of every cell) over the ancestors, which are marked -2 until
        // reached; y = x + off[j] is reached from x when x = y + off[7 - j] is tight for y. The queue is reused
        // (the ancestors' list is no longer needed).
        uint32_t head = 0, tail = 0;
        queue[tail++] = static_cast<uint32_t>(start);
        hops[start] = 0;
        for (; head < tail; head++) {
          const int64_t x = queue[head];
          for (int j = 0; j < 8; j++) {
            const int64_t y = x + off[j];
            if (hops[y] == -2 && ((tight[y] >> (7 - j)) & 1)) {
              hops[y] = hops[x] + 1;
              queue[tail++] = static_cast<uint32_t>(y);
            }
          }
        }
        haveHops = true;
        marked = tail;
        // Every ancestor is reached (each has a tight chain from the start through ancestors); were one not,
        // it would keep -2 and be picked below as having the least hops: check rather than trust.
        if (tail != n) {
          for (int64_t p = 0; p < (static_cast<int64_t>(rows) + 2) * W; p++) hops[p] = -1;
          return 0;
        }
      }
      int32_t best = 0x7FFFFFFF;
      for (uint32_t bits = m; bits; bits &= bits - 1) {  // increasing j: the lowest index among the least hops
        const int j = __builtin_ctz(bits);
        if (hops[v + off[j]] < best) {
          best = hops[v + off[j]];
          pick = j;
        }
      }
    }
    if (pick < 0) break;  // unreachable (every real cell but the start has a tight neighbour): 0 below
    v += off[pick];
    vr = static_cast<uint32_t>(static_cast<int32_t>(vr) + SW_DR[pick]);
    vc = static_cast<uint32_t>(static_cast<int32_t>(vc) + SW_DC[pick]);
    cells_out[count++] = vr * cols + vc;
  }
  if (haveHops)  // clean for the next grid: the breadth-first order lists every marked cell
    for (uint32_t k = 0; k < marked; k++) hops[queue[k]] = -1;
  return v == start ? count : 0;
}

/**
 * Grids g0 .. g0 + L - 1 of z (rows·cols floats each; a group past `count` repeats the last grid) in the L lanes:
 * their paths to cells + g·n, lengths to ncells[g]. Falls back to the reference when the pass cap is reached.
 */
template <int L>
SS_PATH_INLINE void path_group(uint32_t rows, uint32_t cols, const float* z, uint32_t g0, uint32_t count, uint32_t* cells,
                               uint32_t* ncells, PathSweepsScratch& s) {
  const uint64_t W = static_cast<uint64_t>(cols) + 2;
  const uint32_t n = rows * cols;
  double* D = s.dist.data();
  double* C = s.cost.data();
  // Costs into the lanes, sanitised (rule 1) as sanitize_cost does it, on the float bits, L lanes at a time.
  typedef typename simd::Vec<L>::d vd;
  typedef typename simd::Vec<L>::u vu;
  typedef typename simd::Vec<L>::i vi;
  typedef typename simd::Vec<L>::f vf;
  typedef typename simd::Vec<L>::i32 vi32;
  const float* zl[L];
  for (int l = 0; l < L; l++) zl[l] = z + static_cast<size_t>(g0 + l < count ? g0 + l : count - 1) * n;
  const vd fmax = vd{} + SS_FLT_MAX, zero = {};
  for (uint32_t r = 0, k = 0; r < rows; r++) {
    double* cr = C + ((static_cast<uint64_t>(r) + 1) * W + 1) * L;
    for (uint32_t c = 0; c < cols; c++, k++) {
      vf f;
      for (int l = 0; l < L; l++) f[l] = zl[l][k];
      vi32 b;
      memcpy(&b, &f, sizeof b);
      const vi32 mag = b & 0x7FFFFFFF;
      const vi huge = __builtin_convertvector((mag > 0x7F800000) | (b == 0x7F800000), vi);  // NaN, +Infinity
      const vi none = __builtin_convertvector((b < 0) | (mag == 0), vi);                   // ≤ 0, -0, -Infinity
      const vd x = __builtin_convertvector(f, vd);  // exact (a NaN is replaced below)
      *reinterpret_cast<vu*>(cr + static_cast<size_t>(c) * L) = huge ? fmax : (none ? zero : x);
    }
  }
  if (!path_dists<L>(D, C, s.dirty.data(), rows, cols, s.max_passes, s.passes)) {
    s.capped++;
    for (int l = 0; l < L && g0 + l < count; l++)
      ncells[g0 + l] = shortest_path_cells(rows, cols, z + static_cast<size_t>(g0 + l) * n, cells + static_cast<size_t>(g0 + l) * n,
                                           s.reference.data());
    return;
  }
  for (int l = 0; l < L && g0 + l < count; l++) {
    const size_t at = static_cast<size_t>(g0 + l) * n;
    uint32_t k = path_trace<L>(D, C, l, rows, cols, s.hops.data(), s.queue.data(), s.tight.data(), cells + at);
    // 0: the trace met a state the argument above excludes. Never seen; if it ever happens, the reference
    // answers rather than a wrong path (and the test that compares the two would have caught it).
    if (k == 0) {
      s.anomalies++;
      k = shortest_path_cells(rows, cols, z + at, cells + at, s.reference.data());
    }
    ncells[g0 + l] = k;
  }
}

template <int L>
SS_PATH_INLINE void path_block(uint32_t rows, uint32_t cols, const float* z, uint32_t count, uint32_t* cells, uint32_t* ncells,
                               PathSweepsScratch& s) {
  for (uint32_t g = 0; g < count; g += L) path_group<L>(rows, cols, z, g, count, cells, ncells, s);
}

// One copy per SIMD level (simd.h), everything inlined into it; the scalar level runs two lanes in the
// baseline ISA's 128-bit registers (SSE2 on x86-64).
#define SS_PATH_ARGS uint32_t rows, uint32_t cols, const float *z, uint32_t count, uint32_t *cells, uint32_t *ncells, PathSweepsScratch &s
__attribute__((noinline)) inline void path_block_scalar(SS_PATH_ARGS) { path_block<2>(rows, cols, z, count, cells, ncells, s); }
#if SS_SIMD_X86
SS_TARGET_AVX2 __attribute__((noinline)) inline void path_block_avx2(SS_PATH_ARGS) { path_block<4>(rows, cols, z, count, cells, ncells, s); }
SS_TARGET_AVX512 __attribute__((noinline)) inline void path_block_avx512(SS_PATH_ARGS) {
  path_block<8>(rows, cols, z, count, cells, ncells, s);
}
#endif
#undef SS_PATH_ARGS
#undef SS_PATH_INLINE

}  // namespace detail

/**
 * shortest_path_cells (shortest_path.h) for `count` grids of z (row-major, rows·cols floats each) at SIMD level
 * `level`: the cells of grid g, target first, to cells + g·rows·cols, their number to ncells[g]. Same results as
 * the reference for every input and level.
 */
inline void shortest_paths_block(int level, uint32_t rows, uint32_t cols, const float* z, uint32_t count, uint32_t* cells,
                                 uint32_t* ncells, PathSweepsScratch& s) {
  s.shape(rows, cols);
  const uint32_t n = rows * cols;
  if (!path_sweeps_serve(rows, cols)) {
    for (uint32_t g = 0; g < count; g++)
      ncells[g] = shortest_path_cells(rows, cols, z + static_cast<size_t>(g) * n, cells + static_cast<size_t>(g) * n, s.reference.data());
    return;
  }
#if SS_SIMD_X86
  if (level == SIMD_AVX512) return detail::path_block_avx512(rows, cols, z, count, cells, ncells, s);
  if (level == SIMD_AVX2) return detail::path_block_avx2(rows, cols, z, count, cells, ncells, s);
#endif
  (void)level;
  detail::path_block_scalar(rows, cols, z, count, cells, ncells, s);
}

}  // namespace ss
