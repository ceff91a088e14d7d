// Electricity Maps v3: parsing checked field by field against recorded
// answers, requests as the API expects them, error mapping, retry, and the
// provider's series.
#include "providers/electricitymaps_provider.h"

#include <gtest/gtest.h>

#include "tests/providers/live_test_support.h"

namespace sunwind {
namespace {

using namespace sunwind::testing;  // NOLINT

TimePoint T(const char* s) { return *ParseTime(s); }

TEST(ElectricityMapsParseTest, LatestCarbonIntensityFieldByField) {
  // Given the recorded /carbon-intensity/latest answer (US-CAR-DUK), every
  // field should come through.
  auto r = ParseEmIntensity(ReadFileText(EmFixture(kLatestDukFile)));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->zone, "US-CAR-DUK");
  ASSERT_TRUE(r->g_per_kwh.has_value());
  EXPECT_EQ(*r->g_per_kwh, 216);
  EXPECT_EQ(r->time, T("2024-03-06T19:00:00Z"));
  EXPECT_EQ(r->updated_at, T("2024-03-06T18:48:27Z"));  // fractions truncated
  EXPECT_EQ(r->created_at, T("2024-03-03T19:47:16Z"));
  EXPECT_EQ(r->emission_factor, "lifecycle");
  EXPECT_TRUE(r->estimated);
  EXPECT_EQ(r->estimation_method, "TIME_SLICER_AVERAGE");

  auto de = ParseEmIntensity(ReadFileText(EmFixture(kLatestDeFile)));
  ASSERT_TRUE(de.ok());
  EXPECT_EQ(de->zone, "DE");
  EXPECT_EQ(*de->g_per_kwh, 428);
  EXPECT_EQ(de->time, T("2024-03-01T23:00:00Z"));
  EXPECT_EQ(de->updated_at, T("2024-03-01T22:48:49Z"));
}

TEST(ElectricityMapsParseTest, HistoryFieldByField) {
  auto r = ParseEmHistory(ReadFileText(EmFixture(kHistoryDeFile)));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 24u);
  const EmIntensity& first = r->front();
  EXPECT_EQ(first.zone, "DE");
  EXPECT_EQ(*first.g_per_kwh, 599);
  EXPECT_EQ(first.time, T("2024-03-05T20:00:00Z"));
  EXPECT_EQ(first.updated_at, T("2024-03-06T15:48:54Z"));
  EXPECT_EQ(first.created_at, T("2024-03-02T20:47:49Z"));
  EXPECT_FALSE(first.estimated);
  EXPECT_EQ(first.estimation_method, "");  // null in the answer
  const EmIntensity& last = r->back();
  EXPECT_EQ(*last.g_per_kwh, 689);
  EXPECT_EQ(last.time, T("2024-03-06T19:00:00Z"));
  EXPECT_TRUE(last.estimated);
  EXPECT_EQ(last.estimation_method, "TIME_SLICER_AVERAGE");
  // Hourly and in order.
  for (size_t i = 1; i < r->size(); ++i) EXPECT_EQ((*r)[i].time - (*r)[i - 1].time, std::chrono::hours(1));
}

TEST(ElectricityMapsParseTest, NullIntensityIsNoValueNotZero) {
  auto r = ParseEmHistory(R"({"zone":"DE","history":[{"carbonIntensity":null,"datetime":"2024-03-05T20:00:00.000Z"}]})");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE((*r)[0].g_per_kwh.has_value());
}

TEST(ElectricityMapsParseTest, ForecastFieldByField) {
  auto r = ParseEmForecast(ReadFileText(EmFixture(kForecastDeFile)));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->zone, "DE");
  EXPECT_EQ(r->updated_at, T("2023-05-02T19:52:09Z"));
  ASSERT_EQ(r->points.size(), 48u);
  EXPECT_EQ(*r->points[0].g_per_kwh, 557);
  EXPECT_EQ(r->points[0].time, T("2023-05-02T20:00:00Z"));
  EXPECT_EQ(r->points[0].zone, "DE");  // items carry no zone; the answer's
  EXPECT_EQ(*r->points[47].g_per_kwh, 590);
  EXPECT_EQ(r->points[47].time, T("2023-05-04T19:00:00Z"));
}

TEST(ElectricityMapsParseTest, PowerBreakdownFieldByField) {
  auto r = ParseEmPowerBreakdown(ReadFileText(EmFixture(kBreakdownDeFile)));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->zone, "DE");
  EXPECT_EQ(r->time, T("2024-03-06T19:00:00Z"));
  EXPECT_EQ(r->updated_at, T("2024-03-06T18:48:27Z"));
  EXPECT_EQ(r->created_at, T("2024-03-03T19:46:59Z"));
  // Consumption in the API's order, "hydro discharge" with its space.
  std::vector<EmPowerEntry> consumption = {
      {"nuclear", 440}, {"geothermal", 21}, {"biomass", 5896}, {"coal", 23893},
      {"wind", 6998}, {"solar", 0}, {"hydro", 2870}, {"gas", 10334},
      {"oil", 339}, {"unknown", 403}, {"hydro discharge", 1706}, {"battery discharge", 0}};
  EXPECT_EQ(r->consumption_mw, consumption);
  ASSERT_EQ(r->production_mw.size(), 12u);
  EXPECT_EQ(r->production_mw[0], EmPowerEntry("nuclear", std::nullopt));  // null, not 0
  EXPECT_EQ(r->production_mw[3], EmPowerEntry("coal", 23339));
  EXPECT_EQ(r->production_mw[11], EmPowerEntry("battery discharge", std::nullopt));
  ASSERT_EQ(r->import_mw.size(), 8u);
  EXPECT_EQ(r->import_mw[5], EmPowerEntry("DK-DK1", 1473));
  EXPECT_EQ(r->export_mw[3], EmPowerEntry("LU", 752));
  EXPECT_EQ(r->fossil_free_pct, 34);
  EXPECT_EQ(r->renewable_pct, 33);
  EXPECT_EQ(r->consumption_total_mw, 52901);
  EXPECT_EQ(r->production_total_mw, 48570);
  EXPECT_EQ(r->import_total_mw, 5798);
  EXPECT_EQ(r->export_total_mw, 1467);
  EXPECT_TRUE(r->estimated);
  EXPECT_EQ(r->estimation_method, "TIME_SLICER_AVERAGE");
  // Shares of consumption, by hand: coal 23893 / 52901 = 45.165 %.
  auto share = r->ConsumptionSharePct();
  ASSERT_EQ(share.size(), 12u);
  EXPECT_EQ(share[3].first, "coal");
  EXPECT_NEAR(*share[3].second, 45.1655, 1e-3);
  EXPECT_NEAR(*share[0].second, 0.8317, 1e-3);
  EXPECT_NEAR(*share[4].second, 13.2285, 1e-3);
  EXPECT_EQ(*share[5].second, 0.0);
}

TEST(ElectricityMapsParseTest, MalformedAnswersAreUnavailable) {
  std::string whole = ReadFileText(EmFixture(kLatestDeFile));
  for (const std::string& body : {whole.substr(0, whole.size() / 2), std::string("not json"), std::string(""),
                                  std::string("[]"), std::string(R"({"zone":"DE"})"),
                                  std::string(R"({"zone":"DE","carbonIntensity":"high","datetime":"2024-03-01T23:00Z"})"),
                                  std::string(R"({"zone":"DE","carbonIntensity":1,"datetime":"yesterday"})")}) {
    auto r = ParseEmIntensity(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
    EXPECT_NE(r.status().message().find("Electricity Maps: malformed answer"), std::string::npos) << r.status().message();
  }
  auto no_list = ParseEmForecast(R"({"zone":"DE"})");
  ASSERT_FALSE(no_list.ok());
  EXPECT_NE(no_list.status().message().find("'forecast'"), std::string::npos);
}

class ElectricityMapsClientTest : public ::testing::Test {
 protected:
  TestHttpServer server_;
  ManualClock clock_{T("2024-03-06T19:30:00Z")};
};

TEST_F(ElectricityMapsClientTest, LatestSendsKeyZoneAndFactor) {
  // Given a zone, we should ask /v3/carbon-intensity/latest with the zone,
  // the emission factor, and the key in the auth-token header.
  server_.Serve("/v3/carbon-intensity/latest", TestHttpServer::FileReply(EmFixture(kLatestDeFile)));
  EmRig rig(server_, clock_);
  auto r = rig.client->Latest(EmLocation::Zone("DE"), EmissionFactor::kDirect);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r->value.g_per_kwh, 428);
  EXPECT_FALSE(r->stale);
  auto req = server_.requests().at(0);
  EXPECT_EQ(req.Query("zone"), "DE");
  EXPECT_EQ(req.Query("emissionFactorType"), "direct");
  EXPECT_EQ(req.Header("auth-token"), kSecretKey);
  EXPECT_EQ(req.Header("user-agent"), "sunwind/0.1.0");
}

TEST_F(ElectricityMapsClientTest, ByCoordinates) {
  server_.Serve("/v3/carbon-intensity/latest", TestHttpServer::FileReply(EmFixture(kLatestDeFile)));
  server_.Serve("/v3/power-breakdown/latest", TestHttpServer::FileReply(EmFixture(kBreakdownDeFile)));
  EmRig rig(server_, clock_);
  ASSERT_TRUE(rig.client->Latest(EmLocation::At(48.85, 2.35), EmissionFactor::kLifecycle).ok());
  auto b = rig.client->PowerBreakdownLatest(EmLocation::At(48.85, 2.35));
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->value.renewable_pct, 33);
  auto req = server_.requests().at(0);
  EXPECT_EQ(req.Query("lat"), "48.8500");
  EXPECT_EQ(req.Query("lon"), "2.3500");
  EXPECT_EQ(req.Query("zone"), "");
}

TEST_F(ElectricityMapsClientTest, PastRangeIsAskedInPiecesOfTenDays) {
  // Given 25 days, we should ask three times (10 + 10 + 5 days).
  server_.Serve("/v3/carbon-intensity/past-range", {200, R"({"zone":"DE","data":[]})"});
  EmRig rig(server_, clock_);
  auto r = rig.client->PastRange(EmLocation::Zone("DE"), T("2024-01-01T00:00Z"), T("2024-01-26T00:00Z"),
                                 EmissionFactor::kLifecycle);
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].Query("start"), "2024-01-01T00:00:00Z");
  EXPECT_EQ(reqs[0].Query("end"), "2024-01-11T00:00:00Z");
  EXPECT_EQ(reqs[2].Query("end"), "2024-01-26T00:00:00Z");
}

TEST_F(ElectricityMapsClientTest, RefusedKeyIsUnauthenticatedNamingProviderAndWhatToCheck) {
  // Given 401 {"error":"Invalid auth-token"}, we should say which provider
  // refused and where the key came from, and never print the key.
  server_.Serve("/v3/carbon-intensity/latest", {401, R"({"error":"Invalid auth-token"})"});
  EmRig rig(server_, clock_);
  auto r = rig.client->Latest(EmLocation::Zone("DE"), EmissionFactor::kLifecycle);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("Electricity Maps"), std::string::npos) << m;
  EXPECT_NE(m.find("HTTP 401 (Invalid auth-token)"), std::string::npos) << m;
  EXPECT_NE(m.find("check ELECTRICITYMAPS_API_KEY"), std::string::npos) << m;
  EXPECT_EQ(m.find(kSecretKey), std::string::npos) << m;
  EXPECT_EQ(server_.RequestCount("/v3/carbon-intensity/latest"), 1u);  // no retry on 401
}

TEST_F(ElectricityMapsClientTest, KeyEchoedByTheServerIsRedacted) {
  server_.Serve("/v3/carbon-intensity/latest", {403, std::string(R"({"error":"bad token )") + kSecretKey + "\"}"});
  EmRig rig(server_, clock_);
  auto r = rig.client->Latest(EmLocation::Zone("DE"), EmissionFactor::kLifecycle);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(r.status().message().find(kSecretKey), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("<key>"), std::string::npos);
}

TEST_F(ElectricityMapsClientTest, RateLimitedRetriesAfterRetryAfter) {
  // Given 429 with Retry-After: 2 and then the answer, we should wait 2 s
  // (as told) and succeed on the second request.
  TestReply limited{429, R"({"error":"rate limited"})"};
  limited.headers = {{"Retry-After", "2"}};
  server_.ServeSequence("/v3/carbon-intensity/latest", {limited, TestHttpServer::FileReply(EmFixture(kLatestDeFile))});
  EmRig rig(server_, clock_);
  auto r = rig.client->Latest(EmLocation::Zone("DE"), EmissionFactor::kLifecycle);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(server_.RequestCount("/v3/carbon-intensity/latest"), 2u);
  ASSERT_EQ(rig.slept.size(), 1u);
  EXPECT_EQ(rig.slept[0], std::chrono::seconds(2));
}

TEST_F(ElectricityMapsClientTest, RetryAfterPastTheBoundIsNotWaitedFor) {
  TestReply limited{429, "{}"};
  limited.headers = {{"Retry-After", "3600"}};
  server_.Serve("/v3/carbon-intensity/latest", limited);
  EmRig rig(server_, clock_);
  auto r = rig.client->Latest(EmLocation::Zone("DE"), EmissionFactor::kLifecycle);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kRateLimited);
  EXPECT_NE(r.status().message().find("asked to wait 3600 s"), std::string::npos) << r.status().message();
  EXPECT_TRUE(rig.slept.empty());
  EXPECT_EQ(server_.RequestCount("/v3/carbon-intensity/latest"), 1u);
}

TEST_F(ElectricityMapsClientTest, PersistentRateLimitGivesUpAfterBoundedRetriesWithBackoff) {
  server_.Serve("/v3/carbon-intensity/latest", {429, "{}"});
  RetryPolicy retry;
  retry.max_retries = 2;
  retry.backoff = std::chrono::milliseconds(100);
  EmRig rig(server_, clock_, "", retry);
  auto r = rig.client->Latest(EmLocation::Zone("DE"), EmissionFactor::kLifecycle);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kRateLimited);
  EXPECT_EQ(server_.RequestCount("/v3/carbon-intensity/latest"), 3u);
  EXPECT_EQ(rig.slept, (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(100), std::chrono::milliseconds(200)}));
}

TEST_F(ElectricityMapsClientTest, ServerErrorsAreRetriedThenUnavailable) {
  server_.ServeSequence("/v3/carbon-intensity/latest", {{500, "{}"}, {503, "{}"}, TestHttpServer::FileReply(EmFixture(kLatestDeFile))});
  EmRig rig(server_, clock_);
  ASSERT_TRUE(rig.client->Latest(EmLocation::Zone("DE"), EmissionFactor::kLifecycle).ok());
  server_.Serve("/v3/carbon-intensity/history", {500, "{}"});
  auto r = rig.client->History(EmLocation::Zone("DE"), EmissionFactor::kLifecycle);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("HTTP 500"), std::string::npos);
}

TEST_F(ElectricityMapsClientTest, ZoneNotCoveredIsNotFound) {
  server_.Serve("/v3/carbon-intensity/latest", {400, R"({"error":"Zone 'XX' does not exist."})"});
  EmRig rig(server_, clock_);
  auto r = rig.client->Latest(EmLocation::Zone("XX"), EmissionFactor::kLifecycle);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("zone=XX"), std::string::npos) << r.status().message();
}

TEST_F(ElectricityMapsClientTest, TimeoutTruncationAndInvalidJsonAreUnavailable) {
  TestReply slow = TestHttpServer::FileReply(EmFixture(kLatestDeFile));
  slow.delay = std::chrono::milliseconds(1000);
  TestReply cut = TestHttpServer::FileReply(EmFixture(kLatestDeFile));
  cut.cut_short = true;
  std::string whole = ReadFileText(EmFixture(kLatestDeFile));
  for (const TestReply& fault : {slow, cut, TestReply(200, whole.substr(0, whole.size() / 2)), TestReply(200, "<html>oops</html>")}) {
    TestHttpServer server;
    server.Serve("/v3/carbon-intensity/latest", fault);
    EmRig rig(server, clock_);
    auto r = rig.client->Latest(EmLocation::Zone("DE"), EmissionFactor::kLifecycle);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().message();
  }
}

TEST_F(ElectricityMapsClientTest, MissingKeyIsUnauthenticatedWithoutARequest) {
  auto http = MakeCurlTransport();
  CachingFetcher fetcher("electricitymaps", *http, clock_, nullptr, {}, 0, nullptr);
  ElectricityMapsOptions opts;
  opts.base_url = server_.url() + "/v3";
  ElectricityMapsClient client(opts, fetcher);
  auto r = client.Latest(EmLocation::Zone("DE"), EmissionFactor::kLifecycle);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("no API key; set ELECTRICITYMAPS_API_KEY"), std::string::npos);
  EXPECT_TRUE(server_.requests().empty());
}

// ---- the cache ----

TEST_F(ElectricityMapsClientTest, LatestIsCachedForMinutes) {
  // Given a 5-minute TTL, a second ask within it sends nothing; after it, a
  // new request.
  server_.Serve("/v3/carbon-intensity/latest", TestHttpServer::FileReply(EmFixture(kLatestDeFile)));
  TempDir dir;
  EmRig rig(server_, clock_, dir.File("cache.sqlite"));
  ASSERT_TRUE(rig.client->Latest(EmLocation::Zone("DE"), EmissionFactor::kLifecycle).ok());
  clock_.Advance(std::chrono::minutes(4));
  auto again = rig.client->Latest(EmLocation::Zone("DE"), EmissionFactor::kLifecycle);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->from_cache);
  EXPECT_FALSE(again->stale);
  EXPECT_EQ(server_.RequestCount("/v3/carbon-intensity/latest"), 1u);
  clock_.Advance(std::chrono::minutes(2));
  ASSERT_TRUE(rig.client->Latest(EmLocation::Zone("DE"), EmissionFactor::kLifecycle).ok());
  EXPECT_EQ(server_.RequestCount("/v3/carbon-intensity/latest"), 2u);
  // Another factor is another answer.
  ASSERT_TRUE(rig.client->Latest(EmLocation::Zone("DE"), EmissionFactor::kDirect).ok());
  EXPECT_EQ(server_.RequestCount("/v3/carbon-intensity/latest"), 3u);
}

TEST_F(ElectricityMapsClientTest, ForecastIsCachedUntilTheNextUpdate) {
  // The forecast says updatedAt 19:52:09; with hourly updates it is fresh
  // until 20:52:09.
  clock_.Set(T("2023-05-02T19:55:00Z"));
  server_.Serve("/v3/carbon-intensity/forecast", TestHttpServer::FileReply(EmFixture(kForecastDeFile)));
  TempDir dir;
  EmRig rig(server_, clock_, dir.File("cache.sqlite"));
  ASSERT_TRUE(rig.client->Forecast(EmLocation::Zone("DE"), EmissionFactor::kLifecycle).ok());
  clock_.Set(T("2023-05-02T20:52:00Z"));
  ASSERT_TRUE(rig.client->Forecast(EmLocation::Zone("DE"), EmissionFactor::kLifecycle).ok());
  EXPECT_EQ(server_.RequestCount("/v3/carbon-intensity/forecast"), 1u);
  clock_.Set(T("2023-05-02T20:53:00Z"));
  ASSERT_TRUE(rig.client->Forecast(EmLocation::Zone("DE"), EmissionFactor::kLifecycle).ok());
  EXPECT_EQ(server_.RequestCount("/v3/carbon-intensity/forecast"), 2u);
}

TEST_F(ElectricityMapsClientTest, SettledHistoryIsCachedForever) {
  server_.Serve("/v3/carbon-intensity/past-range", {200, R"({"zone":"DE","data":[{"carbonIntensity":300,"datetime":"2024-01-01T00:00:00.000Z"}]})"});
  TempDir dir;
  EmRig rig(server_, clock_, dir.File("cache.sqlite"));
  auto from = T("2024-01-01T00:00Z"), to = T("2024-01-02T00:00Z");
  ASSERT_TRUE(rig.client->PastRange(EmLocation::Zone("DE"), from, to, EmissionFactor::kLifecycle).ok());
  clock_.Advance(std::chrono::hours(24 * 400));
  auto again = rig.client->PastRange(EmLocation::Zone("DE"), from, to, EmissionFactor::kLifecycle);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again->value.at(0).g_per_kwh, 300);
  EXPECT_EQ(server_.RequestCount("/v3/carbon-intensity/past-range"), 1u);
}

TEST_F(ElectricityMapsClientTest, ARestartReusesTheCacheOnDisk) {
  // Given an answer cached by one process, a new process with the same file
  // should answer from it without any request, even with the API down.
  TempDir dir;
  {
    server_.Serve("/v3/carbon-intensity/latest", TestHttpServer::FileReply(EmFixture(kLatestDeFile)));
    EmRig rig(server_, clock_, dir.File("cache.sqlite"));
    ASSERT_TRUE(rig.client->Latest(EmLocation::Zone("DE"), EmissionFactor::kLifecycle).ok());
  }
  TestHttpServer down;
  down.Serve("/v3/carbon-intensity/latest", {500, "{}"});
  clock_.Advance(std::chrono::minutes(1));
  EmRig rig(down, clock_, dir.File("cache.sqlite"));
  auto r = rig.client->Latest(EmLocation::Zone("DE"), EmissionFactor::kLifecycle);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r->value.g_per_kwh, 428);
  EXPECT_TRUE(r->from_cache);
  EXPECT_FALSE(r->stale);
  EXPECT_TRUE(down.requests().empty());
}

TEST_F(ElectricityMapsClientTest, ExpiredAnswerIsServedStaleWhenTheApiFails) {
  TempDir dir;
  server_.ServeSequence("/v3/carbon-intensity/latest", {TestHttpServer::FileReply(EmFixture(kLatestDeFile)), {503, "{}"}});
  RetryPolicy no_retry;
  no_retry.max_retries = 0;
  EmRig rig(server_, clock_, dir.File("cache.sqlite"), no_retry);
  ASSERT_TRUE(rig.client->Latest(EmLocation::Zone("DE"), EmissionFactor::kLifecycle).ok());
  clock_.Advance(std::chrono::minutes(30));
  auto r = rig.client->Latest(EmLocation::Zone("DE"), EmissionFactor::kLifecycle);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->stale);
  EXPECT_NE(r->stale_reason.find("HTTP 503"), std::string::npos) << r->stale_reason;
  EXPECT_EQ(server_.RequestCount("/v3/carbon-intensity/latest"), 2u);
}

TEST_F(ElectricityMapsClientTest, DailyBudgetStopsRequests) {
  // Given a budget of 2 requests a day, the third distinct request should
  // not be sent, and the error should say which setting to change.
  server_.Serve("/v3/carbon-intensity/latest", TestHttpServer::FileReply(EmFixture(kLatestDeFile)));
  TempDir dir;
  EmRig rig(server_, clock_, dir.File("cache.sqlite"), {}, 2);
  ASSERT_TRUE(rig.client->Latest(EmLocation::Zone("DE"), EmissionFactor::kLifecycle).ok());
  ASSERT_TRUE(rig.client->Latest(EmLocation::Zone("FR"), EmissionFactor::kLifecycle).ok());
  auto r = rig.client->Latest(EmLocation::Zone("NL"), EmissionFactor::kLifecycle);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kRateLimited);
  EXPECT_NE(r.status().message().find("daily request budget of 2"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("providers.electricitymaps.daily_budget"), std::string::npos);
  EXPECT_EQ(server_.RequestCount("/v3/carbon-intensity/latest"), 2u);
  // Cached answers cost nothing.
  EXPECT_TRUE(rig.client->Latest(EmLocation::Zone("DE"), EmissionFactor::kLifecycle).ok());
  // The next UTC day has a new budget.
  clock_.Advance(std::chrono::hours(24));
  EXPECT_TRUE(rig.client->Latest(EmLocation::Zone("NL"), EmissionFactor::kLifecycle).ok());
}

// ---- the provider ----

TEST_F(ElectricityMapsClientTest, ProviderSeriesFromHistoryIsMeasured) {
  // Given now = 2024-03-06 19:30 and the recorded 24 h history, the hours
  // 10:00..13:00 should be the recorded values, measured, from electricitymaps.
  server_.Serve("/v3/carbon-intensity/history", TestHttpServer::FileReply(EmFixture(kHistoryDeFile)));
  EmRig rig(server_, clock_);
  auto s = rig.provider->Intensity({"DE", T("2024-03-06T10:00Z"), T("2024-03-06T14:00Z"), std::chrono::hours(1)});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->values, (std::vector<double>{511, 492, 503, 526}));
  EXPECT_EQ(s->ProvenanceAt(0).kind, PointKind::kMeasured);
  EXPECT_EQ(s->ProvenanceAt(0).source, "electricitymaps");
  EXPECT_EQ(s->ProvenanceAt(0).note, "Electricity Maps history");
  EXPECT_EQ(s->signal, Signal::kAverage);
  EXPECT_EQ(server_.RequestCount("/v3/carbon-intensity/forecast"), 0u);
}

TEST_F(ElectricityMapsClientTest, ProviderSeriesAheadIsTheForecast) {
  clock_.Set(T("2023-05-02T19:55:00Z"));
  server_.Serve("/v3/carbon-intensity/forecast", TestHttpServer::FileReply(EmFixture(kForecastDeFile)));
  EmRig rig(server_, clock_);
  auto s = rig.provider->Intensity({"DE", T("2023-05-02T20:00Z"), T("2023-05-02T23:00Z"), std::chrono::hours(1)});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->values, (std::vector<double>{557, 552, 538}));
  EXPECT_EQ(s->ProvenanceAt(0).kind, PointKind::kForecast);
  EXPECT_EQ(s->ProvenanceAt(2).note, "Electricity Maps forecast updated 2023-05-02T19:52:09Z");
  // Past the forecast's end: a gap, never a zero.
  auto longer = rig.provider->Intensity({"DE", T("2023-05-04T18:00Z"), T("2023-05-04T22:00Z"), std::chrono::hours(1)});
  ASSERT_TRUE(longer.ok());
  EXPECT_EQ(longer->values[1], 590);
  EXPECT_TRUE(longer->IsMissing(2));
  EXPECT_EQ(longer->ProvenanceAt(2).kind, PointKind::kMissing);
}

TEST_F(ElectricityMapsClientTest, EmptyForecastIsUnavailable) {
  clock_.Set(T("2023-05-02T19:55:00Z"));
  server_.Serve("/v3/carbon-intensity/forecast", {200, R"({"zone":"DE","forecast":[],"updatedAt":"2023-05-02T19:52:09.141Z"})"});
  EmRig rig(server_, clock_);
  auto s = rig.provider->Intensity({"DE", T("2023-05-02T20:00Z"), T("2023-05-02T23:00Z"), std::chrono::hours(1)});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(s.status().message().find("no value for zone DE"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace sunwind
