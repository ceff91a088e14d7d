#include "forecast/published.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "core/csv.h"

namespace sunwind {
namespace {

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int Column(const std::vector<std::string>& header, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (Lower(header[i]) == name) return static_cast<int>(i);
    }
  }
  return -1;
}

Result<std::vector<PublishedPoint>> ParseUkJson(const nlohmann::json& j, const std::string& origin) {
  std::vector<PublishedPoint> out;
  const auto& data = j["data"];
  for (size_t i = 0; i < data.size(); ++i) {
    const auto& d = data[i];
    std::string where = origin + ": data[" + std::to_string(i) + "]";
    if (!d.is_object() || !d.contains("from") || !d["from"].is_string()) {
      return Status::InvalidArgument(where + ": field 'from': missing");
    }
    auto t = ParseTime(d["from"].get<std::string>());
    if (!t.ok()) return t.status().WithContext(where + ": field 'from'");
    const auto& in = d.value("intensity", nlohmann::json::object());
    if (!in.contains("forecast") || !in["forecast"].is_number()) continue;  // nothing forecast
    PublishedPoint p{std::nullopt, *t, in["forecast"].get<double>()};
    if (in.contains("actual") && in["actual"].is_number()) p.actual_g_per_kwh = in["actual"].get<double>();
    out.push_back(p);
  }
  return out;
}

}  // namespace

Result<std::vector<PublishedPoint>> ParsePublishedForecast(const std::string& text, const std::string& origin) {
  size_t first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  if (first != std::string::npos && text[first] == '{') {
    auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Status::InvalidArgument(origin + ": not valid JSON");
    if (!j.contains("data") || !j["data"].is_array()) {
      return Status::InvalidArgument(origin + ": expected a UK Carbon Intensity API answer with a 'data' list");
    }
    return ParseUkJson(j, origin);
  }
  auto rows = ParseCsv(text);
  if (!rows.ok()) return rows.status().WithContext(origin);
  if (rows->empty()) return Status::InvalidArgument(origin + ": empty file");
  const auto& header = rows->front().fields;
  int issued_col = Column(header, {"request_time", "issued", "generated_at"});
  int time_col = Column(header, {"forecast_time", "point_time", "time", "datetime"});
  int value_col = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    if (static_cast<int>(i) != issued_col && static_cast<int>(i) != time_col && !header[i].empty()) {
      value_col = static_cast<int>(i);
    }
  }
  if (issued_col < 0 || time_col < 0 || value_col < 0) {
    return Status::InvalidArgument(origin + ":1: expected columns request_time (or issued), forecast_time (or "
                                   "point_time) and one value column in gCO2eq/kWh");
  }
  std::vector<PublishedPoint> out;
  for (size_t r = 1; r < rows->size(); ++r) {
    const auto& f = (*rows)[r].fields;
    std::string where = origin + ":" + std::to_string((*rows)[r].line);
    if (static_cast<int>(f.size()) <= std::max({issued_col, time_col, value_col})) {
      return Status::InvalidArgument(where + ": too few columns");
    }
    auto issued = ParseTime(f[issued_col]);
    if (!issued.ok()) return issued.status().WithContext(where + ": column '" + header[issued_col] + "'");
    auto t = ParseTime(f[time_col]);
    if (!t.ok()) return t.status().WithContext(where + ": column '" + header[time_col] + "'");
    double v;
    try {
      size_t used = 0;
      v = std::stod(f[value_col], &used);
      if (used != f[value_col].size()) throw std::invalid_argument("trailing");
    } catch (...) {
      return Status::InvalidArgument(where + ": column '" + header[value_col] + "': not a number: '" + f[value_col] + "'");
    }
    out.push_back({*issued, *t, v});
  }
  return out;
}

std::vector<ForecastErrors> ScorePublished(const std::vector<PublishedPoint>& points, const IntensitySeries& actual,
                                           const std::vector<int>& horizons_h, const std::string& model) {
  auto actual_at = [&](const PublishedPoint& p) {
    if (!std::isnan(p.actual_g_per_kwh)) return p.actual_g_per_kwh;
    if (actual.values.empty() || p.time < actual.start || p.time >= actual.end()) return kNoValue;
    return actual.values[static_cast<size_t>((p.time - actual.start) / actual.step)];
  };
  std::vector<ForecastErrors> out;
  bool any_unknown_lead = std::any_of(points.begin(), points.end(), [](const PublishedPoint& p) { return !p.issued; });
  if (any_unknown_lead) {
    ErrorAccumulator acc;
    for (const auto& p : points) {
      double a = actual_at(p);
      if (!p.issued && !std::isnan(a)) acc.Add(p.forecast_g_per_kwh, a);
    }
    out.push_back(acc.Finish(model, 0));
  }
  for (int h : horizons_h) {
    ErrorAccumulator acc;
    for (const auto& p : points) {
      if (!p.issued) continue;
      Duration lead = p.time - *p.issued;
      double a = actual_at(p);
      if (lead.count() > 0 && lead <= kForecastStep * h && !std::isnan(a)) acc.Add(p.forecast_g_per_kwh, a);
    }
    if (!points.empty() && std::any_of(points.begin(), points.end(), [](const PublishedPoint& p) { return p.issued.has_value(); })) {
      out.push_back(acc.Finish(model, h));
    }
  }
  return out;
}

}  // namespace sunwind
