#include "providers/watttime_provider.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "providers/answer_json.h"

namespace sunwind {
namespace {

using Json = nlohmann::ordered_json;
constexpr const char* kProvider = "WattTime";

Status Malformed(const std::string& what) { return MalformedAnswer(kProvider, what); }

Result<Json> ParseObject(const std::string& body) { return ParseAnswerObject(kProvider, body); }

std::string Str(const Json& j, const char* f) {
  auto it = j.find(f);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

Result<std::vector<WtPoint>> Points(const Json& arr) {
  if (!arr.is_array()) return Malformed("'data' is not a list");
  std::vector<WtPoint> out;
  for (const auto& p : arr) {
    if (!p.is_object()) return Malformed("a point is not an object");
    auto t = ParseTime(Str(p, "point_time"));
    if (!t.ok()) return Malformed("'point_time': " + t.status().message());
    auto v = p.find("value");
    if (v == p.end() || !v->is_number()) return Malformed("a point without a numeric 'value'");
    out.push_back({*t, v->get<double>()});
  }
  std::sort(out.begin(), out.end(), [](const WtPoint& a, const WtPoint& b) { return a.time < b.time; });
  return out;
}

Status Meta(const Json& j, WtSignal* s) {
  auto m = j.find("meta");
  if (m == j.end() || !m->is_object()) return Malformed("missing 'meta'");
  s->region = Str(*m, "region");
  s->signal_type = Str(*m, "signal_type");
  s->units = Str(*m, "units");
  if (auto p = m->find("data_point_period_seconds"); p != m->end() && p->is_number_integer() && p->get<long long>() > 0) {
    s->period = Duration(p->get<long long>());
  }
  if (std::string g = Str(*m, "generated_at"); !g.empty()) {
    auto t = ParseTime(g);
    if (t.ok()) s->generated_at = *t;
  }
  return Status::Ok();
}



}  // namespace

Result<WtSignal> ParseWtSignal(const std::string& body) {
  SUNWIND_ASSIGN_OR_RETURN(Json j, ParseObject(body));
  WtSignal s;
  SUNWIND_RETURN_IF_ERROR(Meta(j, &s));
  if (!j.contains("data")) return Malformed("missing 'data'");
  SUNWIND_ASSIGN_OR_RETURN(s.points, Points(j["data"]));
  return s;
}

Result<WtSignal> ParseWtHistoricalForecast(const std::string& body) {
  SUNWIND_ASSIGN_OR_RETURN(Json j, ParseObject(body));
  WtSignal s;
  SUNWIND_RETURN_IF_ERROR(Meta(j, &s));
  if (!j.contains("data") || !j["data"].is_array() || j["data"].empty()) return Malformed("missing 'data'");
  const Json& first = j["data"][0];
  if (auto g = ParseTime(Str(first, "generated_at")); g.ok()) s.generated_at = *g;
  if (!first.contains("forecast")) return Malformed("missing 'forecast'");
  SUNWIND_ASSIGN_OR_RETURN(s.points, Points(first["forecast"]));
  return s;
}

Result<WtRegion> ParseWtRegion(const std::string& body) {
  SUNWIND_ASSIGN_OR_RETURN(Json j, ParseObject(body));
  WtRegion r{Str(j, "region"), Str(j, "region_full_name"), Str(j, "signal_type")};
  if (r.region.empty()) return Malformed("missing 'region'");
  return r;
}

Status WattTimeClient::MapError(const std::string& path, const HttpResponse& r) const {
  std::string said;
  {
    Json j = Json::parse(r.body, nullptr, false);
    if (!j.is_discarded() && j.is_object()) {
      said = Str(j, "error");
      std::string m = Str(j, "message");
      if (!m.empty()) said += (said.empty() ? "" : ": ") + m;
    }
  }
  if (said.size() > 300) said = said.substr(0, 300) + "...";
  std::string head = std::string(kProvider) + " " + path + ": HTTP " + std::to_string(r.status) + (said.empty() ? "" : " (" + said + ")");
  if (r.status == 403 && said.find("Invalid scope") != std::string::npos) {
    return Status::NotFound(head + ": this region is not in your WattTime plan");
  }
  if (r.status == 401 || r.status == 403) {
    return Status(StatusCode::kUnauthenticated, head + ": the token was refused; check " + options_.credentials_origin);
  }
  if (r.status == 429) return Status(StatusCode::kRateLimited, head + ": rate limited");
  if (r.status == 400 || r.status == 404) return Status::NotFound(head + ": not covered by WattTime");
  return Status::Unavailable(head);
}

Status WattTimeClient::Login() {
  if (options_.username.empty() || options_.password.empty()) {
    return Status(StatusCode::kUnauthenticated, std::string(kProvider) + ": no credentials; set " + options_.credentials_origin);
  }
  HttpRequest req;
  req.url = WithoutTrailingSlash(options_.base_url) + "/login";
  req.timeout = options_.timeout;
  req.basic_auth = std::make_pair(options_.username, options_.password);
  ++logins_;
  auto r = http_.Send(req);
  if (!r.ok()) return r.status().WithContext(std::string(kProvider) + " login");
  if (r->status == 401 || r->status == 403) {
    return Status(StatusCode::kUnauthenticated, std::string(kProvider) + " refused the login (HTTP " + std::to_string(r->status) +
                                                    "): check " + options_.credentials_origin);
  }
  if (r->status == 429) return Status(StatusCode::kRateLimited, std::string(kProvider) + " login: HTTP 429: rate limited");
  if (r->status != 200) return Status::Unavailable(std::string(kProvider) + " login: HTTP " + std::to_string(r->status));
  Json j = Json::parse(r->body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || Str(j, "token").empty()) return Malformed("login answer without 'token'");
  token_ = Str(j, "token");
  token_expires_ = fetcher_.clock().Now() + options_.token_lifetime;
  return Status::Ok();
}

Status WattTimeClient::EnsureToken() {
  if (token_.empty() || fetcher_.clock().Now() + options_.renew_before >= token_expires_) return Login();
  return Status::Ok();
}

Result<Fetched<WtSignal>> WattTimeClient::GetSignal(const std::string& path_query, const std::string& kind, bool settled) {
  std::string path = path_query.substr(0, path_query.find('?'));
  for (int attempt = 0;; ++attempt) {
    SUNWIND_RETURN_IF_ERROR(EnsureToken());
    HttpRequest req;
    req.url = WithoutTrailingSlash(options_.base_url) + path_query;
    req.timeout = options_.timeout;
    req.headers = {{"Accept", "application/json"}, {"Authorization", "Bearer " + token_}};
    WtSignal parsed;
    auto validate = [&](const std::string& body, TimePoint now) -> Result<std::optional<TimePoint>> {
      auto v = ParseWtSignal(body);
      if (!v.ok()) return v.status().WithContext(path);
      parsed = std::move(v).value();
      if (settled) return std::optional<TimePoint>();
      return std::optional<TimePoint>(now + parsed.period);  // a new value every period (5 minutes)
    };
    auto map_error = [&](const HttpResponse& r) { return MapError(path, r); };
    auto answer = fetcher_.Fetch(req, path_query, kind, validate, map_error);
    if (!answer.ok()) {
      // A token revoked early: log in again, once.
      if (answer.status().code() == StatusCode::kUnauthenticated && attempt == 0) {
        token_.clear();
        continue;
      }
      return answer.status();
    }
    Fetched<WtSignal> out;
    if (answer->from_cache) {
      auto v = ParseWtSignal(answer->body);
      if (!v.ok()) return v.status();
      out.value = std::move(v).value();
    } else {
      out.value = std::move(parsed);
    }
    out.stale = answer->stale;
    out.from_cache = answer->from_cache;
    out.stale_reason = answer->stale_reason;
    return out;
  }
}

Result<WtRegion> WattTimeClient::RegionFromLoc(double lat, double lon) {
  char q[128];
  std::snprintf(q, sizeof q, "?latitude=%.4f&longitude=%.4f&signal_type=co2_moer", lat, lon);
  for (int attempt = 0;; ++attempt) {
    SUNWIND_RETURN_IF_ERROR(EnsureToken());
    HttpRequest req;
    req.url = WithoutTrailingSlash(options_.base_url) + "/v3/region-from-loc" + q;
    req.timeout = options_.timeout;
    req.headers = {{"Accept", "application/json"}, {"Authorization", "Bearer " + token_}};
    auto r = http_.Send(req);
    if (!r.ok()) return r.status();
    if (r->status == 200) return ParseWtRegion(r->body);
    Status st = MapError("/v3/region-from-loc", *r);
    if (st.code() == StatusCode::kUnauthenticated && attempt == 0) {
      token_.clear();
      continue;
    }
    return st;
  }
}

Result<Fetched<WtSignal>> WattTimeClient::Forecast(const std::string& region) {
  return GetSignal("/v3/forecast?region=" + UrlEncode(region) + "&signal_type=co2_moer", "forecast", false);
}

Result<Fetched<WtSignal>> WattTimeClient::Historical(const std::string& region, TimePoint from, TimePoint to) {
  bool settled = to + std::chrono::hours(48) <= fetcher_.clock().Now();
  return GetSignal("/v3/historical?region=" + UrlEncode(region) + "&signal_type=co2_moer&start=" + UrlEncode(FormatTime(from)) +
                       "&end=" + UrlEncode(FormatTime(to)),
                   "history", settled);
}

Result<Fetched<WtSignal>> WattTimeClient::SignalIndex(const std::string& region) {
  return GetSignal("/v3/signal-index?region=" + UrlEncode(region) + "&signal_type=co2_moer", "latest", false);
}

Result<IntensitySeries> WattTimeProvider::Intensity(const IntensityQuery& query) {
  if (query.to <= query.from) return Status::InvalidArgument("watttime: empty time range");
  if (query.zone.rfind(kWattTimeZonePrefix, 0) != 0) {
    return Status::NotFound("watttime answers zones named watttime:<REGION>, not '" + query.zone + "'");
  }
  std::string region = query.zone.substr(std::string(kWattTimeZonePrefix).size());
  TimePoint now = clock_.Now();
  std::vector<Sample> samples;
  std::string stale;
  TimePoint past_end = query.from;
  auto add = [&](const Fetched<WtSignal>& f) -> Status {
    if (f.value.units != "lbs_co2_per_mwh") {
      return Status::Unavailable("WattTime answered in '" + f.value.units + "', expected lbs_co2_per_mwh");
    }
    for (const auto& p : f.value.points) samples.push_back({p.time, LbsPerMwhToGramsPerKwh(p.value)});
    if (f.stale) stale = std::string(kStaleNotePrefix) + f.stale_reason + "; ";
    return Status::Ok();
  };
  if (query.from < now) {
    past_end = std::min(query.to, now);
    if (past_end - query.from > std::chrono::hours(24 * 30)) {
      return Status::InvalidArgument("watttime: at most 30 days of history a query (the API's limit per call)");
    }
    SUNWIND_ASSIGN_OR_RETURN(auto h, client_.Historical(region, query.from, past_end));
    SUNWIND_RETURN_IF_ERROR(add(h));
  }
  if (query.to > now) {
    SUNWIND_ASSIGN_OR_RETURN(auto f, client_.Forecast(region));
    std::vector<Sample> before = samples;
    SUNWIND_RETURN_IF_ERROR(add(f));
    // Keep history where both speak.
    samples.erase(std::remove_if(samples.begin() + static_cast<long>(before.size()), samples.end(),
                                 [&](const Sample& s) { return s.time < past_end; }),
                  samples.end());
  }
  std::sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.time < b.time; });
  std::vector<double> values = AlignToGrid(samples, query.from, query.to, query.step);
  IntensitySeries out;
  out.start = query.from;
  out.step = query.step;
  out.signal = Signal::kMarginal;
  bool any = false;
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) {
      out.Append(kNoValue, PointKind::kMissing, Name(), "no WattTime value");
      continue;
    }
    any = true;
    bool past = out.TimeAt(i) < past_end;
    out.Append(values[i], past ? PointKind::kMeasured : PointKind::kForecast, Name(),
               stale + (past ? "WattTime historical MOER" : "WattTime MOER forecast") +
                   " (marginal; lbs/MWh x 0.45359237 = g/kWh)");
  }
  if (!any) return Status::Unavailable("WattTime had no value for " + region);
  return out;
}

}  // namespace sunwind
