// The emissions audit of one job, after (or during) its run: where and when it
// ran, what it drew per component and how each figure was obtained, the
// emissions from the intensity the grid actually had in each hour it ran (the
// forecast it was planned with beside it), water, and what running it at
// submission in its home region would have emitted.
//
//   facility_kwh = it_kwh × PUE (of the region each piece ran in)
//   emissions_g  = Σ_pieces it_kwh × PUE × intensity_g_per_kwh(hour of the piece)
//   water_l      = Σ WUE × it_kwh (IT energy, not facility energy); null where
//                  any region it ran in has no published WUE
//
// A piece is a run interval cut at UTC hour boundaries. An hour whose
// intensity is unknown is unknown, never zero: its emissions are null, the
// totals count only the hours known, and a note says how much energy that
// leaves out.
//
// Pure: no HTTP, no clock reads, no database. The caller passes the job, its
// run intervals (RunIntervalsFromEvents), the energy metered for it (from
// MeterStore's samples or a JobMeter) and `fetch`, the only way it learns the
// grid's intensity (the daemon's FetchIntensity: measured, replayed or
// estimated points, each with its source).
#ifndef SUNWIND_SERVICE_AUDIT_H_
#define SUNWIND_SERVICE_AUDIT_H_

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/series.h"
#include "core/status.h"
#include "core/time.h"
#include "metering/codecarbon_csv.h"
#include "regions/catalogue.h"
#include "service/service.h"
#include "storage/job_store.h"

namespace sunwind {

// A span the job ran, and where (a region id of the catalogue).
struct RunInterval {
  TimePoint start{};
  TimePoint end{};
  std::string region;
};

// The spans the event log says the job ran: each "running" event opens one,
// the next event to another state closes it. One still open ends at `now`.
// `default_region` stands in where an event names no region.
std::vector<RunInterval> RunIntervalsFromEvents(const std::vector<JobEvent>& events, TimePoint now,
                                                const std::string& default_region);

// Energy drawn over [end - interval_s, end), per component, in joules.
// MeterStore's rows and JobMeter's samples both map onto it.
struct EnergySample {
  double end_unix_s = 0;  // Unix seconds, UTC (sub-second allowed)
  double interval_s = 0;  // > 0
  double cpu_j = 0, gpu_j = 0, ram_j = 0;
};

// What was metered for the job. Methods: "rapl", "tdp-model",
// "nvml-energy-counter", "nvml-power-sampling", "ram-model",
// "slurm-consumed-energy", "none" (no GPU); empty when that component was not
// metered at all. No samples at all: the audit estimates the energy from the
// submission's power_w × time run, every method "estimated-from-plan".
struct MeteredEnergy {
  std::vector<EnergySample> samples;  // any order; need not cover every run
  std::string cpu_method, gpu_method, ram_method;
  std::vector<std::string> notes;  // the meter's own notes (fall-backs, flags)
};

struct AuditInput {
  JobRecord job;
  std::vector<RunInterval> runs;   // oldest first
  std::optional<StoredPlan> plan;  // the plan it was planned with, if any
  MeteredEnergy metered;
  // True while the job is still running: the audit covers the run so far
  // and says so.
  bool in_progress = false;
};

// One piece of a run: a run interval within one UTC hour.
struct AuditPiece {
  TimePoint start{}, end{};
  std::string region, zone;
  double cpu_kwh = 0, gpu_kwh = 0, ram_kwh = 0;
  double energy_kwh = 0;  // IT energy: cpu + gpu + ram
  double facility_kwh = 0;
  double pue = 1;
  std::optional<double> intensity_g_per_kwh;  // the grid's, in that hour
  std::string intensity_kind;                 // "measured", "replayed", "estimated", "forecast"; "" unknown
  std::string intensity_source;
  std::optional<double> forecast_g_per_kwh;  // what the plan expected then and there
  std::optional<double> emissions_g;         // null when the intensity is unknown
  std::optional<double> water_l;             // null when the region's WUE is unknown
};

struct AuditCounterfactual {
  std::string region;  // the home region
  TimePoint start{};   // the submission
  std::optional<double> emissions_g;
  std::string how;  // "recomputed: ..." or "plan's run-now figure ..."
};

// The grid intensity the audit used for one region, hourly over the span the
// job ran there (for charts: `sunwind audit --svg`).
struct AuditCurve {
  std::string region, zone;
  IntensitySeries series;  // NaN where unknown
};

struct JobAudit {
  std::string job_id;
  std::string state;  // JobPhaseName
  std::string project, name;
  bool in_progress = false;
  std::vector<AuditPiece> intervals;
  double cpu_kwh = 0, gpu_kwh = 0, ram_kwh = 0, it_kwh = 0, facility_kwh = 0;
  double pue = 1;  // facility_kwh / it_kwh (the region's PUE where it ran in one)
  std::string cpu_method, gpu_method, ram_method;
  double duration_s = 0;                   // time run
  std::optional<double> emissions_g;       // null when no hour's intensity is known
  double emissions_known_energy_kwh = 0;   // IT energy whose hour's intensity is known
  std::optional<double> planned_emissions_g;
  std::optional<double> water_l;
  std::optional<double> wue_l_per_kwh;  // where one WUE applies to all
  AuditCounterfactual counterfactual;
  std::vector<AuditCurve> curves;  // one per region it ran in, in order of first run
  std::optional<double> saving_g, saving_pct;  // counterfactual - actual
  std::vector<std::string> notes;              // includes an uncertainty note per figure
  // For CodeCarbon's columns.
  std::string region, country_name, country_iso_code, cloud_provider, cloud_region;
  std::optional<double> latitude, longitude;
};

// Builds the audit. Regions are resolved in `regions` (an unknown one: PUE 1,
// no zone, no intensity, said in a note). `fetch` is asked once per region for
// the hours the job ran there (and once for the counterfactual); a fetch that
// fails leaves those hours unknown with a note, it does not fail the audit.
// InvalidArgument only for malformed input (a run that ends before it starts).
Result<JobAudit> BuildAudit(const AuditInput& input, const RegionCatalogue& regions, const FetchIntensity& fetch);

// The audit as the API and `sunwind audit --json` show it: job_id, state,
// in_progress, intervals[{start, end, region, zone, energy_kwh,
// facility_kwh, intensity_g_per_kwh, intensity_kind, intensity_source,
// forecast_g_per_kwh, emissions_g}], energy{cpu_kwh, gpu_kwh, ram_kwh,
// it_kwh, facility_kwh, pue, methods{cpu, gpu, ram}}, energy_kwh (facility),
// emissions_g, planned_emissions_g, water_l, counterfactual{region, start,
// emissions_g, how}, saving_g, saving_pct, duration_s, project, name,
// location{region, country_name, country_iso_code, cloud_provider,
// cloud_region, latitude, longitude}, wue_l_per_kwh, intensity[{region,
// zone, points[{start, intensity_g_per_kwh, kind, source}]}] (the curves),
// notes. Unknown figures
// are null; numbers are full doubles (not rounded); times RFC 3339 UTC.
nlohmann::json AuditJson(const JobAudit& audit);

// The audit back from AuditJson's output (what a client of the API holds),
// enough for AuditCodeCarbonRows and charts: the figures, intervals, curves
// and location. InvalidArgument naming the first field that is missing or of
// the wrong type.
Result<JobAudit> JobAuditFromJson(const nlohmann::json& j);

// CodeCarbon rows (metering/codecarbon_csv.h): one per piece (timestamp = its
// end, duration = its length), or one for the whole run when `per_piece` is
// false. Emissions in kg; unknown ones left empty.
std::vector<CodeCarbonRow> AuditCodeCarbonRows(const JobAudit& audit, bool per_piece = false);

}  // namespace sunwind

#endif  // SUNWIND_SERVICE_AUDIT_H_
