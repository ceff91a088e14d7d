// The `providers:` section of the YAML config, with ${ENV} interpolation, and
// the live providers it builds.
//
//   providers:
//     chain: [electricitymaps, trace, static]   # the order values are tried
//     cache: ~/.cache/sunwind/cache.sqlite      # or "off"; default under $XDG_CACHE_HOME
//     electricitymaps:
//       url: https://api.electricitymaps.com/v3 # $SUNWIND_ELECTRICITYMAPS_URL wins over this
//       api_key: ${ELECTRICITYMAPS_API_KEY}     # default: $ELECTRICITYMAPS_API_KEY
//       timeout: 10s
//       daily_budget: 1000                      # requests per UTC day; 0 = no limit
//       max_retries: 2                          # on 429/5xx
//       max_retry_wait: 30s                     # longest Retry-After honoured
//       latest_ttl: 5m                          # freshness of "latest" answers
//     ukgrid:                                   # UK Carbon Intensity API (zone GB), no key
//       url: https://api.carbonintensity.org.uk # $SUNWIND_UKGRID_URL wins over this
//       timeout: 10s
//       daily_budget: 0
//     watttime:                                 # marginal MOER, zones watttime:<REGION>
//       url: https://api.watttime.org           # $SUNWIND_WATTTIME_URL wins over this
//       username: ${WATTTIME_USERNAME}          # default: $WATTTIME_USERNAME
//       password: ${WATTTIME_PASSWORD}          # default: $WATTTIME_PASSWORD
//       timeout: 10s
//       daily_budget: 0
//
// Without a providers section, Electricity Maps is used when
// $ELECTRICITYMAPS_API_KEY or $SUNWIND_ELECTRICITYMAPS_URL is set; otherwise
// nothing live is configured (likewise ukgrid with $SUNWIND_UKGRID_URL) and sunwind stays offline (trace, then static).
// Secrets from the config or the environment are never printed.
#ifndef SUNWIND_PROVIDERS_PROVIDER_CONFIG_H_
#define SUNWIND_PROVIDERS_PROVIDER_CONFIG_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "providers/caching_provider.h"
#include "providers/electricitymaps_provider.h"
#include "providers/http_transport.h"
#include "providers/ukgrid_provider.h"
#include "providers/watttime_provider.h"
#include "storage/answer_cache.h"
#include "storage/database.h"

namespace sunwind {

// Reads an environment variable; tests pass a map instead of the process's.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup ProcessEnv();

// Replaces every ${NAME} with the variable's value ("" when unset; the names
// of unset variables are added to *unset). "$${" stays a literal "${".
Result<std::string> InterpolateEnv(const std::string& text, const EnvLookup& env, std::vector<std::string>* unset);

struct ElectricityMapsConfig {
  bool enabled = false;
  std::string url = kElectricityMapsDefaultUrl;
  std::string api_key;
  std::string key_origin = "ELECTRICITYMAPS_API_KEY";
  std::chrono::milliseconds timeout{10000};
  int64_t daily_budget = 0;
  RetryPolicy retry;
  CachePolicy cache_policy;
};

struct UkGridConfig {
  bool enabled = false;
  std::string url = kUkGridDefaultUrl;
  std::chrono::milliseconds timeout{10000};
  int64_t daily_budget = 0;
  RetryPolicy retry;
};

struct WattTimeConfig {
  bool enabled = false;
  std::string url = kWattTimeDefaultUrl;
  std::string username;
  std::string password;
  std::string credentials_origin = "WATTTIME_USERNAME and WATTTIME_PASSWORD";
  std::chrono::milliseconds timeout{10000};
  int64_t daily_budget = 0;
  RetryPolicy retry;
};

struct ProvidersConfig {
  std::vector<std::string> chain;  // names: electricitymaps, trace, static
  std::string cache_path;          // "" = no cache
  ElectricityMapsConfig electricitymaps;
  UkGridConfig ukgrid;
  WattTimeConfig watttime;

  bool AnyLive() const { return electricitymaps.enabled || ukgrid.enabled || watttime.enabled; }
};

// Reads the providers section of the config file at path ("" = no file).
Result<ProvidersConfig> LoadProvidersConfig(const std::string& path, const EnvLookup& env);
// The same from YAML text; origin names it in messages.
Result<ProvidersConfig> ParseProvidersConfig(const std::string& yaml, const std::string& origin, const EnvLookup& env);

// The live providers a config asks for, with what they need (transport, cache).
class LiveProviders {
 public:
  // transport: null = the real CurlTransport. sleeper: null = real sleeping.
  static Result<std::unique_ptr<LiveProviders>> Build(const ProvidersConfig& config, const Clock& clock,
                                                      HttpTransport* transport = nullptr, Sleeper sleeper = nullptr);

  // Null when not configured.
  ElectricityMapsClient* electricitymaps() { return em_client_.get(); }
  IntensityProvider* electricitymaps_provider() { return em_provider_.get(); }
  UkGridClient* ukgrid() { return uk_client_.get(); }
  WattTimeClient* watttime() { return wt_client_.get(); }
  // The provider of that name, or null ("trace" and "static" are not live).
  IntensityProvider* Find(const std::string& name);

 private:
  std::unique_ptr<HttpTransport> own_transport_;
  HttpTransport* transport_ = nullptr;
  std::unique_ptr<Database> db_;
  std::unique_ptr<AnswerCache> cache_;
  std::unique_ptr<CachingFetcher> em_fetcher_;
  std::unique_ptr<ElectricityMapsClient> em_client_;
  std::unique_ptr<ElectricityMapsProvider> em_provider_;
  std::unique_ptr<CachingFetcher> uk_fetcher_;
  std::unique_ptr<UkGridClient> uk_client_;
  std::unique_ptr<UkGridProvider> uk_provider_;
  std::unique_ptr<CachingFetcher> wt_fetcher_;
  std::unique_ptr<WattTimeClient> wt_client_;
  std::unique_ptr<WattTimeProvider> wt_provider_;
};

}  // namespace sunwind

#endif  // SUNWIND_PROVIDERS_PROVIDER_CONFIG_H_
