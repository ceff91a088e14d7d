#include "scheduler/job.h"

namespace sunwind {

bool MustRunNow(const JobState& job, TimePoint now, Duration step) {
  const Duration remaining = job.Remaining();
  if (remaining <= Duration{0}) return false;
  const long long slots_needed = (remaining + step - Duration{1}) / step;
  const long long slots_left = job.spec->deadline > now ? (job.spec->deadline - now) / step : 0;
  return slots_needed >= slots_left;
}

}  // namespace sunwind
