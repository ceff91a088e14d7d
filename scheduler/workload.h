// Workload files: the jobs a simulation runs, listed one by one or made by
// generators, deterministic for a seed.
//
//   name: ml-training
//   seed: 2020
//   capacity:                           # optional: jobs at once per region
//     aws:eu-west-3: 40
//   jobs:                               # explicit jobs
//     - id: finetune
//       submit: 2020-03-02T09:00Z
//       duration: 12h
//       power: 2kW
//       deadline: +48h                  # a rule (below) or a time
//       interruptible: true
//       min_chunk: 2h                   # interruptible only
//       checkpoint_overhead: 10m        # interruptible only
//       home_region: aws:eu-central-1
//       allowed_regions: [aws:eu-central-1, aws:eu-west-2]   # default: the home region
//   generators:
//     - name: ml
//       count: 3387                     # over the simulated period, or
//       per_day: 1                      # on every matching day
//       days: weekdays                  # all, weekdays, weekends, or mon,tue,...
//       hours: "09-17"                  # arrivals on the hour, 09:00 .. 16:00 UTC
//       duration: {min: 4h, max: 90h}   # whole hours, uniform; or one value
//       power: 2kW                      # or {min: 1kW, max: 3kW}, uniform
//       deadline: next-workday
//       interruptible_share: 0.5        # the share drawn interruptible
//       ...                             # min_chunk, checkpoint_overhead, regions as above
//
// Deadline rules, from the time e = submit + duration the job would end if
// run at once (Wiesner et al.'s rules; working hours are Monday to Friday,
// 09:00-17:00 UTC):
//   +24h          submit + 24h, never earlier than e
//   next-workday  e itself if it falls in working hours (someone is there to
//                 use the result: no slack); else 09:00 of the next workday
//                 (the same day's 09:00 when e is a workday before 09:00)
//   next-workday-lwa  the same as the code of Wiesner et al. has it, where
//                 a Friday evening's end is due Saturday 09:00 (not Monday):
//                 to reproduce their numbers
//   semi-weekly   the first Monday or Thursday 09:00 at or after e
#ifndef SUNWIND_SCHEDULER_WORKLOAD_H_
#define SUNWIND_SCHEDULER_WORKLOAD_H_

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "scheduler/capacity.h"
#include "scheduler/job.h"

namespace sunwind {

struct Workload {
  std::string name;
  std::vector<JobSpec> jobs;  // sorted by submit time
  RegionCapacity capacity;    // jobs at once per region; regions not listed have no limit
};

// Resolves a region id (a catalogue lookup, injected so the loader needs no catalogue).
using RegionResolver = std::function<Result<const Region*>(const std::string& id)>;

// Loads a workload; generators make jobs submitted in [from, to), explicit
// jobs outside it are dropped. Errors name the file and the field.
Result<Workload> LoadWorkloadFile(const std::string& path, TimePoint from, TimePoint to,
                                  const RegionResolver& resolve);
Result<Workload> LoadWorkloadString(const std::string& yaml, const std::string& origin, TimePoint from, TimePoint to,
                                    const RegionResolver& resolve);

// A deadline rule (see above) applied to a job submitted at `submit`.
Result<TimePoint> ApplyDeadlineRule(const std::string& rule, TimePoint submit, Duration duration);

}  // namespace sunwind

#endif  // SUNWIND_SCHEDULER_WORKLOAD_H_
