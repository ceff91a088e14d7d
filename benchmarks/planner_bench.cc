// Decision speed of the planner: many regions × a week of 5-minute slots.
//   build/benchmarks/planner_bench --benchmark_format=json
// Slot costs are a real year's shape (a daily sine plus noise), which does not
// change the planner's running time: it is data-independent but for ties.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <random>

#include "scheduler/planner.h"

namespace {

std::vector<double> WeekOfCosts(size_t slots, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, 20);
  std::vector<double> c(slots);
  for (size_t i = 0; i < slots; ++i) c[i] = 300 + 150 * std::sin(2 * M_PI * static_cast<double>(i) / 288) + noise(rng);
  return c;
}

// One contiguous job over a week of 5-minute slots, in each of N regions.
void BM_CheapestWindowRegionsWeek5min(benchmark::State& state) {
  const size_t regions = static_cast<size_t>(state.range(0)), slots = 7 * 288, job_slots = 6 * 12;
  std::vector<std::vector<double>> costs;
  for (size_t r = 0; r < regions; ++r) costs.push_back(WeekOfCosts(slots, static_cast<unsigned>(r)));
  for (auto _ : state) {
    double best = 1e300;
    for (const auto& c : costs) {
      size_t s;
      double cost;
      if (sunwind::CheapestWindow(c, job_slots, 0.0, slots - job_slots, &s, &cost)) best = std::min(best, cost);
    }
    benchmark::DoNotOptimize(best);
  }
  state.counters["region_slots"] = static_cast<double>(regions * slots);
}
BENCHMARK(BM_CheapestWindowRegionsWeek5min)->Arg(10)->Arg(100)->Unit(benchmark::kMicrosecond);

// An interruptible 24h job in a week of 5-minute slots, chunks of at least 1h
// (dynamic programming), and without a minimum chunk (k-smallest selection).
void BM_CheapestSlotsWeek5min(benchmark::State& state) {
  const size_t slots = 7 * 288, k = 288, min_chunk = static_cast<size_t>(state.range(0));
  auto c = WeekOfCosts(slots, 7);
  std::vector<double> restart(slots, 0);
  for (auto _ : state) {
    double total;
    auto chosen = sunwind::CheapestSlots(c, k, min_chunk, restart, &total);
    benchmark::DoNotOptimize(chosen);
  }
}
BENCHMARK(BM_CheapestSlotsWeek5min)->Arg(1)->Arg(12)->Unit(benchmark::kMillisecond);

// The 1 h minimum-chunk case on the portable row kernel, to weigh the AVX2 one.
void BM_CheapestSlotsWeek5minPortable(benchmark::State& state) {
  sunwind::SetCheapestSlotsSimdForTesting(false);
  BM_CheapestSlotsWeek5min(state);
  sunwind::SetCheapestSlotsSimdForTesting(true);
}
BENCHMARK(BM_CheapestSlotsWeek5minPortable)->Arg(12)->Unit(benchmark::kMillisecond);

// Issue 5's single-plan targets: 100 regions × 7 days of 5-minute slots, a
// 24 h interruptible job (288 slots) planned in every region, without a
// minimum chunk (target < 1 ms) and with a 1 h one (target < 50 ms).
void BM_InterruptibleRegionsWeek5min(benchmark::State& state) {
  const size_t regions = 100, slots = 7 * 288, k = 288, min_chunk = static_cast<size_t>(state.range(0));
  std::vector<std::vector<double>> costs;
  for (size_t r = 0; r < regions; ++r) costs.push_back(WeekOfCosts(slots, static_cast<unsigned>(r)));
  std::vector<double> restart(slots, 0);
  for (auto _ : state) {
    double best = 1e300;
    for (const auto& c : costs) {
      double total;
      if (!sunwind::CheapestSlots(c, k, min_chunk, restart, &total).empty()) best = std::min(best, total);
    }
    benchmark::DoNotOptimize(best);
  }
}
BENCHMARK(BM_InterruptibleRegionsWeek5min)->Arg(1)->Arg(12)->Unit(benchmark::kMillisecond);

// The same through PlanJob, on 100 regions with mean intensities spread
// evenly over [20, 20 + spread_g] g/kWh, PUE 1.1, a daily cycle of ±30 % plus
// 5 % noise: a 24 h job, interruptible with state.range(0) as the minimum
// chunk in minutes, or a 6 h non-interruptible one.
void PlanJob100Regions(benchmark::State& state, double spread_g, bool interruptible = true) {
  const size_t regions = 100, slots = 7 * 288;
  const sunwind::TimePoint at{std::chrono::sys_days{std::chrono::year{2024} / 3 / 4}};
  std::deque<sunwind::Region> owned;
  std::vector<sunwind::RegionSeries> candidates;
  std::mt19937 rng(42);
  std::normal_distribution<double> noise(0, 0.05);
  for (size_t r = 0; r < regions; ++r) {
    sunwind::Region region;
    region.id = "bench:r" + std::to_string(r);
    region.pue = 1.1;
    owned.push_back(region);
    sunwind::IntensitySeries s;
    s.start = at;
    s.step = std::chrono::minutes(5);
    const double level = 20 + spread_g * static_cast<double>(r) / (regions - 1);
    for (size_t i = 0; i < slots; ++i) {
      double v = level * (1 + 0.3 * std::sin(2 * M_PI * static_cast<double>(i) / 288) + noise(rng));
      s.Append(std::max(v, 0.0), sunwind::PointKind::kMeasured, "bench");
    }
    candidates.push_back({&owned.back(), std::move(s)});
  }
  sunwind::PlanRequest q;
  q.at = at;
  q.deadline = at + std::chrono::hours(7 * 24);
  q.duration = std::chrono::hours(interruptible ? 24 : 6);
  q.interruptible = interruptible;
  if (interruptible) q.min_chunk = std::chrono::minutes(state.range(0));
  for (auto _ : state) {
    auto plan = sunwind::PlanJob(candidates, candidates.front(), q);
    benchmark::DoNotOptimize(plan);
  }
}

// Grids that differ as real ones do (20..700 g/kWh): the lower-bound pruning
// leaves the exact search to a few regions.
void BM_PlanJobInterruptible100Regions(benchmark::State& state) { PlanJob100Regions(state, 680); }
BENCHMARK(BM_PlanJobInterruptible100Regions)->Arg(0)->Arg(60)->Unit(benchmark::kMillisecond);

// 100 regions at one level (20 g/kWh), differing only by their noise: no
// region's bound rules it out, so the exact search runs nearly everywhere.
void BM_PlanJobInterruptible100AlikeRegions(benchmark::State& state) { PlanJob100Regions(state, 0); }
BENCHMARK(BM_PlanJobInterruptible100AlikeRegions)->Arg(0)->Arg(60)->Unit(benchmark::kMillisecond);

// Issue 5's non-interruptible target through PlanJob: a 6 h job, one
// contiguous window, in 100 regions whose grids differ (target < 1 ms) or
// are alike.
void BM_PlanJobNonInterruptible100Regions(benchmark::State& state) { PlanJob100Regions(state, 680, false); }
BENCHMARK(BM_PlanJobNonInterruptible100Regions)->Unit(benchmark::kMillisecond);
void BM_PlanJobNonInterruptible100AlikeRegions(benchmark::State& state) { PlanJob100Regions(state, 0, false); }
BENCHMARK(BM_PlanJobNonInterruptible100AlikeRegions)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
