#include "cli/forecast_plan.h"

#include <algorithm>
#include <cmath>
#include <ostream>

#include "core/units.h"

namespace sunwind {
namespace {

double Hours(Duration d) { return static_cast<double>(d.count()) / 3600.0; }

// Time-weighted mean of the series over [from, to); NaN if any of it is a gap
// or outside the series.
double MeanOver(const IntensitySeries& s, TimePoint from, TimePoint to) {
  double weighted = 0;
  long long covered = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    TimePoint lo = std::max(from, s.TimeAt(i)), hi = std::min(to, s.TimeAt(i + 1));
    if (hi <= lo) continue;
    weighted += s.values[i] * static_cast<double>((hi - lo).count());
    covered += (hi - lo).count();
  }
  if (covered < (to - from).count()) return kNoValue;
  return weighted / static_cast<double>(covered);
}

// The plan's emissions had it run on `actual`, accounted as PlanJob does:
// power × hours × PUE × the grid's mean over each interval, and each restart
// of an interruptible job at the intensity of its chunk's first slot.
double EmissionsOn(const Plan& plan, const std::vector<RegionSeries>& actual, const PlanRequest& q) {
  const double power_kw = q.power_w / 1000.0;
  double total = 0;
  for (size_t k = 0; k < plan.intervals.size(); ++k) {
    const PlannedInterval& iv = plan.intervals[k];
    auto rs = std::find_if(actual.begin(), actual.end(), [&](const RegionSeries& r) { return r.region == iv.region; });
    if (rs == actual.end()) return kNoValue;
    const double pue = iv.region->pue;
    total += power_kw * Hours(iv.end - iv.start) * pue * MeanOver(rs->series, iv.start, iv.end);
    if (k > 0 && q.interruptible && q.resume_overhead.count() > 0) {
      const double first_slot = MeanOver(rs->series, iv.start, iv.start + rs->series.step);
      total += power_kw * Hours(q.resume_overhead) * pue * first_slot;
    }
  }
  return total;
}

bool AllEstimated(const IntensitySeries& s) {
  return std::all_of(s.provenance.begin(), s.provenance.end(),
                     [](const Provenance& p) { return p.kind == PointKind::kEstimated; });
}

}  // namespace

Result<IntensitySeries> RecordedHistory(App& app, const std::string& zone, TimePoint from, TimePoint to,
                                        std::string* source) {
  SUNWIND_ASSIGN_OR_RETURN(IntensitySeries s,
                           app.traces().Intensity({zone, from, to, kForecastStep, app.factor()}));
  IntensitySeries out;
  out.start = s.start;
  out.step = s.step;
  out.signal = s.signal;
  for (size_t i = 0; i < s.size(); ++i) {
    const Provenance& p = s.ProvenanceAt(i);
    if (p.kind == PointKind::kMeasured) {
      if (source->find(p.source) == std::string::npos) *source += (source->empty() ? "" : "; ") + p.source;
      out.Append(s.values[i], PointKind::kMeasured, p.source, p.note);
    } else {
      out.Append(kNoValue, PointKind::kMissing, "", "not recorded");
    }
  }
  if (source->empty()) {
    std::string years;
    for (int y : app.traces().YearsWithData(zone, app.factor())) years += (years.empty() ? "" : ", ") + std::to_string(y);
    return Status(StatusCode::kFailedPrecondition, "zone " + zone + " has no recorded intensity from " +
                                                       FormatTime(from) + " to " + FormatTime(to) +
                                                       " (its traces record " + (years.empty() ? "no whole year" : years) + ")");
  }
  return out;
}

Result<ForecastPlan> PlanOnForecast(App& app, const std::string& model, const PlanRequest& q,
                                    const std::vector<RegionSeries>& actual_candidates, const RegionSeries& actual_home,
                                    const Plan& perfect, bool use_slack) {
  if (actual_home.series.step != kForecastStep) {
    return Status::InvalidArgument("--forecast: forecasts are hourly; plan with --step 1h");
  }
  if (FloorTo(q.at, kForecastStep) != q.at) {
    return Status::InvalidArgument("--forecast: forecasts start on the hour; --at " + FormatTime(q.at) + " is not");
  }
  ForecastPlan fp;
  const BandOptions band;
  // The forecast standing in for one region's recorded series.
  auto forecast = [&](const RegionSeries& actual) -> Result<RegionSeries> {
    const Region* region = actual.region;
    const Duration horizon = actual.series.end() - q.at;
    auto record = std::find_if(fp.forecasts.begin(), fp.forecasts.end(),
                               [&](const ForecastPlan::RegionForecast& f) { return f.region == region; });
    if (record == fp.forecasts.end()) record = fp.forecasts.insert(fp.forecasts.end(), {region, "", kNoValue});
    if (AllEstimated(actual.series)) {
      fp.notes.push_back(region->id + ": zone " + region->zone +
                         " has no recorded trace; its yearly-average estimate stands in, unforecast");
      return actual;
    }
    std::string source;
    auto history = RecordedHistory(app, region->zone, q.at - ForecastLookback(horizon, band), q.at, &source);
    if (!history.ok()) return history.status().WithContext(region->id);
    auto f = ForecastWithBand(model, *history, q.at, horizon, band);
    if (!f.ok()) return f.status().WithContext("--forecast: " + region->id + " (zone " + region->zone + ")");
    record->model = f->model;
    record->mae_g_per_kwh = f->measured.mae_g_per_kwh;
    return RegionSeries{region, std::move(f->forecast)};
  };

  std::vector<RegionSeries> candidates;
  for (const auto& rs : actual_candidates) {
    SUNWIND_ASSIGN_OR_RETURN(RegionSeries f, forecast(rs));
    candidates.push_back(std::move(f));
  }
  SUNWIND_ASSIGN_OR_RETURN(RegionSeries home, forecast(actual_home));
  PlanRequest slackened = q;
  if (use_slack && !q.interruptible) {
    // A later window must beat an earlier one by more than the forecast's
    // measured error over the job: the worst region's MAE × PUE × energy.
    double worst_g_per_kwh = 0;
    for (const auto& f : fp.forecasts) {
      if (!std::isnan(f.mae_g_per_kwh)) worst_g_per_kwh = std::max(worst_g_per_kwh, f.mae_g_per_kwh * f.region->pue);
    }
    slackened.slack_g = worst_g_per_kwh * q.power_w / 1000.0 * std::chrono::duration<double, std::ratio<3600>>(q.duration).count();
  }
  fp.slack_g = slackened.slack_g;
  SUNWIND_ASSIGN_OR_RETURN(fp.plan, PlanJob(candidates, home, slackened));
  fp.forecast_series = candidates;

  fp.plan_emissions_actual_g = EmissionsOn(fp.plan, actual_candidates, q);
  fp.perfect_knowledge_emissions_g = perfect.emissions_g;
  fp.run_now_actual_g = perfect.run_now.emissions_g;
  return fp;
}

Json ForecastPlanJson(const ForecastPlan& fp, const std::string& model) {
  Json regions = Json::array();
  for (const auto& f : fp.forecasts) {
    regions.push_back({{"region", f.region->id},
                       {"zone", f.region->zone},
                       {"model", JsonText(f.model)},
                       {"mae_g_per_kwh", JsonNumber(f.mae_g_per_kwh)}});
  }
  Json j;
  j["model"] = model;
  j["regions"] = regions;
  j["plan_emissions_expected_g"] = JsonNumber(fp.plan.emissions_g);
  j["plan_emissions_actual_g"] = JsonNumber(fp.plan_emissions_actual_g);
  j["perfect_knowledge_emissions_g"] = JsonNumber(fp.perfect_knowledge_emissions_g);
  j["run_now_actual_g"] = JsonNumber(fp.run_now_actual_g);
  j["slack_g"] = JsonNumber(fp.slack_g);
  j["notes"] = fp.notes;
  return j;
}

void PrintForecastPlan(std::ostream& out, const ForecastPlan& fp, const std::string& model) {
  out << "\nForecast:  planned at " << FormatTime(fp.plan.run_now.start) << " on --forecast " << model
      << " forecasts, knowing only the past:\n";
  for (const auto& f : fp.forecasts) {
    out << "  " << f.region->id << " (" << f.region->zone << "): ";
    if (f.model.empty()) {
      out << "no forecast (yearly-average estimate)\n";
    } else {
      out << f.model << ", MAE " << FormatNumber(f.mae_g_per_kwh, 1) << " g/kWh over the days before\n";
    }
  }
  auto mass = [](double g) { return std::isnan(g) ? std::string("unknown (gap in data)") : FormatMass(g) + " CO2eq"; };
  out << "On what the grid really did:\n"
      << "  this plan:         " << mass(fp.plan_emissions_actual_g) << "\n"
      << "  perfect knowledge: " << mass(fp.perfect_knowledge_emissions_g) << "\n"
      << "  run now:           " << mass(fp.run_now_actual_g) << "\n";
  for (const auto& n : fp.notes) out << "Note:      " << n << "\n";
}

}  // namespace sunwind
