// The N-API surface of the CPU backend (node-addon-api). The TS side validates everything first, and its loader
// checks the exported `enums` against its own lists; this file only converts plain JS objects into an EnginePlan /
// JobInput, runs the engine off the event loop (AsyncProgressWorker → Promise), and turns every C++ failure into a
// JS Error (never an abort).
#include <napi.h>

#include <atomic>
#include <memory>

#include "addon_common.h"
#include "engine.h"
#include "samplers.h"

namespace {

using ss::EnginePlan;
using ss::JobInput;
using ss::JobOutput;
using ss::addon::AbortFlag;
using ss::addon::result_object;

// C++ exceptions of the cpu engine as JS errors naming the backend.
struct CpuGuard {
  template <typename F>
  auto operator()(Napi::Env env, F&& f) const { return ss::addon::host_guarded(env, "cpu backend", f); }
};

// run(plan, job, onProgress?) → { promise, abort() }
Napi::Value Run(const Napi::CallbackInfo& info) {
  return ss::addon::start_job(info, "cpu backend run", ss::addon::host_memory_limit(), [](Napi::Env env, EnginePlan plan, JobInput job, std::shared_ptr<AbortFlag> flag, Napi::Function progress) {
    return new ss::addon::JobWorker(env, "cpu backend", &ss::run_job, std::move(plan), std::move(job), std::move(flag), progress);
  });
}

// runSync(plan, job) → result: the same job on the calling thread (blocks the event loop; see run_sync).
Napi::Value RunSync(const Napi::CallbackInfo& info) {
  return ss::addon::run_sync(info, "cpu backend", ss::addon::host_memory_limit(), &ss::run_job, CpuGuard());
}

// uniforms(plan, seed, b, start, count) → Float64Array count×n: the raw u, for parity tests.
Napi::Value Uniforms(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ss::addon::RowsCall c = ss::addon::parse_rows(info, "cpu backend uniforms");
  c.plan.sampler.seed = c.seed;
  std::vector<uint32_t> keys(ss::to_size(std::max<uint64_t>(1, ss::batch_key_words64(c.plan.sampler)), "sampler key words"));
  ss::prepare_batch_keys(c.plan.sampler, c.b, keys.data());
  auto out = Napi::Float64Array::New(env, static_cast<size_t>(c.count) * c.plan.n);
  for (uint32_t r = 0; r < c.count; r++) ss::sample_row(c.plan.sampler, keys.data(), c.b, c.start + r, out.Data() + static_cast<size_t>(r) * c.plan.n);
  return out;
}

// noiseOfU(dist, u: Float64Array) → Float64Array 2×count (ε, then the score): the engine's noise kernels at the
// current SIMD level on given uniforms, for the tests that compare them with the js backend (test/log-family.test.ts).
Napi::Value NoiseOfU(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    Napi::TypeError::New(env, "cpu backend noiseOfU(dist, u): dist a distribution index, u a Float64Array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int dist = info[0].As<Napi::Number>().Int32Value();
  if (dist < 0 || dist >= ss::DISTRIBUTION_COUNT) {
    Napi::RangeError::New(env, "cpu backend noiseOfU: unknown distribution index").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const Napi::Float64Array u = info[1].As<Napi::Float64Array>();
  const size_t count = u.ElementLength();
  if (count > 0xffffffffull) {
    Napi::RangeError::New(env, "cpu backend noiseOfU: at most 2^32 - 1 uniforms").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto out = Napi::Float64Array::New(env, 2 * count);
  ss::noise_of_u(dist, u.Data(), static_cast<uint32_t>(count), out.Data(), out.Data() + count);
  return out;
}

// A user JS black box: native noise and sums on the host.
using UserStreamWrap = ss::addon::UserStreamWrap<ss::UserStream, CpuGuard>;

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  ss::addon::export_interface<UserStreamWrap>(env, exports, Run, RunSync, Uniforms);
  exports.Set("noiseOfU", Napi::Function::New(env, NoiseOfU));
  return exports;
}

}  // namespace

NODE_API_MODULE(stochastic_smoothing_cpu, Init)
