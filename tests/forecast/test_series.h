// Small hourly series the forecast tests build by hand.
#ifndef SUNWIND_TESTS_FORECAST_TEST_SERIES_H_
#define SUNWIND_TESTS_FORECAST_TEST_SERIES_H_

#include <chrono>
#include <cmath>
#include <vector>

#include "core/series.h"
#include "core/time.h"

namespace sunwind::testing {

// 2022-03-01T00:00:00Z: where every hand-built series starts.
inline const TimePoint kT0 = TimePoint{std::chrono::sys_days{std::chrono::year{2022} / 3 / 1}};

// Hourly measured values from kT0; NaN values become gaps.
inline IntensitySeries Hourly(const std::vector<double>& values) {
  IntensitySeries s;
  s.start = kT0;
  s.step = std::chrono::hours(1);
  for (double v : values) s.Append(v, PointKind::kMeasured, "test");
  return s;
}

// A pure daily cycle: 300 ± 100 g/kWh.
inline double DailySine(size_t hour) { return 300 + 100 * std::sin(2 * M_PI * static_cast<double>(hour % 24) / 24); }

}  // namespace sunwind::testing

#endif  // SUNWIND_TESTS_FORECAST_TEST_SERIES_H_
