// The grid data a simulation needs, loaded once: every zone the jobs may
// touch, hourly, from the forecasts' look-back before the period to past the
// last deadline. Shared by `sunwind simulate` and the simulation benchmark.
#ifndef SUNWIND_CLI_SIMULATION_GRID_H_
#define SUNWIND_CLI_SIMULATION_GRID_H_

#include <string>
#include <vector>

#include "cli/app.h"
#include "core/status.h"
#include "scheduler/grid.h"
#include "scheduler/job.h"

namespace sunwind {

struct SimulationGrid {
  GridData grid;
  // The longest any job may wait and run (submit to deadline), whole hours:
  // how far ahead forecasts must reach.
  Duration horizon{3600};
  // What the accounting of [from, to) rests on, per zone, and bridged gaps.
  std::vector<std::string> notes;
};

// Loads, through the app's providers (--trace files first), every zone of
// every region the jobs name. Errors name the region.
Result<SimulationGrid> LoadSimulationGrid(App& app, const std::vector<JobSpec>& jobs, TimePoint from, TimePoint to);

}  // namespace sunwind

#endif  // SUNWIND_CLI_SIMULATION_GRID_H_
