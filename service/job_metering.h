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
#include "metering/meter.h"
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
  // keeps every raw sample. Applied at most once per retention_every.
  Duration retention{0};
  Duration downsample_to{60};
  Duration retention_every{3600};
  std::string proc_root = "/proc";
  int logical_cores = 1;
};

// Reads a config file's `metering:` section ({interval: 1s, retention: 7d,
// downsample_to: 1m, batch: 64}); defaults where the file or the section is
// absent. InvalidArgument naming the field.
Result<JobMeteringOptions> LoadMeteringConfig(const std::string& path, JobMeteringOptions defaults = {});

// The daemon's meters for every job: the CPU by the TDP model (the CPU model
// from <proc_root>/cpuinfo looked up in `cpu_power_csv`, CodeCarbon's table;
// an unknown CPU gets the documented default) times the job's share of CPU
// time, and RAM by its model. Not RAPL: its counters cover the whole package
// and cannot tell concurrent jobs apart. No GPU yet (see docs/metering.md).
struct DaemonMeterSetup {
  MeterSources sources;
  int logical_cores = 1;
  std::string cpu_model;
};
DaemonMeterSetup DaemonMeterSources(const std::string& cpu_power_csv, const std::string& proc_root = "/proc");

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

 private:
  struct Meter;

  Status FlushLocked();

  const Clock& clock_;
  Pacer& pacer_;
  MeterStore& store_;
  RunningFn running_;
  SourcesFn sources_;
  JobMeteringOptions options_;
  LogFn log_;

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
