// The forecasting models on synthetic series whose future is known, and the
// guarantee every model gives: a forecast depends on the past only.
#include "forecast/models.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "forecast/forecaster.h"

#include "tests/forecast/test_series.h"

namespace sunwind {
namespace {

using std::chrono::hours;

using testing::DailySine;
using testing::Hourly;
using testing::kT0;

// A daily shape, a weekly swing and weather-like noise that persists for hours.
std::vector<double> NoisyGrid(size_t hours_n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> shock(-30, 30);
  std::vector<double> v(hours_n);
  double weather = 0;
  for (size_t t = 0; t < hours_n; ++t) {
    weather = 0.9 * weather + shock(rng);
    v[t] = DailySine(t) + 40 * std::sin(2 * M_PI * static_cast<double>(t) / 168) + weather;
  }
  return v;
}

std::vector<std::unique_ptr<Forecaster>> AllModels() {
  std::vector<std::unique_ptr<Forecaster>> out;
  for (const auto& name : ForecastModelNames()) out.push_back(std::move(MakeForecaster(name)).value());
  return out;
}

TEST(ForecastModelsTest, PureDailySineIsForecastAlmostExactlyBySeasonalModels) {
  // Given eight weeks of a pure daily sine, we should forecast the next 96
  // hours within 1e-6 g/kWh with every model that knows the day: the
  // seasonal-naive ones and sunwind's own.
  std::vector<double> v;
  for (size_t t = 0; t < 56 * 24; ++t) v.push_back(DailySine(t));
  const IntensitySeries history = Hourly(v);
  const TimePoint origin = history.end();
  for (const auto& model : AllModels()) {
    if (model->Name() == "persistence") continue;
    auto f = Forecast(*model, history, origin, hours(96));
    ASSERT_TRUE(f.ok()) << model->Name() << ": " << f.status().message();
    ASSERT_EQ(f->size(), 96u);
    for (size_t i = 0; i < f->size(); ++i) {
      EXPECT_NEAR(f->values[i], DailySine(v.size() + i), 1e-6) << model->Name() << " lead " << i + 1;
    }
  }
}

TEST(ForecastModelsTest, ConstantIsForecastExactlyByAll) {
  // Given three weeks at 250 g/kWh, we should forecast 250 from every model.
  const IntensitySeries history = Hourly(std::vector<double>(21 * 24, 250.0));
  for (const auto& model : AllModels()) {
    auto f = Forecast(*model, history, history.end(), hours(48));
    ASSERT_TRUE(f.ok()) << model->Name() << ": " << f.status().message();
    for (double x : f->values) EXPECT_NEAR(x, 250.0, 1e-9) << model->Name();
  }
}

TEST(ForecastModelsTest, ChangingTheFutureDoesNotChangeTheForecast) {
  // Given a noisy series that runs a week past the origin, we should get the
  // same forecast, bit for bit, after every point from the origin on is
  // replaced (by zeros, then by gaps): no model reads past the origin.
  std::vector<double> v = NoisyGrid(70 * 24, 7);
  const IntensitySeries original = Hourly(v);
  const TimePoint origin = kT0 + hours(63 * 24 + 13);
  std::vector<double> zeroed = v, gapped = v;
  for (size_t t = 63 * 24 + 13; t < v.size(); ++t) {
    zeroed[t] = 0;
    gapped[t] = kNoValue;
  }
  for (const auto& model : AllModels()) {
    auto a = Forecast(*model, original, origin, hours(96));
    auto b = Forecast(*model, Hourly(zeroed), origin, hours(96));
    auto c = Forecast(*model, Hourly(gapped), origin, hours(96));
    ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << model->Name();
    EXPECT_EQ(a->values, b->values) << model->Name();
    EXPECT_EQ(a->values, c->values) << model->Name();
    // As the backtest calls it: a view of the first hours of the whole
    // series, whose memory goes on past the origin.
    History view{kT0, std::span<const double>(zeroed).first(63 * 24 + 13)};
    EXPECT_EQ(a->values, model->Predict(view, 96).value()) << model->Name();
  }
}

TEST(ForecastModelsTest, ALeadDoesNotDependOnTheHorizonAsked) {
  // Given one history, we should get the same first 24 values whether 24 or
  // 96 hours are asked for (the backtest scores every horizon from one run).
  const IntensitySeries history = Hourly(NoisyGrid(60 * 24, 3));
  for (const auto& model : AllModels()) {
    auto short_f = Forecast(*model, history, history.end(), hours(24));
    auto long_f = Forecast(*model, history, history.end(), hours(96));
    ASSERT_TRUE(short_f.ok() && long_f.ok()) << model->Name();
    EXPECT_EQ(short_f->values, std::vector<double>(long_f->values.begin(), long_f->values.begin() + 24))
        << model->Name();
  }
}

TEST(ForecastModelsTest, OwnModelsBeatSeasonalNaiveOnPersistentWeather) {
  // Given weather that lingers for hours on top of daily and weekly shapes,
  // we should see sunwind's models forecast the next day with a smaller mean
  // absolute error than same-hour-yesterday, summed over 20 origins.
  const std::vector<double> v = NoisyGrid(90 * 24, 11);
  auto seasonal = MakeForecaster("seasonal-naive").value();
  for (const char* name : {"regression", "anomaly-ar", "blend"}) {
    auto own = MakeForecaster(name).value();
    double own_abs = 0, seasonal_abs = 0;
    for (size_t day = 70; day < 90; ++day) {
      History h{kT0, std::span<const double>(v).first(day * 24)};
      auto a = own->Predict(h, 24).value();
      auto b = seasonal->Predict(h, 24).value();
      for (size_t i = 0; i < 24; ++i) {
        own_abs += std::abs(a[i] - v[day * 24 + i]);
        seasonal_abs += std::abs(b[i] - v[day * 24 + i]);
      }
    }
    EXPECT_LT(own_abs, 0.9 * seasonal_abs) << name;
  }
}

TEST(ForecastModelsTest, GapsInTheHistoryAreBridged) {
  // Given a history whose last day and a stretch the week before are gaps,
  // we should still get a finite forecast from every model, and persistence
  // should hold the last recorded value.
  std::vector<double> v = NoisyGrid(50 * 24, 5);
  for (size_t t = 40 * 24; t < 42 * 24; ++t) v[t] = kNoValue;
  for (size_t t = 49 * 24; t < v.size(); ++t) v[t] = kNoValue;
  const IntensitySeries history = Hourly(v);
  for (const auto& model : AllModels()) {
    auto f = Forecast(*model, history, history.end(), hours(48));
    ASSERT_TRUE(f.ok()) << model->Name() << ": " << f.status().message();
    for (double x : f->values) EXPECT_TRUE(std::isfinite(x)) << model->Name();
  }
  auto p = Forecast(*MakeForecaster("persistence").value(), history, history.end(), hours(2));
  EXPECT_EQ(p->values, std::vector<double>(2, v[49 * 24 - 1]));
}

TEST(ForecastModelsTest, ForecastIsASeriesOfKindForecastFromTheOrigin) {
  // Given a history longer than the origin, we should get a series that
  // starts at the origin, says it is a forecast and names the model.
  const IntensitySeries history = Hourly(std::vector<double>(48, 100.0));
  auto f = Forecast(*MakeForecaster("seasonal-naive").value(), history, kT0 + hours(30), hours(6));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->start, kT0 + hours(30));
  EXPECT_EQ(f->step, hours(1));
  EXPECT_EQ(f->size(), 6u);
  ASSERT_EQ(f->provenance.size(), 1u);
  EXPECT_EQ(f->provenance[0].kind, PointKind::kForecast);
  EXPECT_EQ(f->provenance[0].source, "sunwind seasonal-naive forecast made at 2022-03-02T06:00:00Z");
}

TEST(ForecastModelsTest, RefusesWhatItCannotForecast) {
  // Given bad requests, we should get errors that say what was wrong.
  auto model = MakeForecaster("persistence").value();
  const IntensitySeries history = Hourly(std::vector<double>(24, 100.0));
  auto off_hour = Forecast(*model, history, kT0 + std::chrono::minutes(90), hours(2));
  EXPECT_EQ(off_hour.status().message(), "forecast origin 2022-03-01T01:30:00Z: forecasts start on the hour");
  auto partial = Forecast(*model, history, history.end(), std::chrono::minutes(90));
  EXPECT_EQ(partial.status().message(), "forecast horizon 1h30m: must be whole hours");
  auto empty = Forecast(*model, Hourly(std::vector<double>(24, kNoValue)), kT0 + hours(24), hours(2));
  EXPECT_EQ(empty.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(empty.status().message(), "no recorded intensity before the forecast origin 2022-03-02T00:00:00Z");
  auto unknown = MakeForecaster("prophet");
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().message(),
            "unknown forecast model 'prophet' (known: persistence, seasonal-naive, seasonal-naive-weekly, "
            "regression, anomaly-ar, blend, auto)");
}

}  // namespace
}  // namespace sunwind
