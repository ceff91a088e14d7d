#include "scheduler/capacity.h"

namespace sunwind {

bool CapacityBook::HasRoom(const Region* region, TimePoint t) const {
  auto cap = capacity_.find(region);
  if (cap == capacity_.end()) return true;
  auto b = booked_.find(region);
  const size_t i = Slot(t);
  const int used = b == booked_.end() || i >= b->second.size() ? 0 : b->second[i];
  return used < cap->second;
}

void CapacityBook::Reserve(const std::string& job, const Region* region, TimePoint from, TimePoint to) {
  if (!Limited(region) || to <= from) return;
  std::vector<int>& slots = booked_[region];
  const size_t last = Slot(to - Duration{1});
  if (slots.size() <= last) slots.resize(last + 1, 0);
  for (size_t i = Slot(from); i <= last; ++i) {
    ++slots[i];
    held_[job].push_back({region, i});
  }
}

void CapacityBook::Release(const std::string& job) {
  auto it = held_.find(job);
  if (it == held_.end()) return;
  for (const auto& [region, i] : it->second) --booked_[region][i];
  held_.erase(it);
}

}  // namespace sunwind
