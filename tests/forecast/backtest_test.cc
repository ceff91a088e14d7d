// The rolling-origin backtest, its error measures, `auto` and the band, on
// series small enough to work out by hand.
#include "forecast/backtest.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <random>
#include <vector>

#include "forecast/models.h"

#include "tests/forecast/test_series.h"

namespace sunwind {
namespace {

using std::chrono::hours;

using testing::DailySine;
using testing::Hourly;
using testing::kT0;

TEST(BacktestTest, MapeOnATinyHandMadeSeriesEqualsTheHandComputedValue) {
  // Given one day at 100 g/kWh, then 80, 125 and 5, and one origin at the
  // start of day two, persistence forecasts 100 for each hour:
  //   errors (forecast - actual) +20, -25, +95
  //   MAPE over actuals >= 10 g/kWh: (20/80 + 25/125) / 2 = 22.5 %
  //   MAE (20 + 25 + 95) / 3 = 46.667, bias (20 - 25 + 95) / 3 = 30, n 3.
  std::vector<double> v(24, 100.0);
  v.insert(v.end(), {80, 125, 5});
  PersistenceForecaster persistence;
  BacktestOptions options;
  options.first_origin = kT0 + hours(24);
  options.to = kT0 + hours(27);
  options.horizons_h = {3};
  options.min_history_h = 24;
  auto bt = RunBacktest({&persistence}, Hourly(v), options);
  ASSERT_TRUE(bt.ok()) << bt.status().message();
  ASSERT_EQ(bt->origins, std::vector<TimePoint>{kT0 + hours(24)});
  auto e = Summarize(*bt, {3});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].model, "persistence");
  EXPECT_EQ(e[0].horizon_h, 3);
  EXPECT_NEAR(e[0].mape_pct, 22.5, 1e-12);
  EXPECT_NEAR(e[0].mae_g_per_kwh, 140.0 / 3, 1e-12);
  EXPECT_NEAR(e[0].bias_g_per_kwh, 30.0, 1e-12);
  EXPECT_EQ(e[0].n, 3);
  EXPECT_EQ(e[0].n_mape, 2);
}

TEST(BacktestTest, RollsDayByDayAndScoresAHorizonOnlyWhereItIsOver) {
  // Given four days of data, one day of history needed and horizons of 24 h
  // and 48 h, we should forecast from days 2, 3 and 4 and score 24 h on all
  // three origins (72 points) but 48 h on the first two only (96 points).
  std::vector<double> v;
  for (size_t t = 0; t < 4 * 24; ++t) v.push_back(DailySine(t) + static_cast<double>(t));  // a rising trend
  SeasonalNaiveForecaster seasonal("seasonal-naive", 24);
  BacktestOptions options;
  options.first_origin = kT0;
  options.to = kT0 + hours(4 * 24);
  options.horizons_h = {24, 48};
  options.min_history_h = 24;
  auto bt = RunBacktest({&seasonal}, Hourly(v), options);
  ASSERT_TRUE(bt.ok()) << bt.status().message();
  EXPECT_EQ(bt->origins, (std::vector<TimePoint>{kT0 + hours(24), kT0 + hours(48), kT0 + hours(72)}));
  auto e = Summarize(*bt, {24, 48});
  EXPECT_EQ(e[0].n, 72);
  EXPECT_EQ(e[1].n, 96);
  // The trend makes yesterday 24 g/kWh too low at every lead of the first
  // day, 48 at the second day's leads (the last recorded day repeats).
  EXPECT_NEAR(e[0].bias_g_per_kwh, -24.0, 1e-9);
  EXPECT_NEAR(e[1].bias_g_per_kwh, -36.0, 1e-9);
}

TEST(BacktestTest, ChangingDataAfterTheEndDoesNotChangeTheScores) {
  // Given a backtest that ends at `to`, we should measure the same errors
  // after every value from `to` on is replaced.
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> noise(-50, 50);
  std::vector<double> v;
  for (size_t t = 0; t < 40 * 24; ++t) v.push_back(DailySine(t) + noise(rng));
  std::vector<double> changed = v;
  for (size_t t = 30 * 24; t < v.size(); ++t) changed[t] = 1000;
  BlendForecaster blend;
  BacktestOptions options;
  options.first_origin = kT0;
  options.to = kT0 + hours(30 * 24);
  auto a = RunBacktest({&blend}, Hourly(v), options);
  auto b = RunBacktest({&blend}, Hourly(changed), options);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->forecast_g_per_kwh, b->forecast_g_per_kwh);
  EXPECT_EQ(Summarize(*a, {24})[0].mae_g_per_kwh, Summarize(*b, {24})[0].mae_g_per_kwh);
}

TEST(BacktestTest, AnOriginNeedsMostlyRecordedHistory) {
  // Given two weeks of which the second is a gap, we should find no origin
  // with 14 days of mostly recorded history, and say so.
  std::vector<double> v(14 * 24, 200.0);
  for (size_t t = 7 * 24; t < v.size(); ++t) v[t] = kNoValue;
  v.resize(16 * 24, 200.0);
  PersistenceForecaster persistence;
  BacktestOptions options;
  options.first_origin = kT0;
  options.to = kT0 + hours(16 * 24);
  auto bt = RunBacktest({&persistence}, Hourly(v), options);
  EXPECT_EQ(bt.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(bt.status().message(),
            "backtest: no forecast origin from 2022-03-01T00:00:00Z whose 24h horizon ends by "
            "2022-03-17T00:00:00Z has 14d of mostly recorded history before it");
}

TEST(BacktestTest, AutoPicksTheModelWithTheLeastMae) {
  // Given a model with the lower MAPE but the higher MAE (its errors fall on
  // high intensities), we should pick by MAE, at the horizon asked.
  std::vector<ForecastErrors> errors = {
      {"seasonal-naive", 24, 9.0, 30.0, 1.0, 100, 100},
      {"regression", 24, 12.0, 20.0, 0.0, 100, 100},
      {"persistence", 24, 15.0, 25.0, 0.0, 100, 100},
      {"persistence", 48, 15.0, 5.0, 0.0, 100, 100},
  };
  auto pick = PickModel(errors, 24);
  ASSERT_TRUE(pick.ok());
  EXPECT_EQ(pick->model, "regression");
  EXPECT_EQ(pick->errors.mae_g_per_kwh, 20.0);
  EXPECT_EQ(PickModel(errors, 96).status().code(), StatusCode::kNotFound);
}

TEST(BacktestTest, AutoOnASineChoosesAnExactModelAndItsBandIsTight) {
  // Given eight weeks of a pure daily sine, we should see `auto` choose the
  // first model without error (seasonal-naive; ties go to the earlier model),
  // record the candidates it weighed, and draw a band of zero width.
  std::vector<double> v;
  for (size_t t = 0; t < 56 * 24; ++t) v.push_back(DailySine(t));
  const IntensitySeries history = Hourly(v);
  auto f = ForecastWithBand("auto", history, history.end(), hours(48), BandOptions{});
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->model, "seasonal-naive");
  EXPECT_TRUE(f->chosen_by_auto);
  EXPECT_EQ(f->candidates.size(), ForecastModelNames().size());
  EXPECT_EQ(f->calibration_origins, 28);
  EXPECT_NEAR(f->measured.mae_g_per_kwh, 0.0, 1e-9);
  for (size_t i = 0; i < 48; ++i) {
    EXPECT_NEAR(f->lower_g_per_kwh[i], f->forecast.values[i], 1e-6);
    EXPECT_NEAR(f->upper_g_per_kwh[i], f->forecast.values[i], 1e-6);
  }
}

TEST(BacktestTest, TheBandHoldsAboutItsShareOfWhatFollows) {
  // Given a sine with hour-to-hour noise of ±50 g/kWh, the seasonal-naive
  // error is the difference of two such draws; we should see the 80 % band
  // hold close to 80 % of the actual values of the following days.
  std::mt19937 rng(2);
  std::uniform_real_distribution<double> noise(-50, 50);
  std::vector<double> v;
  for (size_t t = 0; t < 120 * 24; ++t) v.push_back(DailySine(t) + noise(rng));
  const IntensitySeries series = Hourly(v);
  int inside = 0, total = 0;
  for (size_t day = 60; day < 120; ++day) {
    auto f = ForecastWithBand("seasonal-naive", series, kT0 + hours(day * 24), hours(24), BandOptions{});
    ASSERT_TRUE(f.ok()) << f.status().message();
    for (size_t i = 0; i < 24; ++i) {
      double actual = v[day * 24 + i];
      inside += f->lower_g_per_kwh[i] <= actual && actual <= f->upper_g_per_kwh[i];
      ++total;
    }
  }
  EXPECT_NEAR(static_cast<double>(inside) / total, 0.8, 0.05);
}

}  // namespace
}  // namespace sunwind
