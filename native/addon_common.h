// What both native addons (cpu: native/addon.cc, cuda: native/cuda_addon.cc) read from JS and hand back:
// the plan and job objects of lib/native/addon.ts, and the result object. One format, one parser.
#pragma once
#include <napi.h>

#include <algorithm>
#include <atomic>
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

}  // namespace ss::addon
