// The grid zones sunwind knows: Electricity Maps zone keys with their names.
#ifndef SUNWIND_REGIONS_ZONES_H_
#define SUNWIND_REGIONS_ZONES_H_

#include <map>
#include <string>

#include "core/status.h"

namespace sunwind {

struct ZoneInfo {
  std::string key;           // "DE", "US-CAL-CISO"
  std::string name;          // "Germany", "California Independent System Operator"
  std::string country_name;  // set for sub-national zones
  // ISO 3166-1 alpha-2 of the country the zone lies in: the key up to its first '-'.
  std::string CountryCode() const { return key.substr(0, key.find('-')); }
};

class ZoneTable {
 public:
  // Reads the JSON answer of Electricity Maps' /v3/zones ({"DE": {"zoneName": ..}}).
  static Result<ZoneTable> LoadFromFile(const std::string& path);

  const ZoneInfo* Find(const std::string& key) const;
  bool Contains(const std::string& key) const { return Find(key) != nullptr; }
  size_t size() const { return zones_.size(); }
  const std::map<std::string, ZoneInfo>& all() const { return zones_; }

  // Adds a zone a user's config declares (an on-prem grid, say).
  void Add(ZoneInfo zone) { zones_[zone.key] = std::move(zone); }

 private:
  std::map<std::string, ZoneInfo> zones_;
};

}  // namespace sunwind

#endif  // SUNWIND_REGIONS_ZONES_H_
