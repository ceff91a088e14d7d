// Forecasting a zone's hourly carbon intensity from its own past.
//
// A Forecaster sees only a History: the hourly values up to a forecast origin,
// never one point after it. The type enforces this (a view that ends at the
// origin), so a backtest over a whole year cannot look ahead by accident.
// Everything here is pure: no I/O, no clock; time comes in as arguments.
#ifndef SUNWIND_FORECAST_FORECASTER_H_
#define SUNWIND_FORECAST_FORECASTER_H_

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/series.h"
#include "core/status.h"
#include "core/time.h"

namespace sunwind {

// Every model works on an hourly grid: the seasons it knows are 24 and 168 steps.
inline constexpr Duration kForecastStep{3600};
inline constexpr int kHoursPerDay = 24;
inline constexpr int kHoursPerWeek = 168;

// The past as a forecaster may see it: hourly intensities in gCO2eq/kWh, the
// first at `start`, the last in the hour just before the origin. NaN marks a
// gap. Does not own the values.
struct History {
  TimePoint start;
  std::span<const double> intensity_g_per_kwh;

  size_t size() const { return intensity_g_per_kwh.size(); }
  TimePoint origin() const { return start + kForecastStep * static_cast<long long>(size()); }
};

// Abstract so the backtest, `auto` and the CLI treat every model alike.
class Forecaster {
 public:
  virtual ~Forecaster() = default;
  // The model's name as the CLI takes it, e.g. "seasonal-naive".
  virtual std::string Name() const = 0;
  // The next horizon_h hourly intensities from history.origin(): element i is
  // the mean over [origin + i h, origin + (i+1) h), "lead" i+1 hours. The value
  // at a lead never depends on horizon_h, so one long forecast serves every
  // shorter horizon. Never NaN: a model bridges gaps in the history itself.
  // FailedPrecondition when the history holds no value to start from.
  virtual Result<std::vector<double>> Predict(const History& history, int horizon_h) const = 0;
};

// The models sunwind has, in the order reports list them: the baselines first.
std::vector<std::string> ForecastModelNames();
// A model by name (see ForecastModelNames; "seasonal-naive-daily" is an alias
// of "seasonal-naive"). NotFound names the known models. "auto" is not a
// model but a choice among them, made by backtest: see ForecastWithBand.
Result<std::unique_ptr<Forecaster>> MakeForecaster(std::string_view name);

// The model's forecast made at `origin` from the points of `history` before
// it (later points are ignored; missing ones are gaps), as a series of kind
// kForecast over [origin, origin + horizon). The source names the model and
// the origin. InvalidArgument unless the history is hourly, the origin is on
// the hour and the horizon is a positive whole number of hours;
// FailedPrecondition when nothing before the origin is recorded.
Result<IntensitySeries> Forecast(const Forecaster& model, const IntensitySeries& history, TimePoint origin,
                                 Duration horizon);

}  // namespace sunwind

#endif  // SUNWIND_FORECAST_FORECASTER_H_
