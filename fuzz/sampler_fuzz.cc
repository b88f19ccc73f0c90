// libFuzzer target: the core samplers (native/core/samplers.h) on every configuration sampler_config_valid
// accepts, against their own contract: sample_block is sample_row bit for bit, sample_value is sample_row, u lies
// in (0, 1) (plain Sobol: [0, 1], its origin and the origin's antithetic mirror), antithetic odd rows are 1 − the even row exactly, and a Latin column
// hits every stratum once. Any violation traps; the sanitizers catch the rest. Build and run: fuzz/run.sh.
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_input.h"
#include "samplers.h"

namespace {
void fail_if(bool bad) {
  if (bad) __builtin_trap();
}
bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ss::fuzz::Input in(data, size);
  ss::SamplerConfig c{};
  c.sampler = static_cast<int>(in.u8() % 6);
  c.samples = in.size(4096);
  c.dims = 1 + in.u8() % 40;
  c.seed = in.seed();
  c.antithetic = in.flag();
  c.cartesian_k = in.flag() ? ss::cartesian_side(c.samples, c.dims) : in.size(8);
  std::vector<uint32_t> v(static_cast<size_t>(c.dims) * 32);
  for (auto& w : v) w = in.u32() | 1u;  // any direction integers are memory-safe; odd ones keep points distinct
  c.sobol_v = v.data();
  if (!ss::sampler_config_valid(c)) return 0;
  const uint32_t b = in.u32();
  std::vector<uint32_t> keys(std::max<uint64_t>(1, ss::batch_key_words64(c)));
  ss::prepare_batch_keys(c, b, keys.data());

  const uint32_t i0 = in.u32() % c.samples;
  const uint32_t room = c.samples - i0;
  const uint32_t want = 1 + in.u8() % 64;
  const uint32_t count = want < room ? want : room;
  std::vector<double> block(static_cast<size_t>(c.dims) * count);
  std::vector<uint32_t> scratch(ss::sample_block_scratch_words(count));
  ss::sample_block(c, keys.data(), b, i0, count, block.data(), count, scratch.data());
  std::vector<double> row(c.dims), prev(c.dims);
  const bool plain_sobol = c.sampler == ss::SAMPLER_SOBOL;
  for (uint32_t r = 0; r < count; r++) {
    const uint32_t i = i0 + r;
    ss::sample_row(c, keys.data(), b, i, row.data());
    for (uint32_t d = 0; d < c.dims; d++) {
      fail_if(!same_bits(row[d], block[static_cast<size_t>(d) * count + r]));
      fail_if(!same_bits(row[d], ss::sample_value(c, keys.data(), b, i, d)));
      // Plain Sobol: the origin and, antithetic, its mirror 1 are points (clipped when mapped through F⁻¹).
      fail_if(plain_sobol ? !(row[d] >= 0.0 && row[d] <= 1.0) : !(row[d] > 0.0 && row[d] < 1.0));
    }
    if (c.antithetic && (i & 1u)) {
      ss::sample_row(c, keys.data(), b, i - 1, prev.data());
      for (uint32_t d = 0; d < c.dims; d++) fail_if(!same_bits(row[d], 1.0 - prev[d]));
    }
  }
  // Latin: each dimension's strata ⌊u·S⌋ over all S rows are a permutation of 0..S−1 (small S only: cost S·dims).
  if ((c.sampler == ss::SAMPLER_QMC_LATIN || c.sampler == ss::SAMPLER_RQMC_LATIN) && c.samples <= 512) {
    std::vector<uint8_t> seen(static_cast<size_t>(c.dims) * c.samples, 0);
    for (uint32_t i = 0; i < c.samples; i++) {
      ss::sample_row(c, keys.data(), b, i, row.data());
      for (uint32_t d = 0; d < c.dims; d++) {
        const uint64_t s = static_cast<uint64_t>(row[d] * c.samples);
        fail_if(s >= c.samples || seen[static_cast<size_t>(d) * c.samples + s]++ != 0);
      }
    }
  }
  return 0;
}
