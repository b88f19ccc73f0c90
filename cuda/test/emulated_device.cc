// An EMULATED device for testing the CUDA backend's host side on a machine without a GPU.
//
// Linked into stochastic_smoothing_cuda_emulated.node instead of the .cu kernels and the CUDA runtime: the
// runtime calls that cuda/cuda_engine.cc makes are answered here (memory is host memory, streams run
// synchronously), and the kernel launchers of cuda/kernels/launch.h run the kernels' own per-thread code (cuda/tile/
// and friends) through the sequential HostExec. Everything of the real addon then runs unchanged (the N-API
// layer, the engine's waves, keys, merges, user streams, error handling and the JS fallback), so
// scripts/check-gpu.mjs --emulated exercises it end to end. What this does NOT exercise: the device executor
// (warp shuffles, barriers), launch configurations, shared memory sizing, cuRAND on the device, and the real
// runtime's error behaviour. Nothing here runs on a GPU; results are labelled "emulated" wherever they appear.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "block/exec.h"
#include "kernels/launch.h"
#include "tile/item.h"

namespace {

constexpr size_t EMULATED_MEMORY = size_t(8) << 30;  // what cudaMemGetInfo reports as total
std::atomic<size_t> g_used{0};
std::mutex g_mutex;
cudaError_t g_sticky = cudaSuccess;          // an emulated illegal address poisons the "context"
thread_local cudaError_t g_last = cudaSuccess;

cudaError_t ret(cudaError_t e) {
  if (g_sticky != cudaSuccess) return g_last = g_sticky;
  if (e != cudaSuccess) g_last = e;
  return e;
}

struct Header {
  size_t bytes;
  size_t pad;  // keeps the payload 16-byte aligned
};

}  // namespace

extern "C" {

const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    default: return "cudaErrorUnknown";
  }
}

const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorMemoryAllocation: return "out of memory (emulated device)";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument (emulated device)";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered (emulated device)";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected (emulated device)";
    default: return "unknown error (emulated device)";
  }
}

cudaError_t cudaGetLastError(void) {
  const cudaError_t e = g_sticky != cudaSuccess ? g_sticky : g_last;
  g_last = cudaSuccess;
  return e;
}

cudaError_t cudaRuntimeGetVersion(int* v) {
  *v = CUDART_VERSION;
  return cudaSuccess;
}
cudaError_t cudaDriverGetVersion(int* v) {
  *v = 0;  // no driver: this is an emulation
  return cudaSuccess;
}
cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return ret(cudaSuccess);
}
cudaError_t cudaSetDevice(int) { return ret(cudaSuccess); }

cudaError_t cudaDeviceGetAttribute(int* value, enum cudaDeviceAttr attr, int) {
  switch (attr) {
    case cudaDevAttrMultiProcessorCount: *value = 4; break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = 99 * 1024; break;
    default: *value = 0; break;
  }
  return ret(cudaSuccess);
}

cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp* prop, int) {
  std::memset(prop, 0, sizeof *prop);
  std::strncpy(prop->name, "emulated device (host CPU, HostExec)", sizeof prop->name - 1);
  prop->totalGlobalMem = EMULATED_MEMORY;
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = 4;
  return ret(cudaSuccess);
}

cudaError_t cudaMemGetInfo(size_t* free_b, size_t* total) {
  *total = EMULATED_MEMORY;
  *free_b = EMULATED_MEMORY - std::min(EMULATED_MEMORY, g_used.load());
  return ret(cudaSuccess);
}

cudaError_t cudaMalloc(void** p, size_t bytes) {
  if (g_sticky != cudaSuccess) return ret(g_sticky);
  if (bytes > EMULATED_MEMORY - std::min(EMULATED_MEMORY, g_used.load())) return ret(cudaErrorMemoryAllocation);
  void* raw = std::aligned_alloc(16, ((bytes + sizeof(Header) + 15) / 16) * 16);
  if (raw == nullptr) return ret(cudaErrorMemoryAllocation);
  static_cast<Header*>(raw)->bytes = bytes;
  g_used += bytes;
  // Fill with garbage, as device memory would be: code that forgets to initialise shows up in the results.
  std::memset(static_cast<char*>(raw) + sizeof(Header), 0xA5, bytes);
  *p = static_cast<char*>(raw) + sizeof(Header);
  return cudaSuccess;
}

cudaError_t cudaFree(void* p) {
  if (p == nullptr) return cudaSuccess;
  Header* h = reinterpret_cast<Header*>(static_cast<char*>(p) - sizeof(Header));
  g_used -= h->bytes;
  std::free(h);
  return ret(cudaSuccess);
}

// Stream-ordered allocation: streams run synchronously here, so the pool is plain host memory.
cudaError_t cudaMallocAsync(void** p, size_t bytes, cudaStream_t) { return cudaMalloc(p, bytes); }
cudaError_t cudaFreeAsync(void* p, cudaStream_t) { return cudaFree(p); }
cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t* pool, int) {
  static int the_pool = 0;
  *pool = reinterpret_cast<cudaMemPool_t>(&the_pool);
  return ret(cudaSuccess);
}
cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t, enum cudaMemPoolAttr, void*) { return ret(cudaSuccess); }

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned int) {
  *s = reinterpret_cast<cudaStream_t>(new int(0));
  return ret(cudaSuccess);
}
cudaError_t cudaStreamDestroy(cudaStream_t s) {
  delete reinterpret_cast<int*>(s);
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t) { return ret(cudaSuccess); }

cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, enum cudaMemcpyKind) {
  if (g_sticky != cudaSuccess) return ret(g_sticky);
  if (count) std::memcpy(dst, src, count);
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, enum cudaMemcpyKind kind, cudaStream_t) {
  return cudaMemcpy(dst, src, count, kind);
}
cudaError_t cudaMemsetAsync(void* p, int value, size_t count, cudaStream_t) {
  if (g_sticky != cudaSuccess) return ret(g_sticky);
  std::memset(p, value, count);
  return cudaSuccess;
}

}  // extern "C"

// ------------------------------------------------------------------------------------------------------------
// The kernel launchers of launch.h, run on the host with the kernels' own per-thread code.

namespace ss {
namespace gpu {

namespace {

template <int BOX>
cudaError_t emulated_configure(size_t, int* blocks_per_sm) {
  *blocks_per_sm = 1;
  return ret(cudaSuccess);
}

/** fused_kernel<BOX>: one "block" per item, in order, through HostExec. */
template <int BOX>
cudaError_t emulated_fused(const FusedArgs& a, uint32_t items, size_t smem, cudaStream_t) {
  if (g_sticky != cudaSuccess) return ret(g_sticky);
  std::vector<uint64_t> shared(smem / 8 + 2);  // the block's dynamic shared memory
  HostExec ex;
  for (uint32_t item = 0; item < items; item++) {
    char* ws = a.gws != nullptr ? a.gws + static_cast<uint64_t>(item) * a.shape.bytes : reinterpret_cast<char*>(shared.data());
    std::memset(ws, 0x5A, a.gws != nullptr ? a.shape.bytes : smem);  // uninitialised shared memory
    run_item<BOX>(ex, a, ws, item);
  }
  return cudaSuccess;
}

template <int BOX>
FusedLauncher emulated_launcher() {
  return FusedLauncher{&emulated_configure<BOX>, &emulated_fused<BOX>};
}

}  // namespace

FusedLauncher fused_launcher_permutation() { return emulated_launcher<BOX_PERMUTATION>(); }
FusedLauncher fused_launcher_ranks() { return emulated_launcher<BOX_RANKS>(); }
FusedLauncher fused_launcher_topk() { return emulated_launcher<BOX_TOPK>(); }
FusedLauncher fused_launcher_argmax() { return emulated_launcher<BOX_ARGMAX>(); }
FusedLauncher fused_launcher_path() { return emulated_launcher<BOX_SHORTEST_PATH>(); }

cudaError_t launch_merge_items(const double* part, double* totals, uint64_t item0, uint32_t items, uint32_t items_per_b,
                               uint64_t total, cudaStream_t) {
  if (g_sticky != cudaSuccess) return ret(g_sticky);
  for (uint64_t it = item0; it < item0 + items; it++) {
    const uint64_t b = it / items_per_b;
    for (uint64_t e = 0; e < total; e++) totals[b * total + e] += part[(it - item0) * total + e];
  }
  return cudaSuccess;
}

cudaError_t launch_batch_keys(const SamplerConfig& c, uint32_t b0, uint32_t nb, uint32_t key_words, uint32_t* keys, cudaStream_t) {
  if (g_sticky != cudaSuccess) return ret(g_sticky);
  if (key_words == 0) return cudaSuccess;
  for (uint32_t bl = 0; bl < nb; bl++)
    for (uint32_t d = 0; d < c.dims; d++) batch_keys_dim(c, b0 + bl, d, keys + static_cast<uint64_t>(bl) * key_words);
  return cudaSuccess;
}

cudaError_t launch_user_noise(const FusedArgs& a, const TileView& tv, const uint32_t* keys, uint32_t b, uint32_t start,
                              uint32_t count, cudaStream_t) {
  if (g_sticky != cudaSuccess) return ret(g_sticky);
  const uint32_t nq = quads(a.n);
  const float* xb = a.x + static_cast<uint64_t>(b) * a.n;
  for (uint64_t u = 0; u < static_cast<uint64_t>(count) * nq; u++) {
    const uint32_t t = static_cast<uint32_t>(u / nq);
    noise_unit(a, tv, keys, b, xb, start, t, static_cast<uint32_t>(u % nq));
  }
  if (a.scale.kind == SCALE_MATRIX)
    for (uint64_t u = 0; u < static_cast<uint64_t>(count) * a.n; u++)
      perturb_matrix_unit(a, tv, xb, static_cast<uint32_t>(u / a.n), static_cast<uint32_t>(u % a.n));
  return cudaSuccess;
}

cudaError_t launch_user_accumulate(const FusedArgs& a, const TileView& tv, uint32_t b, uint32_t count, double* part,
                                   double* totals_b, cudaStream_t) {
  if (g_sticky != cudaSuccess) return ret(g_sticky);
  const uint32_t segments = (count + USER_SEGMENT - 1) / USER_SEGMENT;
  std::vector<double> g(USER_SEGMENT);
  HostExec ex;
  for (uint32_t s = 0; s < segments; s++) {
    const uint32_t t0 = s * USER_SEGMENT;
    const uint32_t tc = std::min(USER_SEGMENT, count - t0);
    TileView seg = tv;
    seg.s = tv.s ? tv.s + static_cast<uint64_t>(t0) * a.n : nullptr;
    seg.e = tv.e ? tv.e + static_cast<uint64_t>(t0) * a.n : nullptr;
    seg.f = tv.f + static_cast<uint64_t>(t0) * a.m;
    seg.g = g.data();
    double* mine = part + static_cast<uint64_t>(s) * a.L.total;
    for (uint64_t e = 0; e < a.L.total; e++) mine[e] = 0.0;
    accumulate_tile<TILE_USER_BOX>(ex, a, seg, b, tc, mine);
  }
  for (uint64_t e = 0; e < a.L.total; e++)
    for (uint32_t s = 0; s < segments; s++) totals_b[e] += part[static_cast<uint64_t>(s) * a.L.total + e];
  return cudaSuccess;
}

cudaError_t launch_uniforms(const SamplerConfig& c, const uint32_t* keys, uint32_t b, uint32_t start, uint32_t count, double* out,
                            cudaStream_t) {
  if (g_sticky != cudaSuccess) return ret(g_sticky);
  const uint32_t nq = quads(c.dims);
  for (uint32_t r = 0; r < count; r++) {
    for (uint32_t q = 0; q < nq; q++) {
      double v[4];
      noise_quad(c, keys, b, start + r, q, v);
      for (uint32_t w = 0; w < quad_width(c.dims, q); w++) out[static_cast<uint64_t>(r) * c.dims + 4 * q + w] = v[w];
    }
  }
  return cudaSuccess;
}

cudaError_t launch_curand_check(const SamplerConfig&, const uint32_t*, uint32_t, uint32_t, uint32_t, unsigned long long*, cudaStream_t) {
  return ret(cudaSuccess);  // built without cuRAND: nothing to compare
}

cudaError_t launch_fault(int kind, cudaStream_t) {
  if (kind == 1) return ret(cudaErrorInvalidConfiguration);
  std::lock_guard<std::mutex> lock(g_mutex);
  g_sticky = cudaErrorIllegalAddress;
  return ret(g_sticky);
}

bool built_with_curand() { return false; }

}  // namespace gpu
}  // namespace ss
