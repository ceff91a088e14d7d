// The fault table of issue 3: for each way a live provider fails, the chain
// electricitymaps -> trace -> static should still answer, every value should
// say which source it came from, and the failure should stay visible.
#include <gtest/gtest.h>

#include "providers/fallback_provider.h"
#include "providers/static_provider.h"
#include "providers/trace_provider.h"
#include "tests/providers/live_test_support.h"

namespace sunwind {
namespace {

using namespace sunwind::testing;  // NOLINT

TimePoint T(const char* s) { return *ParseTime(s); }

struct Fault {
  std::string name;
  TestReply reply;
  std::string expect_in_failure;  // what the failure message must say
  bool stop_server = false;       // connection refused
  bool use_https = false;         // TLS failure
};

std::vector<Fault> FaultTable() {
  std::string forecast = ReadFileText(EmFixture(kForecastDeFile));
  TestReply slow(200, forecast);
  slow.delay = std::chrono::milliseconds(1500);
  TestReply limited(429, R"({"error":"Too many requests"})");
  limited.headers = {{"Retry-After", "600"}};
  TestReply cut(200, forecast);
  cut.cut_short = true;
  return {
      {"timeout", slow, "timed out"},
      {"connection refused", {}, "connection refused", true},
      {"TLS failure", {200, forecast}, "https://127.0.0.1", false, true},
      {"401 bad key", {401, R"({"error":"Invalid auth-token"})"}, "check ELECTRICITYMAPS_API_KEY"},
      {"403 plan", {403, R"({"error":"Request unauthorized for zoneKey=DE"})"}, "HTTP 403"},
      {"429 with Retry-After", limited, "HTTP 429"},
      {"500", {500, R"({"error":"Internal Server Error"})"}, "HTTP 500"},
      {"body cut short", cut, "cut short"},
      {"truncated JSON", {200, forecast.substr(0, forecast.size() / 2)}, "malformed answer"},
      {"invalid JSON", {200, "<html>gateway error</html>"}, "malformed answer"},
      {"zone not covered", {400, R"({"error":"Zone 'DE' does not exist."})"}, "not covered"},
      {"empty forecast", {200, R"({"zone":"DE","forecast":[],"updatedAt":"2023-05-02T19:52:09.141Z"})"}, "no value"},
  };
}

class LiveFallbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto traces = TraceProvider::FromManifest(std::string(SUNWIND_TEST_DATA_DIR) + "/traces/manifest.yaml");
    ASSERT_TRUE(traces.ok()) << traces.status().message();
    traces_ = std::move(traces).value();
    auto averages = StaticProvider::FromEmberCsv(std::string(SUNWIND_TEST_DATA_DIR) + "/intensity/co2-intensities-ember-2021.csv");
    ASSERT_TRUE(averages.ok()) << averages.status().message();
    averages_ = std::make_unique<StaticProvider>(std::move(averages).value());
  }
  IntensityQuery Query() const { return {"DE", T("2023-05-02T20:00Z"), T("2023-05-02T23:00Z"), std::chrono::hours(1)}; }

  ManualClock clock_{T("2023-05-02T19:55:00Z")};
  std::unique_ptr<TraceProvider> traces_;
  std::unique_ptr<StaticProvider> averages_;
};

TEST_F(LiveFallbackTest, HealthyLiveProviderAnswersWithItsOwnLabel) {
  TestHttpServer server;
  server.Serve("/v3/carbon-intensity/forecast", TestHttpServer::FileReply(EmFixture(kForecastDeFile)));
  EmRig rig(server, clock_);
  FallbackProvider chain({rig.provider.get(), traces_.get(), averages_.get()});
  auto s = chain.Intensity(Query());
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->values, (std::vector<double>{557, 552, 538}));
  for (size_t i = 0; i < s->size(); ++i) {
    EXPECT_EQ(s->ProvenanceAt(i).source, "electricitymaps");
    EXPECT_EQ(s->ProvenanceAt(i).kind, PointKind::kForecast);
    EXPECT_FALSE(IsStaleNote(s->ProvenanceAt(i).note));
  }
  EXPECT_TRUE(chain.failures().empty());
}

TEST_F(LiveFallbackTest, EveryFaultFallsBackToTheTraceAndSaysSo) {
  for (const Fault& fault : FaultTable()) {
    SCOPED_TRACE(fault.name);
    auto server = std::make_unique<TestHttpServer>();
    server->Serve("/v3/carbon-intensity/forecast", fault.reply);
    RetryPolicy retry;
    retry.max_retries = 1;
    retry.max_wait = std::chrono::seconds(30);
    EmRig rig(*server, clock_, "", retry);
    if (fault.stop_server) server->Stop();
    if (fault.use_https) {
      ElectricityMapsOptions opts = rig.client->options();
      opts.base_url = "https://127.0.0.1:" + std::to_string(server->port()) + "/v3";
      rig.client = std::make_unique<ElectricityMapsClient>(opts, *rig.fetcher);
      rig.provider = std::make_unique<ElectricityMapsProvider>(*rig.client, clock_);
    }
    FallbackProvider chain({rig.provider.get(), traces_.get(), averages_.get()});
    auto s = chain.Intensity(Query());
    ASSERT_TRUE(s.ok()) << s.status().message();
    ASSERT_EQ(s->size(), 3u);
    for (size_t i = 0; i < s->size(); ++i) {
      const Provenance& p = s->ProvenanceAt(i);
      EXPECT_FALSE(s->IsMissing(i));
      EXPECT_NE(p.source, "electricitymaps");
      EXPECT_EQ(p.kind, PointKind::kReplayed);  // DE 2022 replayed onto 2023
      EXPECT_EQ(p.note.rfind("fallback (electricitymaps failed: ", 0), 0u) << p.note;
      EXPECT_NE(p.note.find(fault.expect_in_failure), std::string::npos) << p.note;
      EXPECT_EQ(p.note.find(kSecretKey), std::string::npos) << p.note;
      EXPECT_FALSE(IsStaleNote(p.note));
    }
    ASSERT_EQ(chain.failures().size(), 1u);
    EXPECT_NE(chain.failures()[0].find(fault.expect_in_failure), std::string::npos) << chain.failures()[0];
  }
}

TEST_F(LiveFallbackTest, ZoneWithoutTraceFallsThroughToTheYearlyAverage) {
  // Given the live provider down and a zone with no bundled trace (PT), we
  // should get the yearly average, estimated, and the reason.
  TestHttpServer server;
  server.Serve("/v3/carbon-intensity/forecast", {500, "{}"});
  RetryPolicy no_retry;
  no_retry.max_retries = 0;
  EmRig rig(server, clock_, "", no_retry);
  FallbackProvider chain({rig.provider.get(), traces_.get(), averages_.get()});
  IntensityQuery q = Query();
  q.zone = "PT";
  auto s = chain.Intensity(q);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->ProvenanceAt(0).kind, PointKind::kEstimated);
  EXPECT_NE(s->ProvenanceAt(0).note.find("electricitymaps failed"), std::string::npos);
  EXPECT_NE(s->ProvenanceAt(0).note.find("trace failed"), std::string::npos) << s->ProvenanceAt(0).note;
  EXPECT_EQ(chain.failures().size(), 2u);
}

TEST_F(LiveFallbackTest, GapsPastTheForecastAreFilledFromTheTraceWithTheirOwnLabel) {
  // Given a forecast that ends 2023-05-04 19:00, a range running 2 h past it
  // should take those 2 h from the trace, labelled as such.
  TestHttpServer server;
  server.Serve("/v3/carbon-intensity/forecast", TestHttpServer::FileReply(EmFixture(kForecastDeFile)));
  EmRig rig(server, clock_);
  FallbackProvider chain({rig.provider.get(), traces_.get(), averages_.get()});
  auto s = chain.Intensity({"DE", T("2023-05-04T18:00Z"), T("2023-05-04T22:00Z"), std::chrono::hours(1)});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->ProvenanceAt(0).source, "electricitymaps");
  EXPECT_EQ(s->values[1], 590);
  EXPECT_FALSE(s->IsMissing(2));
  EXPECT_NE(s->ProvenanceAt(2).source, "electricitymaps");
  EXPECT_EQ(s->ProvenanceAt(2).kind, PointKind::kReplayed);
  EXPECT_EQ(s->ProvenanceAt(2).note.rfind("gap in electricitymaps filled", 0), 0u) << s->ProvenanceAt(2).note;
}

TEST_F(LiveFallbackTest, StaleCacheBeatsFallbackAndIsLabelledStale) {
  // Given a forecast cached an hour and a half ago and the API now failing,
  // the cached values should be used and marked stale.
  TempDir dir;
  TestHttpServer server;
  server.ServeSequence("/v3/carbon-intensity/forecast", {TestHttpServer::FileReply(EmFixture(kForecastDeFile)), {500, "{}"}});
  RetryPolicy no_retry;
  no_retry.max_retries = 0;
  EmRig rig(server, clock_, dir.File("cache.sqlite"), no_retry);
  FallbackProvider chain({rig.provider.get(), traces_.get(), averages_.get()});
  ASSERT_TRUE(chain.Intensity(Query()).ok());
  clock_.Set(T("2023-05-02T21:30:00Z"));
  auto s = chain.Intensity({"DE", T("2023-05-02T22:00Z"), T("2023-05-03T00:00Z"), std::chrono::hours(1)});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->values, (std::vector<double>{538, 527}));
  EXPECT_EQ(s->ProvenanceAt(0).source, "electricitymaps");
  EXPECT_TRUE(IsStaleNote(s->ProvenanceAt(0).note)) << s->ProvenanceAt(0).note;
  EXPECT_NE(s->ProvenanceAt(0).note.find("HTTP 500"), std::string::npos);
  EXPECT_EQ(server.RequestCount("/v3/carbon-intensity/forecast"), 2u);
}

TEST_F(LiveFallbackTest, InvalidArgumentStopsTheChain) {
  FallbackProvider chain({traces_.get(), averages_.get()});
  IntensityQuery q = Query();
  q.to = q.from;
  TestHttpServer server;
  EmRig rig(server, clock_);
  FallbackProvider live({rig.provider.get(), averages_.get()});
  auto s = live.Intensity(q);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sunwind
