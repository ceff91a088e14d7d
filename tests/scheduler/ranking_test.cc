// RankRegions: ordering by mean effective intensity (grid × PUE).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <string>
#include <vector>

#include "scheduler/planner.h"

namespace sunwind {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

constexpr double kTol = 1e-9;

class RankingTest : public ::testing::Test {
 protected:
  const TimePoint t0_ = TimePoint{std::chrono::sys_days{std::chrono::year{2024} / 3 / 1}};

  const Region* MakeRegion(const std::string& id, double pue) {
    Region r;
    r.id = id;
    r.zone = "DE";
    r.pue = pue;
    regions_.push_back(r);
    return &regions_.back();
  }

  IntensitySeries Hourly(const std::vector<double>& values, const std::string& source = "test-source",
                         PointKind kind = PointKind::kMeasured) {
    IntensitySeries s;
    s.start = t0_;
    s.step = hours(1);
    for (double v : values) s.Append(v, kind, source);
    return s;
  }

  std::deque<Region> regions_;
};

TEST_F(RankingTest, OrdersByMeanEffectiveIntensity) {
  // Given over 2h: A with grid mean 150 and PUE 1.5 (effective 225), B with
  // grid 200 and PUE 1.0 (200), C with grid 100 and PUE 1.2 (120), we should
  // rank C, B, A, keeping each region's grid mean apart from its effective one.
  const Region* a = MakeRegion("test:a", 1.5);
  const Region* b = MakeRegion("test:b", 1.0);
  const Region* c = MakeRegion("test:c", 1.2);
  std::vector<RegionSeries> series = {
      {a, Hourly({100, 200, 999})}, {b, Hourly({200, 200, 999})}, {c, Hourly({50, 150, 999})}};
  auto ranks = RankRegions(series, t0_, hours(2));
  ASSERT_EQ(3u, ranks.size());
  EXPECT_EQ(c, ranks[0].region);
  EXPECT_EQ(b, ranks[1].region);
  EXPECT_EQ(a, ranks[2].region);
  EXPECT_NEAR(100.0, ranks[0].mean_intensity_g_per_kwh, kTol);
  EXPECT_NEAR(120.0, ranks[0].mean_effective_g_per_kwh, kTol);
  EXPECT_NEAR(200.0, ranks[1].mean_effective_g_per_kwh, kTol);
  EXPECT_NEAR(150.0, ranks[2].mean_intensity_g_per_kwh, kTol);
  EXPECT_NEAR(225.0, ranks[2].mean_effective_g_per_kwh, kTol);
  for (const auto& r : ranks) EXPECT_TRUE(r.complete) << r.region->id;
}

TEST_F(RankingTest, RegionWithAGapRanksLastAndIncomplete) {
  // Given region G whose grid would be cleanest (10) but has a gap in the
  // window, and two complete regions, we should rank G last with
  // complete = false and an unknown (NaN) mean, and label its kind as a mix
  // of measured and missing.
  const Region* g = MakeRegion("test:gappy", 1.0);
  const Region* x = MakeRegion("test:x", 1.0);
  const Region* y = MakeRegion("test:y", 1.0);
  std::vector<RegionSeries> series = {
      {g, Hourly({10, kNoValue, 10})}, {x, Hourly({300, 300, 300})}, {y, Hourly({200, 200, 200})}};
  auto ranks = RankRegions(series, t0_, hours(3));
  ASSERT_EQ(3u, ranks.size());
  EXPECT_EQ(y, ranks[0].region);
  EXPECT_EQ(x, ranks[1].region);
  EXPECT_EQ(g, ranks[2].region);
  EXPECT_TRUE(ranks[0].complete);
  EXPECT_TRUE(ranks[1].complete);
  EXPECT_FALSE(ranks[2].complete);
  EXPECT_TRUE(std::isnan(ranks[2].mean_intensity_g_per_kwh));
  EXPECT_EQ("measured+missing", ranks[2].kind);
}

TEST_F(RankingTest, GapOutsideTheWindowDoesNotCount) {
  // Given a gap only in the third hour, a 2h ranking from t0 should treat
  // the region as complete and rank it by its first two hours (mean 50).
  const Region* g = MakeRegion("test:g", 1.0);
  const Region* x = MakeRegion("test:x", 1.0);
  std::vector<RegionSeries> series = {{x, Hourly({300, 300, 300})}, {g, Hourly({40, 60, kNoValue})}};
  auto ranks = RankRegions(series, t0_, hours(2));
  ASSERT_EQ(2u, ranks.size());
  EXPECT_EQ(g, ranks[0].region);
  EXPECT_TRUE(ranks[0].complete);
  EXPECT_NEAR(50.0, ranks[0].mean_intensity_g_per_kwh, kTol);
  EXPECT_EQ("measured", ranks[0].kind);
}

TEST_F(RankingTest, UnalignedAtGivesTimeWeightedMeans) {
  // Given `at` 30m into the first hour and a 90m window, A = [100, 200, 900]
  // covers 30m of 100 and 60m of 200: (100×30 + 200×60) / 90 = 166.67, and
  // B = [400, 100, 100] covers 30m of 400 and 60m of 100: 200. We should rank
  // A first with those means, and not count the third hour at all.
  const Region* a = MakeRegion("test:a", 1.0);
  const Region* b = MakeRegion("test:b", 1.0);
  std::vector<RegionSeries> series = {{b, Hourly({400, 100, 100})}, {a, Hourly({100, 200, 900})}};
  auto ranks = RankRegions(series, t0_ + minutes(30), minutes(90));
  ASSERT_EQ(2u, ranks.size());
  EXPECT_EQ(a, ranks[0].region);
  EXPECT_NEAR((100.0 * 30 + 200.0 * 60) / 90, ranks[0].mean_intensity_g_per_kwh, kTol);
  EXPECT_EQ(b, ranks[1].region);
  EXPECT_NEAR(200.0, ranks[1].mean_intensity_g_per_kwh, kTol);
}

TEST_F(RankingTest, UnalignedWindowWithinOneSlotUsesThatSlotOnly) {
  // Given a 20m window from t0+10m, entirely inside the first hour, we
  // should report that hour's value (100) and its kind and source only.
  const Region* a = MakeRegion("test:a", 1.3);
  IntensitySeries s = Hourly({100}, "EM DE");
  s.Append(900, PointKind::kForecast, "EM forecast");
  std::vector<RegionSeries> series = {{a, s}};
  auto ranks = RankRegions(series, t0_ + minutes(10), minutes(20));
  ASSERT_EQ(1u, ranks.size());
  EXPECT_NEAR(100.0, ranks[0].mean_intensity_g_per_kwh, kTol);
  EXPECT_NEAR(130.0, ranks[0].mean_effective_g_per_kwh, kTol);
  EXPECT_EQ("measured", ranks[0].kind);
  EXPECT_EQ("EM DE", ranks[0].source);
}

TEST_F(RankingTest, KindAndSourceCoverEverySlotTheWindowTouches) {
  // Given a 90m window from t0+30m over a measured hour then a forecast hour,
  // we should describe it as "measured+forecast" with both sources.
  const Region* a = MakeRegion("test:a", 1.0);
  IntensitySeries s = Hourly({100}, "EM DE");
  s.Append(200, PointKind::kForecast, "EM forecast");
  s.Append(300, PointKind::kForecast, "EM forecast");
  std::vector<RegionSeries> series = {{a, s}};
  auto ranks = RankRegions(series, t0_ + minutes(30), minutes(90));
  ASSERT_EQ(1u, ranks.size());
  EXPECT_EQ("measured+forecast", ranks[0].kind);
  EXPECT_EQ("EM DE; EM forecast", ranks[0].source);
}

TEST_F(RankingTest, WindowPastTheEndOfTheDataIsIncomplete) {
  // Given two hours of data and a 3h window, we should mark the region
  // incomplete rather than average the two hours it has.
  const Region* a = MakeRegion("test:a", 1.0);
  const Region* b = MakeRegion("test:b", 1.0);
  std::vector<RegionSeries> series = {{a, Hourly({10, 10})}, {b, Hourly({500, 500, 500})}};
  auto ranks = RankRegions(series, t0_, hours(3));
  ASSERT_EQ(2u, ranks.size());
  EXPECT_EQ(b, ranks[0].region);
  EXPECT_TRUE(ranks[0].complete);
  EXPECT_EQ(a, ranks[1].region);
  EXPECT_FALSE(ranks[1].complete);
}

}  // namespace
}  // namespace sunwind
