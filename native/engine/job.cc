// See job.h. The host steps before and after the sums, written once for every engine.
#include "job.h"

#include "checked.h"

namespace ss {

void EnginePlan::bind() {
  sampler.sobol_v = sobol_v.empty() ? nullptr : sobol_v.data();
  scale.sigma = sigma.empty() ? nullptr : sigma.data();
  scale.matrix = matrix.empty() ? nullptr : matrix.data();
}

EnginePlan EnginePlan::seeded(uint64_t seed) const {
  EnginePlan p = *this;
  p.sampler.seed = seed;
  p.bind();
  return p;  // moved or elided: the vectors keep their buffers, so the bound pointers stay valid
}

void op_shape(const EnginePlan& plan, int op, uint32_t& p, uint32_t& q) {
  switch (op) {
    case OP_VJP: p = 1; q = plan.n; break;
    case OP_JACOBIAN: p = plan.m; q = plan.n; break;
    case OP_JVP: p = plan.m; q = 1; break;
    case OP_SCALE_GRADIENT: p = 1; q = scale_statistic_size(plan.scale); break;
    default: p = plan.m; q = 0; break;  // forward: moments of the m outputs
  }
}

namespace {

// The baseline of the fx covariate for batch element b: f(x_b) (p = m) or ⟨v_b, f(x_b)⟩ (p = 1).
void fx_baseline(const EnginePlan& plan, const JobInput& in, int op, uint32_t b, std::vector<double>& out) {
  const uint32_t m = plan.m;
  const double* fx = in.fx.data() + static_cast<size_t>(b) * m;
  if (op == OP_VJP || op == OP_SCALE_GRADIENT) {
    const float* v = in.v.data() + static_cast<size_t>(b) * m;
    double acc = 0;
    for (uint32_t k = 0; k < m; k++) acc += static_cast<double>(v[k]) * fx[k];
    out.assign(1, acc);
  } else {
    out.assign(fx, fx + m);
  }
}

// The standard errors of every input (square_finish), into out.mean_stderr: B×p×r, final elements.
void finish_stderr(const EnginePlan& plan, const JobInput& in, int op, uint32_t p, const SumsLayout& L, const std::vector<double>& totals,
                   JobOutput& out) {
  const uint32_t B = in.batch, r = stderr_width(plan, op);
  const double S = plan.sampler.samples;
  const size_t size = static_cast<size_t>(p) * r;
  out.mean_stderr.resize(static_cast<size_t>(B) * size);
  std::vector<double> base;
  for (uint32_t b = 0; b < B; b++) {
    const double* tot = totals.data() + static_cast<size_t>(b) * L.total;
    if (plan.covariate == COVARIATE_FX) fx_baseline(plan, in, op, b, base);
    square_finish(plan.covariate, tot + L.Aw, tot + L.aw, tot + L.cw, tot + L.Q, tot + L.P, tot + L.R, S, base.empty() ? nullptr : base.data(), p, r,
                  out.mean_stderr.data() + static_cast<size_t>(b) * size);
  }
}

}  // namespace

bool check_builtin(const EnginePlan& plan, std::string& error) {
  if (!plan.builtin) {
    error = "run_job needs a built-in black box";
    return false;
  }
  if (!box_spec_valid(plan.box)) {
    error = "run_job: not a valid built-in box (kind " + std::to_string(plan.box.kind) + ", expected 0.." +
            std::to_string(BOX_KIND_COUNT - 1) + ", with sizes that fit)";
    return false;
  }
  return true;
}

void finish_totals(const EnginePlan& plan, const JobInput& in, int op, uint32_t p, uint32_t q, const std::vector<double>& totals,
                   const std::vector<double>& shift, JobOutput& out) {
  const uint32_t B = in.batch, m = plan.m;
  const double S = plan.sampler.samples;
  const SumsLayout L = job_layout(plan, in, op, p, q);
  out.p = p;
  out.q = q;
  if (op == OP_FORWARD) {
    out.value.resize(static_cast<size_t>(B) * m);
    out.stderr_.resize(static_cast<size_t>(B) * m);
    for (uint32_t b = 0; b < B; b++) {
      const double* tot = totals.data() + static_cast<size_t>(b) * L.total;
      moments_finish(tot, tot + m, shift.data() + static_cast<size_t>(b) * m, S, m, out.value.data() + static_cast<size_t>(b) * m,
                     out.stderr_.data() + static_cast<size_t>(b) * m);
    }
    return;
  }
  out.mean.resize(static_cast<size_t>(B) * p * q);
  std::vector<double> base;
  for (uint32_t b = 0; b < B; b++) {
    const double* tot = totals.data() + static_cast<size_t>(b) * L.total;
    if (plan.covariate == COVARIATE_FX) fx_baseline(plan, in, op, b, base);
    cross_finish(plan.covariate, tot + L.A, tot + L.a, tot + L.c, S, base.empty() ? nullptr : base.data(), p, q,
                 out.mean.data() + static_cast<size_t>(b) * p * q);
  }
  if (in.want_stderr) finish_stderr(plan, in, op, p, L, totals, out);
}

void prepare_job(const EnginePlan& seeded, JobInput& in, std::vector<double>& shift) {
  const uint32_t B = in.batch, n = seeded.n, m = seeded.m;
  const int op = in.op;
  std::vector<uint32_t> keys(to_size(std::max<uint64_t>(1, batch_key_words64(seeded.sampler)), "sampler key words"));
  std::vector<double> u(n), eps(n), score(n);
  std::vector<float> z(n), f(m);
  std::vector<uint64_t> box(seeded.builtin ? (box_scratch_bytes(seeded.box) + 7) / 8 + 1 : 1);  // 8-byte aligned
  if (op != OP_FORWARD && seeded.covariate == COVARIATE_FX && in.fx.empty()) {
    in.fx.resize(static_cast<size_t>(B) * m);
    for (uint32_t b = 0; b < B; b++) {
      evaluate_box(seeded.box, in.x.data() + static_cast<size_t>(b) * n, f.data(), box.data());
      for (uint32_t k = 0; k < m; k++) in.fx[static_cast<size_t>(b) * m + k] = f[k];
    }
  }
  shift.clear();
  if (op != OP_FORWARD) return;
  shift.assign(static_cast<size_t>(B) * m, 0.0);
  for (uint32_t b = 0; b < B; b++) {
    prepare_batch_keys(seeded.sampler, b, keys.data());
    sample_noise(seeded, keys.data(), b, 0, u.data(), eps.data(), score.data());
    perturb(seeded.scale, in.x.data() + static_cast<size_t>(b) * n, eps.data(), z.data());
    evaluate_box(seeded.box, z.data(), f.data(), box.data());
    for (uint32_t k = 0; k < m; k++) shift[static_cast<size_t>(b) * m + k] = f[k];
  }
}

}  // namespace ss
