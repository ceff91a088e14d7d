#include "scheduler/policies.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace sunwind {
namespace {

const Region* WhereToRun(const JobState& job) { return job.region ? job.region : job.spec->home_region; }

std::vector<const Region*> Candidates(const JobSpec& spec) {
  if (spec.allowed_regions.empty()) return {spec.home_region};
  return spec.allowed_regions;
}

// The q-quantile of the values that are known, linearly interpolated; NaN if none.
double Quantile(const std::vector<double>& values, double q) {
  std::vector<double> v;
  for (double x : values) {
    if (!std::isnan(x)) v.push_back(x);
  }
  if (v.empty()) return kNoValue;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace

std::vector<std::string> PolicyNames() {
  return {"run-now", "best-region-now", "best-window", "threshold", "sunwind", "oracle"};
}

Result<std::unique_ptr<Policy>> MakePolicy(const std::string& name, IntensityView& view, IntensityView& actual,
                                           Duration step, CapacityBook* capacity) {
  if (name == "run-now") return std::unique_ptr<Policy>(std::make_unique<RunNowPolicy>());
  if (name == "best-region-now") return std::unique_ptr<Policy>(std::make_unique<BestRegionNowPolicy>(view));
  if (name == "threshold") return std::unique_ptr<Policy>(std::make_unique<ThresholdPolicy>(view, step));
  std::unique_ptr<PlanningPolicy> p;
  if (name == "best-window") p = std::make_unique<BestWindowPolicy>(view);
  if (name == "sunwind") p = std::make_unique<SunwindPolicy>("sunwind", view, true);
  if (name == "oracle") p = std::make_unique<SunwindPolicy>("oracle", actual, false);
  if (p) {
    p->UseCapacity(capacity);
    return std::unique_ptr<Policy>(std::move(p));
  }
  std::string known;
  for (const auto& n : PolicyNames()) known += (known.empty() ? "" : ", ") + n;
  return Status::NotFound("--policy: unknown policy '" + name + "' (known: " + known + ")");
}

Result<Decision> RunNowPolicy::Decide(const JobState& job, TimePoint now, bool forecast_updated) {
  return Decision{true, WhereToRun(job)};
}

Result<Decision> BestRegionNowPolicy::Decide(const JobState& job, TimePoint now, bool forecast_updated) {
  if (job.started) return Decision{true, job.region};
  const JobSpec& spec = *job.spec;
  const TimePoint until = now + spec.duration;
  std::vector<RegionSeries> candidates;
  for (const Region* r : Candidates(spec)) {
    SUNWIND_ASSIGN_OR_RETURN(RegionSeries s, view_.Ahead(r, now, until + kForecastStep));
    candidates.push_back(std::move(s));
  }
  std::vector<RegionRank> ranked = RankRegions(candidates, now, spec.duration);
  if (ranked.empty() || !ranked.front().complete) return Decision{true, spec.home_region};
  return Decision{true, ranked.front().region};
}

Result<Decision> ThresholdPolicy::Decide(const JobState& job, TimePoint now, bool forecast_updated) {
  const Region* region = WhereToRun(job);
  if (job.running && !job.spec->interruptible) return Decision{true, region};
  if (MustRunNow(job, now, step_)) return Decision{true, region};
  SUNWIND_ASSIGN_OR_RETURN(RegionSeries ahead, view_.Ahead(region, now, now + kWindow));
  if (ahead.series.size() == 0 || ahead.series.IsMissing(0)) return Decision{true, region};
  const double threshold = Quantile(ahead.series.values, kPercentile);
  return Decision{ahead.series.values[0] < threshold, region};
}

Result<Plan> PlanningPolicy::PlanOn(const JobState& job, TimePoint now, const std::vector<const Region*>& regions,
                                    bool interruptible) {
  const JobSpec& spec = *job.spec;
  PlanRequest q;
  q.at = now;
  q.deadline = spec.deadline;
  q.duration = job.Remaining();
  q.power_w = spec.power_w;
  q.interruptible = interruptible;
  if (interruptible) {
    q.min_chunk = spec.min_chunk;
    q.resume_overhead = spec.checkpoint_overhead;
  }
  if (!interruptible && slack_fraction_ > 0) {
    double error = 0;  // g/kWh at the facility, the worst of the candidates
    for (const Region* r : regions) error = std::max(error, view_.MeanAbsError(r) * r->pue);
    const double energy_kwh = spec.power_w / 1000.0 * std::chrono::duration<double, std::ratio<3600>>(q.duration).count();
    q.slack_g = slack_fraction_ * error * energy_kwh;
  }
  std::vector<RegionSeries> candidates;
  for (const Region* r : regions) {
    SUNWIND_ASSIGN_OR_RETURN(RegionSeries s, view_.Ahead(r, now, spec.deadline));
    if (capacity_ && capacity_->Limited(r)) {
      // A full slot is as unusable to the planner as a gap in the data.
      for (size_t i = 0; i < s.series.size(); ++i) {
        if (!capacity_->HasRoom(r, s.series.TimeAt(i))) s.series.values[i] = kNoValue;
      }
    }
    candidates.push_back(std::move(s));
  }
  // The run-now counterfactual may run past the deadline's last whole slot.
  const TimePoint home_until = std::max(spec.deadline, now + q.duration + kForecastStep);
  SUNWIND_ASSIGN_OR_RETURN(RegionSeries home, view_.Ahead(WhereToRun(job), now, home_until));
  return PlanJob(candidates, home, q);
}

Result<Decision> PlanningPolicy::Decide(const JobState& job, TimePoint now, bool forecast_updated) {
  const JobSpec& spec = *job.spec;
  auto it = plans_.find(spec.id);
  const bool locked = job.running && !spec.interruptible;  // runs to the end; nothing to re-plan
  // A running job the policy never planned (a restarted daemon re-adopted
  // it) keeps running where it is.
  if (locked && it == plans_.end()) return Decision{true, WhereToRun(job)};
  if (!locked && (it == plans_.end() || Replan(job, forecast_updated))) {
    if (capacity_) capacity_->Release(spec.id);  // a re-plan may keep its own slots
    auto plan = MakePlan(job, now);
    bool made = true;
    if (plan.ok()) {
      if (it != plans_.end()) ++replans_;
      it = plans_.insert_or_assign(spec.id, std::move(plan).value()).first;
    } else if (plan.status().code() != StatusCode::kInfeasible) {
      return plan.status().WithContext(name_ + ": job " + spec.id);
    } else if (it == plans_.end()) {
      // No plan meets the deadline (the data has no complete window): run now,
      // the least late it can be. A re-plan that fails keeps the old plan.
      it = plans_.emplace(spec.id, Plan{}).first;
    } else {
      made = false;
    }
    if (made && on_plan_) on_plan_(spec, it->second);
    if (capacity_) Book(spec.id, it->second, job, now);
  }
  const Plan& plan = it->second;
  if (plan.intervals.empty()) return Decision{true, WhereToRun(job)};
  for (const auto& iv : plan.intervals) {
    if (iv.start <= now && now < iv.end) return Decision{true, iv.region};
  }
  // Work left after the last planned interval: finish it at once.
  if (now >= plan.intervals.back().end) return Decision{true, WhereToRun(job)};
  return Decision{false, plan.intervals.front().region};
}

void PlanningPolicy::Forget(const JobSpec& job) {
  plans_.erase(job.id);
  if (capacity_) capacity_->Release(job.id);
}

void PlanningPolicy::Book(const std::string& id, const Plan& plan, const JobState& job, TimePoint now) {
  if (plan.intervals.empty()) {  // runs now, wherever it can
    capacity_->Reserve(id, WhereToRun(job), now, now + job.Remaining());
    return;
  }
  for (const auto& iv : plan.intervals) {
    if (iv.end > now) capacity_->Reserve(id, iv.region, std::max(iv.start, now), iv.end);
  }
}

Result<Plan> BestWindowPolicy::MakePlan(const JobState& job, TimePoint now) {
  return PlanOn(job, now, {job.spec->home_region}, /*interruptible=*/false);
}

Result<Plan> SunwindPolicy::MakePlan(const JobState& job, TimePoint now) {
  // A started job's checkpoint stays where it was made.
  std::vector<const Region*> regions = job.started ? std::vector<const Region*>{job.region} : Candidates(*job.spec);
  return PlanOn(job, now, regions, job.spec->interruptible);
}

bool SunwindPolicy::Replan(const JobState& job, bool forecast_updated) const {
  if (!replans_ || !forecast_updated) return false;
  return !job.started || (job.spec->interruptible && !job.running);
}

}  // namespace sunwind
