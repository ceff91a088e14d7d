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

void JobQueue::Restore(const JobSpec& spec, JobState state) {
  state.spec = &spec;
  auto at = std::upper_bound(jobs_.begin() + static_cast<long>(first_active_), jobs_.end(), spec.submit,
                             [](TimePoint t, const JobState& j) { return t < j.spec->submit; });
  jobs_.insert(at, state);
  if (!state.finished) ++unfinished_;
}

JobState* JobQueue::FindActive(const std::string& id) {
  for (size_t i = first_active_; i < jobs_.size(); ++i) {
    if (jobs_[i].spec->id == id && !jobs_[i].finished) return &jobs_[i];
  }
  return nullptr;
}

const JobState* JobQueue::Find(const std::string& id) const {
  for (const JobState& j : jobs_) {
    if (j.spec->id == id) return &j;
  }
  return nullptr;
}

void JobQueue::Finish(JobState& job, TimePoint at) {
  job.running = false;
  job.finished = true;
  job.finish = at;
  --unfinished_;
  policy_.Forget(*job.spec);
}

Status JobQueue::Ended(const std::string& id, TimePoint at) {
  JobState* j = FindActive(id);
  if (!j) return Status::NotFound("job " + id + ": not in the queue");
  if (j->running && ticked_ && at > last_tick_) {
    j->work_done = std::min(j->spec->duration, j->work_done + (at - last_tick_));
  }
  Finish(*j, at);
  return Status::Ok();
}

Status JobQueue::Hold(const std::string& id) {
  JobState* j = FindActive(id);
  if (!j) return Status::NotFound("job " + id + ": not in the queue");
  j->held = true;
  if (j->running) {
    j->running = false;
    ++j->pauses;
  }
  return Status::Ok();
}

Status JobQueue::Release(const std::string& id, bool running) {
  JobState* j = FindActive(id);
  if (!j) return Status::NotFound("job " + id + ": not in the queue");
  j->held = false;
  j->running = running && j->started;
  return Status::Ok();
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
      if (j.Remaining() > Duration{0}) continue;
      if (end_ == JobEnd::kReported) {
        j.overrun = true;  // runs on until its process ends
        continue;
      }
      Finish(j, last_tick_ + ran);
      SUNWIND_RETURN_IF_ERROR(executor_.Finish(*j.spec, j.finish));
    }
  }
  ticked_ = true;
  last_tick_ = now;
  while (first_active_ < jobs_.size() && jobs_[first_active_].finished) ++first_active_;

  // The jobs to decide on, least slack first: the first to claim capacity.
  std::vector<size_t> order;
  for (size_t i = first_active_; i < jobs_.size() && jobs_[i].spec->submit <= now; ++i) {
    if (!jobs_[i].finished && !jobs_[i].held) order.push_back(i);
  }
  auto slack = [&](size_t i) { return jobs_[i].spec->deadline - now - jobs_[i].Remaining(); };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return slack(a) < slack(b); });

  // An executor that cannot be reached now (kUnavailable: slurmctld down)
  // leaves its job as it stands, to be decided again on the next tick; the
  // other jobs go on, and the tick reports the last such error.
  Status unavailable = Status::Ok();
  std::vector<std::pair<size_t, const Region*>> to_run;
  std::map<const Region*, int> running;  // per region, once the pauses are done
  for (size_t i : order) {
    JobState& j = jobs_[i];
    if (j.overrun) {  // nothing left to plan: it runs to its end
      to_run.push_back({i, j.region});
      continue;
    }
    SUNWIND_ASSIGN_OR_RETURN(Decision d, policy_.Decide(j, now, forecast_updated));
    const bool run = d.run || MustRunNow(j, now, step_) || (j.running && !j.spec->interruptible);
    if (run) {
      to_run.push_back({i, j.started ? j.region : (d.region ? d.region : j.spec->home_region)});
    } else if (j.running) {
      Status paused = executor_.Pause(*j.spec, now);
      if (paused.code() == StatusCode::kUnavailable) {  // it runs on; asked again next tick
        unavailable = paused;
        continue;
      }
      SUNWIND_RETURN_IF_ERROR(paused);
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
    const bool first = !j.started;
    Status launched = first ? executor_.Start(*j.spec, *region, now) : executor_.Resume(*j.spec, now);
    if (launched.code() == StatusCode::kUnavailable) {  // not launched: tried again next tick
      unavailable = launched;
      continue;
    }
    SUNWIND_RETURN_IF_ERROR(launched);
    ++running[region];
    if (first) {
      j.region = region;
      j.started = true;
      j.first_start = now;
    }
    j.running = true;
  }
  return unavailable;
}

}  // namespace sunwind
