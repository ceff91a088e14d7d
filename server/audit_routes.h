// GET /v1/jobs/{id}/audit and GET /v1/jobs/{id}/samples?since=RFC3339: a
// job's emissions audit (service/audit.h) from what the daemon's meter stored
// for it (storage/meter_store.h), and the samples themselves (docs/api.md).
//
//   /audit    200 the audit JSON (AuditJson); during a run, the audit so far
//             (in_progress true, and a note); 404 for an unknown job.
//   /samples  200 [{at, interval_s, cpu_w, gpu_w, ram_w}], oldest first, only
//             those ending after `since` when given (400 naming it when it is
//             not RFC 3339); 404 for an unknown job.
#ifndef SUNWIND_SERVER_AUDIT_ROUTES_H_
#define SUNWIND_SERVER_AUDIT_ROUTES_H_

#include <optional>
#include <string>
#include <vector>

#include "server/http_server.h"
#include "server/report_routes.h"
#include "service/audit.h"
#include "service/job_metering.h"
#include "service/service.h"
#include "storage/meter_store.h"

namespace sunwind {

// The metered energy of stored rows: their joules, and each component's
// method (the one that covered most of the time; a note when it changed).
MeteredEnergy EnergyFromSamples(const std::vector<StoredMeterSample>& rows);

// A Slurm job's energy from the cluster's accounting: ConsumedEnergy (the
// energy plugin's figure for the job's nodes, not split by component),
// spread over the job's runs in proportion to their length. Without an
// energy plugin, the CPU time Slurm accounted × `cpu_w_per_core` (a CPU's
// TDP over its logical cores: the TDP model, the compute nodes taken to be
// like the daemon's machine), spread the same way; with neither, nothing is
// metered (the audit estimates from the plan) and a note says why.
MeteredEnergy EnergyFromAccounting(const SlurmAccounting& accounting, const std::vector<RunInterval>& runs,
                                   double cpu_w_per_core = 0);

// Audits from a job's detail and its stored samples. `store` null (a daemon
// without a meter) or no samples for the job: the energy is estimated from
// the plan (BuildAudit's "estimated-from-plan"). References must outlive the
// function; `store`'s calls are serialised by its own mutex.
// `metering` (may be null) is flushed first, so the audit sees every sample
// taken, even of a job that ended a moment ago. A job that ran on Slurm
// takes its energy from the cluster's accounting through `service` (may be
// null: then it is estimated).
AuditForJob MeteredAudits(MeterStore* store, JobMetering* metering, const RegionCatalogue& regions,
                          const FetchIntensity& fetch, const Clock& clock, const std::string& default_region,
                          Service* service = nullptr, double slurm_cpu_w_per_core = 0);

// Answers the two routes above; nullopt when the request is neither (so the
// caller routes it on).
std::optional<ApiResponse> AuditAnswer(Service& service, const AuditForJob& audit_for, MeterStore* store,
                                       JobMetering* metering, const ApiRequest& request);

}  // namespace sunwind

#endif  // SUNWIND_SERVER_AUDIT_ROUTES_H_
