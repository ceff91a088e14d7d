// PlanQueue: hand-worked cases (numbers worked out in the comments) and
// properties over random queues: capacity holds, every job lies in its
// window and its regions, and without capacity each job gets PlanJob's plan.
#include "scheduler/queue_planner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <random>
#include <string>
#include <vector>

namespace sunwind {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

class QueuePlannerTest : public ::testing::Test {
 protected:
  const TimePoint t0_ = TimePoint{std::chrono::sys_days{std::chrono::year{2024} / 3 / 1}};

  // Hourly measured series from t0_ in a region of the given PUE.
  RegionSeries Hourly(const std::vector<double>& values, double pue = 1.0) {
    Region r;
    r.id = "test:r" + std::to_string(regions_.size());
    r.pue = pue;
    regions_.push_back(r);
    IntensitySeries s;
    s.start = t0_;
    s.step = hours(1);
    for (double v : values) s.Append(v, PointKind::kMeasured, "test");
    return {&regions_.back(), s};
  }

  QueueJob Job(const std::string& id, Duration duration, Duration deadline, double power_w = 1000,
               Duration earliest = Duration{0}) {
    QueueJob j;
    j.id = id;
    j.duration = duration;
    j.power_w = power_w;
    j.earliest = t0_ + earliest;
    j.deadline = t0_ + deadline;
    return j;
  }

  std::deque<Region> regions_;  // deque: stable addresses
};

TEST_F(QueuePlannerTest, CapacityForcesTheSecondJobToItsSecondBestWindow) {
  // Given one region with room for one job, hourly intensities 5, 1, 2, 9,
  // and two 1 h jobs at 1 kW whose cheapest window is hour 1 (1 g), we should
  // give hour 1 to the job with less slack (the tight one, listed second:
  // slack 2 h against 3 h) and hour 2 (2 g) to the other.
  std::vector<RegionSeries> regions = {Hourly({5, 1, 2, 9})};
  std::vector<QueueJob> jobs = {Job("loose", hours(1), hours(4)), Job("tight", hours(1), hours(3))};
  auto plan = PlanQueue(regions, {1}, jobs);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(plan->placed, 2u);
  EXPECT_EQ(plan->placements[1].id, "tight");
  EXPECT_EQ(plan->placements[1].start_slot, 1u);
  EXPECT_EQ(plan->placements[0].start_slot, 2u);
  EXPECT_EQ(plan->placements[0].start, t0_ + hours(2));
  EXPECT_DOUBLE_EQ(plan->emissions_g, 3.0);
  // Each alone would take hour 1: 1 g + 1 g.
  EXPECT_DOUBLE_EQ(plan->single_optima_g, 2.0);
}

TEST_F(QueuePlannerTest, SwapGivesTheCleanWindowToTheHungrierJob) {
  // Given one region with room for one job, hourly 1 then 10 g/kWh, and two
  // 1 h jobs of equal slack, 100 W listed first and 1 kW second, we should
  // first place 100 W in hour 0 (0.1 g) and 1 kW in hour 1 (10 g): 10.1 g;
  // the swap pass exchanges them: 1 kW in hour 0 (1 g), 100 W in hour 1 (1 g).
  std::vector<RegionSeries> regions = {Hourly({1, 10})};
  std::vector<QueueJob> jobs = {Job("small", hours(1), hours(2), 100), Job("big", hours(1), hours(2), 1000)};
  auto plan = PlanQueue(regions, {1}, jobs);
  ASSERT_TRUE(plan.ok());
  EXPECT_DOUBLE_EQ(plan->greedy_emissions_g, 10.1);
  EXPECT_DOUBLE_EQ(plan->emissions_g, 2.0);
  EXPECT_EQ(plan->swaps, 1u);
  EXPECT_EQ(plan->placements[1].start_slot, 0u);
  EXPECT_EQ(plan->placements[0].start_slot, 1u);

  auto no_swaps = PlanQueue(regions, {1}, jobs, QueueOptions{.swap_pass = false});
  ASSERT_TRUE(no_swaps.ok());
  EXPECT_DOUBLE_EQ(no_swaps->emissions_g, 10.1);
  EXPECT_EQ(no_swaps->swaps, 0u);
}

TEST_F(QueuePlannerTest, ReportsInfeasibleJobsWithoutPlacingThem) {
  // Given one region with room for one job over 4 hours, a 5 h job cannot fit
  // before its deadline, and of two 4 h jobs only the first listed (equal
  // slack) gets the region: the second finds every window at capacity.
  std::vector<RegionSeries> regions = {Hourly({3, 3, 3, 3})};
  std::vector<QueueJob> jobs = {Job("too-long", hours(5), hours(4)), Job("first", hours(4), hours(4)),
                                Job("second", hours(4), hours(4))};
  auto plan = PlanQueue(regions, {1}, jobs);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->placed, 1u);
  EXPECT_FALSE(plan->placements[0].placed);
  EXPECT_EQ(plan->placements[0].reason,
            "no window of the job's duration between its earliest start and its deadline");
  EXPECT_TRUE(std::isnan(plan->placements[0].single_optimum_g));
  EXPECT_TRUE(plan->placements[1].placed);
  EXPECT_FALSE(plan->placements[2].placed);
  EXPECT_EQ(plan->placements[2].reason,
            "every window between the job's earliest start and its deadline is at capacity");
  EXPECT_DOUBLE_EQ(plan->placements[2].single_optimum_g, 12.0);  // 4 h × 3 g, had it been alone
  EXPECT_DOUBLE_EQ(plan->emissions_g, 12.0);
  EXPECT_DOUBLE_EQ(plan->single_optima_g, 12.0);  // placed jobs only
}

TEST_F(QueuePlannerTest, RejectsACapacityListOfTheWrongSizeAndBadRegionIndices) {
  // Given two regions, one capacity entry is an invalid argument, and so is a
  // job naming region 2.
  std::vector<RegionSeries> regions = {Hourly({1, 2}), Hourly({2, 1})};
  auto short_list = PlanQueue(regions, {1}, {});
  EXPECT_EQ(short_list.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(short_list.status().message(), "capacity: 1 entries for 2 regions");
  QueueJob j = Job("j", hours(1), hours(2));
  j.allowed_regions = {2};
  auto bad = PlanQueue(regions, {1, 1}, {j});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "job j: region index 2 out of range");
}

// Random regions (some gaps) and random jobs: durations of whole and partial
// slots, earliest starts and deadlines on or off slot boundaries, random
// allowed regions and powers.
class QueuePlannerPropertyTest : public QueuePlannerTest {
 protected:
  void MakeCase(std::mt19937& rng, size_t n_regions, size_t n_jobs) {
    std::uniform_real_distribution<double> intensity(20, 700);
    series_.clear();
    jobs_.clear();
    for (size_t r = 0; r < n_regions; ++r) {
      std::vector<double> v(48);
      for (double& x : v) x = rng() % 25 == 0 ? kNoValue : intensity(rng);
      series_.push_back(Hourly(v, 1.0 + 0.1 * static_cast<double>(rng() % 5)));
    }
    for (size_t j = 0; j < n_jobs; ++j) {
      Duration earliest = minutes(rng() % (24 * 60));
      Duration duration = minutes(30 + rng() % (8 * 60));
      Duration deadline = earliest + duration + minutes(rng() % (16 * 60));
      QueueJob job = Job("j" + std::to_string(j), duration, deadline, 100.0 + rng() % 2000, earliest);
      for (size_t r = 0; r < n_regions; ++r) {
        if (rng() % 2) job.allowed_regions.push_back(r);
      }
      jobs_.push_back(job);
    }
  }

  std::vector<RegionSeries> series_;
  std::vector<QueueJob> jobs_;
};

TEST_F(QueuePlannerPropertyTest, NeverExceedsCapacityAndKeepsEveryJobInItsWindowAndRegions) {
  // Given random queues tighter than the regions' capacity, we should never
  // book a slot beyond its region's capacity, start no job before its earliest
  // start, end none after its deadline, use only allowed regions, and charge
  // each job PlanJob's cost of its window.
  std::mt19937 rng(7);
  size_t crowded_out = 0, swaps = 0;  // the cases must exercise capacity and swaps
  for (int trial = 0; trial < 30; ++trial) {
    MakeCase(rng, 4, 60);
    std::vector<int> capacity;
    for (size_t r = 0; r < series_.size(); ++r) capacity.push_back(1 + static_cast<int>(rng() % 3));
    auto plan = PlanQueue(series_, capacity, jobs_);
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    std::vector<std::vector<int>> used(series_.size(), std::vector<int>(48, 0));
    double total = 0;
    for (size_t j = 0; j < jobs_.size(); ++j) {
      const QueuePlacement& p = plan->placements[j];
      const QueueJob& job = jobs_[j];
      EXPECT_EQ(p.id, job.id);
      if (!p.placed) {
        EXPECT_FALSE(p.reason.empty());
        crowded_out += p.reason == "every window between the job's earliest start and its deadline is at capacity";
        continue;
      }
      EXPECT_GE(p.start, job.earliest) << job.id;
      EXPECT_LE(p.start + job.duration, job.deadline) << job.id;
      if (!job.allowed_regions.empty()) {
        EXPECT_NE(std::find(job.allowed_regions.begin(), job.allowed_regions.end(), p.region),
                  job.allowed_regions.end())
            << job.id;
      }
      const size_t end_slot = static_cast<size_t>((p.start + job.duration - t0_ + hours(1) - Duration{1}) / hours(1));
      for (size_t i = p.start_slot; i < end_slot; ++i) ++used[p.region][i];
      // The window's cost, as PlanJob would charge it, from this start.
      PlanRequest q;
      q.at = p.start;
      q.deadline = p.start + job.duration;
      q.duration = job.duration;
      q.power_w = job.power_w;
      RegionSeries shifted = series_[p.region];
      shifted.series = IntensitySeries{};
      shifted.series.start = p.start;
      shifted.series.step = hours(1);
      for (size_t i = p.start_slot; i < 48; ++i) {
        shifted.series.Append(series_[p.region].series.values[i], PointKind::kMeasured, "test");
      }
      auto single = PlanJob({shifted}, shifted, q);
      ASSERT_TRUE(single.ok()) << single.status().message();
      EXPECT_NEAR(p.emissions_g, single->emissions_g, 1e-9 * single->emissions_g) << job.id;
      EXPECT_LE(p.single_optimum_g, p.emissions_g * (1 + 1e-12)) << job.id;
      total += p.emissions_g;
    }
    for (size_t r = 0; r < series_.size(); ++r) {
      for (size_t i = 0; i < 48; ++i) EXPECT_LE(used[r][i], capacity[r]) << "region " << r << " slot " << i;
    }
    EXPECT_NEAR(plan->emissions_g, total, 1e-9 * total);
    EXPECT_LE(plan->emissions_g, plan->greedy_emissions_g * (1 + 1e-12));
    swaps += plan->swaps;
  }
  EXPECT_GT(crowded_out, 0u);
  EXPECT_GT(swaps, 0u);
}

TEST_F(QueuePlannerPropertyTest, WithoutCapacityEveryJobGetsItsSingleJobOptimum) {
  // Given unlimited capacity, each job's emissions should be PlanJob's on the
  // series from its earliest slot to its deadline over its allowed regions,
  // and the total the sum of those single-job optima.
  std::mt19937 rng(11);
  for (int trial = 0; trial < 20; ++trial) {
    MakeCase(rng, 5, 40);
    auto plan = PlanQueue(series_, std::vector<int>(series_.size(), kUnlimitedCapacity), jobs_);
    ASSERT_TRUE(plan.ok());
    double sum_single = 0;
    for (size_t j = 0; j < jobs_.size(); ++j) {
      const QueueJob& job = jobs_[j];
      // PlanJob plans from `at` on series that start there: the job's first
      // whole slot.
      const size_t first = static_cast<size_t>((job.earliest - t0_ + hours(1) - Duration{1}) / hours(1));
      const TimePoint at = t0_ + hours(first);
      std::vector<RegionSeries> candidates;
      for (size_t r = 0; r < series_.size(); ++r) {
        if (!job.allowed_regions.empty() &&
            std::find(job.allowed_regions.begin(), job.allowed_regions.end(), r) == job.allowed_regions.end()) {
          continue;
        }
        RegionSeries c = series_[r];
        c.series = IntensitySeries{};
        c.series.start = at;
        c.series.step = hours(1);
        for (size_t i = first; i < 48; ++i) c.series.Append(series_[r].series.values[i], PointKind::kMeasured, "test");
        candidates.push_back(c);
      }
      const QueuePlacement& p = plan->placements[j];
      PlanRequest q;
      q.at = at;
      q.deadline = job.deadline;
      q.duration = job.duration;
      q.power_w = job.power_w;
      Result<Plan> single = candidates.empty() ? Result<Plan>(Status::Infeasible("no region"))
                                               : PlanJob(candidates, candidates.front(), q);
      if (!single.ok()) {
        EXPECT_FALSE(p.placed) << job.id;
        continue;
      }
      ASSERT_TRUE(p.placed) << job.id << ": " << p.reason;
      EXPECT_NEAR(p.emissions_g, single->emissions_g, 1e-9 * single->emissions_g) << job.id;
      EXPECT_NEAR(p.single_optimum_g, single->emissions_g, 1e-9 * single->emissions_g) << job.id;
      sum_single += single->emissions_g;
    }
    EXPECT_NEAR(plan->emissions_g, sum_single, 1e-9 * sum_single);
    EXPECT_NEAR(plan->single_optima_g, sum_single, 1e-9 * sum_single);
    EXPECT_EQ(plan->swaps, 0u);
  }
}

}  // namespace
}  // namespace sunwind
