#include "service/audit.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "metering/emissions.h"

namespace sunwind {

using nlohmann::json;

namespace {

constexpr long long kHourS = 3600;
constexpr double kJoulesPerKwh = 3.6e6;
constexpr const char* kEstimated = "estimated-from-plan";

double UnixS(TimePoint t) { return static_cast<double>(t.time_since_epoch().count()); }

TimePoint FloorHour(TimePoint t) { return FloorTo(t, Duration{kHourS}); }

TimePoint CeilHour(TimePoint t) {
  TimePoint f = FloorHour(t);
  return f == t ? f : f + Duration{kHourS};
}

std::string Fixed(double v, int digits) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(digits);
  o << v;
  return o.str();
}

// The uncertainty of a component's figure, by the method that gave it.
std::string MethodNote(const std::string& component, const std::string& method) {
  if (method == "rapl")
    return component + " energy from RAPL counters: the whole package, other processes' draw included (an upper "
                       "bound for this job, a few % on the package itself)";
  if (method == "tdp-model")
    return component + " energy from TDP x the job's share of CPU time: a model, often off by 30-50 %";
  if (method == "nvml-energy-counter") return component + " energy from NVML's energy counter: about +/-5 %";
  if (method == "nvml-power-sampling")
    return component + " energy from NVML power samples integrated at 10 Hz: about +/-5-10 %";
  if (method == "ram-model") return component + " energy from a watts-per-GB model of resident memory: +/-50 % or more";
  if (method == "slurm-consumed-energy")
    return component + " energy from Slurm's ConsumedEnergy: the node's energy plugin, whole nodes";
  if (method == kEstimated)
    return component + " energy not metered: estimated as the submission's power_w x time run";
  return "";
}

std::string HomeRegion(const AuditInput& in) {
  const JobSubmission& s = in.job.submission;
  if (!s.home_region.empty()) return s.home_region;
  if (!s.allowed_regions.empty()) return s.allowed_regions.front();
  if (in.plan) {
    json summary = json::parse(in.plan->summary_json, nullptr, false);
    if (summary.is_object() && summary.contains("run_now") && summary["run_now"].value("region", "") != "")
      return summary["run_now"]["region"].get<std::string>();
  }
  return in.runs.empty() ? std::string() : in.runs.front().region;
}

// The plan's intervals: where it expected to run, at what mean intensity.
struct PlannedSpan {
  std::string region;
  TimePoint start{}, end{};
  double mean_intensity_g_per_kwh = 0;
};

std::vector<PlannedSpan> PlannedSpans(const std::optional<StoredPlan>& plan) {
  std::vector<PlannedSpan> out;
  if (!plan) return out;
  json arr = json::parse(plan->intervals_json, nullptr, false);
  if (!arr.is_array()) return out;
  for (const auto& iv : arr) {
    if (!iv.is_object() || !iv.contains("mean_intensity_g_per_kwh") || !iv["mean_intensity_g_per_kwh"].is_number())
      continue;
    auto start = ParseTime(iv.value("start", ""));
    auto end = ParseTime(iv.value("end", ""));
    if (!start.ok() || !end.ok()) continue;
    out.push_back({iv.value("region", ""), *start, *end, iv["mean_intensity_g_per_kwh"].get<double>()});
  }
  return out;
}

// Cuts [start, end) at UTC hours.
std::vector<std::pair<TimePoint, TimePoint>> SplitHours(TimePoint start, TimePoint end) {
  std::vector<std::pair<TimePoint, TimePoint>> out;
  for (TimePoint t = start; t < end;) {
    TimePoint next = std::min(end, FloorHour(t) + Duration{kHourS});
    out.emplace_back(t, next);
    t = next;
  }
  return out;
}

// Spreads each sample's energy over the pieces it overlaps, in proportion to
// the overlap; a sample that overlaps none goes to the nearest piece. Totals
// are kept exactly. Returns how many samples fell outside every piece.
int AllocateSamples(const std::vector<EnergySample>& samples, std::vector<AuditPiece>& pieces) {
  int outside = 0;
  for (const EnergySample& s : samples) {
    const double from = s.end_unix_s - s.interval_s, to = s.end_unix_s;
    std::vector<std::pair<size_t, double>> overlaps;
    double total = 0;
    for (size_t i = 0; i < pieces.size(); ++i) {
      double o = std::min(to, UnixS(pieces[i].end)) - std::max(from, UnixS(pieces[i].start));
      if (o > 0) {
        overlaps.emplace_back(i, o);
        total += o;
      }
    }
    if (overlaps.empty()) {
      ++outside;
      size_t best = 0;
      double best_d = INFINITY;
      for (size_t i = 0; i < pieces.size(); ++i) {
        double d = std::max({0.0, UnixS(pieces[i].start) - to, from - UnixS(pieces[i].end)});
        if (d < best_d) best_d = d, best = i;
      }
      overlaps.emplace_back(best, 1);
      total = 1;
    }
    for (auto [i, o] : overlaps) {
      double f = o / total;
      pieces[i].cpu_kwh += s.cpu_j * f / kJoulesPerKwh;
      pieces[i].gpu_kwh += s.gpu_j * f / kJoulesPerKwh;
      pieces[i].ram_kwh += s.ram_j * f / kJoulesPerKwh;
    }
  }
  return outside;
}

std::string IntensityNote(const std::string& kind, const std::string& source) {
  if (kind == "measured") return "the hour's average intensity as recorded by " + source;
  if (kind == "replayed")
    return "replayed from another year by " + source + ": not what the grid had that hour, often off by 20-50 %";
  if (kind == "estimated") return "a yearly average (" + source + "): says nothing of the hour, often off by 30 % or more";
  if (kind == "forecast") return "a forecast by " + source + ", not yet replaced by a recorded value";
  return kind + " from " + source;
}

}  // namespace

std::vector<RunInterval> RunIntervalsFromEvents(const std::vector<JobEvent>& events, TimePoint now,
                                                const std::string& default_region) {
  std::vector<RunInterval> out;
  std::string region = default_region;
  bool running = false;
  TimePoint since{};
  for (const JobEvent& e : events) {
    json d = json::parse(e.detail_json, nullptr, false);
    std::string named = d.is_object() && d.contains("region") && d["region"].is_string() ? d["region"].get<std::string>()
                                                                                       : "";
    if (running && e.to_state != JobPhase::kRunning) {
      if (e.at > since) out.push_back({since, e.at, region});
      running = false;
    }
    if (e.to_state == JobPhase::kRunning && !running) {
      running = true;
      since = e.at;
      if (!named.empty()) region = named;
    }
  }
  if (running && now > since) out.push_back({since, now, region});
  return out;
}

Result<JobAudit> BuildAudit(const AuditInput& in, const RegionCatalogue& regions, const FetchIntensity& fetch) {
  JobAudit a;
  a.job_id = in.job.id;
  a.state = JobPhaseName(in.job.state);
  a.project = in.job.submission.project;
  a.name = in.job.submission.name;
  a.in_progress = in.in_progress;
  if (in.in_progress) a.notes.push_back("the job is still running: this audit covers its run so far");

  // Pieces: each run cut at UTC hours.
  for (const RunInterval& r : in.runs) {
    if (r.end < r.start)
      return Status::InvalidArgument("runs: an interval ends (" + FormatTime(r.end) + ") before it starts (" +
                                     FormatTime(r.start) + ")");
    const Region* region = regions.Find(r.region);
    for (auto [s, e] : SplitHours(r.start, r.end)) {
      AuditPiece p;
      p.start = s;
      p.end = e;
      p.region = r.region;
      if (region) {
        p.zone = region->zone;
        p.pue = region->pue;
      }
      a.intervals.push_back(p);
      a.duration_s += static_cast<double>((e - s).count());
    }
  }
  if (a.intervals.empty()) a.notes.push_back("the job has not run: no energy, no emissions");

  // Energy.
  const MeteredEnergy& m = in.metered;
  if (!m.samples.empty() && !a.intervals.empty()) {
    int outside = AllocateSamples(m.samples, a.intervals);
    if (outside > 0)
      a.notes.push_back(std::to_string(outside) +
                        " meter sample(s) fell outside the run intervals of the event log: counted in the nearest one");
    a.cpu_method = m.cpu_method.empty() ? "none" : m.cpu_method;
    a.gpu_method = m.gpu_method.empty() ? "none" : m.gpu_method;
    a.ram_method = m.ram_method.empty() ? "none" : m.ram_method;
  } else if (!a.intervals.empty()) {
    for (AuditPiece& p : a.intervals)
      p.cpu_kwh = in.job.submission.power_w * static_cast<double>((p.end - p.start).count()) / 1000.0 / kHourS;
    a.cpu_method = a.gpu_method = a.ram_method = kEstimated;
    a.notes.push_back("nothing was metered for this job: its energy is the submission's power_w (" +
                      Fixed(in.job.submission.power_w, 1) +
                      " W) x the time it ran, not split by component (all of it shown under cpu)");
  }
  a.notes.insert(a.notes.end(), m.notes.begin(), m.notes.end());
  for (AuditPiece& p : a.intervals) {
    p.energy_kwh = p.cpu_kwh + p.gpu_kwh + p.ram_kwh;
    a.cpu_kwh += p.cpu_kwh;
    a.gpu_kwh += p.gpu_kwh;
    a.ram_kwh += p.ram_kwh;
  }

  // Intensity, per region, through the existing hourly audit arithmetic.
  std::vector<std::string> order;
  std::map<std::string, std::vector<size_t>> by_region;
  for (size_t i = 0; i < a.intervals.size(); ++i) {
    if (!by_region.count(a.intervals[i].region)) order.push_back(a.intervals[i].region);
    by_region[a.intervals[i].region].push_back(i);
  }
  std::set<std::string> kinds_seen;
  bool all_wue = !a.intervals.empty();
  std::set<double> wues;
  for (const std::string& id : order) {
    const std::vector<size_t>& idx = by_region[id];
    const Region* region = regions.Find(id);
    if (!region) {
      a.notes.push_back("region '" + id + "' is not in the catalogue: PUE 1 assumed, grid intensity unknown");
      all_wue = false;
      for (size_t i : idx) a.intervals[i].facility_kwh = a.intervals[i].energy_kwh;
      continue;
    }
    std::vector<HourlyEnergy> hours;
    for (size_t i : idx) {
      const AuditPiece& p = a.intervals[i];
      hours.push_back({FloorHour(p.start), p.cpu_kwh, p.gpu_kwh, p.ram_kwh});
    }
    const TimePoint from = hours.front().hour, to = CeilHour(a.intervals[idx.back()].end);
    IntensitySeries series{from, Duration{kHourS}, {}, {}};
    auto fetched = fetch ? fetch(region, from, to, Duration{kHourS})
                         : Result<RegionSeries>(Status::Unavailable("no intensity source"));
    if (fetched.ok()) {
      series = fetched->series;
    } else {
      a.notes.push_back("grid intensity of " + id + " unavailable: " + fetched.status().message());
    }
    EmissionsAudit e = AuditEmissions(hours, series, region->pue, region->wue_l_per_kwh);
    a.curves.push_back({id, region->zone, series});
    for (size_t k = 0; k < idx.size(); ++k) {
      AuditPiece& p = a.intervals[idx[k]];
      const AuditInterval& iv = e.intervals[k];
      p.facility_kwh = iv.facility_energy_kwh;
      if (!std::isnan(iv.intensity_g_per_kwh)) {
        p.intensity_g_per_kwh = iv.intensity_g_per_kwh;
        p.intensity_kind = iv.kind;
        p.intensity_source = iv.source;
        p.emissions_g = iv.emissions_g;
        if (kinds_seen.insert(iv.kind + "\n" + iv.source).second)
          a.notes.push_back("emissions in " + id + ": " + IntensityNote(iv.kind, iv.source));
      }
      if (region->wue_l_per_kwh) p.water_l = *region->wue_l_per_kwh * p.energy_kwh;
    }
    a.notes.insert(a.notes.end(), e.notes.begin(), e.notes.end());
    a.notes.push_back("facility energy in " + id + ": PUE " + Fixed(region->pue, 2) + " (" +
                      (region->pue_source.empty() ? "no source given" : region->pue_source) +
                      "), a yearly or design figure, not this hour's");
    if (region->wue_l_per_kwh) {
      wues.insert(*region->wue_l_per_kwh);
      a.notes.push_back("water in " + id + ": WUE " + Fixed(*region->wue_l_per_kwh, 2) + " L/kWh (" +
                        (region->wue_source.empty() ? "no source given" : region->wue_source) +
                        ") x IT energy; on-site water only, a yearly figure");
    } else {
      all_wue = false;
      a.notes.push_back("water in " + id + ": unknown (no published WUE for the region)");
    }
    if (a.region.empty()) {
      a.region = region->id;
      a.country_name = region->country;
      a.country_iso_code = region->country_code;
      if (region->provider != "local" && region->provider != "slurm" && region->provider != "onprem") {
        a.cloud_provider = region->provider;
        a.cloud_region = region->name;
      }
      a.latitude = region->lat;
      a.longitude = region->lon;
    }
  }

  // Totals.
  double known_g = 0, unknown_kwh = 0;
  bool any_known = false;
  const auto planned = PlannedSpans(in.plan);
  for (AuditPiece& p : a.intervals) {
    a.it_kwh += p.energy_kwh;
    a.facility_kwh += p.facility_kwh;
    if (p.emissions_g) {
      known_g += *p.emissions_g;
      a.emissions_known_energy_kwh += p.energy_kwh;
      any_known = true;
    } else {
      unknown_kwh += p.energy_kwh;
    }
    for (const PlannedSpan& s : planned) {
      if (s.region == p.region && s.start < p.end && p.start < s.end) {
        p.forecast_g_per_kwh = s.mean_intensity_g_per_kwh;
        break;
      }
    }
  }
  a.pue = a.it_kwh > 0 ? a.facility_kwh / a.it_kwh
                       : (a.intervals.empty() ? 1.0 : a.intervals.front().pue);
  if (any_known) a.emissions_g = known_g;
  if (unknown_kwh > 0)
    a.notes.push_back("emissions leave out " + Fixed(unknown_kwh * 1000, 3) +
                      " Wh of IT energy drawn in hours whose grid intensity is unknown (not counted as zero)");
  if (all_wue) {
    a.water_l = 0;
    for (const AuditPiece& p : a.intervals) *a.water_l += *p.water_l;
    if (wues.size() == 1) a.wue_l_per_kwh = *wues.begin();
  }
  for (const auto& [c, method] : {std::pair{"CPU", a.cpu_method}, {"GPU", a.gpu_method}, {"RAM", a.ram_method}}) {
    std::string n = MethodNote(c, method);
    if (!n.empty() && std::find(a.notes.begin(), a.notes.end(), n) == a.notes.end()) a.notes.push_back(n);
  }
  if (!planned.empty())
    a.notes.push_back("forecast_g_per_kwh is the mean intensity the plan expected over its window, at planning time");
  if (in.plan) {
    a.planned_emissions_g = in.plan->expected_emissions_g;
    a.notes.push_back("planned emissions: the plan's figure (version " + std::to_string(in.plan->version) +
                      ") for its planned energy on the forecast, not on the metered energy");
  }

  // The counterfactual: the same energy, run back to back from submission in
  // the home region.
  a.counterfactual.region = HomeRegion(in);
  a.counterfactual.start = in.job.created_at;
  std::optional<double> run_now_g;
  double run_now_kwh = 0;
  if (in.plan) {
    json summary = json::parse(in.plan->summary_json, nullptr, false);
    if (summary.is_object() && summary.contains("run_now") && summary["run_now"].is_object()) {
      const json& rn = summary["run_now"];
      if (auto t = ParseTime(rn.value("start", "")); t.ok()) a.counterfactual.start = *t;
      if (rn.contains("emissions_g") && rn["emissions_g"].is_number()) run_now_g = rn["emissions_g"].get<double>();
    }
    run_now_kwh = in.plan->expected_energy_kwh;
  }
  const Region* home = regions.Find(a.counterfactual.region);
  if (home && a.it_kwh > 0 && fetch) {
    std::vector<HourlyEnergy> hours;
    TimePoint t = a.counterfactual.start;
    for (const AuditPiece& p : a.intervals) {
      const double len = static_cast<double>((p.end - p.start).count());
      for (auto [s, e] : SplitHours(t, t + (p.end - p.start))) {
        const double f = len > 0 ? static_cast<double>((e - s).count()) / len : 1.0;
        hours.push_back({FloorHour(s), p.cpu_kwh * f, p.gpu_kwh * f, p.ram_kwh * f});
      }
      t += p.end - p.start;
    }
    if (!hours.empty()) {
      const TimePoint from = hours.front().hour, to = CeilHour(t) == from ? from + Duration{kHourS} : CeilHour(t);
      auto fetched = fetch(home, from, to, Duration{kHourS});
      if (fetched.ok()) {
        EmissionsAudit e = AuditEmissions(hours, fetched->series, home->pue, home->wue_l_per_kwh);
        if (!std::isnan(e.emissions_g)) {
          a.counterfactual.emissions_g = e.emissions_g;
          a.counterfactual.how =
              "recomputed: the metered energy run back to back from " + FormatTime(a.counterfactual.start) + " in " +
              home->id + " at PUE " + Fixed(home->pue, 2) + " on the intensity the grid had then";
        }
      }
    }
  }
  if (!a.counterfactual.emissions_g && run_now_g && run_now_kwh > 0 && a.it_kwh > 0) {
    a.counterfactual.emissions_g = *run_now_g * a.it_kwh * a.pue / run_now_kwh;
    a.counterfactual.how = "the plan's run-now figure, scaled from its planned energy to the metered energy";
  }
  if (!a.counterfactual.emissions_g && !a.intervals.empty())
    a.notes.push_back("counterfactual unknown: no intensity for the home region at submission");
  if (a.counterfactual.emissions_g) {
    a.notes.push_back("counterfactual: " + a.counterfactual.how);
    if (a.emissions_g && a.emissions_known_energy_kwh == a.it_kwh) {
      a.saving_g = *a.counterfactual.emissions_g - *a.emissions_g;
      if (*a.counterfactual.emissions_g > 0) a.saving_pct = 100.0 * *a.saving_g / *a.counterfactual.emissions_g;
      a.notes.push_back("saving: counterfactual minus actual; both carry the uncertainty of their intensities");
    }
  }
  return a;
}

namespace {

json Opt(const std::optional<double>& v) { return v && std::isfinite(*v) ? json(*v) : json(nullptr); }

}  // namespace

json AuditJson(const JobAudit& a) {
  json intervals = json::array();
  for (const AuditPiece& p : a.intervals) {
    intervals.push_back({{"start", FormatTime(p.start)},
                         {"end", FormatTime(p.end)},
                         {"region", p.region},
                         {"zone", p.zone},
                         {"energy_kwh", p.energy_kwh},
                         {"cpu_kwh", p.cpu_kwh},
                         {"gpu_kwh", p.gpu_kwh},
                         {"ram_kwh", p.ram_kwh},
                         {"facility_kwh", p.facility_kwh},
                         {"pue", p.pue},
                         {"intensity_g_per_kwh", Opt(p.intensity_g_per_kwh)},
                         {"intensity_kind", p.intensity_kind.empty() ? json(nullptr) : json(p.intensity_kind)},
                         {"intensity_source", p.intensity_source.empty() ? json(nullptr) : json(p.intensity_source)},
                         {"forecast_g_per_kwh", Opt(p.forecast_g_per_kwh)},
                         {"emissions_g", Opt(p.emissions_g)},
                         {"water_l", Opt(p.water_l)}});
  }
  json curves = json::array();
  for (const AuditCurve& c : a.curves) {
    json points = json::array();
    for (size_t i = 0; i < c.series.size(); ++i) {
      const bool known = !c.series.IsMissing(i);
      const Provenance& p = c.series.ProvenanceAt(i);
      points.push_back({{"start", FormatTime(c.series.TimeAt(i))},
                        {"intensity_g_per_kwh", known ? json(c.series.values[i]) : json(nullptr)},
                        {"kind", known ? json(PointKindName(p.kind)) : json(nullptr)},
                        {"source", known ? json(p.source) : json(nullptr)}});
    }
    curves.push_back({{"region", c.region}, {"zone", c.zone}, {"points", points}});
  }
  return {{"job_id", a.job_id},
          {"state", a.state},
          {"in_progress", a.in_progress},
          {"duration_s", a.duration_s},
          {"intervals", intervals},
          {"energy",
           {{"cpu_kwh", a.cpu_kwh},
            {"gpu_kwh", a.gpu_kwh},
            {"ram_kwh", a.ram_kwh},
            {"it_kwh", a.it_kwh},
            {"facility_kwh", a.facility_kwh},
            {"pue", a.pue},
            {"methods", {{"cpu", a.cpu_method}, {"gpu", a.gpu_method}, {"ram", a.ram_method}}}}},
          {"energy_kwh", a.facility_kwh},
          {"emissions_g", Opt(a.emissions_g)},
          {"planned_emissions_g", Opt(a.planned_emissions_g)},
          {"water_l", Opt(a.water_l)},
          {"counterfactual",
           {{"region", a.counterfactual.region},
            {"start", FormatTime(a.counterfactual.start)},
            {"emissions_g", Opt(a.counterfactual.emissions_g)},
            {"how", a.counterfactual.how}}},
          {"saving_g", Opt(a.saving_g)},
          {"intensity", curves},
          {"project", a.project},
          {"name", a.name},
          {"location",
           {{"region", a.region},
            {"country_name", a.country_name},
            {"country_iso_code", a.country_iso_code},
            {"cloud_provider", a.cloud_provider},
            {"cloud_region", a.cloud_region},
            {"latitude", Opt(a.latitude)},
            {"longitude", Opt(a.longitude)}}},
          {"wue_l_per_kwh", Opt(a.wue_l_per_kwh)},
          {"emissions_known_energy_kwh", a.emissions_known_energy_kwh},
          {"saving_pct", Opt(a.saving_pct)},
          {"notes", a.notes}};
}

namespace {

// Readers for JobAuditFromJson: a missing or mistyped field names itself.
Status Need(const json& j, const char* key, json::value_t type, const std::string& at) {
  if (!j.is_object() || !j.contains(key)) return Status::InvalidArgument(at + key + ": missing");
  const json& v = j[key];
  const bool ok = type == json::value_t::number_float ? v.is_number()
                  : type == json::value_t::string     ? v.is_string()
                  : type == json::value_t::array      ? v.is_array()
                  : type == json::value_t::object     ? v.is_object()
                                                      : v.type() == type;
  if (!ok) return Status::InvalidArgument(at + key + ": wrong type");
  return Status::Ok();
}

Result<double> Number(const json& j, const char* key, const std::string& at = "") {
  SUNWIND_RETURN_IF_ERROR(Need(j, key, json::value_t::number_float, at));
  return j[key].get<double>();
}

std::optional<double> MaybeNumber(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

std::string Text(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

Result<TimePoint> Time(const json& j, const char* key, const std::string& at) {
  SUNWIND_RETURN_IF_ERROR(Need(j, key, json::value_t::string, at));
  auto t = ParseTime(j[key].get<std::string>());
  if (!t.ok()) return Status::InvalidArgument(at + key + ": " + t.status().message());
  return *t;
}

}  // namespace

Result<JobAudit> JobAuditFromJson(const json& j) {
  JobAudit a;
  SUNWIND_RETURN_IF_ERROR(Need(j, "job_id", json::value_t::string, ""));
  a.job_id = j["job_id"].get<std::string>();
  a.state = Text(j, "state");
  a.project = Text(j, "project");
  a.name = Text(j, "name");
  a.in_progress = j.value("in_progress", false);
  SUNWIND_ASSIGN_OR_RETURN(a.duration_s, Number(j, "duration_s"));
  SUNWIND_RETURN_IF_ERROR(Need(j, "energy", json::value_t::object, ""));
  const json& e = j["energy"];
  SUNWIND_ASSIGN_OR_RETURN(a.cpu_kwh, Number(e, "cpu_kwh", "energy."));
  SUNWIND_ASSIGN_OR_RETURN(a.gpu_kwh, Number(e, "gpu_kwh", "energy."));
  SUNWIND_ASSIGN_OR_RETURN(a.ram_kwh, Number(e, "ram_kwh", "energy."));
  SUNWIND_ASSIGN_OR_RETURN(a.it_kwh, Number(e, "it_kwh", "energy."));
  SUNWIND_ASSIGN_OR_RETURN(a.facility_kwh, Number(e, "facility_kwh", "energy."));
  SUNWIND_ASSIGN_OR_RETURN(a.pue, Number(e, "pue", "energy."));
  if (e.contains("methods") && e["methods"].is_object()) {
    a.cpu_method = Text(e["methods"], "cpu");
    a.gpu_method = Text(e["methods"], "gpu");
    a.ram_method = Text(e["methods"], "ram");
  }
  a.emissions_g = MaybeNumber(j, "emissions_g");
  a.emissions_known_energy_kwh = MaybeNumber(j, "emissions_known_energy_kwh").value_or(a.it_kwh);
  a.planned_emissions_g = MaybeNumber(j, "planned_emissions_g");
  a.water_l = MaybeNumber(j, "water_l");
  a.wue_l_per_kwh = MaybeNumber(j, "wue_l_per_kwh");
  a.saving_g = MaybeNumber(j, "saving_g");
  a.saving_pct = MaybeNumber(j, "saving_pct");
  if (j.contains("counterfactual") && j["counterfactual"].is_object()) {
    const json& c = j["counterfactual"];
    a.counterfactual.region = Text(c, "region");
    if (auto t = ParseTime(Text(c, "start")); t.ok()) a.counterfactual.start = *t;
    a.counterfactual.emissions_g = MaybeNumber(c, "emissions_g");
    a.counterfactual.how = Text(c, "how");
  }
  if (j.contains("location") && j["location"].is_object()) {
    const json& l = j["location"];
    a.region = Text(l, "region");
    a.country_name = Text(l, "country_name");
    a.country_iso_code = Text(l, "country_iso_code");
    a.cloud_provider = Text(l, "cloud_provider");
    a.cloud_region = Text(l, "cloud_region");
    a.latitude = MaybeNumber(l, "latitude");
    a.longitude = MaybeNumber(l, "longitude");
  }
  SUNWIND_RETURN_IF_ERROR(Need(j, "intervals", json::value_t::array, ""));
  for (size_t i = 0; i < j["intervals"].size(); ++i) {
    const json& iv = j["intervals"][i];
    const std::string at = "intervals[" + std::to_string(i) + "].";
    AuditPiece p;
    SUNWIND_ASSIGN_OR_RETURN(p.start, Time(iv, "start", at));
    SUNWIND_ASSIGN_OR_RETURN(p.end, Time(iv, "end", at));
    p.region = Text(iv, "region");
    p.zone = Text(iv, "zone");
    SUNWIND_ASSIGN_OR_RETURN(p.energy_kwh, Number(iv, "energy_kwh", at));
    p.cpu_kwh = MaybeNumber(iv, "cpu_kwh").value_or(0);
    p.gpu_kwh = MaybeNumber(iv, "gpu_kwh").value_or(0);
    p.ram_kwh = MaybeNumber(iv, "ram_kwh").value_or(0);
    p.facility_kwh = MaybeNumber(iv, "facility_kwh").value_or(p.energy_kwh);
    p.pue = MaybeNumber(iv, "pue").value_or(1);
    p.intensity_g_per_kwh = MaybeNumber(iv, "intensity_g_per_kwh");
    p.intensity_kind = Text(iv, "intensity_kind");
    p.intensity_source = Text(iv, "intensity_source");
    p.forecast_g_per_kwh = MaybeNumber(iv, "forecast_g_per_kwh");
    p.emissions_g = MaybeNumber(iv, "emissions_g");
    p.water_l = MaybeNumber(iv, "water_l");
    a.intervals.push_back(std::move(p));
  }
  if (j.contains("intensity") && j["intensity"].is_array()) {
    for (const json& c : j["intensity"]) {
      AuditCurve curve;
      curve.region = Text(c, "region");
      curve.zone = Text(c, "zone");
      if (!c.contains("points") || !c["points"].is_array()) continue;
      for (size_t i = 0; i < c["points"].size(); ++i) {
        const json& pt = c["points"][i];
        SUNWIND_ASSIGN_OR_RETURN(TimePoint t, Time(pt, "start", "intensity.points[" + std::to_string(i) + "]."));
        if (i == 0) curve.series.start = t;
        if (i == 1) curve.series.step = t - curve.series.start;
        auto v = MaybeNumber(pt, "intensity_g_per_kwh");
        PointKind kind = PointKind::kMissing;
        const std::string k = Text(pt, "kind");
        for (PointKind pk : {PointKind::kMeasured, PointKind::kForecast, PointKind::kEstimated, PointKind::kReplayed})
          if (k == PointKindName(pk)) kind = pk;
        curve.series.Append(v ? *v : kNoValue, v ? kind : PointKind::kMissing, Text(pt, "source"));
      }
      a.curves.push_back(std::move(curve));
    }
  }
  if (j.contains("notes") && j["notes"].is_array()) {
    for (const json& n : j["notes"])
      if (n.is_string()) a.notes.push_back(n.get<std::string>());
  }
  return a;
}

std::vector<CodeCarbonRow> AuditCodeCarbonRows(const JobAudit& a, bool per_piece) {
  struct Span {
    TimePoint end;
    double duration_s, cpu_kwh, gpu_kwh, ram_kwh, it_kwh;
    std::optional<double> emissions_g, water_l;
  };
  std::vector<Span> spans;
  if (per_piece) {
    for (const AuditPiece& p : a.intervals)
      spans.push_back({p.end, static_cast<double>((p.end - p.start).count()), p.cpu_kwh, p.gpu_kwh, p.ram_kwh,
                       p.energy_kwh, p.emissions_g, p.water_l});
  } else if (!a.intervals.empty()) {
    spans.push_back({a.intervals.back().end, a.duration_s, a.cpu_kwh, a.gpu_kwh, a.ram_kwh, a.it_kwh,
                     a.emissions_known_energy_kwh == a.it_kwh ? a.emissions_g : std::nullopt, a.water_l});
  }
  // CodeCarbon leaves GPU fields empty without a measured GPU.
  const bool gpu_metered = a.gpu_method != "none" && a.gpu_method != kEstimated;
  std::vector<CodeCarbonRow> rows;
  for (const Span& s : spans) {
    CodeCarbonRow r;
    r.timestamp = s.end;
    r.project_name = a.project.empty() ? "sunwind" : a.project;
    r.run_id = a.job_id;
    r.experiment_id = a.name;
    r.duration_s = s.duration_s;
    if (s.emissions_g) {
      r.emissions_kg = *s.emissions_g / 1000;
      if (s.duration_s > 0) r.emissions_rate_kg_per_s = *r.emissions_kg / s.duration_s;
    }
    if (s.duration_s > 0) {
      r.cpu_power_w = s.cpu_kwh * kJoulesPerKwh / s.duration_s;
      r.ram_power_w = s.ram_kwh * kJoulesPerKwh / s.duration_s;
      if (gpu_metered) r.gpu_power_w = s.gpu_kwh * kJoulesPerKwh / s.duration_s;
    }
    r.cpu_energy_kwh = s.cpu_kwh;
    r.ram_energy_kwh = s.ram_kwh;
    if (gpu_metered) r.gpu_energy_kwh = s.gpu_kwh;
    r.energy_consumed_kwh = s.it_kwh;
    r.water_consumed_l = s.water_l;
    r.country_name = a.country_name;
    // Left empty as `sunwind measure` does: CodeCarbon writes ISO alpha-3, the
    // catalogue holds alpha-2 (docs/metering.md).
    r.region = a.region;
    r.cloud_provider = a.cloud_provider;
    r.cloud_region = a.cloud_region;
    r.on_cloud = a.cloud_provider.empty() ? "N" : "Y";
    r.longitude = a.longitude;
    r.latitude = a.latitude;
    r.tracking_mode = "process";
    r.pue = a.pue;
    r.wue = a.wue_l_per_kwh;
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace sunwind
