#include "regions/zones.h"

#include <nlohmann/json.hpp>

#include "core/csv.h"

namespace sunwind {

Result<ZoneTable> ZoneTable::LoadFromFile(const std::string& path) {
  SUNWIND_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument(path + ": not a JSON object of zones");
  }
  ZoneTable table;
  for (auto& [key, v] : j.items()) {
    ZoneInfo z;
    z.key = key;
    if (v.is_object()) {
      z.name = v.value("zoneName", "");
      z.country_name = v.value("countryName", "");
    }
    table.zones_[key] = std::move(z);
  }
  return table;
}

const ZoneInfo* ZoneTable::Find(const std::string& key) const {
  auto it = zones_.find(key);
  return it == zones_.end() ? nullptr : &it->second;
}

}  // namespace sunwind
