// NVIDIA GPU energy through NVML, loaded at run time with dlopen so sunwind
// neither builds nor links against the driver: a machine without NVIDIA's
// driver simply has no GPU figures, which is not an error.
//
// Per GPU, the method is the best it supports:
//  - "nvml-energy-counter": nvmlDeviceGetTotalEnergyConsumption, millijoules
//    since the driver loaded (Volta and newer). Exact over any interval longer
//    than the counter's update period.
//  - "nvml-power-sampling": nvmlDeviceGetPowerUsage (milliwatts) read by the
//    JobMeter at 10 Hz or more and integrated (power × Δt).
//
// Only the GPUs the job was given are metered: CUDA_VISIBLE_DEVICES (indices or
// GPU-UUIDs, as CUDA reads it; Slurm sets it from the job's allocation).
//
// Not thread-safe: one Nvml per sampling loop.
#ifndef SUNWIND_METERING_NVML_H_
#define SUNWIND_METERING_NVML_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace sunwind {

inline constexpr char kNvmlLibrary[] = "libnvidia-ml.so.1";

// The period after which NVML's energy counter and power reading are known to
// reflect new work: NVIDIA documents power.draw as averaged over 1 s on
// current GPUs. A job that ran for less than this is flagged.
inline constexpr double kNvmlUpdatePeriodS = 1.0;

struct GpuInfo {
  unsigned index = 0;  // NVML's index
  std::string name;    // "NVIDIA H100 80GB HBM3"
  std::string uuid;    // "GPU-5c1f..."
  bool has_energy_counter = false;
};

struct ProcessUtilization {
  unsigned pid = 0;
  uint64_t timestamp_us = 0;  // CPU time of the sample, microseconds
  unsigned sm_percent = 0;    // share of the sample period the process's kernels ran
};

class Nvml {
 public:
  // dlopens `library` and calls nvmlInit_v2. NotFound "NVML not available:
  // ..." when the library or a symbol is missing (no NVIDIA driver: not an
  // error for callers, who meter no GPU); Unavailable when init fails.
  static Result<std::unique_ptr<Nvml>> Load(const std::string& library = kNvmlLibrary);
  ~Nvml();  // nvmlShutdown, dlclose
  Nvml(const Nvml&) = delete;
  Nvml& operator=(const Nvml&) = delete;

  // Every GPU NVML sees, with whether its energy counter answers.
  Result<std::vector<GpuInfo>> Devices();
  // Millijoules since the driver loaded; FailedPrecondition when the GPU has
  // no counter (pre-Volta: NVML_ERROR_NOT_SUPPORTED).
  Result<uint64_t> TotalEnergyMj(unsigned index);
  // Watts now (NVML answers milliwatts).
  Result<double> PowerW(unsigned index);

  // Per-process SM utilisation samples NVML kept for the GPU with a CPU
  // timestamp after since_us (nvmlDeviceGetProcessUtilization; the driver
  // keeps a short rolling buffer). No sample since then: an empty list.
  // FailedPrecondition where the GPU or the library cannot tell
  // (NVML_ERROR_NOT_SUPPORTED, or a library without the function).
  Result<std::vector<ProcessUtilization>> ProcessUtilizations(unsigned index, uint64_t since_us);

 private:
  struct Api;
  Nvml(void* handle, std::unique_ptr<Api> api);
  Result<void*> Handle(unsigned index);
  void* dl_ = nullptr;
  std::unique_ptr<Api> api_;
};

// The GPUs a job was given: CUDA_VISIBLE_DEVICES's entries (indices, "GPU-"
// UUIDs or unique UUID prefixes) matched to `all`. Unset (nullopt): every GPU.
// Empty or "-1"/"NoDevFiles": none. An entry that matches nothing is an
// InvalidArgument that names it.
Result<std::vector<GpuInfo>> SelectGpus(const std::vector<GpuInfo>& all,
                                        const std::optional<std::string>& cuda_visible_devices);

}  // namespace sunwind

#endif  // SUNWIND_METERING_NVML_H_
