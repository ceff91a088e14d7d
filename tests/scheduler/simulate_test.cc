// The scheduler core under a virtual clock: the queue's promises, the
// simulator's accounting, and each policy's defining behaviour.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "scheduler/capacity.h"
#include "scheduler/policies.h"
#include "scheduler/queue.h"
#include "scheduler/simulator.h"
#include "sim_fixtures.h"

namespace sunwind {
namespace {

using testing::H;
using testing::Job;
using testing::kHour;
using testing::MakeRegion;
using testing::Series;

// Records what the core asked of it.
class RecordingExecutor final : public Executor {
 public:
  Status Start(const JobSpec& job, const Region& region, TimePoint at) override { return Log("start", job, at); }
  Status Pause(const JobSpec& job, TimePoint at) override { return Log("pause", job, at); }
  Status Resume(const JobSpec& job, TimePoint at) override { return Log("resume", job, at); }
  Status Finish(const JobSpec& job, TimePoint at) override { return Log("finish", job, at); }
  std::vector<std::string> calls;
  // Jobs whose next calls fail as an unreachable cluster's would.
  std::set<std::string> unreachable;

 private:
  Status Log(const std::string& what, const JobSpec& job, TimePoint at) {
    if (unreachable.count(job.id)) return Status::Unavailable("slurmctld does not answer");
    calls.push_back(what + " " + job.id + " " + FormatTime(at));
    return Status::Ok();
  }
};

// Runs a job on its first tick, then asks to stop it on every later one.
class FicklePolicy final : public Policy {
 public:
  std::string Name() const override { return "fickle"; }
  Result<Decision> Decide(const JobState& job, TimePoint now, bool forecast_updated) override {
    return Decision{!job.started, job.spec->home_region};
  }
};

// A view whose forecast changes at `switch_at`: before it, `before`; from it, `after`.
class ScriptedView final : public IntensityView {
 public:
  ScriptedView(TimePoint start, std::vector<double> before, std::vector<double> after, TimePoint switch_at)
      : start_(start), before_(std::move(before)), after_(std::move(after)), switch_at_(switch_at) {}
  std::string Name() const override { return "scripted"; }
  Result<RegionSeries> Ahead(const Region* region, TimePoint now, TimePoint to) override {
    const auto& v = now < switch_at_ ? before_ : after_;
    IntensitySeries s;
    s.start = now;
    s.step = kHour;
    for (TimePoint t = now; t < to; t += kHour) {
      const size_t i = static_cast<size_t>((t - start_) / kHour);
      s.Append(i < v.size() ? v[i] : kNoValue, PointKind::kForecast, "scripted");
    }
    return RegionSeries{region, std::move(s)};
  }

 private:
  TimePoint start_;
  std::vector<double> before_, after_;
  TimePoint switch_at_;
};

SimulationOptions Period(long long from_h, long long to_h) {
  SimulationOptions o;
  o.from = H(from_h);
  o.to = H(to_h);
  return o;
}

TEST(JobQueueTest, NeverPausesARunningNonInterruptibleJob) {
  // Given a policy that asks to stop every job once it has started, we
  // should pause the interruptible job and run the other one to its end.
  auto region = MakeRegion("test:a", "A");
  JobSpec fixed = Job("fixed", 0, 3, 10, region.get());
  JobSpec flexible = Job("flexible", 0, 3, 10, region.get(), /*interruptible=*/true);
  ManualClock clock(H(0));
  FicklePolicy policy;
  RecordingExecutor executor;
  JobQueue queue(clock, policy, executor, kHour);
  queue.Submit(fixed);
  queue.Submit(flexible);
  for (int h = 0; h <= 4; ++h) {
    clock.Set(H(h));
    ASSERT_TRUE(queue.Tick(false).ok());
  }
  EXPECT_EQ(std::vector<std::string>({
                "start fixed 2020-03-02T00:00:00Z",
                "start flexible 2020-03-02T00:00:00Z",
                "pause flexible 2020-03-02T01:00:00Z",
                "finish fixed 2020-03-02T03:00:00Z",
            }),
            executor.calls);
  // The flexible job then has 2 h left and 6 h to go: nothing forces it yet.
  EXPECT_EQ(Duration{7200}, queue.jobs()[1].Remaining());
}

// Runs every job in every slot.
class EagerPolicy final : public Policy {
 public:
  std::string Name() const override { return "eager"; }
  Result<Decision> Decide(const JobState& job, TimePoint now, bool forecast_updated) override {
    return Decision{true, job.spec->home_region};
  }
};

TEST(JobQueueTest, ReportedEndsKeepAnOverrunningJobRunningUntilItsProcessEnds) {
  // Given the daemon's mode (a job ends when its process does), a 2 h job
  // still running at 3 h should be marked overrun and kept running, never
  // finished on the estimate, and end when Ended says so.
  auto region = MakeRegion("test:a", "A");
  JobSpec job = Job("long", 0, 2, 10, region.get(), /*interruptible=*/true);
  ManualClock clock(H(0));
  EagerPolicy policy;
  RecordingExecutor executor;
  JobQueue queue(clock, policy, executor, kHour, JobEnd::kReported);
  queue.Submit(job);
  for (int h = 0; h <= 3; ++h) {
    clock.Set(H(h));
    ASSERT_TRUE(queue.Tick(false).ok());
  }
  const JobState* s = queue.Find("long");
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->running);
  EXPECT_TRUE(s->overrun);
  EXPECT_FALSE(s->finished);
  EXPECT_FALSE(queue.AllFinished());
  ASSERT_TRUE(queue.Ended("long", H(3) + Duration{1800}).ok());
  EXPECT_TRUE(queue.Find("long")->finished);
  EXPECT_TRUE(queue.AllFinished());
  EXPECT_EQ(queue.Ended("long", H(4)).code(), StatusCode::kNotFound);
  EXPECT_EQ(std::vector<std::string>({"start long 2020-03-02T00:00:00Z"}), executor.calls);
}

TEST(JobQueueTest, AnUnreachableExecutorLeavesItsJobForTheNextTickAndTheOthersGoOn) {
  // Given two jobs that must start now, one whose executor does not answer,
  // we should start the other, report kUnavailable, keep the first unstarted,
  // and start it on the tick after its executor answers again.
  auto region = MakeRegion("test:a", "A");
  JobSpec down = Job("down", 0, 1, 1, region.get());
  JobSpec up = Job("up", 0, 1, 1, region.get());
  ManualClock clock(H(0));
  EagerPolicy policy;
  RecordingExecutor executor;
  executor.unreachable.insert("down");
  JobQueue queue(clock, policy, executor, Duration{60}, JobEnd::kReported);
  queue.Submit(down);
  queue.Submit(up);
  EXPECT_EQ(queue.Tick(false).code(), StatusCode::kUnavailable);
  EXPECT_FALSE(queue.Find("down")->started);
  EXPECT_FALSE(queue.Find("down")->running);
  EXPECT_TRUE(queue.Find("up")->running);
  executor.unreachable.clear();
  clock.Set(H(0) + Duration{60});
  ASSERT_TRUE(queue.Tick(false).ok());
  EXPECT_TRUE(queue.Find("down")->running);
  EXPECT_EQ(std::vector<std::string>({"start up 2020-03-02T00:00:00Z", "start down 2020-03-02T00:01:00Z"}),
            executor.calls);
}

TEST(JobQueueTest, AHeldJobIsLeftAloneUntilReleased) {
  // Given a running interruptible job that a user holds, we should neither
  // resume nor start it on later ticks, even when it must run to meet its
  // deadline, and start deciding about it again once released.
  auto region = MakeRegion("test:a", "A");
  JobSpec job = Job("held", 0, 2, 4, region.get(), /*interruptible=*/true);
  ManualClock clock(H(0));
  EagerPolicy policy;
  RecordingExecutor executor;
  JobQueue queue(clock, policy, executor, kHour, JobEnd::kReported);
  queue.Submit(job);
  ASSERT_TRUE(queue.Tick(false).ok());
  ASSERT_TRUE(queue.Hold("held").ok());
  EXPECT_FALSE(queue.Find("held")->running);
  EXPECT_EQ(queue.Find("held")->pauses, 1);
  for (int h = 1; h <= 3; ++h) {
    clock.Set(H(h));
    ASSERT_TRUE(queue.Tick(false).ok());
  }
  EXPECT_EQ(std::vector<std::string>({"start held 2020-03-02T00:00:00Z"}), executor.calls);
  ASSERT_TRUE(queue.Release("held", /*running=*/false).ok());
  clock.Set(H(4));
  ASSERT_TRUE(queue.Tick(false).ok());
  EXPECT_EQ(executor.calls.back(), "resume held 2020-03-02T04:00:00Z");
  EXPECT_EQ(queue.Hold("nobody").code(), StatusCode::kNotFound);
}

TEST(JobQueueTest, ARestoredRunningJobKeepsRunningWhereItIs) {
  // Given a restarted daemon's job that was running with 1 h of its 3 h
  // done, we should neither start it again nor pause it, and credit its work.
  auto region = MakeRegion("test:a", "A");
  JobSpec job = Job("adopted", 0, 3, 10, region.get());
  ManualClock clock(H(1));
  FicklePolicy policy;  // would stop anything already started
  RecordingExecutor executor;
  JobQueue queue(clock, policy, executor, kHour, JobEnd::kReported);
  JobState state;
  state.started = true;
  state.running = true;
  state.region = region.get();
  state.work_done = kHour;
  queue.Restore(job, state);
  for (int h = 1; h <= 2; ++h) {
    clock.Set(H(h));
    ASSERT_TRUE(queue.Tick(false).ok());
  }
  EXPECT_TRUE(executor.calls.empty());
  EXPECT_TRUE(queue.Find("adopted")->running);
  EXPECT_EQ(queue.Find("adopted")->work_done, 2 * kHour);
}

TEST(JobQueueTest, RunsAJobWhoseRemainingWorkFillsTheTimeLeft) {
  // Given a policy that never lets a job run again, we should still resume
  // the interruptible job when its remaining 2 h equal the time to its deadline.
  auto region = MakeRegion("test:a", "A");
  JobSpec flexible = Job("flexible", 0, 3, 6, region.get(), /*interruptible=*/true);
  ManualClock clock(H(0));
  FicklePolicy policy;
  RecordingExecutor executor;
  JobQueue queue(clock, policy, executor, kHour);
  queue.Submit(flexible);
  for (int h = 0; h <= 6; ++h) {
    clock.Set(H(h));
    ASSERT_TRUE(queue.Tick(false).ok());
  }
  EXPECT_EQ(std::vector<std::string>({
                "start flexible 2020-03-02T00:00:00Z",
                "pause flexible 2020-03-02T01:00:00Z",
                "resume flexible 2020-03-02T04:00:00Z",
                "finish flexible 2020-03-02T06:00:00Z",
            }),
            executor.calls);
}

TEST(MustRunNowTest, CountsWholeSlotsOfRemainingWorkAgainstWholeSlotsLeft) {
  // Given 2.5 h of work, we should be forced with 3 whole hours left (or
  // 3.5 h: the last half hour is no whole slot), and free with 4.
  auto region = MakeRegion("test:a", "A");
  JobSpec spec = Job("j", 0, 3, 10, region.get());
  spec.duration = Duration{9000};
  JobState s;
  s.spec = &spec;
  EXPECT_TRUE(MustRunNow(s, H(10) - Duration{3 * 3600}, kHour));
  EXPECT_TRUE(MustRunNow(s, H(10) - Duration{3 * 3600 + 1800}, kHour));
  EXPECT_FALSE(MustRunNow(s, H(10) - Duration{4 * 3600}, kHour));
}

TEST(SimulatorTest, AccountsEnergyAndEmissionsOnTheActualIntensityTimesPue) {
  // Given a 2.5 h run-now job at 2 kW in a region of PUE 1.5 whose grid reads
  // 100, 200 and 300 g/kWh, we should account 5 kWh and
  // 1.5 × (2 × 100 + 2 × 200 + 1 × 300) = 1350 g, finishing at 02:30.
  auto region = MakeRegion("test:a", "A", 1.5);
  GridData grid;
  ASSERT_TRUE(grid.Add("A", Series(H(0), {100, 200, 300, 400, 500, 600})).ok());
  JobSpec job = Job("j", 0, 3, 5, region.get());
  job.duration = Duration{9000};
  job.power_w = 2000;
  ActualView actual(grid);
  auto policy = MakePolicy("run-now", actual, actual, kHour);
  ASSERT_TRUE(policy.ok());
  auto r = Simulate({job}, **policy, grid, Period(0, 1));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_DOUBLE_EQ(5.0, r->energy_kwh);
  EXPECT_DOUBLE_EQ(1350.0, r->emissions_g);
  EXPECT_EQ(H(2) + Duration{1800}, r->outcomes[0].finish);
  EXPECT_EQ(0, r->deadlines_missed);
  EXPECT_DOUBLE_EQ(0.0, r->mean_delay_h);
}

TEST(SimulatorTest, ChargesTheCheckpointOverheadOfEachResume) {
  // Given an interruptible 2 h job with a 30 min checkpoint overhead and a
  // grid at 10, 1000, 10 g/kWh, we should see the oracle run hours 0 and 2
  // (10 + 10 + 5 for the resume = 25 g beats 10 + 1000) and account 2.5 kWh.
  auto region = MakeRegion("test:a", "A");
  GridData grid;
  ASSERT_TRUE(grid.Add("A", Series(H(0), {10, 1000, 10, 1000})).ok());
  JobSpec job = Job("j", 0, 2, 3, region.get(), /*interruptible=*/true);
  job.checkpoint_overhead = Duration{1800};
  ActualView actual(grid);
  auto policy = MakePolicy("oracle", actual, actual, kHour);
  ASSERT_TRUE(policy.ok());
  auto r = Simulate({job}, **policy, grid, Period(0, 1));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_DOUBLE_EQ(2.5, r->energy_kwh);
  EXPECT_DOUBLE_EQ(25.0, r->emissions_g);
  EXPECT_EQ(1, r->pauses);
  EXPECT_EQ(H(3), r->outcomes[0].finish);
}

TEST(SimulatorTest, BestRegionNowStartsAtOnceInTheCleanestAllowedRegion) {
  // Given a job allowed in A (home, 300 g/kWh) and B (100 g/kWh but PUE 2,
  // so 200 effective), we should start it at submission in B.
  auto a = MakeRegion("test:a", "A");
  auto b = MakeRegion("test:b", "B", 2.0);
  GridData grid;
  ASSERT_TRUE(grid.Add("A", Series(H(0), std::vector<double>(10, 300))).ok());
  ASSERT_TRUE(grid.Add("B", Series(H(0), std::vector<double>(10, 100))).ok());
  JobSpec job = Job("j", 1, 2, 8, a.get());
  job.allowed_regions = {a.get(), b.get()};
  ActualView actual(grid);
  auto policy = MakePolicy("best-region-now", actual, actual, kHour);
  ASSERT_TRUE(policy.ok());
  auto r = Simulate({job}, **policy, grid, Period(0, 2));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(b.get(), r->outcomes[0].region);
  EXPECT_EQ(H(1), r->outcomes[0].start);
  EXPECT_DOUBLE_EQ(2 * 2.0 * 100, r->emissions_g);
}

TEST(SimulatorTest, BestWindowStartsAtTheLeastRollingMeanInTheHomeRegion) {
  // Given a 2 h job in A between hours 0 and 6 and a forecast whose cheapest
  // 2 h window starts at hour 3, we should run hours 3 and 4, and never in B.
  auto a = MakeRegion("test:a", "A");
  auto b = MakeRegion("test:b", "B");
  GridData grid;
  ASSERT_TRUE(grid.Add("A", Series(H(0), {50, 40, 60, 20, 30, 90, 90, 90})).ok());
  ASSERT_TRUE(grid.Add("B", Series(H(0), std::vector<double>(8, 1))).ok());
  JobSpec job = Job("j", 0, 2, 6, a.get());
  job.allowed_regions = {a.get(), b.get()};
  ActualView actual(grid);
  auto policy = MakePolicy("best-window", actual, actual, kHour);
  ASSERT_TRUE(policy.ok());
  auto r = Simulate({job}, **policy, grid, Period(0, 1));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(a.get(), r->outcomes[0].region);
  EXPECT_EQ(H(3), r->outcomes[0].start);
  EXPECT_DOUBLE_EQ(50.0, r->emissions_g);
}

TEST(SimulatorTest, ThresholdRunsBelowThe30thPercentileOfTheNextDay) {
  // Given an interruptible 2 h job with a day to go, and a day whose hours 5
  // and 17 are the only ones at 10 g/kWh (the rest 100), we should run in
  // exactly those two hours.
  auto a = MakeRegion("test:a", "A");
  std::vector<double> v(60, 100);
  v[5] = v[17] = 10;
  GridData grid;
  ASSERT_TRUE(grid.Add("A", Series(H(0), v)).ok());
  JobSpec job = Job("j", 0, 2, 24, a.get(), /*interruptible=*/true);
  ActualView actual(grid);
  auto policy = MakePolicy("threshold", actual, actual, kHour);
  ASSERT_TRUE(policy.ok());
  auto r = Simulate({job}, **policy, grid, Period(0, 1));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(H(5), r->outcomes[0].start);
  EXPECT_EQ(H(18), r->outcomes[0].finish);
  EXPECT_DOUBLE_EQ(20.0, r->emissions_g);
  EXPECT_EQ(1, r->pauses);
}

TEST(SimulatorTest, ThresholdNeverMissesADeadlineOnAFallingGrid) {
  // Given a grid that only ever gets cleaner, so the threshold would wait
  // for ever, we should still finish every job exactly by its deadline.
  auto a = MakeRegion("test:a", "A");
  std::vector<double> v(200);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 1000.0 - 4.0 * static_cast<double>(i);
  GridData grid;
  ASSERT_TRUE(grid.Add("A", Series(H(0), v)).ok());
  std::vector<JobSpec> jobs = {Job("fixed", 0, 5, 30, a.get()), Job("flexible", 2, 7, 40, a.get(), true),
                               Job("tight", 3, 4, 7, a.get(), true)};
  ActualView actual(grid);
  auto policy = MakePolicy("threshold", actual, actual, kHour);
  ASSERT_TRUE(policy.ok());
  auto r = Simulate(jobs, **policy, grid, Period(0, 10));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(0, r->deadlines_missed);
  for (const auto& o : r->outcomes) EXPECT_EQ(o.spec->deadline, o.finish) << o.spec->id;
}

TEST(SimulatorTest, ReplanningMovesAJobThatHasNotStarted) {
  // Given a 2 h job submitted at 10:00 with two days to go, a forecast that
  // first puts the cleanest window at 16:00 the next day, and the next
  // day's forecast (issued at 00:00) that finds one at 06:00, we should see
  // sunwind move the job to 06:00 and best-window (planned once) keep 16:00.
  auto a = MakeRegion("test:a", "A");
  std::vector<double> first(72, 100), second(72, 100);
  first[40] = first[41] = 10;
  second[30] = second[31] = 10;
  GridData grid;
  ASSERT_TRUE(grid.Add("A", Series(H(0), std::vector<double>(72, 100))).ok());
  JobSpec job = Job("j", 10, 2, 58, a.get());
  std::map<std::string, TimePoint> start;
  for (const std::string name : {"sunwind", "best-window"}) {
    ScriptedView view(H(0), first, second, H(24));
    ActualView actual(grid);
    auto policy = MakePolicy(name, view, actual, kHour);
    ASSERT_TRUE(policy.ok());
    auto r = Simulate({job}, **policy, grid, Period(0, 24));
    ASSERT_TRUE(r.ok()) << r.status().message();
    start[name] = r->outcomes[0].start;
  }
  EXPECT_EQ(H(30), start["sunwind"]);
  EXPECT_EQ(H(40), start["best-window"]);
}

TEST(SimulatorTest, SunwindNeverPausesARunningNonInterruptibleJobWhenTheForecastTurns) {
  // Given a 6 h non-interruptible job that starts at 22:00 on a forecast of
  // a clean night, and a forecast at 00:00 that makes the later hours look
  // far cleaner, we should see it run on to 04:00 without a pause.
  auto a = MakeRegion("test:a", "A");
  std::vector<double> first(72, 100), second(72, 100);
  for (int h = 22; h < 28; ++h) first[h] = 10;
  for (int h = 30; h < 36; ++h) second[h] = 1;
  GridData grid;
  ASSERT_TRUE(grid.Add("A", Series(H(0), std::vector<double>(72, 100))).ok());
  JobSpec job = Job("j", 20, 6, 60, a.get());
  ScriptedView view(H(0), first, second, H(24));
  ActualView actual(grid);
  auto policy = MakePolicy("sunwind", view, actual, kHour);
  ASSERT_TRUE(policy.ok());
  auto r = Simulate({job}, **policy, grid, Period(0, 24));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(H(22), r->outcomes[0].start);
  EXPECT_EQ(H(28), r->outcomes[0].finish);
  EXPECT_EQ(0, r->pauses);
}

TEST(SimulatorTest, ForecastPoliciesSeeOnlyThePast) {
  // Given a grid that repeats yesterday except for one clean hour tomorrow
  // that no day before had, we should see sunwind on seasonal-naive miss it
  // and the oracle take it.
  auto a = MakeRegion("test:a", "A");
  std::vector<double> v;
  for (int d = 0; d < 5; ++d)
    for (int h = 0; h < 24; ++h) v.push_back(h == 3 ? 50 : 100);
  v[4 * 24 + 12] = 1;  // day 4, 12:00
  GridData grid;
  ASSERT_TRUE(grid.Add("A", Series(H(0), v)).ok());
  JobSpec job = Job("j", 4 * 24, 1, 4 * 24 + 20, a.get());
  std::map<std::string, TimePoint> start;
  for (const std::string name : {"sunwind", "oracle"}) {
    auto view = MakeView("seasonal-naive", grid, Duration{48 * 3600}, 1);
    ASSERT_TRUE(view.ok());
    ActualView actual(grid);
    auto policy = MakePolicy(name, **view, actual, kHour);
    ASSERT_TRUE(policy.ok());
    auto r = Simulate({job}, **policy, grid, Period(4 * 24, 4 * 24 + 1));
    ASSERT_TRUE(r.ok()) << r.status().message();
    start[name] = r->outcomes[0].start;
  }
  EXPECT_EQ(H(4 * 24 + 3), start["sunwind"]);
  EXPECT_EQ(H(4 * 24 + 12), start["oracle"]);
}

TEST(JobQueueTest, RunsNoMoreJobsThanTheRegionHoldsLeastSlackFirst) {
  // Given a region that holds one job and three run-now jobs submitted
  // together, we should run them one after another, the tightest first.
  auto region = MakeRegion("test:a", "A");
  JobSpec loose = Job("loose", 0, 1, 10, region.get());
  JobSpec tight = Job("tight", 0, 1, 2, region.get());
  JobSpec middle = Job("middle", 0, 1, 5, region.get());
  ManualClock clock(H(0));
  RunNowPolicy policy;
  RecordingExecutor executor;
  JobQueue queue(clock, policy, executor, kHour);
  const RegionCapacity capacity = {{region.get(), 1}};
  queue.SetCapacity(&capacity);
  for (const JobSpec* j : {&loose, &tight, &middle}) queue.Submit(*j);
  for (int h = 0; h <= 3; ++h) {
    clock.Set(H(h));
    ASSERT_TRUE(queue.Tick(false).ok());
  }
  EXPECT_EQ(std::vector<std::string>({
                "start tight 2020-03-02T00:00:00Z",
                "finish tight 2020-03-02T01:00:00Z",
                "start middle 2020-03-02T01:00:00Z",
                "finish middle 2020-03-02T02:00:00Z",
                "start loose 2020-03-02T02:00:00Z",
                "finish loose 2020-03-02T03:00:00Z",
            }),
            executor.calls);
}

TEST(SimulatorTest, OraclePlansAroundCapacityOthersHaveBooked) {
  // Given a region that holds one job, hours at 10, 20, 30 and 40 g/kWh
  // (then dear), and two 1 h jobs due by hour 4, we should see the oracle
  // give the tighter job hour 0 and the other hour 1: 30 g, where without
  // the limit both would take hour 0 (20 g).
  auto a = MakeRegion("test:a", "A");
  GridData grid;
  ASSERT_TRUE(grid.Add("A", Series(H(0), {10, 20, 30, 40, 500, 500, 500, 500})).ok());
  std::vector<JobSpec> jobs = {Job("loose", 0, 1, 4, a.get()), Job("tight", 0, 1, 3, a.get())};
  const RegionCapacity capacity = {{a.get(), 1}};
  for (bool limited : {true, false}) {
    ActualView actual(grid);
    CapacityBook book(capacity, H(0), kHour);
    auto policy = MakePolicy("oracle", actual, actual, kHour, limited ? &book : nullptr);
    ASSERT_TRUE(policy.ok());
    SimulationOptions o = Period(0, 1);
    if (limited) o.capacity = &capacity;
    auto r = Simulate(jobs, **policy, grid, o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(0, r->deadlines_missed);
    EXPECT_DOUBLE_EQ(limited ? 30.0 : 20.0, r->emissions_g);
    if (limited) {
      EXPECT_EQ(H(1), r->outcomes[0].start);  // loose
      EXPECT_EQ(H(0), r->outcomes[1].start);  // tight
    }
  }
}

TEST(SimulatorTest, ForecastsLearnFromTheReplayedPastOfTheSimulatedWorld) {
  // Given a day of replayed values (cheap at 03:00) before the simulated
  // day, we should see sunwind on seasonal-naive learn from it and pick
  // 03:00, not see the truth (cheapest at 12:00) as if nothing were known.
  auto a = MakeRegion("test:a", "A");
  IntensitySeries s;
  s.start = H(0);
  s.step = kHour;
  for (int h = 0; h < 24; ++h) s.Append(h == 3 ? 50 : 100, PointKind::kReplayed, "replay of another year");
  for (int h = 0; h < 24; ++h) s.Append(h == 12 ? 1 : 100, PointKind::kMeasured, "test");
  GridData grid;
  ASSERT_TRUE(grid.Add("A", s).ok());
  JobSpec job = Job("j", 24, 1, 44, a.get());
  auto view = MakeView("seasonal-naive", grid, Duration{24 * 3600}, 1);
  ASSERT_TRUE(view.ok());
  ActualView actual(grid);
  auto policy = MakePolicy("sunwind", **view, actual, kHour);
  ASSERT_TRUE(policy.ok());
  auto r = Simulate({job}, **policy, grid, Period(24, 25));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(H(27), r->outcomes[0].start);
}

TEST(ForecastViewTest, AutoPicksPerZoneTheModelThatWasRightOverThePastFourWeeks) {
  // Given a zone whose grid repeats week by week (weekdays dirtier than
  // weekends, a dip at noon), we should see `auto` choose the weekly
  // seasonal-naive model (exact here; the daily one errs at each weekend)
  // and forecast the truth with it; a zone with too little history to judge
  // gets a forecast all the same.
  auto w = MakeRegion("test:w", "W");
  auto young = MakeRegion("test:y", "Y");
  std::vector<double> weekly, short_history;
  for (int h = 0; h < 60 * 24; ++h) {
    const int day = h / 24 % 7, hour = h % 24;
    weekly.push_back((day < 5 ? 300.0 : 100.0) - (hour == 12 ? 50.0 : 0.0));
  }
  for (int h = 0; h < 10 * 24; ++h) short_history.push_back(200);
  GridData grid;
  ASSERT_TRUE(grid.Add("W", Series(H(0), weekly)).ok());
  ASSERT_TRUE(grid.Add("Y", Series(H(50 * 24 - 10 * 24), short_history)).ok());
  auto view = MakeView("auto", grid, Duration{24 * 3600}, 1);
  ASSERT_TRUE(view.ok()) << view.status().message();
  EXPECT_EQ((*view)->Name(), "auto");
  const TimePoint now = H(50 * 24);
  auto ahead = (*view)->Ahead(w.get(), now, now + Duration{24 * 3600});
  ASSERT_TRUE(ahead.ok()) << ahead.status().message();
  ASSERT_EQ(ahead->series.size(), 24u);
  for (size_t i = 0; i < 24; ++i) EXPECT_DOUBLE_EQ(ahead->series.values[i], weekly[50 * 24 + i]) << i;
  EXPECT_NE(ahead->series.provenance[0].source.find("auto (seasonal-naive-weekly)"), std::string::npos)
      << ahead->series.provenance[0].source;
  auto* forecast = dynamic_cast<ForecastView*>(view->get());
  ASSERT_NE(forecast, nullptr);
  EXPECT_EQ(forecast->Choices().at("W"), "seasonal-naive-weekly");
  EXPECT_TRUE((*view)->Ahead(young.get(), now, now + Duration{24 * 3600}).ok());
}

// The truth, claiming a fixed forecast error.
class ErrorClaimingView final : public IntensityView {
 public:
  ErrorClaimingView(const GridData& grid, double error) : actual_(grid), error_(error) {}
  std::string Name() const override { return "claims-error"; }
  Result<RegionSeries> Ahead(const Region* region, TimePoint now, TimePoint to) override {
    return actual_.Ahead(region, now, to);
  }
  double MeanAbsError(const Region*) const override { return error_; }

 private:
  ActualView actual_;
  double error_;
};

TEST(SunwindPolicyTest, ForecastSlackTakesTheEarliestWindowWithinTheErrorOfTheCheapest) {
  // Given a 2 h, 1 kW job that may start now (200 g), at 3 h (190 g) or at
  // 4 h (180 g), planned on a forecast claiming 10 g/kWh of error: without
  // slack we should wait for 4 h; with slack 0.4 (8 g) still 4 h; with 0.6
  // (12 g) the earlier 3 h; with 1.2 (24 g) start now.
  auto a = MakeRegion("test:a", "A");
  std::vector<double> v(24, 100.0);
  v[4] = v[5] = 90.0;
  GridData grid;
  ASSERT_TRUE(grid.Add("A", Series(H(0), v)).ok());
  JobSpec job = Job("j", 0, 2, 12, a.get());
  std::map<double, TimePoint> start;
  for (double slack : {0.0, 0.4, 0.6, 1.2}) {
    ErrorClaimingView view(grid, 10.0);
    SunwindPolicy policy("sunwind", view, /*replans=*/false);
    policy.SetForecastSlack(slack);
    auto r = Simulate({job}, policy, grid, Period(0, 1));
    ASSERT_TRUE(r.ok()) << r.status().message();
    start[slack] = r->outcomes[0].start;
  }
  EXPECT_EQ(start[0.0], H(4));
  EXPECT_EQ(start[0.4], H(4));
  EXPECT_EQ(start[0.6], H(3));
  EXPECT_EQ(start[1.2], H(0));
}

TEST(ForecastViewTest, MeasuresTheErrorOfTheForecastsItHasMade) {
  // Given persistence on a grid alternating 100 and 300 by the hour, we
  // should measure no error before any forecast hour has passed, and 200
  // g/kWh (each hour forecast as the one before it) after a day of hourly
  // forecasts.
  auto a = MakeRegion("test:a", "A");
  std::vector<double> v;
  for (int h = 0; h < 24 * 20; ++h) v.push_back(h % 2 ? 300.0 : 100.0);
  GridData grid;
  ASSERT_TRUE(grid.Add("A", Series(H(0), v)).ok());
  auto view = MakeView("persistence", grid, Duration{24 * 3600}, 1);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ((*view)->MeanAbsError(a.get()), 0.0);
  for (int h = 24 * 10; h <= 24 * 11; ++h) ASSERT_TRUE((*view)->Ahead(a.get(), H(h), H(h + 24)).ok());
  EXPECT_NEAR((*view)->MeanAbsError(a.get()), 200.0, 1e-9);
}

TEST(PolicyTest, UnknownNamesAreRefusedWithTheList) {
  auto a = MakeRegion("test:a", "A");
  GridData grid;
  ActualView actual(grid);
  auto p = MakePolicy("greedy", actual, actual, kHour);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ("--policy: unknown policy 'greedy' (known: run-now, best-region-now, best-window, threshold, sunwind, oracle)",
            p.status().message());
}

}  // namespace
}  // namespace sunwind
