// Which SIMD level the cpu engine's kernels run at: AVX-512, AVX2 or plain x86-64 (scalar), chosen once at load
// from what the processor supports (__builtin_cpu_supports) and lowered, never raised, by the environment
// variable STOCHASTIC_SMOOTHING_SIMD=avx512|avx2|scalar (so that tests and CI can run every level on one
// machine). Every level computes the same values bit for bit (README.md, "SIMD dispatch"); only speed differs.
// Host-only (never included by the CUDA build).
#pragma once
#include <atomic>
#include <cstdlib>
#include <cstring>

namespace ss {

enum SimdLevel : int { SIMD_SCALAR = 0, SIMD_AVX2 = 1, SIMD_AVX512 = 2 };

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define SS_SIMD_X86 1
// The ISA each level's code is compiled for (function attributes: the rest of the build stays portable).
// No FMA at any level: -ffp-contract=off is set for the whole build, and no kernel asks for a fused operation.
// SS_ISA_*: the function itself; SS_TARGET_*: also everything it calls, inlined (for small kernels only:
// flattening a whole work item would compile every black box three times over).
// GCC vectorises for 256-bit registers by default even with AVX-512 enabled: ask it for 512 (clang has no
// such attribute option and ignores the whole attribute when given it).
#if defined(__clang__)
#define SS_AVX512_ISA "avx512f,avx512dq,avx512vl,avx512bw"
#else
#define SS_AVX512_ISA "avx512f,avx512dq,avx512vl,avx512bw,prefer-vector-width=512"
#endif
#define SS_ISA_AVX2 __attribute__((target("avx2")))
#define SS_ISA_AVX512 __attribute__((target(SS_AVX512_ISA)))
#define SS_TARGET_AVX2 __attribute__((target("avx2"), flatten))
#define SS_TARGET_AVX512 __attribute__((target(SS_AVX512_ISA), flatten))
#else
#define SS_SIMD_X86 0
#endif

/** The best level this processor (and this build) can run. */
inline int simd_supported_level() {
#if SS_SIMD_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw"))
    return SIMD_AVX512;
  if (__builtin_cpu_supports("avx2")) return SIMD_AVX2;
#endif
  return SIMD_SCALAR;
}

inline const char* simd_level_name(int level) {
  return level == SIMD_AVX512 ? "avx512" : level == SIMD_AVX2 ? "avx2" : "scalar";
}

/**
 * The level to run given the environment value `env` (null: unset) and the supported level: the requested level
 * when the processor has it, else the supported one (a request can lower the level, never raise it); an
 * unknown value is ignored.
 */
inline int simd_level_for(const char* env, int supported) {
  if (!env) return supported;
  int wanted = supported;
  if (!strcmp(env, "scalar")) wanted = SIMD_SCALAR;
  else if (!strcmp(env, "avx2")) wanted = SIMD_AVX2;
  else if (!strcmp(env, "avx512")) wanted = SIMD_AVX512;
  return wanted < supported ? wanted : supported;
}

namespace detail {
inline std::atomic<int>& simd_level_slot() {
  static std::atomic<int> level{simd_level_for(std::getenv("STOCHASTIC_SMOOTHING_SIMD"), simd_supported_level())};
  return level;
}
}  // namespace detail

/** The level the engine runs at now. */
inline int simd_level() { return detail::simd_level_slot().load(std::memory_order_relaxed); }

/** Tests: run at `level` from now on; false (and no change) when the processor lacks it. */
inline bool simd_set_level(int level) {
  if (level < SIMD_SCALAR || level > simd_supported_level()) return false;
  detail::simd_level_slot().store(level, std::memory_order_relaxed);
  return true;
}

}  // namespace ss
