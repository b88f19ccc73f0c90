// What both native addons (cpu: native/addon.cc, cuda: native/cuda_addon.cc) read from JS and hand back:
// the plan and job objects of lib/backends/native/addon.ts, and the result object. One format, one parser.
#pragma once
#include <napi.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "enum_names.h"
#include "job.h"
#include "plan_checks.h"

namespace ss::addon {

// Reading: every field is type-checked before it is converted (As<T>() on a wrong type is a fatal error
// with NODE_ADDON_API_ENABLE_TYPE_CHECK_ON_AS, a crash without it), then the plain structs go through
// plan_checks.h. Any violation throws a JS Error with code ERR_INVALID_ARGUMENT naming the entry point and the
// field; nothing has run yet.

/** The JS Error of a failed check: code ERR_INVALID_ARGUMENT (or ERR_INTERNAL), `argument` = the field. */
inline Napi::Error coded_error(Napi::Env env, const char* code, const std::string& entry, const std::string& field, const std::string& message) {
  Napi::Error err = Napi::Error::New(env, entry + ": " + field + " " + message);
  err.Set("code", Napi::String::New(env, code));
  if (!field.empty()) err.Set("argument", Napi::String::New(env, field));
  return err;
}
[[noreturn]] inline void invalid(Napi::Env env, const std::string& entry, const std::string& field, const std::string& message) {
  throw coded_error(env, "ERR_INVALID_ARGUMENT", entry, field, message);
}
inline void require(Napi::Env env, const std::string& entry, const ss::checks::Problem& p) {
  if (!p.ok()) invalid(env, entry, p.field, p.message);
}

inline std::string type_name(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "a number";
    case napi_string: return "a string";
    case napi_symbol: return "a symbol";
    case napi_function: return "a function";
    case napi_bigint: return "a bigint";
    default: return v.IsTypedArray() ? "another typed array" : "an object";
  }
}

/** Reads the fields of one JS object for entry point `entry`; `path` prefixes field names ("plan.sampler"). */
struct Reader {
  Napi::Env env;
  std::string entry;
  std::string path;

  std::string field(const char* key) const { return path.empty() ? std::string(key) : path + "." + key; }

  Napi::Object object(const Napi::Value& v, const std::string& name) const {
    if (!v.IsObject() || v.IsNull()) invalid(env, entry, name, "must be an object, got " + type_name(v));
    return v.As<Napi::Object>();
  }
  Reader sub(const Napi::Object& o, const char* key, Napi::Object& out) const {
    out = object(o.Get(key), field(key));
    return Reader{env, entry, field(key)};
  }
  /** An integer number in [lo, hi], 0 ≤ lo (doubles: every bound up to 2^53 is exact; NaN fails every comparison). */
  double integer(const Napi::Value& v, const std::string& name, double lo, double hi) const {
    if (!v.IsNumber()) invalid(env, entry, name, "must be a number, got " + type_name(v));
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= lo && d <= hi && d == std::floor(d))) {
      invalid(env, entry, name, "is " + Napi::Value(v).ToString().Utf8Value() + ", expected an integer in [" + ss::checks::num(static_cast<uint64_t>(lo)) + ", " +
                                    ss::checks::num(static_cast<uint64_t>(hi)) + "]");
    }
    return d;
  }
  uint32_t u32(const Napi::Object& o, const char* key) const { return static_cast<uint32_t>(integer(o.Get(key), field(key), 0, 4294967295.0)); }
  int kind(const Napi::Object& o, const char* key) const { return static_cast<int>(integer(o.Get(key), field(key), 0, 1024)); }
  /** A seed: a non-negative safe integer, as the JS API allows. */
  uint64_t seed(const Napi::Value& v, const std::string& name) const {
    return static_cast<uint64_t>(integer(v, name, 0, 9007199254740991.0));
  }
  bool flag(const Napi::Object& o, const char* key) const {
    const Napi::Value v = o.Get(key);
    if (v.IsUndefined()) return false;
    if (!v.IsBoolean()) invalid(env, entry, field(key), "must be a boolean, got " + type_name(v));
    return v.As<Napi::Boolean>().Value();
  }
  /** A typed array of type `type` copied out (a detached one has length 0); absent (undefined/null) only when optional. */
  template <typename T, typename Arr>
  std::vector<T> array(const Napi::Object& o, const char* key, napi_typedarray_type type, const char* type_label, bool optional) const {
    const Napi::Value v = o.Get(key);
    if (optional && (v.IsUndefined() || v.IsNull())) return {};
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
      invalid(env, entry, field(key), std::string("must be a ") + type_label + (optional ? " or undefined" : "") + ", got " + type_name(v));
    }
    Arr arr = v.As<Arr>();
    const size_t len = arr.ElementLength();
    if (len == 0) return {};
    return std::vector<T>(arr.Data(), arr.Data() + len);
  }
};

/** A typed-array argument handed to a native call that writes or reads it in place (noise's z, accumulate's outputs). */
inline Napi::Float32Array float32_arg(Napi::Env env, const std::string& entry, const Napi::Value& v, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    invalid(env, entry, name, "must be a Float32Array, got " + type_name(v));
  }
  return v.As<Napi::Float32Array>();
}

/** The bytes of host memory a call may need: the machine's physical memory (0 = unknown: unchecked). */
inline uint64_t host_memory_limit() {
  const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(size) : 0;
}

inline ss::EnginePlan parse_plan(Napi::Env env, const std::string& entry, const Napi::Value& value) {
  Reader r{env, entry, "plan"};
  const Napi::Object o = r.object(value, "plan");
  ss::EnginePlan p;
  p.n = r.u32(o, "n");
  p.m = r.u32(o, "m");
  p.builtin = r.flag(o, "builtin");
  if (p.builtin) {
    Napi::Object box;
    const Reader rb = r.sub(o, "box", box);
    p.box = ss::BoxSpec{rb.kind(box, "kind"), rb.u32(box, "n"), rb.u32(box, "k"), rb.u32(box, "rows"), rb.u32(box, "cols")};
  }
  p.dist = r.kind(o, "dist");
  p.covariate = r.kind(o, "covariate");
  Napi::Object s;
  const Reader rs = r.sub(o, "sampler", s);
  p.sampler.sampler = rs.kind(s, "kind");
  p.sampler.samples = rs.u32(s, "samples");
  p.sampler.dims = p.n;
  p.sampler.seed = 0;
  p.sampler.antithetic = rs.flag(s, "antithetic");
  p.sampler.cartesian_k = rs.u32(s, "cartesianK");
  p.sobol_v = rs.array<uint32_t, Napi::Uint32Array>(s, "sobolV", napi_uint32_array, "Uint32Array", true);
  Napi::Object sc;
  const Reader rc = r.sub(o, "scale", sc);
  p.scale.kind = rc.kind(sc, "kind");
  p.scale.n = p.n;
  p.sigma = rc.array<double, Napi::Float64Array>(sc, "sigma", napi_float64_array, "Float64Array", true);
  p.matrix = rc.array<double, Napi::Float64Array>(sc, "matrix", napi_float64_array, "Float64Array", true);
  const Napi::Value median_of = o.Get("medianOf");  // optional: undefined = 1, plain noise
  p.median_of = median_of.IsUndefined() ? 1 : static_cast<int>(r.integer(median_of, "plan.medianOf", 0, 1024));
  p.bind();
  require(env, entry, ss::checks::validate_plan(p));
  return p;
}

/** job.cache (an ArrayBuffer, or absent) and job.cacheFill: the output cache, used in place (see JobInput). */
inline void parse_cache(const Reader& r, const Napi::Object& o, ss::JobInput& j) {
  const Napi::Value v = o.Get("cache");
  j.cache_fill = r.flag(o, "cacheFill");
  if (v.IsUndefined() || v.IsNull()) return;
  if (!v.IsArrayBuffer()) invalid(r.env, r.entry, "job.cache", "must be an ArrayBuffer or undefined, got " + type_name(v));
  Napi::ArrayBuffer buf = v.As<Napi::ArrayBuffer>();
  j.cache_present = true;
  j.cache_length = buf.ByteLength();
  j.cache_data = j.cache_length == 0 ? nullptr : static_cast<uint8_t*>(buf.Data());
}

/**
 * The standard-error fields of a job: `stderr`, a Float32Array the engine fills (B × the result's size per input;
 * its presence asks for the second-moment sums) or undefined, and `inverse` (Float64Array L⁻¹, matrix scales).
 * Lengths are checked against the plan by validate_job (plan_checks.h validate_stderr).
 */
// Own properties only: these two are optional, and a polluted Object.prototype (a `stderr` or `inverse` inherited
// by every object) must not turn a plain job into one that asks for standard errors.
inline void parse_stderr(const Reader& r, const Napi::Object& o, ss::JobInput& j, Napi::Float32Array* stderr_out) {
  const Napi::Value se = o.HasOwnProperty("stderr") ? o.Get("stderr") : r.env.Undefined();
  if (!se.IsUndefined() && !se.IsNull()) {
    if (!se.IsTypedArray() || se.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      invalid(r.env, r.entry, "job.stderr", "must be a Float32Array (the output buffer of the standard errors) or undefined, got " + type_name(se));
    }
    const Napi::Float32Array buffer = se.As<Napi::Float32Array>();
    j.want_stderr = true;
    j.stderr_length = buffer.ElementLength();
    if (stderr_out) *stderr_out = buffer;
  }
  if (o.HasOwnProperty("inverse")) j.inverse = r.array<double, Napi::Float64Array>(o, "inverse", napi_float64_array, "Float64Array", true);
}

/**
 * Copy a job's standard errors into its `stderr` buffer (none given: nothing to do). Checked again at the copy:
 * JS may have detached the buffer while the job ran.
 */
inline void write_stderr(Napi::Env env, const std::string& entry, Napi::Float32Array target, const ss::JobOutput& out) {
  if (target.IsEmpty()) return;
  const size_t length = target.ElementLength();
  if (length != out.mean_stderr.size()) {
    invalid(env, entry, "job.stderr", "has length " + ss::checks::num(length) + ", expected " + ss::checks::num(out.mean_stderr.size()) +
                                          " (detached or emptied while the job ran)");
  }
  std::copy(out.mean_stderr.begin(), out.mean_stderr.end(), target.Data());
}

/** The job; checked against the plan by the caller (validate_job / validate_stream need the call's context). */
// `stderr_out`: where the job's `stderr` buffer (an output, read once here) is handed back, or null where the
// caller has no use for it (then only its length is recorded, for the checks).
inline ss::JobInput parse_job(Napi::Env env, const std::string& entry, const Napi::Value& value, Napi::Float32Array* stderr_out = nullptr) {
  Reader r{env, entry, "job"};
  const Napi::Object o = r.object(value, "job");
  ss::JobInput j;
  j.op = r.kind(o, "op");
  j.batch = r.u32(o, "batch");
  j.seed = r.seed(o.Get("seed"), "job.seed");
  j.x = r.array<float, Napi::Float32Array>(o, "x", napi_float32_array, "Float32Array", false);
  j.v = r.array<float, Napi::Float32Array>(o, "v", napi_float32_array, "Float32Array", true);
  j.dir = r.array<double, Napi::Float64Array>(o, "dir", napi_float64_array, "Float64Array", true);
  j.fx = r.array<double, Napi::Float64Array>(o, "fx", napi_float64_array, "Float64Array", true);
  const Napi::Value threads = o.Get("threads");
  j.threads = threads.IsUndefined() ? 0 : static_cast<unsigned>(r.integer(threads, "job.threads", 0, 4294967295.0));
  parse_cache(r, o, j);
  parse_stderr(r, o, j, stderr_out);
  return j;
}

/** The arguments (plan, seed, b, start, count) of uniforms and curandCheck, checked: rows start .. start + count − 1 < S. */
struct RowsCall {
  ss::EnginePlan plan;
  uint64_t seed = 0;
  uint32_t b = 0, start = 0, count = 0;
};
inline RowsCall parse_rows(const Napi::CallbackInfo& info, const std::string& entry) {
  Napi::Env env = info.Env();
  Reader r{env, entry, ""};
  RowsCall c;
  c.plan = parse_plan(env, entry, info[0]);
  c.seed = r.seed(info[1], "seed");
  c.b = static_cast<uint32_t>(r.integer(info[2], "b", 0, 4294967295.0));
  c.start = static_cast<uint32_t>(r.integer(info[3], "start", 0, 4294967295.0));
  c.count = static_cast<uint32_t>(r.integer(info[4], "count", 0, 4294967295.0));
  require(env, entry, ss::checks::validate_rows(c.plan, c.start, c.count, host_memory_limit()));
  return c;
}

/** plan and job of run/runSync, both checked: a built-in box, every buffer against B, n, m. */
// mem_limit: host bytes the job may need (the cpu engine: host_memory_limit(); the cuda engine checks its device
// budget itself and reports an ERR_CUDA out-of-memory error, so it passes 0).
inline void parse_fused(const Napi::CallbackInfo& info, const std::string& entry, uint64_t mem_limit, ss::EnginePlan& plan, ss::JobInput& job,
                        Napi::Float32Array* stderr_out = nullptr) {
  Napi::Env env = info.Env();
  plan = parse_plan(env, entry, info[0]);
  job = parse_job(env, entry, info[1], stderr_out);
  const uint64_t items = static_cast<uint64_t>(job.batch) * ss::items_for(plan.sampler.samples, ss::SAMPLES_PER_ITEM);
  require(env, entry, ss::checks::validate_job(plan, job, true, mem_limit, ss::job_threads(job.threads, items), 64));
}

// addon.enums: { distributions: [...], samplers: [...], ... }, each the names of an enum in enum order
// (enum_names.h), frozen. The JS loader refuses the addon when one differs from its own list.
inline Napi::Object enum_tables(Napi::Env env) {
  Napi::Object tables = Napi::Object::New(env);
  for (const ss::EnumTable& t : ss::ENUM_TABLES) {
    Napi::Array names = Napi::Array::New(env, t.count);
    for (size_t i = 0; i < t.count; i++) names.Set(static_cast<uint32_t>(i), Napi::String::New(env, t.names[i]));
    names.Freeze();
    tables.Set(t.key, names);
  }
  tables.Freeze();
  return tables;
}

// The interface every addon exports (NativeAddon in lib/backends/native/addon.ts): its entry points, the job layer's
// constants and the enum tables. Each addon adds its own extras after this.
using Entry = Napi::Value (*)(const Napi::CallbackInfo&);
template <typename StreamWrap>
void export_interface(Napi::Env env, Napi::Object exports, Entry run, Entry run_sync, Entry uniforms) {
  exports.Set("run", Napi::Function::New(env, run));
  exports.Set("runSync", Napi::Function::New(env, run_sync));
  exports.Set("uniforms", Napi::Function::New(env, uniforms));
  exports.Set("UserStream", StreamWrap::Define(env));
  exports.Set("maxThreads", Napi::Number::New(env, ss::thread_cap()));
  exports.Set("hardwareConcurrency", Napi::Number::New(env, std::max(1u, std::thread::hardware_concurrency())));
  exports.Set("samplesPerItem", Napi::Number::New(env, ss::SAMPLES_PER_ITEM));
  exports.Set("enums", enum_tables(env));
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
  // Holds a JS value (the job's output-cache ArrayBuffer, used in place) until the worker is done.
  void Keep(const Napi::Value& v) { kept_ = Napi::Persistent(v); }

  void Execute(const ExecutionProgress& progress) override {
    try {
      if (!run_(plan_, job_, out_, flag_->aborted, [&](uint64_t done) { progress.Send(&done, 1); }, error_)) SetError(error_);
    } catch (const std::bad_alloc&) {
      SetError(std::string("out of host memory in ") + name_);
    } catch (const std::exception& e) {
      SetError(Classify(e) + e.what());
    }
  }
  // An onProgress that throws stops the job (through the abort flag) and the call rejects with ERR_CALLBACK, the
  // thrown value as `cause`: never swallowed (an exception escaping here would only be a process warning).
  void OnProgress(const uint64_t* data, size_t count) override {
    if (count == 0 || progress_.IsEmpty() || !callback_error_.IsEmpty()) return;
    Napi::HandleScope scope(Env());
    try {
      progress_.Call({Napi::Number::New(Env(), static_cast<double>(data[count - 1]))});
    } catch (const Napi::Error& e) {
      callback_error_ = Napi::Persistent(e.Value());
      flag_->aborted.store(true);
    }
  }
  void OnOK() override {
    if (!callback_error_.IsEmpty()) return RejectCallback();
    if (!stderr_target_.IsEmpty()) {
      try {
        write_stderr(Env(), name_, stderr_target_.Value(), out_);
      } catch (const Napi::Error& e) {
        return deferred_.Reject(e.Value());
      }
    }
    deferred_.Resolve(result_object(Env(), out_));
  }
  // The job's `stderr` buffer, filled when the job succeeds (held until then).
  void KeepStderr(const Napi::Float32Array& target) {
    if (!target.IsEmpty()) stderr_target_ = Napi::Persistent(target);
  }
  void OnError(const Napi::Error& e) override {
    if (!callback_error_.IsEmpty()) return RejectCallback();
    bool aborted = flag_->aborted.load();
    Napi::Error err = ErrorFor(e.Message(), aborted);
    err.Set("aborted", Napi::Boolean::New(Env(), aborted));
    deferred_.Reject(err.Value());
  }

 protected:
  // Called on the worker thread for an exception from run_job; returns the message prefix.
  virtual std::string Classify(const std::exception&) { return std::string(name_) + ": "; }
  // Called on the JS thread: the Error to reject with (may clear `aborted` when the failure was not an abort).
  virtual Napi::Error ErrorFor(const std::string& message, bool& aborted) {
    Napi::Error err = Napi::Error::New(Env(), message);
    if (!aborted) err.Set("code", Napi::String::New(Env(), "ERR_INTERNAL"));
    return err;
  }

 private:
  Napi::Promise::Deferred deferred_;
  Runner run_;
  const char* name_;
  ss::EnginePlan plan_;
  ss::JobInput job_;
  ss::JobOutput out_;
  std::shared_ptr<AbortFlag> flag_;
  void RejectCallback() {
    const Napi::Object thrown = callback_error_.Value();
    const std::string what = thrown.Get("message").ToString().Utf8Value();
    Napi::Error err = coded_error(Env(), "ERR_CALLBACK", name_, "onProgress", "threw: " + what);
    err.Set("cause", thrown);
    err.Set("aborted", Napi::Boolean::New(Env(), false));
    deferred_.Reject(err.Value());
  }

  Napi::FunctionReference progress_;
  Napi::ObjectReference callback_error_;
  Napi::Reference<Napi::Value> kept_;
  std::string error_;
  Napi::Reference<Napi::Float32Array> stderr_target_;
};

// Queue a worker made by make(plan, job, flag, progress) and return { promise, abort() }.
template <typename Make>
Napi::Value start_job(const Napi::CallbackInfo& info, const char* entry, uint64_t mem_limit, Make make) {
  Napi::Env env = info.Env();
  ss::EnginePlan plan;
  ss::JobInput job;
  Napi::Float32Array stderr_target;
  parse_fused(info, entry, mem_limit, plan, job, &stderr_target);
  Napi::Function progress = info.Length() > 2 && info[2].IsFunction() ? info[2].As<Napi::Function>() : Napi::Function();
  auto flag = std::make_shared<AbortFlag>();
  // The output cache is used in place by the worker thread: hold the very buffer that was checked (a getter
  // returning another one now is refused, not trusted).
  Napi::Value cache;
  if (job.cache_present) {
    cache = info[1].As<Napi::Object>().Get("cache");
    if (!cache.IsArrayBuffer() || cache.As<Napi::ArrayBuffer>().ByteLength() != job.cache_length ||
        static_cast<uint8_t*>(cache.As<Napi::ArrayBuffer>().Data()) != job.cache_data) {
      invalid(env, entry, "job.cache", "changed while the job was read (a getter?): pass a plain ArrayBuffer");
    }
  }
  JobWorker* worker = make(env, std::move(plan), std::move(job), flag, progress);
  if (!cache.IsEmpty()) worker->Keep(cache);
  worker->KeepStderr(stderr_target);
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
Napi::Value run_sync(const Napi::CallbackInfo& info, const char* name, uint64_t mem_limit, JobWorker::Runner run, Guard guard) {
  Napi::Env env = info.Env();
  ss::EnginePlan plan;
  ss::JobInput job;
  Napi::Float32Array stderr_target;
  parse_fused(info, std::string(name) + " runSync", mem_limit, plan, job, &stderr_target);
  ss::JobOutput out;
  std::string error;
  const std::atomic<bool> never{false};
  const bool ok = guard(env, [&] { return run(plan, job, out, never, [](uint64_t) {}, error); });
  if (!ok) throw coded_error(env, "ERR_INTERNAL", name, "", error);
  write_stderr(env, std::string(name) + " runSync", stderr_target, out);
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
    Napi::Env env = info.Env();
    const std::string entry = "UserStream";
    ss::EnginePlan plan = parse_plan(env, entry, info[0]);
    Napi::Float32Array stderr_target;
    ss::JobInput job = parse_job(env, entry, info[1], &stderr_target);
    const uint64_t chunk = static_cast<uint64_t>(Reader{env, entry, ""}.integer(info[2], "chunk", 0, 4294967295.0));
    require(env, entry, ss::checks::validate_stream(plan, job, chunk, host_memory_limit()));
    n_ = plan.n;
    m_ = plan.m;
    samples_ = plan.sampler.samples;
    batch_ = job.batch;
    Guard()(env, [&] { stream_ = std::make_unique<Stream>(plan, std::move(job), static_cast<uint32_t>(chunk)); });
    if (!stderr_target.IsEmpty()) stderr_target_ = Napi::Persistent(stderr_target);
  }

 private:
  // Every call checks its arguments against the stream's sizes: the buffers come from JS, where a user box may
  // have detached (length 0) or replaced them.
  Napi::Value Noise(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    open(env);
    const Reader r{env, "UserStream.noise", ""};
    const uint64_t b = static_cast<uint64_t>(r.integer(info[0], "b", 0, 4294967295.0));
    const uint64_t start = static_cast<uint64_t>(r.integer(info[1], "start", 0, 4294967295.0));
    const uint64_t count = static_cast<uint64_t>(r.integer(info[2], "count", 0, 4294967295.0));
    Napi::Float32Array z = float32_arg(env, r.entry, info[3], "z");
    require(env, r.entry, ss::checks::validate_noise(plan_sizes(), batch_, stream_->chunk(), b, start, count, z.ElementLength()));
    pending_ = 0;
    Guard()(env, [&] { stream_->noise(static_cast<uint32_t>(b), static_cast<uint32_t>(start), static_cast<uint32_t>(count), z.Data()); });
    pending_ = static_cast<uint32_t>(count);
    return env.Undefined();
  }
  Napi::Value Accumulate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    open(env);
    const std::string entry = "UserStream.accumulate";
    Napi::Float32Array outputs = float32_arg(env, entry, info[0], "outputs");
    require(env, entry, ss::checks::validate_accumulate(plan_sizes(), pending_, outputs.ElementLength()));
    pending_ = 0;
    Guard()(env, [&] { stream_->accumulate(outputs.Data()); });
    return env.Undefined();
  }
  Napi::Value Finish(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    open(env);
    ss::JobOutput out;
    Guard()(env, [&] { stream_->finish(out); });
    stream_.reset();  // the sums are read: free the buffers now, not when the GC finds the wrapper
    if (!stderr_target_.IsEmpty()) {
      const Napi::Float32Array target = stderr_target_.Value();
      stderr_target_.Reset();
      write_stderr(env, "UserStream.finish", target, out);
    }
    return result_object(env, out);
  }
  Napi::Value Close(const Napi::CallbackInfo& info) {
    stream_.reset();
    return info.Env().Undefined();
  }
  void open(Napi::Env env) const {
    if (!stream_) throw Napi::Error::New(env, "the user-box stream is finished or closed");
  }
  // The sizes the argument checks need (validate_noise / validate_accumulate read n, m and S only).
  ss::EnginePlan plan_sizes() const {
    ss::EnginePlan p;
    p.n = n_;
    p.m = m_;
    p.sampler.samples = samples_;
    return p;
  }
  std::unique_ptr<Stream> stream_;
  uint32_t n_ = 0, m_ = 0, samples_ = 0, batch_ = 0;
  uint32_t pending_ = 0;  // rows noise() generated that accumulate() has not taken yet
  Napi::Reference<Napi::Float32Array> stderr_target_;  // the job's `stderr` buffer, filled by finish()
};

}  // namespace ss::addon
