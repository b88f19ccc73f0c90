// Reading fuzzer bytes as the fields of a call: each read takes the next bytes (zeros once they run out), so
// every input decodes to some call and libFuzzer's mutations move one field at a time.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ss::fuzz {

class Input {
 public:
  Input(const uint8_t* data, size_t size) : p_(data), left_(size) {}
  uint32_t u32() {
    uint32_t v = 0;
    const size_t k = left_ < 4 ? left_ : 4;
    std::memcpy(&v, p_, k);
    p_ += k;
    left_ -= k;
    return v;
  }
  uint8_t u8() { return static_cast<uint8_t>(u32() & 0xFF); }
  bool flag() { return u8() & 1; }
  /** Mostly small values (so that accepted calls are cheap to run), sometimes the full 32-bit range. */
  uint32_t size(uint32_t small) {
    const uint8_t mode = u8();
    const uint32_t v = u32();
    if (mode < 200) return v % (small + 1);
    if (mode < 230) return 0xFFFFFFFFu - (v % 2048);  // near 2^32
    return v;
  }
  uint64_t seed() { return (static_cast<uint64_t>(u32()) << 32 | u32()) & ((1ull << 53) - 1); }
  double number() {
    const uint32_t v = u32();
    switch (v & 7) {
      case 0: return 0.0;
      case 1: return -0.0;
      case 2: return 1e300;
      case 3: return static_cast<double>(static_cast<int32_t>(v)) * 1e-3;
      case 4: return __builtin_nan("");
      default: return static_cast<double>(v >> 3) * 1e-6;
    }
  }
  /** A kind: mostly one of 0..count−1, sometimes just outside (−1 or count). */
  int kind(int count) {
    const uint8_t v = u8();
    if (v < 232) return v % count;
    return v & 1 ? -1 : count;
  }
  /** Mostly true: for the fields that should usually be consistent, so that accepted calls are common. */
  bool usually() { return u8() < 224; }
  bool empty() const { return left_ == 0; }

 private:
  const uint8_t* p_;
  size_t left_;
};

}  // namespace ss::fuzz
