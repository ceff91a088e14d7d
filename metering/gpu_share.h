// The daemon's GPU meter: one NVML handle for every job it meters, where
// several jobs may hold the same GPU. Each round reads every GPU once (its
// energy counter, or the power it sampled at 10 Hz since the last round) and
// splits each GPU's energy over the round between the jobs that hold it:
//
//  1. by the SM utilisation NVML reports for each job's processes during the
//     round (nvmlDeviceGetProcessUtilization), when any of them shows some;
//  2. else equally between the jobs whose CUDA_VISIBLE_DEVICES names the GPU
//     (they were given it: its idle draw is theirs);
//  3. else equally between every job that may use it (CUDA_VISIBLE_DEVICES
//     unset means every GPU, as CUDA reads it).
//
// A GPU no running job may use is nobody's: its energy is counted apart
// (unattributed_j), never charged. A job seen for the first time in a round
// takes part in that round's split (it ran in it), but its meter only starts
// then, so that share is dropped with the rest of its first interval.
//
// Not thread-safe: the daemon's meter thread drives it.
#ifndef SUNWIND_METERING_GPU_SHARE_H_
#define SUNWIND_METERING_GPU_SHARE_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "metering/nvml.h"

namespace sunwind {

// Which GPUs one job may use, and how it came to them.
struct GpuClaim {
  std::string job_id;
  std::vector<pid_t> pids;     // the job's processes: utilisation is matched by pid
  std::vector<unsigned> gpus;  // NVML indices
  bool named = false;          // its CUDA_VISIBLE_DEVICES names them
};

// The claim of a process tree: the union of what CUDA_VISIBLE_DEVICES, read
// from each process's <proc_root>/<pid>/environ, lets it see. A process whose
// environment cannot be read, or lacks the variable, may use every GPU. An
// entry that names no GPU is ignored (CUDA itself would not start on it).
GpuClaim ClaimGpus(const std::string& job_id, const std::vector<pid_t>& pids, const std::vector<GpuInfo>& all,
                   const std::string& proc_root);

class SharedGpuMeter {
 public:
  // `nvml` must outlive this; `gpus` are the GPUs to meter (normally all).
  SharedGpuMeter(Nvml& nvml, std::vector<GpuInfo> gpus, double power_period_s = 0.1);

  const std::vector<GpuInfo>& gpus() const { return gpus_; }
  double power_period_s() const { return power_period_s_; }
  // Some GPU has no energy counter and must be read every power_period_s.
  bool NeedsPowerTicks() const;

  // Reads the power of GPUs without a counter and integrates it since the
  // last tick. now_s from a Pacer.
  void TickPower(double now_s);

  // Ends the round at now_s: every claim's GPU energy since the previous
  // round, in joules (0 for claims on no GPU). The first call only primes the
  // counters and answers zeros.
  std::map<std::string, double> Round(const std::vector<GpuClaim>& claims, double now_s);

  // Energy drawn by GPUs no job held, since construction.
  double unattributed_j() const { return unattributed_j_; }
  // How the last round split each GPU ("GPU 0: by SM utilisation", ...).
  const std::map<unsigned, std::string>& split_rules() const { return split_rules_; }
  // The method name for a job on these GPUs: "nvml-energy-counter",
  // "nvml-power-sampling", or both joined by '+'.
  std::string Method(const std::vector<unsigned>& gpus) const;
  // NVML errors seen (the first few), for the log.
  std::vector<std::string> TakeErrors();

 private:
  const GpuInfo* Find(unsigned index) const;
  void Error(const std::string& message);

  Nvml& nvml_;
  std::vector<GpuInfo> gpus_;
  double power_period_s_;
  bool primed_ = false;
  double last_tick_s_ = 0;
  std::map<unsigned, uint64_t> last_mj_;        // counter GPUs
  std::map<unsigned, double> pending_j_;        // sampled GPUs, since the last round
  std::map<unsigned, uint64_t> last_seen_us_;   // newest utilisation sample read
  std::map<unsigned, std::string> split_rules_;
  double unattributed_j_ = 0;
  std::vector<std::string> errors_;
};

}  // namespace sunwind

#endif  // SUNWIND_METERING_GPU_SHARE_H_
