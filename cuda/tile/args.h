// Everything one launch of the tile code reads (FusedArgs) and the status bits it may set: the job's plan on the
// device (sampler, scale, box), the operation and its sums layout (native/engine/ops.h), the work-item grid and
// the workspace shape.
#pragma once
#include <cstdint>

#include "blackbox.h"
#include "checked.h"  // items_for
#include "ops.h"
#include "samplers.h"
#include "scale.h"
#include "tile/workspace.h"

namespace ss {
namespace gpu {

/** Everything a fused kernel (or a user-box accumulation) reads; device pointers on the device. */
struct FusedArgs {
  SamplerConfig sampler;  // seed = the job's seed; sobol_v on the device
  int dist;               // DistributionKind
  ScaleConfig scale;      // sigma / matrix on the device
  BoxSpec box;
  int op;                 // Op (ops.h)
  uint32_t n, m, p, q;    // op_shape(plan, op): g has p entries, h has q
  SumsLayout L;
  uint32_t S;             // samples per batch element
  uint32_t spi;           // samples per work item
  uint32_t items_per_b;   // ⌈S / spi⌉
  uint64_t item0;         // first item of this launch (a wave)
  uint32_t key_words;     // batch_key_words(sampler)
  uint32_t keys_b0;       // keys hold batch elements keys_b0, keys_b0 + 1, ...
  const uint32_t* keys;   // key_words per batch element
  const float* x;         // B×n inputs
  const float* v;         // B×m (vjp, scale gradient)
  const double* dir;      // B×n, L⁻¹t (jvp)
  const double* shift;    // B×m, the forward moment shift (sample 0's output)
  double* part;           // per item of the launch: L.total doubles
  bool store_s;           // scores kept (every op but forward)
  bool store_e;           // ε kept (matrix scale, scale gradient)
  TileShape shape;
  char* gws;              // global workspace (launch items × shape.bytes) when shape.bytes exceeds shared memory
  uint32_t max_sweeps;    // shortest path: relaxation sweeps before giving up
  unsigned int* status;   // set non-zero on an internal failure (relaxation or trace-back)
  int median_of;          // k of median-of-k noise (core/median.h); 0 or 1: plain noise. Set by the caller from the plan
  // Standard errors (job.stderr; with_stderr): L is then sums_layout_stderr, w has r entries per sample, and
  // inverse is L⁻¹ on the device (matrix scale; null otherwise).
  bool want_stderr;
  uint32_t r;
  const double* inverse;
  // The output cache on the device (tile/cache.h; layout of native/engine/output_cache.h): a forward launch writes
  // every sample's outputs (cache_mode CACHE_WRITE), a backward launch reads them instead of evaluating the box
  // (CACHE_READ). cache_segment: bytes per batch element. Set by the caller (set_cache); null: no cache.
  uint8_t* cache;
  uint64_t cache_segment;
  int cache_format;  // CacheFormat (output_cache.h)
  int cache_mode;    // CACHE_OFF, CACHE_WRITE or CACHE_READ (tile/cache_rows.h)
};

/**
 * The fields of FusedArgs that follow from the job, as every caller (the engine, its user streams, the tests)
 * fills them: the configs (with device pointers inside on the device), the operation and its sums layout, the
 * item grid (spi = 0: no grid, user streams), and which per-sample arrays a tile keeps: scores for every operation
 * but forward, ε for matrix scales and the scale gradient. Pointers, keys, the wave and the shape are the caller's.
 */
inline FusedArgs fused_args(const SamplerConfig& sampler, int dist, const ScaleConfig& scale, const BoxSpec& box, int op, uint32_t n,
                            uint32_t m, uint32_t p, uint32_t q, uint32_t spi) {
  FusedArgs a{};
  a.sampler = sampler;
  a.dist = dist;
  a.scale = scale;
  a.box = box;
  a.op = op;
  a.n = n;
  a.m = m;
  a.p = p;
  a.q = q;
  a.L = sums_layout(op, p, q);
  a.S = sampler.samples;
  a.spi = spi;
  a.items_per_b = spi == 0 ? 0 : items_for(a.S, spi);
  a.store_s = op != OP_FORWARD;
  a.store_e = scale.kind == SCALE_MATRIX || op == OP_SCALE_GRADIENT;
  return a;
}

/** Keep the standard-error sums too (accumulate.h square_*): the layout grows by the sums of w (r entries). */
inline void with_stderr(FusedArgs& a, uint32_t r, const double* inverse) {
  a.want_stderr = true;
  a.r = r;
  a.inverse = inverse;
  a.L = sums_layout_stderr(a.op, a.p, a.q, r);
}

/** Status bits written to FusedArgs::status. */
constexpr unsigned int STATUS_NOT_CONVERGED = 1u;
constexpr unsigned int STATUS_NO_PREDECESSOR = 2u;

}  // namespace gpu
}  // namespace ss
