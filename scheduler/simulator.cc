#include "scheduler/simulator.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "core/units.h"
#include "scheduler/queue.h"

namespace sunwind {
namespace {

double Seconds(Duration d) { return static_cast<double>(d.count()); }

// Runs jobs on paper: remembers what runs where, and which job resumed when,
// so the slot's accounting can charge the checkpoint overhead.
class PaperExecutor final : public Executor {
 public:
  Status Start(const JobSpec& job, const Region& region, TimePoint at) override {
    running_.insert(&job);
    return Status::Ok();
  }
  Status Pause(const JobSpec& job, TimePoint at) override {
    if (!job.interruptible) return Status::Internal("job " + job.id + " is not interruptible but was paused");
    running_.erase(&job);
    return Status::Ok();
  }
  Status Resume(const JobSpec& job, TimePoint at) override {
    running_.insert(&job);
    resumed_.insert(&job);
    return Status::Ok();
  }
  Status Finish(const JobSpec& job, TimePoint at) override {
    running_.erase(&job);
    return Status::Ok();
  }
  const std::set<const JobSpec*>& running() const { return running_; }
  // Jobs resumed on this tick; cleared by the caller after accounting.
  std::set<const JobSpec*>& resumed() { return resumed_; }

 private:
  std::set<const JobSpec*> running_;
  std::set<const JobSpec*> resumed_;
};

}  // namespace

Result<SimulationReport> Simulate(const std::vector<JobSpec>& jobs, Policy& policy, const GridData& grid,
                                  const SimulationOptions& options) {
  if (options.step.count() <= 0 || options.to <= options.from) {
    return Status::InvalidArgument("simulate: the period must be non-empty and the step positive");
  }
  SimulationReport report;
  report.policy = policy.Name();
  ManualClock clock(options.from);
  PaperExecutor executor;
  JobQueue queue(clock, policy, executor, options.step);
  queue.SetCapacity(options.capacity);

  std::unordered_map<const JobSpec*, size_t> outcome_of;
  report.outcomes.reserve(jobs.size());
  TimePoint until = options.to;  // the clock may stop once every job could have finished
  for (const JobSpec& spec : jobs) {
    if (spec.submit < options.from || spec.submit >= options.to) continue;
    if (!spec.home_region) return Status::InvalidArgument("job " + spec.id + ": no home region");
    outcome_of[&spec] = report.outcomes.size();
    JobOutcome o;
    o.spec = &spec;
    report.outcomes.push_back(o);
    queue.Submit(spec);
    until = std::max({until, spec.deadline, spec.submit + spec.duration + options.step});
  }
  report.jobs = static_cast<int>(report.outcomes.size());
  // Every job is queued before the first tick, so the queue's order is fixed.
  std::unordered_map<const JobSpec*, size_t> state_of;
  for (size_t i = 0; i < queue.jobs().size(); ++i) state_of[queue.jobs()[i].spec] = i;

  const long long total_ticks = std::max<long long>(1, (options.to - options.from) / options.step);
  long long tick = 0, next_progress = 0;
  TimePoint t = FloorTo(options.from, options.step);
  if (t < options.from) t += options.step;
  // One more tick than the work needs, so the queue credits the last slot.
  for (; t <= until + options.step; t += options.step, ++tick) {
    clock.Set(t);
    const bool forecast_updated = FloorTo(t, options.forecast_update) == t;
    SUNWIND_RETURN_IF_ERROR(queue.Tick(forecast_updated).WithContext("at " + FormatTime(t)));
    if (t >= options.to && queue.AllFinished()) break;

    // The slot [t, t + step) of every running job, on the grid's actual intensity.
    for (const JobSpec* spec : executor.running()) {
      JobOutcome& o = report.outcomes[outcome_of.at(spec)];
      const JobState& state = queue.jobs()[state_of.at(spec)];
      if (o.region == nullptr) {
        o.region = state.region;
        o.start = t;
      }
      Duration ran = std::min(options.step, state.Remaining());
      if (executor.resumed().count(spec)) ran += spec->checkpoint_overhead;
      const double intensity = grid.At(state.region->zone, t);
      if (std::isnan(intensity)) {
        return Status(StatusCode::kFailedPrecondition, "simulate: no intensity for zone " + state.region->zone + " at " +
                                                           FormatTime(t) + " (job " + spec->id + " runs there)");
      }
      const double kwh = EnergyKwh(spec->power_w, Seconds(ran));
      o.energy_kwh += kwh;
      o.emissions_g += kwh * state.region->pue * intensity;
    }
    executor.resumed().clear();
    if (options.progress && tick >= next_progress && tick <= total_ticks) {
      options.progress(static_cast<double>(tick) / static_cast<double>(total_ticks));
      next_progress = tick + std::max<long long>(1, total_ticks / 100);
    }
  }

  double delay_h_sum = 0;
  int finished = 0;
  for (const JobState& s : queue.jobs()) {
    JobOutcome& o = report.outcomes[outcome_of.at(s.spec)];
    o.pauses = s.pauses;
    o.finished = s.finished;
    if (s.finished) {
      o.finish = s.finish;
      o.delay = s.finish - (s.spec->submit + s.spec->duration);
      delay_h_sum += Seconds(o.delay) / 3600.0;
      ++finished;
    }
    o.deadline_missed = !s.finished || s.finish > s.spec->deadline;
  }
  for (const JobOutcome& o : report.outcomes) {
    report.energy_kwh += o.energy_kwh;
    report.emissions_g += o.emissions_g;
    report.pauses += o.pauses;
    report.deadlines_missed += o.deadline_missed ? 1 : 0;
  }
  report.mean_delay_h = finished > 0 ? delay_h_sum / finished : 0;
  if (options.progress) options.progress(1.0);
  return report;
}

}  // namespace sunwind
