// The daemon's HTTP API as a pure function: request in, response out. No
// sockets here (HttpServer carries requests to Handle), so routing, auth and
// every 4xx are tested without a network. The contract is docs/api.md and
// docs/openapi.yaml.
//
//   POST /v1/jobs                      submit (201 + the job)
//   GET  /v1/jobs?state=&project=      list
//   GET  /v1/jobs/{id}                 the job, its plan, its history
//   POST /v1/jobs/{id}:pause|:resume|:cancel
//   GET  /v1/jobs/{id}/logs?stream=stdout|stderr&offset=N
//   GET  /v1/jobs/{id}/audit, /v1/jobs/{id}/samples?since=   (server/audit_routes.h)
//   GET  /v1/regions/rank?regions=a,b&duration_s=N
//   POST /v1/plan                      plan without submitting
//   GET  /v1/grid?hours_back=&hours_ahead=&regions=   (server/grid_routes.h)
//   GET  /v1/report?project=&from=&to=   (server/report_routes.h)
//   GET  /metrics                      Prometheus text format (server/metrics_routes.h)
//   GET  /v1/healthz
//   GET  /, /web/<file>                the dashboard (server/web_routes.h; no token)
//
// Auth: a request that changes state needs `Authorization: Bearer <token>`;
// reads need it too unless they come over loopback and the daemon was not
// told to protect them. Wrong or missing: 401. Tokens are compared in
// constant time and never logged or echoed.
#ifndef SUNWIND_SERVER_API_H_
#define SUNWIND_SERVER_API_H_

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/audit_routes.h"
#include "server/grid_routes.h"
#include "server/http_server.h"
#include "server/report_routes.h"
#include "service/job_metering.h"
#include "storage/meter_store.h"
#include "service/service.h"

namespace sunwind {

struct ApiOptions {
  // Required on every request that changes state; empty refuses them all.
  std::string token;
  // Reads need the token too (a daemon listening beyond loopback, unless its
  // config opens reads); otherwise reads from loopback are open.
  bool reads_need_token = false;
  // For /v1/healthz.
  std::string version;
  double clock_speed = 1.0;
  // The daemon's meter samples, for audits (server/audit_routes.h); null:
  // audits estimate energy from the plan. Must outlive the Api.
  MeterStore* meter_store = nullptr;
  // The daemon's meter, flushed before an audit reads the store so it sees
  // every sample taken; null in tests that fill the store themselves.
  JobMetering* metering = nullptr;
  // For Slurm jobs on a cluster without an energy plugin: W per busy logical
  // core (a CPU's TDP over its cores) times the CPU time Slurm accounted, per
  // region, else the daemon machine's (server/audit_routes.h); none: such
  // jobs are estimated from their plan.
  SlurmCpuPowers slurm_cpu;
  // Finished jobs' audits kept for /metrics, /v1/report and the audit route
  // (AuditCache in server/audit_routes.h); 0 entries: none kept.
  size_t audit_cache_entries = 4096;
  Duration audit_cache_max_age = std::chrono::hours(1);
};

class Api {
 public:
  // References must outlive the Api. `fetch` answers rank and plan.
  Api(Service& service, const RegionCatalogue& regions, FetchIntensity fetch, const Clock& clock,
      ApiOptions options);

  // Thread-safe (the Service serialises).
  ApiResponse Handle(const ApiRequest& request);

 private:
  ApiResponse Submit(const ApiRequest& r);
  ApiResponse ListJobs(const ApiRequest& r);
  ApiResponse ShowJob(const std::string& id);
  ApiResponse Act(const std::string& id, const std::string& action);
  ApiResponse Logs(const std::string& id, const ApiRequest& r);
  ApiResponse Rank(const ApiRequest& r);
  ApiResponse PlanOnly(const ApiRequest& r);
  // Each job's audit, for /v1/report and /metrics (server/report_routes.h).
  AuditForJob Audits() const;
  bool Authorised(const ApiRequest& r) const;

  Service& service_;
  const RegionCatalogue& regions_;
  FetchIntensity fetch_;
  const Clock& clock_;
  ApiOptions options_;
  GridRoutes grid_;  // GET /v1/grid (the dashboard's Grid view)
  std::unique_ptr<AuditCache> audit_cache_;  // null when options_.audit_cache_entries is 0
};

// The job object of the API (and of `sunwind jobs --json`). Environment
// values are left out (they may hold credentials); their names are listed.
nlohmann::json JobJson(const JobRecord& job);
nlohmann::json JobDetailJson(const JobDetail& detail);
// A submission from a POST /v1/jobs body. Unknown fields, wrong types and
// bad values are InvalidArgument naming the field; `now` judges "in the past".
Result<JobSubmission> SubmissionFromJson(const nlohmann::json& body, TimePoint now);

}  // namespace sunwind

#endif  // SUNWIND_SERVER_API_H_
