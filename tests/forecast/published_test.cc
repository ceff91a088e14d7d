// Scoring providers' published forecasts: parsing both shapes they come in,
// and the error measures on values small enough to check by hand.
#include "forecast/published.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>

namespace sunwind {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TimePoint At(const char* text) { return ParseTime(text).value(); }

TEST(PublishedForecastTest, ScoresACsvByLeadAgainstTheRecordedSeries) {
  // Given forecasts issued at 00:00 for 00:30 (lead 30 min) and 01:30 (lead
  // 90 min), and at 01:00 for 01:30 (lead 30 min), against recorded
  // half-hourly actuals 100 at 00:30 and 200 at 01:30, we should score
  // within 1 h: errors +10 (110 vs 100) and -40 (160 vs 200): MAE 25, bias
  // -15, MAPE (10 % + 20 %) / 2 = 15 %; within 2 h all three, adding -20.
  const std::string csv =
      "request_time,forecast_time,Caiso_North\n"
      "2023-06-08 00:00:00,2023-06-08 00:30:00,110\n"
      "2023-06-08 00:00:00,2023-06-08 01:30:00,180\n"
      "2023-06-08 01:00:00,2023-06-08 01:30:00,160\n";
  auto points = ParsePublishedForecast(csv, "f.csv");
  ASSERT_TRUE(points.ok()) << points.status().message();
  ASSERT_EQ(3u, points->size());
  EXPECT_EQ(At("2023-06-08T00:00Z"), *(*points)[1].issued);
  EXPECT_EQ(At("2023-06-08T01:30Z"), (*points)[1].time);
  EXPECT_DOUBLE_EQ(180, (*points)[1].forecast_g_per_kwh);

  IntensitySeries actual;
  actual.start = At("2023-06-08T00:00Z");
  actual.step = minutes(30);
  for (double v : {90.0, 100.0, 150.0, 200.0}) actual.Append(v, PointKind::kMeasured, "test");
  auto rows = ScorePublished(*points, actual, {1, 2}, "published:test");
  ASSERT_EQ(2u, rows.size());
  EXPECT_EQ(1, rows[0].horizon_h);
  EXPECT_EQ(2, rows[0].n);
  EXPECT_NEAR(25.0, rows[0].mae_g_per_kwh, 1e-9);
  EXPECT_NEAR(-15.0, rows[0].bias_g_per_kwh, 1e-9);
  EXPECT_NEAR(15.0, rows[0].mape_pct, 1e-9);
  EXPECT_EQ(2, rows[1].horizon_h);
  EXPECT_EQ(3, rows[1].n);
  EXPECT_NEAR((10.0 + 20.0 + 40.0) / 3, rows[1].mae_g_per_kwh, 1e-9);
  EXPECT_EQ("published:test", rows[1].model);
}

TEST(PublishedForecastTest, UkAnswerCarriesItsOwnActualsAndNoIssueTime) {
  // Given the real UK pt24h capture (48 half-hours with forecast and actual),
  // we should read every pair and score them once with the lead unknown,
  // matching errors computed here from the JSON directly.
  std::ifstream in(std::string(SUNWIND_SOURCE_DIR) + "/tests/fixtures/forecasts/uk_national_pt24h_2023-03-14T1201Z.json");
  std::stringstream ss;
  ss << in.rdbuf();
  auto points = ParsePublishedForecast(ss.str(), "uk.json");
  ASSERT_TRUE(points.ok()) << points.status().message();
  auto j = nlohmann::json::parse(ss.str());
  double abs_sum = 0;
  int n = 0;
  for (const auto& d : j["data"]) {
    if (!d["intensity"]["actual"].is_number()) continue;
    abs_sum += std::abs(d["intensity"]["forecast"].get<double>() - d["intensity"]["actual"].get<double>());
    ++n;
  }
  ASSERT_EQ(48, n);
  ASSERT_EQ(48u, points->size());
  EXPECT_FALSE((*points)[0].issued.has_value());
  EXPECT_EQ(At("2023-03-13T12:00Z"), (*points)[0].time);
  EXPECT_DOUBLE_EQ(47, (*points)[0].forecast_g_per_kwh);
  EXPECT_DOUBLE_EQ(54, (*points)[0].actual_g_per_kwh);
  auto rows = ScorePublished(*points, IntensitySeries{}, {24}, "published:uk");
  ASSERT_EQ(1u, rows.size());
  EXPECT_EQ(0, rows[0].horizon_h);
  EXPECT_EQ(48, rows[0].n);
  EXPECT_NEAR(abs_sum / n, rows[0].mae_g_per_kwh, 1e-9);
}

TEST(PublishedForecastTest, RefusesFilesItCannotRead) {
  // Given a CSV without an issue-time column, or a bad value, we should say
  // what is missing and where.
  auto no_issued = ParsePublishedForecast("time,value\n2023-06-08 00:00:00,1\n", "a.csv");
  ASSERT_FALSE(no_issued.ok());
  EXPECT_EQ("a.csv:1: expected columns request_time (or issued), forecast_time (or point_time) and one value "
            "column in gCO2eq/kWh",
            no_issued.status().message());
  auto bad = ParsePublishedForecast("request_time,forecast_time,v\n2023-06-08 00:00:00,2023-06-08 00:05:00,abc\n", "b.csv");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ("b.csv:2: column 'v': not a number: 'abc'", bad.status().message());
  auto json = ParsePublishedForecast("{\"nodata\": 1}", "c.json");
  ASSERT_FALSE(json.ok());
  EXPECT_EQ("c.json: expected a UK Carbon Intensity API answer with a 'data' list", json.status().message());
}

}  // namespace
}  // namespace sunwind
