// WattTime v3: parsing checked field by field against recorded answers, the
// lbs/MWh -> g/kWh conversion against a hand-computed value, login with Basic
// auth and bearer tokens renewed before expiry, and the marginal label.
#include "providers/watttime_provider.h"

#include <gtest/gtest.h>

#include "tests/providers/live_test_support.h"

namespace sunwind {
namespace {

using namespace sunwind::testing;  // NOLINT

TimePoint T(const char* s) { return *ParseTime(s); }
std::string Wt(const std::string& name) { return Fixture("watttime_v3/aiowatttime/" + name); }
constexpr const char* kPassword = "pw-SECRET-42";

TEST(WattTimeUnitsTest, ConvertsLbsPerMwhToGramsPerKwh) {
  // By hand: 1 lb = 453.59237 g, 1 MWh = 1000 kWh, so 1000 lbs/MWh = 453.59237 g/kWh
  // and 870 lbs/MWh = 394.6253619 g/kWh.
  EXPECT_DOUBLE_EQ(LbsPerMwhToGramsPerKwh(1000), 453.59237);
  EXPECT_NEAR(LbsPerMwhToGramsPerKwh(870), 394.6253619, 1e-7);
  EXPECT_DOUBLE_EQ(LbsPerMwhToGramsPerKwh(1), 0.45359237);
}

TEST(WattTimeParseTest, HistoricalFieldByField) {
  auto r = ParseWtSignal(ReadFileText(Wt("historical_emissions_response.json")));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->region, "CAISO_NORTH");
  EXPECT_EQ(r->signal_type, "co2_moer");
  EXPECT_EQ(r->units, "lbs_co2_per_mwh");
  EXPECT_EQ(r->period, std::chrono::seconds(300));
  ASSERT_EQ(r->points.size(), 2u);
  EXPECT_EQ(r->points[0].time, T("2022-07-15T00:00:00Z"));
  EXPECT_EQ(r->points[0].value, 870);
  EXPECT_EQ(r->points[1].time, T("2022-07-15T00:05:00Z"));
  EXPECT_EQ(r->points[1].value, 860);
}

TEST(WattTimeParseTest, HistoricalForecastFieldByField) {
  auto r = ParseWtHistoricalForecast(ReadFileText(Wt("forecasted_emissions_response.json")));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->region, "CAISO_NORTH");
  EXPECT_EQ(r->generated_at, T("2022-07-15T00:00:00Z"));
  ASSERT_EQ(r->points.size(), 3u);
  EXPECT_EQ(r->points[2].time, T("2022-07-15T00:10:00Z"));
  EXPECT_EQ(r->points[2].value, 870);
}

TEST(WattTimeParseTest, SignalIndexIsAPercentileNotAnIntensity) {
  auto r = ParseWtSignal(ReadFileText(Wt("realtime_emissions_response.json")));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->region, "PSCO");
  EXPECT_EQ(r->units, "percentile");
  ASSERT_EQ(r->points.size(), 1u);
  EXPECT_EQ(r->points[0].time, T("2024-06-18T18:40:00Z"));
  EXPECT_EQ(r->points[0].value, 96.0);
}

TEST(WattTimeParseTest, RegionFromLoc) {
  auto r = ParseWtRegion(ReadFileText(Wt("grid_region_response.json")));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->region, "PSCO");
  EXPECT_EQ(r->full_name, "Public Service Co of Colorado");
  EXPECT_EQ(r->signal_type, "co2_moer");
  EXPECT_FALSE(ParseWtRegion(ReadFileText(Wt("coordinates_not_found_response.json"))).ok());
}

class WattTimeClientTest : public ::testing::Test {
 protected:
  WattTimeClientTest() : http_(MakeCurlTransport()), fetcher_("watttime", *http_, clock_, nullptr, {}, 0, [](auto) {}) {}
  void SetUp() override {
    server_.ServeHandler("/login", [this](const RecordedRequest& r) {
      if (r.Header("authorization") != "Basic dXNlcjpwdy1TRUNSRVQtNDI=") return TestHttpServer::FileReply(Wt("403_forbidden_response.html"), 403);
      return TestReply(200, "{\"token\":\"tok" + std::to_string(++tokens_) + "\"}");
    });
    WattTimeOptions opts;
    opts.base_url = server_.url();
    opts.username = "user";
    opts.password = kPassword;
    opts.timeout = std::chrono::milliseconds(500);
    client_ = std::make_unique<WattTimeClient>(opts, fetcher_, *http_);
    provider_ = std::make_unique<WattTimeProvider>(*client_, clock_);
  }

  TestHttpServer server_;
  ManualClock clock_{T("2022-07-15T00:10:00Z")};
  std::unique_ptr<HttpTransport> http_;
  CachingFetcher fetcher_;
  std::unique_ptr<WattTimeClient> client_;
  std::unique_ptr<WattTimeProvider> provider_;
  int tokens_ = 0;
};

TEST_F(WattTimeClientTest, LogsInWithBasicAuthAndSendsTheBearerToken) {
  server_.Serve("/v3/signal-index", TestHttpServer::FileReply(Wt("realtime_emissions_response.json")));
  auto r = client_->SignalIndex("PSCO");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->value.units, "percentile");
  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].path, "/login");
  EXPECT_EQ(reqs[1].Header("authorization"), "Bearer tok1");
  EXPECT_EQ(reqs[1].Query("region"), "PSCO");
  EXPECT_EQ(reqs[1].Query("signal_type"), "co2_moer");
}

TEST_F(WattTimeClientTest, TokenIsRenewedBeforeItsThirtyMinutesRunOut) {
  server_.Serve("/v3/signal-index", TestHttpServer::FileReply(Wt("realtime_emissions_response.json")));
  ASSERT_TRUE(client_->SignalIndex("PSCO").ok());
  clock_.Advance(std::chrono::minutes(20));
  ASSERT_TRUE(client_->SignalIndex("PSCO").ok());
  EXPECT_EQ(client_->logins(), 1);
  clock_.Advance(std::chrono::minutes(6));  // 26 min: within 5 min of expiry
  ASSERT_TRUE(client_->SignalIndex("PSCO").ok());
  EXPECT_EQ(client_->logins(), 2);
  EXPECT_EQ(server_.requests().back().Header("authorization"), "Bearer tok2");
}

TEST_F(WattTimeClientTest, RefusedTokenLogsInAgainOnce) {
  TestReply refused(401, "{\"error\":\"token expired\"}");
  server_.ServeSequence("/v3/signal-index", {refused, TestHttpServer::FileReply(Wt("realtime_emissions_response.json"))});
  auto r = client_->SignalIndex("PSCO");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(client_->logins(), 2);
}

TEST_F(WattTimeClientTest, BadCredentialsSayWhatToCheckWithoutThePassword) {
  WattTimeOptions opts;
  opts.base_url = server_.url();
  opts.username = "user";
  opts.password = "wrong-SECRET";
  WattTimeClient bad(opts, fetcher_, *http_);
  auto r = bad.SignalIndex("PSCO");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("WattTime refused the login (HTTP 403): check WATTTIME_USERNAME and WATTTIME_PASSWORD"),
            std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find("SECRET"), std::string::npos);
}

TEST_F(WattTimeClientTest, OutOfPlanRegionIsNotFound) {
  server_.Serve("/v3/forecast", TestHttpServer::FileReply(Wt("invalid_scope_response.json"), 403));
  auto r = client_->Forecast("PJM");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("not in your WattTime plan"), std::string::npos);
}

TEST_F(WattTimeClientTest, RegionFromCoordinates) {
  server_.Serve("/v3/region-from-loc", TestHttpServer::FileReply(Wt("grid_region_response.json")));
  auto r = client_->RegionFromLoc(39.74, -104.99);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->region, "PSCO");
  EXPECT_EQ(server_.requests().back().Query("latitude"), "39.7400");
  server_.Serve("/v3/region-from-loc", TestHttpServer::FileReply(Wt("coordinates_not_found_response.json"), 404));
  auto none = client_->RegionFromLoc(0, 0);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
}

TEST_F(WattTimeClientTest, ProviderSeriesIsMarginalInGramsPerKwh) {
  // Given historical 870 and 860 lbs/MWh at 00:00 and 00:05, the 5-minute
  // series should hold 394.625 and 390.089 g/kWh, measured, marginal.
  server_.Serve("/v3/historical", TestHttpServer::FileReply(Wt("historical_emissions_response.json")));
  auto s = provider_->Intensity({"watttime:CAISO_NORTH", T("2022-07-15T00:00Z"), T("2022-07-15T00:10Z"), std::chrono::minutes(5)});
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->size(), 2u);
  EXPECT_NEAR(s->values[0], 394.6253619, 1e-6);
  EXPECT_NEAR(s->values[1], 390.0894382, 1e-6);
  EXPECT_EQ(s->signal, Signal::kMarginal);
  EXPECT_EQ(s->ProvenanceAt(0).kind, PointKind::kMeasured);
  EXPECT_EQ(s->ProvenanceAt(0).source, "watttime");
  EXPECT_NE(s->ProvenanceAt(0).note.find("marginal"), std::string::npos);
  EXPECT_EQ(server_.requests().back().Query("region"), "CAISO_NORTH");
}

TEST_F(WattTimeClientTest, ProviderForecastAhead) {
  clock_.Set(T("2022-07-14T23:59:00Z"));
  server_.Serve("/v3/forecast", {200, R"({"data":[{"point_time":"2022-07-15T00:00:00+00:00","value":1000},
      {"point_time":"2022-07-15T00:05:00+00:00","value":500}],"meta":{"data_point_period_seconds":300,
      "region":"CAISO_NORTH","signal_type":"co2_moer","units":"lbs_co2_per_mwh","generated_at":"2022-07-14T23:55:00+00:00"}})"});
  auto s = provider_->Intensity({"watttime:CAISO_NORTH", T("2022-07-15T00:00Z"), T("2022-07-15T00:10Z"), std::chrono::minutes(5)});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_DOUBLE_EQ(s->values[0], 453.59237);
  EXPECT_DOUBLE_EQ(s->values[1], 226.796185);
  EXPECT_EQ(s->ProvenanceAt(0).kind, PointKind::kForecast);
  EXPECT_EQ(s->signal, Signal::kMarginal);
}

TEST_F(WattTimeClientTest, PercentileIsNeverTakenAsAnIntensity) {
  server_.Serve("/v3/historical", TestHttpServer::FileReply(Wt("realtime_emissions_response.json")));
  auto s = provider_->Intensity({"watttime:PSCO", T("2022-07-15T00:00Z"), T("2022-07-15T00:10Z"), std::chrono::minutes(5)});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(s.status().message().find("'percentile'"), std::string::npos);
}

TEST_F(WattTimeClientTest, OtherZonesAreNotFound) {
  auto s = provider_->Intensity({"DE", T("2022-07-15T00:00Z"), T("2022-07-15T00:10Z"), std::chrono::minutes(5)});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(server_.requests().empty());
}

}  // namespace
}  // namespace sunwind
