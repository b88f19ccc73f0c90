// See engine.h. The per-sample math all comes from native/core (shared with the CUDA kernels); this file
// only schedules it: work items (b, block of SAMPLES_PER_ITEM samples) in b-major order, computed in waves
// by a few threads into per-item partial sums, merged in item order. The merge order is fixed, so a result
// is bit-identical for any thread count.
#include "engine.h"

#include <algorithm>
#include <cstring>
#include <thread>

#include "distributions.h"

namespace ss {

void EnginePlan::bind() {
  sampler.sobol_v = sobol_v.empty() ? nullptr : sobol_v.data();
  scale.sigma = sigma.empty() ? nullptr : sigma.data();
  scale.matrix = matrix.empty() ? nullptr : matrix.data();
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

// Per-thread buffers for one sample at a time.
struct Scratch {
  std::vector<uint32_t> keys;
  std::vector<double> u, eps, score, h, g;
  std::vector<float> z, f;
  std::vector<uint64_t> box;  // 8-byte aligned scratch for evaluate_box
  int64_t keys_b = -1;

  Scratch(const EnginePlan& plan, uint32_t p, uint32_t q) {
    keys.resize(std::max<uint32_t>(1, batch_key_words(plan.sampler)));
    u.resize(plan.n); eps.resize(plan.n); score.resize(plan.n);
    h.resize(std::max<uint32_t>(1, q)); g.resize(std::max<uint32_t>(1, p));
    z.resize(plan.n); f.resize(plan.m);
    box.resize(plan.builtin ? (box_scratch_bytes(plan.box) + 7) / 8 + 1 : 1);
  }
  void prepare(const EnginePlan& plan, uint32_t b) {
    if (keys_b != b) {
      prepare_batch_keys(plan.sampler, b, keys.data());
      keys_b = b;
    }
  }
};

// u → ε = F⁻¹(u), s = score(u) for sample i of batch element b (keys prepared for b).
inline void make_noise(const EnginePlan& plan, const uint32_t* keys, uint32_t b, uint32_t i, double* u, double* eps, double* score) {
  sample_row(plan.sampler, keys, b, i, u);
  for (uint32_t d = 0; d < plan.n; d++) {
    const double uc = clip_u(u[d]);
    eps[d] = icdf(plan.dist, uc);
    score[d] = score_from_u(plan.dist, uc);
  }
}

// Add one evaluated sample to cross sums (A, a, c), for the operation's g and h.
inline void cross_sample(const EnginePlan& plan, const JobInput& in, int op, uint32_t b, uint32_t p, uint32_t q, const float* f,
                         const double* eps, const double* score, double* g, double* h, double* A, double* a, double* c) {
  const uint32_t n = plan.n, m = plan.m;
  switch (op) {
    case OP_VJP:
    case OP_SCALE_GRADIENT: {
      const float* v = in.v.data() + static_cast<size_t>(b) * m;
      double acc = 0;
      for (uint32_t k = 0; k < m; k++) acc += static_cast<double>(v[k]) * f[k];
      g[0] = acc;
      if (op == OP_VJP) cross_add(A, a, c, 1, n, g, score);
      else {
        scale_statistic(plan.scale, score, eps, h);
        cross_add(A, a, c, 1, q, g, h);
      }
      break;
    }
    case OP_JACOBIAN:
      cross_add(A, a, c, p, n, f, score);
      break;
    case OP_JVP: {
      const double* dir = in.dir.data() + static_cast<size_t>(b) * n;
      double acc = 0;
      for (uint32_t j = 0; j < n; j++) acc += score[j] * dir[j];
      h[0] = acc;
      cross_add(A, a, c, p, 1, f, h);
      break;
    }
    default:
      break;
  }
}

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

struct Layout {
  size_t A, a, c, total;  // offsets of A (p×q), a (p), c (q) in one partial; forward: sum (m), sum_sq (m)
};

Layout layout(int op, uint32_t p, uint32_t q) {
  if (op == OP_FORWARD) return {0, p, 0, 2 * static_cast<size_t>(p)};
  const size_t pq = static_cast<size_t>(p) * q;
  return {0, pq, pq + p, pq + p + q};
}

}  // namespace

bool run_job(const EnginePlan& plan, const JobInput& in0, JobOutput& out, const std::atomic<bool>& aborted,
             const std::function<void(uint64_t)>& progress, std::string& error) {
  if (!plan.builtin) {
    error = "run_job needs a built-in black box";
    return false;
  }
  const uint32_t B = in0.batch, n = plan.n, m = plan.m, S = plan.sampler.samples;
  uint32_t p, q;
  op_shape(plan, in0.op, p, q);
  const int op = in0.op;
  const Layout L = layout(op, p, q);
  EnginePlan local = plan;
  local.sampler.seed = in0.seed;
  local.bind();

  // f(x_b) for the fx covariate (built-ins are evaluated here; order fixed, single-threaded).
  JobInput in = in0;
  std::vector<float> tmp(m);
  {
    std::vector<uint64_t> box((box_scratch_bytes(plan.box) + 7) / 8 + 1);
    if (op != OP_FORWARD && plan.covariate == COVARIATE_FX && in.fx.empty()) {
      in.fx.resize(static_cast<size_t>(B) * m);
      for (uint32_t b = 0; b < B; b++) {
        evaluate_box(plan.box, in.x.data() + static_cast<size_t>(b) * n, tmp.data(), box.data());
        for (uint32_t k = 0; k < m; k++) in.fx[static_cast<size_t>(b) * m + k] = tmp[k];
      }
    }
  }

  // Forward: the moment shift of b is the output of its sample 0 (as in MomentSums).
  std::vector<double> shift;
  if (op == OP_FORWARD) {
    shift.assign(static_cast<size_t>(B) * m, 0.0);
    Scratch s(local, p, q);
    for (uint32_t b = 0; b < B; b++) {
      s.prepare(local, b);
      make_noise(local, s.keys.data(), b, 0, s.u.data(), s.eps.data(), s.score.data());
      perturb(local.scale, in.x.data() + static_cast<size_t>(b) * n, s.eps.data(), s.z.data());
      evaluate_box(local.box, s.z.data(), s.f.data(), s.box.data());
      for (uint32_t k = 0; k < m; k++) shift[static_cast<size_t>(b) * m + k] = s.f[k];
    }
  }

  const uint32_t blocks = (S + SAMPLES_PER_ITEM - 1) / SAMPLES_PER_ITEM;
  const uint64_t items = static_cast<uint64_t>(B) * blocks;
  unsigned threads = in.threads ? in.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<uint64_t>(threads, items));
  const uint64_t wave = std::max<uint64_t>(threads * 4ull, 16ull);

  std::vector<double> totals(static_cast<size_t>(B) * L.total, 0.0);
  std::vector<double> partials(static_cast<size_t>(std::min<uint64_t>(wave, items)) * L.total);
  std::vector<Scratch> scratch;
  scratch.reserve(threads);
  for (unsigned t = 0; t < threads; t++) scratch.emplace_back(local, p, q);

  uint64_t done = 0;
  for (uint64_t w0 = 0; w0 < items; w0 += wave) {
    const uint64_t w1 = std::min(items, w0 + wave);
    std::atomic<uint64_t> next{w0};
    auto worker = [&](unsigned t) {
      Scratch& s = scratch[t];
      for (;;) {
        const uint64_t item = next.fetch_add(1);
        if (item >= w1 || aborted.load(std::memory_order_relaxed)) return;
        const uint32_t b = static_cast<uint32_t>(item / blocks);
        const uint32_t start = static_cast<uint32_t>(item % blocks) * SAMPLES_PER_ITEM;
        const uint32_t end = std::min(S, start + SAMPLES_PER_ITEM);
        double* part = partials.data() + (item - w0) * L.total;
        std::fill(part, part + L.total, 0.0);
        s.prepare(local, b);
        const float* xb = in.x.data() + static_cast<size_t>(b) * n;
        for (uint32_t i = start; i < end; i++) {
          make_noise(local, s.keys.data(), b, i, s.u.data(), s.eps.data(), s.score.data());
          perturb(local.scale, xb, s.eps.data(), s.z.data());
          evaluate_box(local.box, s.z.data(), s.f.data(), s.box.data());
          if (op == OP_FORWARD) moments_add(part, part + m, shift.data() + static_cast<size_t>(b) * m, m, s.f.data());
          else cross_sample(local, in, op, b, p, q, s.f.data(), s.eps.data(), s.score.data(), s.g.data(), s.h.data(), part + L.A, part + L.a, part + L.c);
        }
      }
    };
    if (threads == 1) worker(0);
    else {
      std::vector<std::thread> pool;
      for (unsigned t = 0; t < threads; t++) pool.emplace_back(worker, t);
      for (auto& th : pool) th.join();
    }
    if (aborted.load()) {
      error = "aborted";
      return false;
    }
    // Merge in item order: the only reduction order there is.
    for (uint64_t item = w0; item < w1; item++) {
      const uint32_t b = static_cast<uint32_t>(item / blocks);
      double* tot = totals.data() + static_cast<size_t>(b) * L.total;
      const double* part = partials.data() + (item - w0) * L.total;
      for (size_t k = 0; k < L.total; k++) tot[k] += part[k];
      const uint32_t start = static_cast<uint32_t>(item % blocks) * SAMPLES_PER_ITEM;
      done += std::min(S, start + SAMPLES_PER_ITEM) - start;
    }
    progress(done);
  }

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
    return true;
  }
  out.mean.resize(static_cast<size_t>(B) * p * q);
  std::vector<double> base;
  for (uint32_t b = 0; b < B; b++) {
    const double* tot = totals.data() + static_cast<size_t>(b) * L.total;
    if (plan.covariate == COVARIATE_FX) fx_baseline(plan, in, op, b, base);
    cross_finish(plan.covariate, tot + L.A, tot + L.a, tot + L.c, S, base.empty() ? nullptr : base.data(), p, q,
                 out.mean.data() + static_cast<size_t>(b) * p * q);
  }
  return true;
}

UserStream::UserStream(const EnginePlan& plan, JobInput in, uint32_t chunk) : plan_(plan), in_(std::move(in)), chunk_(chunk) {
  plan_.sampler.seed = in_.seed;
  plan_.bind();
  op_shape(plan_, in_.op, p_, q_);
  const Layout L = layout(in_.op, p_, q_);
  keys_.resize(std::max<uint32_t>(1, batch_key_words(plan_.sampler)));
  u_.resize(plan_.n);
  eps_.resize(static_cast<size_t>(chunk_) * plan_.n);
  score_.resize(static_cast<size_t>(chunk_) * plan_.n);
  h_.resize(std::max<uint32_t>(1, q_));
  g_.resize(std::max<uint32_t>(1, p_));
  totals_.assign(static_cast<size_t>(in_.batch) * L.total, 0.0);
  shift_.assign(static_cast<size_t>(in_.batch) * plan_.m, 0.0);
}

void UserStream::noise(uint32_t b, uint32_t start, uint32_t count, float* z) {
  if (keys_b_ != b) {
    prepare_batch_keys(plan_.sampler, b, keys_.data());
    keys_b_ = b;
  }
  const uint32_t n = plan_.n;
  for (uint32_t r = 0; r < count; r++) {
    double* e = eps_.data() + static_cast<size_t>(r) * n;
    double* s = score_.data() + static_cast<size_t>(r) * n;
    make_noise(plan_, keys_.data(), b, start + r, u_.data(), e, s);
    perturb(plan_.scale, in_.x.data() + static_cast<size_t>(b) * n, e, z + static_cast<size_t>(r) * n);
  }
  b_ = b;
  start_ = start;
  count_ = count;
}

void UserStream::accumulate(const float* outputs) {
  const uint32_t n = plan_.n, m = plan_.m;
  const Layout L = layout(in_.op, p_, q_);
  double* tot = totals_.data() + static_cast<size_t>(b_) * L.total;
  double* shift = shift_.data() + static_cast<size_t>(b_) * m;
  if (in_.op == OP_FORWARD && start_ == 0) for (uint32_t k = 0; k < m; k++) shift[k] = outputs[k];
  for (uint32_t r = 0; r < count_; r++) {
    const float* f = outputs + static_cast<size_t>(r) * m;
    if (in_.op == OP_FORWARD) moments_add(tot, tot + m, shift, m, f);
    else cross_sample(plan_, in_, in_.op, b_, p_, q_, f, eps_.data() + static_cast<size_t>(r) * n, score_.data() + static_cast<size_t>(r) * n,
                      g_.data(), h_.data(), tot + L.A, tot + L.a, tot + L.c);
  }
}

void UserStream::finish(JobOutput& out) {
  const uint32_t B = in_.batch, m = plan_.m;
  const double S = plan_.sampler.samples;
  const Layout L = layout(in_.op, p_, q_);
  out.p = p_;
  out.q = q_;
  if (in_.op == OP_FORWARD) {
    out.value.resize(static_cast<size_t>(B) * m);
    out.stderr_.resize(static_cast<size_t>(B) * m);
    for (uint32_t b = 0; b < B; b++) {
      const double* tot = totals_.data() + static_cast<size_t>(b) * L.total;
      moments_finish(tot, tot + m, shift_.data() + static_cast<size_t>(b) * m, S, m, out.value.data() + static_cast<size_t>(b) * m,
                     out.stderr_.data() + static_cast<size_t>(b) * m);
    }
    return;
  }
  out.mean.resize(static_cast<size_t>(B) * p_ * q_);
  std::vector<double> base;
  for (uint32_t b = 0; b < B; b++) {
    const double* tot = totals_.data() + static_cast<size_t>(b) * L.total;
    if (plan_.covariate == COVARIATE_FX) fx_baseline(plan_, in_, in_.op, b, base);
    cross_finish(plan_.covariate, tot + L.A, tot + L.a, tot + L.c, S, base.empty() ? nullptr : base.data(), p_, q_,
                 out.mean.data() + static_cast<size_t>(b) * p_ * q_);
  }
}

}  // namespace ss
