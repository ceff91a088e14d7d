#include "forecast/backtest.h"

#include <algorithm>
#include <cmath>
#include <memory>

namespace sunwind {
namespace {

constexpr Duration kDay{86400};

// How far back the models reach from an origin: the regression's six weeks
// of training origins, one week more for their weekly lag, one more for the
// horizon days of their targets.
constexpr int kModelLookbackDays = 56;

Status CheckHourly(const IntensitySeries& s, const char* what) {
  if (s.step != kForecastStep) {
    return Status::InvalidArgument(std::string(what) + ": step is " + FormatDuration(s.step) + ", models need 1h");
  }
  if (FloorTo(s.start, kForecastStep) != s.start) {
    return Status::InvalidArgument(std::string(what) + ": starts at " + FormatTime(s.start) + ", not on the hour");
  }
  return Status::Ok();
}

// Linear interpolation between order statistics; `v` is sorted, not empty.
double Quantile(const std::vector<double>& v, double q) {
  double pos = q * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(pos);
  size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

Result<Backtest> RunBacktest(const std::vector<const Forecaster*>& models, const IntensitySeries& series,
                             const BacktestOptions& options) {
  SUNWIND_RETURN_IF_ERROR(CheckHourly(series, "backtest series"));
  if (options.horizons_h.empty()) return Status::InvalidArgument("backtest: no horizon to score");
  for (int h : options.horizons_h) {
    if (h <= 0) return Status::InvalidArgument("backtest horizon " + std::to_string(h) + "h: must be positive");
  }
  if (FloorTo(options.first_origin, kForecastStep) != options.first_origin) {
    return Status::InvalidArgument("backtest: first origin " + FormatTime(options.first_origin) + " is not on the hour");
  }
  const int max_h = *std::max_element(options.horizons_h.begin(), options.horizons_h.end());
  const int min_h = *std::min_element(options.horizons_h.begin(), options.horizons_h.end());

  // recorded[j]: how many of the first j hours hold a value.
  const size_t size = series.size();
  std::vector<size_t> recorded(size + 1, 0);
  for (size_t j = 0; j < size; ++j) recorded[j + 1] = recorded[j] + (series.IsMissing(j) ? 0 : 1);

  Backtest bt;
  bt.to = options.to;
  bt.max_horizon_h = max_h;
  const size_t need = static_cast<size_t>(std::max(options.min_history_h, 1));
  for (TimePoint t = options.first_origin; t + kForecastStep * min_h <= options.to; t += kDay) {
    if (t < series.start) continue;
    const size_t o = static_cast<size_t>((t - series.start) / kForecastStep);
    if (o < need || o > size) continue;
    if (4 * (recorded[o] - recorded[o - need]) < 3 * need) continue;
    bt.origins.push_back(t);
    for (int i = 0; i < max_h; ++i) {
      const size_t j = o + static_cast<size_t>(i);
      bool known = j < size && series.TimeAt(j) + kForecastStep <= options.to;
      bt.actual_g_per_kwh.push_back(known ? series.values[j] : kNoValue);
    }
  }
  if (bt.origins.empty()) {
    return Status(StatusCode::kFailedPrecondition,
                  "backtest: no forecast origin from " + FormatTime(options.first_origin) + " whose " +
                      std::to_string(min_h) + "h horizon ends by " + FormatTime(options.to) + " has " +
                      FormatDuration(kForecastStep * options.min_history_h) + " of mostly recorded history before it");
  }

  std::span<const double> all(series.values);
  for (const Forecaster* model : models) {
    bt.models.push_back(model->Name());
    std::vector<double>& out = bt.forecast_g_per_kwh.emplace_back();
    out.reserve(bt.actual_g_per_kwh.size());
    for (TimePoint t : bt.origins) {
      const size_t o = static_cast<size_t>((t - series.start) / kForecastStep);
      auto f = model->Predict(History{series.start, all.first(o)}, max_h);
      if (!f.ok()) return f.status().WithContext(model->Name() + " at " + FormatTime(t));
      out.insert(out.end(), f->begin(), f->end());
    }
  }
  return bt;
}

void ErrorAccumulator::Add(double forecast, double actual) {
  double err = forecast - actual;
  abs_sum_ += std::abs(err);
  signed_sum_ += err;
  ++n_;
  if (actual >= kMapeFloorGPerKwh) {
    pct_sum_ += std::abs(err) / actual;
    ++n_mape_;
  }
}

ForecastErrors ErrorAccumulator::Finish(const std::string& model, int horizon_h) const {
  ForecastErrors e;
  e.model = model;
  e.horizon_h = horizon_h;
  e.n = n_;
  e.n_mape = n_mape_;
  if (n_ > 0) {
    e.mae_g_per_kwh = abs_sum_ / static_cast<double>(n_);
    e.bias_g_per_kwh = signed_sum_ / static_cast<double>(n_);
  }
  if (n_mape_ > 0) e.mape_pct = 100.0 * pct_sum_ / static_cast<double>(n_mape_);
  return e;
}

std::vector<ForecastErrors> Summarize(const Backtest& bt, const std::vector<int>& horizons_h) {
  std::vector<ForecastErrors> out;
  const size_t max_h = static_cast<size_t>(bt.max_horizon_h);
  for (size_t m = 0; m < bt.models.size(); ++m) {
    for (int h : horizons_h) {
      ErrorAccumulator acc;
      if (h <= bt.max_horizon_h) {  // else not measured
        for (size_t o = 0; o < bt.origins.size(); ++o) {
          if (bt.origins[o] + kForecastStep * h > bt.to) continue;  // the whole horizon must be over
          for (size_t i = 0; i < static_cast<size_t>(h); ++i) {
            double actual = bt.actual_g_per_kwh[o * max_h + i];
            if (!std::isnan(actual)) acc.Add(bt.forecast_g_per_kwh[m][o * max_h + i], actual);
          }
        }
      }
      out.push_back(acc.Finish(bt.models[m], h));
    }
  }
  return out;
}

Result<ModelChoice> PickModel(const std::vector<ForecastErrors>& errors, int horizon_h) {
  const ForecastErrors* best = nullptr;
  for (const auto& e : errors) {
    if (e.horizon_h != horizon_h || e.n == 0) continue;
    if (!best || e.mae_g_per_kwh < best->mae_g_per_kwh) best = &e;
  }
  if (!best) return Status::NotFound("no model was scored at horizon " + std::to_string(horizon_h) + "h");
  return ModelChoice{best->model, *best};
}

Duration ForecastLookback(Duration horizon, const BandOptions& options) {
  const long long horizon_days = (horizon + kDay - Duration{1}) / kDay;
  return kDay * (options.calibration_days + horizon_days + kModelLookbackDays);
}

Result<BandedForecast> ForecastWithBand(std::string_view model_name, const IntensitySeries& history,
                                        TimePoint origin, Duration horizon, const BandOptions& options) {
  SUNWIND_RETURN_IF_ERROR(CheckHourly(history, "forecast history"));
  if (horizon.count() <= 0 || horizon % kForecastStep != Duration{0}) {
    return Status::InvalidArgument("forecast horizon " + FormatDuration(horizon) + ": must be whole hours");
  }
  if (!(options.coverage > 0 && options.coverage < 1)) {
    return Status::InvalidArgument("forecast band coverage: must be between 0 and 1");
  }
  const int horizon_h = static_cast<int>(horizon / kForecastStep);

  std::vector<std::unique_ptr<Forecaster>> owned;
  const bool is_auto = model_name == "auto";
  if (is_auto) {
    for (const auto& name : ForecastModelNames()) {
      SUNWIND_ASSIGN_OR_RETURN(auto m, MakeForecaster(name));
      owned.push_back(std::move(m));
    }
  } else {
    SUNWIND_ASSIGN_OR_RETURN(auto m, MakeForecaster(model_name));
    owned.push_back(std::move(m));
  }
  std::vector<const Forecaster*> models;
  for (const auto& m : owned) models.push_back(m.get());

  // Replay the calibration days: origins at the origin's hour whose whole
  // horizon is over by the origin, so the band too comes from the past only.
  const long long horizon_days = (horizon + kDay - Duration{1}) / kDay;
  BacktestOptions bo;
  bo.first_origin = origin - kDay * (horizon_days + options.calibration_days - 1);
  bo.to = origin;
  bo.horizons_h = {horizon_h};
  bo.min_history_h = options.min_history_h;
  auto bt = RunBacktest(models, history, bo);
  if (!bt.ok()) return bt.status().WithContext("measuring the forecast error before " + FormatTime(origin));
  std::vector<ForecastErrors> errors = Summarize(*bt, bo.horizons_h);

  BandedForecast out;
  out.coverage = options.coverage;
  out.chosen_by_auto = is_auto;
  out.calibration_origins = static_cast<int>(bt->origins.size());
  SUNWIND_ASSIGN_OR_RETURN(ModelChoice choice, PickModel(errors, horizon_h));
  out.model = choice.model;
  out.measured = choice.errors;
  if (is_auto) out.candidates = errors;
  size_t chosen = 0;
  while (bt->models[chosen] != choice.model) ++chosen;

  SUNWIND_ASSIGN_OR_RETURN(out.forecast, Forecast(*models[chosen], history, origin, horizon));

  // Errors (forecast - actual) pooled over nearby leads: a few dozen origins
  // alone give a ragged quantile.
  constexpr int kPoolLeads = 2;  // on each side
  const size_t max_h = static_cast<size_t>(bt->max_horizon_h);
  const auto& f = bt->forecast_g_per_kwh[chosen];
  const double q_lo = (1 - options.coverage) / 2, q_hi = 1 - q_lo;
  for (int i = 0; i < horizon_h; ++i) {
    std::vector<double> err;
    for (int j = std::max(0, i - kPoolLeads); j <= std::min(horizon_h - 1, i + kPoolLeads); ++j) {
      for (size_t o = 0; o < bt->origins.size(); ++o) {
        double actual = bt->actual_g_per_kwh[o * max_h + static_cast<size_t>(j)];
        if (!std::isnan(actual)) err.push_back(f[o * max_h + static_cast<size_t>(j)] - actual);
      }
    }
    double v = out.forecast.values[static_cast<size_t>(i)];
    if (err.empty()) {
      out.lower_g_per_kwh.push_back(kNoValue);
      out.upper_g_per_kwh.push_back(kNoValue);
      continue;
    }
    std::sort(err.begin(), err.end());
    // actual = forecast - error: a high error quantile bounds the actual from below.
    out.lower_g_per_kwh.push_back(std::max(0.0, v - Quantile(err, q_hi)));
    out.upper_g_per_kwh.push_back(std::max(0.0, v - Quantile(err, q_lo)));
  }
  return out;
}

}  // namespace sunwind
