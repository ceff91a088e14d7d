#include "providers/trace_file.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "core/csv.h"

namespace sunwind {
namespace {

// "Carbon Intensity gCO₂eq/kWh (LCA)" -> "carbonintensitygco₂eq/kwh(lca)"
std::string Normalize(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == ' ' || c == '_' || c == '-') continue;
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

int FindColumn(const std::vector<std::string>& header, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (Normalize(header[i]) == Normalize(name)) return static_cast<int>(i);
    }
  }
  return -1;
}

// Finds a column whose normalized name starts with `prefix` and ends with `suffix`.
int FindColumnLike(const std::vector<std::string>& header, const std::string& prefix, const std::string& suffix) {
  for (size_t i = 0; i < header.size(); ++i) {
    std::string n = Normalize(header[i]);
    if (n.rfind(prefix, 0) == 0 && n.size() >= suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

Status RowError(const std::string& origin, size_t line, const std::string& column, const std::string& what) {
  return Status::InvalidArgument(origin + ":" + std::to_string(line) + ": column '" + column + "': " + what);
}

Result<double> ParseValue(const std::string& text, const std::string& origin, size_t line, const std::string& column) {
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(v)) throw std::invalid_argument("trailing");
    if (v < 0) return RowError(origin, line, column, "negative intensity " + text);
    return v;
  } catch (...) {
    return RowError(origin, line, column, "not a number: '" + text + "'");
  }
}

}  // namespace

Result<std::vector<ZoneTrace>> ParseTraceCsv(const std::string& text, const std::string& origin,
                                             const TraceReadOptions& options) {
  auto parsed = ParseCsv(text);
  if (!parsed.ok()) return parsed.status().WithContext(origin);
  const auto& rows = parsed.value();
  if (rows.empty()) return Status::InvalidArgument(origin + ": empty file");
  const auto& header = rows[0].fields;

  int time_col = FindColumn(header, {"Datetime (UTC)", "datetime", "time", "timestamp", "date"});
  int zone_col = FindColumn(header, {"Zone Id", "zone", "zone_id", "zone_name"});
  int lca_col = FindColumnLike(header, "carbonintensity", "(lca)");
  int direct_col = FindColumnLike(header, "carbonintensity", "(direct)");
  bool em_format = lca_col >= 0 || direct_col >= 0;
  int simple_col = -1;
  if (!em_format) {
    simple_col = FindColumn(header, {"carbon_intensity", "carbon intensity", "carbonIntensity", "intensity",
                                     "carbon_intensity_avg", "carbon_intensity_g_per_kwh"});
  }
  if (time_col < 0) {
    return Status::InvalidArgument(origin + ":1: no time column (expected 'datetime' or 'Datetime (UTC)')");
  }
  if (!options.value_column.empty()) {
    // The user named the intensity column (vessim's WattTime extract names it
    // after the region): take it as gCO2eq/kWh, whatever the format.
    simple_col = FindColumn(header, {options.value_column.c_str()});
    if (simple_col < 0) {
      return Status::InvalidArgument(origin + ":1: no column '" + options.value_column + "' (--trace-column)");
    }
    em_format = false;
  }
  if (!em_format && simple_col < 0) {
    return Status::InvalidArgument(origin + ":1: no intensity column (expected 'carbon_intensity' in gCO2eq/kWh, "
                                   "or an Electricity Maps export)");
  }
  if (zone_col < 0 && options.default_zone.empty()) {
    return Status::InvalidArgument(origin + ": the file has no zone column; say which zone it is with --trace-zone");
  }

  std::map<std::string, ZoneTrace> by_zone;
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& f = rows[r].fields;
    size_t line = rows[r].line;
    auto cell = [&](int col) -> std::string { return col >= 0 && col < static_cast<int>(f.size()) ? f[col] : ""; };
    std::string zone = zone_col >= 0 ? cell(zone_col) : options.default_zone;
    if (zone.empty()) zone = options.default_zone;
    if (zone.empty()) return RowError(origin, line, header[zone_col], "empty zone");
    auto t = ParseTime(cell(time_col));
    if (!t.ok()) return RowError(origin, line, header[time_col], t.status().message());
    ZoneTrace& zt = by_zone[zone];
    if (zt.zone.empty()) {
      zt.zone = zone;
      zt.origin = origin;
      zt.factor_known = em_format;
      zt.format = em_format ? "electricitymaps" : "simple";
    }
    if (em_format) {
      if (std::string v = cell(lca_col); !v.empty()) {
        SUNWIND_ASSIGN_OR_RETURN(double x, ParseValue(v, origin, line, header[lca_col]));
        zt.lifecycle.push_back({*t, x});
      }
      if (std::string v = cell(direct_col); !v.empty()) {
        SUNWIND_ASSIGN_OR_RETURN(double x, ParseValue(v, origin, line, header[direct_col]));
        zt.direct.push_back({*t, x});
      }
    } else if (std::string v = cell(simple_col); !v.empty()) {
      SUNWIND_ASSIGN_OR_RETURN(double x, ParseValue(v, origin, line, header[simple_col]));
      zt.lifecycle.push_back({*t, x});
    }
  }

  std::vector<ZoneTrace> out;
  for (auto& [zone, zt] : by_zone) {
    for (auto* samples : {&zt.lifecycle, &zt.direct}) {
      std::stable_sort(samples->begin(), samples->end(),
                       [](const Sample& a, const Sample& b) { return a.time < b.time; });
      // A repeated timestamp (a DST artefact in some exports) keeps its first value.
      samples->erase(std::unique(samples->begin(), samples->end(),
                                 [](const Sample& a, const Sample& b) { return a.time == b.time; }),
                     samples->end());
    }
    if (!zt.factor_known) zt.direct = zt.lifecycle;
    out.push_back(std::move(zt));
  }
  return out;
}

Result<std::vector<ZoneTrace>> ReadTraceFile(const std::string& path, const TraceReadOptions& options) {
  SUNWIND_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseTraceCsv(text, path, options);
}

}  // namespace sunwind
