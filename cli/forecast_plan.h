// The CLI's bridge to forecast/: a zone's recorded past as a forecast's
// history, and `sunwind plan --forecast`, which plans on a forecast made at
// --at and then scores that plan on what the grid really did.
#ifndef SUNWIND_CLI_FORECAST_PLAN_H_
#define SUNWIND_CLI_FORECAST_PLAN_H_

#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/output.h"
#include "core/series.h"
#include "core/status.h"
#include "forecast/backtest.h"
#include "scheduler/planner.h"

namespace sunwind {

// The zone's recorded intensity over [from, to) on the hourly grid, from its
// traces (--trace files first, as everywhere): measured points only; replayed
// and missing hours are gaps, so a forecast never learns from a replay.
// `source` receives the traces' labels. NotFound when the zone has no trace,
// FailedPrecondition when none of its hours in [from, to) is recorded.
Result<IntensitySeries> RecordedHistory(App& app, const std::string& zone, TimePoint from, TimePoint to,
                                        std::string* source);

// What `plan --forecast` found.
struct ForecastPlan {
  Plan plan;  // made on the forecasts: what sunwind would have done at --at
  struct RegionForecast {
    const Region* region;
    std::string model;  // the model used, or "" where the zone has no recorded past
    double mae_g_per_kwh = kNoValue;  // its measured error before --at
  };
  std::vector<RegionForecast> forecasts;
  // The forecast series the plan was made on, one per candidate (for charts).
  std::vector<RegionSeries> forecast_series;
  double plan_emissions_actual_g = kNoValue;        // that plan, on what the grid did
  double perfect_knowledge_emissions_g = kNoValue;  // the plan made knowing it
  double run_now_actual_g = kNoValue;
  double slack_g = 0;  // how much a later window had to win by (PlanRequest::slack_g)
  std::vector<std::string> notes;
};

// Plans `request` on forecasts made at request.at by `model` ("auto" or a
// model name) for every candidate region and the home region, then scores the
// plan on `actual_candidates` (the recorded series the plan would otherwise
// use) beside `perfect`, the plan made on them. A region whose zone has no
// recorded past keeps its yearly-average estimate, which needs no forecast.
// With use_slack, a non-interruptible job takes the earliest window within
// the forecast's measured error of the cheapest forecast window.
// InvalidArgument unless the plan is on 1h slots starting on the hour.
Result<ForecastPlan> PlanOnForecast(App& app, const std::string& model, const PlanRequest& request,
                                    const std::vector<RegionSeries>& actual_candidates, const RegionSeries& actual_home,
                                    const Plan& perfect, bool use_slack);

// The "forecast" object `plan --json` adds, and the lines the table adds.
Json ForecastPlanJson(const ForecastPlan& fp, const std::string& model);
void PrintForecastPlan(std::ostream& out, const ForecastPlan& fp, const std::string& model);

}  // namespace sunwind

#endif  // SUNWIND_CLI_FORECAST_PLAN_H_
