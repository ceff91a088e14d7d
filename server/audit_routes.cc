#include "server/audit_routes.h"

#include <chrono>
#include <map>

#include "core/units.h"
#include "server/json_answer.h"

namespace sunwind {

using nlohmann::json;

namespace {

// The method that covered most of the metered time; `component` names it in
// the note when several did.
std::string MainMethod(const std::map<std::string, double>& seconds_by_method, const char* component,
                       std::vector<std::string>& notes) {
  std::string best;
  double most = -1;
  for (const auto& [method, s] : seconds_by_method) {
    if (s > most) most = s, best = method;
  }
  if (seconds_by_method.size() > 1)
    notes.push_back(std::string(component) + " energy came from several methods over the run; shown as " + best +
                    ", which covered most of it");
  return best;
}

}  // namespace

MeteredEnergy EnergyFromSamples(const std::vector<StoredMeterSample>& rows) {
  MeteredEnergy m;
  std::map<std::string, double> cpu, gpu, ram;
  for (const StoredMeterSample& r : rows) {
    m.samples.push_back({r.at_unix_s, r.interval_s, static_cast<double>(r.cpu_uj) / 1e6,
                         static_cast<double>(r.gpu_uj) / 1e6, static_cast<double>(r.ram_uj) / 1e6});
    cpu[r.cpu_method] += r.interval_s;
    gpu[r.gpu_method] += r.interval_s;
    ram[r.ram_method] += r.interval_s;
  }
  if (rows.empty()) return m;
  m.cpu_method = MainMethod(cpu, "CPU", m.notes);
  m.gpu_method = MainMethod(gpu, "GPU", m.notes);
  m.ram_method = MainMethod(ram, "RAM", m.notes);
  int64_t merged = 0;
  for (const auto& r : rows) merged += r.merged > 1 ? r.merged : 0;
  if (merged > 0)
    m.notes.push_back(std::to_string(merged) +
                      " older samples were merged by retention: their energy is exact, their timing coarser");
  return m;
}

MeteredEnergy EnergyFromAccounting(const SlurmAccounting& a, const std::vector<RunInterval>& runs,
                                   double cpu_w_per_core) {
  MeteredEnergy m;
  double run_s = 0;
  for (const auto& r : runs) run_s += std::chrono::duration<double>(r.end - r.start).count();
  // `joules` over the runs, each its share by length.
  auto spread = [&](double joules) {
    for (const auto& r : runs) {
      const double s = std::chrono::duration<double>(r.end - r.start).count();
      if (s <= 0) continue;
      EnergySample e;
      e.end_unix_s = std::chrono::duration<double>(r.end.time_since_epoch()).count();
      e.interval_s = s;
      e.cpu_j = joules * s / run_s;
      m.samples.push_back(e);
    }
  };
  if (a.consumed_energy_j && *a.consumed_energy_j > 0 && run_s > 0) {
    spread(*a.consumed_energy_j);
    m.cpu_method = "slurm-consumed-energy";
    m.gpu_method = "none";
    m.ram_method = "slurm-consumed-energy";
    m.notes.push_back("energy: Slurm's ConsumedEnergy for the job's nodes over " + std::to_string(a.runs) +
                      " run(s) (" + a.source + "), not split by component: all of it is shown under CPU");
    return m;
  }
  if (a.cpu_time_s && *a.cpu_time_s > 0 && cpu_w_per_core > 0 && run_s > 0) {
    spread(*a.cpu_time_s * cpu_w_per_core);
    m.cpu_method = "tdp-model";
    m.notes.push_back("energy: Slurm (" + a.source + ") has no ConsumedEnergy for this job; CPU: its " +
                      FormatNumber(*a.cpu_time_s, 1) + " s of CPU time over " + std::to_string(a.runs) +
                      " run(s) × " + FormatNumber(cpu_w_per_core, 2) +
                      " W per busy logical core (this machine's CPU TDP over its cores; the compute nodes are "
                      "taken to be alike); GPU and RAM not metered");
    return m;
  }
  std::string note = "Slurm (" + (a.source.empty() ? std::string("accounting") : a.source) +
                     ") reports no ConsumedEnergy for this job (the cluster has no energy plugin)";
  if (a.cpu_time_s) note += "; it accounted " + FormatNumber(*a.cpu_time_s, 1) + " s of CPU time";
  m.notes.push_back(note + " over " + std::to_string(a.runs) + " run(s)");
  return m;
}

AuditForJob MeteredAudits(MeterStore* store, JobMetering* metering, const RegionCatalogue& regions,
                          const FetchIntensity& fetch, const Clock& clock, const std::string& default_region,
                          Service* service, double slurm_cpu_w_per_core) {
  return [store, metering, &regions, &fetch, &clock, default_region, service,
          slurm_cpu_w_per_core](const JobDetail& d) -> Result<JobAudit> {
    AuditInput in;
    in.job = d.job;
    in.runs = RunIntervalsFromEvents(d.events, clock.Now(), d.region.empty() ? default_region : d.region);
    in.plan = d.plan;
    in.in_progress = d.job.state == JobPhase::kRunning;
    if (service && d.handle && d.handle->executor_kind == "slurm") {
      // The cluster meters its jobs; a failed ask (slurmctld down) leaves the
      // estimate, with a note.
      auto accounting = service->Accounting(d.job.id);
      if (accounting.ok() && accounting->has_value()) {
        in.metered = EnergyFromAccounting(**accounting, in.runs, slurm_cpu_w_per_core);
      } else if (!accounting.ok()) {
        in.metered.notes.push_back("Slurm's accounting could not be read: " + accounting.status().message());
      }
      return BuildAudit(in, regions, fetch);
    }
    if (store) {
      // A failed flush (a busy disk) leaves the samples waiting: the audit
      // covers what is stored, and says so.
      const Status flushed = metering ? metering->Flush() : Status::Ok();
      SUNWIND_ASSIGN_OR_RETURN(auto rows, store->ForJob(d.job.id));
      in.metered = EnergyFromSamples(rows);
      if (!flushed.ok()) in.metered.notes.push_back("the latest samples are not stored yet: " + flushed.message());
    }
    return BuildAudit(in, regions, fetch);
  };
}

std::optional<ApiResponse> AuditAnswer(Service& service, const AuditForJob& audit_for, MeterStore* store,
                                       JobMetering* metering, const ApiRequest& r) {
  static const std::string kPrefix = "/v1/jobs/";
  if (r.method != "GET" || r.path.rfind(kPrefix, 0) != 0) return std::nullopt;
  const std::string rest = r.path.substr(kPrefix.size());
  const auto slash = rest.find('/');
  if (slash == std::string::npos || slash == 0) return std::nullopt;
  const std::string id = rest.substr(0, slash), what = rest.substr(slash + 1);
  if (what != "audit" && what != "samples") return std::nullopt;

  auto detail = service.Show(id);
  if (!detail.ok()) return ErrorAnswer(detail.status());
  if (what == "audit") {
    auto audit = audit_for(*detail);
    if (!audit.ok()) return ErrorAnswer(audit.status());
    return JsonAnswer(200, AuditJson(*audit));
  }
  std::optional<double> since;
  if (auto it = r.query.find("since"); it != r.query.end()) {
    auto t = ParseTime(it->second);
    if (!t.ok())
      return JsonAnswer(400, {{"error", "since: \"" + it->second + "\" is not an RFC 3339 time (e.g. 2026-11-23T10:00:00Z)"}});
    since = static_cast<double>(t->time_since_epoch().count());
  }
  json out = json::array();
  if (store) {
    if (metering) (void)metering->Flush();  // what is not written yet shows next time
    auto rows = store->ForJob(id, since);
    if (!rows.ok()) return ErrorAnswer(rows.status());
    for (const StoredMeterSample& s : *rows) {
      const auto whole = static_cast<long long>(s.at_unix_s);
      out.push_back({{"at", FormatTime(TimePoint{Duration{whole}})},
                     {"at_unix_s", s.at_unix_s},
                     {"interval_s", s.interval_s},
                     {"cpu_w", s.cpu_w},
                     {"gpu_w", s.gpu_w},
                     {"ram_w", s.ram_w}});
    }
  }
  return JsonAnswer(200, out);
}

}  // namespace sunwind
