// `sunwind intensity` and `sunwind plan` run as a user would, against the
// local server standing in for Electricity Maps: live values with their
// source and staleness, the power breakdown, coordinates, history, the
// fallback when the key is refused, the cache across runs, and secrets kept
// out of every output.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/time.h"
#include "tests/support/cli_runner.h"
#include "tests/providers/live_test_support.h"

namespace sunwind {
namespace {

using namespace sunwind::testing;  // NOLINT
using Json = nlohmann::json;

class IntensityCliTest : public ::testing::Test {
 protected:
  // Runs the binary with the live provider pointed at our server, a key, and
  // a cache in our temp dir; env_extra is prepended as VAR=value words.
  RunResult Run(const std::string& args, const std::string& env_extra = "", bool default_env = true) {
    // env: the -u options first, then the assignments.
    std::string env = "env -u http_proxy -u all_proxy -u ALL_PROXY -u SUNWIND_CONFIG ";
    if (default_env) {
      env += std::string("ELECTRICITYMAPS_API_KEY=") + kSecretKey + " SUNWIND_ELECTRICITYMAPS_URL=" + server_.url() + "/v3 ";
    } else {
      env = "env -u http_proxy -u all_proxy -u ALL_PROXY -u SUNWIND_CONFIG -u ELECTRICITYMAPS_API_KEY -u SUNWIND_ELECTRICITYMAPS_URL ";
    }
    env += "XDG_CACHE_HOME=" + dir_.File("cache") + " " + env_extra;
    RunResult r = Sunwind(args, env);
    EXPECT_EQ(r.out.find(kSecretKey), std::string::npos) << "the key leaked to stdout";
    EXPECT_EQ(r.err.find(kSecretKey), std::string::npos) << "the key leaked to stderr";
    return r;
  }

  void ServeLatest() {
    server_.Serve("/v3/carbon-intensity/latest", TestHttpServer::FileReply(EmFixture(kLatestDeFile)));
    server_.Serve("/v3/power-breakdown/latest", TestHttpServer::FileReply(EmFixture(kBreakdownDeFile)));
  }

  TempDir dir_;
  TestHttpServer server_;
};

// Every object with a "value" must say its source and whether it is stale.
void ExpectEveryValueLabelled(const Json& j, const std::string& where = "$") {
  if (j.is_object()) {
    if (j.contains("value")) {
      EXPECT_TRUE(j.contains("source") && j["source"].is_string()) << where;
      EXPECT_TRUE(j.contains("stale") && j["stale"].is_boolean()) << where;
    }
    for (auto it = j.begin(); it != j.end(); ++it) ExpectEveryValueLabelled(it.value(), where + "." + it.key());
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) ExpectEveryValueLabelled(j[i], where + "[" + std::to_string(i) + "]");
  }
}

TEST_F(IntensityCliTest, LatestByZoneWithPowerBreakdownAsJson) {
  // Given the live provider answering, we should print its value, time,
  // source and freshness, and the breakdown with each fuel's share.
  ServeLatest();
  auto r = Run("intensity --zone DE --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["zone"], "DE");
  EXPECT_EQ(j["intensity"]["value"], 428);
  EXPECT_EQ(j["intensity"]["time"], "2024-03-01T23:00:00Z");
  EXPECT_EQ(j["intensity"]["unit"], "gCO2eq/kWh");
  EXPECT_EQ(j["intensity"]["source"], "electricitymaps");
  // The recorded reading is from 2024: stale by age, and it says so.
  EXPECT_EQ(j["intensity"]["stale"], true);
  EXPECT_NE(j["intensity"]["stale_reason"].get<std::string>().find(" old"), std::string::npos);
  EXPECT_EQ(j["intensity"]["estimated"], true);
  EXPECT_EQ(j["intensity"]["kind"], "measured");
  EXPECT_EQ(j["intensity"]["signal"], "average");
  const Json& b = j["power_breakdown"];
  EXPECT_EQ(b["renewable_pct"]["value"], 33);
  EXPECT_EQ(b["fossil_free_pct"]["value"], 34);
  EXPECT_EQ(b["consumption"][3]["fuel"], "coal");
  EXPECT_EQ(b["consumption"][3]["consumption_mw"], 23893);
  EXPECT_NEAR(b["consumption"][3]["share_pct"].get<double>(), 45.1655, 1e-3);
  EXPECT_EQ(b["consumption"][10]["fuel"], "hydro discharge");
  ExpectEveryValueLabelled(j);
  auto req = server_.requests().at(0);
  EXPECT_EQ(req.Query("zone"), "DE");
  EXPECT_EQ(req.Header("auth-token"), kSecretKey);
}

TEST_F(IntensityCliTest, ACurrentReadingIsFresh) {
  TimePoint h = FloorTo(SystemClock().Now(), std::chrono::hours(1));
  server_.Serve("/v3/carbon-intensity/latest",
                {200, R"({"zone":"DE","carbonIntensity":300,"datetime":")" + FormatTime(h) + R"(","emissionFactorType":"lifecycle","isEstimated":false})"});
  server_.Serve("/v3/power-breakdown/latest", {500, "{}"});
  auto r = Run("intensity --zone DE --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["intensity"]["value"], 300);
  EXPECT_EQ(j["intensity"]["stale"], false);
  EXPECT_TRUE(j["intensity"]["stale_reason"].is_null());
  // The breakdown failed: said on stderr and in warnings, the intensity still shown.
  EXPECT_TRUE(j["power_breakdown"].is_null());
  EXPECT_NE(r.err.find("warning: electricitymaps power breakdown"), std::string::npos) << r.err;
}

TEST_F(IntensityCliTest, LatestAsTextShowsSourceAndBreakdown) {
  ServeLatest();
  auto r = Run("intensity --zone DE");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("DE at 2024-03-01T23:00:00Z: 428 gCO2eq/kWh (lifecycle, average)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Source:    electricitymaps, estimated (TIME_SLICER_AVERAGE), stale (the reading is "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("renewable 33 %, fossil-free 34 %"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("45.2"), std::string::npos) << r.out;  // coal's share
}

TEST_F(IntensityCliTest, ByCoordinatesTheProviderResolvesTheZone) {
  ServeLatest();
  auto r = Run("intensity --lat 48.85 --lon 2.35 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["zone"], "DE");  // what the answer said
  auto req = server_.requests().at(0);
  EXPECT_EQ(req.Query("lat"), "48.8500");
  EXPECT_EQ(req.Query("lon"), "2.3500");
}

TEST_F(IntensityCliTest, ByRegionAsksForItsZone) {
  ServeLatest();
  auto r = Run("intensity --region gcp:europe-west1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Json::parse(r.out)["region"], "gcp:europe-west1");
  EXPECT_EQ(server_.requests().at(0).Query("zone"), "BE");
}

TEST_F(IntensityCliTest, HistoryOverARange) {
  // Given a range in 2024 (long past), we should ask /past-range and print
  // each hour, measured, from electricitymaps.
  std::string body = ReadFileText(EmFixture(kHistoryDeFile));
  body.replace(body.find("\"history\""), 9, "\"data\"");
  server_.Serve("/v3/carbon-intensity/past-range", {200, body});
  auto r = Run("intensity --zone DE --from 2024-03-06T10:00Z --to 2024-03-06T14:00Z --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  ASSERT_EQ(j["points"].size(), 4u);
  std::vector<double> values;
  for (const auto& p : j["points"]) {
    values.push_back(p["value"]);
    EXPECT_EQ(p["source"], "electricitymaps");
    EXPECT_EQ(p["kind"], "measured");
    EXPECT_EQ(p["stale"], false);
  }
  EXPECT_EQ(values, (std::vector<double>{511, 492, 503, 526}));
  ExpectEveryValueLabelled(j);
  auto req = server_.requests().at(0);
  EXPECT_EQ(req.path, "/v3/carbon-intensity/past-range");
  EXPECT_EQ(req.Query("start"), "2024-03-06T10:00:00Z");
}

TEST_F(IntensityCliTest, RefusedKeyFallsBackVisiblyWithoutPrintingTheKey) {
  // Given 401 from Electricity Maps, we should still answer from the bundled
  // trace, say so, and tell the user which key to check.
  server_.Serve("/v3/carbon-intensity/latest", {401, R"({"error":"Invalid auth-token"})"});
  server_.Serve("/v3/carbon-intensity/history", {401, R"({"error":"Invalid auth-token"})"});
  server_.Serve("/v3/carbon-intensity/past-range", {401, R"({"error":"Invalid auth-token"})"});
  server_.Serve("/v3/carbon-intensity/forecast", {401, R"({"error":"Invalid auth-token"})"});
  auto r = Run("intensity --zone DE --at 2024-03-01T12:00Z --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: electricitymaps: Electricity Maps /carbon-intensity/latest for zone=DE: HTTP 401"),
            std::string::npos) << r.err;
  EXPECT_NE(r.err.find("check ELECTRICITYMAPS_API_KEY"), std::string::npos) << r.err;
  Json j = Json::parse(r.out);
  EXPECT_NE(j["intensity"]["source"], "electricitymaps");
  EXPECT_EQ(j["intensity"]["kind"], "replayed");
  EXPECT_EQ(j["intensity"]["stale"], false);
  EXPECT_EQ(j["warnings"].size(), 1u);
  ExpectEveryValueLabelled(j);
}

TEST_F(IntensityCliTest, OfflineDefaultIsUnchangedWhenNothingIsConfigured) {
  // Given no key, no URL and no providers section, we should not touch the
  // network and answer from the bundled trace.
  auto r = Run("intensity --zone DE --at 2024-03-01T12:00Z --json", "", /*default_env=*/false);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(server_.requests().empty());
  EXPECT_EQ(r.err, "");
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["intensity"]["kind"], "replayed");
  EXPECT_EQ(j["intensity"]["note"].get<std::string>().find("fallback"), std::string::npos);
}

TEST_F(IntensityCliTest, ConfigWithEnvInterpolationAndACacheReusedByTheNextRun) {
  // Given a config naming the URL, the key as ${MY_EM_KEY} and a cache file,
  // a second run within the TTL should answer from the cache even though the
  // API now fails.
  std::string config = dir_.File("sunwind.yaml");
  std::ofstream(config) << "providers:\n"
                           "  chain: [electricitymaps, trace, static]\n"
                           "  cache: " << dir_.File("c/cache.sqlite") << "\n"
                           "  electricitymaps:\n"
                           "    url: " << server_.url() << "/v3\n"
                           "    api_key: ${MY_EM_KEY}\n"
                           "    timeout: 2s\n"
                           "    latest_ttl: 10m\n";
  ServeLatest();
  std::string env = std::string("MY_EM_KEY=") + kSecretKey;
  auto first = Run("intensity --zone DE --json --config " + config, env, /*default_env=*/false);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(server_.requests().at(0).Header("auth-token"), kSecretKey);
  size_t sent = server_.requests().size();
  server_.Serve("/v3/carbon-intensity/latest", {500, "{}"});
  server_.Serve("/v3/power-breakdown/latest", {500, "{}"});
  auto second = Run("intensity --zone DE --json --config " + config, env, /*default_env=*/false);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(server_.requests().size(), sent);
  Json j = Json::parse(second.out);
  EXPECT_EQ(j["intensity"]["value"], 428);
  EXPECT_EQ(j["intensity"]["source"], "electricitymaps");
  // Stale only by the recorded reading's age (2024), not by the cache.
  EXPECT_EQ(j["intensity"]["stale_reason"].get<std::string>().find("HTTP"), std::string::npos);
  // The cache on disk holds answers, never the key.
  std::string db = ReadFileText(dir_.File("c/cache.sqlite")) + ReadFileText(dir_.File("c/cache.sqlite-wal"));
  EXPECT_NE(db.find("carbonIntensity"), std::string::npos);
  EXPECT_EQ(db.find(kSecretKey), std::string::npos);
}

TEST_F(IntensityCliTest, UnsetKeyVariableSaysWhichOne) {
  std::string config = dir_.File("sunwind.yaml");
  std::ofstream(config) << "providers:\n  cache: off\n  electricitymaps:\n    url: " << server_.url()
                        << "/v3\n    api_key: ${MY_UNSET_KEY}\n";
  auto r = Run("intensity --zone DE --at 2024-03-01T12:00Z --config " + config, "", /*default_env=*/false);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("no API key; set providers.electricitymaps.api_key in " + config + " (${MY_UNSET_KEY}) (MY_UNSET_KEY is not set)"),
            std::string::npos) << r.err;
  EXPECT_TRUE(server_.requests().empty());
}

// A forecast body from the next hour on, hourly, so the real clock's "now"
// is covered; the values fall by 10 each hour from 400.
std::string ForecastFromNow(int hours) {
  TimePoint h = FloorTo(SystemClock().Now(), std::chrono::hours(1));
  std::string body = R"({"zone":"DE","forecast":[)";
  for (int i = 0; i <= hours; ++i) {
    if (i) body += ",";
    body += R"({"carbonIntensity":)" + std::to_string(400 - 10 * i) + R"(,"datetime":")" +
            FormatTime(h + std::chrono::hours(i)) + "\"}";
  }
  return body + R"(],"updatedAt":")" + FormatTime(h) + "\"}";
}

TEST_F(IntensityCliTest, PlanUsesTheLiveForecastAndFallsBackVisibly) {
  // Given a live forecast that falls hour by hour, plan should pick the last
  // window and name electricitymaps as the source; when the API fails, it
  // should plan on the trace and say why.
  server_.Serve("/v3/carbon-intensity/history", {200, R"({"zone":"DE","history":[]})"});
  server_.Serve("/v3/carbon-intensity/forecast", {200, ForecastFromNow(30)});
  auto r = Run("plan --regions gcp:europe-west3 --duration 2h --deadline +12h --json");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  Json j = Json::parse(r.out);
  std::string dump = j.dump();
  EXPECT_NE(dump.find("electricitymaps, Electricity Maps forecast"), std::string::npos) << dump.substr(0, 2000);
  EXPECT_GE(server_.RequestCount("/v3/carbon-intensity/forecast"), 1u);

  server_.Serve("/v3/carbon-intensity/forecast", {503, "{}"});
  server_.Serve("/v3/carbon-intensity/history", {503, "{}"});
  auto down = Run("plan --regions gcp:europe-west3 --duration 2h --deadline +12h --json",
                  "XDG_CACHE_HOME=" + dir_.File("other-cache"));
  ASSERT_EQ(down.exit_code, 0) << down.err << down.out;
  std::string d = Json::parse(down.out).dump();
  EXPECT_NE(d.find("fallback (electricitymaps failed"), std::string::npos) << d.substr(0, 2000);
  EXPECT_NE(d.find("HTTP 503"), std::string::npos);
}

TEST_F(IntensityCliTest, UkGridAndWattTimeFromTheConfig) {
  // Given a chain of ukgrid and watttime from the config, GB should come from
  // the UK API (actuals measured) and watttime:CAISO_NORTH from WattTime,
  // labelled marginal and converted to g/kWh.
  std::string config = dir_.File("sunwind.yaml");
  std::ofstream(config) << "providers:\n"
                           "  chain: [ukgrid, watttime, trace, static]\n"
                           "  cache: off\n"
                           "  ukgrid:\n"
                           "    url: " << server_.url() << "\n"
                           "  watttime:\n"
                           "    url: " << server_.url() << "\n"
                           "    username: user\n"
                           "    password: ${WT_PASSWORD}\n";
  std::string past = ReadFileText(Fixture("uk_carbon_intensity/captured/national_pt24h_2023-03-14T1201Z.json"));
  server_.Serve("/intensity/2023-03-14T10:00Z/2023-03-14T12:00Z", {200, past});
  server_.Serve("/login", {200, R"({"token":"t1"})"});
  server_.Serve("/v3/historical", TestHttpServer::FileReply(Fixture("watttime_v3/aiowatttime/historical_emissions_response.json")));
  std::string env = "WT_PASSWORD=pw-SECRET-1";
  auto uk = Run("intensity --zone GB --from 2023-03-14T10:00Z --to 2023-03-14T12:00Z --json --config " + config, env, false);
  ASSERT_EQ(uk.exit_code, 0) << uk.err;
  Json u = Json::parse(uk.out);
  EXPECT_EQ(u["points"][0]["value"], 96.5);
  EXPECT_EQ(u["points"][0]["kind"], "measured");
  EXPECT_EQ(u["points"][0]["source"], "ukgrid");
  EXPECT_EQ(u["signal"], "average");
  auto wt = Run("intensity --zone watttime:CAISO_NORTH --from 2022-07-15T00:00Z --to 2022-07-15T00:10Z --step 5m --json --config " + config,
                env, false);
  ASSERT_EQ(wt.exit_code, 0) << wt.err;
  EXPECT_EQ(wt.out.find("pw-SECRET-1"), std::string::npos);
  EXPECT_EQ(wt.err.find("pw-SECRET-1"), std::string::npos);
  Json w = Json::parse(wt.out);
  EXPECT_EQ(w["signal"], "marginal");
  EXPECT_NEAR(w["points"][0]["value"].get<double>(), 394.6253619, 1e-6);
  EXPECT_EQ(w["points"][0]["source"], "watttime");
  ExpectEveryValueLabelled(w);
}

TEST_F(IntensityCliTest, BadUsageIsExitTwo) {
  EXPECT_EQ(Run("intensity").exit_code, 2);
  EXPECT_EQ(Run("intensity --zone DE --lat 1 --lon 2").exit_code, 2);
  EXPECT_EQ(Run("intensity --lat 100 --lon 2").exit_code, 2);
  EXPECT_EQ(Run("intensity --zone DE --from 2024-03-06T10:00Z").exit_code, 2);
  EXPECT_EQ(Run("intensity --region nowhere:x").exit_code, 2);
}

}  // namespace
}  // namespace sunwind
