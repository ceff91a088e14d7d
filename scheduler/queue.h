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

// Whether the core's estimate of the work ends a job. The simulator's jobs
// end on it; the daemon's end when their process does (Ended), and one that
// runs past its estimate keeps running (sunwind never kills work for carbon).
enum class JobEnd { kOnEstimate, kReported };

class JobQueue {
 public:
  // `step` is the tick: decisions hold for one step. References must outlive
  // the queue.
  JobQueue(const Clock& clock, Policy& policy, Executor& executor, Duration step,
           JobEnd end = JobEnd::kOnEstimate)
      : clock_(clock), policy_(policy), executor_(executor), step_(step), end_(end) {}

  // Queues a job; it is considered from the first tick at or after its
  // submit time. `spec` must outlive the queue.
  void Submit(const JobSpec& spec);
  // Queues a job that already stands somewhere (a restarted daemon's job,
  // started or held); `state.spec` is set to &spec.
  void Restore(const JobSpec& spec, JobState state);

  // The job ended outside the core's estimate (its process exited, a user
  // cancelled it): it is finished and the policy forgets it. NotFound for an
  // unknown or already finished job.
  Status Ended(const std::string& id, TimePoint at);
  // A user paused the job (or held it before it started): the core neither
  // starts, resumes nor pauses it until Release. The caller has stopped it.
  Status Hold(const std::string& id);
  // Hands a held job back to the core; `running` says whether the caller
  // resumed it (a user's resume) or leaves the decision to the policy.
  Status Release(const std::string& id, bool running);
  // The job's state; nullptr for an unknown id.
  const JobState* Find(const std::string& id) const;

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
  // its region. An executor call that fails with kUnavailable (a cluster
  // that does not answer) leaves that job as it stood for the next tick and
  // is returned after the other jobs were decided; any other error stops
  // the tick.
  Status Tick(bool forecast_updated);

  const std::vector<JobState>& jobs() const { return jobs_; }
  bool AllFinished() const { return unfinished_ == 0; }

 private:
  const Clock& clock_;
  Policy& policy_;
  Executor& executor_;
  Duration step_;
  JobEnd end_;
  std::vector<JobState> jobs_;  // in order of submission
  size_t first_active_ = 0;     // jobs before it are finished
  size_t unfinished_ = 0;
  const RegionCapacity* capacity_ = nullptr;
  bool ticked_ = false;
  TimePoint last_tick_{};

  JobState* FindActive(const std::string& id);
  void Finish(JobState& job, TimePoint at);
};

}  // namespace sunwind

#endif  // SUNWIND_SCHEDULER_QUEUE_H_
