// Self-checking test of the native boundary checks, without Node: the overflow-checked arithmetic
// (native/core/checked.h), the work-item ranges at S near 2³², the plan/job/stream validation both addons run
// (native/plan_checks.h), the thread cap and a thread that fails to start (native/cpu/engine.cc). Expected values
// are closed forms (2⁶⁴ − 1, ⌈S/1024⌉, exact coverage of [0, S)) or the documented limits, never the code's output.
// Built by CMake (target checks_test, also in the sanitizer build); prints "N passed, N failed".
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "checked.h"
#include "engine.h"
#include "plan_checks.h"
#include "check.h"  // native/test: the shared harness

using ss::test::check;

namespace {



using ss::checks::Problem;

void expect_problem(const Problem& p, const std::string& field, const std::string& name) {
  check(!p.ok() && p.field == field, name, p.ok() ? "accepted" : "field " + p.field + ": " + p.message);
}
void expect_ok(const Problem& p, const std::string& name) { check(p.ok(), name, p.field + " " + p.message); }

void testChecked() {
  uint64_t r = 7;
  check(ss::checked_mul(0xFFFFFFFFull, 0x100000001ull, r) && r == UINT64_MAX, "checked_mul: (2^32 − 1)(2^32 + 1) = 2^64 − 1 fits");
  r = 7;
  check(!ss::checked_mul(0x100000000ull, 0x100000000ull, r) && r == 7, "checked_mul: 2^32 · 2^32 overflows, out unchanged");
  check(ss::checked_mul(0, UINT64_MAX, r) && r == 0, "checked_mul: 0 · anything = 0");
  check(!ss::checked_mul(3, 0x5555555555555556ull, r), "checked_mul: 3 · ⌈2^64/3⌉ overflows");
  check(ss::checked_add(UINT64_MAX - 1, 1, r) && r == UINT64_MAX, "checked_add: 2^64 − 2 + 1 fits");
  check(!ss::checked_add(UINT64_MAX, 1, r), "checked_add: 2^64 − 1 + 1 overflows");
  bool threw = false;
  try {
    ss::mul_or_throw(1ull << 40, 1ull << 30, "test product");
  } catch (const ss::SizeOverflow& e) {
    threw = std::string(e.what()).find("test product") != std::string::npos;
  }
  check(threw, "mul_or_throw: 2^70 throws SizeOverflow naming the size");
  threw = false;
  try {
    ss::to_u32(0x100000000ull, "x");
  } catch (const ss::SizeOverflow&) {
    threw = true;
  }
  check(threw && ss::to_u32(0xFFFFFFFFull, "x") == 0xFFFFFFFFu, "to_u32: 2^32 throws, 2^32 − 1 passes");
}

// The items of S samples cover [0, S) exactly once, in order, for S at the top of the 32-bit range (reproducer 5:
// (S + 1023)/1024 wrapped to 0 there, and start + 1024 wraps at the last item).
void testItemRanges() {
  for (const uint32_t S : {1u, 1023u, 1024u, 1025u, 0xFFFFFC00u, 0xFFFFFC01u, 0xFFFFFFFEu, 0xFFFFFFFFu}) {
    const uint32_t items = ss::items_for(S, 1024);
    const uint64_t expect = (static_cast<uint64_t>(S) + 1023) / 1024;  // in 64 bits: no wrap
    uint64_t covered = 0, next = 0;
    bool ordered = true;
    for (uint64_t blk = 0; blk < items; blk++) {
      uint32_t start, end;
      ss::item_range(S, 1024, blk, start, end);
      ordered &= start == next && end > start && end - start <= 1024;
      covered += end - start;
      next = end;
    }
    check(items == expect && covered == S && next == S && ordered,
          "items_for/item_range: S = " + std::to_string(S) + " gives ⌈S/1024⌉ = " + std::to_string(expect) + " items covering [0, S) once",
          "items " + std::to_string(items) + ", covered " + std::to_string(covered));
  }
}

ss::EnginePlan argmax_plan(uint32_t n, uint32_t samples) {
  ss::EnginePlan p;
  p.n = n;
  p.m = n;
  p.builtin = true;
  p.box = ss::box_argmax(n);
  p.dist = 0;
  p.covariate = ss::COVARIATE_NONE;
  p.sampler = ss::SamplerConfig{ss::SAMPLER_MC, samples, n, 0, false, 0, nullptr};
  p.scale.kind = ss::SCALE_SCALAR;
  p.scale.n = n;
  p.sigma.assign(n, 1.0);
  p.bind();
  return p;
}

ss::JobInput forward_job(uint32_t batch, uint32_t n) {
  ss::JobInput j;
  j.op = ss::OP_FORWARD;
  j.batch = batch;
  j.seed = 1;
  j.x.assign(static_cast<size_t>(batch) * n, 0.5f);
  return j;
}

void testPlanChecks() {
  using ss::checks::validate_plan;
  expect_ok(validate_plan(argmax_plan(3, 64)), "validate_plan: argmax(3), mc, S = 64");
  expect_ok(validate_plan(argmax_plan(3, 0xFFFFFFFFu)), "validate_plan: S = 2^32 − 1 is allowed");
  {  // reproducer 1: argmax(64) with outputSize reassigned to 1, or larger; inputSize smaller
    ss::EnginePlan p = argmax_plan(64, 64);
    p.m = 1;
    expect_problem(validate_plan(p), "plan.m", "validate_plan: argmax(64) with m = 1 (reproducer 1)");
    p.m = 65;
    expect_problem(validate_plan(p), "plan.m", "validate_plan: argmax(64) with m = 65");
    p = argmax_plan(64, 64);
    p.n = 63;
    p.sampler.dims = 63;
    p.scale.n = 63;
    p.sigma.resize(63);
    p.bind();
    expect_problem(validate_plan(p), "plan.n", "validate_plan: argmax(64) box with n = 63");
  }
  {
    ss::EnginePlan p = argmax_plan(4, 64);
    p.box = ss::box_permutation(4);
    expect_problem(validate_plan(p), "plan.m", "validate_plan: permutation(4) needs m = 16");
    p.m = 16;
    expect_ok(validate_plan(p), "validate_plan: permutation(4) with m = 16");
    p.box = ss::box_topk(4, 5);
    p.m = 4;
    expect_problem(validate_plan(p), "plan.box", "validate_plan: topk(4, 5)");
    p.box = ss::box_shortest_path(2, 3);
    expect_problem(validate_plan(p), "plan.n", "validate_plan: a shortestPath(2, 3) spec with n = 4 (box n 6)");
    p.box = ss::BoxSpec{ss::BOX_SHORTEST_PATH, 4, 0, 2, 3};
    expect_problem(validate_plan(p), "plan.box", "validate_plan: shortestPath with n ≠ rows·cols");
    p.box.kind = 5;
    expect_problem(validate_plan(p), "plan.box.kind", "validate_plan: unknown box kind");
  }
  {
    ss::EnginePlan p = argmax_plan(3, 64);
    p.dist = 6;
    expect_problem(validate_plan(p), "plan.dist", "validate_plan: distribution 6");
    p.dist = -1;  // reproducer 10's distribution −1
    expect_problem(validate_plan(p), "plan.dist", "validate_plan: distribution −1");
    p = argmax_plan(3, 64);
    p.covariate = 3;
    expect_problem(validate_plan(p), "plan.covariate", "validate_plan: covariate 3");
    p = argmax_plan(3, 63);
    p.sampler.antithetic = true;
    expect_problem(validate_plan(p), "plan.sampler.samples", "validate_plan: antithetic with odd S");
    p = argmax_plan(3, 0);
    expect_problem(validate_plan(p), "plan.sampler.samples", "validate_plan: S = 0");
    p = argmax_plan(3, 64);
    p.sampler.sampler = ss::SAMPLER_RQMC_CARTESIAN;
    p.sampler.cartesian_k = 3;
    expect_problem(validate_plan(p), "plan.sampler.cartesianK", "validate_plan: cartesian 3^3 ≠ 64");
    p.sampler.cartesian_k = 4;
    expect_ok(validate_plan(p), "validate_plan: cartesian 4^3 = 64");
    p = argmax_plan(3, 64);
    p.sampler.sampler = ss::SAMPLER_SOBOL;
    expect_problem(validate_plan(p), "plan.sampler.sobolV", "validate_plan: sobol without direction numbers");
    p.sobol_v.assign(95, 1);
    p.bind();
    expect_problem(validate_plan(p), "plan.sampler.sobolV", "validate_plan: sobol with 95 < 32·3 direction words");
    p.sobol_v.assign(96, 1);
    p.bind();
    expect_ok(validate_plan(p), "validate_plan: sobol with 32·3 direction words");
    p = argmax_plan(3, 64);
    p.sigma.resize(2);
    p.bind();
    expect_problem(validate_plan(p), "plan.scale.sigma", "validate_plan: sigma of length 2 for n = 3");
    p = argmax_plan(3, 64);
    p.scale.kind = ss::SCALE_MATRIX;
    p.matrix.assign(8, 0.0);
    p.bind();
    expect_problem(validate_plan(p), "plan.scale.matrix", "validate_plan: a matrix of 8 entries for n = 3");
    p.scale.kind = 3;
    expect_problem(validate_plan(p), "plan.scale.kind", "validate_plan: scale kind 3");
  }
  {  // reproducer 2: Latin with n = 2^28 + 1 (16·n wraps 32 bits): refused from the sizes alone, nothing allocated
    ss::EnginePlan p;
    p.n = (1u << 28) + 1;
    p.m = 1;
    p.sampler = ss::SamplerConfig{ss::SAMPLER_RQMC_LATIN, 64, p.n, 0, false, 0, nullptr};
    p.scale.kind = ss::SCALE_SCALAR;
    p.scale.n = p.n;
    expect_problem(validate_plan(p), "plan.n", "validate_plan: rqmc-latin with n = 2^28 + 1 (reproducer 2)");
    check(ss::batch_key_words64(p.sampler) == 16ull * ((1u << 28) + 1), "batch_key_words64: 16·(2^28 + 1) without a wrap");
    p.n = p.sampler.dims = p.scale.n = 1u << 28;  // 16·2^28 = 2^32: still one word too many
    expect_problem(validate_plan(p), "plan.n", "validate_plan: rqmc-latin with n = 2^28 (16·n = 2^32)");
    p.n = p.sampler.dims = p.scale.n = (1u << 28) - 1;
    const Problem q = validate_plan(p);
    check(q.field != "plan.n", "validate_plan: rqmc-latin with n = 2^28 − 1 passes the Latin limit", q.field + " " + q.message);
    p.n = p.sampler.dims = p.scale.n = 70000;
    p.sampler.sampler = ss::SAMPLER_MC;
    p.scale.kind = ss::SCALE_MATRIX;
    expect_problem(validate_plan(p), "plan.n", "validate_plan: a matrix scale with n = 70000 (n·n past 32 bits)");
  }
}

void testJobChecks() {
  using ss::checks::validate_job;
  const ss::EnginePlan p = argmax_plan(3, 64);
  const uint64_t mem = 1ull << 34;
  expect_ok(validate_job(p, forward_job(2, 3), true, mem, 1, 64), "validate_job: forward, B = 2, x = 6");
  ss::JobInput j = forward_job(2, 3);
  j.x.resize(5);
  expect_problem(validate_job(p, j, true, mem, 1, 64), "job.x", "validate_job: x of 5 for B·n = 6");
  j = forward_job(1, 3);
  j.op = ss::OP_VJP;
  expect_problem(validate_job(p, j, true, mem, 1, 64), "job.v", "validate_job: vjp without v");
  j.v.assign(3, 1.0f);
  expect_ok(validate_job(p, j, true, mem, 1, 64), "validate_job: vjp with v = B·m");
  j.op = ss::OP_JVP;
  j.v.clear();
  expect_problem(validate_job(p, j, true, mem, 1, 64), "job.dir", "validate_job: jvp without dir");
  j = forward_job(1, 3);
  j.op = 7;
  expect_problem(validate_job(p, j, true, mem, 1, 64), "job.op", "validate_job: op 7");
  j = forward_job(0, 3);
  expect_problem(validate_job(p, j, true, mem, 1, 64), "job.batch", "validate_job: B = 0");
  {  // B·S > 2^53
    const ss::EnginePlan big = argmax_plan(3, 0xFFFFFFFFu);
    ss::JobInput jb;
    jb.batch = 1u << 22;
    expect_problem(validate_job(big, jb, true, mem, 1, 64), "job.batch", "validate_job: B·S = 2^22 · (2^32 − 1) > 2^53");
  }
  {  // a user box: run/runSync refuse it; a stream with the fx covariate needs fx from JS for backward ops
    ss::EnginePlan u = argmax_plan(3, 64);
    u.builtin = false;
    expect_problem(validate_job(u, forward_job(1, 3), true, mem, 1, 64), "plan.builtin", "validate_job: run with a user box");
    u.covariate = ss::COVARIATE_FX;
    ss::JobInput ju = forward_job(1, 3);
    ju.op = ss::OP_VJP;
    ju.v.assign(3, 1.0f);
    expect_problem(ss::checks::validate_stream(u, ju, 16, mem), "job.fx", "validate_stream: fx covariate without fx");
    ju.fx.assign(3, 0.0);
    expect_ok(ss::checks::validate_stream(u, ju, 16, mem), "validate_stream: fx covariate with fx = B·m");
    expect_problem(ss::checks::validate_stream(u, ju, 65, mem), "chunk", "validate_stream: chunk > S");
    expect_problem(ss::checks::validate_stream(u, ju, 0, mem), "chunk", "validate_stream: chunk 0");
  }
  {  // memory: a permutation(46340) Jacobian for B = 64 needs ≈ 64 · 46340³ · 16 bytes: refused, and the estimate overflows
    ss::EnginePlan pm = argmax_plan(46340, 64);
    pm.box = ss::box_permutation(46340);
    pm.m = 46340u * 46340u;
    ss::JobInput jj;
    jj.op = ss::OP_JACOBIAN;
    jj.batch = 64;
    jj.x.assign(static_cast<size_t>(64) * 46340, 0.0f);
    const uint64_t bytes = ss::checks::host_bytes(pm, jj, 1, 64);
    const uint64_t result_alone = 64ull * (46340ull * 46340ull) * 46340ull * 8 * 2;  // the sums and the result, in doubles
    check(bytes >= result_alone, "host_bytes: a 64 × 46340² × 46340 Jacobian counts at least its sums and result", std::to_string(bytes));
    expect_problem(validate_job(pm, jj, true, mem, 1, 64), "job", "validate_job: a Jacobian beyond memory is refused");
  }
  {  // the standard errors (job.stderr): backward only, exactly B × the result's size, L⁻¹ only for a matrix scale
    ss::JobInput js = forward_job(2, 3);
    js.want_stderr = true;
    js.stderr_length = 6;
    expect_problem(validate_job(p, js, true, mem, 1, 64), "job.stderr", "validate_job: stderr with forward");
    js.op = ss::OP_VJP;
    js.v.assign(6, 1.0f);
    expect_ok(validate_job(p, js, true, mem, 1, 64), "validate_job: vjp stderr of B·n = 6");
    js.stderr_length = 5;
    expect_problem(validate_job(p, js, true, mem, 1, 64), "job.stderr", "validate_job: vjp stderr of 5 for B·n = 6");
    js.op = ss::OP_JACOBIAN;
    js.stderr_length = 18;
    expect_ok(validate_job(p, js, true, mem, 1, 64), "validate_job: jacobian stderr of B·m·n = 18");
    js.op = ss::OP_SCALE_GRADIENT;
    js.stderr_length = 2;
    expect_ok(validate_job(p, js, true, mem, 1, 64), "validate_job: scalar scale gradient stderr of B = 2");
    js.inverse.assign(9, 0.0);
    expect_problem(validate_job(p, js, true, mem, 1, 64), "job.inverse", "validate_job: L⁻¹ with a scalar scale");
    js.want_stderr = false;
    js.stderr_length = 0;
    expect_problem(validate_job(p, js, true, mem, 1, 64), "job.inverse", "validate_job: L⁻¹ without stderr");
    ss::EnginePlan pm = p;
    pm.scale.kind = ss::SCALE_MATRIX;
    pm.sigma.clear();
    pm.matrix.assign(9, 0.0);
    pm.bind();
    js.want_stderr = true;
    js.stderr_length = 18;  // B · n·n
    js.inverse.clear();
    expect_problem(validate_job(pm, js, true, mem, 1, 64), "job.inverse", "validate_job: matrix scale gradient stderr without L⁻¹");
    js.inverse.assign(9, 0.0);
    expect_ok(validate_job(pm, js, true, mem, 1, 64), "validate_job: matrix scale gradient stderr of B·n·n = 18 with L⁻¹");
    // The extra sums count: with stderr a job needs more host memory than without, never less.
    ss::JobInput plain = js;
    plain.want_stderr = false;
    plain.inverse.clear();
    check(ss::checks::host_bytes(pm, js, 2, 64) > ss::checks::host_bytes(pm, plain, 2, 64), "host_bytes: the standard-error sums are counted");
  }
}

// The output cache of a job (native/engine/output_cache.h, plan_checks.h validate_cache): sizes from their closed
// forms, B·⌈S·m/8⌉ bytes of bits and B·S·m·width of ranks, and a size past 64 bits refused, never wrapped.
void testCacheChecks() {
  using ss::checks::validate_cache;
  const ss::EnginePlan p = argmax_plan(3, 1030);  // bits: ⌈1030·3/8⌉ = 387 bytes per input
  ss::JobInput j = forward_job(2, 3);
  j.cache_present = true;
  j.cache_fill = true;
  j.cache_length = 2 * 387;
  expect_ok(validate_cache(p, j, true), "validate_cache: argmax(3), B = 2, S = 1030 → 774 bytes");
  j.cache_length = 2 * 387 - 1;
  expect_problem(validate_cache(p, j, true), "job.cache", "validate_cache: one byte short");
  j.cache_length = 2 * 387;
  expect_problem(validate_cache(p, j, false), "job.cache", "validate_cache: a user-box stream with a cache");
  j.op = ss::OP_VJP;
  expect_problem(validate_cache(p, j, true), "job.cacheFill", "validate_cache: a vjp that would fill");
  j.cache_fill = false;
  expect_ok(validate_cache(p, j, true), "validate_cache: a vjp that reads");
  uint64_t bytes = 0;
  check(ss::cache_bytes(ss::box_ranks_spec(300), 2, 10, 300, bytes) && bytes == 2ull * 10 * 300 * 2, "cache_bytes: ranks(300) as uint16", std::to_string(bytes));
  check(ss::cache_bytes(ss::box_ranks_spec(256), 1, 7, 256, bytes) && bytes == 7ull * 256, "cache_bytes: ranks(256) as uint8", std::to_string(bytes));
  check(ss::cache_bytes(ss::box_ranks_spec(1u << 24), 1, 1, 1u << 24, bytes) && bytes == 4ull << 24, "cache_bytes: ranks(2^24) as uint32", std::to_string(bytes));
  // B·S = 2^53, m = 2^24, 4 bytes: 2^79 does not fit 64 bits.
  check(!ss::cache_bytes(ss::box_ranks_spec(1u << 24), 1ull << 21, 1ull << 32, 1u << 24, bytes), "cache_bytes: 2^79 bytes overflows", "");
  check(!ss::cache_bytes(ss::box_argmax(1u << 24), 1ull << 40, 1ull << 32, 1u << 24, bytes), "cache_bytes: 2^93 bits overflow", "");
}

void testStreamCalls() {
  const ss::EnginePlan p = argmax_plan(3, 64);
  using ss::checks::validate_noise;
  expect_ok(validate_noise(p, 2, 16, 1, 48, 16, 48), "validate_noise: b 1, rows 48..63, z of 48");
  expect_problem(validate_noise(p, 2, 16, 2, 0, 16, 48), "b", "validate_noise: b = B");
  expect_problem(validate_noise(p, 2, 16, 0, 0, 17, 51), "count", "validate_noise: count > chunk");
  expect_problem(validate_noise(p, 2, 16, 0, 0, 0, 48), "count", "validate_noise: count 0");
  expect_problem(validate_noise(p, 2, 16, 0, 49, 16, 48), "start", "validate_noise: start + count > S");
  expect_problem(validate_noise(p, 2, 16, 0, 0, 16, 0), "z", "validate_noise: a detached z (length 0), reproducer 6");
  expect_problem(validate_noise(argmax_plan(3, 0xFFFFFFFFu), 1, 16, 0, 0xFFFFFFF0ull, 16, 48), "start",
                 "validate_noise: start + count = 2^32 at S = 2^32 − 1 (no 32-bit wrap)");
  using ss::checks::validate_accumulate;
  expect_problem(validate_accumulate(p, 0, 48), "outputs", "validate_accumulate: without a noise() first");
  expect_problem(validate_accumulate(p, 16, 47), "outputs", "validate_accumulate: outputs shorter than count·m");
  expect_ok(validate_accumulate(p, 16, 48), "validate_accumulate: outputs of count·m");
  using ss::checks::validate_rows;
  expect_ok(validate_rows(argmax_plan(3, 0xFFFFFFFFu), 0xFFFFFFFDull, 2, 1ull << 34), "validate_rows: the last two rows of S = 2^32 − 1");
  expect_problem(validate_rows(argmax_plan(3, 0xFFFFFFFFu), 0xFFFFFFFEull, 2, 1ull << 34), "start", "validate_rows: one row past S");
}

void testThreads() {
  const unsigned cap = ss::thread_cap();
  check(cap >= 1 && cap <= 256, "thread_cap: between 1 and 256", std::to_string(cap));
  check(ss::job_threads(0xFFFFFFFFu, 1ull << 40) == cap, "job_threads: 2^32 − 1 requested → the cap");
  check(ss::job_threads(3, 2) == 2, "job_threads: never more than the work items");
  check(ss::job_threads(1, 100) == 1, "job_threads: 1 stays 1");

  // A thread that fails to start: the job fails with the reason, the started threads are joined, and the next job
  // gives the same sums as a single-threaded one (nothing left running, nothing corrupted).
  const ss::EnginePlan p = argmax_plan(3, 8192);
  ss::JobInput j = forward_job(1, 3);
  const std::atomic<bool> never{false};
  const std::function<void(uint64_t)> progress = [](uint64_t) {};
  ss::JobOutput ref, out;
  std::string error;
  j.threads = 1;
  const bool ok1 = ss::run_job(p, j, ref, never, progress, error);
  setenv("STOCHASTIC_SMOOTHING_TEST_THREAD_FAIL", "2", 1);
  j.threads = 4;
  const bool failed = !ss::run_job(p, j, out, never, progress, error);
  unsetenv("STOCHASTIC_SMOOTHING_TEST_THREAD_FAIL");
  check(ok1 && failed && error.find("could not start worker thread 3 of 4") != std::string::npos,
        "run_job: thread 3 of 4 refused to start → a clean failure with the reason", error);
  error.clear();
  const bool ok2 = ss::run_job(p, j, out, never, progress, error);
  check(ok2 && out.value == ref.value && out.stderr_ == ref.stderr_, "run_job: the next 4-thread job equals the 1-thread one", error);
}

// The engine's own guard (the job layer's check_builtin), for callers that skip plan_checks.h: a box kind outside
// BoxKind fails with the reason instead of running some other box.
void testUnknownBox() {
  const std::atomic<bool> never{false};
  const std::function<void(uint64_t)> progress = [](uint64_t) {};
  ss::JobInput j = forward_job(1, 3);
  for (const int kind : {-1, ss::BOX_KIND_COUNT, 99}) {
    ss::EnginePlan p = argmax_plan(3, 64);
    p.box.kind = kind;
    ss::JobOutput out;
    std::string error;
    const bool ran = ss::run_job(p, j, out, never, progress, error);
    check(!ran && error.find("not a valid built-in box (kind " + std::to_string(kind)) != std::string::npos && out.value.empty(),
          "run_job: box kind " + std::to_string(kind) + " → an error naming it", error);
  }
  ss::JobOutput out;
  std::string error;
  check(ss::run_job(argmax_plan(3, 64), j, out, never, progress, error) && out.value.size() == 3, "run_job: the valid argmax plan runs", error);
}

}  // namespace

int main() {
  testChecked();
  testItemRanges();
  testPlanChecks();
  testJobChecks();
  testCacheChecks();
  testStreamCalls();
  testThreads();
  testUnknownBox();
  return ss::test::summary();
}
