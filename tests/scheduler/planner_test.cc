// Hand-worked cases for PlanJob: every expected number below is computed in
// the comment above its assertion, from the series and PUEs of the test.
#include "scheduler/planner.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <string>
#include <vector>

namespace sunwind {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

constexpr double kNaN = kNoValue;
constexpr double kTol = 1e-9;

class PlannerTest : public ::testing::Test {
 protected:
  // 2024-03-01T00:00:00Z: the start of every series and the default `at`.
  const TimePoint t0_ = TimePoint{std::chrono::sys_days{std::chrono::year{2024} / 3 / 1}};

  // A region that lives as long as the test (the planner keeps pointers).
  const Region* MakeRegion(const std::string& id, const std::string& zone, double pue) {
    Region r;
    r.id = id;
    r.provider = id.substr(0, id.find(':'));
    r.name = id.substr(id.find(':') + 1);
    r.zone = zone;
    r.pue = pue;
    regions_.push_back(r);
    return &regions_.back();
  }

  // Hourly measured series from t0_; NaN values become gaps.
  IntensitySeries Hourly(const std::vector<double>& values, const std::string& source = "test-source") {
    IntensitySeries s;
    s.start = t0_;
    s.step = hours(1);
    for (double v : values) s.Append(v, PointKind::kMeasured, source);
    return s;
  }

  PlanRequest Request(Duration duration, Duration horizon, bool interruptible = false) {
    PlanRequest q;
    q.at = t0_;
    q.deadline = t0_ + horizon;
    q.duration = duration;
    q.power_w = 1000;
    q.interruptible = interruptible;
    return q;
  }

  std::deque<Region> regions_;  // deque: stable addresses
};

TEST_F(PlannerTest, PicksCheapestWindowAcrossRegions) {
  // Given two regions with PUE 1 whose cheapest 2h windows are A[1..3) = 450
  // and B[2..4) = 120 + 90 = 210, we should run 2h in B from t0+2h at 1 kW,
  // emitting 210 g from 2 kWh at a mean grid intensity of 105.
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  const Region* b = MakeRegion("test:b", "FR", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({300, 200, 250, 400, 100, 500})},
                                          {b, Hourly({500, 150, 120, 90, 400, 300})}};
  auto plan = PlanJob(candidates, candidates[0], Request(hours(2), hours(6)));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(1u, plan->intervals.size());
  const PlannedInterval& iv = plan->intervals[0];
  EXPECT_EQ(b, iv.region);
  EXPECT_EQ(t0_ + hours(2), iv.start);
  EXPECT_EQ(t0_ + hours(4), iv.end);
  EXPECT_NEAR(105.0, iv.mean_intensity_g_per_kwh, kTol);
  EXPECT_NEAR(2.0, iv.energy_kwh, kTol);
  EXPECT_NEAR(210.0, iv.emissions_g, kTol);
  EXPECT_EQ(Duration(hours(2)), plan->work);
  EXPECT_NEAR(2.0, plan->energy_kwh, kTol);
  EXPECT_NEAR(210.0, plan->emissions_g, kTol);
  EXPECT_TRUE(plan->notes.empty());
}

TEST_F(PlannerTest, PueChangesTheWinner) {
  // Given region A with a cleaner grid (200) but PUE 1.6 and region B with a
  // dirtier grid (300) and PUE 1.0, we should pick B for 2h at 1 kW:
  // A costs 2 × 1.6 × 200 = 640 g, B costs 2 × 1.0 × 300 = 600 g.
  // With A's PUE at 1.4 (560 g) the same grids should make A win.
  const Region* a = MakeRegion("test:a", "DE", 1.6);
  const Region* b = MakeRegion("test:b", "FR", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({200, 200})}, {b, Hourly({300, 300})}};
  auto plan = PlanJob(candidates, candidates[0], Request(hours(2), hours(2)));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(1u, plan->intervals.size());
  EXPECT_EQ(b, plan->intervals[0].region);
  EXPECT_NEAR(600.0, plan->emissions_g, kTol);
  EXPECT_NEAR(300.0, plan->intervals[0].mean_intensity_g_per_kwh, kTol);

  const Region* a2 = MakeRegion("test:a2", "DE", 1.4);
  candidates[0].region = a2;
  auto plan2 = PlanJob(candidates, candidates[0], Request(hours(2), hours(2)));
  ASSERT_TRUE(plan2.ok()) << plan2.status().message();
  ASSERT_EQ(1u, plan2->intervals.size());
  EXPECT_EQ(a2, plan2->intervals[0].region);
  EXPECT_NEAR(560.0, plan2->emissions_g, kTol);
}

TEST_F(PlannerTest, FractionalDurationCostsWholeSlotPlusFraction) {
  // Given one region with PUE 1.2, grid [400, 100, 300, 50], 2 kW for 90m and
  // a 4h horizon, the starts are 0..2 (a start at 3 would end after the
  // deadline) and their grid sums are s0: 400 + 0.5×100 = 450,
  // s1: 100 + 0.5×300 = 250, s2: 300 + 0.5×50 = 325. We should start at
  // t0+1h, end at t0+2h30m, emit 250 × 2 kW × 1 h × 1.2 = 600 g from 3 kWh,
  // at a time-weighted grid mean of (100×60 + 300×30) / 90 = 166.67.
  const Region* a = MakeRegion("test:a", "DE", 1.2);
  std::vector<RegionSeries> candidates = {{a, Hourly({400, 100, 300, 50})}};
  PlanRequest q = Request(minutes(90), hours(4));
  q.power_w = 2000;
  auto plan = PlanJob(candidates, candidates[0], q);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(1u, plan->intervals.size());
  const PlannedInterval& iv = plan->intervals[0];
  EXPECT_EQ(t0_ + hours(1), iv.start);
  EXPECT_EQ(t0_ + minutes(150), iv.end);
  EXPECT_NEAR(600.0, iv.emissions_g, kTol);
  EXPECT_NEAR(3.0, iv.energy_kwh, kTol);
  EXPECT_NEAR((100.0 * 60 + 300.0 * 30) / 90, iv.mean_intensity_g_per_kwh, kTol);
  EXPECT_EQ(Duration(minutes(90)), plan->work);
  // Cross-check: facility energy × mean grid intensity gives the same grams.
  EXPECT_NEAR(iv.energy_kwh * 1.2 * iv.mean_intensity_g_per_kwh, iv.emissions_g, 1e-6);
}

TEST_F(PlannerTest, WindowNeverEndsAfterTheDeadline) {
  // Given grid [300, 250, 250, 10, 10, 10] and a deadline at t0+3h30m, a 2h
  // job may start at 0 (550) or 1 (500); the far cheaper windows from 2 on
  // would end after the deadline. We should start at t0+1h and end at t0+3h.
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({300, 250, 250, 10, 10, 10})}};
  auto plan = PlanJob(candidates, candidates[0], Request(hours(2), minutes(210)));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(1u, plan->intervals.size());
  EXPECT_EQ(t0_ + hours(1), plan->intervals[0].start);
  EXPECT_EQ(t0_ + hours(3), plan->intervals[0].end);
  EXPECT_LE(plan->intervals[0].end, t0_ + minutes(210));
  EXPECT_NEAR(500.0, plan->emissions_g, kTol);
}

TEST_F(PlannerTest, FractionalWindowEndingExactlyAtTheDeadlineIsAllowed) {
  // Given a 90m job and a deadline exactly 90m away, with grid [100, 200],
  // we should run [t0, t0+90m) for 100 + 0.5 × 200 = 200 g.
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({100, 200})}};
  auto plan = PlanJob(candidates, candidates[0], Request(minutes(90), minutes(90)));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(1u, plan->intervals.size());
  EXPECT_EQ(t0_, plan->intervals[0].start);
  EXPECT_EQ(t0_ + minutes(90), plan->intervals[0].end);
  EXPECT_NEAR(200.0, plan->emissions_g, kTol);
}

TEST_F(PlannerTest, RunNowStartsAtAtInTheHomeRegion) {
  // Given home H (PUE 1.5, grid [400, 300, 200, 100]) and candidate C (PUE 1.1,
  // grid [100, 50, 80, 90]), 500 W for 2h within 4h: the plan runs in C from
  // t0+1h (50 + 80 = 130 → 130 × 0.5 × 1.1 = 71.5 g). We should compare it
  // with running at t0 in H: mean 350, 0.5 kW × 2 h × 1.5 × 350 = 525 g, so
  // the saving is 453.5 g = 86.38095...%.
  const Region* h = MakeRegion("test:home", "PL", 1.5);
  const Region* c = MakeRegion("test:clean", "SE", 1.1);
  RegionSeries home{h, Hourly({400, 300, 200, 100})};
  std::vector<RegionSeries> candidates = {{c, Hourly({100, 50, 80, 90})}};
  PlanRequest q = Request(hours(2), hours(4));
  q.power_w = 500;
  auto plan = PlanJob(candidates, home, q);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(1u, plan->intervals.size());
  EXPECT_EQ(c, plan->intervals[0].region);
  EXPECT_EQ(t0_ + hours(1), plan->intervals[0].start);
  EXPECT_NEAR(71.5, plan->emissions_g, kTol);
  EXPECT_EQ(h, plan->run_now.region);
  EXPECT_EQ(t0_, plan->run_now.start);
  EXPECT_EQ(t0_ + hours(2), plan->run_now.end);
  EXPECT_NEAR(350.0, plan->run_now.mean_intensity_g_per_kwh, kTol);
  EXPECT_NEAR(525.0, plan->run_now.emissions_g, kTol);
  EXPECT_NEAR(453.5, plan->saving_g, kTol);
  EXPECT_NEAR(100.0 * 453.5 / 525.0, plan->saving_pct, kTol);
}

TEST_F(PlannerTest, RunNowWithAGapInTheHomeSeriesIsUnknown) {
  // Given a home series with a gap in [t0+1h, t0+2h) and a 2h job, we should
  // still plan, but report the saving as unknown (NaN) with a note naming the gap.
  const Region* h = MakeRegion("test:home", "PL", 1.0);
  RegionSeries home{h, Hourly({400, kNaN, 200, 100})};
  std::vector<RegionSeries> candidates = {{h, Hourly({400, 300, 200, 100})}};
  auto plan = PlanJob(candidates, home, Request(hours(2), hours(4)));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_NEAR(300.0, plan->emissions_g, kTol);
  EXPECT_TRUE(std::isnan(plan->run_now.emissions_g));
  EXPECT_TRUE(std::isnan(plan->saving_g));
  EXPECT_TRUE(std::isnan(plan->saving_pct));
  EXPECT_EQ(std::vector<std::string>({"the run-now counterfactual is unknown: the home region's data has a gap in "
                                      "[2024-03-01T00:00:00Z, 2024-03-01T02:00:00Z)"}),
            plan->notes);
}

TEST_F(PlannerTest, DeadlineTooCloseIsInfeasible) {
  // Given a 4h job and only 3h before the deadline, we should refuse with
  // kInfeasible and say how much time is missing.
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({100, 100, 100, 100, 100})}};
  auto plan = PlanJob(candidates, candidates[0], Request(hours(4), hours(3)));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(StatusCode::kInfeasible, plan.status().code());
  EXPECT_EQ("the job needs 4h but only 3h remain between 2024-03-01T00:00:00Z and the deadline 2024-03-01T03:00:00Z",
            plan.status().message());
}

TEST_F(PlannerTest, InterruptibleRoundedUpPastTheDeadlineIsInfeasible) {
  // Given an interruptible 2h30m job (3 whole 1h slots) and 2h45m before the
  // deadline (2 whole slots), we should refuse with kInfeasible.
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({100, 100, 100, 100})}};
  auto plan = PlanJob(candidates, candidates[0], Request(minutes(150), minutes(165), /*interruptible=*/true));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(StatusCode::kInfeasible, plan.status().code());
  EXPECT_EQ("the job needs 3 whole 1h slots but only 2 fit before the deadline 2024-03-01T02:45:00Z",
            plan.status().message());
}

TEST_F(PlannerTest, GapInEveryWindowIsInfeasible) {
  // Given two regions whose gaps alternate so that every 2h window in each
  // holds a missing point, we should refuse with kInfeasible rather than
  // treat the gap as free.
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  const Region* b = MakeRegion("test:b", "FR", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({100, kNaN, 100, kNaN, 100})},
                                          {b, Hourly({kNaN, 100, kNaN, 100, kNaN})}};
  auto plan = PlanJob(candidates, candidates[0], Request(hours(2), hours(5)));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(StatusCode::kInfeasible, plan.status().code());
  EXPECT_EQ("no window of 2h before the deadline 2024-03-01T05:00:00Z has complete intensity data in any "
            "candidate region",
            plan.status().message());
}

TEST_F(PlannerTest, InterruptibleWithGapsEverywhereIsInfeasible) {
  // Given an interruptible 3h job and a region with only two usable hours
  // before the deadline, we should refuse with kInfeasible.
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({100, kNaN, 100, kNaN})}};
  auto plan = PlanJob(candidates, candidates[0], Request(hours(3), hours(4), /*interruptible=*/true));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(StatusCode::kInfeasible, plan.status().code());
  EXPECT_EQ("no set of 3 slots before the deadline 2024-03-01T04:00:00Z has complete intensity data in any "
            "candidate region",
            plan.status().message());
}

TEST_F(PlannerTest, WindowsTouchingAGapAreSkipped) {
  // Given grid [100, 10, gap, 10, 200, 300] and a 2h job, the windows at 1
  // and 2 touch the gap (counting only their known hour they would look like
  // 10 g). We should pick the window at 0 (110 g), not one of those.
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({100, 10, kNaN, 10, 200, 300})}};
  auto plan = PlanJob(candidates, candidates[0], Request(hours(2), hours(6)));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(1u, plan->intervals.size());
  EXPECT_EQ(t0_, plan->intervals[0].start);
  EXPECT_NEAR(110.0, plan->emissions_g, kTol);
}

TEST_F(PlannerTest, FractionalWindowWhosePartialSlotIsAGapIsSkipped) {
  // Given grid [100, 100, 5, gap] and a 90m job, the window at 2 would cost
  // 5 + half of the gap; we should skip it and start at 1 (100 + 0.5 × 5 = 102.5 g).
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({100, 100, 5, kNaN})}};
  auto plan = PlanJob(candidates, candidates[0], Request(minutes(90), hours(4)));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(1u, plan->intervals.size());
  EXPECT_EQ(t0_ + hours(1), plan->intervals[0].start);
  EXPECT_NEAR(102.5, plan->emissions_g, kTol);
}

TEST_F(PlannerTest, InterruptiblePicksTheCheapestSlots) {
  // Given grid [50, 400, 30, 300, 40, 500] and an interruptible 3h job with
  // no minimum chunk, we should run the three cheapest hours 0, 2 and 4 as
  // three one-hour intervals: 50 + 30 + 40 = 120 g from 3 kWh.
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({50, 400, 30, 300, 40, 500})}};
  auto plan = PlanJob(candidates, candidates[0], Request(hours(3), hours(6), /*interruptible=*/true));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(3u, plan->intervals.size());
  const int expected_start_h[] = {0, 2, 4};
  const double expected_g[] = {50, 30, 40};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(t0_ + hours(expected_start_h[i]), plan->intervals[i].start) << i;
    EXPECT_EQ(t0_ + hours(expected_start_h[i] + 1), plan->intervals[i].end) << i;
    EXPECT_NEAR(expected_g[i], plan->intervals[i].emissions_g, kTol) << i;
    EXPECT_NEAR(1.0, plan->intervals[i].energy_kwh, kTol) << i;
  }
  EXPECT_NEAR(120.0, plan->emissions_g, kTol);
  EXPECT_NEAR(3.0, plan->energy_kwh, kTol);
  EXPECT_EQ(Duration(hours(3)), plan->work);
  // Run-now: hours 0..2 at t0: 50 + 400 + 30 = 480 g.
  EXPECT_NEAR(480.0, plan->run_now.emissions_g, kTol);
  EXPECT_NEAR(360.0, plan->saving_g, kTol);
}

TEST_F(PlannerTest, MinChunkNeverYieldsShorterChunks) {
  // Given grid [10, 500, 10, 40, 500, 10, 30, 500] and an interruptible 4h job,
  // the four cheapest hours (0, 2, 5, 6 = 60 g) include lone hours. With a 2h
  // minimum chunk, we should run [2, 4) and [5, 7): 50 + 40 = 90 g, the best
  // choice with every chunk at least two hours long.
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({10, 500, 10, 40, 500, 10, 30, 500})}};
  PlanRequest q = Request(hours(4), hours(8), /*interruptible=*/true);
  auto free_plan = PlanJob(candidates, candidates[0], q);
  ASSERT_TRUE(free_plan.ok()) << free_plan.status().message();
  EXPECT_NEAR(60.0, free_plan->emissions_g, kTol);
  EXPECT_EQ(3u, free_plan->intervals.size());

  q.min_chunk = hours(2);
  auto plan = PlanJob(candidates, candidates[0], q);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(2u, plan->intervals.size());
  EXPECT_EQ(t0_ + hours(2), plan->intervals[0].start);
  EXPECT_EQ(t0_ + hours(4), plan->intervals[0].end);
  EXPECT_EQ(t0_ + hours(5), plan->intervals[1].start);
  EXPECT_EQ(t0_ + hours(7), plan->intervals[1].end);
  for (const auto& iv : plan->intervals) EXPECT_GE(iv.end - iv.start, Duration(hours(2)));
  EXPECT_NEAR(90.0, plan->emissions_g, kTol);
  EXPECT_NEAR(4.0, plan->energy_kwh, kTol);
}

TEST_F(PlannerTest, MinChunkThatIsNotAWholeSlotRoundsUp) {
  // Given a 90m minimum chunk with 1h slots, chunks must be at least 2 slots.
  // With grid [10, 500, 10, 500, 20, 30] and 2h of work, the lone cheap hours
  // 0 and 2 are not allowed; we should run [4, 6) for 50 g.
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({10, 500, 10, 500, 20, 30})}};
  PlanRequest q = Request(hours(2), hours(6), /*interruptible=*/true);
  q.min_chunk = minutes(90);
  auto plan = PlanJob(candidates, candidates[0], q);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(1u, plan->intervals.size());
  EXPECT_EQ(t0_ + hours(4), plan->intervals[0].start);
  EXPECT_EQ(t0_ + hours(6), plan->intervals[0].end);
  EXPECT_NEAR(50.0, plan->emissions_g, kTol);
}

TEST_F(PlannerTest, ResumeOverheadPrefersFewerChunksWhenItOutweighsTheGain) {
  // Given grid [100, 150, 110] and an interruptible 2h job at 1 kW:
  //  - without overhead the best is hours 0 and 2 (210 g, two chunks);
  //  - the best single chunk is [0, 2) at 250 g, so splitting gains 40 g;
  //  - a 30m resume overhead at hour 2 costs 0.5 × 110 = 55 g > 40 g, so we
  //    should run [0, 2) in one chunk (250 g, 2 kWh);
  //  - a 15m overhead costs 27.5 g < 40 g, so we should still split, and the
  //    plan should carry the overhead: 210 + 27.5 = 237.5 g and 2.25 kWh.
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({100, 150, 110})}};
  PlanRequest q = Request(hours(2), hours(3), /*interruptible=*/true);

  auto no_overhead = PlanJob(candidates, candidates[0], q);
  ASSERT_TRUE(no_overhead.ok()) << no_overhead.status().message();
  EXPECT_EQ(2u, no_overhead->intervals.size());
  EXPECT_NEAR(210.0, no_overhead->emissions_g, kTol);

  q.resume_overhead = minutes(30);
  auto heavy = PlanJob(candidates, candidates[0], q);
  ASSERT_TRUE(heavy.ok()) << heavy.status().message();
  ASSERT_EQ(1u, heavy->intervals.size());
  EXPECT_EQ(t0_, heavy->intervals[0].start);
  EXPECT_EQ(t0_ + hours(2), heavy->intervals[0].end);
  EXPECT_NEAR(250.0, heavy->emissions_g, kTol);
  EXPECT_NEAR(2.0, heavy->energy_kwh, kTol);

  q.resume_overhead = minutes(15);
  auto light = PlanJob(candidates, candidates[0], q);
  ASSERT_TRUE(light.ok()) << light.status().message();
  ASSERT_EQ(2u, light->intervals.size());
  EXPECT_EQ(t0_, light->intervals[0].start);
  EXPECT_EQ(t0_ + hours(2), light->intervals[1].start);
  // The first chunk carries no overhead; the restart at hour 2 does.
  EXPECT_NEAR(1.0, light->intervals[0].energy_kwh, kTol);
  EXPECT_NEAR(100.0, light->intervals[0].emissions_g, kTol);
  EXPECT_NEAR(1.25, light->intervals[1].energy_kwh, kTol);
  EXPECT_NEAR(137.5, light->intervals[1].emissions_g, kTol);
  EXPECT_NEAR(2.25, light->energy_kwh, kTol);
  EXPECT_NEAR(237.5, light->emissions_g, kTol);
  EXPECT_EQ(Duration(hours(2)), light->work);
}

TEST_F(PlannerTest, InterruptibleJobStaysInOneRegion) {
  // Given A = [100, 900, 120, 900] and B = [900, 50, 900, 900] (PUE 1) and an
  // interruptible 2h job, mixing regions (A's hour 0 + B's hour 1 = 150 g)
  // would be cheapest, but chunks never migrate. We should run hours 0 and 2
  // in A (220 g), which beats B's best (50 + 900 = 950 g).
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  const Region* b = MakeRegion("test:b", "FR", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({100, 900, 120, 900})}, {b, Hourly({900, 50, 900, 900})}};
  auto plan = PlanJob(candidates, candidates[0], Request(hours(2), hours(4), /*interruptible=*/true));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(2u, plan->intervals.size());
  for (const auto& iv : plan->intervals) EXPECT_EQ(a, iv.region);
  EXPECT_EQ(t0_, plan->intervals[0].start);
  EXPECT_EQ(t0_ + hours(2), plan->intervals[1].start);
  EXPECT_NEAR(220.0, plan->emissions_g, kTol);
}

TEST_F(PlannerTest, InterruptibleNearTieGoesToTheRegionListedFirst) {
  // Given a 1h interruptible job at 1 kW, PUE 1, and A = [300, 100.00000005,
  // 300] listed before B = [100, 300, 300]: A's cheapest hour is 5e-8 g
  // dearer, within the planner's tie of 1e-9 × 100 g, so we should run A's
  // hour 1. Adding C = [300, 300, 99], clearly cheaper, we should run C's
  // hour 2 (99 g).
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  const Region* b = MakeRegion("test:b", "FR", 1.0);
  const Region* c = MakeRegion("test:c", "NO", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({300, 100.00000005, 300})}, {b, Hourly({100, 300, 300})}};
  auto plan = PlanJob(candidates, candidates[0], Request(hours(1), hours(3), /*interruptible=*/true));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(1u, plan->intervals.size());
  EXPECT_EQ(a, plan->intervals[0].region);
  EXPECT_EQ(t0_ + hours(1), plan->intervals[0].start);
  EXPECT_DOUBLE_EQ(100.00000005, plan->emissions_g);

  candidates.push_back({c, Hourly({300, 300, 99})});
  plan = PlanJob(candidates, candidates[0], Request(hours(1), hours(3), /*interruptible=*/true));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(c, plan->intervals[0].region);
  EXPECT_EQ(t0_ + hours(2), plan->intervals[0].start);
  EXPECT_DOUBLE_EQ(99, plan->emissions_g);
}

TEST_F(PlannerTest, InterruptibleDurationIsRoundedUpToWholeSlotsWithANote) {
  // Given an interruptible 90m job on 1h slots, we should plan 2h of work
  // (two whole slots, 2 kWh at 1 kW) and say so in a note.
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({100, 200, 300, 50})}};
  auto plan = PlanJob(candidates, candidates[0], Request(minutes(90), hours(4), /*interruptible=*/true));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  EXPECT_EQ(Duration(hours(2)), plan->work);
  EXPECT_NEAR(2.0, plan->energy_kwh, kTol);
  EXPECT_NEAR(150.0, plan->emissions_g, kTol);  // hours 0 and 3
  EXPECT_EQ(std::vector<std::string>({"interruptible work is planned in whole 1h slots: 1h30m rounded up to 2h"}),
            plan->notes);
  // The counterfactual runs the same 2h of work from t0: 100 + 200 = 300 g.
  EXPECT_EQ(t0_ + hours(2), plan->run_now.end);
  EXPECT_NEAR(300.0, plan->run_now.emissions_g, kTol);
}

TEST_F(PlannerTest, IntervalKindAndSourceComeFromTheSeriesProvenance) {
  // Given a series whose hour 0 is measured by "Electricity Maps DE" and
  // hours 1..2 are replayed from a trace with a note, we should describe a
  // 2h window at 0 as "measured+replayed" with both sources, and a window
  // inside the replayed run with that run's source and note only.
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  IntensitySeries s;
  s.start = t0_;
  s.step = hours(1);
  s.Append(100, PointKind::kMeasured, "Electricity Maps DE");
  s.Append(100, PointKind::kReplayed, "trace DE 2022", "replayed from 2022");
  s.Append(500, PointKind::kReplayed, "trace DE 2022", "replayed from 2022");
  s.Append(20, PointKind::kReplayed, "trace DE 2022", "replayed from 2022");
  s.Append(20, PointKind::kReplayed, "trace DE 2022", "replayed from 2022");
  std::vector<RegionSeries> candidates = {{a, s}};

  auto mixed = PlanJob(candidates, candidates[0], Request(hours(2), hours(2)));
  ASSERT_TRUE(mixed.ok()) << mixed.status().message();
  ASSERT_EQ(1u, mixed->intervals.size());
  EXPECT_EQ("measured+replayed", mixed->intervals[0].kind);
  EXPECT_EQ("Electricity Maps DE; trace DE 2022, replayed from 2022", mixed->intervals[0].source);
  EXPECT_EQ("average", mixed->intervals[0].signal);

  auto replayed = PlanJob(candidates, candidates[0], Request(hours(2), hours(5)));
  ASSERT_TRUE(replayed.ok()) << replayed.status().message();
  ASSERT_EQ(1u, replayed->intervals.size());
  EXPECT_EQ(t0_ + hours(3), replayed->intervals[0].start);
  EXPECT_EQ("replayed", replayed->intervals[0].kind);
  EXPECT_EQ("trace DE 2022, replayed from 2022", replayed->intervals[0].source);
}

TEST_F(PlannerTest, InterruptibleChunkKindAndSignalComeFromTheSeries) {
  // Given a marginal-signal series measured in hour 0 and forecast after, an
  // interruptible plan of hours 0 and 2 should label its first chunk
  // "measured" and its second "forecast", each with its own source.
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  IntensitySeries s;
  s.start = t0_;
  s.step = hours(1);
  s.signal = Signal::kMarginal;
  s.Append(10, PointKind::kMeasured, "WattTime");
  s.Append(900, PointKind::kForecast, "WattTime forecast");
  s.Append(10, PointKind::kForecast, "WattTime forecast");
  std::vector<RegionSeries> candidates = {{a, s}};
  auto plan = PlanJob(candidates, candidates[0], Request(hours(2), hours(3), /*interruptible=*/true));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(2u, plan->intervals.size());
  EXPECT_EQ("measured", plan->intervals[0].kind);
  EXPECT_EQ("WattTime", plan->intervals[0].source);
  EXPECT_EQ("forecast", plan->intervals[1].kind);
  EXPECT_EQ("WattTime forecast", plan->intervals[1].source);
  EXPECT_EQ("marginal", plan->intervals[1].signal);
}

TEST_F(PlannerTest, InterruptibleTreatsSlotsPastTheSeriesEndAsUnusable) {
  // Given a series of only three hours [100, 200, 300] but a deadline 6h away,
  // the hours 3..5 have no data. An interruptible 2h job should run in the
  // hours that have data (0 and 1: 300 g) and never in an hour without data
  // as if it were free — the same rule the non-interruptible planner applies.
  // (Fails today: planner.cc pads the costs with 0 via cost.resize(usable_slots)
  // and then reads SlotCosts(*best) past its end for the emissions.)
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({100, 200, 300})}};
  auto plan = PlanJob(candidates, candidates[0], Request(hours(2), hours(6), /*interruptible=*/true));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(1u, plan->intervals.size());
  EXPECT_EQ(t0_, plan->intervals[0].start);
  EXPECT_EQ(t0_ + hours(2), plan->intervals[0].end);
  EXPECT_NEAR(300.0, plan->emissions_g, kTol);
}

TEST_F(PlannerTest, NonInterruptibleTreatsSlotsPastTheSeriesEndAsUnusable) {
  // Given the same three-hour series and a 6h deadline, a 2h job should run
  // at t0 (300 g): windows past the data are not candidates.
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({100, 200, 300})}};
  auto plan = PlanJob(candidates, candidates[0], Request(hours(2), hours(6)));
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(1u, plan->intervals.size());
  EXPECT_EQ(t0_, plan->intervals[0].start);
  EXPECT_NEAR(300.0, plan->emissions_g, kTol);
}

TEST_F(PlannerTest, RejectsRequestsThatCannotBePlanned) {
  // Given no candidates, a zero duration or a zero power, we should refuse
  // with kInvalidArgument naming the flag.
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  RegionSeries home{a, Hourly({100, 100})};
  auto none = PlanJob({}, home, Request(hours(1), hours(2)));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(StatusCode::kInvalidArgument, none.status().code());
  EXPECT_EQ("--regions: no candidate region", none.status().message());

  auto zero = PlanJob({home}, home, Request(Duration{0}, hours(2)));
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(StatusCode::kInvalidArgument, zero.status().code());
  EXPECT_EQ("--duration: must be positive", zero.status().message());

  PlanRequest q = Request(hours(1), hours(2));
  q.power_w = 0;
  auto no_power = PlanJob({home}, home, q);
  ASSERT_FALSE(no_power.ok());
  EXPECT_EQ(StatusCode::kInvalidArgument, no_power.status().code());
  EXPECT_EQ("--power: must be positive", no_power.status().message());
}

}  // namespace
}  // namespace sunwind

namespace sunwind {
namespace {

TEST_F(PlannerTest, SlackTakesTheEarliestWindowWithinItOfTheCheapest) {
  // Given 1h windows costing 300, 280, 250, 100 in A and 260 at t0+1h in B,
  // we should take the cheapest (A at t0+3h) without slack; with 200 g of
  // slack the earliest window costing at most 300, A at t0; with 170 g the
  // earliest costing at most 270: at t0+1h both A (280) and B (260) start,
  // and B is within the limit while A is not.
  const Region* a = MakeRegion("test:a", "DE", 1.0);
  const Region* b = MakeRegion("test:b", "FR", 1.0);
  std::vector<RegionSeries> candidates = {{a, Hourly({300, 280, 250, 100})}, {b, Hourly({400, 260, 400, 400})}};
  PlanRequest q = Request(hours(1), hours(4));
  auto cheapest = PlanJob(candidates, candidates[0], q);
  ASSERT_TRUE(cheapest.ok()) << cheapest.status().message();
  EXPECT_EQ(a, cheapest->intervals[0].region);
  EXPECT_EQ(t0_ + hours(3), cheapest->intervals[0].start);

  q.slack_g = 200;
  auto wide = PlanJob(candidates, candidates[0], q);
  ASSERT_TRUE(wide.ok()) << wide.status().message();
  EXPECT_EQ(a, wide->intervals[0].region);
  EXPECT_EQ(t0_, wide->intervals[0].start);
  EXPECT_NEAR(300.0, wide->emissions_g, kTol);

  q.slack_g = 170;
  auto narrow = PlanJob(candidates, candidates[0], q);
  ASSERT_TRUE(narrow.ok()) << narrow.status().message();
  EXPECT_EQ(b, narrow->intervals[0].region);
  EXPECT_EQ(t0_ + hours(1), narrow->intervals[0].start);
  EXPECT_NEAR(260.0, narrow->emissions_g, kTol);
}

}  // namespace
}  // namespace sunwind
