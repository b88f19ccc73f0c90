// Ranks of W samples at once (the ranks and permutation boxes of the cpu engine, 16 < n ≤ 256): Batcher's
// odd-even merge sort network for the padded size, pruned to the comparators inside [0, n), applied to the
// 64-bit keys of order.h held interleaved (key i of sample l at keys[i·W + l]), so each comparator is one vector
// compare and two selects over W samples. The keys are asc_key(z, i) = (order_key(z) << 32) | i, distinct, so
// every correct sort (this one, the per-row merge sort of order.h) gives the same order: the ranks, ties by
// lower index first, are those of ranks_of_row bit for bit. Pruning is valid for the reason sort_network's is
// (order.h): padding [n, N) with maximal sentinels, every comparator touching one is a no-op.
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>

#include "lanes.h"
#include "order.h"

namespace ss {

/** Largest n served by the network (above it the per-row merge sort needs fewer comparisons). */
constexpr uint32_t RANK_NETWORK_MAX_N = 256;

/**
 * The comparators (a, b), a < b < n, of Batcher's odd-even merge sort for N = the next power of two ≥ n, in
 * order, packed as a·2¹⁶ + b (Knuth, TAOCP vol. 3, §5.3.4, exercise 32's iterative form).
 */
inline void rank_network(uint32_t n, std::vector<uint32_t>& pairs) {
  pairs.clear();
  uint32_t N = 1;
  while (N < n) N <<= 1;
  for (uint32_t p = 1; p < N; p <<= 1)
    for (uint32_t k = p; k >= 1; k >>= 1)
      for (uint32_t j = k % p; j + k < N; j += 2 * k)
        for (uint32_t i = 0; i < k && i + j + k < N; i++)
          if ((i + j) / (2 * p) == (i + j + k) / (2 * p) && i + j + k < n) pairs.push_back(((i + j) << 16) | (i + j + k));
}

/**
 * The comparators of `pairs` as element offsets into the interleaved keys of ranks_by_network: a·W, b·W per
 * comparator. Decoding a packed pair in the hot loop (two shifts, a mask, two scalings) cost more instructions
 * than the comparator itself (callgrind, ranks(100)); the offsets are computed once per n and level.
 */
inline void network_offsets(const std::vector<uint32_t>& pairs, uint32_t W, std::vector<uint32_t>& offsets) {
  offsets.resize(2 * pairs.size());
  for (size_t c = 0; c < pairs.size(); c++) {
    offsets[2 * c] = (pairs[c] >> 16) * W;
    offsets[2 * c + 1] = (pairs[c] & 0xFFFFu) * W;
  }
}

/**
 * rank[r·n + i] = ascending position of item i of row r of z (rows × n floats), for r < rows, through the
 * `count` comparators whose key offsets are `offsets` (network_offsets(rank_network(n), W)); keys is scratch
 * for n·W int64. Each key has its top bit flipped so that the signed 64-bit compare (the one AVX2 has) orders
 * them as unsigned.
 */
template <int W>
inline __attribute__((always_inline)) void ranks_by_network(const uint32_t* offsets, size_t count, const float* z, uint32_t rows,
                                                            uint32_t n, uint32_t* rank, int64_t* keys) {
  typedef typename simd::Vec<W>::i vi;
  const uint64_t top = 0x8000000000000000ull;
  for (uint32_t g = 0; g < rows; g += W) {
    const float* zr[W];
    for (int l = 0; l < W; l++) zr[l] = z + static_cast<size_t>(g + l < rows ? g + l : rows - 1) * n;  // a short last group repeats its last row
    for (uint32_t i = 0; i < n; i++) {  // the W keys of item i are adjacent: one vector store per item
      int64_t* ki = keys + static_cast<size_t>(i) * W;
      for (int l = 0; l < W; l++) ki[l] = static_cast<int64_t>(asc_key(zr[l][i], i) ^ top);
    }
    const uint32_t* end = offsets + 2 * count;
#pragma GCC unroll 4
    for (const uint32_t* o = offsets; o != end; o += 2) {
      int64_t* pa = keys + o[0];
      int64_t* pb = keys + o[1];
      vi x, y;
      memcpy(&x, pa, sizeof x);
      memcpy(&y, pb, sizeof y);
      const vi swap = y < x;
      const vi lo = swap ? y : x, hi = swap ? x : y;
      memcpy(pa, &lo, sizeof lo);
      memcpy(pb, &hi, sizeof hi);
    }
    uint32_t* rk = rank + static_cast<size_t>(g) * n;
    if (g + W <= rows) {  // a full group: position r of all W rows at once (the W keys of r are adjacent)
      for (uint32_t r = 0; r < n; r++) {
        const int64_t* kr = keys + static_cast<size_t>(r) * W;
        for (int l = 0; l < W; l++) rk[static_cast<size_t>(l) * n + key_index(static_cast<uint64_t>(kr[l]))] = r;
      }
    } else {
      for (int l = 0; g + l < rows; l++)
        for (uint32_t r = 0; r < n; r++) rk[static_cast<size_t>(l) * n + key_index(static_cast<uint64_t>(keys[static_cast<size_t>(r) * W + l]))] = r;
    }
  }
}

}  // namespace ss
