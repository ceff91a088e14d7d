#include "scheduler/grid.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <span>

#include "forecast/backtest.h"

namespace sunwind {
namespace {

// [now, to) of `s` as a series of its own; shorter where s ends.
IntensitySeries Slice(const IntensitySeries& s, TimePoint now, TimePoint to, PointKind kind, const std::string& source) {
  IntensitySeries out;
  out.start = now;
  out.step = s.step;
  out.signal = s.signal;
  if (now < s.start) return out;
  for (size_t i = static_cast<size_t>((now - s.start) / s.step); i < s.size() && s.TimeAt(i) < to; ++i) {
    out.Append(s.values[i], kind, source);
  }
  return out;
}

Status CheckOnTheHour(TimePoint now) {
  if (FloorTo(now, kForecastStep) != now) {
    return Status::InvalidArgument("intensity view: decisions are made on the hour, not at " + FormatTime(now));
  }
  return Status::Ok();
}

}  // namespace

Status GridData::Add(const std::string& zone, const IntensitySeries& fetched) {
  if (fetched.step != kForecastStep || FloorTo(fetched.start, kForecastStep) != fetched.start) {
    return Status::InvalidArgument("grid data for " + zone + ": must be hourly and start on the hour");
  }
  Zone z;
  z.actual.start = z.recorded.start = fetched.start;
  z.actual.step = z.recorded.step = fetched.step;
  z.actual.signal = z.recorded.signal = fetched.signal;
  double last = kNoValue;
  for (size_t i = 0; i < fetched.size(); ++i) {
    if (!fetched.IsMissing(i)) {
      last = fetched.values[i];
      break;
    }
  }
  if (std::isnan(last)) {
    return Status(StatusCode::kFailedPrecondition, "grid data for " + zone + ": no value from " +
                                                       FormatTime(fetched.start) + " to " + FormatTime(fetched.end()));
  }
  for (size_t i = 0; i < fetched.size(); ++i) {
    const Provenance& p = fetched.ProvenanceAt(i);
    if (fetched.IsMissing(i)) {
      z.actual.Append(last, PointKind::kEstimated, "bridged gap", "last known value");
      ++z.bridged_hours;
    } else {
      last = fetched.values[i];
      z.actual.Append(last, p.kind, p.source, p.note);
    }
    const bool recorded = (p.kind == PointKind::kMeasured || p.kind == PointKind::kReplayed) && !fetched.IsMissing(i);
    z.recorded.Append(recorded ? fetched.values[i] : kNoValue, recorded ? p.kind : PointKind::kMissing,
                      recorded ? p.source : "");
  }
  zones_[zone] = std::move(z);
  return Status::Ok();
}

const IntensitySeries* GridData::Actual(const std::string& zone) const {
  auto it = zones_.find(zone);
  return it == zones_.end() ? nullptr : &it->second.actual;
}

const IntensitySeries* GridData::Recorded(const std::string& zone) const {
  auto it = zones_.find(zone);
  return it == zones_.end() ? nullptr : &it->second.recorded;
}

double GridData::At(const std::string& zone, TimePoint t) const {
  const IntensitySeries* s = Actual(zone);
  if (!s || t < s->start || t >= s->end()) return kNoValue;
  return s->values[static_cast<size_t>((t - s->start) / s->step)];
}

int GridData::BridgedHours(const std::string& zone) const {
  auto it = zones_.find(zone);
  return it == zones_.end() ? 0 : it->second.bridged_hours;
}

Result<RegionSeries> ActualView::Ahead(const Region* region, TimePoint now, TimePoint to) {
  SUNWIND_RETURN_IF_ERROR(CheckOnTheHour(now));
  const IntensitySeries* s = grid_.Actual(region->zone);
  if (!s) return Status::NotFound("no grid data for zone " + region->zone + " (" + region->id + ")");
  return RegionSeries{region, Slice(*s, now, to, PointKind::kMeasured, "actual (perfect foresight)")};
}

Result<RegionSeries> ForecastView::Ahead(const Region* region, TimePoint now, TimePoint to) {
  SUNWIND_RETURN_IF_ERROR(CheckOnTheHour(now));
  const IntensitySeries* recorded = grid_.Recorded(region->zone);
  const IntensitySeries* actual = grid_.Actual(region->zone);
  if (!recorded || !actual) return Status::NotFound("no grid data for zone " + region->zone + " (" + region->id + ")");
  // The history a forecast made at `now` may see: the recorded hours before it.
  const TimePoint from = std::max(recorded->start, now - kLookback);
  if (now <= from) return Status(StatusCode::kFailedPrecondition, "no history before " + FormatTime(now));
  const size_t i0 = static_cast<size_t>((from - recorded->start) / recorded->step);
  const size_t i1 = std::min(recorded->size(), static_cast<size_t>((now - recorded->start) / recorded->step));
  std::span<const double> past(recorded->values.data() + i0, i1 - i0);
  if (std::all_of(past.begin(), past.end(), [](double v) { return std::isnan(v); })) {
    // Nothing recorded: the zone's data is an estimate that no model improves.
    return RegionSeries{region, Slice(*actual, now, to, PointKind::kEstimated, "no recorded history")};
  }
  const long long wanted_h = std::max<long long>(horizon_ / kForecastStep, (to - now + kForecastStep - Duration{1}) / kForecastStep);
  Made& made = last_[region->zone];
  if (made.origin != now || static_cast<long long>(made.values.size()) < wanted_h) {
    // Score the previous forecast on the hours that have passed since it.
    if (made.origin < now && !made.values.empty()) {
      for (size_t i = 0; i < made.values.size() && made.origin + kForecastStep * static_cast<long long>(i) < now; ++i) {
        const TimePoint t = made.origin + kForecastStep * static_cast<long long>(i);
        if (t < recorded->start) continue;
        const auto at = static_cast<size_t>((t - recorded->start) / recorded->step);
        if (at >= recorded->size() || std::isnan(recorded->values[at]) || std::isnan(made.values[i])) continue;
        made.abs_error_sum += std::fabs(made.values[i] - recorded->values[at]);
        ++made.scored;
      }
    }
    if (auto_) SUNWIND_RETURN_IF_ERROR(Choose(region->zone, *recorded, now, made));
    SUNWIND_ASSIGN_OR_RETURN(made.values,
                             models_[made.model]->Predict(History{from, past}, static_cast<int>(wanted_h)));
    made.origin = now;
  }
  IntensitySeries out;
  out.start = now;
  out.step = kForecastStep;
  out.signal = actual->signal;
  const std::string source = (auto_ ? "auto (" + models_[made.model]->Name() + ")" : models_[made.model]->Name()) +
                             " forecast made at " + FormatTime(now);
  for (long long i = 0; i < wanted_h && now + kForecastStep * i < to; ++i) {
    out.Append(made.values[static_cast<size_t>(i)], PointKind::kForecast, source);
  }
  return RegionSeries{region, std::move(out)};
}

Status ForecastView::Choose(const std::string& zone, const IntensitySeries& recorded, TimePoint now, Made& made) {
  if (made.chosen && now - made.chosen_at < kRechooseEvery) return Status::Ok();
  made.chosen = true;
  made.chosen_at = now;
  std::vector<const Forecaster*> models;
  for (const auto& m : models_) models.push_back(m.get());
  BacktestOptions bo;
  bo.first_origin = now - Duration{24 * 3600} * (kChoiceDays + 1);
  bo.to = now;
  bo.horizons_h = {24};
  auto bt = RunBacktest(models, recorded, bo);
  // Too little history to judge (the first weeks of the data): the first
  // model until there is.
  if (!bt.ok()) {
    made.model = 0;
    made.chosen = false;
    return Status::Ok();
  }
  auto choice = PickModel(Summarize(*bt, bo.horizons_h), 24);
  if (!choice.ok()) return Status::Ok();
  for (size_t i = 0; i < models_.size(); ++i) {
    if (models_[i]->Name() == choice->model) made.model = i;
  }
  return Status::Ok();
}

double ForecastView::MeanAbsError(const Region* region) const {
  auto it = last_.find(region->zone);
  return it == last_.end() || it->second.scored == 0 ? 0.0 : it->second.abs_error_sum / it->second.scored;
}

double NoisyView::MeanAbsError(const Region* region) const {
  const IntensitySeries* s = grid_.Actual(region->zone);
  if (!s || s->size() == 0) return 0;
  double mean = 0;
  for (double v : s->values) mean += v;
  mean /= static_cast<double>(s->size());
  return error_ * mean * std::sqrt(2.0 / std::acos(-1.0));
}

std::map<std::string, std::string> ForecastView::Choices() const {
  std::map<std::string, std::string> out;
  if (!auto_) return out;
  for (const auto& [zone, made] : last_) out[zone] = models_[made.model]->Name();
  return out;
}

std::string NoisyView::Name() const {
  char buf[48];
  std::snprintf(buf, sizeof buf, "noise:%g%%", error_ * 100);
  return buf;
}

Result<RegionSeries> NoisyView::Ahead(const Region* region, TimePoint now, TimePoint to) {
  SUNWIND_RETURN_IF_ERROR(CheckOnTheHour(now));
  auto it = noisy_.find(region->zone);
  if (it == noisy_.end()) {
    const IntensitySeries* s = grid_.Actual(region->zone);
    if (!s) return Status::NotFound("no grid data for zone " + region->zone + " (" + region->id + ")");
    double mean = 0;
    for (double v : s->values) mean += v;
    mean /= static_cast<double>(std::max<size_t>(1, s->size()));
    // One stream per zone, so adding a zone does not change another's noise.
    std::seed_seq seq{seed_, static_cast<unsigned>(std::hash<std::string>{}(region->zone))};
    std::mt19937_64 rng(seq);
    std::normal_distribution<double> noise(0.0, error_ * mean);
    IntensitySeries n;
    n.start = s->start;
    n.step = s->step;
    n.signal = s->signal;
    for (double v : s->values) n.Append(std::max(0.0, v + noise(rng)), PointKind::kForecast, Name() + " forecast");
    it = noisy_.emplace(region->zone, std::move(n)).first;
  }
  return RegionSeries{region, Slice(it->second, now, to, PointKind::kForecast, Name() + " forecast")};
}

Result<std::unique_ptr<IntensityView>> MakeView(const std::string& forecast, const GridData& grid, Duration horizon,
                                                unsigned seed) {
  if (forecast == "oracle") return std::unique_ptr<IntensityView>(std::make_unique<ActualView>(grid));
  if (forecast.rfind("noise:", 0) == 0) {
    std::string text = forecast.substr(6);
    bool pct = !text.empty() && text.back() == '%';
    if (pct) text.pop_back();
    char* end = nullptr;
    double e = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !(e >= 0)) {
      return Status::InvalidArgument("--forecast: '" + forecast + "': expected noise:5% or noise:0.05");
    }
    return std::unique_ptr<IntensityView>(std::make_unique<NoisyView>(grid, pct ? e / 100 : e, seed));
  }
  if (forecast == "auto") {
    std::vector<std::unique_ptr<Forecaster>> models;
    for (const auto& name : ForecastModelNames()) {
      SUNWIND_ASSIGN_OR_RETURN(auto m, MakeForecaster(name));
      models.push_back(std::move(m));
    }
    return std::unique_ptr<IntensityView>(std::make_unique<ForecastView>(grid, std::move(models), horizon));
  }
  auto model = MakeForecaster(forecast);
  if (!model.ok()) return model.status().WithContext("--forecast");
  return std::unique_ptr<IntensityView>(std::make_unique<ForecastView>(grid, std::move(model).value(), horizon));
}

}  // namespace sunwind
