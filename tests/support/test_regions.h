// The shipped zone table and region catalogue with a test's own regions
// merged in, as a daemon's config merges them (`config` is a YAML list of
// regions, e.g. "- {id: 'local:host', zone: DE, pue: 1.0, executor: {kind: local}}").
// The catalogue refers to the zone table: keep both where the test keeps them.
#ifndef SUNWIND_TESTS_SUPPORT_TEST_REGIONS_H_
#define SUNWIND_TESTS_SUPPORT_TEST_REGIONS_H_

#include <yaml-cpp/yaml.h>

#include <string>

#include "core/status.h"
#include "regions/catalogue.h"
#include "regions/zones.h"

namespace sunwind::testing {

inline Status LoadTestRegions(const std::string& config, ZoneTable& zones, RegionCatalogue& catalogue) {
  auto z = ZoneTable::LoadFromFile(SUNWIND_TEST_DATA_DIR "/zones/zones.json");
  if (!z.ok()) return z.status();
  zones = std::move(z).value();
  auto c = RegionCatalogue::LoadFromFile(SUNWIND_TEST_DATA_DIR "/regions/catalogue.yaml", zones);
  if (!c.ok()) return c.status();
  catalogue = std::move(c).value();
  return catalogue.MergeConfigNode(YAML::Load(config), "test", zones);
}

}  // namespace sunwind::testing

#endif  // SUNWIND_TESTS_SUPPORT_TEST_REGIONS_H_
