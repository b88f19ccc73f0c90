// The job layer shared by every native engine (the CPU engine in native/cpu/, the CUDA engine in cuda/): what
// smooth() fixed (EnginePlan), one call (JobInput → JobOutput), the shapes of its sums (op_shape, ops.h), the
// host setup before the sums (prepare_job) and the finish after them (finish_totals), the work-item size and
// the thread cap. An engine only schedules the sums in between; neither engine includes the other.
//
// Why a folder of its own (native/engine/) rather than native/core/: core/ is per-sample math compiled for the
// device as well (no containers, no allocation); this layer owns std::vectors and runs on the host only.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "accumulate.h"
#include "blackbox.h"
#include "distributions.h"
#include "median.h"
#include "ops.h"
#include "output_cache.h"
#include "samplers.h"
#include "scale.h"

namespace ss {

// Everything smooth() fixed, with owned storage behind the config pointers.
struct EnginePlan {
  uint32_t n = 0, m = 0;
  bool builtin = false;  // false: a user JS black box, evaluated through a user stream
  BoxSpec box{};
  int dist = 0;
  int covariate = COVARIATE_NONE;
  SamplerConfig sampler{};
  ScaleConfig scale{};
  std::vector<uint32_t> sobol_v;
  std::vector<double> sigma, matrix;
  int median_of = 1;  // k of median-of-k noise (odd, 1 ≤ k ≤ MAX_MEDIAN_OF; 1 = plain noise), core/median.h

  // Re-point the configs at the owned vectors (call after filling or copying them).
  void bind();
  // A bound copy with the job's seed: what every engine runs a job with.
  EnginePlan seeded(uint64_t seed) const;
};

// One call: an operation over B inputs. Arrays are copied in; nothing here points at JS memory.
struct JobInput {
  int op = OP_FORWARD;
  uint32_t batch = 0;
  uint64_t seed = 0;
  std::vector<float> x;    // B×n
  std::vector<float> v;    // B×m (vjp, scale gradient)
  std::vector<double> dir; // B×n, L⁻¹t (jvp)
  std::vector<double> fx;  // B×m, f(x_b) for the fx covariate (computed here for built-ins when empty)
  unsigned threads = 0;    // 0: hardware concurrency
  // The output cache (output_cache.h): a JS ArrayBuffer the addon keeps alive for the job, not copied. A forward
  // job fills it (cache_fill), a backward job reads it; its length is checked against B·S·(bytes per sample).
  bool cache_present = false;
  uint8_t* cache_data = nullptr;
  uint64_t cache_length = 0;
  bool cache_fill = false;
  // Standard errors of a backward operation (the job's `stderr` buffer, filled by the addon from
  // JobOutput::mean_stderr): wanted, the length of the given buffer, and L⁻¹ (matrix scale only, n×n).
  bool want_stderr = false;
  uint64_t stderr_length = 0;
  std::vector<double> inverse;
};

struct JobOutput {
  std::vector<float> value, stderr_;  // forward: B×m
  std::vector<double> mean;           // other ops: B×p×q, the covariate-corrected (1/S) Σ (g − β) hᵀ
  uint32_t p = 0, q = 0;
  std::vector<float> mean_stderr;     // with want_stderr: B×p×r, the standard error of each final element
};

// Shape (p, q) of the cross sums of an operation: g has p entries, h has q.
void op_shape(const EnginePlan& plan, int op, uint32_t& p, uint32_t& q);

// u → ε = F⁻¹(u), s = score(u) (median-of-k when the plan asks for it) for sample i of batch element b (keys prepared for b): the per-sample noise
// every engine's host code uses (the CPU engine's per-sample path and user streams, prepare_job).
inline void sample_noise(const EnginePlan& plan, const uint32_t* keys, uint32_t b, uint32_t i, double* u, double* eps, double* score) {
  sample_row(plan.sampler, keys, b, i, u);
  for (uint32_t d = 0; d < plan.n; d++) {
    const double uc = clip_u(u[d]);
    noise_from_u(plan.dist, plan.median_of, uc, eps + d, score + d);
  }
}

// The guard every engine's run_job starts with: a built-in box whose spec is valid (box_spec_valid: a known
// BoxKind, sizes that fit). False with `error` set otherwise: an unknown kind is an error, never another box.
bool check_builtin(const EnginePlan& plan, std::string& error);

// The setup every engine shares (built-in boxes, on the host, in a fixed order): f(x_b) for the fx covariate
// when the caller did not pass it, and for forward the moment shift: the output of sample 0 of each b.
// `seeded` is the plan with the job's seed.
void prepare_job(const EnginePlan& seeded, JobInput& in, std::vector<double>& shift);

// The finish every engine shares: per-b totals (sums_layout(op, p, q) each) → value/stderr, or the
// covariate-corrected mean (1/S) Σ (g − β) hᵀ. shift: the forward moment shift.
void finish_totals(const EnginePlan& plan, const JobInput& in, int op, uint32_t p, uint32_t q, const std::vector<double>& totals,
                   const std::vector<double>& shift, JobOutput& out);

// The most threads a job starts (README "Limits"): 4 × the hardware threads, at most 256, at least 1.
// A larger request (smooth({ threads }), STOCHASTIC_SMOOTHING_THREADS) is capped here whatever JS passed.
constexpr unsigned MAX_THREADS = 256;
inline unsigned thread_cap() {
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  return std::min(MAX_THREADS, hw > MAX_THREADS / 4 ? MAX_THREADS : 4 * hw);
}
// Threads a job with `requested` (0 = all hardware threads) runs on, capped; never more than its work items.
inline unsigned job_threads(unsigned requested, uint64_t items) {
  const unsigned want = requested ? requested : std::max(1u, std::thread::hardware_concurrency());
  return static_cast<unsigned>(std::max<uint64_t>(1, std::min<uint64_t>({want, thread_cap(), items})));
}

// Samples per work item, on every engine. Fixed, so that partial sums and their merge order never depend on
// threads or blocks: a work item is (b, samples [k·SAMPLES_PER_ITEM, min(S, (k+1)·SAMPLES_PER_ITEM))).
constexpr uint32_t SAMPLES_PER_ITEM = 1024;

// Standard errors of the backward operations (lib/accumulate.ts SquareSums, accumulate.h square_*): the width r
// of the mapped per-sample statistic w, i.e. of one row of the final estimate: n for vjp and jacobian (w = s L⁻¹),
// 1 for jvp (w = sᵀL⁻¹t, already final), 1, n or n² for the scale gradient (scale_gradient_map).
inline uint32_t stderr_width(const EnginePlan& plan, int op) {
  switch (op) {
    case OP_VJP:
    case OP_JACOBIAN: return plan.n;
    case OP_JVP: return 1;
    case OP_SCALE_GRADIENT: return scale_gradient_size(plan.scale);
    default: return 0;
  }
}

// The sums of one input for this job: with the second moments when the job wants standard errors.
inline SumsLayout job_layout(const EnginePlan& plan, const JobInput& in, int op, uint32_t p, uint32_t q) {
  return in.want_stderr && op != OP_FORWARD ? sums_layout_stderr(op, p, q, stderr_width(plan, op)) : sums_layout(op, p, q);
}

// One sample's share of the standard-error sums, after its cross sums: g (p values: the outputs f for jacobian
// and jvp, ⟨v, f⟩ for vjp and the scale gradient) against w, the operation's statistic (the score s for vjp and
// jacobian, h = sᵀL⁻¹t for jvp, the scale statistic h for the scale gradient) through its final map. `w` is
// scratch of stderr_width entries; `part` the sums of job_layout.
template <typename F>
inline void stderr_sample(const EnginePlan& plan, const JobInput& in, int op, uint32_t p, const F* f, const double* g, const double* score,
                          const double* h, double* w, double* part, const SumsLayout& L) {
  const uint32_t r = stderr_width(plan, op);
  const double* inv = in.inverse.empty() ? nullptr : in.inverse.data();
  switch (op) {
    case OP_VJP:
    case OP_JACOBIAN: inverse_right(plan.scale, inv, score, w); break;
    case OP_JVP: w[0] = h[0]; break;
    case OP_SCALE_GRADIENT: scale_gradient_map(plan.scale, inv, h, w); break;
    default: return;
  }
  if (op == OP_JACOBIAN || op == OP_JVP) {
    cross_add(part + L.Aw, part + L.aw, part + L.cw, p, r, f, w);
    square_add(part + L.Q, part + L.P, part + L.R, p, r, f, w);
  } else {
    cross_add(part + L.Aw, part + L.aw, part + L.cw, p, r, g, w);
    square_add(part + L.Q, part + L.P, part + L.R, p, r, g, w);
  }
}

}  // namespace ss
