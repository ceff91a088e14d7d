#include "core/series.h"

#include <algorithm>

namespace sunwind {

const char* PointKindName(PointKind kind) {
  switch (kind) {
    case PointKind::kMeasured: return "measured";
    case PointKind::kForecast: return "forecast";
    case PointKind::kEstimated: return "estimated";
    case PointKind::kReplayed: return "replayed";
    case PointKind::kMissing: return "missing";
  }
  return "unknown";
}

const char* SignalName(Signal signal) {
  return signal == Signal::kMarginal ? "marginal" : "average";
}

const Provenance& IntensitySeries::ProvenanceAt(size_t i) const {
  auto it = std::upper_bound(provenance.begin(), provenance.end(), i,
                             [](size_t idx, const Provenance& p) { return idx < p.begin; });
  return *(it - 1);
}

void IntensitySeries::Append(double value, PointKind kind, const std::string& source,
                             const std::string& note) {
  if (std::isnan(value)) kind = PointKind::kMissing;
  if (provenance.empty() || provenance.back().kind != kind || provenance.back().source != source ||
      provenance.back().note != note) {
    provenance.push_back({values.size(), kind, source, note});
  }
  values.push_back(value);
}

IntensitySeries Head(const IntensitySeries& series, size_t n) {
  IntensitySeries out;
  out.start = series.start;
  out.step = series.step;
  out.signal = series.signal;
  n = std::min(n, series.values.size());
  out.values.assign(series.values.begin(), series.values.begin() + static_cast<std::ptrdiff_t>(n));
  for (const Provenance& p : series.provenance) {
    if (p.begin < n || (n == 0 && p.begin == 0)) out.provenance.push_back(p);
  }
  return out;
}

std::vector<Gap> FindGaps(const IntensitySeries& series) {
  std::vector<Gap> gaps;
  for (size_t i = 0; i < series.size();) {
    if (!series.IsMissing(i)) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < series.size() && series.IsMissing(j)) ++j;
    gaps.push_back({series.TimeAt(i), series.TimeAt(j)});
    i = j;
  }
  return gaps;
}

std::vector<Duration> SampleReach(const std::vector<Sample>& s) {
  const size_t n = s.size();
  std::vector<Duration> reach(n, Duration{0});
  if (n == 0) return reach;
  if (n == 1) {
    reach[0] = Duration{3600};  // a lone point: assume the common hourly resolution
    return reach;
  }
  for (size_t i = 0; i < n; ++i) {
    if (i + 1 == n) {
      // The last point: as long as the spacing before it, unless that spacing
      // is itself a gap (longer than the one before it).
      reach[i] = s[i].time - s[i - 1].time;
      if (i >= 2) reach[i] = std::min(reach[i], s[i - 1].time - s[i - 2].time);
      continue;
    }
    Duration next = s[i + 1].time - s[i].time;
    Duration resolution{0};
    if (i > 0) resolution = std::max(resolution, s[i].time - s[i - 1].time);
    if (i + 2 < n) resolution = std::max(resolution, s[i + 2].time - s[i + 1].time);
    reach[i] = resolution.count() > 0 ? std::min(next, resolution) : next;
  }
  return reach;
}

std::vector<double> AlignToGrid(const std::vector<Sample>& samples, TimePoint from, TimePoint to,
                                Duration step) {
  std::vector<double> out;
  if (to <= from || step.count() <= 0) return out;
  const size_t cells = static_cast<size_t>((to - from + step - Duration{1}) / step);
  out.assign(cells, kNoValue);
  std::vector<Duration> reach = SampleReach(samples);
  // The first sample that could overlap the grid.
  size_t k = std::lower_bound(samples.begin(), samples.end(), from,
                              [](const Sample& a, TimePoint t) { return a.time < t; }) -
             samples.begin();
  if (k > 0) --k;
  for (size_t c = 0; c < cells; ++c) {
    TimePoint lo = from + step * static_cast<long long>(c);
    TimePoint hi = std::min(lo + step, to);
    while (k < samples.size() && samples[k].time + reach[k] <= lo) ++k;
    double weighted = 0;
    long long covered = 0;
    for (size_t j = k; j < samples.size() && samples[j].time < hi; ++j) {
      TimePoint a = std::max(lo, samples[j].time);
      TimePoint b = std::min(hi, samples[j].time + reach[j]);
      if (b <= a) continue;
      long long w = (b - a).count();
      weighted += samples[j].value * static_cast<double>(w);
      covered += w;
    }
    if (covered == (hi - lo).count()) out[c] = weighted / static_cast<double>(covered);
  }
  return out;
}

}  // namespace sunwind
