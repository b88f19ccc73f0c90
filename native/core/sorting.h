// The sorting-based built-in black boxes, one input row at a time; mirrors the evaluate() bodies of
// permutation, ranks, argmax and topk in lib/blackboxes/sorting.ts.
//
// Outputs are defined by THE ORDER of order.h alone (values ascending, NaN above +Infinity, -0 == +0, ties
// by index; argmax/top-k prefer the lower index among equal values), never by the algorithm, so they are
// bit-identical 0/1 (or rank) floats on every backend. Every function is SS_HD, loops over caller-owned
// arrays and allocates nothing: `keys` is scratch for 2·n uint64 (sort_scratch_keys(n)).
//
// Cost per row: O(n log n) for permutation/ranks (plus writing the n² permutation matrix), O(n) for argmax,
// O(n) expected (O(n log n) worst case) for top-k.
#pragma once
#include <cstdint>
#include "hd.h"
#include "order.h"

namespace ss {

/** uint64 keys of scratch the sorting rows need for n items: the keys and the merge buffer. */
SS_HD uint64_t sort_scratch_keys(uint32_t n) { return 2 * static_cast<uint64_t>(n); }

/**
 * keys[i] = asc_key(row[i], i) for i < n, written branch-free (order_key's two special cases as selects) so that
 * the loop vectorises; the same keys bit for bit.
 */
SS_HD void asc_keys_of_row(const float* row, uint32_t n, uint64_t* keys) {
  for (uint32_t i = 0; i < n; i++) {
    uint32_t b = float_bits(row[i]);
    const uint32_t mag = b & 0x7FFFFFFFu;
    b = mag == 0 ? 0u : b;  // -0 -> +0
    uint32_t k = b ^ (static_cast<uint32_t>(static_cast<int32_t>(b) >> 31) | 0x80000000u);
    k = mag > 0x7F800000u ? 0xFFFFFFFFu : k;  // NaN, any sign or payload
    keys[i] = (static_cast<uint64_t>(k) << 32) | i;
  }
}

/** Sorts the ascending keys of row[0, n) into keys[0, n) (keys[n, 2n) is the merge buffer). */
SS_HD void sort_row_ascending(const float* row, uint32_t n, uint64_t* keys) {
  asc_keys_of_row(row, n, keys);
  sort_keys(keys, keys + n, n);
}

/**
 * Sparse ranks: rank[i] = 0-based position of item i in the ascending order of row[0, n) (the inverse of the
 * sorting permutation; what ranks() outputs, as integers; permutation() puts its 1 of row i in column rank[i]).
 */
template <uint32_t N>
SS_HD void ranks_of_small_row(const float* row, uint32_t* rank) {
  uint64_t v[SS_NETWORK_BLOCK];  // only v[0, N) is written or read: the pruned network skips the rest
  asc_keys_of_row(row, N, v);
  sort_network<N>(v);
  for (uint32_t r = 0; r < N; r++) rank[key_index(v[r])] = r;
}

SS_HD void ranks_of_row(const float* row, uint32_t n, uint32_t* rank, uint64_t* keys) {
  switch (n) {  // n <= 16: one network in registers, keys never stored (the same order, so the same ranks)
    case 1: rank[0] = 0; return;
    case 2: ranks_of_small_row<2>(row, rank); return;
    case 3: ranks_of_small_row<3>(row, rank); return;
    case 4: ranks_of_small_row<4>(row, rank); return;
    case 5: ranks_of_small_row<5>(row, rank); return;
    case 6: ranks_of_small_row<6>(row, rank); return;
    case 7: ranks_of_small_row<7>(row, rank); return;
    case 8: ranks_of_small_row<8>(row, rank); return;
    case 9: ranks_of_small_row<9>(row, rank); return;
    case 10: ranks_of_small_row<10>(row, rank); return;
    case 11: ranks_of_small_row<11>(row, rank); return;
    case 12: ranks_of_small_row<12>(row, rank); return;
    case 13: ranks_of_small_row<13>(row, rank); return;
    case 14: ranks_of_small_row<14>(row, rank); return;
    case 15: ranks_of_small_row<15>(row, rank); return;
    case 16: ranks_of_small_row<16>(row, rank); return;
    default: break;
  }
  sort_row_ascending(row, n, keys);
  for (uint32_t r = 0; r < n; r++) rank[key_index(keys[r])] = r;
}

/**
 * permutation(n) (sorting.ts), one row: out[i*n + r] = 1 when item i sits at position r of the ascending
 * order, 0 elsewhere (n·n floats, every one written).
 */
SS_HD void permutation_row(const float* row, uint32_t n, float* out, uint64_t* keys) {
  sort_row_ascending(row, n, keys);
  const uint64_t m = static_cast<uint64_t>(n) * n;
  for (uint64_t j = 0; j < m; j++) out[j] = 0.0f;
  for (uint32_t r = 0; r < n; r++) out[static_cast<uint64_t>(key_index(keys[r])) * n + r] = 1.0f;
}

/**
 * ranks(n) (sorting.ts), one row: out[i] = position of item i in the ascending order, as a float (the TS
 * stores the integer into a Float32Array: the same round-to-nearest conversion for n > 2^24).
 */
SS_HD void ranks_row(const float* row, uint32_t n, float* out, uint64_t* keys) {
  sort_row_ascending(row, n, keys);
  for (uint32_t r = 0; r < n; r++) out[key_index(keys[r])] = static_cast<float>(r);
}

/** argmax(n) (sorting.ts), one row: one-hot of argmax_row (NaN largest, lowest index among ties). */
SS_HD void argmax_box_row(const float* row, uint32_t n, float* out) {
  const uint32_t best = argmax_row(row, n);
  for (uint32_t i = 0; i < n; i++) out[i] = i == best ? 1.0f : 0.0f;
}

/**
 * The k-th key of the largest-first order of row[0, n) (1 ≤ k ≤ n): item i is among the top k exactly when
 * desc_key(row[i], i) <= the returned key. That is sorting.ts's "first k items of the largest-first order",
 * found by selection instead of a full sort (the set is the same; only its order is not computed).
 */
SS_HD uint64_t topk_threshold(const float* row, uint32_t n, uint32_t k, uint64_t* keys) {
  if (k == 1) {  // the argmax: one O(n) scan, no keys written
    const uint32_t best = argmax_row(row, n);
    return desc_key(row[best], best);
  }
  for (uint32_t i = 0; i < n; i++) keys[i] = desc_key(row[i], i);
  if (k == n) return ~static_cast<uint64_t>(0);  // everything is selected
  return select_keys(keys, keys + n, n, k);
}

/** topk(n, k) (sorting.ts), one row: multi-hot of the k largest, exactly k ones, lower index among ties. */
SS_HD void topk_row(const float* row, uint32_t n, uint32_t k, float* out, uint64_t* keys) {
  const uint64_t t = topk_threshold(row, n, k, keys);
  for (uint32_t i = 0; i < n; i++) out[i] = desc_key(row[i], i) <= t ? 1.0f : 0.0f;
}

/** Sparse top-k: writes the k selected indices in ascending index order to idx[0, k); returns k. */
SS_HD uint32_t topk_indices(const float* row, uint32_t n, uint32_t k, uint32_t* idx, uint64_t* keys) {
  const uint64_t t = topk_threshold(row, n, k, keys);
  uint32_t c = 0;
  for (uint32_t i = 0; i < n; i++)
    if (desc_key(row[i], i) <= t) idx[c++] = i;
  return c;
}

}  // namespace ss
