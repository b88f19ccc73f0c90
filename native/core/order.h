// The one total order of the built-in black boxes, and the sorting kernels built on it; mirrors
// lib/blackboxes/order.ts (precedesAscending, precedesDescending, RowSorter.sortRow, argmaxRow).
//
// THE ORDER (docs/design.md "Ties", binding on every backend):
//   - values ascending as numbers; NaN above every number (+Infinity included), all NaNs equal;
//   - -0 equals +0;
//   - equal values by index, lower index first (a stable sort).
// The "largest first" order of argmax/top-k is values descending, NaN first, -0 == +0, and equal values
// STILL lower index first (argmax of [3, 3] is item 0).
//
// Both orders are strict and total on (value, index), so every correct sorting algorithm gives the same
// permutation. We therefore sort 64-bit integer keys instead of calling a float comparator:
//   asc key  = (k(v) << 32) | index,   desc key = ((~k(v)) << 32) | index,
// with k(v) the order-preserving map of the float32 bits (order.ts, "For the GPU"): -0 -> +0, NaN ->
// 0xFFFFFFFF, b ^ 0x80000000 for a clear sign bit, ~b for a set one. Integer compares are branch-free,
// exact and immune to FTZ/DAZ (denormals such as 1e-45 stay above 0 as in the TS, which compares doubles),
// and the key itself carries the index, so sorting keys (not indices into the row) needs no indirection.
//
// Sorting strategy (measured on the CPU; the order is strict, so it cannot change any output): n <= 16 keys
// go through one branch-free sorting network held in registers; longer rows are sorted in network blocks of
// 16, then merged bottom-up with branch-free merges (two-ended when the runs have equal length). Top-k only
// needs the k-th key of the largest-first order: quickselect, with a merge-sort fallback bounding the worst
// case. Data-dependent branches are what cost here (an insertion sort mispredicts about once per element).
//
// Everything is a plain loop over caller-owned arrays, marked SS_HD, so that the CUDA build can run the same
// code per thread (checked: it compiles for sm_90 with nvcc 13). Nothing allocates.
#pragma once
#include <cstdint>
#include <cstring>
#include "hd.h"

namespace ss {

/** Raw bits of a float (memcpy is the portable, UB-free bit cast on host and device). */
SS_HD uint32_t float_bits(float v) {
  uint32_t b;
  memcpy(&b, &v, sizeof b);
  return b;
}

/**
 * Order-preserving 32-bit key of a float32 under THE ORDER (ties aside): a < b as numbers iff
 * order_key(a) < order_key(b); -0 and +0 map to the same key, every NaN maps to 0xFFFFFFFF (above +Inf,
 * whose key is 0xFF800000). Integer-only on purpose, see the header.
 */
SS_HD uint32_t order_key(float v) {
  uint32_t b = float_bits(v);
  const uint32_t mag = b & 0x7FFFFFFFu;
  if (mag > 0x7F800000u) return 0xFFFFFFFFu;  // NaN, any sign or payload
  if (mag == 0) b = 0;                        // -0 -> +0
  // Negative: ~b (more negative = larger magnitude = smaller key); non-negative: set the top bit.
  const uint32_t neg = static_cast<uint32_t>(static_cast<int32_t>(b) >> 31);
  return b ^ (neg | 0x80000000u);
}

/** 64-bit ascending sort key of item i: compares like precedesAscending (order.ts). */
SS_HD uint64_t asc_key(float v, uint32_t i) { return (static_cast<uint64_t>(order_key(v)) << 32) | i; }

/** 64-bit "largest first" sort key of item i: compares like precedesDescending (order.ts). */
SS_HD uint64_t desc_key(float v, uint32_t i) { return (static_cast<uint64_t>(~order_key(v)) << 32) | i; }

/** The item index carried by a key. */
SS_HD uint32_t key_index(uint64_t key) { return static_cast<uint32_t>(key); }

/**
 * precedesAscending (order.ts), literally: true when (a, i) comes strictly before (b, j). Kept for tests and
 * for callers that compare two items without building keys; the kernels below use the keys (float compares
 * would see denormals as 0 under flush-to-zero, e.g. nvcc -ftz=true; the keys never do).
 */
SS_HD bool precedes_ascending(float a, uint32_t i, float b, uint32_t j) {
  if (a < b) return true;
  if (a > b) return false;
  const bool aNaN = a != a;
  const bool bNaN = b != b;
  if (aNaN != bNaN) return bNaN;  // exactly one NaN: the number comes first
  return i < j;                    // equal numbers (-0 == +0) or two NaNs: lower index first
}

/** precedesDescending (order.ts), literally: larger first, NaN first of all, ties lower index first. */
SS_HD bool precedes_descending(float a, uint32_t i, float b, uint32_t j) {
  if (a > b) return true;
  if (a < b) return false;
  const bool aNaN = a != a;
  const bool bNaN = b != b;
  if (aNaN != bNaN) return aNaN;
  return i < j;
}

/** Compare-exchange: afterwards a <= b. Two conditional moves, no branch (the outcome is unpredictable). */
SS_HD void cswap(uint64_t& a, uint64_t& b) {
  const uint64_t x = a, y = b;
  const bool swap = y < x;
  a = swap ? y : x;
  b = swap ? x : y;
}

/**
 * Sorts v[0, N) ascending, N <= 16, with Batcher's odd-even merge network for 16 inputs restricted to the
 * comparators (a, b) with b < N. Why the restriction is a valid network for N inputs: padding v[N, 16) with a
 * maximal sentinel, a comparator (a < b) leaves the sentinel at b and a sentinel pair unchanged, so sentinels
 * never move and every comparator touching them is a no-op. The pruned networks have 1, 3, 5, 9, 12, 16, 19
 * comparators for N = 2..8 (the known optimal sizes) and 63 for N = 16 (the optimum is 60). N is a
 * compile-time constant and v a local array, so the pruning costs nothing and the keys stay in registers.
 * Branch-free: sorting networks are the reason n <= ~32 sorts fast (an insertion sort mispredicts about once
 * per element) and map directly onto a GPU thread later. The 0-1 principle check is in blackbox_test.cc.
 */
template <uint32_t N>
SS_HD void sort_network(uint64_t* v) {
#define SS_CS(a, b) \
  if ((b) < N) cswap(v[a], v[b]);
  SS_CS(0, 1) SS_CS(2, 3) SS_CS(4, 5) SS_CS(6, 7) SS_CS(8, 9) SS_CS(10, 11) SS_CS(12, 13) SS_CS(14, 15)
  SS_CS(0, 2) SS_CS(1, 3) SS_CS(4, 6) SS_CS(5, 7) SS_CS(8, 10) SS_CS(9, 11) SS_CS(12, 14) SS_CS(13, 15)
  SS_CS(1, 2) SS_CS(5, 6) SS_CS(9, 10) SS_CS(13, 14) SS_CS(0, 4) SS_CS(1, 5) SS_CS(2, 6) SS_CS(3, 7)
  SS_CS(8, 12) SS_CS(9, 13) SS_CS(10, 14) SS_CS(11, 15) SS_CS(2, 4) SS_CS(3, 5) SS_CS(10, 12) SS_CS(11, 13)
  SS_CS(1, 2) SS_CS(3, 4) SS_CS(5, 6) SS_CS(9, 10) SS_CS(11, 12) SS_CS(13, 14) SS_CS(0, 8) SS_CS(1, 9)
  SS_CS(2, 10) SS_CS(3, 11) SS_CS(4, 12) SS_CS(5, 13) SS_CS(6, 14) SS_CS(7, 15) SS_CS(4, 8) SS_CS(5, 9)
  SS_CS(6, 10) SS_CS(7, 11) SS_CS(2, 4) SS_CS(3, 5) SS_CS(6, 8) SS_CS(7, 9) SS_CS(10, 12) SS_CS(11, 13)
  SS_CS(1, 2) SS_CS(3, 4) SS_CS(5, 6) SS_CS(7, 8) SS_CS(9, 10) SS_CS(11, 12) SS_CS(13, 14)
#undef SS_CS
}

/** Keys in one network block (a network sorts n <= SS_NETWORK_BLOCK keys without merging). */
constexpr uint32_t SS_NETWORK_BLOCK = 16;

/** Sorts keys[0, n) ascending for n <= 16: one pruned network per n, dispatched once per call. */
SS_HD void sort_small_keys(uint64_t* keys, uint32_t n) {
  uint64_t v[SS_NETWORK_BLOCK];
  for (uint32_t i = 0; i < SS_NETWORK_BLOCK; i++) v[i] = i < n ? keys[i] : 0;
  switch (n) {
    case 2: sort_network<2>(v); break;
    case 3: sort_network<3>(v); break;
    case 4: sort_network<4>(v); break;
    case 5: sort_network<5>(v); break;
    case 6: sort_network<6>(v); break;
    case 7: sort_network<7>(v); break;
    case 8: sort_network<8>(v); break;
    case 9: sort_network<9>(v); break;
    case 10: sort_network<10>(v); break;
    case 11: sort_network<11>(v); break;
    case 12: sort_network<12>(v); break;
    case 13: sort_network<13>(v); break;
    case 14: sort_network<14>(v); break;
    case 15: sort_network<15>(v); break;
    case 16: sort_network<16>(v); break;
    default: break;  // 0 or 1 keys: sorted
  }
  for (uint32_t i = 0; i < n; i++) keys[i] = v[i];
}

/** Sorts keys[lo, hi) ascending in place (insertion sort; select_keys' small ranges). Keys are distinct. */
SS_HD void insertion_sort_keys(uint64_t* keys, uint32_t lo, uint32_t hi) {
  for (uint32_t a = lo + 1; a < hi; a++) {
    const uint64_t k = keys[a];
    uint32_t b = a;
    while (b > lo && keys[b - 1] > k) {
      keys[b] = keys[b - 1];
      b--;
    }
    keys[b] = k;
  }
}

/**
 * Merges the sorted runs src[lo, mid) and src[mid, hi) into dst[lo, hi). Branch-free (the selects become
 * conditional moves): which side wins is data-dependent and unpredictable, a branch would miss half the time.
 */
SS_HD void merge_keys(const uint64_t* src, uint64_t* dst, uint32_t lo, uint32_t mid, uint32_t hi) {
  uint32_t p = lo, q = mid, o = lo;
  while (p < mid && q < hi) {
    const uint64_t a = src[p];
    const uint64_t b = src[q];
    const bool right = b < a;
    dst[o++] = right ? b : a;
    q += right;
    p += !right;
  }
  while (p < mid) dst[o++] = src[p++];
  while (q < hi) dst[o++] = src[q++];
}

/**
 * Merges two sorted runs of the SAME length h, src[lo, lo+h) and src[lo+h, lo+2h), into dst[lo, lo+2h) from
 * both ends at once: h steps emit the h smallest keys from the front and h steps the h largest from the
 * back. The two chains are independent, so the CPU overlaps them (a single merge is one long chain of
 * load -> compare -> pointer update). No bounds checks are needed: after t < h front steps at most t keys
 * came from either run, so neither front pointer reaches the end of its run, and symmetrically at the back;
 * keys are distinct, so the two halves partition the output exactly.
 */
SS_HD void merge_keys_equal(const uint64_t* src, uint64_t* dst, uint32_t lo, uint32_t h) {
  // Indices, not pointers: the back indices end one below their run (lo - 1 may wrap, never dereferenced).
  uint32_t a = lo, b = lo + h;               // fronts of runs A and B
  uint32_t ae = lo + h - 1, be = lo + 2 * h - 1;  // backs of runs A and B
  uint32_t of = lo, ob = lo + 2 * h - 1;
  for (uint32_t t = 0; t < h; t++) {
    const uint64_t x = src[a], y = src[b];
    const bool fy = y < x;
    dst[of++] = fy ? y : x;
    b += fy;
    a += !fy;
    const uint64_t u = src[ae], w = src[be];
    const bool bw = w > u;
    dst[ob--] = bw ? w : u;
    be -= bw;
    ae -= !bw;
  }
}

/**
 * Sorts keys[0, n) ascending; tmp is n more keys of scratch. RowSorter.sortRow (order.ts) with keys: sorted
 * blocks of 16 (a network instead of order.ts's insertion-sorted runs of 24: same result, the order is
 * strict), then bottom-up merge passes ping-ponging between the two buffers; the result always ends in
 * `keys`. O(n log n), no allocation.
 */
SS_HD void sort_keys(uint64_t* keys, uint64_t* tmp, uint32_t n) {
  if (n <= SS_NETWORK_BLOCK) {
    sort_small_keys(keys, n);
    return;
  }
  uint32_t lo = 0;
  for (; lo + SS_NETWORK_BLOCK <= n; lo += SS_NETWORK_BLOCK) {
    uint64_t v[SS_NETWORK_BLOCK];
    for (uint32_t i = 0; i < SS_NETWORK_BLOCK; i++) v[i] = keys[lo + i];
    sort_network<SS_NETWORK_BLOCK>(v);
    for (uint32_t i = 0; i < SS_NETWORK_BLOCK; i++) keys[lo + i] = v[i];
  }
  if (lo < n) sort_small_keys(keys + lo, n - lo);
  uint64_t* src = keys;
  uint64_t* dst = tmp;
  // 64-bit loop variables: width doubles past n, which must not wrap for n near 2^32.
  for (uint64_t width = SS_NETWORK_BLOCK; width < n; width *= 2) {
    for (uint64_t l = 0; l < n; l += 2 * width) {
      const uint64_t mid = l + width < n ? l + width : n;
      const uint64_t hi = l + 2 * width < n ? l + 2 * width : n;
      if (mid >= hi) {  // a lone run: copy it across unchanged
        for (uint64_t i = l; i < hi; i++) dst[i] = src[i];
      } else if (hi - mid == width) {
        merge_keys_equal(src, dst, static_cast<uint32_t>(l), static_cast<uint32_t>(width));
      } else {
        merge_keys(src, dst, static_cast<uint32_t>(l), static_cast<uint32_t>(mid), static_cast<uint32_t>(hi));
      }
    }
    uint64_t* t = src;
    src = dst;
    dst = t;
  }
  if (src != keys)
    for (uint32_t i = 0; i < n; i++) keys[i] = src[i];
}

/**
 * Rearranges keys[0, n) so that keys[0, k) are the k smallest (in no particular order) and returns the k-th
 * smallest key, 1 ≤ k ≤ n; tmp is n keys of scratch. Used by top-k, which needs the set of the k first items
 * of the largest-first order, not their order. Quickselect (median of three, branch-free Lomuto partition)
 * with a depth budget: past ~2·log2(n) rounds the rest is merge-sorted, so the worst case stays O(n log n).
 * Keys are distinct, so the result is the same whatever the pivots.
 */
SS_HD uint64_t select_keys(uint64_t* keys, uint64_t* tmp, uint32_t n, uint32_t k, int budget = -1) {
  const uint32_t target = k - 1;
  uint32_t lo = 0, hi = n;
  if (budget < 0) {  // default: 8 + 2·floor(log2 n) partition rounds (tests pass a small one to reach the fallback)
    budget = 8;
    for (uint32_t m = n; m > 1; m >>= 1) budget += 2;
  }
  while (hi - lo > 2 * SS_NETWORK_BLOCK) {
    if (budget-- == 0) {
      sort_keys(keys + lo, tmp + lo, hi - lo);
      return keys[target];
    }
    // Median of three to keys[hi-1] as the pivot.
    const uint32_t mid = lo + (hi - lo) / 2;
    uint64_t a = keys[lo], b = keys[mid], c = keys[hi - 1];
    uint32_t mi;
    if (a < b) mi = b < c ? mid : (a < c ? hi - 1 : lo);
    else mi = a < c ? lo : (b < c ? hi - 1 : mid);
    const uint64_t pivot = keys[mi];
    keys[mi] = keys[hi - 1];
    keys[hi - 1] = pivot;
    // Lomuto: after the loop keys[lo, store) < pivot <= keys[store, hi-1).
    uint32_t store = lo;
    for (uint32_t i = lo; i < hi - 1; i++) {
      const uint64_t x = keys[i];
      keys[i] = keys[store];
      keys[store] = x;
      store += x < pivot;
    }
    keys[hi - 1] = keys[store];
    keys[store] = pivot;
    if (store == target) return pivot;
    if (target < store) hi = store;
    else lo = store + 1;
  }
  insertion_sort_keys(keys, lo, hi);
  return keys[target];
}

/**
 * argmaxRow (order.ts): index of the first item of the largest-first order of values[0, n), n ≥ 1. NaN is the
 * largest, -0 == +0, the lowest index wins among equal maxima. One linear scan: a later item replaces the
 * best only when its key is strictly larger, so equal keys keep the lower index.
 */
SS_HD uint32_t argmax_row(const float* values, uint32_t n) {
  uint32_t best = 0;
  uint32_t bestKey = order_key(values[0]);
  for (uint32_t i = 1; i < n; i++) {
    const uint32_t k = order_key(values[i]);
    const bool better = k > bestKey;
    best = better ? i : best;
    bestKey = better ? k : bestKey;
  }
  return best;
}

}  // namespace ss
