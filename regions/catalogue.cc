#include "regions/catalogue.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "core/csv.h"

namespace sunwind {
namespace {

// Where a YAML node sits, as "file:line".
std::string At(const std::string& origin, const YAML::Node& node) {
  return origin + ":" + std::to_string(node.Mark().line + 1);
}

Status FieldError(const std::string& origin, const YAML::Node& node, const std::string& region_id,
                  const std::string& field, const std::string& what) {
  std::string who = region_id.empty() ? "" : "region '" + region_id + "': ";
  return Status::InvalidArgument(At(origin, node) + ": " + who + "field '" + field + "': " + what);
}

// One catalogue field: its name, whether the shipped catalogue must give it,
// and how to read it into a Region.
struct FieldSpec {
  const char* name;
  bool required_in_catalogue;
  std::function<Status(const YAML::Node&, Region&, const std::string& /*origin*/)> read;
};

Status ReadString(const YAML::Node& n, std::string& out, const char* field, const Region& r,
                  const std::string& origin) {
  if (n.IsNull()) {
    out.clear();
    return Status::Ok();
  }
  if (!n.IsScalar()) return FieldError(origin, n, r.id, field, "expected text");
  out = n.Scalar();
  return Status::Ok();
}

Status ReadNumber(const YAML::Node& n, std::optional<double>& out, const char* field,
                  const Region& r, const std::string& origin) {
  if (n.IsNull()) {
    out.reset();
    return Status::Ok();
  }
  double v;
  if (!n.IsScalar() || !YAML::convert<double>::decode(n, v) || !std::isfinite(v)) {
    return FieldError(origin, n, r.id, field, "expected a number, got '" + (n.IsScalar() ? n.Scalar() : "a list or map") + "'");
  }
  out = v;
  return Status::Ok();
}

#define STRING_FIELD(name, member, required)                                         \
  FieldSpec{name, required, [](const YAML::Node& n, Region& r, const std::string& o) { \
              return ReadString(n, r.member, name, r, o);                              \
            }}
#define NUMBER_FIELD(name, member, required)                                         \
  FieldSpec{name, required, [](const YAML::Node& n, Region& r, const std::string& o) { \
              return ReadNumber(n, r.member, name, r, o);                              \
            }}

const std::vector<FieldSpec>& Fields() {
  static const std::vector<FieldSpec> fields = {
      STRING_FIELD("display_name", display_name, true),
      STRING_FIELD("city", city, true),
      STRING_FIELD("country", country, true),
      STRING_FIELD("country_code", country_code, true),
      NUMBER_FIELD("lat", lat, true),
      NUMBER_FIELD("lon", lon, true),
      STRING_FIELD("location_source", location_source, true),
      STRING_FIELD("zone", zone, true),
      STRING_FIELD("zone_source", zone_source, true),
      FieldSpec{"pue", true,
                [](const YAML::Node& n, Region& r, const std::string& o) {
                  std::optional<double> v;
                  SUNWIND_RETURN_IF_ERROR(ReadNumber(n, v, "pue", r, o));
                  if (!v) return FieldError(o, n, r.id, "pue", "must be a number, not null");
                  r.pue = *v;
                  return Status::Ok();
                }},
      STRING_FIELD("pue_source", pue_source, true),
      NUMBER_FIELD("cfe_pct", cfe_pct, true),
      STRING_FIELD("cfe_source", cfe_source, true),
      NUMBER_FIELD("wue_l_per_kwh", wue_l_per_kwh, true),
      STRING_FIELD("wue_source", wue_source, true),
      NUMBER_FIELD("grid_intensity_g_per_kwh", grid_intensity_g_per_kwh, true),
      FieldSpec{"grid_intensity_year", true,
                [](const YAML::Node& n, Region& r, const std::string& o) {
                  std::optional<double> v;
                  SUNWIND_RETURN_IF_ERROR(ReadNumber(n, v, "grid_intensity_year", r, o));
                  if (v) r.grid_intensity_year = static_cast<int>(*v);
                  else r.grid_intensity_year.reset();
                  return Status::Ok();
                }},
      STRING_FIELD("grid_intensity_source", grid_intensity_source, true),
      FieldSpec{"executor", false,
                [](const YAML::Node& n, Region& r, const std::string& o) {
                  r.executor_options.clear();
                  r.executor_kind.clear();
                  if (n.IsNull()) return Status::Ok();
                  if (!n.IsMap()) return FieldError(o, n, r.id, "executor", "expected a map such as {kind: local}");
                  for (auto it = n.begin(); it != n.end(); ++it) {
                    std::string key = it->first.Scalar();
                    if (!it->second.IsScalar()) {
                      return FieldError(o, it->second, r.id, "executor." + key, "expected a single value");
                    }
                    if (key == "kind") r.executor_kind = it->second.Scalar();
                    else r.executor_options[key] = it->second.Scalar();
                  }
                  if (r.executor_kind.empty()) return FieldError(o, n, r.id, "executor.kind", "missing");
                  return Status::Ok();
                }},
  };
  return fields;
}

const FieldSpec* FindField(const std::string& name) {
  for (const auto& f : Fields()) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

// Reads the entry's id; errors point at the entry when the id is absent.
Status SplitId(const YAML::Node& entry, const std::string& origin, Region& r) {
  const YAML::Node n = entry["id"];
  if (!n || n.IsNull() || !n.IsScalar() || n.Scalar().empty()) {
    return FieldError(origin, n ? n : entry, "", "id", "missing; every region needs an id such as gcp:europe-west1");
  }
  r.id = n.Scalar();
  auto colon = r.id.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == r.id.size()) {
    return FieldError(origin, n, r.id, "id", "must be provider:name, e.g. aws:eu-west-1 or local:host");
  }
  r.provider = r.id.substr(0, colon);
  r.name = r.id.substr(colon + 1);
  return Status::Ok();
}

// Checks the values that must hold whatever their origin.
Status Validate(const Region& r, const YAML::Node& entry, const std::string& origin, const ZoneTable& zones) {
  auto node_of = [&](const char* field) { return entry[field] ? entry[field] : entry; };
  if (r.zone.empty()) return FieldError(origin, node_of("zone"), r.id, "zone", "missing; name the grid zone, e.g. DE");
  if (!zones.Contains(r.zone)) {
    return FieldError(origin, node_of("zone"), r.id, "zone",
                      "unknown zone '" + r.zone + "' (not an Electricity Maps zone key; see `sunwind zones`)");
  }
  if (!(r.pue >= 1.0) || r.pue > 5.0) {
    return FieldError(origin, node_of("pue"), r.id, "pue",
                      "must be between 1.0 and 5.0 (PUE = facility energy / IT energy), got " + std::to_string(r.pue));
  }
  if (r.cfe_pct && (*r.cfe_pct < 0 || *r.cfe_pct > 100)) {
    return FieldError(origin, node_of("cfe_pct"), r.id, "cfe_pct", "must be between 0 and 100");
  }
  if (r.wue_l_per_kwh && *r.wue_l_per_kwh < 0) {
    return FieldError(origin, node_of("wue_l_per_kwh"), r.id, "wue_l_per_kwh", "must not be negative");
  }
  if (r.lat && (*r.lat < -90 || *r.lat > 90)) return FieldError(origin, node_of("lat"), r.id, "lat", "must be in [-90, 90]");
  if (r.lon && (*r.lon < -180 || *r.lon > 180)) return FieldError(origin, node_of("lon"), r.id, "lon", "must be in [-180, 180]");
  if (r.grid_intensity_g_per_kwh && *r.grid_intensity_g_per_kwh < 0) {
    return FieldError(origin, node_of("grid_intensity_g_per_kwh"), r.id, "grid_intensity_g_per_kwh", "must not be negative");
  }
  return Status::Ok();
}

// Reads the fields an entry gives into r. In strict mode (the shipped
// catalogue) every required field must be present.
Status ReadEntry(const YAML::Node& entry, const std::string& origin, bool strict, Region& r) {
  for (auto it = entry.begin(); it != entry.end(); ++it) {
    std::string key = it->first.Scalar();
    if (key == "id") continue;
    const FieldSpec* spec = FindField(key);
    if (!spec) return FieldError(origin, it->first, r.id, key, "unknown field");
    SUNWIND_RETURN_IF_ERROR(spec->read(it->second, r, origin));
  }
  if (strict) {
    for (const auto& f : Fields()) {
      if (f.required_in_catalogue && !entry[f.name]) {
        return FieldError(origin, entry, r.id, f.name, "missing (write null if unknown)");
      }
    }
  }
  return Status::Ok();
}

Result<YAML::Node> ParseYaml(const std::string& text, const std::string& origin) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
  }
}

}  // namespace

Result<RegionCatalogue> RegionCatalogue::LoadFromFile(const std::string& path, const ZoneTable& zones) {
  SUNWIND_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return LoadFromString(text, path, zones);
}

Result<RegionCatalogue> RegionCatalogue::LoadFromString(const std::string& yaml, const std::string& origin,
                                                        const ZoneTable& zones) {
  SUNWIND_ASSIGN_OR_RETURN(YAML::Node root, ParseYaml(yaml, origin));
  YAML::Node list = root.IsMap() ? root["regions"] : YAML::Node();
  if (!list || !list.IsSequence()) {
    return Status::InvalidArgument(origin + ": expected a top-level 'regions:' list");
  }
  // `*_source` fields may name a key of the top-level `sources:` map; they are
  // replaced by its full citation so every consumer sees the real source.
  std::map<std::string, std::string> citations;
  if (YAML::Node sources = root["sources"]; sources && sources.IsMap()) {
    for (auto it = sources.begin(); it != sources.end(); ++it) {
      if (it->second.IsScalar()) citations[it->first.Scalar()] = it->second.Scalar();
    }
  }
  auto cite = [&](std::string& field) {
    if (auto c = citations.find(field); c != citations.end()) field = c->second;
  };
  RegionCatalogue catalogue;
  std::set<std::string> seen;
  try {
    for (const YAML::Node& entry : list) {
      if (!entry.IsMap()) return Status::InvalidArgument(At(origin, entry) + ": each region must be a map of fields");
      Region r;
      SUNWIND_RETURN_IF_ERROR(SplitId(entry, origin, r));
      if (!seen.insert(r.id).second) {
        return FieldError(origin, entry["id"], r.id, "id", "duplicate id (already defined above)");
      }
      SUNWIND_RETURN_IF_ERROR(ReadEntry(entry, origin, /*strict=*/true, r));
      SUNWIND_RETURN_IF_ERROR(Validate(r, entry, origin, zones));
      for (std::string* f : {&r.location_source, &r.zone_source, &r.pue_source, &r.cfe_source, &r.wue_source,
                             &r.grid_intensity_source}) {
        cite(*f);
      }
      r.defined_in = "catalogue";
      catalogue.regions_.push_back(std::move(r));
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return catalogue;
}

Status RegionCatalogue::MergeConfigFile(const std::string& path, const ZoneTable& zones) {
  SUNWIND_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  SUNWIND_ASSIGN_OR_RETURN(YAML::Node root, ParseYaml(text, path));
  if (!root.IsMap()) return Status::InvalidArgument(path + ": expected a map at the top level");
  if (!root["regions"]) return Status::Ok();
  return MergeConfigNode(root["regions"], path, zones);
}

Status RegionCatalogue::MergeConfigNode(const YAML::Node& list, const std::string& origin, const ZoneTable& zones) {
  if (!list.IsSequence()) return Status::InvalidArgument(At(origin, list) + ": 'regions' must be a list");
  std::vector<Region> merged = regions_;  // all or nothing
  std::set<std::string> seen_in_config;
  try {
    for (const YAML::Node& entry : list) {
      if (!entry.IsMap()) return Status::InvalidArgument(At(origin, entry) + ": each region must be a map of fields");
      Region r;
      SUNWIND_RETURN_IF_ERROR(SplitId(entry, origin, r));
      if (!seen_in_config.insert(r.id).second) {
        return FieldError(origin, entry["id"], r.id, "id", "duplicate id in this file");
      }
      auto existing = std::find_if(merged.begin(), merged.end(), [&](const Region& x) { return x.id == r.id; });
      if (existing != merged.end()) {
        Region updated = *existing;
        SUNWIND_RETURN_IF_ERROR(ReadEntry(entry, origin, /*strict=*/false, updated));
        // An overridden value must not keep crediting the catalogue's source.
        for (auto [field, source_field, source] :
             {std::tuple{"pue", "pue_source", &updated.pue_source}, std::tuple{"zone", "zone_source", &updated.zone_source},
              std::tuple{"cfe_pct", "cfe_source", &updated.cfe_source},
              std::tuple{"wue_l_per_kwh", "wue_source", &updated.wue_source},
              std::tuple{"grid_intensity_g_per_kwh", "grid_intensity_source", &updated.grid_intensity_source}}) {
          if (entry[field] && !entry[source_field]) *source = "config " + origin;
        }
        SUNWIND_RETURN_IF_ERROR(Validate(updated, entry, origin, zones));
        updated.defined_in = existing->defined_in + " + " + origin;
        *existing = std::move(updated);
        continue;
      }
      if (!entry["zone"]) return FieldError(origin, entry, r.id, "zone", "missing; a new region must name its grid zone");
      if (!entry["pue"]) return FieldError(origin, entry, r.id, "pue", "missing; a new region must give its PUE (1.0 for a machine with no facility overhead)");
      SUNWIND_RETURN_IF_ERROR(ReadEntry(entry, origin, /*strict=*/false, r));
      if (r.pue_source.empty()) r.pue_source = "config " + origin;
      if (r.zone_source.empty()) r.zone_source = "config " + origin;
      SUNWIND_RETURN_IF_ERROR(Validate(r, entry, origin, zones));
      r.defined_in = origin;
      merged.push_back(std::move(r));
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  regions_ = std::move(merged);
  return Status::Ok();
}

const Region* RegionCatalogue::Find(const std::string& id) const {
  for (const auto& r : regions_) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

Result<const Region*> RegionCatalogue::Get(const std::string& id) const {
  if (const Region* r = Find(id)) return r;
  std::string hint;
  auto colon = id.find(':');
  std::string name = colon == std::string::npos ? id : id.substr(colon + 1);
  for (const auto& r : regions_) {
    if (r.name == name) hint += (hint.empty() ? "" : ", ") + r.id;
  }
  std::string msg = "unknown region '" + id + "'";
  if (!hint.empty()) msg += " (did you mean " + hint + "?)";
  else if (colon == std::string::npos) msg += " (region ids are provider:name, e.g. aws:eu-central-1)";
  msg += "; `sunwind regions list` shows them all";
  return Status::NotFound(msg);
}

std::vector<const Region*> RegionCatalogue::List(const std::string& provider) const {
  std::vector<const Region*> out;
  for (const auto& r : regions_) {
    if (provider.empty() || r.provider == provider) out.push_back(&r);
  }
  return out;
}

}  // namespace sunwind
