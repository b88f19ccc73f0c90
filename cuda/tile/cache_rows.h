// The output cache's rows as the tile code sees them (the layout is native/engine/output_cache.h's, which
// lib/output-cache.ts shares): 0/1 boxes keep one bit per output, each batch element's S·m bits from a byte
// boundary; ranks keep uint8 / uint16 / uint32 integers. Within a batch element's segment, output r of sample i is
// bit (or element) i·m + r. The accessors and the launch's cache fields live here; the stages that fill and read
// the cache are tile/cache.h.
#pragma once
#include <cstdint>

#include "output_cache.h"  // CacheFormat
#include "block/exec.h"
#include "tile/args.h"

namespace ss {
namespace gpu {

/** FusedArgs::cache_mode: no cache, a forward launch filling it, a backward launch reading it. */
constexpr int CACHE_OFF = 0;
constexpr int CACHE_WRITE = 1;
constexpr int CACHE_READ = 2;

/** Bit `bit` of a bits-format segment starting at base (least significant bit first, as output_cache.h). */
SSG_HD uint32_t cache_bit(const uint8_t* base, uint64_t bit) { return (base[bit >> 3] >> (bit & 7)) & 1u; }

/** Element `at` of an integer-format segment (uint8 / uint16 / uint32). */
SSG_HD uint32_t cache_int(const uint8_t* base, int format, uint64_t at) {
  if (format == CACHE_U8) return base[at];
  if (format == CACHE_U16) return reinterpret_cast<const uint16_t*>(base)[at];
  return reinterpret_cast<const uint32_t*>(base)[at];
}

SSG_HD void cache_put_int(uint8_t* base, int format, uint64_t at, uint32_t v) {
  if (format == CACHE_U8) base[at] = static_cast<uint8_t>(v);
  else if (format == CACHE_U16) reinterpret_cast<uint16_t*>(base)[at] = static_cast<uint16_t>(v);
  else reinterpret_cast<uint32_t*>(base)[at] = v;
}

/** Bytes of one batch element's segment: ⌈S·m/8⌉ for bits, S·m·width for ranks (cache_bytes / B). */
inline uint64_t cache_segment_bytes(int format, uint64_t S, uint64_t m) {
  if (format == CACHE_BITS) return (S * m + 7) / 8;
  return S * m * (format == CACHE_U8 ? 1 : format == CACHE_U16 ? 2 : 4);
}

/**
 * Points a launch at the device copy of a job's cache (`data`, laid out for the plan's box, S samples, m outputs);
 * `fill`: the forward job writes it, otherwise the launch reads it. Every writer of a bits segment owns whole
 * bytes only if work items start at multiples of 8 samples (SAMPLES_PER_ITEM is; the tests keep to it).
 */
inline void set_cache(FusedArgs& a, uint8_t* data, const BoxSpec& box, uint32_t S, uint32_t m, bool fill) {
  a.cache = data;
  a.cache_format = cache_format(box);
  a.cache_segment = cache_segment_bytes(a.cache_format, S, m);
  a.cache_mode = data == nullptr ? CACHE_OFF : fill ? CACHE_WRITE : CACHE_READ;
}

}  // namespace gpu
}  // namespace ss
