// The policies of `sunwind simulate`, all on the same core:
//   run-now          start at submission in the home region (the baseline)
//   best-region-now  start at once in the allowed region cleanest over the
//                    job's duration (spatial shifting only)
//   best-window      the Green Software Foundation Carbon Aware SDK's method:
//                    the start minimising the rolling mean of the forecast
//                    over the job's duration, home region, planned once
//   threshold        Ecovisor's rule as evaluated in GAIA (ASPLOS '24): run
//                    while the intensity is below the 30th percentile of the
//                    next 24 h, suspend otherwise, never past the deadline
//   oracle           PlanJob on what the grid really did (perfect foresight)
//   sunwind          PlanJob on the forecast across the allowed regions,
//                    interruptible where allowed; re-plans every job not yet
//                    started (and every paused one, in its region) when the
//                    forecast updates
#ifndef SUNWIND_SCHEDULER_POLICIES_H_
#define SUNWIND_SCHEDULER_POLICIES_H_

#include <functional>
#include <map>
#include <string>

#include "scheduler/capacity.h"
#include "scheduler/planner.h"
#include "scheduler/policy.h"

namespace sunwind {

class RunNowPolicy final : public Policy {
 public:
  std::string Name() const override { return "run-now"; }
  Result<Decision> Decide(const JobState& job, TimePoint now, bool forecast_updated) override;
};

class BestRegionNowPolicy final : public Policy {
 public:
  explicit BestRegionNowPolicy(IntensityView& view) : view_(view) {}
  std::string Name() const override { return "best-region-now"; }
  Result<Decision> Decide(const JobState& job, TimePoint now, bool forecast_updated) override;

 private:
  IntensityView& view_;
};

class ThresholdPolicy final : public Policy {
 public:
  ThresholdPolicy(IntensityView& view, Duration step) : view_(view), step_(step) {}
  std::string Name() const override { return "threshold"; }
  Result<Decision> Decide(const JobState& job, TimePoint now, bool forecast_updated) override;

  static constexpr double kPercentile = 0.30;
  static constexpr Duration kWindow{24 * 3600};

 private:
  IntensityView& view_;
  Duration step_;
};

// Follows a PlanJob plan per job; subclasses say how plans are made and when
// they are remade. A job whose plan cannot be made runs now (and says so
// through missed deadlines, never silently through a crash).
class PlanningPolicy : public Policy {
 public:
  Result<Decision> Decide(const JobState& job, TimePoint now, bool forecast_updated) override;
  void Forget(const JobSpec& job) override;
  std::string Name() const override { return name_; }
  // Plans around the slots `book` holds as full, and books its own plans
  // there. The book must outlive the policy.
  void UseCapacity(CapacityBook* book) { capacity_ = book; }
  // Plans remade after the first one, for reports.
  int replans() const { return replans_; }
  // Called with every plan made or remade, from inside Decide (the daemon
  // stores them). An empty plan means none meets the deadline: it runs now.
  using PlanObserver = std::function<void(const JobSpec&, const Plan&)>;
  void OnPlan(PlanObserver observer) { on_plan_ = std::move(observer); }
  // Forecast uncertainty as slack: a non-interruptible job waits for a later
  // window only if it wins by more than `fraction` × the view's mean
  // absolute error (× PUE) over the job's energy, so sunwind does not delay
  // work for an advantage the forecast cannot tell from noise. 0 (the
  // default): the cheapest window as forecast.
  void SetForecastSlack(double fraction) { slack_fraction_ = fraction; }

 protected:
  PlanningPolicy(std::string name, IntensityView& view) : name_(std::move(name)), view_(view) {}
  // The plan for the job's remaining work from `now`.
  virtual Result<Plan> MakePlan(const JobState& job, TimePoint now) = 0;
  // Whether to remake the job's plan on this tick.
  virtual bool Replan(const JobState& job, bool forecast_updated) const { return false; }
  // The job's remaining work planned on `view_` from `now` across `regions`.
  Result<Plan> PlanOn(const JobState& job, TimePoint now, const std::vector<const Region*>& regions, bool interruptible);

 private:
  // Books the part of the plan from `now` on.
  void Book(const std::string& id, const Plan& plan, const JobState& job, TimePoint now);

  std::string name_;
  IntensityView& view_;
  std::map<std::string, Plan> plans_;  // by job id
  int replans_ = 0;
  CapacityBook* capacity_ = nullptr;
  PlanObserver on_plan_;
  double slack_fraction_ = 0;
};

class BestWindowPolicy final : public PlanningPolicy {
 public:
  explicit BestWindowPolicy(IntensityView& view) : PlanningPolicy("best-window", view) {}

 protected:
  Result<Plan> MakePlan(const JobState& job, TimePoint now) override;
};

// sunwind's own policy; `oracle` is the same optimisation on the actual view
// and without re-planning (perfect foresight has nothing to learn).
class SunwindPolicy final : public PlanningPolicy {
 public:
  SunwindPolicy(std::string name, IntensityView& view, bool replans)
      : PlanningPolicy(std::move(name), view), replans_(replans) {}

 protected:
  Result<Plan> MakePlan(const JobState& job, TimePoint now) override;
  bool Replan(const JobState& job, bool forecast_updated) const override;

 private:
  bool replans_;
};

}  // namespace sunwind

#endif  // SUNWIND_SCHEDULER_POLICIES_H_
