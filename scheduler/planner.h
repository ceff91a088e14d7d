// Where and when is cleanest: ranking regions and planning one job's slots.
// Pure functions over series already fetched; no I/O, no clock.
//
// Cost model: a slot's expected emissions are
//   power_kW × hours × PUE × grid intensity (gCO2eq/kWh),
// i.e. the grid's intensity scaled by the data centre's PUE ("effective
// intensity"). Plans minimise the sum over the job's slots.
#ifndef SUNWIND_SCHEDULER_PLANNER_H_
#define SUNWIND_SCHEDULER_PLANNER_H_

#include <string>
#include <vector>

#include "core/series.h"
#include "core/status.h"
#include "core/time.h"
#include "regions/region.h"

namespace sunwind {

// One candidate region and its grid intensity over the planning horizon.
// All series handed to one call start at the request's `at` and share one
// step; points past a series' end count as missing.
struct RegionSeries {
  const Region* region;
  IntensitySeries series;
};

struct PlanRequest {
  TimePoint at;        // "now": the earliest start, and the run-now start
  TimePoint deadline;  // all work ends by then
  Duration duration;   // how long the job runs at full speed
  double power_w = 1000;
  bool interruptible = false;
  // Interruptible only: every contiguous chunk lasts at least this long.
  Duration min_chunk{0};
  // Interruptible only: each restart after a pause costs this much extra
  // running time at full power (reloading a checkpoint, warming caches).
  Duration resume_overhead{0};
  // Non-interruptible only: how much (grams) a later window must beat an
  // earlier one by to be chosen. Planning on a forecast, this is the
  // forecast's measured error over the job, so sunwind does not wait for an
  // advantage the forecast cannot tell from noise. 0: the cheapest window.
  double slack_g = 0;
};

// A stretch of the plan in one region.
struct PlannedInterval {
  const Region* region = nullptr;
  TimePoint start;
  TimePoint end;
  double mean_intensity_g_per_kwh = 0;  // the grid's, before PUE, time-weighted
  double energy_kwh = 0;                // IT energy in this interval, overhead included
  double emissions_g = 0;               // facility energy × intensity
  std::string kind;                     // "measured", "replayed", "estimated", or a mix "measured+replayed"
  std::string source;
  std::string signal;
};

struct RunNow {
  const Region* region = nullptr;
  TimePoint start;
  TimePoint end;
  double mean_intensity_g_per_kwh = 0;
  double emissions_g = 0;
};

struct Plan {
  std::vector<PlannedInterval> intervals;
  Duration work{0};        // running time planned (an interruptible job's is whole slots)
  double energy_kwh = 0;   // IT energy, restart overhead included
  double emissions_g = 0;
  RunNow run_now;
  double saving_g = 0;
  double saving_pct = 0;
  std::vector<std::string> notes;
};

// Ranks regions by mean effective intensity (PUE × grid) over [at, at+duration).
struct RegionRank {
  const Region* region;
  double mean_intensity_g_per_kwh;       // the grid's
  double mean_effective_g_per_kwh;       // × PUE
  std::string kind;
  std::string source;
  bool complete;  // false when the window holds a gap; such regions rank last
};
std::vector<RegionRank> RankRegions(const std::vector<RegionSeries>& candidates, TimePoint at, Duration duration);

// The cheapest plan across candidates, compared with running at `at` in
// `home`. Non-interruptible: one contiguous window in one region, found with
// prefix sums in O(regions × slots). Interruptible: the cheapest set of whole
// slots in one region (no migration between chunks), each chunk at least
// min_chunk long; exact by dynamic programming, or k-smallest selection when
// there is neither a minimum chunk nor a restart overhead.
// Regions that cannot win are skipped on lower bounds from their cheapest
// slots; the plan is the one trying every region gives. Thread-safe; keeps
// about 130 bytes per slot of working memory per thread between calls (freed
// past 16 MiB).
// Infeasible when no plan ends by the deadline.
Result<Plan> PlanJob(const std::vector<RegionSeries>& candidates, const RegionSeries& home, const PlanRequest& request);

// Lower-level: the chosen slot indices of one region's slot costs (grams per
// slot; +inf where unusable), for `k` slots with chunks of at least `min_chunk`
// slots and `restart_cost[i]` added when a chunk other than the first begins
// at slot i. Returns the indices in order, or empty if no selection exists.
// With a minimum chunk or restart costs: exact, O(slots × k) time, about
// slots × k / 4 bytes of working memory kept per thread between calls (freed
// past 16 MiB). Without: the k cheapest usable slots, the earlier slot first
// among equal costs, in O(slots) time with a byte per slot and 8 per chosen
// slot kept per thread; *total_cost is their sum in slot order. Thread-safe.
// Exposed for tests and benchmarks.
std::vector<size_t> CheapestSlots(const std::vector<double>& slot_cost, size_t k, size_t min_chunk,
                                  const std::vector<double>& restart_cost, double* total_cost);

// Tests only: whether the planner's AVX2 kernels (CheapestSlots' minimum-chunk
// search and k-cheapest selection, PlanJob's slot costs) may run where the
// CPU has them (the default); false forces the portable ones. Both give
// identical results. Process-wide; thread-safe to call.
void SetCheapestSlotsSimdForTesting(bool allowed);

// Lower-level: the cost of the window starting at each slot s <= max_start:
// n_full whole slots then a fraction `frac` of the next; +inf where a window
// touches an unusable slot. Empty if no window fits.
std::vector<double> WindowCosts(const std::vector<double>& slot_cost, size_t n_full, double frac, size_t max_start);

// Lower-level: the start slot s <= max_start of the cheapest window of n_full
// whole slots followed by a fraction `frac` of the next slot. Returns false
// if every such window touches an unusable slot. This and WindowCosts keep
// their prefix sums (12 bytes per slot) per thread between calls; thread-safe.
bool CheapestWindow(const std::vector<double>& slot_cost, size_t n_full, double frac, size_t max_start,
                    size_t* start, double* cost);

}  // namespace sunwind

#endif  // SUNWIND_SCHEDULER_PLANNER_H_
