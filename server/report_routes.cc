#include "server/report_routes.h"

#include <algorithm>
#include <map>
#include <thread>
#include <tuple>

#include "core/units.h"
#include "metering/embodied.h"
#include "server/json_answer.h"

namespace sunwind {

using nlohmann::json;

namespace {

std::string Month(TimePoint t) { return FormatTime(t).substr(0, 7); }  // "2026-11"

// A running sum of values that may be unknown: null when none was known.
struct Sum {
  double value = 0;
  int known = 0;
  void Add(const std::optional<double>& v) {
    if (v) {
      value += *v;
      ++known;
    }
  }
  json Json() const { return known ? json(value) : json(nullptr); }
};

struct Group {
  int jobs = 0;
  Sum energy_kwh, it_energy_kwh, emissions_g, water_l, saving_g, embodied_g;
  void Add(const JobFigures& f) {
    ++jobs;
    energy_kwh.Add(f.energy_kwh);
    it_energy_kwh.Add(f.it_energy_kwh);
    emissions_g.Add(f.emissions_g);
    water_l.Add(f.water_l);
    saving_g.Add(f.saving_g);
    embodied_g.Add(f.embodied_g);
  }
  json Json() const {
    return {{"jobs", jobs},
            {"energy_kwh", energy_kwh.Json()},
            {"it_energy_kwh", it_energy_kwh.Json()},
            {"emissions_g", emissions_g.Json()},
            {"water_l", water_l.Json()},
            {"saving_g", saving_g.Json()},
            {"embodied_g", embodied_g.Json()}};
  }
};

}  // namespace

Result<std::vector<JobFigures>> CollectJobFigures(Service& service, const AuditForJob& audit_for,
                                                  const std::optional<std::string>& project, int logical_cpus,
                                                  std::vector<std::string>& notes) {
  JobFilter filter;
  filter.project = project;
  SUNWIND_ASSIGN_OR_RETURN(auto jobs, service.List(filter));
  const EmbodiedCoefficients ccf(kCcfServerLifespanH, kCcfBaseServerKg);
  const EmbodiedMachine host = ccf.BaseServer(logical_cpus);
  std::vector<JobFigures> out;
  for (const auto& job : jobs) {
    auto detail = service.Show(job.id);
    if (!detail.ok()) {
      notes.push_back(job.id + ": left out, " + detail.status().message());
      continue;
    }
    auto audit = audit_for(*detail);
    if (!audit.ok()) {
      notes.push_back(job.id + ": left out, its audit failed: " + audit.status().message());
      continue;
    }
    if (audit->intervals.empty()) continue;  // never ran
    JobFigures f;
    f.job_id = job.id;
    f.project = job.submission.project;
    f.state = audit->state;
    f.region = audit->intervals.front().region;
    f.first_start = audit->intervals.front().start;
    f.duration_s = audit->duration_s;
    f.energy_kwh = audit->facility_kwh;
    f.it_energy_kwh = audit->it_kwh;
    f.emissions_g = audit->emissions_g;
    f.water_l = audit->water_l;
    f.saving_g = audit->saving_g;
    // The audit holds no CPU time: each job is taken to keep one vCPU busy.
    auto embodied = EstimateEmbodied(host, {f.duration_s / 3600.0, 1.0, 0}, ccf.lifespan_h());
    if (embodied.ok()) f.embodied_g = embodied->emissions_g;
    out.push_back(std::move(f));
  }
  return out;
}

json ReportJson(const std::vector<JobFigures>& jobs, std::vector<std::string> notes) {
  std::map<std::tuple<std::string, std::string, std::string>, Group> groups;
  Group totals;
  int unknown_emissions = 0, unknown_water = 0, unknown_saving = 0;
  for (const auto& f : jobs) {
    groups[{f.project, f.region, Month(f.first_start)}].Add(f);
    totals.Add(f);
    unknown_emissions += !f.emissions_g;
    unknown_water += !f.water_l;
    unknown_saving += !f.saving_g;
  }
  json rows = json::array();
  for (const auto& [key, g] : groups) {
    json row = {{"project", std::get<0>(key)}, {"region", std::get<1>(key)}, {"month", std::get<2>(key)}};
    row.update(g.Json());
    rows.push_back(row);
  }
  auto count = [&](int n, const std::string& what) {
    if (n) notes.push_back(std::to_string(n) + " of " + std::to_string(jobs.size()) + " jobs have no known " + what +
                           ": left out of the sums");
  };
  count(unknown_emissions, "emissions (an hour's grid intensity unknown)");
  count(unknown_water, "water (no published WUE for their region)");
  count(unknown_saving, "saving (no counterfactual)");
  notes.push_back("energy_kwh is facility energy (IT energy × PUE); emissions_g is operational, from each hour's grid "
                  "intensity; water_l is WUE × IT energy");
  notes.push_back("embodied_g (Cloud Carbon Footprint's method, apart from emissions_g): the host as CCF's base "
                  "server of " + FormatNumber(kCcfBaseServerKg, 0) + " kg CO2eq over a " +
                  FormatNumber(kCcfServerLifespanH, 0) + " h lifespan, each job keeping one vCPU busy");
  return {{"rows", rows}, {"totals", totals.Json()}, {"notes", notes}};
}

ApiResponse ReportAnswer(Service& service, const AuditForJob& audit_for, const ApiRequest& r) {
  std::optional<TimePoint> from, to;
  for (const char* name : {"from", "to"}) {
    auto it = r.query.find(name);
    if (it == r.query.end() || it->second.empty()) continue;
    auto t = ParseTime(it->second);
    if (!t.ok()) {
      return JsonAnswer(400, {{"error", std::string(name) + ": \"" + it->second +
                                            "\" is not an RFC 3339 time (e.g. 2026-11-01T00:00:00Z)"}});
    }
    (std::string(name) == "from" ? from : to) = *t;
  }
  if (from && to && *to <= *from) return JsonAnswer(400, {{"error", "to: must be after from"}});
  std::optional<std::string> project;
  if (auto it = r.query.find("project"); it != r.query.end() && !it->second.empty()) project = it->second;
  std::vector<std::string> notes;
  auto figures = CollectJobFigures(service, audit_for, project, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())), notes);
  if (!figures.ok()) return JsonAnswer(HttpStatusFor(figures.status()), {{"error", figures.status().message()}});
  std::vector<JobFigures> kept;
  for (auto& f : *figures) {
    if ((from && f.first_start < *from) || (to && f.first_start >= *to)) continue;
    kept.push_back(std::move(f));
  }
  return JsonAnswer(200, ReportJson(kept, std::move(notes)));
}

}  // namespace sunwind
