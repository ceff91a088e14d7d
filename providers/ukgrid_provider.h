// The UK National Grid ESO Carbon Intensity API (no key): national and
// regional intensity in 30-minute slots, actual and forecast, and the 48-hour
// forecast. Times are UTC, "YYYY-MM-DDThh:mmZ". Average intensity, gCO2/kWh.
//
// The provider answers for zone "GB" (national); a past slot uses its actual
// value (measured) when the API has one, else its forecast (forecast).
// Errors: 5xx, timeouts, malformed JSON -> kUnavailable; 400 -> kNotFound;
// 429 -> kRateLimited.
#ifndef SUNWIND_PROVIDERS_UKGRID_PROVIDER_H_
#define SUNWIND_PROVIDERS_UKGRID_PROVIDER_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "providers/caching_provider.h"
#include "providers/intensity_provider.h"

namespace sunwind {

inline constexpr const char* kUkGridDefaultUrl = "https://api.carbonintensity.org.uk";

struct UkSlot {
  TimePoint from{};
  TimePoint to{};
  std::optional<double> forecast;  // gCO2/kWh
  std::optional<double> actual;    // null for future slots, and in regional answers
  std::string index;               // "very low" .. "very high"
  std::vector<std::pair<std::string, double>> generation_mix_pct;  // regional answers: fuel, %
};

struct UkRegion {
  int regionid = 0;
  std::string dnoregion;
  std::string shortname;
  std::string postcode;  // postcode answers only
  std::vector<UkSlot> slots;
};

// {"data":[slot...]}
Result<std::vector<UkSlot>> ParseUkNational(const std::string& body);
// A regional answer for one region: {"data":{"regionid":..,"data":[...]}} as
// the API really answers, or {"data":[{"regionid":..,"data":[...]}]} as
// documented.
Result<UkRegion> ParseUkRegion(const std::string& body);

struct UkGridOptions {
  std::string base_url = kUkGridDefaultUrl;
  std::chrono::milliseconds timeout{10000};
  Duration update_period{std::chrono::minutes(30)};  // forecasts are refreshed every half hour
};

class UkGridClient {
 public:
  UkGridClient(UkGridOptions options, CachingFetcher& fetcher) : options_(std::move(options)), fetcher_(fetcher) {}

  // Slots in [from, to) (the API allows 14 days a call; longer ranges are split).
  Result<Fetched<std::vector<UkSlot>>> National(TimePoint from, TimePoint to);
  // The 48 hours from `from`.
  Result<Fetched<std::vector<UkSlot>>> NationalForecast48h(TimePoint from);
  // A region's 48 hours from `from` (regionid 1..17).
  Result<Fetched<UkRegion>> RegionalForecast48h(TimePoint from, int regionid);

 private:
  template <typename T>
  Result<Fetched<T>> Get(const std::string& path, const std::string& kind, Result<T> (*parse)(const std::string&),
                         bool settled);

  UkGridOptions options_;
  CachingFetcher& fetcher_;
};

// "2023-03-14T12:00Z"
std::string UkTime(TimePoint t);

class UkGridProvider final : public IntensityProvider {
 public:
  UkGridProvider(UkGridClient& client, const Clock& clock) : client_(client), clock_(clock) {}
  std::string Name() const override { return "ukgrid"; }
  Result<IntensitySeries> Intensity(const IntensityQuery& query) override;

 private:
  UkGridClient& client_;
  const Clock& clock_;
};

}  // namespace sunwind

#endif  // SUNWIND_PROVIDERS_UKGRID_PROVIDER_H_
