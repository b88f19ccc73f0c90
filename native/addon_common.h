// What both native addons (cpu: native/addon.cc, cuda: native/cuda_addon.cc) read from JS and hand back:
// the plan and job objects of lib/native/addon.ts, and the result object. One format, one parser.
#pragma once
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine.h"

namespace ss::addon {

inline uint32_t u32(const Napi::Object& o, const char* key) { return o.Get(key).As<Napi::Number>().Uint32Value(); }
inline int i32(const Napi::Object& o, const char* key) { return o.Get(key).As<Napi::Number>().Int32Value(); }

template <typename T, typename Arr>
std::vector<T> copy_array(const Napi::Value& value) {
  if (value.IsUndefined() || value.IsNull()) return {};
  Arr arr = value.As<Arr>();
  return std::vector<T>(arr.Data(), arr.Data() + arr.ElementLength());
}

inline ss::EnginePlan parse_plan(const Napi::Object& o) {
  ss::EnginePlan p;
  p.n = u32(o, "n");
  p.m = u32(o, "m");
  p.builtin = o.Get("builtin").ToBoolean();
  if (p.builtin) {
    Napi::Object box = o.Get("box").As<Napi::Object>();
    p.box = ss::BoxSpec{i32(box, "kind"), u32(box, "n"), u32(box, "k"), u32(box, "rows"), u32(box, "cols")};
  }
  p.dist = i32(o, "dist");
  p.covariate = i32(o, "covariate");
  Napi::Object s = o.Get("sampler").As<Napi::Object>();
  p.sampler.sampler = i32(s, "kind");
  p.sampler.samples = u32(s, "samples");
  p.sampler.dims = p.n;
  p.sampler.seed = 0;
  p.sampler.antithetic = s.Get("antithetic").ToBoolean();
  p.sampler.cartesian_k = u32(s, "cartesianK");
  p.sobol_v = copy_array<uint32_t, Napi::Uint32Array>(s.Get("sobolV"));
  Napi::Object sc = o.Get("scale").As<Napi::Object>();
  p.scale.kind = i32(sc, "kind");
  p.scale.n = p.n;
  p.sigma = copy_array<double, Napi::Float64Array>(sc.Get("sigma"));
  p.matrix = copy_array<double, Napi::Float64Array>(sc.Get("matrix"));
  p.bind();
  return p;
}

inline ss::JobInput parse_job(const Napi::Object& o) {
  ss::JobInput j;
  j.op = i32(o, "op");
  j.batch = u32(o, "batch");
  j.seed = static_cast<uint64_t>(o.Get("seed").As<Napi::Number>().DoubleValue());
  j.x = copy_array<float, Napi::Float32Array>(o.Get("x"));
  j.v = copy_array<float, Napi::Float32Array>(o.Get("v"));
  j.dir = copy_array<double, Napi::Float64Array>(o.Get("dir"));
  j.fx = copy_array<double, Napi::Float64Array>(o.Get("fx"));
  j.threads = o.Has("threads") ? u32(o, "threads") : 0;
  return j;
}

inline Napi::Object result_object(Napi::Env env, const ss::JobOutput& out) {
  Napi::Object r = Napi::Object::New(env);
  if (!out.value.empty()) {
    auto value = Napi::Float32Array::New(env, out.value.size());
    auto err = Napi::Float32Array::New(env, out.stderr_.size());
    std::copy(out.value.begin(), out.value.end(), value.Data());
    std::copy(out.stderr_.begin(), out.stderr_.end(), err.Data());
    r.Set("value", value);
    r.Set("stderr", err);
  } else {
    auto mean = Napi::Float64Array::New(env, out.mean.size());
    std::copy(out.mean.begin(), out.mean.end(), mean.Data());
    r.Set("mean", mean);
  }
  return r;
}

// Shared between the worker and the JS-side abort handle.
struct AbortFlag {
  std::atomic<bool> aborted{false};
};

// run(plan, job, onProgress?) of both addons: the engine's run_job off the event loop, progress to JS, the
// result or an Error (with `aborted`) through a Promise. A backend adapts errors by overriding the two hooks.
class JobWorker : public Napi::AsyncProgressWorker<uint64_t> {
 public:
  using Runner = bool (*)(const ss::EnginePlan&, const ss::JobInput&, ss::JobOutput&, const std::atomic<bool>&,
                          const std::function<void(uint64_t)>&, std::string&);

  JobWorker(Napi::Env env, const char* name, Runner run, ss::EnginePlan plan, ss::JobInput job, std::shared_ptr<AbortFlag> flag,
            Napi::Function progress)
      : Napi::AsyncProgressWorker<uint64_t>(env, name),
        deferred_(Napi::Promise::Deferred::New(env)),
        run_(run),
        name_(name),
        plan_(std::move(plan)),
        job_(std::move(job)),
        flag_(std::move(flag)) {
    plan_.bind();
    if (!progress.IsEmpty() && progress.IsFunction()) progress_ = Napi::Persistent(progress);
  }
  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute(const ExecutionProgress& progress) override {
    try {
      if (!run_(plan_, job_, out_, flag_->aborted, [&](uint64_t done) { progress.Send(&done, 1); }, error_)) SetError(error_);
    } catch (const std::bad_alloc&) {
      SetError(std::string("out of host memory in ") + name_);
    } catch (const std::exception& e) {
      SetError(Classify(e) + e.what());
    }
  }
  void OnProgress(const uint64_t* data, size_t count) override {
    if (count == 0 || progress_.IsEmpty()) return;
    Napi::HandleScope scope(Env());
    progress_.Call({Napi::Number::New(Env(), static_cast<double>(data[count - 1]))});
  }
  void OnOK() override { deferred_.Resolve(result_object(Env(), out_)); }
  void OnError(const Napi::Error& e) override {
    bool aborted = flag_->aborted.load();
    Napi::Error err = ErrorFor(e.Message(), aborted);
    err.Set("aborted", Napi::Boolean::New(Env(), aborted));
    deferred_.Reject(err.Value());
  }

 protected:
  // Called on the worker thread for an exception from run_job; returns the message prefix.
  virtual std::string Classify(const std::exception&) { return std::string(name_) + ": "; }
  // Called on the JS thread: the Error to reject with (may clear `aborted` when the failure was not an abort).
  virtual Napi::Error ErrorFor(const std::string& message, bool&) { return Napi::Error::New(Env(), message); }

 private:
  Napi::Promise::Deferred deferred_;
  Runner run_;
  const char* name_;
  ss::EnginePlan plan_;
  ss::JobInput job_;
  ss::JobOutput out_;
  std::shared_ptr<AbortFlag> flag_;
  Napi::FunctionReference progress_;
  std::string error_;
};

// Queue a worker made by make(plan, job, flag, progress) and return { promise, abort() }.
template <typename Make>
Napi::Value start_job(const Napi::CallbackInfo& info, Make make) {
  Napi::Env env = info.Env();
  ss::EnginePlan plan = parse_plan(info[0].As<Napi::Object>());
  ss::JobInput job = parse_job(info[1].As<Napi::Object>());
  Napi::Function progress = info.Length() > 2 && info[2].IsFunction() ? info[2].As<Napi::Function>() : Napi::Function();
  auto flag = std::make_shared<AbortFlag>();
  JobWorker* worker = make(env, std::move(plan), std::move(job), flag, progress);
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("promise", worker->Promise());
  handle.Set("abort", Napi::Function::New(env, [flag](const Napi::CallbackInfo&) { flag->aborted.store(true); }));
  worker->Queue();
  return handle;
}

// runSync(plan, job) of both addons: the engine's run_job on the calling (JS) thread, for the synchronous API
// (tfjs gradient functions must return at once). The engine still fans out to its own worker threads; the event
// loop waits for the whole job. `guard(env, f)` runs f and turns C++ exceptions into JS errors (each addon has
// its own: the cuda one classifies CUDA failures). There is no abort: nothing on the JS thread could ask for one.
template <typename Guard>
Napi::Value run_sync(const Napi::CallbackInfo& info, const char* name, JobWorker::Runner run, Guard guard) {
  Napi::Env env = info.Env();
  ss::EnginePlan plan = parse_plan(info[0].As<Napi::Object>());
  ss::JobInput job = parse_job(info[1].As<Napi::Object>());
  ss::JobOutput out;
  std::string error;
  const std::atomic<bool> never{false};
  const bool ok = guard(env, [&] { return run(plan, job, out, never, [](uint64_t) {}, error); });
  if (!ok) throw Napi::Error::New(env, std::string(name) + ": " + error);
  return result_object(env, out);
}

// The host-side guard: std::bad_alloc and other C++ exceptions become JS errors naming the backend.
template <typename F>
auto host_guarded(Napi::Env env, const char* name, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, std::string("out of host memory in the ") + name);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string(name) + ": " + e.what());
  }
}

// The UserStream class of both addons: a user JS black box gets native noise and sums, with the evaluation in
// JS between noise() and accumulate(). Stream is ss::UserStream (cpu) or ss::cuda::UserStream; Guard is the
// addon's guard (a functor guard(env, f)) that turns C++ exceptions into JS errors. finish() frees the buffers
// at once (on cuda: device memory), close() frees those of a stream that will not finish; neither waits for GC.
template <typename Stream, typename Guard>
class UserStreamWrap : public Napi::ObjectWrap<UserStreamWrap<Stream, Guard>> {
  using Base = Napi::ObjectWrap<UserStreamWrap<Stream, Guard>>;

 public:
  static Napi::Function Define(Napi::Env env) {
    return Base::DefineClass(env, "UserStream",
                             {Base::InstanceMethod("noise", &UserStreamWrap::Noise), Base::InstanceMethod("accumulate", &UserStreamWrap::Accumulate),
                              Base::InstanceMethod("finish", &UserStreamWrap::Finish), Base::InstanceMethod("close", &UserStreamWrap::Close)});
  }
  explicit UserStreamWrap(const Napi::CallbackInfo& info) : Base(info) {
    ss::EnginePlan plan = parse_plan(info[0].As<Napi::Object>());
    ss::JobInput job = parse_job(info[1].As<Napi::Object>());
    const uint32_t chunk = info[2].As<Napi::Number>().Uint32Value();
    Guard()(info.Env(), [&] { stream_ = std::make_unique<Stream>(plan, std::move(job), chunk); });
  }

 private:
  Napi::Value Noise(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    open(env);
    const uint32_t b = info[0].As<Napi::Number>().Uint32Value();
    const uint32_t start = info[1].As<Napi::Number>().Uint32Value();
    const uint32_t count = info[2].As<Napi::Number>().Uint32Value();
    Napi::Float32Array z = info[3].As<Napi::Float32Array>();
    if (count > stream_->chunk()) {
      Napi::RangeError::New(env, "noise: count exceeds the stream's chunk").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Guard()(env, [&] { stream_->noise(b, start, count, z.Data()); });
    return env.Undefined();
  }
  Napi::Value Accumulate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    open(env);
    Napi::Float32Array outputs = info[0].As<Napi::Float32Array>();
    Guard()(env, [&] { stream_->accumulate(outputs.Data()); });
    return env.Undefined();
  }
  Napi::Value Finish(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    open(env);
    ss::JobOutput out;
    Guard()(env, [&] { stream_->finish(out); });
    stream_.reset();  // the sums are read: free the buffers now, not when the GC finds the wrapper
    return result_object(env, out);
  }
  Napi::Value Close(const Napi::CallbackInfo& info) {
    stream_.reset();
    return info.Env().Undefined();
  }
  void open(Napi::Env env) const {
    if (!stream_) throw Napi::Error::New(env, "the user-box stream is finished or closed");
  }
  std::unique_ptr<Stream> stream_;
};

}  // namespace ss::addon
