#include "forecast/forecaster.h"

#include <algorithm>

#include "forecast/models.h"

namespace sunwind {

std::vector<std::string> ForecastModelNames() {
  return {"persistence", "seasonal-naive", "seasonal-naive-weekly", "regression", "anomaly-ar", "blend"};
}

Result<std::unique_ptr<Forecaster>> MakeForecaster(std::string_view name) {
  if (name == "persistence") return std::unique_ptr<Forecaster>(new PersistenceForecaster());
  if (name == "seasonal-naive" || name == "seasonal-naive-daily") {
    return std::unique_ptr<Forecaster>(new SeasonalNaiveForecaster("seasonal-naive", kHoursPerDay));
  }
  if (name == "seasonal-naive-weekly") {
    return std::unique_ptr<Forecaster>(new SeasonalNaiveForecaster("seasonal-naive-weekly", kHoursPerWeek));
  }
  if (name == "regression") return std::unique_ptr<Forecaster>(new RegressionForecaster());
  if (name == "anomaly-ar") return std::unique_ptr<Forecaster>(new AnomalyArForecaster());
  if (name == "blend") return std::unique_ptr<Forecaster>(new BlendForecaster());
  std::string known;
  for (const auto& m : ForecastModelNames()) known += (known.empty() ? "" : ", ") + m;
  return Status::NotFound("unknown forecast model '" + std::string(name) + "' (known: " + known + ", auto)");
}

Result<IntensitySeries> Forecast(const Forecaster& model, const IntensitySeries& history, TimePoint origin,
                                 Duration horizon) {
  if (history.step != kForecastStep) {
    return Status::InvalidArgument("forecast history: step is " + FormatDuration(history.step) + ", models need 1h");
  }
  if (FloorTo(history.start, kForecastStep) != history.start || FloorTo(origin, kForecastStep) != origin) {
    return Status::InvalidArgument("forecast origin " + FormatTime(origin) + ": forecasts start on the hour");
  }
  if (horizon.count() <= 0 || horizon % kForecastStep != Duration{0}) {
    return Status::InvalidArgument("forecast horizon " + FormatDuration(horizon) + ": must be whole hours");
  }
  if (origin <= history.start) {
    return Status(StatusCode::kFailedPrecondition, "no history before the forecast origin " + FormatTime(origin));
  }
  // Copy exactly the hours before the origin: what lies after is never seen,
  // and hours the history does not reach are gaps.
  const size_t hours = static_cast<size_t>((origin - history.start) / kForecastStep);
  std::vector<double> past(hours, kNoValue);
  std::copy_n(history.values.begin(), std::min(hours, history.size()), past.begin());
  const int horizon_h = static_cast<int>(horizon / kForecastStep);
  SUNWIND_ASSIGN_OR_RETURN(std::vector<double> values, model.Predict(History{history.start, past}, horizon_h));

  IntensitySeries out;
  out.start = origin;
  out.step = kForecastStep;
  out.signal = history.signal;
  const std::string source = "sunwind " + model.Name() + " forecast made at " + FormatTime(origin);
  for (double v : values) out.Append(v, PointKind::kForecast, source);
  return out;
}

}  // namespace sunwind
