// A plan as the daemon stores it and the API shows it: the intervals (an
// array) and the summary around them (run-now counterfactual, saving, notes).
#ifndef SUNWIND_SERVICE_PLAN_JSON_H_
#define SUNWIND_SERVICE_PLAN_JSON_H_

#include <nlohmann/json.hpp>

#include "scheduler/planner.h"

namespace sunwind {

// [{region, start, end, mean_intensity_g_per_kwh, energy_kwh, emissions_g, kind, source}]
nlohmann::json PlanIntervalsJson(const Plan& plan);
// {work_s, saving_g, saving_pct, notes, run_now: {region, start, end, mean_intensity_g_per_kwh, emissions_g}}
nlohmann::json PlanSummaryJson(const Plan& plan);

}  // namespace sunwind

#endif  // SUNWIND_SERVICE_PLAN_JSON_H_
