// The cpu engine's hot loop without Node, for instruction counts under callgrind (a shared, noisy machine
// cannot time two versions of a loop; `valgrind --tool=callgrind` counts instructions exactly):
//   g++ -O3 -ffp-contract=off -std=c++17 -Inative/core -Inative/engine -Inative/cpu bench/native/hot_loop.cc native/engine/job.cc \
//       native/cpu/engine.cc -o /tmp/hot_loop -lpthread
//   STOCHASTIC_SMOOTHING_SIMD=avx2 valgrind --tool=callgrind /tmp/hot_loop ranks100 gaussian 4096 2
// Arguments: box (ranks100 | perm5 | path12), distribution name, S, B, and optionally the sampler (mc, the
// default, or rqmc-latin: the (a)/(b) workloads' sampler). One thread, loo covariate, forward then vjp: the
// workloads of bench/workloads.ts at a chosen size. Prints the level and a checksum.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "engine.h"
#include "simd.h"

using namespace ss;

int main(int argc, char** argv) {
  const std::string box = argc > 1 ? argv[1] : "ranks100";
  const std::string dist_name = argc > 2 ? argv[2] : "gaussian";
  const uint32_t S = argc > 3 ? static_cast<uint32_t>(atoi(argv[3])) : 4096;
  const uint32_t B = argc > 4 ? static_cast<uint32_t>(atoi(argv[4])) : 1;
  const char* names[] = {"gaussian", "logistic", "gumbel", "cauchy", "laplace", "triangular"};
  int dist = 0;
  for (int d = 0; d < 6; d++)
    if (dist_name == names[d]) dist = d;
  EnginePlan plan;
  plan.builtin = true;
  plan.box = box == "perm5" ? box_permutation(5) : box == "path12" ? box_shortest_path(12, 12) : box_ranks_spec(100);
  plan.n = box_input_size(plan.box);
  plan.m = box_output_size(plan.box);
  plan.dist = dist;
  plan.covariate = COVARIATE_LOO;
  const bool latin = argc > 5 && std::string(argv[5]) == "rqmc-latin";
  plan.sampler = SamplerConfig{latin ? SAMPLER_RQMC_LATIN : SAMPLER_MC, S, plan.n, 7, false, 0, nullptr};
  plan.sigma.assign(plan.n, 0.5);
  plan.scale = ScaleConfig{SCALE_SCALAR, plan.n, nullptr, nullptr};
  plan.bind();
  const bool path = box == "path12";
  JobInput in;
  in.batch = B;
  in.seed = 7;
  in.threads = 1;
  in.x.resize(static_cast<size_t>(B) * plan.n);
  for (size_t k = 0; k < in.x.size(); k++) in.x[k] = static_cast<float>(std::sin(12.9898 * k) * (path ? 0.5 : 1) + (path ? 1 : 0));
  in.v.resize(static_cast<size_t>(B) * plan.m);
  for (size_t k = 0; k < in.v.size(); k++) in.v[k] = static_cast<float>(std::cos(static_cast<double>(k)));
  std::atomic<bool> aborted{false};
  std::string error;
  JobOutput fwd, back;
  in.op = OP_FORWARD;
  if (!run_job(plan, in, fwd, aborted, [](uint64_t) {}, error)) return fprintf(stderr, "%s\n", error.c_str()), 1;
  in.op = OP_VJP;
  if (!run_job(plan, in, back, aborted, [](uint64_t) {}, error)) return fprintf(stderr, "%s\n", error.c_str()), 1;
  double check = 0;
  for (float v : fwd.value) check += v;
  for (double g : back.mean) check += g;
  printf("level %s, checksum %.17g\n", simd_level_name(simd_level()), check);
  return 0;
}
