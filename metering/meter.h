// JobMeter: samples what one job draws every N seconds and accumulates energy
// per component with the method each figure came from.
//
//   cpu: "rapl" (package counters; the whole package, other processes'
//        draw included, as CodeCarbon reports it) or "tdp-model" (TDP × the
//        job's share of CPU time, see cpu_model.h);
//   gpu: "nvml-energy-counter" or "nvml-power-sampling" (see nvml.h), only the
//        GPUs the job was given;
//   ram: "ram-model" (W/GB × resident memory, see ram_model.h).
//
// Every sample's power is the mean over its interval (energy / Δt), so the
// energy totals are exactly Σ power·Δt over the samples. Energy is also
// bucketed per UTC hour (an interval that crosses an hour is split in
// proportion to time) so emissions can use each hour's grid intensity.
//
// Time: the start instant comes from the injected Clock (the wall clock only
// through SystemClock); intervals are measured and waited through a Pacer, so
// tests run a virtual second in no time. Not thread-safe: one thread drives
// Start, Run/Sample and Finish.
#ifndef SUNWIND_METERING_METER_H_
#define SUNWIND_METERING_METER_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "metering/cpu_model.h"
#include "metering/nvml.h"
#include "metering/proc_usage.h"
#include "metering/ram_model.h"
#include "metering/rapl.h"

namespace sunwind {

// Monotonic elapsed time and sleeping, abstract so tests need not wait.
class Pacer {
 public:
  virtual ~Pacer() = default;
  // Seconds since some fixed origin; never decreases.
  virtual double ElapsedS() const = 0;
  virtual void SleepS(double seconds) = 0;
};

// std::chrono::steady_clock and nanosleep: not the wall clock, so it never
// jumps with NTP.
class SteadyPacer final : public Pacer {
 public:
  double ElapsedS() const override;
  void SleepS(double seconds) override;

 private:
  std::chrono::steady_clock::time_point origin_ = std::chrono::steady_clock::now();
};

struct MeterOptions {
  double interval_s = 1.0;          // a sample every interval_s
  double gpu_power_period_s = 0.1;  // power-sampled GPUs are read this often (10 Hz)
  std::string proc_root = "/proc";
  int logical_cores = 1;            // for the TDP model's share of CPU time
  // false: only the latest sample is kept (the daemon stores each one as it
  // comes; a week-long job would otherwise hold 600,000 in memory).
  bool keep_samples = true;
};

// What measures each component; chosen by the caller (see OpenDefaultSources in
// the CLI). Pointers are borrowed and must outlive the meter.
struct MeterSources {
  RaplReader* rapl = nullptr;  // null: CPU by the TDP model
  std::string cpu_note;        // why RAPL is not used, or which domains
  double cpu_tdp_w = kDefaultCpuTdpW;
  std::string cpu_tdp_note;
  Nvml* nvml = nullptr;        // null: no GPU figures
  std::vector<GpuInfo> gpus;   // the job's GPUs (see SelectGpus)
  std::string gpu_note;
  // Non-empty: the GPUs are metered outside this meter (the daemon's
  // SharedGpuMeter, metering/gpu_share.h), which hands this job its share
  // through AddGpuJoules before each Sample; `nvml` stays null. The method
  // named here ("nvml-energy-counter", ...) and gpu_note describe it.
  std::string shared_gpu_method;
  double ram_watts_per_gb = kRamWattsPerGb;
};

struct MeterSample {
  TimePoint at;                // start + elapsed, whole seconds
  double elapsed_s = 0;        // since Start
  double cpu_w = 0, gpu_w = 0, ram_w = 0;  // means over the interval
  double cpu_energy_kwh = 0, gpu_energy_kwh = 0, ram_energy_kwh = 0;  // so far
  double cpu_utilization_percent = 0;  // the job's CPU seconds / (Δt × cores)
  double ram_used_gb = 0;              // the tree's resident memory now
};

struct ComponentEnergy {
  double energy_kwh = 0;
  std::string method;  // "rapl", "tdp-model", "nvml-energy-counter", ...; "none" for no GPU
  std::string note;
};

struct HourlyEnergy {
  TimePoint hour;  // start of the UTC hour
  double cpu_kwh = 0, gpu_kwh = 0, ram_kwh = 0;
  double total_kwh() const { return cpu_kwh + gpu_kwh + ram_kwh; }
};

class JobMeter {
 public:
  // `pids` returns the job's current processes (its whole tree).
  JobMeter(const Clock& clock, Pacer& pacer, MeterSources sources, std::function<std::vector<pid_t>()> pids,
           MeterOptions options);

  // Records the start and primes every counter.
  void Start();
  // Ticks until still_running() answers false (asked at least every
  // gpu_power_period_s), sampling every interval_s. Does not take the last
  // partial sample: Finish does.
  void Run(const std::function<bool()>& still_running);
  // Ends the current interval now: one MeterSample.
  void Sample();
  // GPU energy metered elsewhere for this job's current interval (see
  // MeterSources::shared_gpu_method); counted in the next Sample.
  void AddGpuJoules(double joules) { pending_gpu_j_ += joules; }
  // Tops the job's CPU time up to final_cpu_s (the exited root's rusage from
  // wait4, which holds every descendant it reaped and what /proc could no
  // longer show) and takes the last sample. A job that ended before any
  // sample saw its memory is charged peak_rss_bytes (wait4's ru_maxrss) over
  // its run instead. Call once.
  void Finish(std::optional<double> final_cpu_s, std::optional<uint64_t> peak_rss_bytes = std::nullopt);

  const std::vector<MeterSample>& samples() const { return samples_; }
  ComponentEnergy cpu() const;
  ComponentEnergy gpu() const;
  ComponentEnergy ram() const;
  std::vector<HourlyEnergy> hourly() const;
  TimePoint start() const { return start_; }
  double duration_s() const { return last_elapsed_s_ - start_elapsed_s_; }
  double job_cpu_s() const { return tracker_.cpu_s(); }
  double peak_ram_gb() const { return peak_ram_gb_; }
  // Mean power over the run per component (energy / duration), in W.
  double mean_cpu_w() const;
  double mean_gpu_w() const;
  double mean_ram_w() const;
  double mean_cpu_utilization_percent() const;
  double mean_ram_used_gb() const;
  // Flags and fall-backs worth telling the user.
  std::vector<std::string> notes() const;

 private:
  void TickGpuPower(double now_s);
  void AddToHours(double from_s, double to_s, double cpu_j, double gpu_j, double ram_j);

  const Clock& clock_;
  Pacer& pacer_;
  MeterSources sources_;
  std::function<std::vector<pid_t>()> pids_;
  MeterOptions options_;
  TreeUsageTracker tracker_;

  TimePoint start_{};
  double start_elapsed_s_ = 0;
  double last_elapsed_s_ = 0;
  double last_gpu_tick_s_ = 0;
  double last_cpu_s_ = 0;
  double pending_gpu_j_ = 0;
  std::map<unsigned, uint64_t> last_gpu_mj_;
  std::map<unsigned, uint64_t> first_gpu_mj_;
  std::vector<unsigned> counter_gpus_, sampled_gpus_;
  double cpu_j_ = 0, gpu_j_ = 0, ram_j_ = 0;
  double ram_gb_s_ = 0;  // ∫ resident GB dt, for the mean
  double peak_ram_gb_ = 0;
  double last_ram_gb_ = 0;
  std::map<TimePoint, HourlyEnergy> hours_;
  std::vector<MeterSample> samples_;
  std::vector<std::string> errors_;
  std::vector<std::string> notes_;
  bool finished_ = false;
};

}  // namespace sunwind

#endif  // SUNWIND_METERING_METER_H_
