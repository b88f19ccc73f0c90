// Overflow-checked size arithmetic for the host side (addons, engines, tests). Every product or sum of sizes
// (n, m, B, S, chunk, key words, bytes) that feeds an allocation, a loop bound or a buffer-length check goes
// through these, in 64 bits: a wrap would turn a huge request into a small buffer and a heap overflow.
// Host-only (no SS_HD): device code receives sizes the host has already checked.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace ss {

/** a·b into out; false (out unchanged) when the product does not fit 64 bits. */
inline bool checked_mul(uint64_t a, uint64_t b, uint64_t& out) {
  if (a != 0 && b > UINT64_MAX / a) return false;
  out = a * b;
  return true;
}

/** a + b into out; false (out unchanged) when the sum does not fit 64 bits. */
inline bool checked_add(uint64_t a, uint64_t b, uint64_t& out) {
  if (b > UINT64_MAX - a) return false;
  out = a + b;
  return true;
}

/** A size computation that overflowed: a mistake of the caller's checks, reported, never wrapped. */
struct SizeOverflow : std::length_error {
  explicit SizeOverflow(const std::string& what) : std::length_error("size overflow: " + what) {}
};

/** a·b, or SizeOverflow naming `what`. */
inline uint64_t mul_or_throw(uint64_t a, uint64_t b, const char* what) {
  uint64_t r = 0;
  if (!checked_mul(a, b, r)) throw SizeOverflow(what);
  return r;
}

/** a + b, or SizeOverflow naming `what`. */
inline uint64_t add_or_throw(uint64_t a, uint64_t b, const char* what) {
  uint64_t r = 0;
  if (!checked_add(a, b, r)) throw SizeOverflow(what);
  return r;
}

/** A 64-bit count as size_t (the same type on 64-bit hosts; a check on 32-bit ones). */
inline size_t to_size(uint64_t v, const char* what) {
  if (v > static_cast<uint64_t>(SIZE_MAX)) throw SizeOverflow(what);
  return static_cast<size_t>(v);
}

/** A 64-bit count that must fit 32 bits (a uint32_t loop bound or index downstream). */
inline uint32_t to_u32(uint64_t v, const char* what) {
  if (v > 0xFFFFFFFFull) throw SizeOverflow(what);
  return static_cast<uint32_t>(v);
}

/**
 * Work items of one input when S samples are cut into items of `per_item` (⌈S / per_item⌉ without the
 * S + per_item − 1 that wraps for S near 2³²), and the sample range [start, end) of item `blk`: end is at
 * most S, never start + per_item wrapped to a small number.
 */
inline uint32_t items_for(uint32_t S, uint32_t per_item) { return S / per_item + (S % per_item != 0); }
inline void item_range(uint32_t S, uint32_t per_item, uint64_t blk, uint32_t& start, uint32_t& end) {
  start = to_u32(blk * per_item, "work item start");
  end = S - start < per_item ? S : start + per_item;
}

}  // namespace ss
