// Planning a queue of non-interruptible jobs under regions' capacity.
// Pure: no I/O, no clock.
//
// Jobs are placed one at a time in order of least slack (deadline − earliest
// start − duration; equal slack keeps the input order), each in the cheapest
// window whose every slot still has room, and that window's slots are then
// reserved. A pass of pairwise swaps follows: two placed jobs that hold the
// same number of slots exchange windows when that lowers the total; the jobs
// per slot do not change, so capacity still holds.
//
// Costs are PlanJob's (power × hours × PUE × grid intensity per slot, through
// WindowCosts), so with unlimited capacity each job gets its single-job
// optimum. Windows start on slot boundaries; a job whose duration is not a
// whole number of slots occupies its last, partial slot in full for capacity.
//
// Cost: O(regions × (slack slots + 1)) per job after a one-time
// O(regions × slots) per distinct duration (held for the call: 8 bytes ×
// regions × slots × distinct durations, 69 MB in the benchmark); reserving
// a window that fills a slot costs O(slots) in that region. The swap pass tries every pair of
// placed jobs of equal length: O(n²) for n jobs of one length (85 lengths
// share 10,000 jobs in benchmarks/queue_bench.cc: about 40 ms).
#ifndef SUNWIND_SCHEDULER_QUEUE_PLANNER_H_
#define SUNWIND_SCHEDULER_QUEUE_PLANNER_H_

#include <limits>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "scheduler/planner.h"

namespace sunwind {

// A region's capacity when it has no limit.
inline constexpr int kUnlimitedCapacity = std::numeric_limits<int>::max();

struct QueueJob {
  std::string id;
  Duration duration{0};  // > 0
  double power_w = 1000;  // > 0
  TimePoint earliest;  // no start before it (rounded up to a slot boundary)
  TimePoint deadline;  // the job ends by then
  std::vector<size_t> allowed_regions;  // indices into the regions; empty: all
};

struct QueuePlacement {
  std::string id;
  bool placed = false;
  size_t region = 0;      // index into the regions (placed only)
  size_t start_slot = 0;  // slot index from the regions' common start
  TimePoint start;
  double emissions_g = 0;
  // The job's cheapest window ignoring capacity (what PlanJob would give);
  // NaN when no window fits at all.
  double single_optimum_g = 0;
  std::string reason;  // why it was not placed
};

struct QueuePlan {
  std::vector<QueuePlacement> placements;  // in the input order
  size_t placed = 0;
  double emissions_g = 0;         // of the placed jobs, after swaps
  double greedy_emissions_g = 0;  // of the placed jobs, before swaps
  double single_optima_g = 0;     // sum of the placed jobs' single-job optima
  size_t swaps = 0;               // swaps made
};

struct QueueOptions {
  bool swap_pass = true;  // run the pass of pairwise swaps after placing
};

// Plans `jobs` over `regions` (series sharing one start and one step, as
// PlanJob takes), `capacity[r]` jobs at once in region r per slot
// (kUnlimitedCapacity: no limit). A job that fits nowhere is reported with a
// reason and not placed. InvalidArgument for a capacity list of the wrong
// size, a region index out of range, or a non-positive duration or power;
// Internal for series that do not share their start and step.
Result<QueuePlan> PlanQueue(const std::vector<RegionSeries>& regions, const std::vector<int>& capacity,
                            const std::vector<QueueJob>& jobs, const QueueOptions& options = {});

}  // namespace sunwind

#endif  // SUNWIND_SCHEDULER_QUEUE_PLANNER_H_
