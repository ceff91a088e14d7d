#include "providers/ukgrid_provider.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "providers/answer_json.h"

namespace sunwind {
namespace {

using Json = nlohmann::ordered_json;
constexpr const char* kProvider = "UK Carbon Intensity API";

Status Malformed(const std::string& what) { return MalformedAnswer(kProvider, what); }

Result<Json> ParseObject(const std::string& body) { return ParseAnswerObject(kProvider, body); }

Result<std::optional<double>> Number(const Json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return std::optional<double>();
  if (!it->is_number()) return Malformed(std::string("'") + field + "' is not a number");
  return std::optional<double>(it->get<double>());
}

Result<UkSlot> SlotFromJson(const Json& j) {
  if (!j.is_object()) return Malformed("a slot is not an object");
  UkSlot s;
  for (const char* f : {"from", "to"}) {
    auto it = j.find(f);
    if (it == j.end() || !it->is_string()) return Malformed(std::string("slot without '") + f + "'");
    auto t = ParseTime(it->get<std::string>());
    if (!t.ok()) return Malformed(std::string("'") + f + "': " + t.status().message());
    (std::string(f) == "from" ? s.from : s.to) = *t;
  }
  auto in = j.find("intensity");
  if (in == j.end() || !in->is_object()) return Malformed("slot without 'intensity'");
  SUNWIND_ASSIGN_OR_RETURN(s.forecast, Number(*in, "forecast"));
  SUNWIND_ASSIGN_OR_RETURN(s.actual, Number(*in, "actual"));
  if (auto idx = in->find("index"); idx != in->end() && idx->is_string()) s.index = idx->get<std::string>();
  if (auto mix = j.find("generationmix"); mix != j.end() && mix->is_array()) {
    for (const auto& m : *mix) {
      if (!m.is_object() || !m.contains("fuel") || !m["fuel"].is_string() || !m.contains("perc") || !m["perc"].is_number()) {
        return Malformed("a generationmix entry lacks 'fuel' or 'perc'");
      }
      s.generation_mix_pct.emplace_back(m["fuel"].get<std::string>(), m["perc"].get<double>());
    }
  }
  return s;
}

Result<std::vector<UkSlot>> Slots(const Json& arr) {
  if (!arr.is_array()) return Malformed("'data' is not a list");
  std::vector<UkSlot> out;
  for (const auto& j : arr) {
    SUNWIND_ASSIGN_OR_RETURN(UkSlot s, SlotFromJson(j));
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const UkSlot& a, const UkSlot& b) { return a.from < b.from; });
  return out;
}

std::string ApiError(const std::string& body) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("error") || !j["error"].is_object()) return "";
  const Json& e = j["error"];
  std::string code = e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
  std::string msg = e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
  return code + (msg.empty() ? "" : ": " + msg);
}

}  // namespace

std::string UkTime(TimePoint t) { return FormatTime(t).substr(0, 16) + "Z"; }

Result<std::vector<UkSlot>> ParseUkNational(const std::string& body) {
  SUNWIND_ASSIGN_OR_RETURN(Json j, ParseObject(body));
  if (!j.contains("data")) return Malformed("missing 'data'");
  return Slots(j["data"]);
}

Result<UkRegion> ParseUkRegion(const std::string& body) {
  SUNWIND_ASSIGN_OR_RETURN(Json j, ParseObject(body));
  if (!j.contains("data")) return Malformed("missing 'data'");
  const Json* r = &j["data"];
  if (r->is_array()) {
    if (r->empty()) return Malformed("'data' is empty");
    r = &(*r)[0];
  }
  if (!r->is_object()) return Malformed("'data' is neither an object nor a list");
  UkRegion out;
  if (r->contains("regionid") && (*r)["regionid"].is_number()) out.regionid = (*r)["regionid"].get<int>();
  if (r->contains("dnoregion") && (*r)["dnoregion"].is_string()) out.dnoregion = (*r)["dnoregion"].get<std::string>();
  if (r->contains("shortname") && (*r)["shortname"].is_string()) out.shortname = (*r)["shortname"].get<std::string>();
  if (r->contains("postcode") && (*r)["postcode"].is_string()) out.postcode = (*r)["postcode"].get<std::string>();
  if (!r->contains("data")) return Malformed("region without 'data'");
  SUNWIND_ASSIGN_OR_RETURN(out.slots, Slots((*r)["data"]));
  return out;
}

template <typename T>
Result<Fetched<T>> UkGridClient::Get(const std::string& path, const std::string& kind,
                                     Result<T> (*parse)(const std::string&), bool settled) {
  HttpRequest req;
  req.url = WithoutTrailingSlash(options_.base_url) + path;
  req.timeout = options_.timeout;
  req.headers.push_back({"Accept", "application/json"});
  T parsed{};
  Duration period = options_.update_period;
  auto validate = [&](const std::string& body, TimePoint now) -> Result<std::optional<TimePoint>> {
    auto v = parse(body);
    if (!v.ok()) return v.status().WithContext(path);
    parsed = std::move(v).value();
    if (settled) return std::optional<TimePoint>();
    // Fresh until the next half-hourly update.
    return std::optional<TimePoint>(FloorTo(now, period) + period);
  };
  auto map_error = [&](const HttpResponse& r) -> Status {
    std::string said = ApiError(r.body);
    std::string head = std::string(kProvider) + " " + path + ": HTTP " + std::to_string(r.status) + (said.empty() ? "" : " (" + said + ")");
    if (r.status == 429) return Status(StatusCode::kRateLimited, head + ": rate limited");
    if (r.status == 400 || r.status == 404) return Status::NotFound(head);
    return Status::Unavailable(head);
  };
  SUNWIND_ASSIGN_OR_RETURN(FetchedAnswer answer, fetcher_.Fetch(req, path, kind, validate, map_error));
  return FromAnswer<T>(answer, std::move(parsed), parse, path);
}

Result<Fetched<std::vector<UkSlot>>> UkGridClient::National(TimePoint from, TimePoint to) {
  Fetched<std::vector<UkSlot>> all;
  const Duration kMax = std::chrono::hours(24 * 14);
  TimePoint now = fetcher_.clock().Now();
  for (TimePoint a = from; a < to; a += kMax) {
    TimePoint b = std::min(to, a + kMax);
    bool settled = b + std::chrono::hours(24) <= now;
    auto part = Get<std::vector<UkSlot>>("/intensity/" + UkTime(a) + "/" + UkTime(b), settled ? "history" : "forecast",
                                         ParseUkNational, settled);
    if (!part.ok()) return part.status();
    for (auto& s : part->value) {
      if (s.from >= from && s.from < to) all.value.push_back(std::move(s));
    }
    all.stale = all.stale || part->stale;
    if (part->stale) all.stale_reason = part->stale_reason;
    all.from_cache = all.from_cache || part->from_cache;
  }
  return all;
}

Result<Fetched<std::vector<UkSlot>>> UkGridClient::NationalForecast48h(TimePoint from) {
  return Get<std::vector<UkSlot>>("/intensity/" + UkTime(from) + "/fw48h", "forecast", ParseUkNational, false);
}

Result<Fetched<UkRegion>> UkGridClient::RegionalForecast48h(TimePoint from, int regionid) {
  if (regionid < 1 || regionid > 17) {
    return Status::InvalidArgument("UK region id must be 1..17, got " + std::to_string(regionid));
  }
  return Get<UkRegion>("/regional/intensity/" + UkTime(from) + "/fw48h/regionid/" + std::to_string(regionid), "forecast",
                       ParseUkRegion, false);
}

Result<IntensitySeries> UkGridProvider::Intensity(const IntensityQuery& query) {
  if (query.to <= query.from) return Status::InvalidArgument("ukgrid: empty time range");
  if (query.zone != "GB") return Status::NotFound("ukgrid covers Great Britain (zone GB) only, not '" + query.zone + "'");
  const Duration kSlot = std::chrono::minutes(30);
  TimePoint now = clock_.Now();
  auto r = client_.National(FloorTo(query.from, kSlot), query.to);
  if (!r.ok()) return r.status();
  std::vector<Sample> samples;
  for (const auto& s : r->value) {
    std::optional<double> v = s.actual ? s.actual : s.forecast;
    if (v) samples.push_back({s.from, *v});
  }
  std::vector<double> values = AlignToGrid(samples, query.from, query.to, query.step);
  std::string stale = r->stale ? std::string(kStaleNotePrefix) + r->stale_reason + "; " : "";
  IntensitySeries out;
  out.start = query.from;
  out.step = query.step;
  bool any = false;
  for (size_t i = 0; i < values.size(); ++i) {
    TimePoint t = out.TimeAt(i);
    if (std::isnan(values[i])) {
      out.Append(kNoValue, PointKind::kMissing, Name(), "no UK Carbon Intensity value");
      continue;
    }
    any = true;
    // Measured when every slot in the cell had an actual value.
    bool actual = true;
    for (const auto& s : r->value) {
      if (s.from >= t && s.from < t + query.step && !s.actual) actual = false;
    }
    if (actual && t < now) {
      out.Append(values[i], PointKind::kMeasured, Name(), stale + "National Grid ESO actual (national)");
    } else {
      out.Append(values[i], PointKind::kForecast, Name(), stale + "National Grid ESO forecast (national)");
    }
  }
  if (!any) return Status::Unavailable("UK Carbon Intensity API had no value for GB in [" + FormatTime(query.from) + ", " + FormatTime(query.to) + ")");
  return out;
}

}  // namespace sunwind
