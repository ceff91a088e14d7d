#include "cli/simulation_grid.h"

#include <algorithm>
#include <map>
#include <set>

namespace sunwind {

Result<SimulationGrid> LoadSimulationGrid(App& app, const std::vector<JobSpec>& jobs, TimePoint from, TimePoint to) {
  constexpr Duration kHour{3600};
  SimulationGrid out;
  TimePoint data_to = to;
  Duration horizon = kHour;
  std::map<std::string, const Region*> zones;  // zone -> a region on it
  for (const JobSpec& j : jobs) {
    data_to = std::max(data_to, j.deadline);
    horizon = std::max(horizon, j.deadline - j.submit);
    for (const Region* r : j.allowed_regions) zones.emplace(r->zone, r);
    zones.emplace(j.home_region->zone, j.home_region);
  }
  // Two days past the last deadline: room for a run-now job that overruns it.
  data_to = FloorTo(data_to + Duration{2 * 86400}, kHour);
  out.horizon = (horizon + kHour - Duration{1}) / kHour * kHour;
  const TimePoint data_from = FloorTo(from - ForecastView::kLookback, kHour);
  for (const auto& [zone, region] : zones) {
    SUNWIND_ASSIGN_OR_RETURN(RegionSeries s, app.Fetch(region, data_from, data_to, kHour));
    SUNWIND_RETURN_IF_ERROR(out.grid.Add(zone, s.series).WithContext(region->id));
    if (int bridged = out.grid.BridgedHours(zone); bridged > 0) {
      out.notes.push_back("zone " + zone + ": " + std::to_string(bridged) +
                          " hours without data (most before --from, in the forecasts' look-back) carry the last known value");
    }
    std::set<std::string> sources;
    const IntensitySeries& a = *out.grid.Actual(zone);
    for (size_t k = 0; k < a.provenance.size(); ++k) {
      const size_t b = a.provenance[k].begin;
      const size_t e = k + 1 < a.provenance.size() ? a.provenance[k + 1].begin : a.size();
      if (a.TimeAt(e) <= from || a.TimeAt(b) >= to) continue;
      sources.insert(std::string(PointKindName(a.provenance[k].kind)) + ": " + a.provenance[k].source);
    }
    for (const auto& src : sources) out.notes.push_back("zone " + zone + " (" + src + ")");
  }
  return out;
}

}  // namespace sunwind
