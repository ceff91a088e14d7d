// UK Carbon Intensity API: parsing checked field by field against recorded
// answers (national fw48h and pt24h, London regional), the requests, errors,
// and the provider's series (actuals measured, forecasts forecast).
#include "providers/ukgrid_provider.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/providers/live_test_support.h"

namespace sunwind {
namespace {

using namespace sunwind::testing;  // NOLINT

TimePoint T(const char* s) { return *ParseTime(s); }
std::string Uk(const std::string& name) { return Fixture("uk_carbon_intensity/" + name); }
constexpr const char* kFw48h = "captured/national_fw48h_2023-03-14T1201Z.json";
constexpr const char* kPt24h = "captured/national_pt24h_2023-03-14T1201Z.json";

TEST(UkGridParseTest, NationalForecast48hFieldByField) {
  auto r = ParseUkNational(ReadFileText(Uk(kFw48h)));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 96u);
  const UkSlot& first = r->front();
  EXPECT_EQ(first.from, T("2023-03-14T12:00Z"));
  EXPECT_EQ(first.to, T("2023-03-14T12:30Z"));
  EXPECT_EQ(first.forecast, 93);
  EXPECT_FALSE(first.actual.has_value());  // null: the future
  EXPECT_EQ(first.index, "low");
  EXPECT_EQ(r->back().from, T("2023-03-16T11:30Z"));
  EXPECT_EQ(r->back().forecast, 60);
}

TEST(UkGridParseTest, NationalPast24hHasActuals) {
  auto r = ParseUkNational(ReadFileText(Uk(kPt24h)));
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 48u);
  EXPECT_EQ(r->front().from, T("2023-03-13T12:00Z"));
  EXPECT_EQ(r->front().forecast, 47);
  EXPECT_EQ(r->front().actual, 54);
  EXPECT_EQ(r->back().from, T("2023-03-14T11:30Z"));
  EXPECT_EQ(r->back().forecast, 93);
  EXPECT_EQ(r->back().actual, 97);
}

TEST(UkGridParseTest, RegionalAnswerAsTheApiReallySendsIt) {
  // data is an object (not the documented list) in real answers.
  auto r = ParseUkRegion(ReadFileText(Uk("bluehands/london.json")));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->regionid, 13);
  EXPECT_EQ(r->dnoregion, "UKPN London");
  EXPECT_EQ(r->shortname, "London");
  ASSERT_EQ(r->slots.size(), 96u);
  const UkSlot& s = r->slots.front();
  EXPECT_EQ(s.from, T("2023-12-03T10:30Z"));
  EXPECT_EQ(s.forecast, 134);
  EXPECT_FALSE(s.actual.has_value());
  EXPECT_EQ(s.index, "moderate");
  ASSERT_EQ(s.generation_mix_pct.size(), 9u);
  EXPECT_EQ(s.generation_mix_pct[2], (std::pair<std::string, double>("imports", 32.1)));
  EXPECT_EQ(s.generation_mix_pct[8], (std::pair<std::string, double>("wind", 34.2)));
  EXPECT_EQ(r->slots.back().from, T("2023-12-05T10:00Z"));
  EXPECT_EQ(r->slots.back().forecast, 182);
}

TEST(UkGridParseTest, RegionalAnswerAsDocumented) {
  auto r = ParseUkRegion(R"({"data":[{"regionid":11,"dnoregion":"WPD South West","shortname":"South West England",
    "postcode":"RG10","data":[{"from":"2018-05-15T11:30Z","to":"2018-05-15T12:00Z",
    "intensity":{"forecast":266,"index":"moderate"},"generationmix":[{"fuel":"gas","perc":43.6}]}]}]})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->regionid, 11);
  EXPECT_EQ(r->postcode, "RG10");
  EXPECT_EQ(r->slots.at(0).forecast, 266);
}

TEST(UkGridParseTest, MalformedIsUnavailable) {
  for (const std::string& body : {std::string(""), std::string("{\"data\":"), std::string("{\"data\":[{\"from\":\"x\"}]}"),
                                  std::string("{\"nodata\":1}")}) {
    auto r = ParseUkNational(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  }
}

class UkGridClientTest : public ::testing::Test {
 protected:
  UkGridClientTest() : http_(MakeCurlTransport()), fetcher_("ukgrid", *http_, clock_, nullptr, {}, 0, [](auto) {}) {
    UkGridOptions opts;
    opts.base_url = server_.url();
    opts.timeout = std::chrono::milliseconds(500);
    client_ = std::make_unique<UkGridClient>(opts, fetcher_);
    provider_ = std::make_unique<UkGridProvider>(*client_, clock_);
  }
  TestHttpServer server_;
  ManualClock clock_{T("2023-03-14T12:01:00Z")};
  std::unique_ptr<HttpTransport> http_;
  CachingFetcher fetcher_;
  std::unique_ptr<UkGridClient> client_;
  std::unique_ptr<UkGridProvider> provider_;
};

TEST_F(UkGridClientTest, AsksTheDocumentedPaths) {
  server_.Serve("/intensity/2023-03-14T12:00Z/fw48h", TestHttpServer::FileReply(Uk(kFw48h)));
  server_.Serve("/regional/intensity/2023-12-03T10:30Z/fw48h/regionid/13", TestHttpServer::FileReply(Uk("bluehands/london.json")));
  auto f = client_->NationalForecast48h(T("2023-03-14T12:00Z"));
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->value.size(), 96u);
  auto l = client_->RegionalForecast48h(T("2023-12-03T10:30Z"), 13);
  ASSERT_TRUE(l.ok()) << l.status().message();
  EXPECT_EQ(l->value.shortname, "London");
  EXPECT_EQ(server_.requests().at(0).Header("accept"), "application/json");
  EXPECT_EQ(client_->RegionalForecast48h(T("2023-12-03T10:30Z"), 18).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(UkGridClientTest, ErrorBodyIsQuoted) {
  server_.Serve("/intensity/2023-03-14T12:00Z/fw48h",
                {400, R"({"error":{"code":"400 Bad Request","message":"Please enter a valid date"}})"});
  auto f = client_->NationalForecast48h(T("2023-03-14T12:00Z"));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kNotFound);
  EXPECT_NE(f.status().message().find("HTTP 400 (400 Bad Request: Please enter a valid date)"), std::string::npos)
      << f.status().message();
}

TEST_F(UkGridClientTest, ProviderUsesActualsForThePastAndForecastsAhead) {
  // Given the recorded past 24 h (with actuals) and next 48 h at 12:01, the
  // hours 10:00..14:00 should be 96.5 and 97 measured, then 92 and 90.5
  // forecast (means of the two half-hours).
  nlohmann::json past = nlohmann::json::parse(ReadFileText(Uk(kPt24h)));
  nlohmann::json ahead = nlohmann::json::parse(ReadFileText(Uk(kFw48h)));
  nlohmann::json both = {{"data", nlohmann::json::array()}};
  for (const auto& s : past["data"]) both["data"].push_back(s);
  for (const auto& s : ahead["data"]) both["data"].push_back(s);
  server_.Serve("/intensity/2023-03-14T10:00Z/2023-03-14T14:00Z", {200, both.dump()});
  auto s = provider_->Intensity({"GB", T("2023-03-14T10:00Z"), T("2023-03-14T14:00Z"), std::chrono::hours(1)});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->values, (std::vector<double>{96.5, 97, 92, 90.5}));
  EXPECT_EQ(s->ProvenanceAt(0).kind, PointKind::kMeasured);
  EXPECT_EQ(s->ProvenanceAt(1).kind, PointKind::kMeasured);
  EXPECT_EQ(s->ProvenanceAt(2).kind, PointKind::kForecast);
  EXPECT_EQ(s->ProvenanceAt(0).source, "ukgrid");
  EXPECT_EQ(s->ProvenanceAt(2).note, "National Grid ESO forecast (national)");
}

TEST_F(UkGridClientTest, OtherZonesAreNotFoundSoTheChainMovesOn) {
  auto s = provider_->Intensity({"DE", T("2023-03-14T10:00Z"), T("2023-03-14T14:00Z"), std::chrono::hours(1)});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(UkGridClientTest, OutageWithEmptyDataIsUnavailable) {
  server_.Serve("/intensity/2023-03-14T10:00Z/2023-03-14T14:00Z", {200, R"({"data":[]})"});
  auto s = provider_->Intensity({"GB", T("2023-03-14T10:00Z"), T("2023-03-14T14:00Z"), std::chrono::hours(1)});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace sunwind
