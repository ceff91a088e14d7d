// A scheduling policy: per job and per slot, whether it runs and where. The
// core (JobQueue) asks every policy the same question on every tick, so
// plan-once policies, re-planning ones and per-tick rules share one driver.
#ifndef SUNWIND_SCHEDULER_POLICY_H_
#define SUNWIND_SCHEDULER_POLICY_H_

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "scheduler/capacity.h"
#include "scheduler/grid.h"
#include "scheduler/job.h"

namespace sunwind {

struct Decision {
  bool run = false;
  const Region* region = nullptr;  // where to start; ignored once the job has started
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string Name() const = 0;
  // Whether `job` runs in the slot [now, now + step), decided on what the
  // policy's view knows at `now`. Called once a tick for every job that is
  // submitted and not finished, in order of submission. `forecast_updated`
  // is true on the ticks a new forecast is issued (re-planning policies act
  // then). The core keeps a running non-interruptible job running whatever
  // the answer, and runs any job that MustRunNow.
  virtual Result<Decision> Decide(const JobState& job, TimePoint now, bool forecast_updated) = 0;
  // The job finished; the policy may drop what it kept for it.
  virtual void Forget(const JobSpec& job) {}
};

// The policies `sunwind simulate` knows, in the order reports list them.
std::vector<std::string> PolicyNames();

// A policy by name, deciding on `view` (the oracle ignores it and sees
// `actual`). The planners (sunwind, oracle, best-window) plan around and
// book into `capacity` when given. All must outlive the policy. NotFound
// names the known ones.
Result<std::unique_ptr<Policy>> MakePolicy(const std::string& name, IntensityView& view, IntensityView& actual,
                                           Duration step, CapacityBook* capacity = nullptr);

}  // namespace sunwind

#endif  // SUNWIND_SCHEDULER_POLICY_H_
