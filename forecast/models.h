// The forecasting models: three baselines every forecast is measured against,
// and sunwind's own least-squares models.
#ifndef SUNWIND_FORECAST_MODELS_H_
#define SUNWIND_FORECAST_MODELS_H_

#include <string>
#include <vector>

#include "forecast/forecaster.h"

namespace sunwind {

// The last recorded value, held flat.
class PersistenceForecaster final : public Forecaster {
 public:
  std::string Name() const override { return "persistence"; }
  Result<std::vector<double>> Predict(const History& history, int horizon_h) const override;
};

// The value one season earlier: the same hour yesterday (period 24 h,
// "seasonal-naive") or last week (168 h, "seasonal-naive-weekly"). Beyond one
// season ahead the last recorded season repeats. A gap in it is bridged by the
// season before, then by the last recorded value.
class SeasonalNaiveForecaster final : public Forecaster {
 public:
  SeasonalNaiveForecaster(std::string name, int period_h) : name_(std::move(name)), period_h_(period_h) {}
  std::string Name() const override { return name_; }
  Result<std::vector<double>> Predict(const History& history, int horizon_h) const override;

 private:
  std::string name_;
  int period_h_;
};

// sunwind's own models. Each is a small least-squares fit, made afresh at
// every origin from the weeks before it, so it follows the grid as it changes
// through the year; deterministic and fast (a zone-year's daily backtest in
// well under a second). `ridge` is a penalty in pseudo-samples: that many
// samples' worth of evidence that a slope is zero.

// "regression": for each lead, a correction of the same-hour-yesterday value.
// For lead h from origin T, with D the seasonal-naive value for T+h,
//   y(T+h) - D = b0 + b1 (y(T-1) - D) + b2 (W - D) + b3 (M - D)
// where W is the same hour a week earlier and M the mean of the last 24 h.
// Written as a correction of D, the ridge pulls a poorly determined fit back
// to seasonal-naive rather than to zero. One set of coefficients per lead,
// fitted on the origins at the same hour of day over the trailing
// `training_days`, so each lead keeps its own hour-of-day shape; a sample is
// used only if its target lies before T.
class RegressionForecaster final : public Forecaster {
 public:
  struct Options {
    int training_days = 42;
    double ridge = 1.0;
  };
  RegressionForecaster() = default;
  explicit RegressionForecaster(Options options) : options_(options) {}
  std::string Name() const override { return "regression"; }
  Result<std::vector<double>> Predict(const History& history, int horizon_h) const override;

 private:
  Options options_;
};

// "anomaly-ar": the intensity is a profile, the mean of the same hour over
// the previous `profile_days`, plus an anomaly (wind, cloud, imports) that
// fades over hours. An autoregression of the anomaly on its last `lags` hours
// is fitted on every hour of the trailing `training_days`, then run forward
// one hour at a time; the profile of a future hour counts the model's own
// forecasts where that hour's past lies beyond the origin. Gaps in the
// history are bridged by the last recorded value.
class AnomalyArForecaster final : public Forecaster {
 public:
  struct Options {
    int training_days = 42;
    int profile_days = 7;
    int lags = 24;
    double ridge = 1.0;
  };
  AnomalyArForecaster() = default;
  explicit AnomalyArForecaster(Options options) : options_(options) {}
  std::string Name() const override { return "anomaly-ar"; }
  Result<std::vector<double>> Predict(const History& history, int horizon_h) const override;

 private:
  Options options_;
};

// "blend": the mean of regression and anomaly-ar. They err differently (one
// fits few samples per lead, the other one step and compounds it), so the
// mean is better than either: on the bundled zone-years its 24 h MAPE is
// about 28 % below seasonal-naive, each alone about 25 %
// (benchmarks/results/forecast.md).
class BlendForecaster final : public Forecaster {
 public:
  std::string Name() const override { return "blend"; }
  Result<std::vector<double>> Predict(const History& history, int horizon_h) const override;

 private:
  RegressionForecaster regression_;
  AnomalyArForecaster anomaly_ar_;
};

}  // namespace sunwind

#endif  // SUNWIND_FORECAST_MODELS_H_
