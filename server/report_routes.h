// GET /v1/report?project=&from=&to=: energy, emissions, water, savings and
// the embodied estimate of the daemon's jobs per project, region and month,
// with totals (docs/api.md, `sunwind report`).
//
// Each job's figures are its audit (service/audit.h): facility energy,
// emissions from the intensity the grid had in each hour it ran, water (WUE ×
// IT energy), and the saving against running it at submission in its home
// region. A figure a job's audit leaves unknown (null) is left out of the
// sums, and a note counts such jobs, so a total never hides a gap as a zero.
// Embodied emissions (metering/embodied.h) are a separate column, never part
// of emissions_g.
//
// A job belongs to the month (UTC, "2026-11") and region of its first run;
// jobs that never ran are not counted. `from`/`to` (RFC 3339) keep the jobs
// whose first run started in [from, to).
#ifndef SUNWIND_SERVER_REPORT_ROUTES_H_
#define SUNWIND_SERVER_REPORT_ROUTES_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/time.h"
#include "server/http_server.h"
#include "service/audit.h"
#include "service/service.h"

namespace sunwind {

// One job's audit as the daemon builds it (MeteredAudits in
// server/audit_routes.h: the meter's stored samples, else the plan's power).
using AuditForJob = std::function<Result<JobAudit>(const JobDetail&)>;

// What the report (and /metrics) takes from one job's audit.
struct JobFigures {
  std::string job_id, project, region, state;
  TimePoint first_start{};
  double duration_s = 0;
  double energy_kwh = 0;  // facility energy
  double it_energy_kwh = 0;
  std::optional<double> emissions_g, water_l, saving_g;
  std::optional<double> embodied_g;  // CCF's method, the host as its base server
};

// The figures of every job that ran (all projects, or `project`), from
// `audit_for`. A job whose audit fails is skipped with a note in `notes`.
// `logical_cpus` is the host's, for the embodied share.
Result<std::vector<JobFigures>> CollectJobFigures(Service& service, const AuditForJob& audit_for,
                                                  const std::optional<std::string>& project, int logical_cpus,
                                                  std::vector<std::string>& notes);

// The report over `jobs`, already filtered: {"rows":[{project, region, month,
// jobs, energy_kwh, it_energy_kwh, emissions_g, water_l, saving_g,
// embodied_g}], "totals":{jobs, energy_kwh, ...}, "notes":[...]}. Rows are
// sorted by project, region, month. A sum over no known value is null.
nlohmann::json ReportJson(const std::vector<JobFigures>& jobs, std::vector<std::string> notes);

// GET /v1/report. 400 naming the parameter for a bad `from`/`to`.
ApiResponse ReportAnswer(Service& service, const AuditForJob& audit_for, const ApiRequest& request);

}  // namespace sunwind

#endif  // SUNWIND_SERVER_REPORT_ROUTES_H_
