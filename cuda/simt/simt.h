// SIMT emulation of the CUDA execution model, for tests on machines without a GPU (cuda/README.md, "SIMT
// emulation"). The kernels' own device code (the __global__ functions of cuda/*.cuh) is compiled by the host
// compiler with this header force-included (-include simt/simt.h) and launched with simt::launch:
//
//   - every CUDA thread of a block is one host thread (a pool, reused across blocks); the blocks of a launch run
//     one after the other, so a block's __shared__ variables can be function statics;
//   - __syncthreads / __syncthreads_or are CHECKED barriers: every thread of the block must arrive at the same
//     barrier (same source line); a thread that exits or waits elsewhere while others wait is reported as a
//     deadlock (with who waits where) instead of hanging;
//   - __shfl*_sync / __ballot_sync / __syncwarp check their mask: the caller must be in it, every lane it names
//     must arrive at the same collective with the same mask, and a shuffle may only read a lane of the mask;
//   - dynamic shared memory is per block and filled with garbage, as uninitialised shared memory would be.
//
// A violation fails the launch (simt::launch returns the report) instead of producing a plausible number.
// With SS_SIMT_TSAN (the ThreadSanitizer build) the emulator's own locking is hidden from TSan and only the
// happens-before edges CUDA guarantees are declared (a block barrier, __syncwarp among its lanes), so a
// missing barrier shows up as a data race. Not emulated: the memory model beyond that (no weak ordering), and
// concurrency BETWEEN blocks (they run in sequence, ordered by the launcher).
#pragma once

// The runtime API header first (uint3, dim3, the CUDA keyword macros, empty for a host compiler): it names
// struct members gridDim / blockDim, which the macros below would rewrite.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <tuple>
#include <type_traits>

#define SS_SIMT 1

#undef __shared__
#define __shared__ static  // one block at a time: a static is the block's shared variable
#ifndef __launch_bounds__
#define __launch_bounds__(...)
#endif

namespace simt {

/** Where a barrier or collective was called from: collectives match by site, so divergence is visible. */
struct Site {
  const char* file;
  int line;
};

struct ThreadContext {
  uint3 thread_idx;
  uint3 block_idx;
  dim3 block_dim;
  dim3 grid_dim;
};
extern thread_local ThreadContext tls;

/** The current block's dynamic shared memory (extern __shared__ on a device). */
char* dynamic_shared();

// The intrinsics (called through the macros below, which add the call site).
void syncthreads(Site s);
int syncthreads_or(Site s, int pred);
int syncthreads_count(Site s, int pred);
void syncwarp(Site s, unsigned mask = 0xffffffffu);
unsigned ballot(Site s, unsigned mask, int pred);

enum ShuffleKind : int { SHFL_IDX = 0, SHFL_XOR = 1, SHFL_DOWN = 2, SHFL_UP = 3 };
/** Exchanges 64 bits among the lanes of mask; returns the bits of the source lane (own bits when the source is
 *  outside the caller's width segment, as CUDA specifies). */
uint64_t shuffle_bits(Site s, ShuffleKind kind, unsigned mask, uint64_t bits, int arg, int width);

template <typename T>
T shuffle(Site s, ShuffleKind kind, unsigned mask, T v, int arg, int width = 32) {
  static_assert(sizeof(T) <= 8, "shuffle of at most 64 bits");
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  bits = shuffle_bits(s, kind, mask, bits, arg, width);
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}

/** Runs kernel(args...) over grid × block threads. Returns "" or the first violation found (see above). */
std::string launch_body(dim3 grid, dim3 block, size_t dynamic_shared_bytes, const std::function<void()>& body);

template <typename... P, typename... A>
std::string launch(void (*kernel)(P...), dim3 grid, dim3 block, size_t dynamic_shared_bytes, A&&... args) {
  // Each thread gets its own copy of the parameters, as a kernel's parameter space would give it.
  auto packed = std::make_tuple(static_cast<typename std::decay<P>::type>(args)...);
  return launch_body(grid, block, dynamic_shared_bytes, [kernel, packed]() { std::apply(kernel, packed); });
}

/** Number of launches and threads run so far (tests report them). */
uint64_t threads_run();

}  // namespace simt

#define SIMT_HERE (::simt::Site{__FILE__, __LINE__})
#define threadIdx (::simt::tls.thread_idx)
#define blockIdx (::simt::tls.block_idx)
#define blockDim (::simt::tls.block_dim)
#define gridDim (::simt::tls.grid_dim)
#define __syncthreads() ::simt::syncthreads(SIMT_HERE)
#define __syncthreads_or(p) ::simt::syncthreads_or(SIMT_HERE, (p))
#define __syncthreads_count(p) ::simt::syncthreads_count(SIMT_HERE, (p))
#define __syncwarp(...) ::simt::syncwarp(SIMT_HERE, ##__VA_ARGS__)
#define __ballot_sync(mask, p) ::simt::ballot(SIMT_HERE, (mask), (p))
#define __shfl_sync(mask, v, ...) ::simt::shuffle(SIMT_HERE, ::simt::SHFL_IDX, (mask), (v), __VA_ARGS__)
#define __shfl_xor_sync(mask, v, ...) ::simt::shuffle(SIMT_HERE, ::simt::SHFL_XOR, (mask), (v), __VA_ARGS__)
#define __shfl_down_sync(mask, v, ...) ::simt::shuffle(SIMT_HERE, ::simt::SHFL_DOWN, (mask), (v), __VA_ARGS__)
#define __shfl_up_sync(mask, v, ...) ::simt::shuffle(SIMT_HERE, ::simt::SHFL_UP, (mask), (v), __VA_ARGS__)

// Device atomics and bit casts used by the kernels (sequentially consistent host atomics).
inline unsigned int atomicOr(unsigned int* p, unsigned int v) { return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); }
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) {
  return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
inline unsigned long long atomicMin(unsigned long long* p, unsigned long long v) {
  unsigned long long old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
  while (v < old && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
  }
  return old;
}
inline long long __double_as_longlong(double x) {
  long long b;
  std::memcpy(&b, &x, 8);
  return b;
}
