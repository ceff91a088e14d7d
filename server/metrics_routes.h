// GET /metrics: the daemon's state in the Prometheus text exposition format
// 0.0.4 (docs/api.md), for a Prometheus server to scrape:
//
//   sunwind_jobs{state}                                gauge: jobs in each state
//   sunwind_energy_joules_total{project,region}        counter: facility energy of the jobs that ran
//   sunwind_emissions_grams_total{project,region}      counter: operational CO2eq, each hour's grid intensity
//   sunwind_embodied_emissions_grams_total{project,region}  counter: CCF's embodied estimate, apart
//   sunwind_emissions_saved_grams{project,region}      gauge: counterfactual − actual (may be negative)
//   sunwind_water_cubic_meters_total{project,region}   counter: WUE × IT energy, where WUE is known
//   sunwind_grid_intensity_grams_per_kwh{region,zone,kind}  gauge: each runnable region's grid now
//
// Base units as Prometheus' naming rules ask (joules, grams, cubic metres);
// CO2eq is grams of CO2-equivalent. The per-job figures are the report's
// (server/report_routes.h), so /metrics and /v1/report agree. A figure no job
// knows is not exported (no sample), never exported as 0.
#ifndef SUNWIND_SERVER_METRICS_ROUTES_H_
#define SUNWIND_SERVER_METRICS_ROUTES_H_

#include <string>

#include "server/http_server.h"
#include "server/report_routes.h"

namespace sunwind {

// The exposition's label value escaping: backslash, double quote and line
// feed as \\, \" and \n.
std::string EscapeLabelValue(const std::string& value);

// GET /metrics. Content-Type text/plain; version=0.0.4. Each scrape asks
// `audit_for` for every job: the daemon's keeps finished jobs' final audits
// (AuditCache in server/audit_routes.h), so a scrape rebuilds only the
// running jobs' and the recently changed ones'. A region whose intensity
// cannot be fetched gets no intensity sample and a comment line saying why.
ApiResponse MetricsAnswer(Service& service, const AuditForJob& audit_for, const RegionCatalogue& regions,
                          const FetchIntensity& fetch, const Clock& clock);

}  // namespace sunwind

#endif  // SUNWIND_SERVER_METRICS_ROUTES_H_
