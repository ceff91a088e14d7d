#include "providers/trace_provider.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>

#include "core/csv.h"

namespace sunwind {
namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::sys_days;

std::string Dirname(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::set<int> CoveredYears(const std::vector<Sample>& samples) {
  std::map<int, long long> covered_s;
  std::vector<Duration> reach = SampleReach(samples);
  for (size_t i = 0; i < samples.size(); ++i) {
    TimePoint a = samples[i].time, b = a + reach[i];
    while (a < b) {
      int y = CalendarYear(a);
      TimePoint year_end = StartOfYear(y + 1);
      TimePoint stop = std::min(b, year_end);
      covered_s[y] += (stop - a).count();
      a = stop;
    }
  }
  std::set<int> years;
  for (auto [y, s] : covered_s) {
    long long year_s = (StartOfYear(y + 1) - StartOfYear(y)).count();
    if (s * 2 >= year_s) years.insert(y);
  }
  return years;
}

// First non-missing value per cell over the sources, in order.
std::vector<double> Merge(const std::vector<const TraceSource*>& sources, EmissionFactor factor,
                          TimePoint from, TimePoint to, Duration step, std::vector<int>* which) {
  std::vector<double> out;
  for (size_t s = 0; s < sources.size(); ++s) {
    std::vector<double> v = AlignToGrid(sources[s]->Samples(factor), from, to, step);
    if (out.empty()) {
      out.assign(v.size(), kNoValue);
      which->assign(v.size(), -1);
    }
    for (size_t i = 0; i < v.size(); ++i) {
      if (std::isnan(out[i]) && !std::isnan(v[i])) {
        out[i] = v[i];
        (*which)[i] = static_cast<int>(s);
      }
    }
  }
  return out;
}

// The day of `latest` with the same ISO week and weekday as `day`, kept
// inside that calendar year (ISO week 1 may begin in late December).
sys_days ReplayDay(sys_days day, int latest) {
  IsoWeekDate iso = ToIsoWeekDate(day);
  sys_days mapped = FromIsoWeekDate(latest, iso.week, iso.weekday);
  const sys_days first{floor<days>(StartOfYear(latest))}, after{floor<days>(StartOfYear(latest + 1))};
  while (mapped < first) mapped += days{7};
  while (mapped >= after) mapped -= days{7};
  return mapped;
}

std::string SourceLabel(const TraceSource& s, EmissionFactor factor) {
  if (!s.factor_known) return s.label + " (emission factor as given in the file)";
  return s.label + " (" + EmissionFactorName(factor) + ")";
}

}  // namespace

Result<std::unique_ptr<TraceProvider>> TraceProvider::FromManifest(const std::string& manifest_path) {
  SUNWIND_ASSIGN_OR_RETURN(std::string text, ReadFile(manifest_path));
  auto provider = std::make_unique<TraceProvider>();
  provider->manifest_dir_ = Dirname(manifest_path);
  try {
    YAML::Node root = YAML::Load(text);
    YAML::Node list = root["traces"];
    if (!list || !list.IsSequence()) {
      return Status::InvalidArgument(manifest_path + ": expected a top-level 'traces:' list");
    }
    for (const auto& e : list) {
      BundledTrace t;
      for (const char* key : {"file", "zone", "label"}) {
        if (!e[key] || !e[key].IsScalar() || e[key].Scalar().empty()) {
          return Status::InvalidArgument(manifest_path + ":" + std::to_string(e.Mark().line + 1) +
                                         ": field '" + key + "': missing");
        }
      }
      t.file = e["file"].Scalar();
      t.zone = e["zone"].Scalar();
      t.label = e["label"].Scalar();
      provider->bundled_.push_back(std::move(t));
    }
  } catch (const YAML::Exception& ex) {
    return Status::InvalidArgument(manifest_path + ":" + std::to_string(ex.mark.line + 1) + ": " + ex.msg);
  }
  return provider;
}

Status TraceProvider::AddUserTrace(const std::string& path, const std::string& default_zone,
                                   const std::string& value_column) {
  TraceReadOptions options;
  options.default_zone = default_zone;
  options.value_column = value_column;
  SUNWIND_ASSIGN_OR_RETURN(std::vector<ZoneTrace> traces, ReadTraceFile(path, options));
  for (auto& zt : traces) {
    auto src = std::make_unique<TraceSource>();
    src->zone = zt.zone;
    src->origin = path;
    src->label = "trace file " + path;
    src->factor_known = zt.factor_known;
    src->lifecycle = std::move(zt.lifecycle);
    src->direct = std::move(zt.direct);
    user_sources_[zt.zone].push_back(std::move(src));
  }
  return Status::Ok();
}

Status TraceProvider::LoadBundledZone(const std::string& zone) {
  if (!loaded_zones_.insert(zone).second) return Status::Ok();
  for (const auto& b : bundled_) {
    if (b.zone != zone) continue;
    TraceReadOptions options;
    options.default_zone = b.zone;
    std::string path = manifest_dir_ + "/" + b.file;
    auto traces = ReadTraceFile(path, options);
    if (!traces.ok()) return traces.status().WithContext("bundled trace");
    for (auto& zt : traces.value()) {
      if (zt.zone != zone) continue;  // the manifest names the zone a file is for
      auto src = std::make_unique<TraceSource>();
      src->zone = zone;
      src->origin = path;
      src->label = b.label;
      src->factor_known = zt.factor_known;
      src->lifecycle = std::move(zt.lifecycle);
      src->direct = std::move(zt.direct);
      bundled_sources_[zone].push_back(std::move(src));
    }
  }
  return Status::Ok();
}

Result<std::vector<const TraceSource*>> TraceProvider::SourcesFor(const std::string& zone, std::string* used_zone) {
  std::string z = zone;
  while (!z.empty()) {
    std::vector<const TraceSource*> out;
    if (auto it = user_sources_.find(z); it != user_sources_.end()) {
      for (const auto& s : it->second) out.push_back(s.get());
    } else {
      SUNWIND_RETURN_IF_ERROR(LoadBundledZone(z));
      if (auto jt = bundled_sources_.find(z); jt != bundled_sources_.end()) {
        for (const auto& s : jt->second) out.push_back(s.get());
      }
    }
    if (!out.empty()) {
      *used_zone = z;
      return out;
    }
    auto dash = z.find_last_of('-');
    z = dash == std::string::npos ? "" : z.substr(0, dash);
  }
  return Status::NotFound("no trace for zone '" + zone + "'");
}

std::set<int> TraceProvider::YearsWithData(const std::string& zone, EmissionFactor factor) {
  std::string used;
  auto sources = SourcesFor(zone, &used);
  std::set<int> years;
  if (!sources.ok()) return years;
  for (const auto* s : sources.value()) {
    auto y = CoveredYears(s->Samples(factor));
    years.insert(y.begin(), y.end());
  }
  return years;
}

std::vector<std::string> TraceProvider::Zones() const {
  std::set<std::string> zones;
  for (const auto& b : bundled_) zones.insert(b.zone);
  for (const auto& [z, _] : user_sources_) zones.insert(z);
  return {zones.begin(), zones.end()};
}

std::vector<std::string> TraceProvider::UserZones() const {
  std::vector<std::string> zones;
  for (const auto& [z, _] : user_sources_) zones.push_back(z);
  return zones;
}

Result<IntensitySeries> TraceProvider::Intensity(const IntensityQuery& q) {
  if (q.to <= q.from || q.step.count() <= 0) {
    return Status::InvalidArgument("empty or reversed time range for zone '" + q.zone + "'");
  }
  std::string used_zone;
  SUNWIND_ASSIGN_OR_RETURN(std::vector<const TraceSource*> all, SourcesFor(q.zone, &used_zone));
  std::vector<const TraceSource*> sources;
  for (const auto* s : all) {
    if (!s->Samples(q.factor).empty()) sources.push_back(s);
  }
  if (sources.empty()) {
    return Status::NotFound("the traces of zone '" + used_zone + "' have no " + EmissionFactorName(q.factor) +
                            " intensity");
  }
  std::string parent_note = used_zone == q.zone ? "" : "trace of the enclosing zone " + used_zone;

  std::vector<int> which;
  std::vector<double> values = Merge(sources, q.factor, q.from, q.to, q.step, &which);
  std::set<int> years;
  for (const auto* s : sources) {
    auto y = CoveredYears(s->Samples(q.factor));
    years.insert(y.begin(), y.end());
  }

  IntensitySeries series;
  series.start = q.from;
  series.step = q.step;
  series.values.reserve(values.size());
  const int latest = years.empty() ? 0 : *years.rbegin();

  for (size_t i = 0; i < values.size();) {
    TimePoint t = series.TimeAt(i);
    if (!std::isnan(values[i])) {
      series.Append(values[i], PointKind::kMeasured, SourceLabel(*sources[which[i]], q.factor), parent_note);
      ++i;
      continue;
    }
    if (years.empty() || years.count(CalendarYear(t))) {
      series.Append(kNoValue, PointKind::kMissing, "", "no recorded value");  // a real gap
      ++i;
      continue;
    }
    // Replay: map the run of cells that share one day offset onto the latest year.
    sys_days day = floor<days>(t);
    auto offset = ReplayDay(day, latest) - day;
    size_t j = i;
    while (j < values.size() && std::isnan(values[j])) {
      TimePoint tj = series.TimeAt(j);
      if (years.count(CalendarYear(tj))) break;
      sys_days dj = floor<days>(tj);
      if (ReplayDay(dj, latest) - dj != offset) break;
      ++j;
    }
    std::vector<int> which_replayed;
    std::vector<double> replayed = Merge(sources, q.factor, t + offset, series.TimeAt(j) + offset, q.step, &which_replayed);
    std::string note = "replayed from " + std::to_string(latest) + ", the latest year with data (same ISO week, weekday and hour)";
    if (!parent_note.empty()) note += "; " + parent_note;
    for (size_t k = 0; k < replayed.size(); ++k) {
      if (std::isnan(replayed[k])) {
        series.Append(kNoValue, PointKind::kMissing, "", "no recorded value to replay");
      } else {
        series.Append(replayed[k], PointKind::kReplayed, SourceLabel(*sources[which_replayed[k]], q.factor), note);
      }
    }
    i = j;
  }
  return series;
}

}  // namespace sunwind
