// The output cache of a built-in box (smooth option outputCache; the layout is lib/output-cache.ts's): a forward
// job writes the output of every (b, sample) into a JS-owned buffer, the backward jobs read it instead of
// evaluating the box. 0/1 boxes keep one bit per output, each batch element's S·m bits from a byte boundary
// (work items start at multiples of SAMPLES_PER_ITEM samples, so two items never share a byte); ranks keep
// uint8 / uint16 / uint32 integers, element (b·S + i)·m + k. Host-only, like the rest of native/engine/.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

#include "blackbox.h"
#include "checked.h"

namespace ss {

enum CacheFormat : int { CACHE_BITS = 0, CACHE_U8 = 1, CACHE_U16 = 2, CACHE_U32 = 3 };

inline CacheFormat cache_format(const BoxSpec& box) {
  if (box.kind != BOX_RANKS) return CACHE_BITS;
  return box.n <= 256 ? CACHE_U8 : box.n <= 65536 ? CACHE_U16 : CACHE_U32;
}

// Bytes of the cache for B inputs of S samples of m outputs; false when the size overflows 64 bits.
inline bool cache_bytes(const BoxSpec& box, uint64_t B, uint64_t S, uint64_t m, uint64_t& out) {
  uint64_t t = 0;
  const CacheFormat f = cache_format(box);
  if (f == CACHE_BITS) {
    uint64_t seg = 0;
    return checked_mul(S, m, t) && checked_add(t / 8, t % 8 != 0, seg) && checked_mul(B, seg, out);
  }
  const uint64_t width = f == CACHE_U8 ? 1 : f == CACHE_U16 ? 2 : 4;
  return checked_mul(B, S, t) && checked_mul(t, m, t) && checked_mul(t, width, out);
}

// The cache of one job: `data` points into the JS ArrayBuffer (kept alive by the addon for the job's duration).
struct OutputCacheView {
  uint8_t* data = nullptr;
  uint64_t bytes = 0;
  bool fill = false;  // forward: write; backward jobs: read
  CacheFormat format = CACHE_BITS;
  uint64_t samples = 0, m = 0, segment = 0;  // segment: bytes per batch element (bits)

  bool active() const { return data != nullptr; }
  bool reading() const { return data != nullptr && !fill; }
  bool writing() const { return data != nullptr && fill; }

  void bind(const BoxSpec& box, uint32_t S, uint32_t m_) {
    format = cache_format(box);
    samples = S;
    m = m_;
    segment = (static_cast<uint64_t>(S) * m_ + 7) / 8;
  }
  uint64_t element(uint32_t b, uint32_t i) const { return (b * samples + i) * m; }
  uint64_t bit_row(uint32_t b, uint32_t i, uint64_t& byte_base) const {
    byte_base = b * segment;
    return static_cast<uint64_t>(i) * m;
  }

  // Ranks (permutation is a 0/1 box: its ones are support positions): rk[k] for k < m.
  void store_ranks(uint32_t b, uint32_t i, const uint32_t* rk) const {
    const uint64_t at = element(b, i);
    if (format == CACHE_U8) for (uint64_t k = 0; k < m; k++) data[at + k] = static_cast<uint8_t>(rk[k]);
    else if (format == CACHE_U16) {
      uint16_t* d = reinterpret_cast<uint16_t*>(data);
      for (uint64_t k = 0; k < m; k++) d[at + k] = static_cast<uint16_t>(rk[k]);
    } else memcpy(reinterpret_cast<uint32_t*>(data) + at, rk, m * sizeof(uint32_t));
  }
  void load_ranks(uint32_t b, uint32_t i, uint32_t* rk) const {
    const uint64_t at = element(b, i);
    if (format == CACHE_U8) for (uint64_t k = 0; k < m; k++) rk[k] = data[at + k];
    else if (format == CACHE_U16) {
      const uint16_t* d = reinterpret_cast<const uint16_t*>(data);
      for (uint64_t k = 0; k < m; k++) rk[k] = d[at + k];
    } else memcpy(rk, reinterpret_cast<const uint32_t*>(data) + at, m * sizeof(uint32_t));
  }

  // 0/1 outputs as their support (positions of the ones, any order); the row's other bits are cleared.
  void store_support(uint32_t b, uint32_t i, const uint32_t* idx, uint32_t ns) const {
    uint64_t base = 0;
    const uint64_t bit0 = bit_row(b, i, base);
    for (uint64_t k = 0; k < m; k++) {
      const uint64_t bit = bit0 + k;
      data[base + bit / 8] &= static_cast<uint8_t>(~(1u << (bit % 8)));
    }
    for (uint32_t t = 0; t < ns; t++) {
      const uint64_t bit = bit0 + idx[t];
      data[base + bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
    }
  }
  // The support in ascending order (the order box_support gives for permutation, argmax and topk, and the order
  // the engine sorts a path's cells into); returns how many, at most `cap` (idx's room: box_support_max), so that
  // a buffer the engine did not fill can never make it write past idx.
  uint32_t load_support(uint32_t b, uint32_t i, uint32_t* idx, uint32_t cap) const {
    uint64_t base = 0;
    const uint64_t bit0 = bit_row(b, i, base);
    uint32_t ns = 0;
    for (uint64_t k = 0; k < m && ns < cap; k++) {
      const uint64_t bit = bit0 + k;
      if ((data[base + bit / 8] >> (bit % 8)) & 1u) idx[ns++] = static_cast<uint32_t>(k);
    }
    return ns;
  }

  // The dense outputs (what evaluate_box writes), for the generic path: exact integers 0/1 or ranks.
  void store_dense(uint32_t b, uint32_t i, const float* f) const {
    if (format == CACHE_BITS) {
      uint64_t base = 0;
      const uint64_t bit0 = bit_row(b, i, base);
      for (uint64_t k = 0; k < m; k++) {
        const uint64_t bit = bit0 + k;
        const uint8_t mask = static_cast<uint8_t>(1u << (bit % 8));
        if (f[k] != 0) data[base + bit / 8] |= mask;
        else data[base + bit / 8] &= static_cast<uint8_t>(~mask);
      }
      return;
    }
    const uint64_t at = element(b, i);
    for (uint64_t k = 0; k < m; k++) {
      const uint32_t r = static_cast<uint32_t>(f[k]);
      if (format == CACHE_U8) data[at + k] = static_cast<uint8_t>(r);
      else if (format == CACHE_U16) reinterpret_cast<uint16_t*>(data)[at + k] = static_cast<uint16_t>(r);
      else reinterpret_cast<uint32_t*>(data)[at + k] = r;
    }
  }
  void load_dense(uint32_t b, uint32_t i, float* f) const {
    if (format == CACHE_BITS) {
      uint64_t base = 0;
      const uint64_t bit0 = bit_row(b, i, base);
      for (uint64_t k = 0; k < m; k++) {
        const uint64_t bit = bit0 + k;
        f[k] = static_cast<float>((data[base + bit / 8] >> (bit % 8)) & 1u);
      }
      return;
    }
    const uint64_t at = element(b, i);
    for (uint64_t k = 0; k < m; k++) {
      const uint32_t r = format == CACHE_U8 ? data[at + k] : format == CACHE_U16 ? reinterpret_cast<const uint16_t*>(data)[at + k] : reinterpret_cast<const uint32_t*>(data)[at + k];
      f[k] = static_cast<float>(r);
    }
  }
};

}  // namespace ss
