// The bitonic network of block/bitonic.h run by ONE WARP on one row of n_pad = 32·K keys held in registers
// (K ≤ 4 keys per lane): the register-resident sort of the sorting boxes for SMALL_SORT_N < n ≤ WARP_SORT_MAX_N
// (tile/box.h, through DeviceExec::warp_sort_rows).
//
// Why: the shared-memory network costs a block barrier and a round trip through shared memory per step (28 steps
// at n_pad = 128); here a warp needs no barrier at all, and shared memory is touched once to store the sorted row.
//
// Layout: lane l holds the positions p = l·K + r in v[r]. A comparator of distance j < K pairs two registers of
// the same lane (no communication); one of distance j ≥ K pairs register r of lanes l and l ^ (j/K), exchanged by
// one 64-bit __shfl_xor_sync, after which each lane keeps the minimum or the maximum. At n_pad = 128 that is 13
// steps inside the lane and 15 across lanes (4 shuffles of 64 bits each). The comparators, and the direction of
// each, are bitonic_compare_exchange's: the same network, only spread over registers and lanes.
#pragma once
#include <cstdint>

#include "block/bitonic.h"

namespace ss {
namespace gpu {

/**
 * Sorts the 32·K keys of a warp ascending into the layout above: afterwards v[r] of lane l is the key of rank
 * l·K + r. Every lane of `mask` must call it, with the same K; the tile kernels pass the full warp. `mask` is a
 * parameter only so that the SIMT test can plant a half-warp mask (cuda/test/simt_test.cc).
 */
template <uint32_t K>
__device__ __forceinline__ void warp_bitonic_sort(uint64_t (&v)[K], uint32_t lane, unsigned mask) {
  static_assert(K == 1 || K == 2 || K == 4, "one warp sorts 32, 64 or 128 keys");
  constexpr uint32_t LOG_N = K == 1 ? 5 : K == 2 ? 6 : 7;
  // Indices as logarithms, constant after unrolling: every v[r] below is a register, never local memory.
#pragma unroll
  for (uint32_t lk = 1; lk <= LOG_N; lk++) {
    const uint32_t k = 1u << lk;  // merging bitonic sequences of k keys
#pragma unroll
    for (uint32_t lj = lk; lj-- > 0;) {
      const uint32_t j = 1u << lj;  // comparator distance
      if (j >= K) {
#pragma unroll
        for (uint32_t r = 0; r < K; r++) {
          const uint32_t p = lane * K + r;
          const uint64_t other = __shfl_xor_sync(mask, static_cast<unsigned long long>(v[r]), static_cast<int>(j / K));
          // The lower position of a pair keeps the minimum when its k-block ascends, the higher one the maximum.
          // One comparison decides both cases: real keys are distinct, and padding keys are equal (either is right).
          const bool keep_min = ((p & j) == 0) == ((p & k) == 0);
          v[r] = (other < v[r]) == keep_min ? other : v[r];
        }
      } else {
#pragma unroll
        for (uint32_t r = 0; r < K; r++) {
          if (r & j) continue;  // r is the lower register of the pair (r, r | j)
          const bool ascending = ((lane * K + r) & k) == 0;
          const uint64_t a = v[r], b = v[r | j];
          const bool swap = (b < a) == ascending;  // equal keys are padding: swapping them changes nothing
          v[r] = swap ? b : a;
          v[r | j] = swap ? a : b;
        }
      }
    }
  }
}

/**
 * Rows [0, rows) of n_pad keys each, one row per warp at a time: warp w sorts rows w, w + warps, ... (a
 * warp-uniform loop, so every shuffle has the whole warp), key(t, i) gives key i of row t (BITONIC_PAD for
 * i ≥ n), and row t's sorted keys go to out + t·n_pad. Register r of lane l loads key r·32 + l: consecutive lanes
 * read consecutive entries, and where a key starts does not matter to a sort.
 */
template <uint32_t K, typename KeyF>
__device__ void warp_sort_rows_k(uint32_t rows, KeyF&& key, uint64_t* out) {
  const uint32_t warps = blockDim.x >> 5;
  const uint32_t lane = threadIdx.x & 31u;
  for (uint32_t t = threadIdx.x >> 5; t < rows; t += warps) {
    uint64_t v[K];
#pragma unroll
    for (uint32_t r = 0; r < K; r++) v[r] = key(t, r * 32u + lane);
    warp_bitonic_sort<K>(v, lane, 0xffffffffu);
    uint64_t* row = out + static_cast<uint64_t>(t) * (32u * K);
#pragma unroll
    for (uint32_t r = 0; r < K; r++) row[lane * K + r] = v[r];
  }
}

}  // namespace gpu
}  // namespace ss
