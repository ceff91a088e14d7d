#include "server/grid_routes.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "forecast/backtest.h"
#include "server/json_answer.h"

namespace sunwind {

using nlohmann::json;

namespace {

// A whole number of hours from 0 to `max`, or the default when absent.
Result<int> HoursParam(const ApiRequest& r, const std::string& name, int fallback, int max) {
  auto it = r.query.find(name);
  if (it == r.query.end()) return fallback;
  int v = -1;
  size_t used = 0;
  try {
    v = std::stoi(it->second, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != it->second.size() || v < 0 || v > max) {
    return Status::InvalidArgument(name + ": must be a whole number of hours from 0 to " + std::to_string(max));
  }
  return v;
}

json Number(double v) { return std::isnan(v) ? json(nullptr) : json(v); }

// `value` moved by `offset`, floored at zero, times the PUE; null when either
// is unknown.
json Shifted(double value, double offset, double pue) {
  if (std::isnan(value) || std::isnan(offset)) return nullptr;
  return std::max(0.0, value + offset) * pue;
}

constexpr size_t kMaxCachedBands = 64;

}  // namespace

GridRoutes::GridRoutes(const RegionCatalogue& regions, FetchIntensity fetch, const Clock& clock)
    : regions_(regions), fetch_(std::move(fetch)), clock_(clock) {}

ApiResponse GridRoutes::Handle(const ApiRequest& r) {
  auto back = HoursParam(r, "hours_back", 24, kMaxHoursBack);
  if (!back.ok()) return JsonAnswer(400, {{"error", back.status().message()}});
  auto ahead = HoursParam(r, "hours_ahead", 48, kMaxHoursAhead);
  if (!ahead.ok()) return JsonAnswer(400, {{"error", ahead.status().message()}});
  if (*back + *ahead == 0) return JsonAnswer(400, {{"error", "hours_ahead: hours_back + hours_ahead must be at least 1"}});

  std::vector<const Region*> chosen;
  if (auto it = r.query.find("regions"); it != r.query.end()) {
    std::stringstream in(it->second);
    std::string id;
    while (std::getline(in, id, ',')) {
      if (id.empty()) continue;
      auto region = regions_.Get(id);
      if (!region.ok()) return JsonAnswer(400, {{"error", "regions: " + region.status().message()}});
      chosen.push_back(*region);
    }
  } else {
    for (const auto& region : regions_.regions()) {
      if (!region.executor_kind.empty()) chosen.push_back(&region);
    }
  }

  const TimePoint now = clock_.Now();
  const TimePoint origin = FloorTo(now, kForecastStep);
  const TimePoint from = origin - kForecastStep * *back;
  const TimePoint to = origin + kForecastStep * *ahead;
  json out = json::array();
  for (const Region* region : chosen) {
    auto s = fetch_(region, from, to, kForecastStep);
    if (!s.ok()) return JsonAnswer(503, {{"error", region->id + ": " + s.status().message()}});
    out.push_back(RegionJson(*region, s->series, origin, *ahead));
  }
  return JsonAnswer(200, {{"now", FormatTime(now)},
                      {"origin", FormatTime(origin)},
                      {"from", FormatTime(from)},
                      {"to", FormatTime(to)},
                      {"step_s", kForecastStep.count()},
                      {"band_coverage", 0.8},
                      {"regions", out}});
}

json GridRoutes::RegionJson(const Region& region, const IntensitySeries& series, TimePoint origin,
                            int hours_ahead) {
  Band band;
  if (hours_ahead > 0) {
    band = BandFor(region, origin, hours_ahead);
  } else {
    band.note = "no band: no hours ahead asked for";
  }
  json points = json::array();
  for (size_t i = 0; i < series.size(); ++i) {
    const TimePoint t = series.TimeAt(i);
    const double v = series.values[i];
    const Provenance& p = series.ProvenanceAt(i);
    json point{{"start", FormatTime(t)},
               {"intensity_g_per_kwh", Number(v)},
               {"effective_g_per_kwh", Number(v * region.pue)},
               {"kind", PointKindName(series.IsMissing(i) ? PointKind::kMissing : p.kind)},
               {"source", p.source},
               {"ahead", t >= origin}};
    if (t >= origin) {
      const size_t lead = static_cast<size_t>((t - origin) / kForecastStep);
      if (lead < band.forecast_g_per_kwh.size() && !std::isnan(v)) {
        // The model's error range at this lead, around the value shown.
        point["low_effective_g_per_kwh"] = Shifted(v, band.low_offset_g_per_kwh[lead], region.pue);
        point["high_effective_g_per_kwh"] = Shifted(v, band.high_offset_g_per_kwh[lead], region.pue);
        point["forecast_effective_g_per_kwh"] = Number(band.forecast_g_per_kwh[lead] * region.pue);
      }
    }
    points.push_back(std::move(point));
  }
  json model = band.model.empty() ? json(nullptr) : json(band.model);
  return {{"region", region.id},
          {"zone", region.zone},
          {"display_name", region.display_name},
          {"pue", region.pue},
          {"executor", region.executor_kind},
          {"band_model", model},
          {"band_calibration_origins", band.calibration_origins},
          {"band_note", band.note},
          {"points", points}};
}

GridRoutes::Band GridRoutes::BandFor(const Region& region, TimePoint origin, int hours_ahead) {
  const std::string key = region.id + "|" + FormatTime(origin) + "|" + std::to_string(hours_ahead);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  }
  Band band;
  const Duration horizon = kForecastStep * hours_ahead;
  BandOptions options;  // 28 calibration days, 80 % coverage
  auto history = fetch_(&region, origin - ForecastLookback(horizon, options), origin, kForecastStep);
  Result<BandedForecast> f = history.ok() ? ForecastWithBand("auto", history->series, origin, horizon, options)
                                          : Result<BandedForecast>(history.status());
  if (!f.ok()) {
    band.note = "no band: " + f.status().message();
  } else {
    band.model = f->model;
    band.calibration_origins = f->calibration_origins;
    band.note = "80 % band: the error of the forecast model '" + f->model + "' at each lead, measured over " +
                std::to_string(f->calibration_origins) + " daily origins in the " +
                std::to_string(options.calibration_days) + " days before " + FormatTime(origin) +
                ", placed around the value shown";
    for (size_t i = 0; i < f->forecast.size(); ++i) {
      const double fc = f->forecast.values[i];
      band.forecast_g_per_kwh.push_back(fc);
      band.low_offset_g_per_kwh.push_back(f->lower_g_per_kwh[i] - fc);
      band.high_offset_g_per_kwh.push_back(f->upper_g_per_kwh[i] - fc);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_.size() >= kMaxCachedBands) cache_.clear();
  cache_[key] = band;
  return band;
}

}  // namespace sunwind
