// Decision speed of the planner: many regions × a week of 5-minute slots.
//   build/benchmarks/planner_bench --benchmark_format=json
// Slot costs are a real year's shape (a daily sine plus noise), which does not
// change the planner's running time: it is data-independent but for ties.
#include <benchmark/benchmark.h>

#include <cmath>
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
BENCHMARK(BM_CheapestWindowRegionsWeek5min)->Arg(10)->Arg(120)->Unit(benchmark::kMicrosecond);

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

}  // namespace

BENCHMARK_MAIN();
