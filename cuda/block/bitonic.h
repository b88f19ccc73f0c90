// Bitonic sorting network over 64-bit keys (K. E. Batcher, "Sorting networks and their applications", 1968),
// as the CUDA black boxes run it: one compare-exchange per work unit, one barrier per step.
//
// Why bitonic: its schedule is data-independent (every step is n/2 independent compare-exchanges), so a block
// of threads sorts a row in shared memory with no divergence, and the step can be replayed sequentially on
// the host (host_test.cu) to prove it sorts. Why keys: the sort keys of order.h, (order_key(v) << 32) | index,
// are DISTINCT and totally ordered, so any correct sort yields the same permutation as the core's merge sort,
// ties, NaN, -0 and all. Rows are padded to a power of two with the key ~0, larger than every real key
// (an index < 2^32 - 1 in the low word), so padding collects at the end and never displaces a real key.
#pragma once
#include <cstdint>

#include "block/exec.h"

namespace ss {
namespace gpu {

/** Smallest power of two >= n (n >= 1, n <= 2^31). */
SSG_HD uint32_t next_pow2(uint32_t n) {
  uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

/** Key used to pad a row to a power of two: above every key asc_key/desc_key can produce. */
constexpr uint64_t BITONIC_PAD = ~static_cast<uint64_t>(0);

/**
 * One compare-exchange of the step (k, j) of the bitonic network on a row of 2^x keys (k = 2, 4, ..., n_pad
 * is the size of the bitonic sequences being merged, j = k/2, ..., 1 the comparator distance). `pair` in
 * [0, n_pad/2) numbers the comparators of the step: lo = pair with a zero bit inserted at position log2(j),
 * hi = lo + j. The block [lo & ~(k-1), +k) is sorted ascending when bit k of lo is clear, descending when set,
 * so that consecutive blocks form the bitonic sequences of the next k; at k = n_pad every block is ascending.
 */
SSG_HD void bitonic_compare_exchange(uint64_t* row, uint32_t k, uint32_t j, uint32_t pair) {
  const uint32_t lo = ((pair & ~(j - 1)) << 1) | (pair & (j - 1));
  const uint32_t hi = lo | j;
  const bool ascending = (lo & k) == 0;
  const uint64_t a = row[lo];
  const uint64_t b = row[hi];
  const bool swap = ascending ? (b < a) : (a < b);
  if (swap) {
    row[lo] = b;
    row[hi] = a;
  }
}

/** Number of (k, j) steps of the network for n_pad keys: log2(n_pad)·(log2(n_pad) + 1)/2. */
SSG_HD uint32_t bitonic_steps(uint32_t n_pad) {
  uint32_t s = 0;
  for (uint32_t k = 2; k <= n_pad; k <<= 1)
    for (uint32_t j = k >> 1; j > 0; j >>= 1) s++;
  return s;
}

/**
 * The whole network run by an executor over `rows` rows of n_pad keys each, row r at keys + r·n_pad:
 * units (row, pair), a barrier after every step. HostExec runs it sequentially (the host test's reference
 * schedule); the device executor runs the same units in parallel.
 */
SSG_EXEC_CHECK_DISABLE
template <typename Exec>
SSG_HD void bitonic_sort_rows(Exec& ex, uint64_t* keys, uint32_t rows, uint32_t n_pad) {
  const uint32_t half = n_pad >> 1;
  for (uint32_t k = 2; k <= n_pad; k <<= 1) {
    for (uint32_t j = k >> 1; j > 0; j >>= 1) {
      ex.for_units(rows * half, [&](uint32_t u) {
        const uint32_t r = u / half;
        bitonic_compare_exchange(keys + static_cast<uint64_t>(r) * n_pad, k, j, u - r * half);
      });
      ex.sync();
    }
  }
}

}  // namespace gpu
}  // namespace ss
