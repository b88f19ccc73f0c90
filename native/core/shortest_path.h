// The grid shortest-path black box, one input row at a time, on the CPU; mirrors shortestPath() in
// lib/blackboxes/shortestPath.ts (sanitizeCost, computeLabels, traceBack). The GPU's data-parallel relaxation
// (cuda/block/grid_relax.h) converges to the same labels (read the header of shortestPath.ts).
//
// THE RULE (shortestPath.ts, binding on every backend):
//   1. cost = sanitizeCost(float): NaN/+Infinity -> FLT_MAX, anything <= 0 (-0, -Infinity) -> +0, else kept;
//      all distances are doubles.
//   2. label(start) = (cost(start), 0); label(v) = lexicographic min over the 8-neighbours u of
//      (dist(u) + cost(v), hops(u) + 1), the addition rounded in double. The fixed point is unique.
//   3. Trace back from the target: step to the LOWEST-index neighbour u with
//      (dist(u) + cost(v), hops(u) + 1) == label(v).
//   4. out = 1 on the traced cells, 0 elsewhere.
// We compute the labels exactly as the TS does (Dijkstra on the key (dist, hops, index), stopping when the
// target is popped), with the same double additions in the same places, so the labels, and hence the trace,
// are bit-identical. (They would be for any correct algorithm: the fixed point is unique.)
//
// Layout: the grid is padded with a one-cell border (width W = cols + 2) whose labels can never improve nor be
// traced through, so that the neighbour loops need no bounds checks. Padding preserves the row-major order of
// the real cells, so "lowest linear index" and the heap's index tie-break mean the same thing as in the TS.
// The heap holds its keys inline (no indirection through dist[] on every comparison). No allocation: the
// caller provides shortest_path_scratch_bytes(rows, cols) bytes, 8-byte aligned.
//
// Speed: the search is bound by instruction count and branch mispredictions, not memory (a 12×12 grid lives
// in L1). What helped, measured: integer compares of the keys, a cheap first test in the relaxation, Floyd's
// pop. What did not (tried and dropped): a 4-ary heap, lazy deletion instead of decrease-key, a linear-scan
// frontier, branch-free relaxation, interleaving two rows.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <math.h>
#include "hd.h"

namespace ss {

/** FLT_MAX as a double (shortestPath.ts FLT_MAX): the cost of a NaN or +Infinity cell. */
constexpr double SS_FLT_MAX = 3.4028234663852886e38;

/**
 * sanitizeCost (shortestPath.ts): NaN/+Infinity -> FLT_MAX, <= 0 (-0, -Infinity, negatives) -> +0, else the
 * value as a double. Decided on the float bits so that a denormal cost (1e-45) stays positive even where the
 * FPU flushes denormals in comparisons; the float -> double conversion itself is exact.
 */
SS_HD double sanitize_cost(float c) {
  uint32_t b;
  memcpy(&b, &c, sizeof b);
  const uint32_t mag = b & 0x7FFFFFFFu;
  if (mag > 0x7F800000u || b == 0x7F800000u) return SS_FLT_MAX;  // NaN (any sign), +Infinity
  if ((b & 0x80000000u) || mag == 0) return 0.0;                 // negative, -0, -Infinity, +0
  return static_cast<double>(c);
}

/** A heap entry: the Dijkstra key (dist, hops, index) with hops and the padded index packed in one word. */
struct PathHeapEntry {
  double dist;
  uint64_t hopsIndex;  // (hops << 32) | padded cell index: compares like (hops, index)
};

/** Padded cell count (rows + 2)·(cols + 2), in 64 bits (see shortest_path_supported). */
inline uint64_t shortest_path_padded_cells(uint32_t rows, uint32_t cols) {
  return (static_cast<uint64_t>(rows) + 2) * (static_cast<uint64_t>(cols) + 2);
}

/**
 * Whether this implementation can run a rows×cols grid: the TS limits (rows·cols ≥ 2, ≤ 2³¹ − 1) plus padded
 * indices fitting 32 bits, (rows + 2)(cols + 2) < 2³² (only extreme 1×2³¹-like shapes fail, which need tens
 * of GiB of scratch anyway).
 */
inline bool shortest_path_supported(uint32_t rows, uint32_t cols) {
  const uint64_t cells = static_cast<uint64_t>(rows) * cols;
  return rows >= 1 && cols >= 1 && cells >= 2 && cells <= 0x7FFFFFFFu &&
         shortest_path_padded_cells(rows, cols) < 0xFFFFFFFFull;
}

/**
 * Scratch bytes for one concurrent evaluation of a rows×cols grid (a multiple of 8):
 * padded cost and dist (double), padded hops and heap position (int32), and N inline heap entries.
 */
inline size_t shortest_path_scratch_bytes(uint32_t rows, uint32_t cols) {
  const uint64_t P = shortest_path_padded_cells(rows, cols);
  const uint64_t N = static_cast<uint64_t>(rows) * cols;
  const uint64_t bytes = P * (2 * sizeof(double)) + N * sizeof(PathHeapEntry) + P * (2 * sizeof(int32_t));
  return static_cast<size_t>((bytes + 7) & ~static_cast<uint64_t>(7));
}

namespace detail {

constexpr int32_t SP_ABSENT = -1;  // not (yet) in the heap (shortestPath.ts ABSENT)
constexpr int32_t SP_DONE = -2;    // popped, label final; also every border cell (shortestPath.ts DONE)
constexpr int32_t SP_NO_HOPS = 0x7FFFFFFF;

/** Bits of a double: for non-negative doubles (+0 only: costs are sanitised to +0) the bits, read as an
 * integer, order exactly like the values. */
inline int64_t sp_bits(double d) {
  int64_t b;
  memcpy(&b, &d, sizeof b);
  return b;
}

/**
 * Strict order of the heap: (dist, hops, index) lexicographic, like before() in shortestPath.ts. One 128-bit
 * integer compare where the compiler has one (dist bits high, (hops, index) low): a few instructions and no
 * branch, on the hottest comparison of the search.
 */
#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 sp_u128;  // __extension__: no -Wpedantic warning
#endif
inline bool sp_before(const PathHeapEntry& a, const PathHeapEntry& b) {
#if defined(__SIZEOF_INT128__)
  // Heap entries hold finite non-negative dists, whose bits are below 2^63: an unsigned compare is exact.
  const sp_u128 ka = static_cast<sp_u128>(static_cast<uint64_t>(sp_bits(a.dist))) << 64 | a.hopsIndex;
  const sp_u128 kb = static_cast<sp_u128>(static_cast<uint64_t>(sp_bits(b.dist))) << 64 | b.hopsIndex;
  return ka < kb;
#else
  return (a.dist < b.dist) | ((a.dist == b.dist) & (a.hopsIndex < b.hopsIndex));
#endif
}

/** The scratch views, carved from the caller's buffer in shortest_path_scratch_bytes' order. */
struct PathScratch {
  double* cost;
  double* dist;
  PathHeapEntry* heap;
  int32_t* hops;
  int32_t* pos;
};

inline PathScratch sp_carve(void* scratch, uint64_t P, uint64_t N) {
  PathScratch s;
  char* p = static_cast<char*>(scratch);
  s.cost = reinterpret_cast<double*>(p);
  s.dist = s.cost + P;
  s.heap = reinterpret_cast<PathHeapEntry*>(s.dist + P);
  s.hops = reinterpret_cast<int32_t*>(s.heap + N);
  s.pos = s.hops + P;
  return s;
}

/** siftUp (shortestPath.ts) of entry e placed at heap position i. */
inline void sp_sift_up(PathScratch& s, uint32_t i, PathHeapEntry e) {
  while (i > 0) {
    const uint32_t parent = (i - 1) >> 1;
    const PathHeapEntry pe = s.heap[parent];
    if (!sp_before(e, pe)) break;
    s.heap[i] = pe;
    s.pos[static_cast<uint32_t>(pe.hopsIndex)] = static_cast<int32_t>(i);
    i = parent;
  }
  s.heap[i] = e;
  s.pos[static_cast<uint32_t>(e.hopsIndex)] = static_cast<int32_t>(i);
}

/**
 * popMin (shortestPath.ts): removes the least entry and marks its cell final; returns its padded index.
 * Floyd's bottom-up variant: the hole at the root walks down to a leaf along the smaller children (a
 * branch-free select per level, and a loop whose exit is predictable), then the last entry is sifted up from
 * there, usually by zero or one level. Same heap invariant, so the same pop sequence as a classic siftDown;
 * it saves the unpredictable "stop here?" branch of every level.
 */
inline uint32_t sp_pop_min(PathScratch& s, uint32_t& heapSize) {
  const uint32_t top = static_cast<uint32_t>(s.heap[0].hopsIndex);
  heapSize--;
  if (heapSize > 0) {
    const PathHeapEntry e = s.heap[heapSize];
    uint32_t i = 0;
    for (;;) {
      uint32_t child = 2 * i + 1;
      if (child >= heapSize) break;
      if (child + 1 < heapSize) child += sp_before(s.heap[child + 1], s.heap[child]);
      const PathHeapEntry c = s.heap[child];
      s.heap[i] = c;
      s.pos[static_cast<uint32_t>(c.hopsIndex)] = static_cast<int32_t>(i);
      i = child;
    }
    sp_sift_up(s, i, e);
  }
  s.pos[top] = SP_DONE;
  return top;
}

/** Rows of the neighbour offsets below, and their column steps: row-major, i.e. increasing linear index. */
constexpr int SP_DR[8] = {-1, -1, -1, 0, 0, 1, 1, 1};
constexpr int SP_DC[8] = {-1, 0, 1, -1, 1, -1, 0, 1};

/**
 * computeLabels + traceBack (shortestPath.ts) for one row of costs. Calls mark(original index) for every
 * traced cell, target first, start last; returns the number of cells on the path.
 */
template <typename Mark>
inline uint32_t shortest_path_trace(uint32_t rows, uint32_t cols, const float* in, void* scratch, Mark mark) {
  const uint64_t W = static_cast<uint64_t>(cols) + 2;
  const uint64_t P = shortest_path_padded_cells(rows, cols);
  const uint64_t N = static_cast<uint64_t>(rows) * cols;
  PathScratch s = sp_carve(scratch, P, N);
  const double inf = HUGE_VAL;  // +Infinity (math.h), "no label yet"

  // Reset every label (the scratch may hold another row's). Real cells: no label yet (+Infinity, absent from
  // the heap). Border cells: dist -Infinity and cost 0, so that no relaxation can ever improve them
  // (nd < -Inf and nd == -Inf are false) and no trace-back can step onto them (-Inf + cost != a finite dist).
  for (uint64_t pr = 0; pr < static_cast<uint64_t>(rows) + 2; pr++) {
    const uint64_t base = pr * W;
    const bool borderRow = pr == 0 || pr == static_cast<uint64_t>(rows) + 1;
    for (uint64_t pc = 0; pc < W; pc++) {
      const uint64_t p = base + pc;
      s.hops[p] = SP_NO_HOPS;
      if (borderRow || pc == 0 || pc == W - 1) {
        s.cost[p] = 0.0;
        s.dist[p] = -inf;
        s.pos[p] = SP_DONE;
      } else {
        s.cost[p] = sanitize_cost(in[(pr - 1) * cols + (pc - 1)]);
        s.dist[p] = inf;
        s.pos[p] = SP_ABSENT;
      }
    }
  }

  const int64_t iW = static_cast<int64_t>(W);
  const int64_t off[8] = {-iW - 1, -iW, -iW + 1, -1, 1, iW - 1, iW, iW + 1};
  const uint32_t start = static_cast<uint32_t>(W + 1);
  const uint32_t target = static_cast<uint32_t>(static_cast<uint64_t>(rows) * W + cols);

  // computeLabels: Dijkstra on (dist, hops, index), stopping once the target is final (shortestPath.ts
  // explains why cells still in the heap cannot satisfy the trace-back equation).
  uint32_t heapSize = 1;
  s.dist[start] = s.cost[start];
  s.hops[start] = 0;
  s.heap[0] = PathHeapEntry{s.cost[start], start};
  s.pos[start] = 0;
  while (heapSize > 0) {
    const uint32_t u = sp_pop_min(s, heapSize);
    if (u == target) break;
    const double du = s.dist[u];
    const int32_t hu = s.hops[u] + 1;
    for (int j = 0; j < 8; j++) {
      // shortestPath.ts skips final (DONE) neighbours first. That test is implied by the one below, so we
      // drop it (one unpredictable branch less per neighbour): pops come in non-decreasing (dist, hops)
      // order (every key pushed is popped ⊕ cost > popped), so a final v has (dist(v), hops(v)) <=
      // (du, hu - 1); then nd = du + cost(v) >= du >= dist(v), and nd == dist(v) forces du == dist(v) and
      // hops(v) < hu: never an improvement. Border cells never improve either (dist -Infinity).
      const uint32_t v = static_cast<uint32_t>(static_cast<int64_t>(u) + off[j]);
      const double nd = du + s.cost[v];
      const double dv = s.dist[v];
      // (nd, hu) < (dv, hops(v)) lexicographically, tested in two steps: nd <= dv is the cheap filter that
      // fails for most neighbours (final or already queued ones); no NaN can occur (all labels are sums of
      // non-negative doubles, or ±Infinity).
      if (nd <= dv && (nd < dv || hu < s.hops[v])) {
        s.dist[v] = nd;
        s.hops[v] = hu;
        const int32_t p = s.pos[v];
        const PathHeapEntry e{nd, (static_cast<uint64_t>(static_cast<uint32_t>(hu)) << 32) | v};
        // New cells enter at the bottom; a cell already queued only had its key decreased: sift up either way.
        sp_sift_up(s, p == SP_ABSENT ? heapSize++ : static_cast<uint32_t>(p), e);
      }
    }
  }

  // traceBack: from the target, step to the first (lowest-index) neighbour u with hops(u) = hops(v) - 1 and
  // dist(u) + cost(v) == dist(v). Border and unreached cells have hops SP_NO_HOPS and never qualify.
  // (Cells still queued when the target was popped hold tentative labels that cannot qualify either:
  // shortestPath.ts, computeLabels.)
  uint32_t v = target;
  uint32_t vr = rows - 1, vc = cols - 1;  // original coordinates of v
  uint32_t count = 1;
  mark(static_cast<uint64_t>(vr) * cols + vc);
  while (v != start) {
    const double want = s.dist[v];
    const int32_t wantHops = s.hops[v] - 1;
    const double cv = s.cost[v];
    int j = 0;
    for (; j < 8; j++) {
      const uint32_t u = static_cast<uint32_t>(static_cast<int64_t>(v) + off[j]);
      if (s.hops[u] == wantHops && s.dist[u] + cv == want) break;
    }
    // j == 8 is unreachable (label(v) was set from a final neighbour by exactly this sum; shortestPath.ts
    // throws ERR_INTERNAL there). Without exceptions, stop rather than walk off the grid.
    if (j == 8) break;
    v = static_cast<uint32_t>(static_cast<int64_t>(v) + off[j]);
    vr = static_cast<uint32_t>(static_cast<int32_t>(vr) + SP_DR[j]);
    vc = static_cast<uint32_t>(static_cast<int32_t>(vc) + SP_DC[j]);
    mark(static_cast<uint64_t>(vr) * cols + vc);
    count++;
  }
  return count;
}

}  // namespace detail

/**
 * shortestPath(rows, cols).evaluate (shortestPath.ts), one row: in = rows·cols cell costs (row-major),
 * out = rows·cols floats, 1 on the path from (0, 0) to (rows-1, cols-1), 0 elsewhere. Requires
 * shortest_path_supported(rows, cols) and shortest_path_scratch_bytes(rows, cols) bytes of scratch.
 */
inline void shortest_path_row(uint32_t rows, uint32_t cols, const float* in, float* out, void* scratch) {
  const uint64_t N = static_cast<uint64_t>(rows) * cols;
  for (uint64_t i = 0; i < N; i++) out[i] = 0.0f;
  detail::shortest_path_trace(rows, cols, in, scratch, [out](uint64_t i) { out[i] = 1.0f; });
}

/**
 * Sparse shortest path: writes the linear indices r*cols + c of the path cells to cells_out, target first and
 * start last, and returns how many (hops(target) + 1; cells_out needs room for up to rows·cols, a bound the
 * path never exceeds since it visits every cell at most once).
 */
inline uint32_t shortest_path_cells(uint32_t rows, uint32_t cols, const float* in, uint32_t* cells_out,
                                    void* scratch) {
  uint32_t c = 0;
  return detail::shortest_path_trace(rows, cols, in, scratch,
                                     [cells_out, &c](uint64_t i) { cells_out[c++] = static_cast<uint32_t>(i); });
}

}  // namespace ss
