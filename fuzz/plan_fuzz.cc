// libFuzzer target: the addons' boundary checks (native/plan_checks.h) and, for what they accept, the cpu engine
// itself (run_job for built-in boxes, UserStream calls for user boxes). The bytes decode to a plan, a job and a
// few stream calls (fuzz_input.h), mostly near-valid so that accepted calls are common. The property: whatever the
// checks accept runs without a sanitizer report, returns success, and gives finite sums for moderate inputs and
// scales; whatever they refuse never reaches the engine. Build and run: fuzz/run.sh (fuzz/README.md).
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

#include "engine.h"
#include "enum_names.h"  // the counts of every kind, so a new kind is fuzzed too
#include "fuzz_input.h"
#include "plan_checks.h"

namespace {

using ss::fuzz::Input;

constexpr uint64_t MEM_LIMIT = 256ull << 20;  // accepted jobs stay small: a fuzz run must not exhaust the machine
constexpr size_t MAX_ALLOC = 1u << 16;        // the longest buffer the decoder builds

void fail_if(bool bad) {
  if (bad) __builtin_trap();
}

/** A buffer: empty, of the consistent length or of any length (never longer than MAX_ALLOC), values from the input. */
template <typename T>
std::vector<T> buffer(Input& in, uint64_t consistent, bool finite_only, bool& finite) {
  const uint8_t mode = in.u8() % 4;  // empty, the consistent length (twice as likely), or any length
  const uint64_t len = mode == 0 ? 0 : mode < 3 ? consistent : in.size(64);
  if (len > MAX_ALLOC) return {};
  std::vector<T> v(len);
  for (auto& x : v) {
    if constexpr (std::is_integral_v<T>) {  // direction integers: any 32-bit word
      x = static_cast<T>(in.u32());
      continue;
    }
    double d = in.empty() ? 0.5 : in.number();
    if (finite_only && !std::isfinite(d)) d = 0.25;
    if (sizeof(T) == 4 && std::isfinite(d) && std::fabs(d) > 3.4e38) d = d > 0 ? INFINITY : -INFINITY;  // as a Float32Array stores it
    x = static_cast<T>(d);
    finite &= std::fabs(static_cast<double>(x)) <= 1e6;  // moderate: 1e300 · a score overflows, as it should
  }
  return v;
}

bool all_finite(const std::vector<double>& v) {
  for (double d : v) if (!std::isfinite(d)) return false;
  return true;
}
bool all_finite(const std::vector<float>& v) {
  for (float d : v) if (!std::isfinite(d)) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  bool finite = true;
  ss::EnginePlan p;
  p.n = 1 + in.size(8);
  p.m = 1 + in.size(16);
  p.builtin = in.flag();
  if (p.builtin) {
    p.box.kind = in.kind(ss::BOX_KIND_COUNT);
    p.box.n = p.n;
    p.box.k = 1 + in.size(8);
    p.box.rows = 1 + in.size(3);
    p.box.cols = 1 + in.size(3);
    if (in.usually()) {  // consistent sizes (what a correct JS layer builds); otherwise n, m, k as drawn
      if (p.box.kind == ss::BOX_SHORTEST_PATH) p.n = p.box.n = p.box.rows * p.box.cols;
      if (p.box.kind == ss::BOX_TOPK && p.n != 0) p.box.k = 1 + p.box.k % p.n;
      p.m = p.box.kind == ss::BOX_PERMUTATION ? p.n * p.n : p.n;
    }
    if (!in.usually()) p.box.n = in.size(8);
  }
  p.dist = in.kind(ss::DISTRIBUTION_COUNT);
  p.covariate = in.kind(static_cast<int>(ss::count_of(ss::COVARIATE_NAMES)));
  p.sampler.sampler = in.kind(ss::SAMPLER_COUNT);
  p.sampler.samples = in.size(300);
  p.sampler.dims = p.n;
  p.sampler.antithetic = in.flag();
  p.sampler.cartesian_k = in.usually() ? ss::cartesian_side(p.sampler.samples, p.n) : in.size(6);
  p.sobol_v = buffer<uint32_t>(in, static_cast<uint64_t>(p.n) * 32, false, finite);
  p.scale.kind = in.kind(static_cast<int>(ss::count_of(ss::SCALE_NAMES)));
  p.scale.n = p.n;
  bool scale_finite = true;
  p.sigma = buffer<double>(in, p.n, false, scale_finite);
  p.matrix = buffer<double>(in, static_cast<uint64_t>(p.n) * p.n, false, scale_finite);
  p.bind();
  if (!ss::checks::validate_plan(p).ok()) return 0;

  ss::JobInput j;
  j.op = in.kind(ss::OP_COUNT);
  j.batch = in.usually() ? 1 + in.size(2) : in.size(3);
  j.seed = in.seed();
  const uint64_t Bn = static_cast<uint64_t>(j.batch) * p.n, Bm = static_cast<uint64_t>(j.batch) * p.m;
  j.x = buffer<float>(in, Bn, false, finite);
  j.v = buffer<float>(in, Bm, false, finite);
  j.dir = buffer<double>(in, Bn, false, finite);
  j.fx = buffer<double>(in, Bm, false, finite);
  j.threads = 1 + in.u8() % 3;
  // Cheap enough to run: B·S·(n + m) bounded.
  const bool cheap = static_cast<uint64_t>(j.batch) * p.sampler.samples * (p.n + p.m) <= 200000;

  const std::atomic<bool> never{false};
  const std::function<void(uint64_t)> progress = [](uint64_t) {};
  ss::JobOutput out;
  if (p.builtin) {
    if (!ss::checks::validate_job(p, j, true, MEM_LIMIT, j.threads, 64).ok() || !cheap) return 0;
    std::string error;
    fail_if(!ss::run_job(p, j, out, never, progress, error));
    // Moderate inputs, scales, v and dir (|·| ≤ 1e6) give finite sums (the built-ins' outputs are bounded, the noise
    // is clipped); huge finite ones may overflow to ±inf, which is arithmetic, not a fault.
    if (finite && scale_finite) fail_if(!all_finite(out.value) || !all_finite(out.stderr_) || !all_finite(out.mean));
    return 0;
  }

  const uint64_t chunk = in.flag() ? std::min<uint64_t>(p.sampler.samples, 64) : in.size(80);
  if (!ss::checks::validate_stream(p, j, chunk, MEM_LIMIT).ok() || !cheap) return 0;
  ss::UserStream stream(p, j, static_cast<uint32_t>(chunk));
  uint32_t pending = 0;
  for (int call = 0; call < 8 && !in.empty(); call++) {
    if (in.flag()) {  // noise(b, start, count, z)
      const uint64_t b = in.size(3), start = in.size(300), count = in.size(80);
      const uint64_t zlen = in.flag() ? count * p.n : in.size(512);
      std::vector<float> z(std::min<uint64_t>(zlen, MAX_ALLOC));
      if (!ss::checks::validate_noise(p, j.batch, static_cast<uint32_t>(chunk), b, start, count, z.size()).ok()) continue;
      stream.noise(static_cast<uint32_t>(b), static_cast<uint32_t>(start), static_cast<uint32_t>(count), z.data());
      pending = static_cast<uint32_t>(count);
    } else {  // accumulate(outputs)
      const uint64_t olen = in.flag() ? static_cast<uint64_t>(pending) * p.m : in.size(512);
      std::vector<float> o(std::min<uint64_t>(olen, MAX_ALLOC), 1.0f);
      if (!ss::checks::validate_accumulate(p, pending, o.size()).ok()) continue;
      stream.accumulate(o.data());
      pending = 0;
    }
  }
  stream.finish(out);
  return 0;
}
