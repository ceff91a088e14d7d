// WattTime API v3: login (HTTP Basic -> bearer token, renewed before its 30
// minutes run out, and once more on 401/403), region-from-loc, signal-index,
// forecast and historical MOER.
//
// MOER is a *marginal* signal in lbs CO2 per MWh. sunwind converts it to
// gCO2/kWh (1 lb/MWh = 453.59237 g / 1000 kWh = 0.45359237 g/kWh) and labels
// every series Signal::kMarginal; it is never averaged with, nor used to fill
// gaps in, average intensity (FallbackProvider keeps signals apart).
// The signal index is a percentile (0 cleanest .. 100), not an intensity.
//
// The provider answers zones named "watttime:<REGION>" (e.g.
// watttime:CAISO_NORTH); every other zone is kNotFound so a chain moves on.
// Credentials never appear in messages, logs or cache keys.
#ifndef SUNWIND_PROVIDERS_WATTTIME_PROVIDER_H_
#define SUNWIND_PROVIDERS_WATTTIME_PROVIDER_H_

#include <optional>
#include <string>
#include <vector>

#include "providers/caching_provider.h"
#include "providers/electricitymaps_provider.h"  // Fetched<T>
#include "providers/intensity_provider.h"

namespace sunwind {

inline constexpr const char* kWattTimeDefaultUrl = "https://api.watttime.org";
inline constexpr double kGramsPerKwhPerLbPerMwh = 0.45359237;
inline constexpr const char* kWattTimeZonePrefix = "watttime:";

// lbs/MWh -> g/kWh.
inline double LbsPerMwhToGramsPerKwh(double lbs_per_mwh) { return lbs_per_mwh * kGramsPerKwhPerLbPerMwh; }

struct WtPoint {
  TimePoint time{};
  double value = 0;  // in the answer's units (lbs_co2_per_mwh, or percentile)
};

struct WtSignal {
  std::string region;
  std::string signal_type;  // "co2_moer"
  std::string units;        // "lbs_co2_per_mwh" or "percentile"
  Duration period{300};
  std::optional<TimePoint> generated_at;
  std::vector<WtPoint> points;
};

struct WtRegion {
  std::string region;
  std::string full_name;
  std::string signal_type;
};

// /v3/forecast, /v3/historical, /v3/signal-index: {"data":[{point_time,value}],"meta":{...}}
Result<WtSignal> ParseWtSignal(const std::string& body);
// /v3/forecast/historical: {"data":[{"generated_at":..,"forecast":[...]}],"meta":{...}}: the first forecast.
Result<WtSignal> ParseWtHistoricalForecast(const std::string& body);
Result<WtRegion> ParseWtRegion(const std::string& body);

struct WattTimeOptions {
  std::string base_url = kWattTimeDefaultUrl;  // login is {base}/login, data under {base}/v3
  std::string username;
  std::string password;
  std::string credentials_origin = "WATTTIME_USERNAME and WATTTIME_PASSWORD";
  std::chrono::milliseconds timeout{10000};
  Duration token_lifetime{std::chrono::minutes(30)};
  Duration renew_before{std::chrono::minutes(5)};  // log in again this long before expiry
};

class WattTimeClient {
 public:
  WattTimeClient(WattTimeOptions options, CachingFetcher& fetcher, HttpTransport& http)
      : options_(std::move(options)), fetcher_(fetcher), http_(http) {}

  Result<WtRegion> RegionFromLoc(double lat, double lon);
  Result<Fetched<WtSignal>> Forecast(const std::string& region);
  Result<Fetched<WtSignal>> Historical(const std::string& region, TimePoint from, TimePoint to);
  Result<Fetched<WtSignal>> SignalIndex(const std::string& region);

  // Logins performed so far (tests).
  int logins() const { return logins_; }

 private:
  Status Login();
  Status EnsureToken();
  Result<Fetched<WtSignal>> GetSignal(const std::string& path_query, const std::string& kind, bool settled);
  Status MapError(const std::string& path, const HttpResponse& r) const;

  WattTimeOptions options_;
  CachingFetcher& fetcher_;
  HttpTransport& http_;
  std::string token_;
  TimePoint token_expires_{};
  int logins_ = 0;
};

class WattTimeProvider final : public IntensityProvider {
 public:
  WattTimeProvider(WattTimeClient& client, const Clock& clock) : client_(client), clock_(clock) {}
  std::string Name() const override { return "watttime"; }
  Result<IntensitySeries> Intensity(const IntensityQuery& query) override;

 private:
  WattTimeClient& client_;
  const Clock& clock_;
};

}  // namespace sunwind

#endif  // SUNWIND_PROVIDERS_WATTTIME_PROVIDER_H_
