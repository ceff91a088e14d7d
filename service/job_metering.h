// The daemon's meter: every interval it asks the service which jobs run now
// (Service::Running: id, region, the pids of the whole process tree), meters
// each with its own JobMeter (metering/meter.h: the TDP model or RAPL for the
// CPU, NVML for the GPUs the job was given, the RAM model) and stores one
// sample per job and interval in MeterStore, in batches (one transaction per
// batch). Old samples are downsampled by MeterStore's retention, energy
// totals kept exact.
//
// A job's meter starts the first time it is seen running (that sample only
// primes the counters) and is dropped when it is no longer running; a job
// that is paused and resumed gets a new meter. Jobs without local processes
// (Slurm: the cluster meters them) are not sampled here.
//
// GPUs: one SharedGpuMeter (metering/gpu_share.h) over one NVML handle reads
// every GPU once a round and splits each one's energy between the jobs that
// hold it (by their processes' SM utilisation, else equally); a job holds the
// GPUs its processes' CUDA_VISIBLE_DEVICES names (unset: every GPU). GPUs
// without an energy counter are read every 100 ms between rounds.
//
// Time: sample times are the meter's start on the injected Clock plus the
// elapsed time on the injected Pacer, so tests drive both. The background
// thread (Start/Stop) waits on a condition variable between samples; tests
// call SampleOnce instead.
//
// Thread safety: SampleOnce, Flush and ApplyRetention are serialised by a
// mutex; Start runs them on one thread of its own.
#ifndef SUNWIND_SERVICE_JOB_METERING_H_
#define SUNWIND_SERVICE_JOB_METERING_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "metering/gpu_share.h"
#include "metering/meter.h"
#include "metering/nvml.h"
#include "service/service.h"
#include "storage/meter_store.h"

namespace sunwind {

struct JobMeteringOptions {
  std::chrono::milliseconds interval{1000};  // a sample per job this often
  // Samples are written when this many are waiting, when a job ends, and at
  // least every flush_every.
  size_t batch_size = 64;
  std::chrono::milliseconds flush_every{10000};
  // Samples older than this are merged into rows of downsample_to; zero
  // keeps every raw sample (at 1 s, 50 jobs would add ~470 MB a day). Applied
  // at most once per retention_every.
  Duration retention{7 * 24 * 3600};
  Duration downsample_to{60};
  Duration retention_every{3600};
  std::string proc_root = "/proc";
  int logical_cores = 1;
  // dlopened for the GPUs; "none" meters no GPU.
  std::string nvml_library = kNvmlLibrary;
};

// Reads a config file's `metering:` section ({interval: 1s, retention: 7d,
// downsample_to: 1m, batch: 64, nvml_library: libnvidia-ml.so.1}); defaults where the file or the section is
// absent. InvalidArgument naming the field.
Result<JobMeteringOptions> LoadMeteringConfig(const std::string& path, JobMeteringOptions defaults = {});

// The daemon's meters for every job: the CPU by the TDP model (the CPU model
// from <proc_root>/cpuinfo looked up in `cpu_power_csv`, CodeCarbon's table;
// an unknown CPU gets the documented default) times the job's share of CPU
// time, and RAM by its model. Not RAPL: its counters cover the whole package
// and cannot tell concurrent jobs apart. The GPUs through NVML when
// `nvml_library` loads and sees any (a SharedGpuMeter over them), else none,
// with why in sources.gpu_note.
struct DaemonMeterSetup {
  MeterSources sources;
  int logical_cores = 1;
  std::string cpu_model;
  std::unique_ptr<Nvml> nvml;
  std::unique_ptr<SharedGpuMeter> gpus;  // null: no GPU to meter
};
DaemonMeterSetup DaemonMeterSources(const std::string& cpu_power_csv, const std::string& proc_root = "/proc",
                                    const std::string& nvml_library = kNvmlLibrary);

class JobMetering {
 public:
  using RunningFn = std::function<Result<std::vector<RunningJob>>()>;
  // The meters for one job (borrowed pointers in it must outlive this).
  using SourcesFn = std::function<MeterSources(const RunningJob&)>;
  using LogFn = std::function<void(const std::string&)>;

  // References must outlive this. `running` is normally Service::Running.
  JobMetering(const Clock& clock, Pacer& pacer, MeterStore& store, RunningFn running, SourcesFn sources,
              JobMeteringOptions options, LogFn log = nullptr);
  ~JobMetering();  // Stop()

  // Meters the GPUs through `gpus` (borrowed, outlives this; null: none).
  // Call before Start.
  void UseGpus(SharedGpuMeter* gpus) { gpus_ = gpus; }

  // One round: meters every running job once and stores what is due.
  Status SampleOnce();
  // Writes the waiting samples now.
  Status Flush();
  // Downsamples rows older than clock.Now() - retention (no-op when zero).
  Status ApplyRetention();

  // Runs SampleOnce every interval (and retention when due) on a thread of
  // its own until Stop, logging errors through `log` (once per distinct one).
  void Start();
  // Stops the thread and flushes. Idempotent.
  void Stop();

  // Jobs with a meter now.
  std::vector<std::string> MeteredJobs() const;
  // Whether `job_id` has a meter now (more samples of it may come).
  bool Holds(const std::string& job_id) const;

 private:
  struct Meter;

  Status FlushLocked();
  // The GPUs the job holds, as its sources describe them.
  MeterSources WithGpus(MeterSources sources, const GpuClaim& claim) const;
  void TickGpuPower();

  const Clock& clock_;
  Pacer& pacer_;
  MeterStore& store_;
  RunningFn running_;
  SourcesFn sources_;
  JobMeteringOptions options_;
  LogFn log_;
  SharedGpuMeter* gpus_ = nullptr;

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Meter>> meters_;
  std::vector<StoredMeterSample> pending_;
  double last_flush_s_ = 0;
  std::optional<TimePoint> last_retention_;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sunwind

#endif  // SUNWIND_SERVICE_JOB_METERING_H_
