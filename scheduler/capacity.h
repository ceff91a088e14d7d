// Regions' capacity (jobs that may run at once) and the slots planners have
// reserved in it. A region not listed has no limit. The queue enforces the
// limit for every policy; capacity-aware planners (sunwind, oracle) also
// plan around what others reserved, placing each job in the cleanest slots
// still free.
#ifndef SUNWIND_SCHEDULER_CAPACITY_H_
#define SUNWIND_SCHEDULER_CAPACITY_H_

#include <map>
#include <string>
#include <vector>

#include "core/time.h"
#include "regions/region.h"

namespace sunwind {

// Concurrent jobs per region.
using RegionCapacity = std::map<const Region*, int>;

class CapacityBook {
 public:
  // Slots are `step` long from `origin`; times before it are never booked.
  CapacityBook(const RegionCapacity& capacity, TimePoint origin, Duration step)
      : capacity_(capacity), origin_(origin), step_(step) {}

  bool Limited(const Region* region) const { return capacity_.count(region) > 0; }
  // Whether another job fits in the region's slot that starts at or holds t.
  bool HasRoom(const Region* region, TimePoint t) const;
  // Books the slots [from, to) touches in the region for the job, on top of
  // what it holds already.
  void Reserve(const std::string& job, const Region* region, TimePoint from, TimePoint to);
  // Frees every slot the job holds.
  void Release(const std::string& job);

 private:
  size_t Slot(TimePoint t) const { return t < origin_ ? 0 : static_cast<size_t>((t - origin_) / step_); }

  RegionCapacity capacity_;
  TimePoint origin_;
  Duration step_;
  std::map<const Region*, std::vector<int>> booked_;  // jobs per slot
  std::map<std::string, std::vector<std::pair<const Region*, size_t>>> held_;  // by job
};

}  // namespace sunwind

#endif  // SUNWIND_SCHEDULER_CAPACITY_H_
