#include "providers/electricitymaps_provider.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "providers/answer_json.h"

namespace sunwind {
namespace {

using Json = nlohmann::ordered_json;
constexpr const char* kProvider = "Electricity Maps";

Status Malformed(const std::string& what) { return MalformedAnswer(kProvider, what); }

Result<Json> ParseJson(const std::string& body) { return ParseAnswerObject(kProvider, body); }

Result<std::optional<double>> OptNumber(const Json& j, const char* field, bool required) {
  auto it = j.find(field);
  if (it == j.end()) {
    if (required) return Malformed(std::string("missing '") + field + "'");
    return std::optional<double>();
  }
  if (it->is_null()) return std::optional<double>();
  if (!it->is_number()) return Malformed(std::string("'") + field + "' is not a number");
  double v = it->get<double>();
  if (!std::isfinite(v)) return Malformed(std::string("'") + field + "' is not finite");
  return std::optional<double>(v);
}

Result<std::optional<TimePoint>> OptTime(const Json& j, const char* field, bool required) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) {
    if (required) return Malformed(std::string("missing '") + field + "'");
    return std::optional<TimePoint>();
  }
  if (!it->is_string()) return Malformed(std::string("'") + field + "' is not a string");
  auto t = ParseTime(it->get<std::string>());
  if (!t.ok()) return Malformed(std::string("'") + field + "': " + t.status().message());
  return std::optional<TimePoint>(*t);
}

std::string OptString(const Json& j, const char* field) {
  auto it = j.find(field);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

bool OptBool(const Json& j, const char* field) {
  auto it = j.find(field);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

Result<EmIntensity> IntensityFromJson(const Json& j, const std::string& default_zone) {
  if (!j.is_object()) return Malformed("an item is not an object");
  EmIntensity out;
  out.zone = OptString(j, "zone");
  if (out.zone.empty()) out.zone = default_zone;
  SUNWIND_ASSIGN_OR_RETURN(out.g_per_kwh, OptNumber(j, "carbonIntensity", true));
  SUNWIND_ASSIGN_OR_RETURN(auto t, OptTime(j, "datetime", true));
  out.time = *t;
  SUNWIND_ASSIGN_OR_RETURN(out.updated_at, OptTime(j, "updatedAt", false));
  SUNWIND_ASSIGN_OR_RETURN(out.created_at, OptTime(j, "createdAt", false));
  out.emission_factor = OptString(j, "emissionFactorType");
  out.estimated = OptBool(j, "isEstimated");
  out.estimation_method = OptString(j, "estimationMethod");
  return out;
}

Result<std::vector<EmIntensity>> ListFromJson(const std::string& body, const char* field) {
  SUNWIND_ASSIGN_OR_RETURN(Json j, ParseJson(body));
  auto it = j.find(field);
  if (it == j.end() || !it->is_array()) return Malformed(std::string("missing list '") + field + "'");
  std::string zone = OptString(j, "zone");
  std::vector<EmIntensity> out;
  for (const auto& item : *it) {
    SUNWIND_ASSIGN_OR_RETURN(auto p, IntensityFromJson(item, zone));
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(), [](const EmIntensity& a, const EmIntensity& b) { return a.time < b.time; });
  return out;
}

Result<std::vector<EmPowerEntry>> Breakdown(const Json& j, const char* field) {
  std::vector<EmPowerEntry> out;
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_object()) return Malformed(std::string("'") + field + "' is not an object");
  for (auto e = it->begin(); e != it->end(); ++e) {
    if (e.value().is_null()) {
      out.emplace_back(e.key(), std::nullopt);
    } else if (e.value().is_number()) {
      out.emplace_back(e.key(), e.value().get<double>());
    } else {
      return Malformed(std::string("'") + field + "." + e.key() + "' is not a number");
    }
  }
  return out;
}


std::string FormatCoord(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

std::string LocationQuery(const EmLocation& where) {
  if (!where.zone.empty()) return "zone=" + UrlEncode(where.zone);
  return "lat=" + FormatCoord(where.lat.value_or(0)) + "&lon=" + FormatCoord(where.lon.value_or(0));
}

std::string FactorQuery(EmissionFactor f) { return std::string("&emissionFactorType=") + EmissionFactorName(f); }

// The API's own words from an error body ("error" or "message"), if any.
std::string ApiErrorText(const std::string& body) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "";
  std::string text = OptString(j, "error");
  std::string message = OptString(j, "message");
  if (!message.empty()) text += (text.empty() ? "" : ": ") + message;
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  return text;
}

}  // namespace

std::string EmLocation::Describe() const {
  if (!zone.empty()) return "zone " + zone;
  return "lat " + FormatCoord(lat.value_or(0)) + ", lon " + FormatCoord(lon.value_or(0));
}

std::vector<EmPowerEntry> EmPowerBreakdown::ConsumptionSharePct() const {
  std::vector<EmPowerEntry> out;
  for (const auto& [source, mw] : consumption_mw) {
    if (mw && consumption_total_mw && *consumption_total_mw > 0) {
      out.emplace_back(source, *mw / *consumption_total_mw * 100.0);
    } else {
      out.emplace_back(source, std::nullopt);
    }
  }
  return out;
}

Result<EmIntensity> ParseEmIntensity(const std::string& body) {
  SUNWIND_ASSIGN_OR_RETURN(Json j, ParseJson(body));
  return IntensityFromJson(j, "");
}

Result<std::vector<EmIntensity>> ParseEmHistory(const std::string& body) { return ListFromJson(body, "history"); }
Result<std::vector<EmIntensity>> ParseEmPastRange(const std::string& body) { return ListFromJson(body, "data"); }

Result<EmForecast> ParseEmForecast(const std::string& body) {
  SUNWIND_ASSIGN_OR_RETURN(Json j, ParseJson(body));
  EmForecast out;
  out.zone = OptString(j, "zone");
  SUNWIND_ASSIGN_OR_RETURN(out.updated_at, OptTime(j, "updatedAt", false));
  SUNWIND_ASSIGN_OR_RETURN(out.points, ListFromJson(body, "forecast"));
  return out;
}

Result<EmPowerBreakdown> ParseEmPowerBreakdown(const std::string& body) {
  SUNWIND_ASSIGN_OR_RETURN(Json j, ParseJson(body));
  EmPowerBreakdown out;
  out.zone = OptString(j, "zone");
  SUNWIND_ASSIGN_OR_RETURN(auto t, OptTime(j, "datetime", true));
  out.time = *t;
  SUNWIND_ASSIGN_OR_RETURN(out.updated_at, OptTime(j, "updatedAt", false));
  SUNWIND_ASSIGN_OR_RETURN(out.created_at, OptTime(j, "createdAt", false));
  SUNWIND_ASSIGN_OR_RETURN(out.consumption_mw, Breakdown(j, "powerConsumptionBreakdown"));
  SUNWIND_ASSIGN_OR_RETURN(out.production_mw, Breakdown(j, "powerProductionBreakdown"));
  SUNWIND_ASSIGN_OR_RETURN(out.import_mw, Breakdown(j, "powerImportBreakdown"));
  SUNWIND_ASSIGN_OR_RETURN(out.export_mw, Breakdown(j, "powerExportBreakdown"));
  SUNWIND_ASSIGN_OR_RETURN(out.fossil_free_pct, OptNumber(j, "fossilFreePercentage", false));
  SUNWIND_ASSIGN_OR_RETURN(out.renewable_pct, OptNumber(j, "renewablePercentage", false));
  SUNWIND_ASSIGN_OR_RETURN(out.consumption_total_mw, OptNumber(j, "powerConsumptionTotal", false));
  SUNWIND_ASSIGN_OR_RETURN(out.production_total_mw, OptNumber(j, "powerProductionTotal", false));
  SUNWIND_ASSIGN_OR_RETURN(out.import_total_mw, OptNumber(j, "powerImportTotal", false));
  SUNWIND_ASSIGN_OR_RETURN(out.export_total_mw, OptNumber(j, "powerExportTotal", false));
  out.estimated = OptBool(j, "isEstimated");
  out.estimation_method = OptString(j, "estimationMethod");
  return out;
}

Status ElectricityMapsClient::MapError(const std::string& path, const std::string& where,
                                       const HttpResponse& response) const {
  int code = response.status;
  std::string api = ApiErrorText(response.body);
  // Never echo the key, even if an API or proxy put it in its answer.
  if (!options_.api_key.empty()) {
    for (size_t p; (p = api.find(options_.api_key)) != std::string::npos;) api.replace(p, options_.api_key.size(), "<key>");
  }
  std::string said = api.empty() ? "" : " (" + api + ")";
  std::string head = std::string(kProvider) + " " + path + " for " + where + ": HTTP " + std::to_string(code) + said;
  if (code == 401 || code == 403) {
    return Status(StatusCode::kUnauthenticated,
                  head + ": the API key was refused; check " + options_.key_origin +
                      ", and that your Electricity Maps plan includes " + path + " and " + where);
  }
  if (code == 429) return Status(StatusCode::kRateLimited, head + ": rate limited");
  if (code == 400 || code == 404) return Status::NotFound(head + ": not covered by Electricity Maps");
  return Status::Unavailable(head);
}

template <typename T>
Result<Fetched<T>> ElectricityMapsClient::Get(const std::string& path, const std::string& query,
                                              const std::string& kind, Result<T> (*parse)(const std::string&),
                                              std::function<std::optional<TimePoint>(const T&, TimePoint)> expiry) {
  HttpRequest req;
  req.url = WithoutTrailingSlash(options_.base_url) + path + "?" + query;
  req.timeout = options_.timeout;
  req.headers.push_back({"Accept", "application/json"});
  if (!options_.api_key.empty()) req.headers.push_back({"auth-token", options_.api_key});
  std::string where = query.substr(0, query.find('&'));
  if (options_.api_key.empty()) {
    return Status(StatusCode::kUnauthenticated,
                  std::string(kProvider) + ": no API key; set " + options_.key_origin +
                      " (or providers.electricitymaps.api_key in the config)");
  }
  T parsed{};
  auto validate = [&](const std::string& body, TimePoint now) -> Result<std::optional<TimePoint>> {
    auto v = parse(body);
    if (!v.ok()) return v.status().WithContext(path);
    parsed = std::move(v).value();
    return expiry(parsed, now);
  };
  auto map_error = [&](const HttpResponse& r) { return MapError(path, where, r); };
  SUNWIND_ASSIGN_OR_RETURN(FetchedAnswer answer, fetcher_.Fetch(req, path + "?" + query, kind, validate, map_error));
  return FromAnswer<T>(answer, std::move(parsed), parse, path);
}

Result<Fetched<EmIntensity>> ElectricityMapsClient::Latest(const EmLocation& where, EmissionFactor factor) {
  Duration ttl = options_.cache_policy.latest_ttl;
  return Get<EmIntensity>("/carbon-intensity/latest", LocationQuery(where) + FactorQuery(factor), "latest",
                          ParseEmIntensity, [ttl](const EmIntensity&, TimePoint now) { return std::optional(now + ttl); });
}

Result<Fetched<EmIntensity>> ElectricityMapsClient::Past(const EmLocation& where, TimePoint at, EmissionFactor factor) {
  Duration ttl = options_.cache_policy.rolling_history_ttl;
  return Get<EmIntensity>("/carbon-intensity/past",
                          LocationQuery(where) + "&datetime=" + UrlEncode(FormatTime(at)) + FactorQuery(factor), "history",
                          ParseEmIntensity, [ttl, at](const EmIntensity&, TimePoint now) -> std::optional<TimePoint> {
                            // Settled values (two days back) never change; recent ones may be re-estimated.
                            if (at + std::chrono::hours(48) <= now) return std::nullopt;
                            return now + ttl;
                          });
}

Result<Fetched<std::vector<EmIntensity>>> ElectricityMapsClient::History(const EmLocation& where, EmissionFactor factor) {
  Duration ttl = options_.cache_policy.rolling_history_ttl;
  return Get<std::vector<EmIntensity>>("/carbon-intensity/history", LocationQuery(where) + FactorQuery(factor),
                                       "history", ParseEmHistory,
                                       [ttl](const std::vector<EmIntensity>&, TimePoint now) { return std::optional(now + ttl); });
}

Result<Fetched<std::vector<EmIntensity>>> ElectricityMapsClient::PastRange(const EmLocation& where, TimePoint from,
                                                                           TimePoint to, EmissionFactor factor) {
  Fetched<std::vector<EmIntensity>> all;
  Duration ttl = options_.cache_policy.rolling_history_ttl;
  const Duration kMaxSpan = std::chrono::hours(24 * 10);
  for (TimePoint a = from; a < to; a += kMaxSpan) {
    TimePoint b = std::min(to, a + kMaxSpan);
    auto part = Get<std::vector<EmIntensity>>(
        "/carbon-intensity/past-range",
        LocationQuery(where) + "&start=" + UrlEncode(FormatTime(a)) + "&end=" + UrlEncode(FormatTime(b)) + FactorQuery(factor),
        "history", ParseEmPastRange, [ttl, b](const std::vector<EmIntensity>&, TimePoint now) -> std::optional<TimePoint> {
          if (b + std::chrono::hours(48) <= now) return std::nullopt;  // history: forever
          return now + ttl;
        });
    if (!part.ok()) return part.status();
    for (auto& p : part->value) {
      if (p.time >= from && p.time < to) all.value.push_back(std::move(p));
    }
    all.stale = all.stale || part->stale;
    all.from_cache = all.from_cache || part->from_cache;
    if (part->stale) all.stale_reason = part->stale_reason;
  }
  return all;
}

Result<Fetched<EmForecast>> ElectricityMapsClient::Forecast(const EmLocation& where, EmissionFactor factor) {
  CachePolicy policy = options_.cache_policy;
  return Get<EmForecast>("/carbon-intensity/forecast", LocationQuery(where) + FactorQuery(factor), "forecast",
                         ParseEmForecast, [policy](const EmForecast& f, TimePoint now) {
                           TimePoint until = now + policy.min_forecast_ttl;
                           if (f.updated_at) until = std::max(until, *f.updated_at + policy.forecast_update_period);
                           return std::optional(until);
                         });
}

Result<Fetched<EmPowerBreakdown>> ElectricityMapsClient::PowerBreakdownLatest(const EmLocation& where) {
  Duration ttl = options_.cache_policy.latest_ttl;
  return Get<EmPowerBreakdown>("/power-breakdown/latest", LocationQuery(where), "latest", ParseEmPowerBreakdown,
                               [ttl](const EmPowerBreakdown&, TimePoint now) { return std::optional(now + ttl); });
}

Result<IntensitySeries> ElectricityMapsProvider::Intensity(const IntensityQuery& query) {
  if (query.to <= query.from) return Status::InvalidArgument("electricitymaps: empty time range");
  const Duration kHour = std::chrono::hours(1);
  TimePoint now = clock_.Now();
  TimePoint hour_now = FloorTo(now, kHour);
  EmLocation where = EmLocation::Zone(query.zone);

  std::vector<EmIntensity> past;
  std::string stale_note;
  std::string past_failure;
  if (query.from < hour_now + kHour) {
    Result<Fetched<std::vector<EmIntensity>>> r = Status::Internal("unset");
    if (query.from >= hour_now - std::chrono::hours(23)) {
      r = client_.History(where, query.factor);
    } else {
      r = client_.PastRange(where, FloorTo(query.from, kHour), std::min(query.to, hour_now + kHour), query.factor);
    }
    if (r.ok()) {
      past = std::move(r->value);
      if (r->stale) stale_note = std::string(kStaleNotePrefix) + r->stale_reason + "; ";
    } else if (query.to <= hour_now + kHour || r.status().code() == StatusCode::kUnauthenticated) {
      return r.status();
    } else {
      past_failure = r.status().message();
    }
  }
  std::vector<EmIntensity> future;
  std::optional<TimePoint> forecast_updated;
  TimePoint past_end = past.empty() ? hour_now : past.back().time + kHour;
  if (query.to > past_end) {
    auto f = client_.Forecast(where, query.factor);
    if (!f.ok()) {
      if (past.empty()) return f.status();
      past_failure = f.status().message();
    } else {
      for (auto& p : f->value.points) {
        if (p.time >= past_end) future.push_back(std::move(p));
      }
      forecast_updated = f->value.updated_at;
      if (f->stale) stale_note = std::string(kStaleNotePrefix) + f->stale_reason + "; ";
    }
  }

  std::vector<Sample> samples;
  std::map<TimePoint, const EmIntensity*> past_at;
  for (const auto& p : past) {
    past_at[p.time] = &p;
    if (p.g_per_kwh) samples.push_back({p.time, *p.g_per_kwh});
  }
  for (const auto& p : future) {
    if (p.g_per_kwh) samples.push_back({p.time, *p.g_per_kwh});
  }
  std::sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.time < b.time; });
  std::vector<double> values = AlignToGrid(samples, query.from, query.to, query.step);

  IntensitySeries out;
  out.start = query.from;
  out.step = query.step;
  out.signal = Signal::kAverage;
  bool any = false;
  std::string missing_note = past_failure.empty() ? "no Electricity Maps value" : "Electricity Maps: " + past_failure;
  for (size_t i = 0; i < values.size(); ++i) {
    TimePoint t = out.TimeAt(i);
    if (std::isnan(values[i])) {
      out.Append(kNoValue, PointKind::kMissing, Name(), missing_note);
      continue;
    }
    any = true;
    if (t < past_end) {
      auto it = past_at.upper_bound(t);
      const EmIntensity* p = it == past_at.begin() ? nullptr : std::prev(it)->second;
      std::string note = p && p->estimated ? "estimated by Electricity Maps" +
                                                 (p->estimation_method.empty() ? "" : " (" + p->estimation_method + ")")
                                           : "Electricity Maps history";
      out.Append(values[i], PointKind::kMeasured, Name(), stale_note + note);
    } else {
      std::string note = "Electricity Maps forecast";
      if (forecast_updated) note += " updated " + FormatTime(*forecast_updated);
      out.Append(values[i], PointKind::kForecast, Name(), stale_note + note);
    }
  }
  if (!any) {
    return Status::Unavailable("Electricity Maps had no value for zone " + query.zone + " in [" + FormatTime(query.from) +
                               ", " + FormatTime(query.to) + ")" + (past_failure.empty() ? "" : ": " + past_failure));
  }
  return out;
}

}  // namespace sunwind
