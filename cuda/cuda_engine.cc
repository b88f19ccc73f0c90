// See cuda_engine.h. Host orchestration only: the per-sample math is in native/core, the kernels' per-thread
// logic in cuda/tile/ (the stages) and cuda/kernels/; this file allocates, launches, checks every CUDA call, and finishes the sums exactly as
// the CPU engine does (the job layer's finish_totals, native/engine/job.h, on the same per-batch-element totals).
#include "cuda_engine.h"

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "checked.h"
#include "distributions.h"
#include "block/grid_relax.h"  // relax_max_sweeps
#include "kernels/launch.h"
#include "output_cache.h"  // cache_bytes
#include "tile/cache_rows.h"  // set_cache

#ifndef SS_CUDA_ARCHITECTURES
#define SS_CUDA_ARCHITECTURES "unknown"
#endif

namespace ss {
namespace cuda {

using gpu::FusedArgs;
using gpu::TileShape;
using gpu::TileView;

namespace {

std::atomic<uint64_t> g_bytes{0};
std::atomic<bool> g_lost{false};
std::mutex g_mutex;         // guards g_lost_reason and g_props
std::string g_lost_reason;  // the sticky error that poisoned the context

/**
 * Errors after which the CUDA context is unusable for the rest of the process (the runtime returns them from
 * every later call): faults inside a kernel and uncorrectable hardware errors.
 */
bool is_sticky(cudaError_t e) {
  switch (e) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorAssert:
    case cudaErrorLaunchTimeout:
    case cudaErrorECCUncorrectable:
    case cudaErrorContextIsDestroyed:
      return true;
    default:
      return false;
  }
}

[[noreturn]] void fail(cudaError_t err, const std::string& what) {
  const bool sticky = is_sticky(err);
  const std::string name = cudaGetErrorName(err);
  const std::string msg = what + ": " + cudaGetErrorString(err) + " (" + name + ")";
  if (sticky) {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (!g_lost.load()) {
      g_lost_reason = msg;
      g_lost.store(true);
    }
  } else {
    cudaGetLastError();  // a recoverable error must not resurface in a later, unrelated call
  }
  throw CudaError(msg, static_cast<int>(err), name, sticky);
}

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) fail(err, what);
}

void ensure_usable() {
  if (!g_lost.load()) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  throw CudaError("the CUDA context is unusable after an earlier unrecoverable error (" + g_lost_reason +
                      "); the cuda backend stays disabled until the process restarts",
                  static_cast<int>(cudaErrorUnknown), "cudaErrorContextLost", true);
}

struct Props {
  int sm_count = 0;
  size_t smem_optin = 48 * 1024;
};

/** Device 0 made current on this thread (worker threads start on device 0 anyway) and its properties. */
Props device() {
  ensure_usable();
  int count = 0;
  check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
  if (count == 0) fail(cudaErrorNoDevice, "cudaGetDeviceCount");
  check(cudaSetDevice(0), "cudaSetDevice(0)");
  // Stream-ordered allocations (DeviceMemory) come from the default pool; by default it hands its memory back
  // to the driver at every synchronisation, which would make each job's allocations driver calls again. Keep up to
  // 1 GiB (the job budget below reads free memory, so the pool must not hide much of it).
  static std::once_flag pool_once;
  static cudaError_t pool_err = cudaSuccess;
  std::call_once(pool_once, [] {
    cudaMemPool_t pool = nullptr;
    pool_err = cudaDeviceGetDefaultMemPool(&pool, 0);
    uint64_t keep = 1ull << 30;
    if (pool_err == cudaSuccess) pool_err = cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
  });
  check(pool_err, "configuring the device memory pool (cudaMemPoolSetAttribute)");
  Props p;
  check(cudaDeviceGetAttribute(&p.sm_count, cudaDevAttrMultiProcessorCount, 0), "cudaDeviceGetAttribute(multiProcessorCount)");
  int optin = 0;
  check(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, 0), "cudaDeviceGetAttribute(maxSharedMemoryPerBlockOptin)");
  p.smem_optin = static_cast<size_t>(optin);
  return p;
}

/**
 * A device allocation owned by its scope, STREAM-ORDERED: cudaMallocAsync / cudaFreeAsync on the job's stream,
 * from the device's default pool (kept, not returned to the driver at every synchronisation: see device()).
 * cudaMalloc / cudaFree synchronised the whole device on every call, so concurrent jobs serialised. The free is
 * ordered after the stream's pending work, so even an exception thrown with kernels in flight frees safely. The
 * stream must outlive the allocation (every owner declares its Stream first).
 */
class DeviceMemory {
 public:
  DeviceMemory() = default;
  DeviceMemory(size_t bytes, const char* what, cudaStream_t stream) {
    const size_t n = bytes == 0 ? 16 : bytes;
    void* p = nullptr;
    const cudaError_t err = cudaMallocAsync(&p, n, stream);
    if (err != cudaSuccess) fail(err, std::string("cudaMallocAsync(") + what + ", " + std::to_string(n) + " bytes)");
    p_ = p;
    bytes_ = n;
    s_ = stream;
    g_bytes += n;
  }
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;
  DeviceMemory(DeviceMemory&& o) noexcept : p_(o.p_), bytes_(o.bytes_), s_(o.s_) { o.p_ = nullptr; o.bytes_ = 0; }
  DeviceMemory& operator=(DeviceMemory&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = o.p_;
      bytes_ = o.bytes_;
      s_ = o.s_;
      o.p_ = nullptr;
      o.bytes_ = 0;
    }
    return *this;
  }
  ~DeviceMemory() { reset(); }
  void reset() {
    if (p_ != nullptr) {
      cudaFreeAsync(p_, s_);  // errors ignored: after a sticky error the memory goes with the context
      g_bytes -= bytes_;
      p_ = nullptr;
      bytes_ = 0;
    }
  }
  template <typename T>
  T* as() const { return static_cast<T*>(p_); }

 private:
  void* p_ = nullptr;
  size_t bytes_ = 0;
  cudaStream_t s_ = nullptr;
};

/** A non-blocking stream owned by its scope. */
class Stream {
 public:
  Stream() { check(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking), "cudaStreamCreateWithFlags"); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() {
    if (s_ != nullptr) cudaStreamDestroy(s_);
  }
  cudaStream_t get() const { return s_; }
  void sync(const char* what) const { check(cudaStreamSynchronize(s_), what); }

 private:
  cudaStream_t s_ = nullptr;
};

template <typename T>
DeviceMemory upload(const T* data, size_t count, const char* what, const Stream& s) {
  DeviceMemory m(count * sizeof(T), what, s.get());
  if (count > 0) check(cudaMemcpyAsync(m.as<void>(), data, count * sizeof(T), cudaMemcpyHostToDevice, s.get()), what);
  return m;
}

template <typename T>
DeviceMemory upload(const std::vector<T>& v, const char* what, const Stream& s) {
  return upload(v.data(), v.size(), what, s);
}

/** The sampler / scale configs of `plan` re-pointed at device copies (the addon's plan owns host vectors). */
struct DevicePlan {
  DeviceMemory sobol, sigma, matrix;
  SamplerConfig sampler;
  ScaleConfig scale;
  DevicePlan(const EnginePlan& plan, uint64_t seed, const Stream& s) : sampler(plan.sampler), scale(plan.scale) {
    sampler.seed = seed;
    if (!plan.sobol_v.empty()) sobol = upload(plan.sobol_v, "Sobol direction integers", s);
    if (!plan.sigma.empty()) sigma = upload(plan.sigma, "scale sigma", s);
    if (!plan.matrix.empty()) matrix = upload(plan.matrix, "scale matrix", s);
    sampler.sobol_v = plan.sobol_v.empty() ? nullptr : sobol.as<uint32_t>();
    scale.sigma = plan.sigma.empty() ? nullptr : sigma.as<double>();
    scale.matrix = plan.matrix.empty() ? nullptr : matrix.as<double>();
  }
};

// The per-input host steps are the job layer's: ss::prepare_job and ss::finish_totals (native/engine/job.h).

/** The fused kernel of a built-in box. Every BoxKind has a case and there is no default (-Wswitch names a new kind
 *  that lacks one); a value outside the enum is an error, never some other box's kernel. */
gpu::FusedLauncher launcher(int kind) {
  switch (static_cast<BoxKind>(kind)) {
    case BOX_PERMUTATION: return gpu::fused_launcher_permutation();
    case BOX_RANKS: return gpu::fused_launcher_ranks();
    case BOX_ARGMAX: return gpu::fused_launcher_argmax();
    case BOX_TOPK: return gpu::fused_launcher_topk();
    case BOX_SHORTEST_PATH: return gpu::fused_launcher_path();
  }
  throw std::invalid_argument("cuda backend: unknown built-in box kind " + std::to_string(kind) + " (expected 0.." +
                              std::to_string(BOX_KIND_COUNT - 1) + ")");
}

/** Dynamic shared memory a block may use without the opt-in, leaving room for the kernels' static arrays. */
constexpr size_t SMEM_DEFAULT = 47 * 1024;
/** Largest global-memory tile workspace per block (huge n only). */
constexpr uint64_t GLOBAL_TILE_BYTES = 8ull << 20;

struct TileChoice {
  TileShape shape;
  size_t smem = 0;     // dynamic shared memory per block (0: global workspace)
  bool global = false;
};

/**
 * The tile size T: as many samples as fit the shared-memory budget (at most one per thread and one item);
 * a single sample above 47 KiB uses the opt-in shared memory; above that the workspace moves to global memory.
 */
TileChoice choose_tile(int box, const EnginePlan& plan, uint32_t spi, bool store_s, bool store_e, size_t smem_optin) {
  const uint32_t cap = std::min<uint32_t>(gpu::BLOCK_THREADS, spi);
  auto shape = [&](uint32_t T) { return gpu::tile_shape(box, plan.n, plan.box.rows, plan.box.cols, T, store_s, store_e); };
  auto largest = [&](uint64_t budget) {
    uint32_t lo = 1, hi = cap;  // largest T in [1, cap] with bytes(T) <= budget (bytes grows with T)
    while (lo < hi) {
      const uint32_t mid = lo + (hi - lo + 1) / 2;
      if (shape(mid).bytes <= budget) lo = mid; else hi = mid - 1;
    }
    return lo;
  };
  TileChoice c;
  const uint64_t one = shape(1).bytes;
  if (one <= SMEM_DEFAULT) {
    c.shape = shape(largest(SMEM_DEFAULT));
    c.smem = c.shape.bytes;
  } else if (one + 1024 <= smem_optin) {
    c.shape = shape(largest(smem_optin - 1024));
    c.smem = c.shape.bytes;
  } else {
    c.shape = shape(one <= GLOBAL_TILE_BYTES ? largest(GLOBAL_TILE_BYTES) : 1);
    c.global = true;
  }
  return c;
}

[[noreturn]] void too_large(const std::string& what) {
  throw CudaError("out of memory: " + what, static_cast<int>(cudaErrorMemoryAllocation), "cudaErrorMemoryAllocation", false);
}

}  // namespace

uint64_t bytes_in_use() { return g_bytes.load(); }

DeviceInfo device_info() {
  DeviceInfo d;
  cudaRuntimeGetVersion(&d.runtime_version);
  cudaDriverGetVersion(&d.driver_version);
  d.curand = gpu::built_with_curand();
  d.architectures = SS_CUDA_ARCHITECTURES;
  if (g_lost.load()) {
    std::lock_guard<std::mutex> lock(g_mutex);
    d.reason = "the CUDA context is unusable after an unrecoverable error (" + g_lost_reason + ")";
    return d;
  }
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    d.reason = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(err) + " (" + cudaGetErrorName(err) + ")";
    cudaGetLastError();
    return d;
  }
  if (count == 0) {
    d.reason = "cudaGetDeviceCount: no CUDA device";
    return d;
  }
  cudaDeviceProp prop{};
  err = cudaGetDeviceProperties(&prop, 0);
  if (err != cudaSuccess) {
    d.reason = std::string("cudaGetDeviceProperties: ") + cudaGetErrorString(err) + " (" + cudaGetErrorName(err) + ")";
    cudaGetLastError();
    return d;
  }
  d.name = prop.name;
  d.total_memory = prop.totalGlobalMem;
  d.cc_major = prop.major;
  d.cc_minor = prop.minor;
  d.sm_count = prop.multiProcessorCount;
  // Creates the context and loads a kernel: fails when the build has no code for this compute capability.
  cudaSetDevice(0);
  int blocks = 0;
  err = gpu::fused_launcher_argmax().configure(0, &blocks);
  if (err != cudaSuccess) {
    d.reason = std::string("the kernels (built for compute capabilities ") + d.architectures + ") cannot run on " + d.name +
               " (compute " + std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor) + "): " + cudaGetErrorString(err) +
               " (" + cudaGetErrorName(err) + "); rebuild with -DCMAKE_CUDA_ARCHITECTURES=" + std::to_string(d.cc_major) +
               std::to_string(d.cc_minor);
    cudaGetLastError();
    return d;
  }
  size_t free_b = 0, total_b = 0;
  if (cudaMemGetInfo(&free_b, &total_b) == cudaSuccess) d.free_memory = free_b;
  else cudaGetLastError();
  d.available = true;
  return d;
}

bool run_job(const EnginePlan& plan, const JobInput& in, JobOutput& out, const std::atomic<bool>& aborted,
             const std::function<void(uint64_t)>& progress, std::string& error) {
  if (!check_builtin(plan, error)) return false;
  // The output cache (native/engine/output_cache.h, tile/cache.h): the addon checked its length and direction
  // (plan_checks.h validate_cache); checked again here, since a device copy of the wrong size would be written
  // or read out of bounds.
  uint64_t cache_need = 0;
  if (in.cache_present && (!cache_bytes(plan.box, in.batch, plan.sampler.samples, plan.m, cache_need) ||
                           cache_need != in.cache_length || (in.cache_length > 0 && in.cache_data == nullptr) ||
                           in.cache_fill != (in.op == OP_FORWARD))) {
    error = "cuda backend: job.cache does not match the job (expected " + std::to_string(cache_need) + " bytes, filled by forward jobs only)";
    return false;
  }
  const bool cached = in.cache_present && in.cache_length > 0;
  if (const char* fault = std::getenv("STOCHASTIC_SMOOTHING_CUDA_FAULT")) {
    if (*fault != '\0') inject_fault(fault);
  }
  const Props props = device();
  const uint32_t B = in.batch, n = plan.n, m = plan.m, S = plan.sampler.samples;
  const int op = in.op;
  uint32_t p, q;
  op_shape(plan, op, p, q);
  const SumsLayout L = job_layout(plan, in, op, p, q);  // with the standard-error sums when asked (sums.h stderr_unit)
  const EnginePlan local = plan.seeded(in.seed);

  // f(x_b) for the fx covariate and the forward moment shift: the job layer's host setup.
  JobInput job = in;
  std::vector<double> shift;
  prepare_job(local, job, shift);

  const bool store_s = op != OP_FORWARD;
  const bool store_e = plan.scale.kind == SCALE_MATRIX || op == OP_SCALE_GRADIENT;
  const uint32_t spi = SAMPLES_PER_ITEM;
  const uint32_t items_per_b = items_for(S, spi);  // no S + spi − 1: it wraps for S near 2^32 (then a division by 0)
  const uint64_t items = static_cast<uint64_t>(B) * items_per_b;
  const int kind = plan.box.kind;
  const TileChoice tile = choose_tile(kind, plan, spi, store_s, store_e, props.smem_optin);
  const TileShape& shape = tile.shape;
  // Work units are 32-bit on the device: T·n_pad, T·cells, T·n and the partial entries must fit.
  const uint64_t widest = std::max<uint64_t>({static_cast<uint64_t>(shape.T) * std::max(shape.n_pad, shape.cells),
                                              static_cast<uint64_t>(shape.T) * n * 4, L.total});
  if (widest >= 0x7FFFFFFFull) too_large("this job exceeds the cuda backend's 32-bit work-unit indices");

  const gpu::FusedLauncher launch = launcher(kind);
  int blocks_per_sm = 0;
  check(launch.configure(tile.smem, &blocks_per_sm), "configuring the fused kernel (shared memory, occupancy)");
  if (blocks_per_sm < 1) blocks_per_sm = 1;

  // Waves: enough blocks to fill the device a few times over, within a device-memory budget.
  size_t free_b = 0, total_b = 0;
  check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
  const uint32_t key_words = to_u32(batch_key_words64(local.sampler), "sampler key words");
  // 64-bit and checked: n·12 alone wraps 32 bits from n = 2^30 on.
  const uint64_t per_b = add_or_throw(12 * static_cast<uint64_t>(n) + 12 * static_cast<uint64_t>(m), mul_or_throw(L.total, 8, "partial sums"), "device bytes");
  const uint64_t fixed = add_or_throw(mul_or_throw(B, per_b, "device bytes of the inputs"),
                                      plan.sobol_v.size() * 4 + (plan.sigma.size() + plan.matrix.size() + in.inverse.size()) * 8 + (1u << 20), "device bytes");
  // The cache's device copy (all B at once, its size capped by outputCache on the JS side) comes out of free
  // memory first; the waves' budget is half of what is left.
  const uint64_t cache_dev = cached ? in.cache_length : 0;
  if (cache_dev > free_b / 2) {
    too_large("the output cache needs " + std::to_string(cache_dev) + " bytes of device memory, " + std::to_string(free_b / 2) +
              " are available to it (lower options.outputCache, or 0)");
  }
  const uint64_t budget = std::min<uint64_t>((free_b - cache_dev) / 2, 4ull << 30);
  const uint64_t per_item = L.total * 8 + (tile.global ? shape.bytes : 0) + static_cast<uint64_t>(key_words) * 4;
  if (fixed + per_item + static_cast<uint64_t>(key_words) * 8 > budget) {
    too_large("the job needs " + std::to_string(fixed + per_item) + " bytes of device memory, " + std::to_string(budget) +
              " are available to it");
  }
  uint64_t wave = static_cast<uint64_t>(props.sm_count) * blocks_per_sm * 4;
  wave = std::min<uint64_t>({wave, items, (budget - fixed - static_cast<uint64_t>(key_words) * 8) / per_item, 1u << 20});
  if (wave == 0) wave = 1;
  const uint64_t wave_b = wave / items_per_b + 2;  // batch elements one wave can touch

  Stream stream;
  DevicePlan dplan(local, in.seed, stream);
  DeviceMemory d_x = upload(job.x, "inputs x", stream);
  DeviceMemory d_v = upload(job.v, "upstream gradient v", stream);
  DeviceMemory d_dir = upload(job.dir, "jvp direction", stream);
  DeviceMemory d_shift = upload(shift, "moment shift", stream);
  DeviceMemory d_inverse = upload(job.inverse, "inverse scale (standard errors)", stream);
  DeviceMemory d_keys(static_cast<size_t>(wave_b) * std::max<uint32_t>(key_words, 1) * 4, "sampler keys", stream.get());
  DeviceMemory d_part(static_cast<size_t>(wave) * L.total * 8, "per-item partial sums", stream.get());
  DeviceMemory d_totals(static_cast<size_t>(B) * L.total * 8, "per-input sums", stream.get());
  DeviceMemory d_gws(tile.global ? static_cast<size_t>(wave) * shape.bytes : 0, "tile workspace", stream.get());
  DeviceMemory d_status(sizeof(unsigned int), "status word", stream.get());
  DeviceMemory d_cache(cache_dev, "output cache", stream.get());
  if (cached && in.cache_fill) {
    // Zeroed, so that the bits past each batch element's last output are 0 as in the cpu engine's buffer.
    check(cudaMemsetAsync(d_cache.as<void>(), 0, cache_dev, stream.get()), "cudaMemsetAsync(output cache)");
  } else if (cached) {
    check(cudaMemcpyAsync(d_cache.as<void>(), in.cache_data, cache_dev, cudaMemcpyHostToDevice, stream.get()), "copying the output cache to the device");
  }
  check(cudaMemsetAsync(d_totals.as<void>(), 0, static_cast<size_t>(B) * L.total * 8, stream.get()), "cudaMemsetAsync(totals)");
  check(cudaMemsetAsync(d_status.as<void>(), 0, sizeof(unsigned int), stream.get()), "cudaMemsetAsync(status)");

  FusedArgs a = gpu::fused_args(dplan.sampler, plan.dist, dplan.scale, plan.box, op, n, m, p, q, spi);
  a.median_of = plan.median_of;
  a.key_words = key_words;
  a.keys = d_keys.as<uint32_t>();
  a.x = d_x.as<float>();
  a.v = job.v.empty() ? nullptr : d_v.as<float>();
  a.dir = job.dir.empty() ? nullptr : d_dir.as<double>();
  a.shift = shift.empty() ? nullptr : d_shift.as<double>();
  a.part = d_part.as<double>();
  a.shape = shape;
  a.gws = tile.global ? d_gws.as<char>() : nullptr;
  a.max_sweeps = gpu::relax_max_sweeps(shape.cells);
  a.status = d_status.as<unsigned int>();
  static_assert(SAMPLES_PER_ITEM % 8 == 0, "items of whole bytes of the bits format: no two blocks write one byte");
  gpu::set_cache(a, cached ? d_cache.as<uint8_t>() : nullptr, plan.box, S, m, in.cache_fill);
  if (job.want_stderr) gpu::with_stderr(a, stderr_width(plan, op), job.inverse.empty() ? nullptr : d_inverse.as<double>());

  uint64_t done = 0;
  for (uint64_t w0 = 0; w0 < items; w0 += wave) {
    if (aborted.load()) {
      error = "aborted";
      return false;  // RAII frees everything; nothing is in flight (each wave is synchronised)
    }
    const uint64_t w1 = std::min(items, w0 + wave);
    const uint32_t count = static_cast<uint32_t>(w1 - w0);
    const uint32_t b_lo = static_cast<uint32_t>(w0 / items_per_b);
    const uint32_t b_hi = static_cast<uint32_t>((w1 - 1) / items_per_b);
    check(gpu::launch_batch_keys(a.sampler, b_lo, b_hi - b_lo + 1, key_words, d_keys.as<uint32_t>(), stream.get()),
          "launching the sampler-key kernel");
    a.item0 = w0;
    a.keys_b0 = b_lo;
    check(launch.launch(a, count, tile.smem, stream.get()), "launching the fused estimator kernel");
    check(gpu::launch_merge_items(d_part.as<double>(), d_totals.as<double>(), w0, count, items_per_b, L.total, stream.get()),
          "launching the merge kernel");
    stream.sync("running the fused estimator");
    for (uint64_t item = w0; item < w1; item++) {
      uint32_t start, end;
      item_range(S, spi, item % items_per_b, start, end);
      done += end - start;
    }
    progress(done);
  }

  unsigned int status = 0;
  check(cudaMemcpy(&status, d_status.as<void>(), sizeof status, cudaMemcpyDeviceToHost), "reading the status word");
  if (status != 0) {
    error = (status & gpu::STATUS_NOT_CONVERGED) ? "cuda backend: the shortest-path relaxation did not converge"
                                                  : "cuda backend: the shortest-path trace-back found no predecessor";
    return false;
  }
  std::vector<double> totals(static_cast<size_t>(B) * L.total);
  check(cudaMemcpy(totals.data(), d_totals.as<void>(), totals.size() * 8, cudaMemcpyDeviceToHost), "reading the sums");
  if (cached && in.cache_fill) {  // the forward's outputs into the JS buffer (kept alive by the addon until the job ends)
    check(cudaMemcpyAsync(in.cache_data, d_cache.as<void>(), cache_dev, cudaMemcpyDeviceToHost, stream.get()), "copying the output cache to the host");
    stream.sync("copying the output cache to the host");
  }
  finish_totals(plan, job, op, p, q, totals, shift, out);
  return true;
}

std::vector<double> uniforms(const EnginePlan& plan, uint64_t seed, uint32_t b, uint32_t start, uint32_t count) {
  device();
  Stream stream;
  DevicePlan dplan(plan, seed, stream);
  const uint32_t kw = to_u32(batch_key_words64(dplan.sampler), "sampler key words");
  DeviceMemory keys(static_cast<size_t>(std::max<uint32_t>(kw, 1)) * 4, "sampler keys", stream.get());
  check(gpu::launch_batch_keys(dplan.sampler, b, 1, kw, keys.as<uint32_t>(), stream.get()), "launching the sampler-key kernel");
  const size_t values = static_cast<size_t>(count) * plan.n;
  DeviceMemory out(values * 8, "uniforms", stream.get());
  check(gpu::launch_uniforms(dplan.sampler, keys.as<uint32_t>(), b, start, count, out.as<double>(), stream.get()),
        "launching the uniforms kernel");
  stream.sync("computing uniforms");
  std::vector<double> host(values);
  check(cudaMemcpy(host.data(), out.as<void>(), values * 8, cudaMemcpyDeviceToHost), "reading the uniforms");
  return host;
}

CurandCheck curand_check(const EnginePlan& plan, uint64_t seed, uint32_t b, uint32_t start, uint32_t count) {
  CurandCheck r;
  r.curand = gpu::built_with_curand();
  device();
  if (!r.curand) return r;
  Stream stream;
  DevicePlan dplan(plan, seed, stream);
  const uint32_t kw = to_u32(batch_key_words64(dplan.sampler), "sampler key words");
  DeviceMemory keys(static_cast<size_t>(std::max<uint32_t>(kw, 1)) * 4, "sampler keys", stream.get());
  check(gpu::launch_batch_keys(dplan.sampler, b, 1, kw, keys.as<uint32_t>(), stream.get()), "launching the sampler-key kernel");
  unsigned long long init[2] = {0ull, ~0ull};
  DeviceMemory result = upload(init, 2, "check result", stream);
  check(gpu::launch_curand_check(dplan.sampler, keys.as<uint32_t>(), b, start, count, result.as<unsigned long long>(), stream.get()),
        "launching the cuRAND check kernel");
  stream.sync("comparing cuRAND with the core generators");
  unsigned long long res[2];
  check(cudaMemcpy(res, result.as<void>(), sizeof res, cudaMemcpyDeviceToHost), "reading the check result");
  r.compared = static_cast<uint64_t>(count) * plan.n;
  r.mismatches = res[0];
  r.first = res[0] == 0 ? -1 : static_cast<int64_t>(res[1]);
  return r;
}

// --------------------------------------------------------------------------------------------------------
// User black boxes

struct UserStream::Impl {
  EnginePlan plan;
  JobInput in;
  uint32_t chunk = 0, p = 0, q = 0;
  SumsLayout L{};
  std::unique_ptr<Stream> stream;
  std::unique_ptr<DevicePlan> dplan;
  DeviceMemory x, v, dir, keys, z, s, e, f, part, totals, shift;
  DeviceMemory inverse;  // L⁻¹ for the standard errors (matrix scale)
  FusedArgs args{};
  TileView tv{};
  int64_t keys_b = -1;
  uint32_t b = 0, start = 0, count = 0;
  std::vector<double> shift_host;
};

UserStream::UserStream(const EnginePlan& plan, JobInput in, uint32_t chunk) : impl_(new Impl) {
  Impl& I = *impl_;
  device();
  I.plan = plan.seeded(in.seed);
  I.in = std::move(in);
  I.chunk = chunk;
  const int op = I.in.op;
  op_shape(I.plan, op, I.p, I.q);
  I.L = job_layout(I.plan, I.in, op, I.p, I.q);
  const uint32_t n = I.plan.n, m = I.plan.m, B = I.in.batch;
  const bool store_s = op != OP_FORWARD;
  const bool store_e = I.plan.scale.kind == SCALE_MATRIX || op == OP_SCALE_GRADIENT;
  I.stream.reset(new Stream());
  const Stream& st = *I.stream;
  I.dplan.reset(new DevicePlan(I.plan, I.in.seed, st));
  I.x = upload(I.in.x, "inputs x", st);
  I.v = upload(I.in.v, "upstream gradient v", st);
  I.dir = upload(I.in.dir, "jvp direction", st);
  I.inverse = upload(I.in.inverse, "inverse scale (standard errors)", st);
  const uint32_t kw = to_u32(batch_key_words64(I.plan.sampler), "sampler key words");
  I.keys = DeviceMemory(static_cast<size_t>(std::max<uint32_t>(kw, 1)) * 4, "sampler keys", st.get());
  const size_t cn = static_cast<size_t>(chunk) * n;
  I.z = DeviceMemory(cn * 4, "perturbed inputs", st.get());
  if (store_s) I.s = DeviceMemory(cn * 8, "scores", st.get());
  if (store_e) I.e = DeviceMemory(cn * 8, "noise", st.get());
  I.f = DeviceMemory(static_cast<size_t>(chunk) * m * 4, "black-box outputs", st.get());
  const uint32_t segments = items_for(chunk, gpu::USER_SEGMENT);  // no chunk + 1023 (wraps near 2^32)
  I.part = DeviceMemory(static_cast<size_t>(segments) * I.L.total * 8, "per-segment partial sums", st.get());
  I.totals = DeviceMemory(static_cast<size_t>(B) * I.L.total * 8, "per-input sums", st.get());
  check(cudaMemsetAsync(I.totals.as<void>(), 0, static_cast<size_t>(B) * I.L.total * 8, st.get()), "cudaMemsetAsync(totals)");
  I.shift_host.assign(static_cast<size_t>(B) * m, 0.0);
  if (op == OP_FORWARD) I.shift = DeviceMemory(static_cast<size_t>(B) * m * 8, "moment shift", st.get());

  FusedArgs& a = I.args;
  a = gpu::fused_args(I.dplan->sampler, I.plan.dist, I.dplan->scale, I.plan.box, op, n, m, I.p, I.q, 0);
  a.median_of = I.plan.median_of;
  a.key_words = kw;
  a.x = I.x.as<float>();
  a.v = I.in.v.empty() ? nullptr : I.v.as<float>();
  a.dir = I.in.dir.empty() ? nullptr : I.dir.as<double>();
  a.shift = op == OP_FORWARD ? I.shift.as<double>() : nullptr;
  if (I.in.want_stderr) gpu::with_stderr(a, stderr_width(I.plan, op), I.in.inverse.empty() ? nullptr : I.inverse.as<double>());
  I.tv.z = I.z.as<float>();
  I.tv.s = store_s ? I.s.as<double>() : nullptr;
  I.tv.e = store_e ? I.e.as<double>() : nullptr;
  I.tv.f = I.f.as<float>();
  st.sync("preparing the user-box stream");
}

UserStream::~UserStream() = default;

uint32_t UserStream::chunk() const { return impl_->chunk; }

void UserStream::noise(uint32_t b, uint32_t start, uint32_t count, float* z) {
  ensure_usable();
  Impl& I = *impl_;
  const Stream& st = *I.stream;
  if (I.keys_b != b) {
    check(gpu::launch_batch_keys(I.args.sampler, b, 1, I.args.key_words, I.keys.as<uint32_t>(), st.get()), "launching the sampler-key kernel");
    I.keys_b = b;
  }
  check(gpu::launch_user_noise(I.args, I.tv, I.keys.as<uint32_t>(), b, start, count, st.get()), "launching the noise kernel");
  check(cudaMemcpyAsync(z, I.z.as<void>(), static_cast<size_t>(count) * I.plan.n * 4, cudaMemcpyDeviceToHost, st.get()),
        "copying perturbed inputs to the host");
  st.sync("generating perturbed inputs");
  I.b = b;
  I.start = start;
  I.count = count;
}

void UserStream::accumulate(const float* outputs) {
  ensure_usable();
  Impl& I = *impl_;
  const Stream& st = *I.stream;
  const uint32_t m = I.plan.m;
  if (I.in.op == OP_FORWARD && I.start == 0) {  // the moment shift: sample 0's output, as the CPU stream does
    for (uint32_t k = 0; k < m; k++) I.shift_host[static_cast<size_t>(I.b) * m + k] = outputs[k];
    check(cudaMemcpyAsync(I.shift.as<double>() + static_cast<size_t>(I.b) * m, I.shift_host.data() + static_cast<size_t>(I.b) * m,
                          static_cast<size_t>(m) * 8, cudaMemcpyHostToDevice, st.get()),
          "copying the moment shift");
  }
  check(cudaMemcpyAsync(I.f.as<void>(), outputs, static_cast<size_t>(I.count) * m * 4, cudaMemcpyHostToDevice, st.get()),
        "copying black-box outputs to the device");
  check(gpu::launch_user_accumulate(I.args, I.tv, I.b, I.count, I.part.as<double>(),
                                    I.totals.as<double>() + static_cast<size_t>(I.b) * I.L.total, st.get()),
        "launching the accumulation kernel");
  st.sync("accumulating black-box outputs");
}

void UserStream::finish(JobOutput& out) {
  ensure_usable();
  Impl& I = *impl_;
  std::vector<double> totals(static_cast<size_t>(I.in.batch) * I.L.total);
  I.stream->sync("finishing the user-box stream");
  check(cudaMemcpy(totals.data(), I.totals.as<void>(), totals.size() * 8, cudaMemcpyDeviceToHost), "reading the sums");
  finish_totals(I.plan, I.in, I.in.op, I.p, I.q, totals, I.shift_host, out);
}

void inject_fault(const std::string& kind) {
  device();
  Stream stream;
  if (kind == "oom") {
    DeviceMemory impossible(static_cast<size_t>(1) << 52, "injected fault: an impossible allocation", stream.get());
    return;
  }
  if (kind == "launch") check(gpu::launch_fault(1, stream.get()), "injected fault: a launch with 4096 threads per block");
  else if (kind == "sticky") check(gpu::launch_fault(2, stream.get()), "injected fault: a kernel writing to address 0");
  else throw std::invalid_argument("unknown fault '" + kind + "' (oom, launch or sticky)");
}

}  // namespace cuda
}  // namespace ss
