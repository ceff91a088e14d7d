// Issue 5's queue target: 10,000 non-interruptible jobs over 50 regions and a
// week of 5-minute slots (2,016), 40 jobs at once per region; under 2 s.
// One thread; the planner is single-threaded.
//   build/benchmarks/queue_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
// Grids differ as real ones do (mean 20..700 g/kWh, PUE 1.1, a daily cycle of
// ±30 % plus 5 % noise). Jobs: durations 1..8 h (whole 5-minute slots), power
// 200..2,000 W, earliest start spread over the first 5 days, 0..48 h of slack
// (deadline capped at the week's end), every region allowed. Args: swaps (1:
// with the swap pass) and capacity (jobs at once per region; 0: unlimited). Counters: jobs_per_s, gap_pct (emissions over the
// sum of single-job optima, placed jobs), greedy_gap_pct (before swaps),
// swaps, placed.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <random>

#include "scheduler/queue_planner.h"

namespace {

using sunwind::Duration;
using std::chrono::hours;
using std::chrono::minutes;

struct QueueCase {
  std::deque<sunwind::Region> owned;
  std::vector<sunwind::RegionSeries> regions;
  std::vector<int> capacity;
  std::vector<sunwind::QueueJob> jobs;
};

QueueCase MakeCase(size_t n_regions, size_t n_jobs, int capacity) {
  const size_t slots = 7 * 288;
  const sunwind::TimePoint at{std::chrono::sys_days{std::chrono::year{2024} / 3 / 4}};
  QueueCase c;
  std::mt19937 rng(42);
  std::normal_distribution<double> noise(0, 0.05);
  for (size_t r = 0; r < n_regions; ++r) {
    sunwind::Region region;
    region.id = "bench:r" + std::to_string(r);
    region.pue = 1.1;
    c.owned.push_back(region);
    sunwind::IntensitySeries s;
    s.start = at;
    s.step = minutes(5);
    const double level = 20 + 680.0 * static_cast<double>(r) / static_cast<double>(n_regions - 1);
    const double phase = 2 * M_PI * static_cast<double>(r % 8) / 8;  // regions in different time zones
    for (size_t i = 0; i < slots; ++i) {
      double v = level * (1 + 0.3 * std::sin(2 * M_PI * static_cast<double>(i) / 288 + phase) + noise(rng));
      s.Append(std::max(v, 0.0), sunwind::PointKind::kMeasured, "bench");
    }
    c.regions.push_back({&c.owned.back(), std::move(s)});
    c.capacity.push_back(capacity);
  }
  const sunwind::TimePoint week_end = at + hours(7 * 24);
  std::uniform_int_distribution<int> duration_slots(12, 96), slack_min(0, 48 * 60), arrival_slot(0, 5 * 288);
  std::uniform_real_distribution<double> power(200, 2000);
  for (size_t j = 0; j < n_jobs; ++j) {
    sunwind::QueueJob job;
    job.id = "job" + std::to_string(j);
    job.duration = minutes(5 * duration_slots(rng));
    job.power_w = power(rng);
    job.earliest = at + minutes(5 * arrival_slot(rng));  // on a slot boundary
    job.deadline = std::min(job.earliest + job.duration + minutes(slack_min(rng)), week_end);
    c.jobs.push_back(std::move(job));
  }
  return c;
}

void BM_PlanQueue10kJobs50Regions(benchmark::State& state) {
  const int capacity = state.range(1) > 0 ? static_cast<int>(state.range(1)) : sunwind::kUnlimitedCapacity;
  const QueueCase c = MakeCase(50, 10000, capacity);
  sunwind::QueueOptions options;
  options.swap_pass = state.range(0) != 0;
  sunwind::QueuePlan last;
  for (auto _ : state) {
    auto plan = sunwind::PlanQueue(c.regions, c.capacity, c.jobs, options);
    if (!plan.ok()) {
      state.SkipWithError(plan.status().message().c_str());
      return;
    }
    last = std::move(plan).value();
  }
  state.counters["jobs_per_s"] =
      benchmark::Counter(static_cast<double>(c.jobs.size()), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["placed"] = static_cast<double>(last.placed);
  state.counters["not_placed"] = static_cast<double>(c.jobs.size() - last.placed);
  state.counters["swaps"] = static_cast<double>(last.swaps);
  state.counters["gap_pct"] = 100 * (last.emissions_g / last.single_optima_g - 1);
  state.counters["greedy_gap_pct"] = 100 * (last.greedy_emissions_g / last.single_optima_g - 1);
  state.counters["emissions_kg"] = last.emissions_g / 1000;
  state.counters["single_optima_kg"] = last.single_optima_g / 1000;
}
BENCHMARK(BM_PlanQueue10kJobs50Regions)
    ->ArgNames({"swaps", "capacity"})
    ->Args({1, 40})
    ->Args({0, 40})
    ->Args({1, 400})
    ->Args({1, 0})  // unlimited: every job gets its single-job optimum
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
