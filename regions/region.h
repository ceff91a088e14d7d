// Where compute runs: a cloud region, a cluster, or this machine.
#ifndef SUNWIND_REGIONS_REGION_H_
#define SUNWIND_REGIONS_REGION_H_

#include <map>
#include <optional>
#include <string>

namespace sunwind {

struct Region {
  std::string id;        // "provider:name", e.g. "gcp:europe-west1", "local:host"
  std::string provider;  // the part before ':'
  std::string name;      // the part after ':'
  std::string display_name;
  std::string city;
  std::string country;
  std::string country_code;  // ISO 3166-1 alpha-2
  std::optional<double> lat;
  std::optional<double> lon;
  std::string location_source;

  std::string zone;  // Electricity Maps zone key of the grid it draws from
  std::string zone_source;

  double pue = 1.0;  // total facility energy / IT energy, >= 1
  std::string pue_source;

  std::optional<double> cfe_pct;  // Google's carbon-free energy %, where published
  std::string cfe_source;
  std::optional<double> wue_l_per_kwh;  // on-site water per IT kWh, where published
  std::string wue_source;

  // Yearly average grid intensity of the region's grid, as published.
  std::optional<double> grid_intensity_g_per_kwh;
  std::optional<int> grid_intensity_year;
  std::string grid_intensity_source;

  // Executor binding from the user's config ("local", "slurm", ...). Empty:
  // the region is advisory, ranked and planned but not launched on.
  std::string executor_kind;
  std::map<std::string, std::string> executor_options;

  // Where this region's definition came from: "catalogue" or a config path.
  std::string defined_in;
};

}  // namespace sunwind

#endif  // SUNWIND_REGIONS_REGION_H_
