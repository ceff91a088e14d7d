// Properties of every policy over random small worlds: random grids in up to
// three regions, random jobs, forecasts of every kind.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "scheduler/capacity.h"
#include "scheduler/policies.h"
#include "scheduler/queue.h"
#include "scheduler/simulator.h"
#include "sim_fixtures.h"

namespace sunwind {
namespace {

using testing::DailyWave;
using testing::H;
using testing::kHour;
using testing::MakeRegion;
using testing::Series;

constexpr long long kHistoryH = 8 * 24;  // before hour 0, for the forecasts
constexpr long long kSpanH = 10 * 24;    // after it

struct World {
  std::vector<std::unique_ptr<Region>> regions;
  GridData grid;
  std::vector<JobSpec> jobs;
};

// A random world: every region's grid a daily wave of random phase and
// noise with random spikes; jobs submitted in the first three days.
// Durations are whole hours, the planner's own unit.
std::unique_ptr<World> RandomWorld(unsigned seed, int n_jobs, bool with_overhead) {
  std::mt19937 rng(seed);
  auto w = std::make_unique<World>();
  const int n_regions = 1 + static_cast<int>(rng() % 3);
  for (int r = 0; r < n_regions; ++r) {
    const std::string zone(1, static_cast<char>('A' + r));
    w->regions.push_back(MakeRegion("test:" + zone, zone, 1.0 + 0.1 * static_cast<double>(rng() % 5)));
    std::vector<double> v = DailyWave(kHistoryH + kSpanH, 100 + rng() % 300, 20 + rng() % 150, 5 + rng() % 40, rng(),
                                      static_cast<double>(rng() % 24));
    for (auto& x : v) {
      if (rng() % 20 == 0) x *= 0.2 + 0.1 * static_cast<double>(rng() % 20);
    }
    EXPECT_TRUE(w->grid.Add(zone, Series(H(-kHistoryH), v)).ok());
  }
  for (int i = 0; i < n_jobs; ++i) {
    JobSpec j;
    j.id = "j" + std::to_string(i);
    j.submit = H(static_cast<long long>(rng() % 72));
    const long long hours = 1 + rng() % 12;
    j.duration = kHour * hours;
    j.deadline = j.submit + j.duration + kHour * static_cast<long long>(rng() % 37);
    j.power_w = 500 + 100.0 * static_cast<double>(rng() % 30);
    j.interruptible = rng() % 2 == 0;
    if (j.interruptible) {
      j.min_chunk = kHour * static_cast<long long>(rng() % std::min<long long>(4, hours + 1));
      if (with_overhead) j.checkpoint_overhead = Duration{60 * static_cast<long long>(rng() % 20)};
    }
    j.home_region = w->regions[rng() % w->regions.size()].get();
    j.allowed_regions = {j.home_region};
    for (const auto& r : w->regions) {
      if (r.get() != j.home_region && rng() % 2 == 0) j.allowed_regions.push_back(r.get());
    }
    w->jobs.push_back(std::move(j));
  }
  return w;
}

Result<SimulationReport> Simulated(World& w, const std::string& policy, const std::string& forecast) {
  auto view = MakeView(forecast, w.grid, Duration{72 * 3600}, 3);
  if (!view.ok()) return view.status();
  ActualView actual(w.grid);
  auto p = MakePolicy(policy, **view, actual, kHour);
  if (!p.ok()) return p.status();
  SimulationOptions o;
  o.from = H(0);
  o.to = H(72);
  return Simulate(w.jobs, **p, w.grid, o);
}

TEST(SimulatePropertyTest, EveryPolicyMeetsEveryDeadlineOnEveryForecast) {
  // Given 40 random worlds of 12 jobs, we should see no policy miss a
  // deadline, whatever it decides on.
  for (unsigned seed = 1; seed <= 40; ++seed) {
    auto w = RandomWorld(seed, 12, /*with_overhead=*/true);
    for (const std::string forecast : {"oracle", "seasonal-naive", "noise:20%"}) {
      for (const auto& policy : PolicyNames()) {
        auto r = Simulated(*w, policy, forecast);
        ASSERT_TRUE(r.ok()) << policy << " " << forecast << " seed " << seed << ": " << r.status().message();
        EXPECT_EQ(0, r->deadlines_missed) << policy << " on " << forecast << ", seed " << seed;
        EXPECT_EQ(12, r->jobs);
      }
    }
  }
}

TEST(SimulatePropertyTest, OracleIsTheLeastOfEveryPolicyThatKeepsTheMinimumChunk) {
  // Given random worlds, we should see the oracle emit no more than any
  // policy; threshold is left out, since it ignores minimum chunks.
  for (unsigned seed = 100; seed < 130; ++seed) {
    auto w = RandomWorld(seed, 10, /*with_overhead=*/true);
    auto oracle = Simulated(*w, "oracle", "oracle");
    ASSERT_TRUE(oracle.ok());
    for (const std::string policy : {"run-now", "best-region-now", "best-window", "sunwind"}) {
      for (const std::string forecast : {"seasonal-naive", "noise:10%"}) {
        auto r = Simulated(*w, policy, forecast);
        ASSERT_TRUE(r.ok());
        EXPECT_LE(oracle->emissions_g, r->emissions_g * (1 + 1e-9)) << policy << " on " << forecast << ", seed " << seed;
      }
    }
  }
}

TEST(SimulatePropertyTest, SunwindWithAPerfectForecastEqualsTheOracleForSingleJobs) {
  // Given one random job at a time (no checkpoint overhead, any minimum
  // chunk), we should see sunwind on a perfect forecast, re-planning daily,
  // emit exactly what the oracle does.
  for (unsigned seed = 200; seed < 300; ++seed) {
    auto w = RandomWorld(seed, 1, /*with_overhead=*/false);
    auto oracle = Simulated(*w, "oracle", "oracle");
    auto sunwind = Simulated(*w, "sunwind", "oracle");
    ASSERT_TRUE(oracle.ok() && sunwind.ok());
    EXPECT_NEAR(oracle->emissions_g, sunwind->emissions_g, 1e-9 * oracle->emissions_g) << "seed " << seed;
  }
}

TEST(SimulatePropertyTest, OracleAtMostSunwindAtMostRunNowOnSeasonalGrids) {
  // Given grids with a clear daily cycle (what seasonal-naive forecasts) and
  // random jobs, we should see oracle <= sunwind <= run-now in emissions.
  for (unsigned seed = 300; seed < 320; ++seed) {
    auto w = RandomWorld(seed, 15, /*with_overhead=*/true);
    // Calm the grids: one wave per region, little noise, no spikes.
    std::mt19937 rng(seed);
    GridData calm;
    for (const auto& r : w->regions) {
      ASSERT_TRUE(calm.Add(r->zone, Series(H(-kHistoryH), DailyWave(kHistoryH + kSpanH, 300, 150, 10, rng(),
                                                                     static_cast<double>(rng() % 24))))
                      .ok());
    }
    w->grid = calm;
    auto oracle = Simulated(*w, "oracle", "oracle");
    auto sunwind = Simulated(*w, "sunwind", "seasonal-naive");
    auto run_now = Simulated(*w, "run-now", "seasonal-naive");
    ASSERT_TRUE(oracle.ok() && sunwind.ok() && run_now.ok());
    EXPECT_LE(oracle->emissions_g, sunwind->emissions_g * (1 + 1e-9)) << "seed " << seed;
    EXPECT_LE(sunwind->emissions_g, run_now->emissions_g) << "seed " << seed;
  }
}

// Counts what runs where and fails the test the moment a region holds more
// jobs than its capacity.
class CountingExecutor final : public Executor {
 public:
  explicit CountingExecutor(const RegionCapacity& capacity) : capacity_(capacity) {}
  Status Start(const JobSpec& job, const Region& region, TimePoint at) override {
    region_of_[&job] = &region;
    return Run(job);
  }
  Status Pause(const JobSpec& job, TimePoint at) override { return Stop(job); }
  Status Resume(const JobSpec& job, TimePoint at) override { return Run(job); }
  Status Finish(const JobSpec& job, TimePoint at) override { return Stop(job); }
  int most = 0;

 private:
  Status Run(const JobSpec& job) {
    const Region* r = region_of_.at(&job);
    most = std::max(most, ++running_[r]);
    if (running_[r] > capacity_.at(r)) return Status::Internal(r->id + " over capacity");
    return Status::Ok();
  }
  Status Stop(const JobSpec& job) {
    --running_[region_of_.at(&job)];
    return Status::Ok();
  }
  const RegionCapacity& capacity_;
  std::map<const JobSpec*, const Region*> region_of_;
  std::map<const Region*, int> running_;
};

TEST(SimulatePropertyTest, NoPolicyEverRunsMoreJobsInARegionThanItHolds) {
  // Given random worlds of 20 jobs whose regions hold 1 to 3 jobs at once,
  // we should never see a region run more, under any policy.
  for (unsigned seed = 400; seed < 420; ++seed) {
    auto w = RandomWorld(seed, 20, /*with_overhead=*/true);
    RegionCapacity capacity;
    for (const auto& r : w->regions) capacity[r.get()] = 1 + static_cast<int>(seed % 3);
    for (const auto& name : PolicyNames()) {
      auto view = MakeView("seasonal-naive", w->grid, Duration{72 * 3600}, 3);
      ASSERT_TRUE(view.ok());
      ActualView actual(w->grid);
      CapacityBook book(capacity, H(0), kHour);
      auto policy = MakePolicy(name, **view, actual, kHour, &book);
      ASSERT_TRUE(policy.ok());
      ManualClock clock(H(0));
      CountingExecutor executor(capacity);
      JobQueue queue(clock, **policy, executor, kHour);
      queue.SetCapacity(&capacity);
      for (const JobSpec& j : w->jobs) queue.Submit(j);
      for (long long h = 0; h < 8 * 24 && !(h > 72 && queue.AllFinished()); ++h) {
        clock.Set(H(h));
        Status s = queue.Tick(h % 24 == 0);
        ASSERT_TRUE(s.ok()) << name << ", seed " << seed << ": " << s.message();
      }
      EXPECT_TRUE(queue.AllFinished()) << name << ", seed " << seed;
      EXPECT_GE(executor.most, 1);
    }
  }
}

}  // namespace
}  // namespace sunwind
