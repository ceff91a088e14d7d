// Measuring forecast error on recorded data, and what the measurement is for:
// choosing a model per zone (`auto`) and the uncertainty band of a forecast.
//
// A rolling-origin backtest forecasts from one origin a day, each time from
// the history before that origin only (Forecaster sees a History that ends
// there), and compares every forecast point with what the grid really did.
#ifndef SUNWIND_FORECAST_BACKTEST_H_
#define SUNWIND_FORECAST_BACKTEST_H_

#include <string>
#include <string_view>
#include <vector>

#include "core/series.h"
#include "core/status.h"
#include "core/time.h"
#include "forecast/forecaster.h"

namespace sunwind {

struct BacktestOptions {
  // Origins are `first_origin`, then one a day at the same hour, while a
  // forecast of the shortest horizon still ends by `to`.
  TimePoint first_origin;
  TimePoint to;
  // Lengths of the forecasts scored, in hours; each is scored over its leads
  // 1..h, on the origins whose whole horizon ends by `to`.
  std::vector<int> horizons_h = {24, 48};
  // An origin is scored only when at least three quarters of this many hours
  // before it are recorded, so every model starts from the same footing.
  int min_history_h = 14 * kHoursPerDay;
};

// Every error a backtest measured. Element o * max_horizon_h + i holds lead
// i + 1 of origin o; NaN where the grid's value is unknown (a gap, or past `to`).
struct Backtest {
  std::vector<TimePoint> origins;
  TimePoint to;  // no actual at or after it was scored
  int max_horizon_h = 0;
  std::vector<double> actual_g_per_kwh;
  std::vector<std::string> models;
  std::vector<std::vector<double>> forecast_g_per_kwh;  // one per model, same layout
};

// Runs each model from every origin. `series` is hourly and holds both the
// history and the actuals; only recorded values belong in it (NaN elsewhere).
// InvalidArgument for a series that is not hourly or options out of order;
// FailedPrecondition when no origin has enough history before it.
Result<Backtest> RunBacktest(const std::vector<const Forecaster*>& models, const IntensitySeries& series,
                             const BacktestOptions& options);

// MAPE leaves out actuals below this: near zero (Norway's direct intensity)
// a percentage error means nothing. MAE and bias count every point.
inline constexpr double kMapeFloorGPerKwh = 10.0;

// One model's error at one horizon, over all scored (origin, lead) points.
struct ForecastErrors {
  std::string model;
  int horizon_h = 0;
  double mape_pct = kNoValue;        // mean |forecast - actual| / actual × 100
  double mae_g_per_kwh = kNoValue;   // mean |forecast - actual|
  double bias_g_per_kwh = kNoValue;  // mean forecast - actual: > 0 forecasts too high
  long n = 0;                        // points scored
  long n_mape = 0;                   // points MAPE counts (actual >= the floor)
};

// Adds up (forecast, actual) pairs into the measures above.
class ErrorAccumulator {
 public:
  void Add(double forecast_g_per_kwh, double actual_g_per_kwh);
  ForecastErrors Finish(const std::string& model, int horizon_h) const;

 private:
  double abs_sum_ = 0, signed_sum_ = 0, pct_sum_ = 0;
  long n_ = 0, n_mape_ = 0;
};

// Per model, per horizon of options.horizons_h (models outer, horizons inner).
std::vector<ForecastErrors> Summarize(const Backtest& backtest, const std::vector<int>& horizons_h);

// What `auto` chose for a zone, and why: the least MAE at the horizon (MAE
// rather than MAPE, which is unstable near zero), ties to the earlier model.
struct ModelChoice {
  std::string model;
  ForecastErrors errors;  // the winner's
};
// NotFound when no model was scored at the horizon.
Result<ModelChoice> PickModel(const std::vector<ForecastErrors>& errors, int horizon_h);

// A forecast with the range the grid's value fell in, at each lead, in the
// central `coverage` share of the model's backtest: [forecast - upper error
// quantile, forecast - lower error quantile], floored at zero.
struct BandedForecast {
  IntensitySeries forecast;  // kind kForecast
  std::vector<double> lower_g_per_kwh;
  std::vector<double> upper_g_per_kwh;
  double coverage = 0.8;
  std::string model;          // the model that made it
  bool chosen_by_auto = false;
  ForecastErrors measured;    // its backtest error at this horizon
  std::vector<ForecastErrors> candidates;  // every model's, when chosen by auto
  int calibration_origins = 0;
};

struct BandOptions {
  // Days before the origin whose forecasts are replayed to measure the error
  // (the origins are at the origin's hour of day).
  int calibration_days = 28;
  double coverage = 0.8;
  int min_history_h = 14 * kHoursPerDay;
};

// The forecast of `model_name` (or "auto": each model backtested over the
// calibration days, the least MAE wins) made at `origin` from the points of
// `history` before it, with its band. Everything, the band included, is
// derived from data before the origin. FailedPrecondition when the history
// before the calibration period is too short to measure any error.
Result<BandedForecast> ForecastWithBand(std::string_view model_name, const IntensitySeries& history,
                                        TimePoint origin, Duration horizon, const BandOptions& options);

// The history a ForecastWithBand at `horizon` wants before its origin: the
// calibration days, the horizon, and the models' own look-back.
Duration ForecastLookback(Duration horizon, const BandOptions& options);

}  // namespace sunwind

#endif  // SUNWIND_FORECAST_BACKTEST_H_
