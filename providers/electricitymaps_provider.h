// Electricity Maps API v3: the wire client (requests, answers parsed field by
// field, errors mapped to codes) and the IntensityProvider on top of it.
//
// Units: gCO2eq/kWh (average intensity, lifecycle unless asked for direct);
// power in MW. Authentication: the `auth-token` header; the key never appears
// in a message, a log line or a cache key.
//
// Errors: 401/403 -> kUnauthenticated (names the provider and what to check);
// 429 -> kRateLimited (after a bounded retry honouring Retry-After);
// 400/404 (zone not covered, coordinates in no zone) -> kNotFound;
// 5xx, timeouts, refused connections, TLS failures, malformed or truncated
// JSON -> kUnavailable. All of these let a chain fall back.
#ifndef SUNWIND_PROVIDERS_ELECTRICITYMAPS_PROVIDER_H_
#define SUNWIND_PROVIDERS_ELECTRICITYMAPS_PROVIDER_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "providers/caching_provider.h"
#include "providers/http_transport.h"
#include "providers/intensity_provider.h"

namespace sunwind {

inline constexpr const char* kElectricityMapsDefaultUrl = "https://api.electricitymaps.com/v3";

// Where to ask about: a zone key ("DE"), or coordinates the API resolves.
struct EmLocation {
  std::string zone;
  std::optional<double> lat;
  std::optional<double> lon;

  static EmLocation Zone(std::string z) { return {std::move(z), std::nullopt, std::nullopt}; }
  static EmLocation At(double la, double lo) { return {"", la, lo}; }
  std::string Describe() const;  // "zone DE" or "lat 48.85, lon 2.35"
};

// One carbon-intensity answer (latest, past, and each item of history).
struct EmIntensity {
  std::string zone;
  std::optional<double> g_per_kwh;  // null in the API: no value for that hour
  TimePoint time{};                 // "datetime": the start of the hour it describes
  std::optional<TimePoint> updated_at;
  std::optional<TimePoint> created_at;
  std::string emission_factor;      // "lifecycle" or "direct"; "" when absent
  bool estimated = false;
  std::string estimation_method;    // "" when null
};

struct EmForecast {
  std::string zone;
  std::vector<EmIntensity> points;  // carbonIntensity + datetime only
  std::optional<TimePoint> updated_at;
};

// A named amount in MW; nullopt where the API gives null.
using EmPowerEntry = std::pair<std::string, std::optional<double>>;

struct EmPowerBreakdown {
  std::string zone;
  TimePoint time{};
  std::optional<TimePoint> updated_at;
  std::optional<TimePoint> created_at;
  std::vector<EmPowerEntry> consumption_mw;  // in the API's order
  std::vector<EmPowerEntry> production_mw;
  std::vector<EmPowerEntry> import_mw;       // by neighbouring zone
  std::vector<EmPowerEntry> export_mw;
  std::optional<double> fossil_free_pct;
  std::optional<double> renewable_pct;
  std::optional<double> consumption_total_mw;
  std::optional<double> production_total_mw;
  std::optional<double> import_total_mw;
  std::optional<double> export_total_mw;
  bool estimated = false;
  std::string estimation_method;

  // Each source's share of consumption in %: its MW over
  // powerConsumptionTotal; nullopt where the source or the total is null.
  std::vector<EmPowerEntry> ConsumptionSharePct() const;
};

// Parsers of the API's bodies; kUnavailable naming the field when malformed.
Result<EmIntensity> ParseEmIntensity(const std::string& body);
Result<std::vector<EmIntensity>> ParseEmHistory(const std::string& body);    // {"history": [...]}
Result<std::vector<EmIntensity>> ParseEmPastRange(const std::string& body);  // {"data": [...]}
Result<EmForecast> ParseEmForecast(const std::string& body);
Result<EmPowerBreakdown> ParseEmPowerBreakdown(const std::string& body);

struct ElectricityMapsOptions {
  std::string base_url = kElectricityMapsDefaultUrl;  // up to and including /v3
  std::string api_key;
  // Where the key came from, for the message when it is refused:
  // "ELECTRICITYMAPS_API_KEY" or "providers.electricitymaps.api_key in <file>".
  std::string key_origin = "ELECTRICITYMAPS_API_KEY";
  std::chrono::milliseconds timeout{10000};
  CachePolicy cache_policy;
};

class ElectricityMapsClient {
 public:
  // fetcher must outlive the client.
  ElectricityMapsClient(ElectricityMapsOptions options, CachingFetcher& fetcher)
      : options_(std::move(options)), fetcher_(fetcher) {}

  Result<Fetched<EmIntensity>> Latest(const EmLocation& where, EmissionFactor factor);
  Result<Fetched<EmIntensity>> Past(const EmLocation& where, TimePoint at, EmissionFactor factor);
  // The last 24 hours, hourly.
  Result<Fetched<std::vector<EmIntensity>>> History(const EmLocation& where, EmissionFactor factor);
  // Hourly values in [from, to); the API allows at most 10 days a call, so
  // longer ranges are asked for in pieces.
  Result<Fetched<std::vector<EmIntensity>>> PastRange(const EmLocation& where, TimePoint from, TimePoint to,
                                                      EmissionFactor factor);
  Result<Fetched<EmForecast>> Forecast(const EmLocation& where, EmissionFactor factor);
  Result<Fetched<EmPowerBreakdown>> PowerBreakdownLatest(const EmLocation& where);

  const ElectricityMapsOptions& options() const { return options_; }

 private:
  template <typename T>
  Result<Fetched<T>> Get(const std::string& path, const std::string& query, const std::string& kind,
                         Result<T> (*parse)(const std::string&),
                         std::function<std::optional<TimePoint>(const T&, TimePoint)> expiry);
  Status MapError(const std::string& path, const std::string& where, const HttpResponse& response) const;

  ElectricityMapsOptions options_;
  CachingFetcher& fetcher_;
};

// The zone's average intensity from Electricity Maps: measured (or estimated
// by Electricity Maps) values for the past from /history (last 24 h) or
// /past-range, and /forecast for the future. Cells no answer covers are gaps.
// No value at all is kUnavailable, so a chain falls back.
class ElectricityMapsProvider final : public IntensityProvider {
 public:
  ElectricityMapsProvider(ElectricityMapsClient& client, const Clock& clock) : client_(client), clock_(clock) {}
  std::string Name() const override { return "electricitymaps"; }
  Result<IntensitySeries> Intensity(const IntensityQuery& query) override;

 private:
  ElectricityMapsClient& client_;
  const Clock& clock_;
};

}  // namespace sunwind

#endif  // SUNWIND_PROVIDERS_ELECTRICITYMAPS_PROVIDER_H_
