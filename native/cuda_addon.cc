// The N-API surface of the CUDA backend: the cpu addon's interface (native/addon.cc: run, uniforms,
// UserStream, hardwareConcurrency, samplesPerItem) over the CUDA engine (cuda/cuda_engine.h), plus
// deviceInfo(), curandCheck(), bytesInUse() and testFault() for the loader, the tests and the GPU check.
//
// The CUDA runtime is linked statically, so this addon loads on a machine without a driver or a GPU;
// deviceInfo() then says why the backend is unavailable (CUDA's own message). CUDA failures reject (or throw)
// an Error with code 'ERR_CUDA', CUDA's message, `cudaError` (its name) and `sticky` (the context is lost and
// the backend must be disabled: lib/backends/cuda.ts falls back to the cpu backend).
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <memory>

#include "addon_common.h"
#include "cuda_engine.h"
#include "job.h"
#include "samplers.h"

namespace {

using ss::EnginePlan;
using ss::JobInput;
using ss::JobOutput;
using ss::addon::AbortFlag;
using ss::addon::result_object;


/** A JS Error for a CUDA failure: code 'ERR_CUDA', CUDA's message, its error name and stickiness. */
Napi::Error cuda_error(Napi::Env env, const std::string& message, const std::string& name, bool sticky) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, "ERR_CUDA"));
  err.Set("cudaError", Napi::String::New(env, name));
  err.Set("sticky", Napi::Boolean::New(env, sticky));
  return err;
}

/** Runs f, turning CudaError into an ERR_CUDA exception and other C++ exceptions into plain JS errors. */
template <typename F>
auto guarded(Napi::Env env, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const ss::cuda::CudaError& e) {
    throw cuda_error(env, e.what(), e.name(), e.sticky());
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "out of host memory in the cuda backend");
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("cuda backend: ") + e.what());
  }
}

// guarded() as a functor, for run_sync and the user-box stream.
struct CudaGuard {
  template <typename F>
  auto operator()(Napi::Env env, F&& f) const { return guarded(env, f); }
};

// The cpu addon's worker over the CUDA engine, with CUDA failures as ERR_CUDA errors (name, stickiness).
class CudaJobWorker : public ss::addon::JobWorker {
 public:
  CudaJobWorker(Napi::Env env, EnginePlan plan, JobInput job, std::shared_ptr<AbortFlag> flag, Napi::Function progress)
      : JobWorker(env, "cuda backend", &ss::cuda::run_job, std::move(plan), std::move(job), std::move(flag), progress) {}

 protected:
  std::string Classify(const std::exception& e) override {
    if (const auto* ce = dynamic_cast<const ss::cuda::CudaError*>(&e)) {
      cuda_failed_ = true;
      cuda_name_ = ce->name();
      sticky_ = ce->sticky();
      return "CUDA error: ";
    }
    return "cuda backend: ";
  }
  Napi::Error ErrorFor(const std::string& message, bool& aborted) override {
    if (!cuda_failed_) return JobWorker::ErrorFor(message, aborted);
    aborted = false;
    return cuda_error(Env(), message, cuda_name_, sticky_);
  }

 private:
  bool cuda_failed_ = false;
  bool sticky_ = false;
  std::string cuda_name_;
};

// run(plan, job, onProgress?) → { promise, abort() }
Napi::Value Run(const Napi::CallbackInfo& info) {
  return ss::addon::start_job(info, "cuda backend run", 0, [](Napi::Env env, EnginePlan plan, JobInput job, std::shared_ptr<AbortFlag> flag, Napi::Function progress) {
    return new CudaJobWorker(env, std::move(plan), std::move(job), std::move(flag), progress);
  });
}

// runSync(plan, job) → result: the same job on the calling thread (blocks the event loop; see run_sync).
Napi::Value RunSync(const Napi::CallbackInfo& info) {
  return ss::addon::run_sync(info, "cuda backend", 0, &ss::cuda::run_job, CudaGuard());
}

// uniforms(plan, seed, b, start, count) → Float64Array count×n, computed on the device (throws ERR_CUDA without one).
Napi::Value Uniforms(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ss::addon::RowsCall c = ss::addon::parse_rows(info, "cuda backend uniforms");
  std::vector<double> u = guarded(env, [&] { return ss::cuda::uniforms(c.plan, c.seed, c.b, c.start, c.count); });
  auto out = Napi::Float64Array::New(env, u.size());
  std::copy(u.begin(), u.end(), out.Data());
  return out;
}

// curandCheck(plan, seed, b, start, count) → { curand, compared, mismatches, first }: cuRAND vs the core, on the device.
Napi::Value CurandCheck(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ss::addon::RowsCall c = ss::addon::parse_rows(info, "cuda backend curandCheck");
  const ss::cuda::CurandCheck r = guarded(env, [&] { return ss::cuda::curand_check(c.plan, c.seed, c.b, c.start, c.count); });
  Napi::Object o = Napi::Object::New(env);
  o.Set("curand", Napi::Boolean::New(env, r.curand));
  o.Set("compared", Napi::Number::New(env, static_cast<double>(r.compared)));
  o.Set("mismatches", Napi::Number::New(env, static_cast<double>(r.mismatches)));
  o.Set("first", Napi::Number::New(env, static_cast<double>(r.first)));
  return o;
}

// deviceInfo() → { available, reason?, name?, totalMemory?, freeMemory?, computeCapability?, multiProcessors?,
//                  driverVersion, runtimeVersion, curand, noiseSource, architectures }
Napi::Value DeviceInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ss::cuda::DeviceInfo d = ss::cuda::device_info();
  Napi::Object o = Napi::Object::New(env);
  o.Set("available", Napi::Boolean::New(env, d.available));
  if (!d.reason.empty()) o.Set("reason", Napi::String::New(env, d.reason));
  if (!d.name.empty()) {
    o.Set("name", Napi::String::New(env, d.name));
    o.Set("totalMemory", Napi::Number::New(env, static_cast<double>(d.total_memory)));
    o.Set("computeCapability", Napi::String::New(env, std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor)));
    o.Set("multiProcessors", Napi::Number::New(env, d.sm_count));
  }
  if (d.available) o.Set("freeMemory", Napi::Number::New(env, static_cast<double>(d.free_memory)));
  auto version = [](int v) { return v == 0 ? std::string("none") : std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10); };
  o.Set("driverVersion", Napi::String::New(env, version(d.driver_version)));
  o.Set("runtimeVersion", Napi::String::New(env, version(d.runtime_version)));
  o.Set("curand", Napi::Boolean::New(env, d.curand));
  o.Set("noiseSource", Napi::String::New(env, d.curand ? "cuRAND device API (Philox4_32_10, Sobol32) + native/core" : "native/core generators (built without cuRAND headers: SS_NO_CURAND)"));
  o.Set("architectures", Napi::String::New(env, d.architectures));
  return o;
}

Napi::Value BytesInUse(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(ss::cuda::bytes_in_use()));
}

// testFault(kind): 'oom' | 'launch' | 'sticky' — always throws the resulting ERR_CUDA error ('sticky' disables the backend).
Napi::Value TestFault(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) ss::addon::invalid(env, "testFault", "kind", "must be a string, got " + ss::addon::type_name(info[0]));
  const std::string kind = info[0].As<Napi::String>().Utf8Value();
  guarded(env, [&] { ss::cuda::inject_fault(kind); });
  return env.Undefined();
}

// A user JS black box: device noise and sums, CUDA failures as ERR_CUDA.
using UserStreamWrap = ss::addon::UserStreamWrap<ss::cuda::UserStream, CudaGuard>;

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  ss::addon::export_interface<UserStreamWrap>(env, exports, Run, RunSync, Uniforms);
  exports.Set("deviceInfo", Napi::Function::New(env, DeviceInfo));
  exports.Set("curandCheck", Napi::Function::New(env, CurandCheck));
  exports.Set("bytesInUse", Napi::Function::New(env, BytesInUse));
  exports.Set("testFault", Napi::Function::New(env, TestFault));
  return exports;
}

}  // namespace

NODE_API_MODULE(stochastic_smoothing_cuda, Init)
