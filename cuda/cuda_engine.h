// The CUDA backend's host side: device discovery, the fused estimator over waves of work items, the user-box
// stream and the uniforms, over the job layer's plan/job types (native/engine/job.h, shared with the CPU
// engine), so that the addon's JS interface is the cpu one. No CUDA type leaks out of this header:
// native/cuda_addon.cc is plain C++.
//
// Errors: every CUDA call is checked; a failure throws CudaError carrying CUDA's own message and whether the
// error is sticky (the context is unusable: illegal address, launch failure, ECC, ...). After a sticky error
// every later call throws at once (device_info() says why); the JS loader then falls back to the cpu backend.
// Device memory is owned by RAII wrappers, so every path (errors and abort included) frees it.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "job.h"  // EnginePlan, JobInput, JobOutput, op_shape, prepare_job, finish_totals (native/engine/)

namespace ss {
namespace cuda {

/** A CUDA failure: CUDA's error string in what(), the cudaError_t code and name, and stickiness. */
class CudaError : public std::runtime_error {
 public:
  CudaError(const std::string& message, int code, std::string name, bool sticky)
      : std::runtime_error(message), code_(code), name_(std::move(name)), sticky_(sticky) {}
  int code() const { return code_; }
  const std::string& name() const { return name_; }
  bool sticky() const { return sticky_; }

 private:
  int code_;
  std::string name_;
  bool sticky_;
};

struct DeviceInfo {
  bool available = false;
  std::string reason;          // why not, when unavailable (CUDA's message)
  std::string name;            // device 0
  uint64_t total_memory = 0;   // bytes
  uint64_t free_memory = 0;    // bytes, at the time of the call
  int cc_major = 0, cc_minor = 0;
  int sm_count = 0;
  int driver_version = 0;      // cudaDriverGetVersion (0: no driver)
  int runtime_version = 0;     // cudaRuntimeGetVersion (the statically linked runtime)
  bool curand = false;         // kernels draw mc/Sobol words through cuRAND
  std::string architectures;   // CMAKE_CUDA_ARCHITECTURES the kernels were built for
};

/** Device 0 and why it cannot be used, if so. Never throws. */
DeviceInfo device_info();

/** Bytes of device memory currently held by this addon's buffers (tests: 0 after every call, abort included). */
uint64_t bytes_in_use();

/**
 * The fused estimator for a built-in black box; same contract as the CPU engine's ss::run_job (native/cpu/engine.h):
 * returns false with `error` set when aborted or on an internal failure; CUDA failures throw CudaError.
 */
bool run_job(const EnginePlan& plan, const JobInput& in, JobOutput& out, const std::atomic<bool>& aborted,
             const std::function<void(uint64_t)>& progress, std::string& error);

/** Raw u of rows start .. start + count − 1 of batch element b, computed on the device (count × n). */
std::vector<double> uniforms(const EnginePlan& plan, uint64_t seed, uint32_t b, uint32_t start, uint32_t count);

/** cuRAND's `mc`/Sobol draws against the core's generators on the device (rows start .. start + count − 1 of b). */
struct CurandCheck {
  bool curand = false;       // false: built without cuRAND, nothing compared
  uint64_t compared = 0;     // uniforms compared
  uint64_t mismatches = 0;   // bitwise differences
  int64_t first = -1;        // row·n + d of the first difference
};
CurandCheck curand_check(const EnginePlan& plan, uint64_t seed, uint32_t b, uint32_t start, uint32_t count);

/** User JS black boxes: perturbed inputs generated on the device, outputs reduced on the device. */
class UserStream {
 public:
  UserStream(const EnginePlan& plan, JobInput in, uint32_t chunk);
  ~UserStream();
  void noise(uint32_t b, uint32_t start, uint32_t count, float* z);
  void accumulate(const float* outputs);
  void finish(JobOutput& out);
  uint32_t chunk() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/**
 * Test hook: "oom" (an impossible allocation), "launch" (an invalid launch configuration) or "sticky" (an
 * illegal address, which poisons the context for the rest of the process). Throws the resulting CudaError.
 * run_job() calls it first when STOCHASTIC_SMOOTHING_CUDA_FAULT names one of these.
 */
void inject_fault(const std::string& kind);

}  // namespace cuda
}  // namespace ss
