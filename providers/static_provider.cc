#include "providers/static_provider.h"

#include <algorithm>

#include "core/csv.h"

namespace sunwind {

Result<StaticProvider> StaticProvider::FromEmberCsv(const std::string& path) {
  SUNWIND_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto rows = ParseCsv(text);
  if (!rows.ok()) return rows.status().WithContext(path);
  if (rows->empty()) return Status::InvalidArgument(path + ": empty file");
  const auto& header = rows->front().fields;
  int code_col = -1, value_col = -1, year_col = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "country_code_iso_2") code_col = static_cast<int>(i);
    if (header[i] == "emissions_intensity_gco2_per_kwh") value_col = static_cast<int>(i);
    if (header[i] == "year") year_col = static_cast<int>(i);
  }
  if (code_col < 0 || value_col < 0 || year_col < 0) {
    return Status::InvalidArgument(path + ":1: expected columns country_code_iso_2, year, emissions_intensity_gco2_per_kwh");
  }
  StaticProvider p;
  for (size_t r = 1; r < rows->size(); ++r) {
    const auto& f = (*rows)[r].fields;
    if (static_cast<int>(f.size()) <= std::max(code_col, std::max(value_col, year_col))) continue;
    if (f[code_col].empty()) continue;  // aggregates such as "Africa"
    try {
      double v = std::stod(f[value_col]);
      p.country_averages_[f[code_col]] = {v, "Ember " + f[year_col] + " yearly average for " + f[code_col]};
    } catch (...) {
      return Status::InvalidArgument(path + ":" + std::to_string((*rows)[r].line) +
                                     ": column 'emissions_intensity_gco2_per_kwh': not a number");
    }
  }
  return p;
}

void StaticProvider::SetZoneAverage(const std::string& zone, double intensity_g_per_kwh, const std::string& source) {
  zone_averages_[zone] = {intensity_g_per_kwh, source};
}

const StaticProvider::Average* StaticProvider::Find(const std::string& zone) const {
  if (auto it = zone_averages_.find(zone); it != zone_averages_.end()) return &it->second;
  std::string country = zone.substr(0, zone.find('-'));
  if (auto it = country_averages_.find(country); it != country_averages_.end()) return &it->second;
  return nullptr;
}

Result<IntensitySeries> StaticProvider::Intensity(const IntensityQuery& q) {
  if (q.to <= q.from || q.step.count() <= 0) {
    return Status::InvalidArgument("empty or reversed time range for zone '" + q.zone + "'");
  }
  const Average* avg = Find(q.zone);
  if (!avg) return Status::NotFound("no yearly average for zone '" + q.zone + "'");
  IntensitySeries s;
  s.start = q.from;
  s.step = q.step;
  const size_t n = static_cast<size_t>((q.to - q.from + q.step - Duration{1}) / q.step);
  for (size_t i = 0; i < n; ++i) {
    s.Append(avg->intensity_g_per_kwh, PointKind::kEstimated, avg->source, "yearly average, no hourly data");
  }
  return s;
}

}  // namespace sunwind
