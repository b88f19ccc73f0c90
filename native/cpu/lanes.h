// The GCC vector types of the cpu engine's SIMD kernels, one family per lane count W (2: SSE2 pairs, 4: AVX2,
// 8: AVX-512). Specialised rather than vector_size(W * 8): GCC drops vector_size on a size that depends on a
// template parameter. Used by noise_simd.h, rank_network.h and shortest_path_sweeps.h.
#pragma once
#include <cstdint>

namespace ss {
namespace simd {

/** W doubles (d; u: the same at any 8-byte alignment), W int64 masks (i), W floats (f) and W int32 (i32). */
template <int W>
struct Vec;
template <>
struct Vec<2> {
  typedef double d __attribute__((vector_size(16)));
  typedef double u __attribute__((vector_size(16), aligned(8)));
  typedef int64_t i __attribute__((vector_size(16)));
  typedef float f __attribute__((vector_size(8)));
  typedef int32_t i32 __attribute__((vector_size(8)));
};
template <>
struct Vec<4> {
  typedef double d __attribute__((vector_size(32)));
  typedef double u __attribute__((vector_size(32), aligned(8)));
  typedef int64_t i __attribute__((vector_size(32)));
  typedef float f __attribute__((vector_size(16)));
  typedef int32_t i32 __attribute__((vector_size(16)));
};
template <>
struct Vec<8> {
  typedef double d __attribute__((vector_size(64)));
  typedef double u __attribute__((vector_size(64), aligned(8)));
  typedef int64_t i __attribute__((vector_size(64)));
  typedef float f __attribute__((vector_size(32)));
  typedef int32_t i32 __attribute__((vector_size(32)));
};

}  // namespace simd
}  // namespace ss
