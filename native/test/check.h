// The self-checking harness of the Node-free C++ tests (native/test, native/cpu/test, cuda/test): pass/fail
// counters, the two check forms, a reproducible generator and the closing line ctest reads. One copy for all.
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

namespace ss {
namespace test {

inline int passed = 0;
inline int failed = 0;

/** One named assertion: prints "ok" or "FAIL" with the detail. */
inline void check(bool ok, const std::string& name, const std::string& detail = "") {
  if (ok) {
    passed++;
    std::printf("ok   %s\n", name.c_str());
  } else {
    failed++;
    std::printf("FAIL %s%s%s\n", name.c_str(), detail.empty() ? "" : ": ", detail.c_str());
  }
}

/** Records a failing case; the first message is the one printed. */
using Fail = std::function<void(const std::string&)>;

/**
 * One named check over many cases: body(fail) returns how many cases it ran and calls fail(msg) for each that
 * failed. Passes when no case failed and at least one ran (a check of nothing cannot pass). One line, with time.
 */
inline void check(const std::string& name, const std::function<long(Fail)>& body) {
  std::string first;
  long failures = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const long cases = body([&](const std::string& msg) {
    if (failures++ == 0) first = msg;
  });
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (failures == 0 && cases > 0) {
    passed++;
    std::printf("PASS  %s (%ld cases, %.1f s)\n", name.c_str(), cases, secs);
  } else {
    failed++;
    std::printf("FAIL  %s (%ld of %ld cases failed; first: %s)\n", name.c_str(), failures, cases, first.c_str());
  }
  std::fflush(stdout);
}

/** The closing line ("N passed, N failed") and the exit status. */
inline int summary() {
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

/** mulberry32, as in the TS tests, so that runs reproduce. */
struct Rng {
  uint32_t s;
  explicit Rng(uint32_t seed) : s(seed) {}
  double operator()() {
    s += 0x6D2B79F5u;
    uint32_t t = s;
    t = (t ^ (t >> 15)) * (t | 1);
    t ^= t + (t ^ (t >> 7)) * (t | 61);
    return static_cast<double>(t ^ (t >> 14)) / 4294967296.0;
  }
  uint32_t below(uint32_t m) { return static_cast<uint32_t>((*this)() * m); }
};

}  // namespace test
}  // namespace ss
