// The region catalogue: real public cloud regions shipped with sunwind
// (data/regions/catalogue.yaml), plus regions a user's config adds or
// overrides (on-prem clusters, Slurm partitions, local:host).
#ifndef SUNWIND_REGIONS_CATALOGUE_H_
#define SUNWIND_REGIONS_CATALOGUE_H_

#include <string>
#include <vector>

#include "core/status.h"
#include "regions/region.h"
#include "regions/zones.h"

namespace YAML {
class Node;
}

namespace sunwind {

class RegionCatalogue {
 public:
  // Loads the shipped catalogue. Every region must give every field (null
  // where unknown), so a curated value can never silently go missing. Errors
  // name the file, the line and the field.
  static Result<RegionCatalogue> LoadFromFile(const std::string& path, const ZoneTable& zones);
  // The same from YAML text; `origin` names it in errors.
  static Result<RegionCatalogue> LoadFromString(const std::string& yaml, const std::string& origin,
                                                const ZoneTable& zones);

  // Applies the `regions:` list of a user's config file: an entry whose id is
  // known overrides the fields it gives; a new id adds a region and must give
  // at least zone and pue. The catalogue is unchanged if any entry is bad.
  Status MergeConfigFile(const std::string& path, const ZoneTable& zones);
  Status MergeConfigNode(const YAML::Node& regions, const std::string& origin, const ZoneTable& zones);

  const Region* Find(const std::string& id) const;
  // Resolves a region id, with a message that suggests close matches.
  Result<const Region*> Get(const std::string& id) const;
  const std::vector<Region>& regions() const { return regions_; }
  // Regions of one provider ("gcp", "aws", "azure", "local", ...), or all if empty.
  std::vector<const Region*> List(const std::string& provider = "") const;

 private:
  std::vector<Region> regions_;
};

}  // namespace sunwind

#endif  // SUNWIND_REGIONS_CATALOGUE_H_
