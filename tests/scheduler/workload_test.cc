// Workload files: deadline rules, generators, determinism, and errors that
// name the field.
#include <gtest/gtest.h>

#include "scheduler/workload.h"
#include "sim_fixtures.h"

namespace sunwind {
namespace {

using testing::MakeRegion;

class WorkloadTest : public ::testing::Test {
 protected:
  WorkloadTest() : de_(MakeRegion("aws:eu-central-1", "DE")), fr_(MakeRegion("aws:eu-west-3", "FR")) {}
  Result<Workload> Load(const std::string& yaml, const std::string& from = "2020-03-02",
                        const std::string& to = "2020-03-30") {
    return LoadWorkloadString(yaml, "w.yaml", *ParseTime(from), *ParseTime(to), [this](const std::string& id) -> Result<const Region*> {
      if (id == de_->id) return de_.get();
      if (id == fr_->id) return fr_.get();
      return Status::NotFound("no region '" + id + "'");
    });
  }
  std::unique_ptr<Region> de_, fr_;
};

TimePoint At(const std::string& s) { return *ParseTime(s); }

TEST(DeadlineRuleTest, NextWorkdayLeavesNoSlackInWorkingHoursAndWaitsForTheMorningOutside) {
  // Given jobs that would end in working hours, in the evening, on Friday
  // evening, at night and at the weekend, we should get the end itself, the
  // next morning, Monday, the same morning and Monday.
  const Duration h{3600};
  EXPECT_EQ(At("2020-03-06T14:00Z"), *ApplyDeadlineRule("next-workday", At("2020-03-06T10:00Z"), 4 * h));
  EXPECT_EQ(At("2020-03-06T17:00Z"), *ApplyDeadlineRule("next-workday", At("2020-03-06T13:00Z"), 4 * h));
  EXPECT_EQ(At("2020-03-03T09:00Z"), *ApplyDeadlineRule("next-workday", At("2020-03-02T16:00Z"), 4 * h));
  EXPECT_EQ(At("2020-03-09T09:00Z"), *ApplyDeadlineRule("next-workday", At("2020-03-06T16:00Z"), 4 * h));
  EXPECT_EQ(At("2020-03-03T09:00Z"), *ApplyDeadlineRule("next-workday", At("2020-03-02T15:00Z"), 12 * h));
  EXPECT_EQ(At("2020-03-09T09:00Z"), *ApplyDeadlineRule("next-workday", At("2020-03-05T09:00Z"), 60 * h));
  // The paper's code: a Friday evening is due on Saturday morning.
  EXPECT_EQ(At("2020-03-07T09:00Z"), *ApplyDeadlineRule("next-workday-lwa", At("2020-03-06T16:00Z"), 4 * h));
  EXPECT_EQ(At("2020-03-03T09:00Z"), *ApplyDeadlineRule("next-workday-lwa", At("2020-03-02T16:00Z"), 4 * h));
}

TEST(DeadlineRuleTest, SemiWeeklyIsMondayOrThursdayMorning) {
  const Duration h{3600};
  EXPECT_EQ(At("2020-03-05T09:00Z"), *ApplyDeadlineRule("semi-weekly", At("2020-03-02T10:00Z"), 4 * h));
  EXPECT_EQ(At("2020-03-09T09:00Z"), *ApplyDeadlineRule("semi-weekly", At("2020-03-05T10:00Z"), 4 * h));
  EXPECT_EQ(At("2020-03-09T09:00Z"), *ApplyDeadlineRule("semi-weekly", At("2020-03-08T21:00Z"), 12 * h));
}

TEST(DeadlineRuleTest, RelativeDeadlinesLeaveRoomForTheWork) {
  const Duration h{3600};
  EXPECT_EQ(At("2020-03-03T10:00Z"), *ApplyDeadlineRule("+24h", At("2020-03-02T10:00Z"), 4 * h));
  EXPECT_EQ(At("2020-03-04T10:00Z"), *ApplyDeadlineRule("+24h", At("2020-03-02T10:00Z"), 48 * h));
  EXPECT_EQ("'soon' is not +DURATION, next-workday, next-workday-lwa or semi-weekly",
            ApplyDeadlineRule("soon", At("2020-03-02T10:00Z"), h).status().message());
}

TEST_F(WorkloadTest, ReadsAnExplicitJob) {
  auto w = Load(R"(
name: one
jobs:
  - id: finetune
    submit: 2020-03-02T09:00Z
    duration: 12h
    power: 2kW
    deadline: +48h
    interruptible: true
    min_chunk: 2h
    checkpoint_overhead: 10m
    home_region: aws:eu-central-1
    allowed_regions: [aws:eu-west-3]
)");
  ASSERT_TRUE(w.ok()) << w.status().message();
  ASSERT_EQ(1u, w->jobs.size());
  const JobSpec& j = w->jobs[0];
  EXPECT_EQ("finetune", j.id);
  EXPECT_EQ(At("2020-03-04T09:00Z"), j.deadline);
  EXPECT_EQ(2000.0, j.power_w);
  EXPECT_TRUE(j.interruptible);
  EXPECT_EQ(Duration{7200}, j.min_chunk);
  EXPECT_EQ(Duration{600}, j.checkpoint_overhead);
  // The home region is always allowed, first.
  EXPECT_EQ(std::vector<const Region*>({de_.get(), fr_.get()}), j.allowed_regions);
}

TEST_F(WorkloadTest, GeneratesWeekdayOfficeHourArrivalsDeterministically) {
  // Given a generator of 200 jobs on weekdays 09-17, we should get 200 jobs
  // on the hour, Monday to Friday, 09:00 to 16:00, with durations and
  // deadlines in range, the same ones for the same seed.
  const std::string yaml = R"(
seed: 5
generators:
  - name: ml
    count: 200
    days: weekdays
    hours: "09-17"
    duration: {min: 4h, max: 90h}
    power: {min: 1kW, max: 3kW}
    deadline: next-workday
    interruptible_share: 0.5
    home_region: aws:eu-central-1
)";
  auto a = Load(yaml), b = Load(yaml);
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_EQ(200u, a->jobs.size());
  int interruptible = 0;
  for (size_t i = 0; i < a->jobs.size(); ++i) {
    const JobSpec& j = a->jobs[i];
    EXPECT_EQ(j.submit, b->jobs[i].submit);
    EXPECT_EQ(j.duration, b->jobs[i].duration);
    const auto day = std::chrono::floor<std::chrono::days>(j.submit);
    const long long hour = (j.submit - std::chrono::sys_seconds(day)) / std::chrono::hours(1);
    EXPECT_LE(std::chrono::weekday(day).iso_encoding(), 5u);
    EXPECT_GE(hour, 9);
    EXPECT_LT(hour, 17);
    EXPECT_EQ(FloorTo(j.submit, Duration{3600}), j.submit);
    EXPECT_GE(j.duration, Duration{4 * 3600});
    EXPECT_LE(j.duration, Duration{90 * 3600});
    EXPECT_GE(j.deadline, j.submit + j.duration);
    EXPECT_GE(j.power_w, 1000);
    EXPECT_LE(j.power_w, 3000);
    interruptible += j.interruptible ? 1 : 0;
    if (i > 0) {
      EXPECT_LE(a->jobs[i - 1].submit, j.submit);
    }
  }
  EXPECT_GT(interruptible, 60);
  EXPECT_LT(interruptible, 140);
}

TEST_F(WorkloadTest, PerDayMakesOneJobEveryNight) {
  auto w = Load(R"(
generators:
  - name: nightly
    per_day: 1
    hours: "01-02"
    duration: 1h
    deadline: +8h
    home_region: aws:eu-central-1
)", "2020-03-02", "2020-03-09");
  ASSERT_TRUE(w.ok()) << w.status().message();
  ASSERT_EQ(7u, w->jobs.size());
  EXPECT_EQ(At("2020-03-02T01:00Z"), w->jobs[0].submit);
  EXPECT_EQ(At("2020-03-08T01:00Z"), w->jobs[6].submit);
  EXPECT_EQ(At("2020-03-08T09:00Z"), w->jobs[6].deadline);
}

TEST_F(WorkloadTest, ErrorsNameTheFileTheEntryAndTheField) {
  auto w = Load(R"(
jobs:
  - id: a
    submit: 2020-03-02T09:00Z
    duration: 2h
    deadline: +4h
    home_region: aws:nowhere
)");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ("w.yaml: jobs[0]: home_region: no region 'aws:nowhere'", w.status().message());
  auto g = Load(R"(
generators:
  - duration: 2h
    deadline: tomorrow
    home_region: aws:eu-central-1
    count: 3
)");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ("w.yaml: generators[0]: deadline: 'tomorrow' is not +DURATION, next-workday, next-workday-lwa or semi-weekly",
            g.status().message());
  auto d = Load(R"(
jobs:
  - id: a
    submit: 2020-03-02T09:00Z
    duration: 5h
    deadline: 2020-03-02T12:00Z
    home_region: aws:eu-central-1
)");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ("w.yaml: jobs[0]: deadline: 2020-03-02T12:00:00Z leaves less than the job's 5h after its submission at "
            "2020-03-02T09:00:00Z",
            d.status().message());
}

}  // namespace
}  // namespace sunwind
