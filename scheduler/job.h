// A job as the scheduler core sees it: what the user asked for (JobSpec) and
// where it stands (JobState). No I/O, no clock.
#ifndef SUNWIND_SCHEDULER_JOB_H_
#define SUNWIND_SCHEDULER_JOB_H_

#include <string>
#include <vector>

#include "core/time.h"
#include "regions/region.h"

namespace sunwind {

struct JobSpec {
  std::string id;
  TimePoint submit;    // when the job enters the queue; it may start no earlier
  Duration duration;   // running time at full power
  double power_w = 1000;
  TimePoint deadline;  // all work ends by then
  bool interruptible = false;
  // Interruptible only: the shortest run between pauses.
  Duration min_chunk{0};
  // Interruptible only: what each resume after a pause costs, as extra
  // running time at full power (reloading a checkpoint). Accounted as energy
  // at the intensity of the slot it resumes in, as the planner counts it.
  Duration checkpoint_overhead{0};
  const Region* home_region = nullptr;         // where it would run right now
  std::vector<const Region*> allowed_regions;  // candidates; the home region is one of them
};

// Where one job stands. The core keeps it; policies read it.
struct JobState {
  const JobSpec* spec = nullptr;
  Duration work_done{0};
  // Set at the first start and fixed after: a checkpoint does not move
  // between regions.
  const Region* region = nullptr;
  bool started = false;
  bool running = false;
  bool finished = false;
  int pauses = 0;
  // Held by a user (paused or kept from starting): the core leaves it alone
  // until it is released.
  bool held = false;
  // Ran past its estimated work and still runs (the daemon's jobs end when
  // their process does, never on the estimate).
  bool overrun = false;
  TimePoint first_start{};
  TimePoint finish{};

  Duration Remaining() const { return spec->duration - work_done; }
};

// True when the job must run in the slot starting at `now` to end by its
// deadline: the whole slots its remaining work needs are all the whole slots
// left. Every policy obeys it, so none misses a deadline it could meet.
bool MustRunNow(const JobState& job, TimePoint now, Duration step);

}  // namespace sunwind

#endif  // SUNWIND_SCHEDULER_JOB_H_
