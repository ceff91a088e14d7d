#include "server/metrics_routes.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <thread>
#include <utility>

#include "metering/codecarbon_csv.h"

namespace sunwind {
namespace {

// Prometheus' float text: shortest round trip, NaN and ±Inf spelled its way.
std::string Value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return FormatCsvNumber(v);
}

class Exposition {
 public:
  // A metric family's HELP and TYPE; its samples follow.
  void Family(const std::string& name, const std::string& type, const std::string& help) {
    out_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  }
  void Sample(const std::string& name, const std::vector<std::pair<std::string, std::string>>& labels, double v) {
    out_ << name;
    if (!labels.empty()) {
      out_ << "{";
      for (size_t i = 0; i < labels.size(); ++i) {
        out_ << (i ? "," : "") << labels[i].first << "=\"" << EscapeLabelValue(labels[i].second) << "\"";
      }
      out_ << "}";
    }
    out_ << " " << Value(v) << "\n";
  }
  void Comment(std::string text) {
    std::replace(text.begin(), text.end(), '\n', ' ');
    out_ << "# " << text << "\n";
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

}  // namespace

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

ApiResponse MetricsAnswer(Service& service, const AuditForJob& audit_for, const RegionCatalogue& regions,
                          const FetchIntensity& fetch, const Clock& clock) {
  Exposition e;
  e.Family("sunwind_jobs", "gauge", "Jobs in the daemon's store, by state.");
  std::map<std::string, int> by_state;
  for (const char* s : {"queued", "running", "paused", "done", "failed", "cancelled"}) by_state[s] = 0;
  auto jobs = service.List();
  if (jobs.ok()) {
    for (const auto& j : *jobs) ++by_state[JobPhaseName(j.state)];
    for (const auto& [state, n] : by_state) e.Sample("sunwind_jobs", {{"state", state}}, n);
  } else {
    e.Comment("jobs unavailable: " + jobs.status().message());
  }

  std::vector<std::string> notes;
  auto figures = CollectJobFigures(service, audit_for, std::nullopt,
                                   static_cast<int>(std::max(1u, std::thread::hardware_concurrency())), notes);
  struct Sums {
    double energy_j = 0;
    std::optional<double> emissions_g, embodied_g, saved_g, water_m3;
  };
  auto add = [](std::optional<double>& sum, const std::optional<double>& v, double scale = 1) {
    if (v) sum = sum.value_or(0) + *v * scale;
  };
  std::map<std::pair<std::string, std::string>, Sums> sums;
  if (figures.ok()) {
    for (const auto& f : *figures) {
      Sums& s = sums[{f.project, f.region}];
      s.energy_j += f.energy_kwh * 3.6e6;
      add(s.emissions_g, f.emissions_g);
      add(s.embodied_g, f.embodied_g);
      add(s.saved_g, f.saving_g);
      add(s.water_m3, f.water_l, 1e-3);
    }
  } else {
    e.Comment("job figures unavailable: " + figures.status().message());
  }
  for (const auto& n : notes) e.Comment(n);
  auto family = [&](const std::string& name, const std::string& type, const std::string& help,
                    auto value) {
    e.Family(name, type, help);
    for (const auto& [key, s] : sums) {
      std::optional<double> v = value(s);
      if (v) e.Sample(name, {{"project", key.first}, {"region", key.second}}, *v);
    }
  };
  family("sunwind_energy_joules_total", "counter",
         "Facility energy (IT energy x PUE) of the jobs that ran, in joules.",
         [](const Sums& s) { return std::optional<double>(s.energy_j); });
  family("sunwind_emissions_grams_total", "counter",
         "Operational emissions of the jobs that ran, g CO2eq, from each hour's grid intensity.",
         [](const Sums& s) { return s.emissions_g; });
  family("sunwind_embodied_emissions_grams_total", "counter",
         "Embodied emissions estimate of the jobs that ran, g CO2eq (Cloud Carbon Footprint's method), apart "
         "from operational emissions.",
         [](const Sums& s) { return s.embodied_g; });
  family("sunwind_emissions_saved_grams", "gauge",
         "Emissions avoided against running each job at submission in its home region, g CO2eq.",
         [](const Sums& s) { return s.saved_g; });
  family("sunwind_water_cubic_meters_total", "counter",
         "Water of the jobs that ran, WUE x IT energy, in cubic metres, where WUE is known.",
         [](const Sums& s) { return s.water_m3; });

  e.Family("sunwind_grid_intensity_grams_per_kwh", "gauge",
           "Grid carbon intensity now in each runnable region, g CO2eq/kWh, before PUE.");
  const TimePoint hour = FloorTo(clock.Now(), Duration{3600});
  for (const auto& region : regions.regions()) {
    if (region.executor_kind.empty()) continue;
    auto s = fetch(&region, hour, hour + Duration{3600}, Duration{3600});
    if (!s.ok() || s->series.size() == 0 || s->series.IsMissing(0)) {
      e.Comment(region.id + ": no grid intensity for " + FormatTime(hour) +
                (s.ok() ? "" : ": " + s.status().message()));
      continue;
    }
    e.Sample("sunwind_grid_intensity_grams_per_kwh",
             {{"region", region.id}, {"zone", region.zone}, {"kind", PointKindName(s->series.ProvenanceAt(0).kind)}},
             s->series.values[0]);
  }
  ApiResponse a;
  a.content_type = "text/plain; version=0.0.4; charset=utf-8";
  a.body = e.str();
  return a;
}

}  // namespace sunwind
