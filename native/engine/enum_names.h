// The names under which each enum of the native side crosses the JS boundary, in enum order. The addons
// export these tables (`addon.enums`, addon_common.h) and the JS loader (lib/backends/native/addon.ts) compares them
// with its own lists at load time, refusing an addon whose order differs: positions travel across the
// boundary, so a reordered enum would otherwise be a silent wrong answer. The static_asserts below pin each
// table to its enum (one name per value, in order), so an enum and its table cannot drift apart either.
#pragma once
#include <cstddef>

#include "accumulate.h"
#include "blackbox.h"
#include "distributions.h"
#include "ops.h"
#include "samplers.h"
#include "scale.h"

namespace ss {

/** One exported table: its key in `addon.enums`, its names in enum order. */
struct EnumTable {
  const char* key;
  const char* const* names;
  size_t count;
};

constexpr const char* DISTRIBUTION_NAMES[] = {"gaussian", "logistic", "gumbel", "cauchy", "laplace", "triangular"};
constexpr const char* SAMPLER_NAMES[] = {"mc", "qmc-latin", "rqmc-latin", "rqmc-cartesian", "sobol", "rqmc-sobol"};
constexpr const char* BOX_NAMES[] = {"permutation", "ranks", "argmax", "topk", "shortestPath"};
constexpr const char* OP_NAMES[] = {"forward", "vjp", "jacobian", "jvp", "scaleGradient"};
constexpr const char* COVARIATE_NAMES[] = {"none", "fx", "loo"};
constexpr const char* SCALE_NAMES[] = {"scalar", "diagonal", "matrix"};

template <typename T, size_t N>
constexpr size_t count_of(T (&)[N]) { return N; }

static_assert(count_of(DISTRIBUTION_NAMES) == DISTRIBUTION_COUNT && DIST_GAUSSIAN == 0 && DIST_LOGISTIC == 1 && DIST_GUMBEL == 2 &&
                  DIST_CAUCHY == 3 && DIST_LAPLACE == 4 && DIST_TRIANGULAR == 5,
              "DISTRIBUTION_NAMES must list DistributionKind in order");
static_assert(count_of(SAMPLER_NAMES) == SAMPLER_COUNT && SAMPLER_MC == 0 && SAMPLER_QMC_LATIN == 1 && SAMPLER_RQMC_LATIN == 2 &&
                  SAMPLER_RQMC_CARTESIAN == 3 && SAMPLER_SOBOL == 4 && SAMPLER_RQMC_SOBOL == 5,
              "SAMPLER_NAMES must list SamplerKind in order");
static_assert(count_of(BOX_NAMES) == BOX_KIND_COUNT && BOX_PERMUTATION == 0 && BOX_RANKS == 1 && BOX_ARGMAX == 2 && BOX_TOPK == 3 &&
                  BOX_SHORTEST_PATH == 4,
              "BOX_NAMES must list BoxKind in order");
static_assert(count_of(OP_NAMES) == OP_COUNT && OP_FORWARD == 0 && OP_VJP == 1 && OP_JACOBIAN == 2 && OP_JVP == 3 && OP_SCALE_GRADIENT == 4,
              "OP_NAMES must list Op in order");
static_assert(count_of(COVARIATE_NAMES) == COVARIATE_LOO + 1 && COVARIATE_NONE == 0 && COVARIATE_FX == 1,
              "COVARIATE_NAMES must list Covariate in order");
static_assert(count_of(SCALE_NAMES) == SCALE_MATRIX + 1 && SCALE_SCALAR == 0 && SCALE_DIAGONAL == 1,
              "SCALE_NAMES must list ScaleKind in order");

/** Every table, under the keys of `addon.enums` (lib/backends/native/addon.ts, NATIVE_ENUMS). */
constexpr EnumTable ENUM_TABLES[] = {
    {"distributions", DISTRIBUTION_NAMES, count_of(DISTRIBUTION_NAMES)},
    {"samplers", SAMPLER_NAMES, count_of(SAMPLER_NAMES)},
    {"boxes", BOX_NAMES, count_of(BOX_NAMES)},
    {"ops", OP_NAMES, count_of(OP_NAMES)},
    {"covariates", COVARIATE_NAMES, count_of(COVARIATE_NAMES)},
    {"scales", SCALE_NAMES, count_of(SCALE_NAMES)},
};

}  // namespace ss
