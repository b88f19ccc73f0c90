// Host/device plumbing shared by every native/core header (docs/design.md, "One source of math").
//
// Each header in native/core is compiled twice: by g++ for the multi-threaded CPU backend and by nvcc for the
// CUDA kernels. Everything that runs per sample is therefore a free function marked SS_HD, written with
// fixed-width integers and the global C math functions on double (::log, ::exp, ::sqrt, ... exist on host and
// device), without exceptions, allocation or std:: containers.
//
// Floating point: the uniforms are built only from exact operations or single roundings that no compiler may
// fuse ((w + 0.5)·2⁻³², (p + U)/S, 1 − u), so they are bit-identical to lib/ whatever the contraction mode.
// Derived values (F⁻¹, scores) are polynomials that a compiler may contract into FMAs (nvcc does by default):
// they then differ from lib/ by an ulp or so, which the contract allows. The CPU build uses -ffp-contract=off.
#ifndef SS_CORE_HD_H
#define SS_CORE_HD_H

#include <cstdint>
#include <math.h>

#if defined(__CUDACC__)
#define SS_HD __host__ __device__ __forceinline__
#else
#define SS_HD inline
#endif

namespace ss {

/** Leading zero bits of a 32-bit word, 32 for x = 0 (Math.clz32 in lib/). */
SS_HD uint32_t clz32(uint32_t x) {
#if defined(__CUDA_ARCH__)
  return static_cast<uint32_t>(__clz(static_cast<int>(x)));  // __clz(0) = 32
#elif defined(__GNUC__) || defined(__clang__)
  return x == 0 ? 32u : static_cast<uint32_t>(__builtin_clz(x));  // __builtin_clz(0) is undefined
#else
  uint32_t n = 0;
  while (n < 32 && !(x & (0x80000000u >> n))) n++;
  return n;
#endif
}

/** Trailing zero bits of a non-zero 32-bit word (used to walk set bits; never called with 0). */
SS_HD uint32_t ctz32(uint32_t x) {
#if defined(__CUDA_ARCH__)
  return static_cast<uint32_t>(__ffs(static_cast<int>(x)) - 1);
#elif defined(__GNUC__) || defined(__clang__)
  return static_cast<uint32_t>(__builtin_ctz(x));
#else
  uint32_t n = 0;
  while (!(x & (1u << n))) n++;
  return n;
#endif
}

}  // namespace ss

#endif  // SS_CORE_HD_H
