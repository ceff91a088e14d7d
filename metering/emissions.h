// The emissions audit of a metered run: each hour's energy × that hour's grid
// intensity × the PUE, so a job that ran across a change in the grid is
// charged what the grid really had then (not one figure taken at the end).
//
//   facility_kwh(h) = it_kwh(h) × PUE
//   emissions_g     = Σ_h it_kwh(h) × PUE × intensity_g_per_kwh(h)
//   water_l         = WUE (L per IT kWh) × Σ_h it_kwh(h)   (IT energy, not facility)
//
// Pure arithmetic over values already measured and fetched: no I/O, no clock.
#ifndef SUNWIND_METERING_EMISSIONS_H_
#define SUNWIND_METERING_EMISSIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "core/series.h"
#include "core/status.h"
#include "metering/meter.h"

namespace sunwind {

struct AuditInterval {
  TimePoint start;  // the hour
  double it_energy_kwh = 0;
  double facility_energy_kwh = 0;
  double intensity_g_per_kwh = 0;  // NaN: the grid's intensity for that hour is unknown
  double emissions_g = 0;          // NaN with it
  std::string kind;                // "measured", "replayed", "estimated"
  std::string source;
};

struct EmissionsAudit {
  std::vector<AuditInterval> intervals;
  double it_energy_kwh = 0;
  double facility_energy_kwh = 0;
  double pue = 1;
  double emissions_g = 0;  // NaN when any hour's intensity is missing
  std::optional<double> water_l;  // only where WUE is known
  std::vector<std::string> sources;  // distinct intensity sources, in order
  std::vector<std::string> notes;
};

// Audits `hours` (as JobMeter::hourly gives them) against `intensity`, an
// hourly series whose grid covers them. An hour the series lacks is a gap,
// never a zero: its emissions are NaN and a note names it.
EmissionsAudit AuditEmissions(const std::vector<HourlyEnergy>& hours, const IntensitySeries& intensity, double pue,
                              std::optional<double> wue_l_per_kwh);

}  // namespace sunwind

#endif  // SUNWIND_METERING_EMISSIONS_H_
