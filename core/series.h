// Carbon-intensity time series on a fixed grid, and the alignment of raw,
// irregular samples onto such a grid.
#ifndef SUNWIND_CORE_SERIES_H_
#define SUNWIND_CORE_SERIES_H_

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace sunwind {

// Where a value came from. Every number sunwind prints says which it is.
enum class PointKind : unsigned char {
  kMeasured,   // recorded by the grid operator / data provider for that very time
  kForecast,   // predicted before that time
  kEstimated,  // a yearly or country average standing in for the real value
  kReplayed,   // a recorded value from another year, mapped onto this time
  kMissing,    // no data: a gap, never filled with zeros
};
const char* PointKindName(PointKind kind);

// Average intensity (what Electricity Maps reports) and marginal intensity
// (WattTime's MOER) answer different questions and are never mixed silently.
enum class Signal : unsigned char { kAverage, kMarginal };
const char* SignalName(Signal signal);

// A run of consecutive points that share a kind and a source.
struct Provenance {
  size_t begin;        // index of the first point of the run
  PointKind kind;
  std::string source;  // provider or data set, e.g. "Electricity Maps DE 2022 (LCA)"
  std::string note;    // e.g. "replayed from 2022 (same ISO week, weekday and hour)"
};

inline constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

// Values in gCO2eq/kWh at start + i*step, each the mean over [t, t+step).
// A missing point holds NaN and kind kMissing.
struct IntensitySeries {
  TimePoint start{};
  Duration step{3600};
  std::vector<double> values;
  std::vector<Provenance> provenance;  // sorted by begin; the first begins at 0
  Signal signal = Signal::kAverage;

  size_t size() const { return values.size(); }
  TimePoint TimeAt(size_t i) const { return start + step * static_cast<long long>(i); }
  TimePoint end() const { return TimeAt(values.size()); }
  bool IsMissing(size_t i) const { return std::isnan(values[i]); }
  // The provenance run that holds point i.
  const Provenance& ProvenanceAt(size_t i) const;
  // Appends a point, extending the last provenance run or starting a new one.
  void Append(double value, PointKind kind, const std::string& source, const std::string& note = "");
};

// The first `n` points of `series` (all of them when it has fewer), with
// their provenance.
IntensitySeries Head(const IntensitySeries& series, size_t n);

struct Gap {
  TimePoint from;
  TimePoint to;
};
// Maximal runs of missing points.
std::vector<Gap> FindGaps(const IntensitySeries& series);

// One raw observation: the value applies from `time` until the next sample
// (see AlignToGrid for how far a sample may reach).
struct Sample {
  TimePoint time;
  double value;
};

// Resamples raw samples (sorted by time, any mix of resolutions) onto the grid
// [from, to) with the given step, as time-weighted means. Each sample covers
// [t_i, t_i + d_i) with d_i = min(next gap, local resolution), where the local
// resolution is the larger of the spacing before and the spacing after the
// next sample. So a missing hour in an hourly series stays missing while a
// series that turns from 15- to 60-minute points is not torn. A grid cell not
// fully covered is missing (NaN). Returns the values only; callers add
// provenance.
std::vector<double> AlignToGrid(const std::vector<Sample>& samples, TimePoint from, TimePoint to,
                                Duration step);

// The interval each sample covers under the rule above, for callers that need
// to know what is covered without resampling.
std::vector<Duration> SampleReach(const std::vector<Sample>& samples);

}  // namespace sunwind

#endif  // SUNWIND_CORE_SERIES_H_
