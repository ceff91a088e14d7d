// GET /v1/jobs/{id}/audit and GET /v1/jobs/{id}/samples?since=RFC3339: a
// job's emissions audit (service/audit.h) from what the daemon's meter stored
// for it (storage/meter_store.h), and the samples themselves (docs/api.md).
//
//   /audit    200 the audit JSON (AuditJson); during a run, the audit so far
//             (in_progress true, and a note); 404 for an unknown job.
//   /samples  200 [{at, interval_s, cpu_w, gpu_w, ram_w}], oldest first, only
//             those ending after `since` when given (400 naming it when it is
//             not RFC 3339); 404 for an unknown job.
#ifndef SUNWIND_SERVER_AUDIT_ROUTES_H_
#define SUNWIND_SERVER_AUDIT_ROUTES_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/http_server.h"
#include "server/report_routes.h"
#include "service/audit.h"
#include "service/job_metering.h"
#include "service/service.h"
#include "storage/meter_store.h"

namespace sunwind {

// The metered energy of stored rows: their joules, and each component's
// method (the one that covered most of the time; a note when it changed).
MeteredEnergy EnergyFromSamples(const std::vector<StoredMeterSample>& rows);

// The CPU power a Slurm job is charged per busy logical core when its
// cluster has no energy plugin (Slurm's CPU time × this), and where the
// figure came from, for the audit's note.
struct SlurmCpuPower {
  double w_per_core = 0;  // W per busy logical core; 0: unknown
  std::string source;     // e.g. "region slurm:east's cpu_w_per_core"
};

// The figure for each Slurm region that names its nodes' CPU, and the daemon
// machine's for those that do not.
struct SlurmCpuPowers {
  SlurmCpuPower machine;
  std::map<std::string, SlurmCpuPower> by_region;  // by region id

  // `region`'s own figure; else the machine's, its source saying that the
  // region names no CPU (so its nodes are taken to be like this machine).
  SlurmCpuPower For(const std::string& region) const;
};

// The daemon machine's figure: its CPU's TDP over its logical cores (the TDP
// model; `tdp_note` says how the TDP was found).
SlurmCpuPower MachineCpuPower(const std::string& cpu_model, double tdp_w, const std::string& tdp_note,
                              int logical_cores);

// Reads every Slurm region's `executor:` options for its nodes' CPU:
//
//   cpu_model: "Intel Xeon Gold 6248"   looked up in CodeCarbon's TDP table
//   cpu_cores: 40                       (`cpu_power_csv`), with the logical
//                                       cores per socket the TDP is shared
//                                       by: hardware threads, 2 × the cores
//                                       with hyper-threading (SMT) on
//   cpu_w_per_core: 3.75                or W per busy logical core directly
//
// Logical cores because Slurm's TotalCPU counts seconds on logical CPUs, and
// the daemon machine's figure divides by its logical cores the same way.
// Regions that name neither are absent (they take `machine`). The table is
// read only when a region names a cpu_model. InvalidArgument naming the
// region and the field for a value that is not a positive number, a
// cpu_model without cpu_cores (or cpu_cores alone), both ways at once, or a
// model the table does not know. Other kinds of executor refuse these
// options themselves (executors/job_executor.h).
Result<SlurmCpuPowers> SlurmCpuPowersFromConfig(const RegionCatalogue& regions, const std::string& cpu_power_csv,
                                                SlurmCpuPower machine);

// The runs Slurm accounted (SlurmAccounting::run_spans, from sacct's Start
// and End) as run intervals, oldest first: unlike the event log's runs they
// leave out the time the job waited in Slurm's queue. A span still open ends
// at the latest end among `event_runs` (the audit's now, for a running job);
// each takes the region of the event-log run it overlaps most (the latest
// one's where it overlaps none). Spans under a second are left out. Empty
// when the accounting has no spans.
std::vector<RunInterval> SlurmRunIntervals(const SlurmAccounting& accounting,
                                           const std::vector<RunInterval>& event_runs);

// A Slurm job's energy from the cluster's accounting: ConsumedEnergy (the
// energy plugin's figure for the job's nodes, not split by component),
// spread over the runs Slurm accounted (SlurmRunIntervals), or, where it
// printed no Start/End, over `runs` (the event log's), in proportion to
// their length. Without an
// energy plugin, the CPU time Slurm accounted × `cpu.w_per_core` (the TDP
// model: a CPU's TDP over its logical cores), spread the same way, the note
// naming `cpu.source`; with neither, nothing is metered (the audit estimates
// from the plan) and a note says why.
MeteredEnergy EnergyFromAccounting(const SlurmAccounting& accounting, const std::vector<RunInterval>& runs,
                                   const SlurmCpuPower& cpu = {});

// Finished jobs' audits, so /metrics and /v1/report do not rebuild every
// job's audit on every request. MeteredAudits stores an audit only once it
// is final: the job has ended (done, failed, cancelled), the meter no longer
// holds it (its last samples are stored), Slurm's accounting is complete,
// and every hour it ran has a known grid intensity that is not a forecast.
// An entry serves only the same version of the job (its state, the number of
// its events and the sequence number of its last one, so any new event is a
// miss) and for at most `max_age` of the daemon's clock after it was built,
// so a figure revised later (a live provider's data replacing a fall-back
// estimate, retention merging old samples) shows within that. At most
// `capacity` entries; the least recently used goes first. Thread-safe: one
// mutex, held only to look up or store (never while an audit is built).
class AuditCache {
 public:
  AuditCache(size_t capacity, Duration max_age) : capacity_(capacity), max_age_(max_age) {}

  // The stored audit of this version of the job, if built at or after
  // now - max_age.
  std::optional<JobAudit> Find(const JobDetail& detail, TimePoint now);
  void Put(const JobDetail& detail, const JobAudit& audit, TimePoint now);

  size_t size() const;
  int64_t hits() const;

 private:
  struct Version {
    std::string state;
    size_t events = 0;
    int64_t last_seq = 0;
    bool operator==(const Version&) const = default;
  };
  static Version VersionOf(const JobDetail& detail);
  struct Entry {
    Version version;
    TimePoint built{};
    JobAudit audit;
    std::list<std::string>::iterator use;  // in uses_
  };
  const size_t capacity_;
  const Duration max_age_;
  mutable std::mutex mu_;
  std::list<std::string> uses_;  // job ids, most recently used first
  std::unordered_map<std::string, Entry> entries_;
  int64_t hits_ = 0;
};

// Audits from a job's detail and its stored samples. `store` null (a daemon
// without a meter) or no samples for the job: the energy is estimated from
// the plan (BuildAudit's "estimated-from-plan"). References must outlive the
// function; `store`'s calls are serialised by its own mutex.
// `metering` (may be null) is flushed first, so the audit sees every sample
// taken, even of a job that ended a moment ago. A job that ran on Slurm
// takes its energy from the cluster's accounting through `service` (may be
// null: then it is estimated), its CPU power from `slurm_cpu` for its
// region. `cache` (may be null) serves and keeps finished jobs' audits
// (AuditCache above); running jobs are always rebuilt.
AuditForJob MeteredAudits(MeterStore* store, JobMetering* metering, const RegionCatalogue& regions,
                          const FetchIntensity& fetch, const Clock& clock, const std::string& default_region,
                          Service* service = nullptr, SlurmCpuPowers slurm_cpu = {}, AuditCache* cache = nullptr);

// Answers the two routes above; nullopt when the request is neither (so the
// caller routes it on).
std::optional<ApiResponse> AuditAnswer(Service& service, const AuditForJob& audit_for, MeterStore* store,
                                       JobMetering* metering, const ApiRequest& request);

}  // namespace sunwind

#endif  // SUNWIND_SERVER_AUDIT_ROUTES_H_
