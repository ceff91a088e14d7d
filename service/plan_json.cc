#include "service/plan_json.h"

namespace sunwind {

using nlohmann::json;

json PlanIntervalsJson(const Plan& plan) {
  json out = json::array();
  for (const auto& iv : plan.intervals) {
    out.push_back({{"region", iv.region ? iv.region->id : ""},
                   {"start", FormatTime(iv.start)},
                   {"end", FormatTime(iv.end)},
                   {"mean_intensity_g_per_kwh", iv.mean_intensity_g_per_kwh},
                   {"energy_kwh", iv.energy_kwh},
                   {"emissions_g", iv.emissions_g},
                   {"kind", iv.kind},
                   {"source", iv.source}});
  }
  return out;
}

json PlanSummaryJson(const Plan& plan) {
  json s{{"work_s", plan.work.count()}, {"saving_g", plan.saving_g}, {"saving_pct", plan.saving_pct},
         {"notes", plan.notes}};
  if (plan.run_now.region) {
    s["run_now"] = {{"region", plan.run_now.region->id},
                    {"start", FormatTime(plan.run_now.start)},
                    {"end", FormatTime(plan.run_now.end)},
                    {"mean_intensity_g_per_kwh", plan.run_now.mean_intensity_g_per_kwh},
                    {"emissions_g", plan.run_now.emissions_g}};
  }
  if (plan.intervals.empty()) s["notes"].push_back("no window meets the deadline on the data known: runs at once");
  return s;
}

}  // namespace sunwind
