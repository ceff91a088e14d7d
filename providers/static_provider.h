// Yearly averages standing in where no trace exists: every point "estimated".
#ifndef SUNWIND_PROVIDERS_STATIC_PROVIDER_H_
#define SUNWIND_PROVIDERS_STATIC_PROVIDER_H_

#include <map>
#include <string>

#include "providers/intensity_provider.h"

namespace sunwind {

class StaticProvider final : public IntensityProvider {
 public:
  // Reads Ember's yearly country averages (co2-intensities-ember-*.csv:
  // country_code_iso_2, ..., year, ..., emissions_intensity_gco2_per_kwh).
  static Result<StaticProvider> FromEmberCsv(const std::string& path);

  // A more specific yearly average for one zone (e.g. a cloud provider's
  // published figure for the grid of its region); wins over the country's.
  void SetZoneAverage(const std::string& zone, double intensity_g_per_kwh, const std::string& source);

  std::string Name() const override { return "yearly-average"; }
  Result<IntensitySeries> Intensity(const IntensityQuery& query) override;

  struct Average {
    double intensity_g_per_kwh;
    std::string source;
  };
  // The average used for a zone: its own, else its country's (the key up to
  // the first '-'). nullptr if neither is known.
  const Average* Find(const std::string& zone) const;

 private:
  std::map<std::string, Average> zone_averages_;
  std::map<std::string, Average> country_averages_;
};

}  // namespace sunwind

#endif  // SUNWIND_PROVIDERS_STATIC_PROVIDER_H_
