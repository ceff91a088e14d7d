#include "metering/emissions.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sunwind {

EmissionsAudit AuditEmissions(const std::vector<HourlyEnergy>& hours, const IntensitySeries& intensity, double pue,
                              std::optional<double> wue_l_per_kwh) {
  EmissionsAudit audit;
  audit.pue = pue;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const auto& h : hours) {
    AuditInterval iv;
    iv.start = h.hour;
    iv.it_energy_kwh = h.total_kwh();
    iv.facility_energy_kwh = iv.it_energy_kwh * pue;
    iv.intensity_g_per_kwh = nan;
    auto offset = (h.hour - intensity.start).count();
    long long step = intensity.step.count();
    if (step > 0 && offset >= 0 && offset % step == 0 && static_cast<size_t>(offset / step) < intensity.size()) {
      size_t i = static_cast<size_t>(offset / step);
      if (!intensity.IsMissing(i)) {
        iv.intensity_g_per_kwh = intensity.values[i];
        const auto& p = intensity.ProvenanceAt(i);
        iv.kind = PointKindName(p.kind);
        iv.source = p.source;
      }
    }
    iv.emissions_g = iv.facility_energy_kwh * iv.intensity_g_per_kwh;
    if (std::isnan(iv.intensity_g_per_kwh)) {
      audit.notes.push_back("no grid intensity for the hour from " + FormatTime(h.hour) + ": emissions unknown");
    } else if (std::find(audit.sources.begin(), audit.sources.end(), iv.source) == audit.sources.end()) {
      audit.sources.push_back(iv.source);
    }
    audit.it_energy_kwh += iv.it_energy_kwh;
    audit.facility_energy_kwh += iv.facility_energy_kwh;
    audit.emissions_g += iv.emissions_g;
    audit.intervals.push_back(iv);
  }
  if (wue_l_per_kwh) audit.water_l = *wue_l_per_kwh * audit.it_energy_kwh;
  return audit;
}

}  // namespace sunwind
