// `sunwind simulate`'s engine: the scheduler core (JobQueue + a Policy)
// stepped by a ManualClock over recorded grid data, with an Executor that
// runs jobs on paper and accounts what they drew on the grid's ACTUAL
// intensity × PUE, whatever the policy believed.
#ifndef SUNWIND_SCHEDULER_SIMULATOR_H_
#define SUNWIND_SCHEDULER_SIMULATOR_H_

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "scheduler/capacity.h"
#include "scheduler/grid.h"
#include "scheduler/job.h"
#include "scheduler/policy.h"

namespace sunwind {

struct SimulationOptions {
  TimePoint from;  // the clock starts here
  TimePoint to;    // jobs submitted in [from, to) are simulated; the clock runs on until they finish
  Duration step{3600};
  // A new forecast is issued at every multiple of this since the epoch
  // (00:00 UTC daily by default): re-planning policies re-plan then.
  Duration forecast_update{24 * 3600};
  // Jobs that may run at once per region; null or absent: no limit.
  const RegionCapacity* capacity = nullptr;
  // Called with the share of [from, to) simulated, about every 1 %.
  std::function<void(double)> progress;
};

// What one job really did.
struct JobOutcome {
  const JobSpec* spec = nullptr;
  const Region* region = nullptr;
  TimePoint start{};
  TimePoint finish{};  // unset when it never finished
  bool finished = false;
  double energy_kwh = 0;   // IT energy, checkpoint overhead included
  double emissions_g = 0;  // facility energy × the grid's actual intensity
  int pauses = 0;
  bool deadline_missed = false;
  // finish - (submit + duration): how much later than an immediate run.
  Duration delay{0};
};

struct SimulationReport {
  std::string policy;
  int jobs = 0;
  double energy_kwh = 0;
  double emissions_g = 0;
  int deadlines_missed = 0;
  int pauses = 0;
  double mean_delay_h = 0;
  std::vector<JobOutcome> outcomes;  // in the order of `jobs`
};

// Runs `jobs` (those submitted in [options.from, options.to)) under
// `policy`. `grid` must hold every zone of every region the jobs may use,
// up to past their deadlines. FailedPrecondition when the data ends before
// a job could finish; a policy's error stops the simulation.
Result<SimulationReport> Simulate(const std::vector<JobSpec>& jobs, Policy& policy, const GridData& grid,
                                  const SimulationOptions& options);

}  // namespace sunwind

#endif  // SUNWIND_SCHEDULER_SIMULATOR_H_
