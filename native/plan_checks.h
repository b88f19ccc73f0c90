// The checks both native addons run on what JS hands them, AFTER it has been read into plain structs
// (EnginePlan, JobInput, the user-stream arguments) and BEFORE any work: the N-API layer trusts nothing the JS
// layer did. Node-free, so that the ctest tests (native/test/checks_test.cc) and the fuzz target
// (fuzz/plan_fuzz.cc) call exactly what the addons call. A failed check is a Problem naming the field; the
// addons turn it into a JS Error with code ERR_INVALID_ARGUMENT (native/addon_common.h).
//
// Limits (README "Limits"): n, m ≤ 2³¹ − 1; permutation n ≤ 46 340; a matrix scale n ≤ 65 535; Latin samplers
// n ≤ 268 435 455 (16·n key words fit 32 bits); Sobol n ≤ 21 201; 1 ≤ S ≤ 2³² − 1; 1 ≤ B ≤ 2³² − 1;
// B·S ≤ 2⁵³ (progress counts stay exact in JS); a user-box chunk ≤ 2³¹; and the host memory a call needs ≤ the machine's memory.
#pragma once
#include <cstdint>
#include <string>

#include "blackbox.h"
#include "checked.h"
#include "distributions.h"
#include "job.h"
#include "median.h"
#include "samplers.h"
#include "scale.h"

namespace ss::checks {

/** Largest input or output size (as MAX_BLACKBOX_SIZE in lib/blackboxes/checks.ts). */
constexpr uint64_t MAX_SIZE = 0x7FFFFFFFull;
/** Largest n of a matrix scale: the scale statistic has n·n entries in 32-bit sizes. */
constexpr uint64_t MAX_MATRIX_N = 65535;
/** Largest n of the Latin samplers: 16·n permutation key words per input fit 32 bits. */
constexpr uint64_t MAX_LATIN_N = 0xFFFFFFFFull / PERMUTATION_KEY_WORDS;
/** Largest chunk of a user-box stream (its kernels count rows of a chunk in 32 bits with a rounding up). */
constexpr uint64_t MAX_CHUNK = 1ull << 31;
/** Largest B·S: progress counts (uint64 → JS number) stay exact. */
constexpr uint64_t MAX_TOTAL_SAMPLES = 1ull << 53;

/** What failed: the field (as JS names it, e.g. "plan.sampler.samples") and why; empty field = fine. */
struct Problem {
  std::string field, message;
  bool ok() const { return field.empty(); }
};

inline Problem fine() { return {}; }
inline Problem bad(const std::string& field, const std::string& message) { return {field, message}; }

inline std::string num(uint64_t v) { return std::to_string(v); }

/** "has length L, expected E" for a buffer that must hold exactly `expected` values. */
inline Problem exact_length(const char* field, uint64_t length, uint64_t expected, const char* formula) {
  if (length == expected) return fine();
  return bad(field, "has length " + num(length) + ", expected " + formula + " = " + num(expected));
}

/** The plan alone: sizes, kinds, the box spec against n and m, the sampler and scale against n. */
inline Problem validate_plan(const EnginePlan& p) {
  if (p.n < 1 || p.n > MAX_SIZE) return bad("plan.n", "is " + num(p.n) + ", expected 1 ≤ n ≤ " + num(MAX_SIZE));
  if (p.m < 1 || p.m > MAX_SIZE) return bad("plan.m", "is " + num(p.m) + ", expected 1 ≤ m ≤ " + num(MAX_SIZE));
  if (p.builtin) {
    const BoxSpec& b = p.box;
    if (b.kind < 0 || b.kind >= BOX_KIND_COUNT) {
      return bad("plan.box.kind", "is " + std::to_string(b.kind) + ", not a built-in box (0.." + std::to_string(BOX_KIND_COUNT - 1) + ")");
    }
    if (!box_spec_valid(b)) {
      return bad("plan.box", "is not a valid box (kind " + std::to_string(b.kind) + ", n " + num(b.n) + ", k " + num(b.k) + ", rows " + num(b.rows) +
                                 ", cols " + num(b.cols) + "): see the limits of the blackboxes factories");
    }
    if (b.n != p.n) return bad("plan.n", "is " + num(p.n) + " but the box's input size is " + num(b.n));
    const uint64_t out = b.kind == BOX_PERMUTATION ? static_cast<uint64_t>(b.n) * b.n : b.n;
    if (out != p.m) return bad("plan.m", "is " + num(p.m) + " but the box's output size is " + num(out));
  }
  if (p.dist < 0 || p.dist >= DISTRIBUTION_COUNT) return bad("plan.dist", "is " + std::to_string(p.dist) + ", expected 0.." + std::to_string(DISTRIBUTION_COUNT - 1));
  if (p.median_of < 1 || p.median_of > MAX_MEDIAN_OF || p.median_of % 2 == 0) {
    return bad("plan.medianOf", "is " + std::to_string(p.median_of) + ", expected an odd k with 1 ≤ k ≤ " + std::to_string(MAX_MEDIAN_OF));
  }
  if (p.covariate < COVARIATE_NONE || p.covariate > COVARIATE_LOO) return bad("plan.covariate", "is " + std::to_string(p.covariate) + ", expected 0..2");

  const SamplerConfig& s = p.sampler;
  if (s.sampler < 0 || s.sampler >= SAMPLER_COUNT) return bad("plan.sampler.kind", "is " + std::to_string(s.sampler) + ", expected 0.." + std::to_string(SAMPLER_COUNT - 1));
  if (s.samples < 1) return bad("plan.sampler.samples", "is 0, expected 1 ≤ samples ≤ 4294967295");
  if (s.dims != p.n) return bad("plan.sampler.dims", "is " + num(s.dims) + ", expected n = " + num(p.n));
  if (s.antithetic && (s.samples & 1u)) return bad("plan.sampler.samples", "is " + num(s.samples) + ", antithetic sampling needs an even count");
  // Leave-one-out scales the sums by S/(S − 1): one sample would divide by zero and turn every estimate into NaN.
  if (p.covariate == COVARIATE_LOO && s.samples < 2) return bad("plan.sampler.samples", "is 1, the leave-one-out covariate needs samples ≥ 2");
  const bool latin = s.sampler == SAMPLER_QMC_LATIN || s.sampler == SAMPLER_RQMC_LATIN;
  if (latin && p.n > MAX_LATIN_N) return bad("plan.n", "is " + num(p.n) + ", the Latin samplers allow n ≤ " + num(MAX_LATIN_N));
  if (s.sampler == SAMPLER_RQMC_CARTESIAN) {
    if (s.cartesian_k < 2 || cartesian_power(s.cartesian_k, s.dims) != s.samples) {
      return bad("plan.sampler.cartesianK", "is " + num(s.cartesian_k) + ", expected k ≥ 2 with k^n = samples (" + num(s.samples) + ")");
    }
    if (s.antithetic && (s.cartesian_k & 1u)) return bad("plan.sampler.cartesianK", "is " + num(s.cartesian_k) + ", antithetic rqmc-cartesian needs an even k");
  }
  if (s.sampler == SAMPLER_SOBOL || s.sampler == SAMPLER_RQMC_SOBOL) {
    if (p.n > SOBOL_MAX_DIMS) return bad("plan.n", "is " + num(p.n) + ", the Sobol samplers allow n ≤ " + num(SOBOL_MAX_DIMS));
    const uint64_t need = static_cast<uint64_t>(p.n) * SOBOL_BITS;  // the table may hold more dimensions than n
    if (p.sobol_v.size() < need) return bad("plan.sampler.sobolV", "has length " + num(p.sobol_v.size()) + ", expected at least 32·n = " + num(need));
  }

  const ScaleConfig& sc = p.scale;
  if (sc.n != p.n) return bad("plan.scale.n", "is " + num(sc.n) + ", expected n = " + num(p.n));
  switch (sc.kind) {
    case SCALE_SCALAR:
    case SCALE_DIAGONAL:
      if (auto e = exact_length("plan.scale.sigma", p.sigma.size(), p.n, "n"); !e.ok()) return e;
      break;
    case SCALE_MATRIX:
      if (p.n > MAX_MATRIX_N) return bad("plan.n", "is " + num(p.n) + ", a matrix scale allows n ≤ " + num(MAX_MATRIX_N));
      if (auto e = exact_length("plan.scale.matrix", p.matrix.size(), static_cast<uint64_t>(p.n) * p.n, "n·n"); !e.ok()) return e;
      break;
    default:
      return bad("plan.scale.kind", "is " + std::to_string(sc.kind) + ", expected 0 (scalar), 1 (diagonal) or 2 (matrix)");
  }
  if (!sampler_config_valid(s)) return bad("plan.sampler", "is inconsistent (sampler_config_valid)");  // the core's own guard, last
  return fine();
}

/**
 * The extra host bytes of a job's standard errors (job.stderr): the second-moment sums in every partial and total
 * (sums_layout_stderr: 3·p·r + p + 2r doubles more per input), the result (B·p·r floats) and L⁻¹; UINT64_MAX when
 * the count overflows, 0 without standard errors.
 */
inline uint64_t stderr_bytes(const EnginePlan& p, const JobInput& j, uint64_t threads) {
  if (!j.want_stderr || j.op == OP_FORWARD) return 0;
  uint32_t P = 0, Q = 0;
  op_shape(p, j.op, P, Q);
  const uint64_t r = stderr_width(p, j.op);
  uint64_t pr = 0, extra = 0, copies = 0, all = 0, t = 0;
  const bool ok = checked_mul(P, r, pr) && checked_mul(pr, 3, extra) && checked_add(extra, static_cast<uint64_t>(P) + 2 * r, extra) &&
                  checked_add(4 * threads + 16, j.batch, copies) && checked_mul(extra, 8, t) && checked_mul(t, copies, all) &&
                  checked_mul(pr, 4ull * j.batch, t) && checked_add(all, t, all) && checked_add(all, 8ull * j.inverse.size(), all);
  return ok ? all : UINT64_MAX;
}

/**
 * Host bytes a job needs beyond its inputs (an upper estimate of the engine's buffers: per-thread scratch,
 * partial sums, totals, the copied inputs, the result), or UINT64_MAX when the estimate itself overflows.
 * `rows` = rows of noise held at once per thread (the cpu engine's block, or a user stream's chunk).
 */
inline uint64_t host_bytes(const EnginePlan& p, const JobInput& j, uint64_t threads, uint64_t rows) {
  uint32_t P = 0, Q = 0;
  op_shape(p, j.op, P, Q);
  uint64_t pq = 0, total = 0, per_thread = 0, per_b = 0, all = 0, t = 0;
  const uint64_t n = p.n, m = p.m, B = j.batch;
  const bool ok =
      checked_mul(P, Q, pq) && checked_add(pq, static_cast<uint64_t>(P) + Q + 2 * m, total) &&   // one partial (≥ 2m: forward)
      checked_mul(n, 3 * 8 * rows + 64, per_thread) &&                                              // u, ε, s blocks + rows
      checked_add(per_thread, 4 * static_cast<uint64_t>(batch_key_words(p.sampler)) + 64 * m, per_thread) &&
      checked_add(per_thread, p.builtin ? box_scratch_bytes(p.box) + 4ull * box_support_max(p.box) : 0, per_thread) &&
      checked_mul(total, 8, t) && checked_add(per_thread, t, per_thread) &&
      checked_mul(per_thread, threads, all) &&
      checked_mul(total, 8 * 4 * threads + 8 * 16, t) && checked_add(all, t, all) && checked_add(all, 16ull << 20, all) &&  // partials
      checked_add(2 * pq + 3 * m + 2 * n, 8 * 64, per_b) && checked_mul(per_b, 8, per_b) &&          // totals, result, copies
      checked_add(per_b, 16 * n + 16 * m, per_b) && checked_mul(per_b, B, t) && checked_add(all, t, all);
  if (!ok) return UINT64_MAX;
  return checked_add(all, stderr_bytes(p, j, threads), all) ? all : UINT64_MAX;
}

/** A Problem when `bytes` exceeds `limit` (the machine's memory; 0 = no limit). */
inline Problem memory_fits(const char* field, uint64_t bytes, uint64_t limit) {
  if (limit == 0 || bytes <= limit) return fine();
  return bad(field, bytes == UINT64_MAX ? "needs more host memory than 64-bit sizes can count"
                                        : "needs about " + num(bytes) + " bytes of host memory, the machine has " + num(limit));
}

/**
 * The output cache of a fused job (output_cache.h): only with a built-in box, and exactly cache_bytes(box, B, S, m)
 * long (overflow-checked), so that no sample's output can be written or read outside it.
 */
inline Problem validate_cache(const EnginePlan& p, const JobInput& j, bool fused) {
  if (!j.cache_present) return fine();
  if (!fused || !p.builtin) return bad("job.cache", "is given, but only run and runSync of a built-in box keep outputs natively (user boxes keep them in JS)");
  if (j.cache_fill != (j.op == OP_FORWARD)) {
    return bad("job.cacheFill", std::string("is ") + (j.cache_fill ? "true" : "false") + ": a forward job fills the cache, the other operations read it");
  }
  uint64_t need = 0;
  if (!cache_bytes(p.box, j.batch, p.sampler.samples, p.m, need)) return bad("job.cache", "would need more bytes than 64-bit sizes can count");
  if (j.cache_length != need) {
    return bad("job.cache", "has byteLength " + num(j.cache_length) + ", expected " + (cache_format(p.box) == CACHE_BITS ? "batch·⌈samples·m/8⌉" : "batch·samples·m·width") + " = " + num(need));
  }
  return fine();
}

/**
 * The standard-error fields of a job: `job.stderr` (a backward operation only) holds exactly batch·size floats
 * (size = the operation's result per input: n, m·n, m, or the scale gradient's 1, n or n·n), counted without wrap;
 * `job.inverse` is L⁻¹ (n·n) exactly when a matrix scale needs it, absent otherwise.
 */
inline Problem validate_stderr(const EnginePlan& p, const JobInput& j) {
  if (!j.want_stderr) {
    if (!j.inverse.empty()) return bad("job.inverse", "is given without job.stderr (it serves the standard errors only)");
    return fine();
  }
  if (j.op == OP_FORWARD) return bad("job.stderr", "is given for forward, which returns its standard error in the result: pass it to a backward operation");
  uint32_t P = 0, Q = 0;
  op_shape(p, j.op, P, Q);
  uint64_t size = 0, need = 0;
  if (!checked_mul(P, stderr_width(p, j.op), size) || !checked_mul(size, j.batch, need)) {
    return bad("job.stderr", "would need more than 2^64 entries (batch·size)");
  }
  if (auto e = exact_length("job.stderr", j.stderr_length, need, "batch·size"); !e.ok()) return e;
  const uint64_t nn = p.scale.kind == SCALE_MATRIX ? static_cast<uint64_t>(p.n) * p.n : 0;
  if (nn == 0 && !j.inverse.empty()) return bad("job.inverse", "is given, but only a matrix scale needs L⁻¹");
  return exact_length("job.inverse", j.inverse.size(), nn, "n·n");
}

/**
 * A job against its plan (validate_plan first). `fused`: run/runSync (a built-in box evaluated natively);
 * otherwise a user-box stream, which needs fx from JS for the fx covariate of the backward operations.
 * `mem_limit`: bytes of host memory a call may need (0 = unchecked); `threads`: the threads it will use.
 */
inline Problem validate_job(const EnginePlan& p, const JobInput& j, bool fused, uint64_t mem_limit, uint64_t threads, uint64_t rows) {
  if (j.op < 0 || j.op >= OP_COUNT) return bad("job.op", "is " + std::to_string(j.op) + ", expected 0.." + std::to_string(OP_COUNT - 1));
  if (fused && !p.builtin) return bad("plan.builtin", "is false: run and runSync evaluate built-in boxes only (user boxes go through UserStream)");
  if (j.batch < 1) return bad("job.batch", "is 0, expected ≥ 1");
  uint64_t total = 0;
  if (!checked_mul(j.batch, p.sampler.samples, total) || total > MAX_TOTAL_SAMPLES) {
    return bad("job.batch", "is " + num(j.batch) + ": batch·samples = " + num(j.batch) + "·" + num(p.sampler.samples) + " exceeds 2^53");
  }
  const uint64_t Bn = static_cast<uint64_t>(j.batch) * p.n, Bm = static_cast<uint64_t>(j.batch) * p.m;  // < 2^63: no wrap
  if (auto e = exact_length("job.x", j.x.size(), Bn, "batch·n"); !e.ok()) return e;
  const bool needs_v = j.op == OP_VJP || j.op == OP_SCALE_GRADIENT;
  if (needs_v || !j.v.empty()) {
    if (auto e = exact_length("job.v", j.v.size(), Bm, "batch·m"); !e.ok()) return e;
  }
  if (j.op == OP_JVP || !j.dir.empty()) {
    if (auto e = exact_length("job.dir", j.dir.size(), Bn, "batch·n"); !e.ok()) return e;
  }
  const bool needs_fx = !fused && !p.builtin && p.covariate == COVARIATE_FX && j.op != OP_FORWARD;
  if (needs_fx || !j.fx.empty()) {
    if (auto e = exact_length("job.fx", j.fx.size(), Bm, "batch·m"); !e.ok()) return e;
  }
  if (auto e = validate_cache(p, j, fused); !e.ok()) return e;
  if (auto e = validate_stderr(p, j); !e.ok()) return e;
  return memory_fits("job", host_bytes(p, j, threads, rows), mem_limit);
}

/** new UserStream(plan, job, chunk): chunk ≥ 1, at most S, and its buffers (chunk·n, chunk·m) within memory. */
inline Problem validate_stream(const EnginePlan& p, const JobInput& j, uint64_t chunk, uint64_t mem_limit) {
  if (chunk < 1 || chunk > p.sampler.samples || chunk > MAX_CHUNK) {
    return bad("chunk", "is " + num(chunk) + ", expected 1 ≤ chunk ≤ min(samples, 2^31) (samples = " + num(p.sampler.samples) + ")");
  }
  return validate_job(p, j, false, mem_limit, 1, chunk);
}

/** stream.noise(b, start, count, z): b < B, 1 ≤ count ≤ chunk, start + count ≤ S, z holds count·n floats. */
inline Problem validate_noise(const EnginePlan& p, uint32_t batch, uint32_t chunk, uint64_t b, uint64_t start, uint64_t count, uint64_t z_length) {
  if (b >= batch) return bad("b", "is " + num(b) + ", expected b < batch (" + num(batch) + ")");
  if (count < 1 || count > chunk) return bad("count", "is " + num(count) + ", expected 1 ≤ count ≤ chunk (" + num(chunk) + ")");
  if (start + count > p.sampler.samples) {  // both < 2^33: no wrap
    return bad("start", "is " + num(start) + ": start + count = " + num(start + count) + " exceeds samples (" + num(p.sampler.samples) + ")");
  }
  const uint64_t need = count * p.n;  // ≤ 2^32 · 2^31
  if (z_length < need) return bad("z", "has length " + num(z_length) + ", expected at least count·n = " + num(need) + " (detached or too short)");
  return fine();
}

/** stream.accumulate(outputs): after a noise() of `count` rows, outputs holds count·m floats. */
inline Problem validate_accumulate(const EnginePlan& p, uint64_t pending_count, uint64_t out_length) {
  if (pending_count == 0) return bad("outputs", "has no chunk to accumulate: call noise() first, once per accumulate()");
  const uint64_t need = pending_count * p.m;
  if (out_length < need) return bad("outputs", "has length " + num(out_length) + ", expected at least count·m = " + num(need) + " (detached or too short)");
  return fine();
}

/** uniforms(plan, seed, b, start, count) and curandCheck: start + count ≤ S, the count·n result within memory. */
inline Problem validate_rows(const EnginePlan& p, uint64_t start, uint64_t count, uint64_t mem_limit) {
  if (start + count > p.sampler.samples) {
    return bad("start", "is " + num(start) + ": start + count = " + num(start + count) + " exceeds samples (" + num(p.sampler.samples) + ")");
  }
  uint64_t bytes = 0;
  if (!checked_mul(count * p.n, 8 * 2, bytes)) bytes = UINT64_MAX;
  return memory_fits("count", bytes, mem_limit);
}

}  // namespace ss::checks
