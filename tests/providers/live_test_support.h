// Shared pieces of the live provider tests: fixture paths, a client wired to
// a local server, a recording sleeper.
#ifndef SUNWIND_TESTS_PROVIDERS_LIVE_TEST_SUPPORT_H_
#define SUNWIND_TESTS_PROVIDERS_LIVE_TEST_SUPPORT_H_

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "providers/caching_provider.h"
#include "providers/electricitymaps_provider.h"
#include "providers/http_transport.h"
#include "storage/answer_cache.h"
#include "storage/database.h"
#include "tests/support/test_http_server.h"

#include "tests/support/temp_dir.h"

namespace sunwind::testing {

inline std::string Fixture(const std::string& rel) { return std::string(SUNWIND_FIXTURES_DIR) + "/" + rel; }
inline std::string EmFixture(const std::string& name) {
  return Fixture("electricitymaps_v3/" + name);
}
inline constexpr const char* kLatestDukFile = "aioelectricitymaps/latest_carbon_intensity.json";
inline constexpr const char* kLatestDeFile = "green-elephpant/response_carbon_intensity_latest.json";
inline constexpr const char* kHistoryDeFile = "aioelectricitymaps/carbon_intensity_history.json";
inline constexpr const char* kBreakdownDeFile = "aioelectricitymaps/latest_power_breakdown.json";
inline constexpr const char* kForecastDeFile = "green-elephpant/carbon_intensity_forecast_DE_2023-05-02T19.json";

// A key that must never show up in any output.
inline constexpr const char* kSecretKey = "sk-SECRET-0123456789";

// A temp dir removed at the end of the test.

// Electricity Maps client + provider against a local server, with an
// optional on-disk cache.
struct EmRig {
  EmRig(TestHttpServer& server, const Clock& clock, const std::string& cache_path = "", RetryPolicy retry = {},
        int64_t budget = 0)
      : http(MakeCurlTransport()) {
    if (!cache_path.empty()) {
      db = std::move(Database::Open(cache_path)).value();
      cache = std::make_unique<AnswerCache>(*db);
    }
    fetcher = std::make_unique<CachingFetcher>("electricitymaps", *http, clock, cache.get(), retry, budget,
                                               [this](std::chrono::milliseconds d) { slept.push_back(d); });
    ElectricityMapsOptions opts;
    opts.base_url = server.url() + "/v3";
    opts.api_key = kSecretKey;
    opts.timeout = std::chrono::milliseconds(300);
    client = std::make_unique<ElectricityMapsClient>(opts, *fetcher);
    provider = std::make_unique<ElectricityMapsProvider>(*client, clock);
  }
  std::unique_ptr<HttpTransport> http;
  std::unique_ptr<Database> db;
  std::unique_ptr<AnswerCache> cache;
  std::unique_ptr<CachingFetcher> fetcher;
  std::unique_ptr<ElectricityMapsClient> client;
  std::unique_ptr<ElectricityMapsProvider> provider;
  std::vector<std::chrono::milliseconds> slept;
};

}  // namespace sunwind::testing

#endif  // SUNWIND_TESTS_PROVIDERS_LIVE_TEST_SUPPORT_H_
