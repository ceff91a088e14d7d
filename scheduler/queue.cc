#include "scheduler/queue.h"

#include <algorithm>
#include <map>

namespace sunwind {

void JobQueue::Submit(const JobSpec& spec) {
  JobState s;
  s.spec = &spec;
  // Keep submission order even when jobs are queued out of order.
  auto at = std::upper_bound(jobs_.begin() + static_cast<long>(first_active_), jobs_.end(), spec.submit,
                             [](TimePoint t, const JobState& j) { return t < j.spec->submit; });
  jobs_.insert(at, s);
  ++unfinished_;
}

Status JobQueue::Tick(bool forecast_updated) {
  const TimePoint now = clock_.Now();
  if (ticked_) {
    const Duration elapsed = now - last_tick_;
    for (size_t i = first_active_; i < jobs_.size(); ++i) {
      JobState& j = jobs_[i];
      if (!j.running) continue;
      const Duration ran = std::min(elapsed, j.Remaining());
      j.work_done += ran;
      if (j.Remaining() <= Duration{0}) {
        j.running = false;
        j.finished = true;
        j.finish = last_tick_ + ran;
        --unfinished_;
        SUNWIND_RETURN_IF_ERROR(executor_.Finish(*j.spec, j.finish));
        policy_.Forget(*j.spec);
      }
    }
  }
  ticked_ = true;
  last_tick_ = now;
  while (first_active_ < jobs_.size() && jobs_[first_active_].finished) ++first_active_;

  // The jobs to decide on, least slack first: the first to claim capacity.
  std::vector<size_t> order;
  for (size_t i = first_active_; i < jobs_.size() && jobs_[i].spec->submit <= now; ++i) {
    if (!jobs_[i].finished) order.push_back(i);
  }
  auto slack = [&](size_t i) { return jobs_[i].spec->deadline - now - jobs_[i].Remaining(); };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return slack(a) < slack(b); });

  std::vector<std::pair<size_t, const Region*>> to_run;
  std::map<const Region*, int> running;  // per region, once the pauses are done
  for (size_t i : order) {
    JobState& j = jobs_[i];
    SUNWIND_ASSIGN_OR_RETURN(Decision d, policy_.Decide(j, now, forecast_updated));
    const bool run = d.run || MustRunNow(j, now, step_) || (j.running && !j.spec->interruptible);
    if (run) {
      to_run.push_back({i, j.started ? j.region : (d.region ? d.region : j.spec->home_region)});
    } else if (j.running) {
      SUNWIND_RETURN_IF_ERROR(executor_.Pause(*j.spec, now));
      j.running = false;
      ++j.pauses;
    }
  }
  for (const auto& [i, region] : to_run) {
    if (jobs_[i].running) ++running[region];
  }
  for (const auto& [i, region] : to_run) {
    JobState& j = jobs_[i];
    if (j.running) continue;
    if (capacity_) {
      auto cap = capacity_->find(region);
      if (cap != capacity_->end() && running[region] >= cap->second) continue;  // full: wait
    }
    ++running[region];
    if (!j.started) {
      j.region = region;
      j.started = true;
      j.first_start = now;
      SUNWIND_RETURN_IF_ERROR(executor_.Start(*j.spec, *j.region, now));
    } else {
      SUNWIND_RETURN_IF_ERROR(executor_.Resume(*j.spec, now));
    }
    j.running = true;
  }
  return Status::Ok();
}

}  // namespace sunwind
