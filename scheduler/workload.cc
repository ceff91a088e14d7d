#include "scheduler/workload.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "core/units.h"

namespace sunwind {
namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::sys_days;

constexpr Duration kHour{3600};

// ISO weekday, 1 = Monday .. 7 = Sunday.
unsigned Weekday(sys_days d) { return std::chrono::weekday(d).iso_encoding(); }

// 09:00 of the first day at or after `day` that `accept` takes.
TimePoint MorningOf(sys_days day, bool (*accept)(unsigned)) {
  while (!accept(Weekday(day))) day += days{1};
  return TimePoint(day) + 9 * kHour;
}

bool IsWorkday(unsigned wd) { return wd <= 5; }
bool IsMondayOrThursday(unsigned wd) { return wd == 1 || wd == 4; }

// Errors name where in the file they are.
struct Context {
  std::string where;
  Status Error(const std::string& field, const std::string& what) const {
    return Status::InvalidArgument(where + ": " + field + ": " + what);
  }
};

std::string Scalar(const YAML::Node& n) { return n.IsScalar() ? n.Scalar() : std::string(); }

Result<Duration> DurationField(const YAML::Node& n, const std::string& field, const Context& c, bool allow_zero) {
  auto d = ParseDuration(Scalar(n), allow_zero);
  if (!d.ok()) return c.Error(field, d.status().message());
  return *d;
}

Result<double> PowerField(const YAML::Node& n, const std::string& field, const Context& c) {
  auto p = ParsePowerW(Scalar(n));
  if (!p.ok()) return c.Error(field, p.status().message());
  if (!(*p > 0)) return c.Error(field, "must be positive");
  return *p;
}

// A value or {min, max} range, parsed by `parse`.
template <typename T, typename Parse>
Status RangeField(const YAML::Node& n, const std::string& field, const Context& c, Parse parse, T* lo, T* hi) {
  if (!n) return c.Error(field, "required");
  if (n.IsMap()) {
    SUNWIND_ASSIGN_OR_RETURN(*lo, parse(n["min"], field + ".min", c));
    SUNWIND_ASSIGN_OR_RETURN(*hi, parse(n["max"], field + ".max", c));
    if (*hi < *lo) return c.Error(field, "max is below min");
    return Status::Ok();
  }
  SUNWIND_ASSIGN_OR_RETURN(*lo, parse(n, field, c));
  *hi = *lo;
  return Status::Ok();
}

// What a job and a generator share: power, interruption, regions.
Status ReadCommon(const YAML::Node& n, const Context& c, const RegionResolver& resolve, JobSpec* job) {
  if (auto v = n["min_chunk"]) {
    SUNWIND_ASSIGN_OR_RETURN(job->min_chunk, DurationField(v, "min_chunk", c, true));
  }
  if (auto v = n["checkpoint_overhead"]) {
    SUNWIND_ASSIGN_OR_RETURN(job->checkpoint_overhead, DurationField(v, "checkpoint_overhead", c, true));
  }
  if (!n["home_region"]) return c.Error("home_region", "required, a catalogue id such as aws:eu-central-1");
  auto home = resolve(Scalar(n["home_region"]));
  if (!home.ok()) return c.Error("home_region", home.status().message());
  job->home_region = *home;
  job->allowed_regions.clear();
  if (auto list = n["allowed_regions"]) {
    if (!list.IsSequence()) return c.Error("allowed_regions", "must be a list of region ids");
    for (const auto& item : list) {
      auto r = resolve(Scalar(item));
      if (!r.ok()) return c.Error("allowed_regions", r.status().message());
      if (std::find(job->allowed_regions.begin(), job->allowed_regions.end(), *r) == job->allowed_regions.end()) {
        job->allowed_regions.push_back(*r);
      }
    }
  }
  // The home region is always allowed: run-now runs there.
  if (std::find(job->allowed_regions.begin(), job->allowed_regions.end(), job->home_region) == job->allowed_regions.end()) {
    job->allowed_regions.insert(job->allowed_regions.begin(), job->home_region);
  }
  return Status::Ok();
}

Result<TimePoint> Deadline(const YAML::Node& n, const Context& c, TimePoint submit, Duration duration) {
  if (!n) return c.Error("deadline", "required: a time, +24h, next-workday or semi-weekly");
  std::string text = Scalar(n);
  auto rule = ApplyDeadlineRule(text, submit, duration);
  if (rule.ok()) return *rule;
  auto t = ParseTime(text);
  if (!t.ok()) return c.Error("deadline", rule.status().message());
  if (*t < submit + duration) {
    return c.Error("deadline", FormatTime(*t) + " leaves less than the job's " + FormatDuration(duration) +
                                   " after its submission at " + FormatTime(submit));
  }
  return *t;
}

Result<JobSpec> ReadJob(const YAML::Node& n, const Context& c, const RegionResolver& resolve) {
  JobSpec job;
  if (!n["id"]) return c.Error("id", "required");
  job.id = Scalar(n["id"]);
  auto submit = ParseTime(Scalar(n["submit"]));
  if (!submit.ok()) return c.Error("submit", submit.status().message());
  job.submit = *submit;
  SUNWIND_ASSIGN_OR_RETURN(job.duration, DurationField(n["duration"], "duration", c, false));
  if (n["power"]) {
    SUNWIND_ASSIGN_OR_RETURN(job.power_w, PowerField(n["power"], "power", c));
  }
  job.interruptible = n["interruptible"] && n["interruptible"].as<bool>();
  SUNWIND_RETURN_IF_ERROR(ReadCommon(n, c, resolve, &job));
  SUNWIND_ASSIGN_OR_RETURN(job.deadline, Deadline(n["deadline"], c, job.submit, job.duration));
  return job;
}

Result<std::vector<bool>> Days(const YAML::Node& n, const Context& c) {
  std::vector<bool> ok(8, false);  // by ISO weekday
  std::string text = n ? Scalar(n) : "all";
  if (text == "all") {
    std::fill(ok.begin() + 1, ok.end(), true);
  } else if (text == "weekdays") {
    std::fill(ok.begin() + 1, ok.begin() + 6, true);
  } else if (text == "weekends") {
    ok[6] = ok[7] = true;
  } else {
    static const char* kNames[] = {"", "mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    std::stringstream ss(text);
    std::string day;
    while (std::getline(ss, day, ',')) {
      day.erase(std::remove(day.begin(), day.end(), ' '), day.end());
      auto it = std::find_if(std::begin(kNames) + 1, std::end(kNames), [&](const char* k) { return day == k; });
      if (it == std::end(kNames)) return c.Error("days", "'" + day + "' is not all, weekdays, weekends or mon..sun");
      ok[static_cast<size_t>(it - std::begin(kNames))] = true;
    }
  }
  return ok;
}

Status Hours(const YAML::Node& n, const Context& c, int* lo, int* hi) {
  std::string text = n ? Scalar(n) : "00-24";
  int a = 0, b = 0;
  char dash = 0;
  std::stringstream ss(text);
  if (!(ss >> a >> dash >> b) || dash != '-' || a < 0 || b > 24 || a >= b) {
    return c.Error("hours", "'" + text + "': expected HH-HH such as 09-17 (arrivals from 09:00 until before 17:00)");
  }
  *lo = a;
  *hi = b;
  return Status::Ok();
}

Status Generate(const YAML::Node& n, const Context& c, const RegionResolver& resolve, TimePoint from, TimePoint to,
                unsigned seed, std::vector<JobSpec>* out) {
  const std::string name = n["name"] ? Scalar(n["name"]) : "job";
  JobSpec base;
  SUNWIND_RETURN_IF_ERROR(ReadCommon(n, c, resolve, &base));
  Duration d_lo{0}, d_hi{0};
  SUNWIND_RETURN_IF_ERROR(RangeField<Duration>(
      n["duration"], "duration", c,
      [](const YAML::Node& v, const std::string& f, const Context& cc) { return DurationField(v, f, cc, false); }, &d_lo,
      &d_hi));
  double p_lo = 1000, p_hi = 1000;
  if (n["power"]) SUNWIND_RETURN_IF_ERROR(RangeField<double>(n["power"], "power", c, PowerField, &p_lo, &p_hi));
  const double share = n["interruptible_share"] ? n["interruptible_share"].as<double>() : 0.0;
  if (share < 0 || share > 1) return c.Error("interruptible_share", "must be between 0 and 1");
  if (!n["deadline"]) return c.Error("deadline", "required: +24h, next-workday or semi-weekly");
  const std::string rule = Scalar(n["deadline"]);
  if (auto probe = ApplyDeadlineRule(rule, from, d_lo); !probe.ok()) return c.Error("deadline", probe.status().message());
  SUNWIND_ASSIGN_OR_RETURN(std::vector<bool> day_ok, Days(n["days"], c));
  int h_lo = 0, h_hi = 24;
  SUNWIND_RETURN_IF_ERROR(Hours(n["hours"], c, &h_lo, &h_hi));

  // Every hour in [from, to) an arrival may fall on.
  std::vector<TimePoint> slots;
  for (TimePoint t = FloorTo(from, kHour); t < to; t += kHour) {
    if (t < from) continue;
    const sys_days day = floor<days>(t);
    const long long hour = (t - TimePoint(day)) / kHour;
    if (day_ok[Weekday(day)] && hour >= h_lo && hour < h_hi) slots.push_back(t);
  }
  std::mt19937_64 rng(seed);
  std::vector<TimePoint> arrivals;
  if (n["count"]) {
    const long count = n["count"].as<long>();
    if (count < 0) return c.Error("count", "must not be negative");
    if (count > 0 && slots.empty()) return c.Error("days", "no arrival hour falls in the simulated period");
    std::uniform_int_distribution<size_t> pick(0, slots.empty() ? 0 : slots.size() - 1);
    for (long i = 0; i < count; ++i) arrivals.push_back(slots[pick(rng)]);
  } else if (n["per_day"]) {
    const long per_day = n["per_day"].as<long>();
    std::uniform_int_distribution<int> hour(h_lo, h_hi - 1);
    for (size_t i = 0; i < slots.size(); ++i) {
      if (i > 0 && floor<days>(slots[i]) == floor<days>(slots[i - 1])) continue;  // one pass per day
      const TimePoint midnight = TimePoint(floor<days>(slots[i]));
      for (long k = 0; k < per_day; ++k) arrivals.push_back(midnight + hour(rng) * kHour);
    }
  } else {
    return c.Error("count", "a generator needs count (over the period) or per_day");
  }
  std::sort(arrivals.begin(), arrivals.end());

  std::uniform_int_distribution<long long> hours_of_work(std::max<long long>(1, (d_lo + kHour - Duration{1}) / kHour),
                                                          std::max<long long>(1, d_hi / kHour));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (size_t i = 0; i < arrivals.size(); ++i) {
    JobSpec job = base;
    job.id = name + "-" + std::to_string(i + 1);
    job.submit = arrivals[i];
    job.duration = d_lo == d_hi ? d_lo : Duration{hours_of_work(rng) * 3600};
    job.power_w = p_lo + (p_hi - p_lo) * unit(rng);
    job.interruptible = unit(rng) < share;
    if (!job.interruptible) job.min_chunk = job.checkpoint_overhead = Duration{0};
    SUNWIND_ASSIGN_OR_RETURN(job.deadline, ApplyDeadlineRule(rule, job.submit, job.duration));
    out->push_back(std::move(job));
  }
  return Status::Ok();
}

}  // namespace

Result<TimePoint> ApplyDeadlineRule(const std::string& rule, TimePoint submit, Duration duration) {
  const TimePoint end = submit + duration;  // when it would end, run at once
  const sys_days day = floor<days>(end);
  const Duration time_of_day = end - TimePoint(day);
  if (rule == "next-workday" || rule == "next-workday-lwa") {
    // Someone is there to use the result during working hours; outside them
    // it is wanted by the next workday morning.
    if (IsWorkday(Weekday(day)) && time_of_day >= 9 * kHour && time_of_day <= 17 * kHour) return end;
    if (IsWorkday(Weekday(day)) && time_of_day < 9 * kHour) return TimePoint(day) + 9 * kHour;
    // The paper's code gives a Friday evening only until Saturday 09:00;
    // reproducing its numbers needs the same.
    if (rule == "next-workday-lwa" && Weekday(day) == 5) return TimePoint(day + days{1}) + 9 * kHour;
    return MorningOf(day + days{1}, IsWorkday);
  }
  if (rule == "semi-weekly") {
    const TimePoint same_day = TimePoint(day) + 9 * kHour;
    if (IsMondayOrThursday(Weekday(day)) && end <= same_day) return same_day;
    return MorningOf(day + days{1}, IsMondayOrThursday);
  }
  if (!rule.empty() && rule[0] == '+') {
    auto d = ParseDuration(rule.substr(1));
    if (!d.ok()) return d.status();
    return std::max(submit + *d, end);
  }
  return Status::InvalidArgument("'" + rule + "' is not +DURATION, next-workday, next-workday-lwa or semi-weekly");
}

Result<Workload> LoadWorkloadString(const std::string& yaml, const std::string& origin, TimePoint from, TimePoint to,
                                    const RegionResolver& resolve) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin + ": " + e.what());
  }
  if (!root.IsMap()) return Status::InvalidArgument(origin + ": expected a map with jobs and/or generators");
  Workload w;
  try {
    w.name = root["name"] ? Scalar(root["name"]) : origin;
    const unsigned seed = root["seed"] ? root["seed"].as<unsigned>() : 1;
    if (auto cap = root["capacity"]) {
      if (!cap.IsMap()) return Status::InvalidArgument(origin + ": capacity: expected region: jobs at once");
      for (const auto& kv : cap) {
        const std::string id = kv.first.as<std::string>();
        auto r = resolve(id);
        if (!r.ok()) return Status::InvalidArgument(origin + ": capacity: " + r.status().message());
        const int n = kv.second.as<int>();
        if (n < 1) return Status::InvalidArgument(origin + ": capacity: " + id + ": must be at least 1");
        w.capacity[*r] = n;
      }
    }
    if (auto jobs = root["jobs"]) {
      for (size_t i = 0; i < jobs.size(); ++i) {
        Context c{origin + ": jobs[" + std::to_string(i) + "]"};
        SUNWIND_ASSIGN_OR_RETURN(JobSpec job, ReadJob(jobs[i], c, resolve));
        if (job.submit >= from && job.submit < to) w.jobs.push_back(std::move(job));
      }
    }
    if (auto gens = root["generators"]) {
      for (size_t i = 0; i < gens.size(); ++i) {
        Context c{origin + ": generators[" + std::to_string(i) + "]"};
        // One stream per generator, so editing one leaves the others' jobs as they were.
        SUNWIND_RETURN_IF_ERROR(Generate(gens[i], c, resolve, from, to, seed + 7919u * static_cast<unsigned>(i), &w.jobs));
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(origin + ": " + e.what());
  }
  if (w.jobs.empty()) return Status::InvalidArgument(origin + ": no job is submitted in the simulated period");
  std::stable_sort(w.jobs.begin(), w.jobs.end(), [](const JobSpec& a, const JobSpec& b) { return a.submit < b.submit; });
  std::set<std::string> ids;
  for (const JobSpec& j : w.jobs) {
    if (!ids.insert(j.id).second) return Status::InvalidArgument(origin + ": job id '" + j.id + "' appears twice");
  }
  return w;
}

Result<Workload> LoadWorkloadFile(const std::string& path, TimePoint from, TimePoint to, const RegionResolver& resolve) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("--workload: cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return LoadWorkloadString(ss.str(), path, from, to, resolve);
}

}  // namespace sunwind
