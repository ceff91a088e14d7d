#include "forecast/models.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace sunwind {
namespace {

// y[0, m) is what is known at origin m; the target of lead i+1 is y[m + i].
using Values = std::span<const double>;

double LastValue(Values y, size_t m) {
  for (size_t j = m; j-- > 0;) {
    if (!std::isnan(y[j])) return y[j];
  }
  return kNoValue;
}

// The value at the target's hour one season before it, or, where that season
// is still ahead of m or missing, the seasons before that. NaN if none of the
// nearest few is recorded.
double SeasonalValue(Values y, size_t m, size_t i, size_t period_h) {
  constexpr size_t kSeasonsTried = 4;
  for (size_t k = i / period_h + 1; k <= i / period_h + kSeasonsTried; ++k) {
    if (period_h * k > m + i) break;
    double v = y[m + i - period_h * k];
    if (!std::isnan(v)) return v;
  }
  return kNoValue;
}

double MeanOfLastDay(Values y, size_t m) {
  double sum = 0;
  int n = 0;
  for (size_t j = m - std::min<size_t>(m, kHoursPerDay); j < m; ++j) {
    if (!std::isnan(y[j])) {
      sum += y[j];
      ++n;
    }
  }
  return n > 0 ? sum / n : kNoValue;
}

Status NoValueBefore(const History& h) {
  return Status(StatusCode::kFailedPrecondition,
                "no recorded intensity before the forecast origin " + FormatTime(h.origin()));
}

// Solves the d×d symmetric positive definite system a x = b (row-major) by
// Cholesky in place. False when a is not positive definite.
bool SolveSpd(std::vector<double> a, std::vector<double> b, std::vector<double>* x) {
  const size_t d = b.size();
  for (size_t j = 0; j < d; ++j) {
    double s = a[j * d + j];
    for (size_t k = 0; k < j; ++k) s -= a[j * d + k] * a[j * d + k];
    if (!(s > 0)) return false;
    a[j * d + j] = std::sqrt(s);
    for (size_t i = j + 1; i < d; ++i) {
      double t = a[i * d + j];
      for (size_t k = 0; k < j; ++k) t -= a[i * d + k] * a[j * d + k];
      a[i * d + j] = t / a[j * d + j];
    }
  }
  for (size_t i = 0; i < d; ++i) {  // L z = b
    for (size_t k = 0; k < i; ++k) b[i] -= a[i * d + k] * b[k];
    b[i] /= a[i * d + i];
  }
  for (size_t i = d; i-- > 0;) {  // L' x = z
    for (size_t k = i + 1; k < d; ++k) b[i] -= a[k * d + i] * b[k];
    b[i] /= a[i * d + i];
  }
  *x = std::move(b);
  return true;
}

// Least squares with features[0] the intercept: accumulates the normal
// equations, then solves them with the ridge on the slopes.
class LeastSquares {
 public:
  explicit LeastSquares(size_t features) : d_(features), a_(features * features, 0.0), b_(features, 0.0) {}

  void Add(const double* f, double target) {
    for (size_t r = 0; r < d_; ++r) {
      for (size_t c = 0; c < d_; ++c) a_[r * d_ + c] += f[r] * f[c];
      b_[r] += f[r] * target;
    }
    ++samples_;
  }
  size_t samples() const { return samples_; }

  // The coefficients, or all zero (no correction) when there are fewer than
  // two samples per coefficient or the system is singular.
  std::vector<double> Solve(double ridge) const {
    std::vector<double> coef(d_, 0.0);
    if (samples_ < 2 * d_) return coef;
    std::vector<double> a = a_;
    for (size_t r = 1; r < d_; ++r) {
      // Scaled to the feature's mean square, so `ridge` counts pseudo-samples.
      // The tiny constant keeps a feature that is always zero (a series with
      // no weekly change) from making the system singular.
      a[r * d_ + r] *= 1.0 + ridge / static_cast<double>(samples_);
      a[r * d_ + r] += 1e-9;
    }
    if (!SolveSpd(std::move(a), b_, &coef)) coef.assign(d_, 0.0);
    return coef;
  }

 private:
  size_t d_;
  std::vector<double> a_, b_;
  size_t samples_ = 0;
};

}  // namespace

Result<std::vector<double>> PersistenceForecaster::Predict(const History& history, int horizon_h) const {
  double last = LastValue(history.intensity_g_per_kwh, history.size());
  if (std::isnan(last)) return NoValueBefore(history);
  return std::vector<double>(static_cast<size_t>(horizon_h), last);
}

Result<std::vector<double>> SeasonalNaiveForecaster::Predict(const History& history, int horizon_h) const {
  Values y = history.intensity_g_per_kwh;
  const size_t m = y.size();
  double last = LastValue(y, m);
  if (std::isnan(last)) return NoValueBefore(history);
  std::vector<double> out(static_cast<size_t>(horizon_h));
  for (size_t i = 0; i < out.size(); ++i) {
    double v = SeasonalValue(y, m, i, static_cast<size_t>(period_h_));
    out[i] = std::isnan(v) ? last : v;
  }
  return out;
}

Result<std::vector<double>> RegressionForecaster::Predict(const History& history, int horizon_h) const {
  Values y = history.intensity_g_per_kwh;
  const size_t n = y.size();
  if (std::isnan(LastValue(y, n))) return NoValueBefore(history);

  constexpr size_t kD = 4;  // intercept, last hour, last week, last day's mean
  // Features of lead i+1 from origin m, as corrections of the daily value D.
  // False when m knows too little to give them.
  auto features = [&](size_t m, size_t i, std::array<double, kD>* f, double* daily) {
    double last = LastValue(y, m);
    if (std::isnan(last)) return false;
    double d = SeasonalValue(y, m, i, kHoursPerDay);
    if (std::isnan(d)) d = last;
    double w = SeasonalValue(y, m, i, kHoursPerWeek);
    if (std::isnan(w)) w = d;
    double mean = MeanOfLastDay(y, m);
    if (std::isnan(mean)) mean = last;
    *f = {1.0, last - d, w - d, mean - d};
    *daily = d;
    return true;
  };

  std::vector<double> out(static_cast<size_t>(horizon_h));
  const size_t days = static_cast<size_t>(std::max(options_.training_days, 1));
  for (size_t i = 0; i < out.size(); ++i) {
    LeastSquares fit(kD);
    std::array<double, kD> f{};
    double d = 0;
    // Origins m = n - 24 k whose target m + i is already recorded at n.
    for (size_t k = i / kHoursPerDay + 1; k < i / kHoursPerDay + 1 + days; ++k) {
      if (kHoursPerDay * k >= n) break;
      const size_t m = n - kHoursPerDay * k;
      if (!std::isnan(y[m + i]) && features(m, i, &f, &d)) fit.Add(f.data(), y[m + i] - d);
    }
    std::vector<double> coef = fit.Solve(options_.ridge);
    features(n, i, &f, &d);  // cannot fail: n has a recorded value
    double correction = 0;
    for (size_t r = 0; r < kD; ++r) correction += coef[r] * f[r];
    out[i] = std::max(0.0, d + correction);
  }
  return out;
}

Result<std::vector<double>> AnomalyArForecaster::Predict(const History& history, int horizon_h) const {
  Values past = history.intensity_g_per_kwh;
  if (std::isnan(LastValue(past, past.size()))) return NoValueBefore(history);
  const size_t lags = static_cast<size_t>(std::max(options_.lags, 1));
  const size_t profile_days = static_cast<size_t>(std::max(options_.profile_days, 1));
  const size_t fit_hours = static_cast<size_t>(std::max(options_.training_days, 1)) * kHoursPerDay;

  // y: the window of the past the fit needs, gaps bridged, then room for the
  // forecast. The profile of hour t is the mean of y[t - 24 k], k = 1..days.
  const size_t window = std::min(past.size(), fit_hours + lags + profile_days * kHoursPerDay);
  const size_t n = window, h = static_cast<size_t>(horizon_h);
  std::vector<double> y(past.end() - static_cast<long>(window), past.end());
  y.resize(n + h, kNoValue);
  double last = kNoValue;
  for (size_t t = 0; t < n; ++t) {
    if (std::isnan(y[t])) y[t] = last;  // stays NaN before the first recorded value
    last = y[t];
  }
  auto profile = [&](size_t t) {
    double sum = 0;
    int count = 0;
    for (size_t k = 1; k <= profile_days && kHoursPerDay * k <= t; ++k) {
      double v = y[t - kHoursPerDay * k];
      if (!std::isnan(v)) {
        sum += v;
        ++count;
      }
    }
    return count > 0 ? sum / count : kNoValue;
  };
  std::vector<double> anomaly(n + h, kNoValue);
  for (size_t t = 0; t < n; ++t) anomaly[t] = y[t] - profile(t);

  LeastSquares fit(1 + lags);
  std::vector<double> f(1 + lags);
  f[0] = 1.0;
  for (size_t t = n - std::min(n, fit_hours); t < n; ++t) {
    if (t < lags || std::isnan(anomaly[t])) continue;
    bool complete = true;
    for (size_t k = 1; k <= lags; ++k) complete &= !std::isnan(f[k] = anomaly[t - k]);
    if (complete) fit.Add(f.data(), anomaly[t]);
  }
  const std::vector<double> coef = fit.Solve(options_.ridge);

  std::vector<double> out(h);
  for (size_t t = n; t < n + h; ++t) {
    double base = profile(t);
    if (std::isnan(base)) base = last;
    double a = coef[0];
    for (size_t k = 1; k <= lags && k <= t; ++k) {
      if (!std::isnan(anomaly[t - k])) a += coef[k] * anomaly[t - k];
    }
    y[t] = std::max(0.0, base + a);
    anomaly[t] = y[t] - base;
    out[t - n] = y[t];
  }
  return out;
}

Result<std::vector<double>> BlendForecaster::Predict(const History& history, int horizon_h) const {
  SUNWIND_ASSIGN_OR_RETURN(std::vector<double> a, regression_.Predict(history, horizon_h));
  SUNWIND_ASSIGN_OR_RETURN(std::vector<double> b, anomaly_ar_.Predict(history, horizon_h));
  for (size_t i = 0; i < a.size(); ++i) a[i] = (a[i] + b[i]) / 2;
  return a;
}

}  // namespace sunwind
