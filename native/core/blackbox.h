// The built-in black boxes behind one descriptor, for the native backends; mirrors lib/blackboxes/index.ts
// (the `blackboxes` namespace and the BuiltinSpec each box carries in `builtin`).
//
// evaluate_box() maps ONE input row to one output row with exactly the TS semantics (bit-identical floats):
//   permutation(n)  out[i*n + r] = 1 when item i sits at position r of the ascending order (n·n outputs)
//   ranks(n)        out[i] = ascending position of item i (0-based, as a float)
//   argmax(n)       one-hot of the largest input (NaN largest, lowest index among equal maxima)
//   topk(n, k)      multi-hot of the k largest inputs (lower index preferred among equal values)
//   shortestPath(rows, cols)  1 on the cheapest 8-neighbour path (0,0) -> (rows-1, cols-1)
// Ties and special values follow order.h / shortest_path.h (docs/design.md "Ties").
//
// Threads: evaluation writes only to `out` and to the caller's `scratch` (box_scratch_bytes(spec) bytes,
// 8-byte aligned): give each concurrent caller its own scratch, allocate it once and reuse it for every
// row. Nothing here allocates, throws or keeps state between calls.
//
// Sparse forms for the estimator (same scratch): box_ranks() gives the ranks as integers (permutation,
// ranks), box_support() the positions of the ones of a 0/1 output, so that Σ f sᵀ can skip the zeros.
//
// The sorting boxes are SS_HD all the way down (sorting.h, order.h); the shortest path and the dispatch below
// are host-only (the GPU runs the same rule as a data-parallel relaxation, cuda/block/grid_relax.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include "hd.h"
#include "order.h"
#include "shortest_path.h"
#include "sorting.h"

namespace ss {

/** The five built-ins (BuiltinSpec.kind in lib/blackboxes/sorting.ts). */
enum BoxKind : int { BOX_PERMUTATION = 0, BOX_RANKS = 1, BOX_ARGMAX = 2, BOX_TOPK = 3, BOX_SHORTEST_PATH = 4 };
constexpr int BOX_KIND_COUNT = 5;

/**
 * A built-in black box. n = input size (rows·cols for shortest paths); k only for top-k; rows and cols only
 * for shortest paths (ignored otherwise). Build it with the box_* helpers below or by hand, and check it with
 * box_spec_valid() once, before evaluating: the evaluation functions assume a valid spec.
 */
struct BoxSpec {
  int kind;
  uint32_t n;
  uint32_t k;
  uint32_t rows;
  uint32_t cols;
};

/** Largest n for permutation (sorting.ts MAX_PERMUTATION_N): n·n fits a signed 32-bit index. */
constexpr uint32_t SS_MAX_PERMUTATION_N = 46340;
/** Largest input or output size of a built-in (checks.ts MAX_BLACKBOX_SIZE). */
constexpr uint32_t SS_MAX_BLACKBOX_SIZE = 0x7FFFFFFFu;

inline BoxSpec box_permutation(uint32_t n) { return BoxSpec{BOX_PERMUTATION, n, 0, 0, 0}; }
inline BoxSpec box_ranks_spec(uint32_t n) { return BoxSpec{BOX_RANKS, n, 0, 0, 0}; }
inline BoxSpec box_argmax(uint32_t n) { return BoxSpec{BOX_ARGMAX, n, 0, 0, 0}; }
inline BoxSpec box_topk(uint32_t n, uint32_t k) { return BoxSpec{BOX_TOPK, n, k, 0, 0}; }
inline BoxSpec box_shortest_path(uint32_t rows, uint32_t cols) {
  return BoxSpec{BOX_SHORTEST_PATH, static_cast<uint32_t>(static_cast<uint64_t>(rows) * cols), 0, rows, cols};
}

/**
 * The factory checks of lib/blackboxes (requireSize, topk's k ≤ n, shortestPath's rows·cols ≥ 2), plus the
 * consistency of the descriptor (n == rows·cols for paths) and shortest_path_supported() (padded indices fit
 * 32 bits). The TS validates options before native code runs, so this is a guard, not the error message.
 */
inline bool box_spec_valid(const BoxSpec& s) {
  switch (s.kind) {
    case BOX_PERMUTATION:
      return s.n >= 1 && s.n <= SS_MAX_PERMUTATION_N;
    case BOX_RANKS:
    case BOX_ARGMAX:
      return s.n >= 1 && s.n <= SS_MAX_BLACKBOX_SIZE;
    case BOX_TOPK:
      return s.n >= 1 && s.n <= SS_MAX_BLACKBOX_SIZE && s.k >= 1 && s.k <= s.n;
    case BOX_SHORTEST_PATH:
      return shortest_path_supported(s.rows, s.cols) && static_cast<uint64_t>(s.rows) * s.cols == s.n;
    default:
      return false;
  }
}

/** inputSize of the box: n. */
SS_HD uint32_t box_input_size(const BoxSpec& s) { return s.n; }

/** outputSize of the box: n·n for permutation, n otherwise. */
SS_HD uint32_t box_output_size(const BoxSpec& s) { return s.kind == BOX_PERMUTATION ? s.n * s.n : s.n; }

/**
 * Scratch bytes one concurrent caller of evaluate_box / box_ranks / box_support needs (a multiple of 8; the
 * pointer must be 8-byte aligned). 0 for argmax (scratch may then be null).
 */
inline size_t box_scratch_bytes(const BoxSpec& s) {
  switch (s.kind) {
    case BOX_PERMUTATION:
    case BOX_RANKS:
    case BOX_TOPK:
      return static_cast<size_t>(sort_scratch_keys(s.n) * sizeof(uint64_t));
    case BOX_SHORTEST_PATH:
      return shortest_path_scratch_bytes(s.rows, s.cols);
    default:
      return 0;
  }
}

/**
 * evaluate() of the TS box for ONE row: reads in[0, box_input_size), writes every one of
 * out[0, box_output_size) (no need to clear it first). Bit-identical to lib/blackboxes for every input,
 * NaN, ±Infinity, -0, denormals and ties included.
 */
inline void evaluate_box(const BoxSpec& s, const float* in, float* out, void* scratch) {
  uint64_t* keys = static_cast<uint64_t*>(scratch);
  switch (s.kind) {
    case BOX_PERMUTATION: permutation_row(in, s.n, out, keys); break;
    case BOX_RANKS: ranks_row(in, s.n, out, keys); break;
    case BOX_ARGMAX: argmax_box_row(in, s.n, out); break;
    case BOX_TOPK: topk_row(in, s.n, s.k, out, keys); break;
    case BOX_SHORTEST_PATH: shortest_path_row(s.rows, s.cols, in, out, scratch); break;
    default: break;  // invalid spec: box_spec_valid() is the caller's check
  }
}

/** evaluate() for `count` rows, row-major (count·n inputs -> count·m outputs), one scratch reused. */
inline void evaluate_boxes(const BoxSpec& s, const float* in, uint64_t count, float* out, void* scratch) {
  const uint64_t n = box_input_size(s);
  const uint64_t m = box_output_size(s);
  for (uint64_t b = 0; b < count; b++) evaluate_box(s, in + b * n, out + b * m, scratch);
}

/**
 * Sparse ranks (permutation and ranks boxes): rank_out[i] = ascending position of item i, for i < n, the
 * integers that ranks() outputs as floats and the column of the single 1 in row i of permutation()'s matrix.
 * Returns n. For the other kinds writes nothing and returns 0 (their outputs are not rankings: use
 * box_support). O(n log n), no n² work.
 */
inline uint32_t box_ranks(const BoxSpec& s, const float* in, uint32_t* rank_out, void* scratch) {
  if (s.kind != BOX_PERMUTATION && s.kind != BOX_RANKS) return 0;
  ranks_of_row(in, s.n, rank_out, static_cast<uint64_t*>(scratch));
  return s.n;
}

/** Room box_support() may need in idx_out: n (permutation), 1 (argmax), k (topk), rows·cols (paths), 0 (ranks). */
inline uint32_t box_support_max(const BoxSpec& s) {
  switch (s.kind) {
    case BOX_PERMUTATION: return s.n;
    case BOX_ARGMAX: return 1;
    case BOX_TOPK: return s.k;
    case BOX_SHORTEST_PATH: return s.n;
    default: return 0;
  }
}

/**
 * Sparse form of a 0/1 output: writes the output positions holding 1 to idx_out and returns how many; every
 * other position of evaluate_box's output is 0. Order: ascending for permutation (i·n + rank(i), i = 0..n-1),
 * argmax (one index) and top-k (k indices); the path from target back to start for shortest paths. Returns 0
 * for ranks, whose output is not 0/1 (use box_ranks).
 */
inline uint32_t box_support(const BoxSpec& s, const float* in, uint32_t* idx_out, void* scratch) {
  uint64_t* keys = static_cast<uint64_t*>(scratch);
  switch (s.kind) {
    case BOX_PERMUTATION:
      ranks_of_row(in, s.n, idx_out, keys);
      for (uint32_t i = 0; i < s.n; i++) idx_out[i] += i * s.n;  // < 46340², no overflow
      return s.n;
    case BOX_ARGMAX:
      idx_out[0] = argmax_row(in, s.n);
      return 1;
    case BOX_TOPK:
      return topk_indices(in, s.n, s.k, idx_out, keys);
    case BOX_SHORTEST_PATH:
      return shortest_path_cells(s.rows, s.cols, in, idx_out, scratch);
    default:
      return 0;
  }
}

}  // namespace ss
