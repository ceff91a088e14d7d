#include "scheduler/queue_planner.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <utility>

namespace sunwind {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double Tolerance(double cost) { return 1e-9 * std::max(1.0, std::fabs(cost)); }

// One region's reservations: jobs per slot and a prefix count of full slots,
// so whether a window has room is one subtraction.
struct Book {
  int capacity;
  std::vector<int> used;
  std::vector<uint32_t> full_before;  // full_before[i]: full slots in [0, i)

  Book(int cap, size_t slots) : capacity(cap), used(slots, 0), full_before(slots + 1, 0) { Recount(0); }
  bool HasRoom(size_t s, size_t span) const { return full_before[s + span] == full_before[s]; }
  void Recount(size_t from) {
    for (size_t i = from; i < used.size(); ++i) full_before[i + 1] = full_before[i] + (used[i] >= capacity ? 1 : 0);
  }
  void Reserve(size_t s, size_t span) {
    bool filled = false;
    for (size_t i = s; i < s + span; ++i) filled |= ++used[i] >= capacity;
    if (filled) Recount(s);
  }
};

// A job's shape in slots and its window costs per region (grams per kW).
struct Shape {
  size_t n_full = 0;
  double frac = 0;
  size_t span = 0;
  const std::vector<std::vector<double>>* windows = nullptr;  // [region][start]
};

}  // namespace

Result<QueuePlan> PlanQueue(const std::vector<RegionSeries>& regions, const std::vector<int>& capacity,
                            const std::vector<QueueJob>& jobs, const QueueOptions& options) {
  if (capacity.size() != regions.size()) {
    return Status::InvalidArgument("capacity: " + std::to_string(capacity.size()) + " entries for " +
                                   std::to_string(regions.size()) + " regions");
  }
  QueuePlan plan;
  plan.placements.resize(jobs.size());
  if (regions.empty()) {
    for (size_t j = 0; j < jobs.size(); ++j) {
      plan.placements[j].id = jobs[j].id;
      plan.placements[j].single_optimum_g = kNoValue;
      plan.placements[j].reason = "no region";
    }
    return plan;
  }
  const TimePoint origin = regions.front().series.start;
  const Duration step = regions.front().series.step;
  size_t slots = 0;
  for (const auto& rs : regions) {
    if (rs.series.start != origin || rs.series.step != step) {
      return Status::Internal("queue planner: every series must share one start and one step (" + rs.region->id + ")");
    }
    slots = std::max(slots, rs.series.size());
  }
  // Grams per slot of running at 1 kW, padded to a common length with gaps.
  const double hours = static_cast<double>(step.count()) / 3600.0;
  std::vector<std::vector<double>> unit_cost(regions.size(), std::vector<double>(slots, kInf));
  for (size_t r = 0; r < regions.size(); ++r) {
    const auto& s = regions[r].series;
    for (size_t i = 0; i < s.size(); ++i) {
      unit_cost[r][i] = std::isnan(s.values[i]) ? kInf : s.values[i] * hours * regions[r].region->pue;
    }
  }

  // Validate, and find each job's shape; window costs are shared by jobs of
  // one duration.
  std::map<Duration, std::vector<std::vector<double>>> windows_by_duration;
  std::vector<Shape> shapes(jobs.size());
  for (size_t j = 0; j < jobs.size(); ++j) {
    const QueueJob& job = jobs[j];
    if (job.duration.count() <= 0) return Status::InvalidArgument("job " + job.id + ": duration must be positive");
    if (!(job.power_w > 0)) return Status::InvalidArgument("job " + job.id + ": power must be positive");
    for (size_t r : job.allowed_regions) {
      if (r >= regions.size()) {
        return Status::InvalidArgument("job " + job.id + ": region index " + std::to_string(r) + " out of range");
      }
    }
    Shape& sh = shapes[j];
    sh.n_full = static_cast<size_t>(job.duration / step);
    sh.frac = static_cast<double>((job.duration % step).count()) / static_cast<double>(step.count());
    sh.span = sh.n_full + (sh.frac > 0 ? 1 : 0);
    auto [it, fresh] = windows_by_duration.try_emplace(job.duration);
    if (fresh && sh.span <= slots) {
      for (size_t r = 0; r < regions.size(); ++r) {
        it->second.push_back(WindowCosts(unit_cost[r], sh.n_full, sh.frac, slots - sh.span));
      }
    }
    sh.windows = &it->second;
  }

  // The starts a job may take: [first, last], empty when first > last.
  auto start_range = [&](size_t j, size_t* first, size_t* last) {
    const QueueJob& job = jobs[j];
    if (job.deadline - origin < job.duration || shapes[j].windows->empty()) return false;
    const Duration lead = std::max(job.earliest - origin, Duration{0});
    *first = static_cast<size_t>((lead + step - Duration{1}) / step);
    *last = std::min(static_cast<size_t>((job.deadline - origin - job.duration) / step), slots - shapes[j].span);
    return *first <= *last;
  };
  auto allowed = [&](size_t j, size_t r) {
    const auto& a = jobs[j].allowed_regions;
    return a.empty() || std::find(a.begin(), a.end(), r) != a.end();
  };

  std::vector<size_t> order(jobs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return jobs[a].deadline - jobs[a].earliest - jobs[a].duration <
           jobs[b].deadline - jobs[b].earliest - jobs[b].duration;
  });

  std::vector<Book> books;
  books.reserve(regions.size());
  for (int cap : capacity) books.emplace_back(cap, slots);
  std::vector<size_t> all_regions(regions.size());
  std::iota(all_regions.begin(), all_regions.end(), 0);

  for (size_t j : order) {
    const QueueJob& job = jobs[j];
    const Shape& sh = shapes[j];
    QueuePlacement& p = plan.placements[j];
    p.id = job.id;
    p.single_optimum_g = kNoValue;
    size_t first = 0, last = 0;
    if (!start_range(j, &first, &last)) {
      p.reason = "no window of the job's duration between its earliest start and its deadline";
      continue;
    }
    const double power_kw = job.power_w / 1000.0;
    double optimum = kInf, best = kInf;
    double clearly_below = kInf, tie_up_to = kInf;  // best's tolerance band
    size_t best_r = 0, best_s = 0;
    const auto& regions_to_try = job.allowed_regions.empty() ? all_regions : job.allowed_regions;
    for (size_t r : regions_to_try) {
      const std::vector<double>& w = (*sh.windows)[r];
      const Book& book = books[r];
      for (size_t s = first; s <= last; ++s) {
        const double cost = w[s];
        if (cost < optimum) optimum = cost;
        // Clearly cheaper wins; ties go to the earlier start, then the region
        // tried first.
        if (cost < clearly_below || (cost <= tie_up_to && s < best_s)) {
          if (std::isinf(cost) || !book.HasRoom(s, sh.span)) continue;
          best = cost;
          clearly_below = best - Tolerance(best);
          tie_up_to = best + Tolerance(best);
          best_r = r;
          best_s = s;
        }
      }
    }
    if (std::isinf(optimum)) {
      p.reason = "no window with complete intensity data between the job's earliest start and its deadline";
      continue;
    }
    p.single_optimum_g = optimum * power_kw;
    if (std::isinf(best)) {
      p.reason = "every window between the job's earliest start and its deadline is at capacity";
      continue;
    }
    books[best_r].Reserve(best_s, sh.span);
    p.placed = true;
    p.region = best_r;
    p.start_slot = best_s;
    p.emissions_g = best * power_kw;
    plan.greedy_emissions_g += p.emissions_g;
  }

  if (options.swap_pass) {
    // Jobs holding the same number of slots, grouped, in placement order.
    std::map<size_t, std::vector<size_t>> by_span;
    for (size_t j : order) {
      if (plan.placements[j].placed) by_span[shapes[j].span].push_back(j);
    }
    auto cost_at = [&](size_t j, size_t r, size_t s) {
      size_t first = 0, last = 0;
      if (!allowed(j, r) || !start_range(j, &first, &last) || s < first || s > last) return kInf;
      return (*shapes[j].windows)[r][s] * jobs[j].power_w / 1000.0;
    };
    for (auto& [span, group] : by_span) {
      for (size_t x = 0; x < group.size(); ++x) {
        for (size_t y = x + 1; y < group.size(); ++y) {
          QueuePlacement& a = plan.placements[group[x]];
          QueuePlacement& b = plan.placements[group[y]];
          if (a.region == b.region && a.start_slot == b.start_slot) continue;
          const double now = a.emissions_g + b.emissions_g;
          const double a_cost = cost_at(group[x], b.region, b.start_slot);
          const double b_cost = cost_at(group[y], a.region, a.start_slot);
          if (!(a_cost + b_cost < now - Tolerance(now))) continue;
          std::swap(a.region, b.region);
          std::swap(a.start_slot, b.start_slot);
          a.emissions_g = a_cost;
          b.emissions_g = b_cost;
          ++plan.swaps;
        }
      }
    }
  }

  for (QueuePlacement& p : plan.placements) {
    if (!p.placed) continue;
    p.start = origin + step * static_cast<long long>(p.start_slot);
    ++plan.placed;
    plan.emissions_g += p.emissions_g;
    plan.single_optima_g += p.single_optimum_g;
  }
  return plan;
}

}  // namespace sunwind
