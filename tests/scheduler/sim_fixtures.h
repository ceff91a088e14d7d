// Small worlds for the scheduler core's tests: regions, hourly series, jobs.
#ifndef SUNWIND_TESTS_SCHEDULER_SIM_FIXTURES_H_
#define SUNWIND_TESTS_SCHEDULER_SIM_FIXTURES_H_

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/time.h"
#include "regions/region.h"
#include "scheduler/grid.h"
#include "scheduler/job.h"

namespace sunwind::testing {

inline constexpr Duration kHour{3600};
inline TimePoint T0() { return *ParseTime("2020-03-02T00:00Z"); }  // a Monday
inline TimePoint H(long long hours) { return T0() + kHour * hours; }

inline std::unique_ptr<Region> MakeRegion(const std::string& id, const std::string& zone, double pue = 1.0) {
  auto r = std::make_unique<Region>();
  r->id = id;
  r->zone = zone;
  r->pue = pue;
  return r;
}

// Hourly measured series from `start`.
inline IntensitySeries Series(TimePoint start, const std::vector<double>& values) {
  IntensitySeries s;
  s.start = start;
  s.step = kHour;
  for (double v : values) s.Append(v, PointKind::kMeasured, "test");
  return s;
}

// A daily wave with noise: what seasonal-naive forecasts well.
inline std::vector<double> DailyWave(size_t hours, double mean, double amplitude, double noise, unsigned seed,
                                     double phase_h = 0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n(0, noise);
  std::vector<double> v(hours);
  for (size_t i = 0; i < hours; ++i) {
    v[i] = std::max(1.0, mean + amplitude * std::sin(2 * M_PI * (static_cast<double>(i) + phase_h) / 24.0) + n(rng));
  }
  return v;
}

inline JobSpec Job(const std::string& id, long long submit_h, long long duration_h, long long deadline_h,
                   const Region* home, bool interruptible = false) {
  JobSpec j;
  j.id = id;
  j.submit = H(submit_h);
  j.duration = kHour * duration_h;
  j.deadline = H(deadline_h);
  j.power_w = 1000;
  j.interruptible = interruptible;
  j.home_region = home;
  j.allowed_regions = {home};
  return j;
}

}  // namespace sunwind::testing

#endif  // SUNWIND_TESTS_SCHEDULER_SIM_FIXTURES_H_
