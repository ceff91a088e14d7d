#include "server/audit_routes.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>

#include "core/units.h"
#include "metering/cpu_model.h"
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

// A positive finite number, else nullopt.
std::optional<double> PositiveNumber(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(v) || v <= 0) return std::nullopt;
  return v;
}

// Whether a finished job's audit is final (AuditCache in the header): the
// meter's part is checked by the caller, the grid's here.
bool IntensityHistoryIsIn(const JobAudit& a) {
  return std::all_of(a.intervals.begin(), a.intervals.end(), [](const AuditPiece& p) {
    return p.intensity_g_per_kwh.has_value() && p.intensity_kind != "forecast";
  });
}

bool Ended(JobPhase state) {
  return state == JobPhase::kDone || state == JobPhase::kFailed || state == JobPhase::kCancelled;
}

}  // namespace

SlurmCpuPower SlurmCpuPowers::For(const std::string& region) const {
  if (auto it = by_region.find(region); it != by_region.end()) return it->second;
  SlurmCpuPower p = machine;
  if (p.w_per_core > 0)
    p.source += "; region " + region +
                " names no cpu_model or cpu_w_per_core in its executor block, so its nodes are taken to be like "
                "this machine";
  return p;
}

SlurmCpuPower MachineCpuPower(const std::string& cpu_model, double tdp_w, const std::string& tdp_note,
                              int logical_cores) {
  const int cores = std::max(1, logical_cores);
  return {tdp_w / cores, "the daemon machine's CPU" + (cpu_model.empty() ? "" : " (" + cpu_model + ")") + ": TDP " +
                             FormatNumber(tdp_w, 0) + " W (" + tdp_note + ") over its " + std::to_string(cores) +
                             " logical cores"};
}

Result<SlurmCpuPowers> SlurmCpuPowersFromConfig(const RegionCatalogue& regions, const std::string& cpu_power_csv,
                                                SlurmCpuPower machine) {
  SlurmCpuPowers out;
  out.machine = std::move(machine);
  std::optional<TdpTable> table;
  for (const Region& region : regions.regions()) {
    if (region.executor_kind != "slurm") continue;
    auto option = [&](const char* key) -> std::optional<std::string> {
      auto it = region.executor_options.find(key);
      if (it == region.executor_options.end()) return std::nullopt;
      return it->second;
    };
    auto refuse = [&](const std::string& field, const std::string& why) {
      return Status::InvalidArgument("region '" + region.id + "': executor." + field + ": " + why);
    };
    const auto model = option("cpu_model"), cores = option("cpu_cores"), w = option("cpu_w_per_core");
    if (w) {
      if (model || cores)
        return refuse(model ? "cpu_model" : "cpu_cores",
                      "give either cpu_model with cpu_cores, or cpu_w_per_core, not both");
      const auto v = PositiveNumber(*w);
      if (!v) return refuse("cpu_w_per_core", "'" + *w + "' is not a positive number of W per busy logical core");
      out.by_region[region.id] = {*v, "region " + region.id + "'s cpu_w_per_core"};
      continue;
    }
    if (!model && !cores) continue;
    if (!model) return refuse("cpu_cores", "given without cpu_model (the CPU whose TDP it divides)");
    if (!cores)
      return refuse("cpu_cores", "missing: cpu_model needs the logical cores per socket its TDP is shared by "
                                 "(hardware threads: 40 for a 20-core CPU with hyper-threading on)");
    const auto n = PositiveNumber(*cores);
    if (!n || *n != std::floor(*n))
      return refuse("cpu_cores", "'" + *cores + "' is not a positive whole number of logical cores");
    if (!table) {
      auto loaded = TdpTable::LoadFromFile(cpu_power_csv);
      if (!loaded.ok()) return refuse("cpu_model", "the TDP table cannot be read: " + loaded.status().message());
      table = std::move(loaded).value();
    }
    const TdpTable::Match m = table->Lookup(*model);
    if (!m.found)
      return refuse("cpu_model", "'" + *model + "' is not in CodeCarbon's TDP table (" + m.note +
                                     "): name a model the table holds, or give cpu_w_per_core");
    out.by_region[region.id] = {m.tdp_w / *n, "region " + region.id + "'s cpu_model " + m.entry + ": TDP " +
                                                  FormatNumber(m.tdp_w, 0) + " W (CodeCarbon's table) over " +
                                                  FormatNumber(*n, 0) + " logical cores (cpu_cores)"};
  }
  return out;
}

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

std::vector<RunInterval> SlurmRunIntervals(const SlurmAccounting& a, const std::vector<RunInterval>& event_runs) {
  std::vector<RunInterval> out;
  TimePoint latest_end{};
  for (const auto& r : event_runs) latest_end = std::max(latest_end, r.end);
  for (const SlurmRunSpan& span : a.run_spans) {
    RunInterval r;
    r.start = span.start;
    r.end = std::max(span.start, span.end.value_or(latest_end));
    if (!event_runs.empty()) r.region = event_runs.back().region;
    Duration best{0};
    for (const auto& e : event_runs) {
      const Duration overlap = std::min(r.end, e.end) - std::max(r.start, e.start);
      if (overlap > best) {
        best = overlap;
        r.region = e.region;
      }
    }
    if (r.end > r.start) out.push_back(std::move(r));  // under a second: nothing to spread over
  }
  std::sort(out.begin(), out.end(), [](const RunInterval& x, const RunInterval& y) { return x.start < y.start; });
  return out;
}

MeteredEnergy EnergyFromAccounting(const SlurmAccounting& a, const std::vector<RunInterval>& event_runs,
                                   const SlurmCpuPower& cpu) {
  MeteredEnergy m;
  const std::vector<RunInterval> slurm_runs = SlurmRunIntervals(a, event_runs);
  const std::vector<RunInterval>& runs = slurm_runs.empty() ? event_runs : slurm_runs;
  // Over what the energy is spread, for the notes.
  const std::string over =
      slurm_runs.empty()
          ? " over " + std::to_string(a.runs) + " run(s) (" + a.source +
                "), spread over the event log's run intervals (Slurm printed no Start/End)"
          : " over the " + std::to_string(slurm_runs.size()) + " run(s) Slurm accounted, from its Start/End (" +
                a.source + ")";
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
    m.notes.push_back("energy: Slurm's ConsumedEnergy for the job's nodes" + over +
                      ", not split by component: all of it is shown under CPU");
    return m;
  }
  if (a.cpu_time_s && *a.cpu_time_s > 0 && cpu.w_per_core > 0 && run_s > 0) {
    spread(*a.cpu_time_s * cpu.w_per_core);
    m.cpu_method = "tdp-model";
    m.notes.push_back("energy: Slurm (" + a.source + ") has no ConsumedEnergy for this job; CPU: its " +
                      FormatNumber(*a.cpu_time_s, 1) + " s of CPU time × " + FormatNumber(cpu.w_per_core, 2) +
                      " W per busy logical core (" + cpu.source + ")" + over + "; GPU and RAM not metered");
    return m;
  }
  std::string note = "Slurm (" + (a.source.empty() ? std::string("accounting") : a.source) +
                     ") reports no ConsumedEnergy for this job (the cluster has no energy plugin)";
  if (a.cpu_time_s) note += "; it accounted " + FormatNumber(*a.cpu_time_s, 1) + " s of CPU time";
  m.notes.push_back(note + " over " + std::to_string(a.runs) + " run(s)");
  return m;
}

AuditCache::Version AuditCache::VersionOf(const JobDetail& d) {
  return {JobPhaseName(d.job.state), d.events.size(), d.events.empty() ? 0 : d.events.back().seq};
}

std::optional<JobAudit> AuditCache::Find(const JobDetail& d, TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(d.job.id);
  if (it == entries_.end()) return std::nullopt;
  if (!(it->second.version == VersionOf(d)) || now - it->second.built > max_age_) {
    uses_.erase(it->second.use);
    entries_.erase(it);
    return std::nullopt;
  }
  uses_.splice(uses_.begin(), uses_, it->second.use);
  ++hits_;
  return it->second.audit;
}

void AuditCache::Put(const JobDetail& d, const JobAudit& audit, TimePoint now) {
  if (capacity_ == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = entries_.find(d.job.id); it != entries_.end()) {
    uses_.erase(it->second.use);
    entries_.erase(it);
  }
  while (entries_.size() >= capacity_) {
    entries_.erase(uses_.back());
    uses_.pop_back();
  }
  uses_.push_front(d.job.id);
  entries_.emplace(d.job.id, Entry{VersionOf(d), now, audit, uses_.begin()});
}

size_t AuditCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

int64_t AuditCache::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

AuditForJob MeteredAudits(MeterStore* store, JobMetering* metering, const RegionCatalogue& regions,
                          const FetchIntensity& fetch, const Clock& clock, const std::string& default_region,
                          Service* service, SlurmCpuPowers slurm_cpu, AuditCache* cache) {
  return [store, metering, &regions, &fetch, &clock, default_region, service, slurm_cpu = std::move(slurm_cpu),
          cache](const JobDetail& d) -> Result<JobAudit> {
    const TimePoint now = clock.Now();
    const bool ended = Ended(d.job.state);
    if (cache && ended) {
      if (auto hit = cache->Find(d, now)) return std::move(*hit);
    }
    AuditInput in;
    in.job = d.job;
    in.runs = RunIntervalsFromEvents(d.events, now, d.region.empty() ? default_region : d.region);
    in.plan = d.plan;
    in.in_progress = d.job.state == JobPhase::kRunning;
    // Whether what was metered is all there will be (AuditCache's rule).
    bool metered_final = true;
    if (service && d.handle && d.handle->executor_kind == "slurm") {
      // The cluster meters its jobs; a failed ask (slurmctld down) leaves the
      // estimate, with a note.
      auto accounting = service->Accounting(d.job.id);
      if (accounting.ok() && accounting->has_value()) {
        const SlurmAccounting& a = **accounting;
        in.metered = EnergyFromAccounting(a, in.runs, slurm_cpu.For(d.region.empty() ? default_region : d.region));
        // The intervals shown are then the runs Slurm accounted too (after
        // the call above: an open span is cut at the event log's latest end),
        // so the energy lies within them and the hours spent pending in the
        // queue, counted as running by the event log, carry none.
        if (auto spans = SlurmRunIntervals(a, in.runs); !spans.empty()) in.runs = std::move(spans);
        // The batch steps' CPU time reaches accounting a moment after the end.
        metered_final = a.consumed_energy_j.has_value() || a.cpu_time_s.has_value();
      } else {
        metered_final = false;
        if (!accounting.ok())
          in.metered.notes.push_back("Slurm's accounting could not be read: " + accounting.status().message());
      }
    } else if (store) {
      // Asked before the flush: a job the meter no longer holds has every
      // sample it will ever have waiting or stored, so the flush below
      // stores the last of them.
      if (metering) metered_final = !metering->Holds(d.job.id);
      // A failed flush (a busy disk) leaves the samples waiting: the audit
      // covers what is stored, and says so.
      const Status flushed = metering ? metering->Flush() : Status::Ok();
      metered_final = metered_final && flushed.ok();
      SUNWIND_ASSIGN_OR_RETURN(auto rows, store->ForJob(d.job.id));
      in.metered = EnergyFromSamples(rows);
      if (!flushed.ok()) in.metered.notes.push_back("the latest samples are not stored yet: " + flushed.message());
    }
    SUNWIND_ASSIGN_OR_RETURN(JobAudit audit, BuildAudit(in, regions, fetch));
    if (cache && ended && metered_final && IntensityHistoryIsIn(audit)) cache->Put(d, audit, now);
    return audit;
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
