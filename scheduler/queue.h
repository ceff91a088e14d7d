// The scheduler core: a queue of jobs, a policy that decides, and an
// Executor that acts. Time comes from a Clock only, so the daemon drives it
// with the real clock and `sunwind simulate` with a ManualClock.
#ifndef SUNWIND_SCHEDULER_QUEUE_H_
#define SUNWIND_SCHEDULER_QUEUE_H_

#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "scheduler/capacity.h"
#include "scheduler/job.h"
#include "scheduler/policy.h"

namespace sunwind {

// Where decisions turn into actions on real or simulated machines. Abstract
// so the core is tested and simulated without launching anything; the
// simulator implements it, the daemon's executors will.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual Status Start(const JobSpec& job, const Region& region, TimePoint at) = 0;
  // Checkpoint and stop. Only ever called for interruptible jobs.
  virtual Status Pause(const JobSpec& job, TimePoint at) = 0;
  virtual Status Resume(const JobSpec& job, TimePoint at) = 0;
  // The core's estimate of the work says the job is done.
  virtual Status Finish(const JobSpec& job, TimePoint at) = 0;
};

class JobQueue {
 public:
  // `step` is the tick: decisions hold for one step. References must outlive
  // the queue.
  JobQueue(const Clock& clock, Policy& policy, Executor& executor, Duration step)
      : clock_(clock), policy_(policy), executor_(executor), step_(step) {}

  // Queues a job; it is considered from the first tick at or after its
  // submit time. `spec` must outlive the queue.
  void Submit(const JobSpec& spec);

  // Limits how many jobs run at once per region. A job that finds its
  // region full waits, whatever the policy said; jobs are admitted in order
  // of least slack (deadline - now - remaining work). Must outlive the queue.
  void SetCapacity(const RegionCapacity* capacity) { capacity_ = capacity; }

  // One tick at clock.Now(): credits the work done since the previous tick
  // (finishing jobs whose work is done), then asks the policy about every
  // submitted, unfinished job, least slack first, and pauses, then starts
  // or resumes, as it decides. The core keeps its promises whatever the
  // policy says: a running non-interruptible job is never paused, a job that
  // MustRunNow runs (if its region has room), and a started job stays in
  // its region.
  Status Tick(bool forecast_updated);

  const std::vector<JobState>& jobs() const { return jobs_; }
  bool AllFinished() const { return unfinished_ == 0; }

 private:
  const Clock& clock_;
  Policy& policy_;
  Executor& executor_;
  Duration step_;
  std::vector<JobState> jobs_;  // in order of submission
  size_t first_active_ = 0;     // jobs before it are finished
  size_t unfinished_ = 0;
  const RegionCapacity* capacity_ = nullptr;
  bool ticked_ = false;
  TimePoint last_tick_{};
};

}  // namespace sunwind

#endif  // SUNWIND_SCHEDULER_QUEUE_H_
