// The daemon's core on real processes, a real SQLite file and a ManualClock:
// planning on submit, starting in the planned slot, re-planning on a new
// forecast, scheduler and user pauses, cancel, overruns and crash recovery.
#include "service/service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "executors/command_runner.h"
#include "executors/posix_process_runner.h"
#include "regions/zones.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_regions.h"

namespace sunwind {
namespace {

using namespace std::chrono;
using nlohmann::json;

// Two runnable regions (local executor) and the catalogue's advisory ones.
constexpr const char* kConfig = R"(
- id: local:host
  zone: DE
  pue: 1.0
  executor: {kind: local}
- id: local:north
  zone: NO
  pue: 1.2
  executor: {kind: local}
)";

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status loaded = testing::LoadTestRegions(kConfig, zones_, catalogue_);
    ASSERT_TRUE(loaded.ok()) << loaded.message();
    // Dirty everywhere except a clean hour at t0+3h at home; north is grey.
    SetIntensity("local:host", [this](TimePoint t) { return t >= t0_ + hours(3) && t < t0_ + hours(4) ? 50.0 : 500.0; });
    SetIntensity("local:north", [](TimePoint) { return 450.0; });
  }

  void SetIntensity(const std::string& region, std::function<double(TimePoint)> f) { intensity_[region] = f; }

  FetchIntensity Fetch() {
    return [this](const Region* r, TimePoint from, TimePoint to, Duration step) -> Result<RegionSeries> {
      auto it = intensity_.find(r->id);
      if (it == intensity_.end()) return Status::NotFound("no data for " + r->id);
      IntensitySeries s;
      s.start = from;
      s.step = step;
      for (TimePoint t = from; t < to; t += step) s.Append(it->second(t), PointKind::kForecast, "test");
      ++fetches_;
      return RegionSeries{r, s};
    };
  }

  std::unique_ptr<Service> Open() {
    auto db = Database::Open(dir_.File("sunwind.db"));
    EXPECT_TRUE(db.ok()) << db.status().message();
    dbs_.push_back(std::move(db).value());
    ServiceOptions o;
    o.jobs_dir = dir_.File("jobs");
    o.grace = milliseconds(3000);
    o.commands = commands_;
    auto s = Service::Open(*dbs_.back(), clock_, catalogue_, Fetch(), runner_, o);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  void AddRegions(const std::string& yaml) {
    Status st = catalogue_.MergeConfigNode(YAML::Load(yaml), "test", zones_);
    ASSERT_TRUE(st.ok()) << st.message();
  }

  JobSubmission Job(const std::string& name, std::vector<std::string> argv, Duration duration = hours(1),
                    Duration deadline_in = hours(8)) {
    JobSubmission j;
    j.name = name;
    j.project = "test";
    j.command = std::move(argv);
    j.duration = duration;
    j.power_w = 1000;
    j.earliest_start = clock_.Now();
    j.deadline = clock_.Now() + deadline_in;
    return j;
  }

  // Ticks (real time passing, the clock held) until the job leaves `state`.
  JobPhase WaitWhile(Service& s, const std::string& id, JobPhase state, milliseconds limit = milliseconds(5000)) {
    auto give_up = steady_clock::now() + limit;
    while (steady_clock::now() < give_up) {
      EXPECT_TRUE(s.Tick().ok());
      auto job = s.Show(id);
      if (!job.ok() || job->job.state != state) return job.ok() ? job->job.state : state;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return s.Show(id)->job.state;
  }

  std::vector<std::string> Reasons(Service& s, const std::string& id) {
    std::vector<std::string> out;
    auto detail = s.Show(id);
    for (const auto& e : detail->events) out.push_back(std::string(JobPhaseName(e.to_state)) + ":" + e.reason);
    return out;
  }

  testing::TempDir dir_;
  TimePoint t0_ = TimePoint(hours(24 * 20780));  // 2026-11-22T00:00Z, on the hour
  ManualClock clock_{t0_};
  PosixProcessRunner runner_{clock_};
  ZoneTable zones_;
  RegionCatalogue catalogue_;
  std::map<std::string, std::function<double(TimePoint)>> intensity_;
  int fetches_ = 0;
  std::vector<std::unique_ptr<Database>> dbs_;
  CommandRunner* commands_ = nullptr;  // the Slurm tools; null = real ones
};

TEST_F(ServiceTest, ADefaultRegionTheConfigLacksIsRefusedSayingWhereToDefineIt) {
  auto db = Database::Open(dir_.File("sunwind.db"));
  ASSERT_TRUE(db.ok());
  ServiceOptions o;
  o.jobs_dir = dir_.File("jobs");
  o.default_region = "local:nowhere";
  auto s = Service::Open(**db, clock_, catalogue_, Fetch(), runner_, o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.status().message(),
            "default_region: local:nowhere is not a known region: define it under regions: in the config passed "
            "with --config (config/sunwind.yaml defines local:host, this machine)");
}

TEST_F(ServiceTest, BadRegionsAreRefusedByFieldAndNothingIsStored) {
  // Given submissions naming an unknown region, an advisory one (no executor
  // bound) and a bad field, we should refuse each naming the field and keep
  // the store empty.
  auto s = Open();
  JobSubmission unknown = Job("a", {"/bin/true"});
  unknown.allowed_regions = {"local:host", "mars:olympus"};
  auto r = s->Submit(unknown);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "allowed_regions: unknown region 'mars:olympus'");

  JobSubmission advisory = Job("b", {"/bin/true"});
  advisory.home_region = "aws:eu-central-1";
  r = s->Submit(advisory);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "home_region: region 'aws:eu-central-1' is advisory (no executor bound in the config): it is ranked and "
            "planned, but sunwind cannot launch jobs there");

  JobSubmission zero = Job("c", {"/bin/true"});
  zero.power_w = 0;
  EXPECT_EQ(s->Submit(zero).status().message(), "power_w: must be positive, got 0.000000");
  EXPECT_TRUE(s->List()->empty());
  EXPECT_EQ(HttpStatusFor(r.status()), 400);
}

TEST_F(ServiceTest, WaitsForTheCleanSlotThenRunsToTheEnd) {
  // Given a 1 h job with a clean hour at t0+3h, we should plan it there,
  // leave it queued until then, start it in that slot, and mark it done
  // when its process exits 0.
  auto s = Open();
  auto job = s->Submit(Job("wait", {"/bin/sh", "-c", "sleep 0.2"}));
  ASSERT_TRUE(job.ok()) << job.status().message();
  ASSERT_TRUE(s->Tick().ok());
  auto d = s->Show(job->id);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->job.state, JobPhase::kQueued);
  ASSERT_TRUE(d->plan.has_value());
  json intervals = json::parse(d->plan->intervals_json);
  ASSERT_EQ(intervals.size(), 1u);
  EXPECT_EQ(intervals[0]["region"], "local:host");
  EXPECT_EQ(intervals[0]["start"], FormatTime(t0_ + hours(3)));
  EXPECT_DOUBLE_EQ(d->plan->expected_emissions_g, 50.0);  // 1 kWh at 50 g/kWh, PUE 1
  json summary = json::parse(d->plan->summary_json);
  EXPECT_DOUBLE_EQ(summary["run_now"]["emissions_g"].get<double>(), 500.0);
  EXPECT_DOUBLE_EQ(summary["saving_g"].get<double>(), 450.0);

  clock_.Set(t0_ + hours(2) + minutes(59));
  ASSERT_TRUE(s->Tick().ok());
  EXPECT_EQ(s->Show(job->id)->job.state, JobPhase::kQueued);
  clock_.Set(t0_ + hours(3));
  ASSERT_TRUE(s->Tick().ok());
  d = s->Show(job->id);
  EXPECT_EQ(d->job.state, JobPhase::kRunning);
  EXPECT_EQ(d->region, "local:host");
  EXPECT_EQ(WaitWhile(*s, job->id, JobPhase::kRunning), JobPhase::kDone);
  d = s->Show(job->id);
  EXPECT_EQ(json::parse(d->events.back().detail_json)["exit_code"], 0);
  EXPECT_FALSE(d->deadline_missed);
  EXPECT_TRUE(std::filesystem::exists(d->stdout_path));
}

TEST_F(ServiceTest, RunningNamesEachRunningJobWithItsWholeProcessTree) {
  // Given a job that runs now and starts a child, the meter's view should
  // name the job, its region and both processes; a queued job is absent.
  auto s = Open();
  JobSubmission now = Job("tree", {"/bin/sh", "-c", "sleep 30 & wait"});
  now.deadline = clock_.Now() + hours(1);
  auto running = s->Submit(now);
  auto waiting = s->Submit(Job("later", {"/bin/true"}));
  ASSERT_TRUE(running.ok() && waiting.ok());
  ASSERT_TRUE(s->Tick().ok());
  ASSERT_EQ(s->Show(running->id)->job.state, JobPhase::kRunning);
  std::vector<RunningJob> jobs;
  for (int i = 0; i < 100; ++i) {  // the shell needs a moment to fork its child
    auto r = s->Running();
    ASSERT_TRUE(r.ok()) << r.status().message();
    jobs = *r;
    if (jobs.size() == 1 && jobs[0].pids.size() >= 2) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].id, running->id);
  EXPECT_EQ(jobs[0].region, "local:host");
  EXPECT_EQ(jobs[0].executor_kind, "local");
  EXPECT_GE(jobs[0].pids.size(), 2u);
  ASSERT_TRUE(s->Cancel(running->id).ok());
  EXPECT_TRUE(s->Running()->empty());
}

TEST_F(ServiceTest, AClusterThatDoesNotAnswerLeavesTheJobQueuedUntilItDoes) {
  // Given a job for a Slurm region whose slurmctld does not answer at its
  // slot, we should keep it queued (no event, nothing lost), say
  // kUnavailable, and submit it on the first tick the cluster answers.
  AddRegions("- {id: 'slurm:east', zone: DE, pue: 1.1, executor: {kind: slurm, partition: east}}");
  SetIntensity("slurm:east", [](TimePoint) { return 300.0; });
  ScriptedCommandRunner slurm;
  commands_ = &slurm;
  auto s = Open();
  JobSubmission j = Job("train", {"/bin/true"});
  j.allowed_regions = {"slurm:east"};
  j.deadline = clock_.Now() + hours(1);  // no room to wait: its slot is now
  auto job = s->Submit(j);
  ASSERT_TRUE(job.ok()) << job.status().message();
  slurm.ExpectError(Status::Unavailable("squeue did not finish within 20000 ms"));
  Status tick = s->Tick();
  EXPECT_EQ(tick.code(), StatusCode::kUnavailable) << tick.message();
  auto d = s->Show(job->id);
  EXPECT_EQ(d->job.state, JobPhase::kQueued);
  EXPECT_EQ(d->events.size(), 1u);  // "submitted" only

  slurm.ExpectOutput("");       // squeue: not submitted before
  slurm.ExpectOutput("42\n");  // sbatch --parsable
  clock_.Set(clock_.Now() + minutes(1));
  ASSERT_TRUE(s->Tick().ok());
  d = s->Show(job->id);
  EXPECT_EQ(d->job.state, JobPhase::kRunning);
  EXPECT_EQ(d->region, "slurm:east");
  EXPECT_EQ(d->launch, "slurm job 42");
  ASSERT_TRUE(d->handle.has_value());
  EXPECT_EQ(d->handle->executor_kind, "slurm");
  json handle = json::parse(d->handle->handle_json);
  EXPECT_EQ(handle["slurm_job_id"], "42");
  EXPECT_EQ(handle["region"], "slurm:east");
}

TEST_F(ServiceTest, MaxJobsCapsHowManyJobsARegionRunsAtOnce) {
  // Given a region that runs one job at a time and two jobs due now, we
  // should start one, keep the other queued, and start it once the first ends.
  AddRegions("- {id: 'local:one', zone: DE, pue: 1.0, executor: {kind: local, max_jobs: 1}}");
  SetIntensity("local:one", [](TimePoint) { return 300.0; });
  auto s = Open();
  std::vector<std::string> ids;
  for (const char* name : {"first", "second"}) {
    JobSubmission j = Job(name, {"/bin/sh", "-c", "sleep 0.3"});
    j.allowed_regions = {"local:one"};
    j.deadline = clock_.Now() + hours(2);
    j.duration = minutes(30);
    auto job = s->Submit(j);
    ASSERT_TRUE(job.ok()) << job.status().message();
    ids.push_back(job->id);
  }
  // Both must run by now + 90 min at the latest; with one place, one waits.
  clock_.Set(clock_.Now() + minutes(60));
  ASSERT_TRUE(s->Tick().ok());
  int running = 0;
  for (const auto& id : ids) running += s->Show(id)->job.state == JobPhase::kRunning;
  EXPECT_EQ(running, 1);
  const std::string waiting = s->Show(ids[0])->job.state == JobPhase::kRunning ? ids[1] : ids[0];
  EXPECT_EQ(s->Show(waiting)->job.state, JobPhase::kQueued);
  EXPECT_EQ(WaitWhile(*s, waiting, JobPhase::kQueued), JobPhase::kRunning);
  EXPECT_EQ(WaitWhile(*s, waiting, JobPhase::kRunning), JobPhase::kDone);
}

TEST_F(ServiceTest, ABadExecutorBlockIsRefusedAtOpenNamingRegionAndOption) {
  // Given a Slurm region without a partition, we should refuse to open,
  // naming the region and the missing option.
  AddRegions("- {id: 'slurm:nowhere', zone: DE, pue: 1.1, executor: {kind: slurm, account: lab}}");
  auto db = Database::Open(dir_.File("bad.db"));
  ASSERT_TRUE(db.ok());
  ServiceOptions o;
  o.jobs_dir = dir_.File("jobs");
  auto s = Service::Open(**db, clock_, catalogue_, Fetch(), runner_, o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("region 'slurm:nowhere': executor.partition: missing"), std::string::npos)
      << s.status().message();
}

TEST_F(ServiceTest, PlanningManyJobsInOneTickFetchesEachRegionOnce) {
  // Given 40 jobs with deadlines from 3 h to 22 h ahead, we should plan
  // every one of them in one tick with a single fetch per region, and still
  // place each in the clean hour at t0+3h where its deadline allows.
  auto s = Open();
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    JobSubmission j = Job("many" + std::to_string(i), {"/bin/true"}, hours(1), hours(3) + minutes(30 * i));
    auto job = s->Submit(j);
    ASSERT_TRUE(job.ok()) << job.status().message();
    ids.push_back(job->id);
  }
  fetches_ = 0;
  ASSERT_TRUE(s->Tick().ok());
  EXPECT_EQ(fetches_, 1);  // local:host only: no job names another region
  for (size_t i = 0; i < ids.size(); ++i) {
    auto d = s->Show(ids[i]);
    ASSERT_TRUE(d->plan.has_value()) << ids[i];
    json intervals = json::parse(d->plan->intervals_json);
    const TimePoint deadline = t0_ + hours(3) + minutes(30 * static_cast<int>(i));
    if (deadline >= t0_ + hours(4)) {
      EXPECT_EQ(intervals[0]["start"], FormatTime(t0_ + hours(3))) << ids[i];
    }
  }
}

TEST_F(ServiceTest, AFailingCommandIsFailedWithItsExitCode) {
  auto s = Open();
  JobSubmission j = Job("fail", {"/bin/sh", "-c", "echo oops >&2; exit 3"});
  j.deadline = clock_.Now() + hours(1);  // no room to wait: runs now
  auto job = s->Submit(j);
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(s->Tick().ok());
  EXPECT_EQ(WaitWhile(*s, job->id, JobPhase::kRunning), JobPhase::kFailed);
  auto d = s->Show(job->id);
  EXPECT_EQ(json::parse(d->events.back().detail_json)["exit_code"], 3);
  std::ifstream err(d->stderr_path);
  std::string line;
  std::getline(err, line);
  EXPECT_EQ(line, "oops");
}

TEST_F(ServiceTest, AProgramThatDoesNotExistFailsAtLaunchSayingWhy) {
  auto s = Open();
  JobSubmission j = Job("missing", {"/no/such/program"});
  j.deadline = clock_.Now() + hours(1);
  auto job = s->Submit(j);
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(s->Tick().ok());
  auto d = s->Show(job->id);
  EXPECT_EQ(d->job.state, JobPhase::kFailed);
  EXPECT_EQ(d->events.back().reason, "could not launch");
  EXPECT_NE(d->events.back().detail_json.find("/no/such/program"), std::string::npos);
  ASSERT_TRUE(s->Tick().ok());  // and the core has let it go
}

TEST_F(ServiceTest, ANewForecastMovesAJobThatHasNotStarted) {
  // Given a job planned for the clean hour at t0+3h, when the next forecast
  // shows an even cleaner hour at t0+5h, we should re-plan it there.
  auto s = Open();
  auto job = s->Submit(Job("move", {"/bin/true"}));
  ASSERT_TRUE(s->Tick().ok());
  EXPECT_EQ(json::parse(s->Show(job->id)->plan->intervals_json)[0]["start"], FormatTime(t0_ + hours(3)));
  SetIntensity("local:host", [this](TimePoint t) { return t >= t0_ + hours(5) && t < t0_ + hours(6) ? 10.0 : 500.0; });
  clock_.Set(t0_ + minutes(30));  // same forecast hour: no re-plan
  ASSERT_TRUE(s->Tick().ok());
  EXPECT_EQ(s->Show(job->id)->plan->version, 1);
  clock_.Set(t0_ + hours(1));  // a new forecast
  ASSERT_TRUE(s->Tick().ok());
  auto d = s->Show(job->id);
  EXPECT_EQ(d->plan->version, 2);
  EXPECT_EQ(json::parse(d->plan->intervals_json)[0]["start"], FormatTime(t0_ + hours(5)));
  clock_.Set(t0_ + hours(3));
  ASSERT_TRUE(s->Tick().ok());
  EXPECT_EQ(s->Show(job->id)->job.state, JobPhase::kQueued);
}

TEST_F(ServiceTest, ARunningNonInterruptibleJobIsNeverPaused) {
  // Given a non-interruptible job running into dirty hours, we should keep it
  // running through them and through new forecasts.
  auto s = Open();
  SetIntensity("local:host", [](TimePoint) { return 100.0; });
  auto job = s->Submit(Job("long", {"/bin/sh", "-c", "sleep 30"}, hours(2), hours(2) + minutes(30)));
  ASSERT_TRUE(s->Tick().ok());
  clock_.Set(t0_ + minutes(30));
  ASSERT_TRUE(s->Tick().ok());
  ASSERT_EQ(s->Show(job->id)->job.state, JobPhase::kRunning);
  SetIntensity("local:host", [](TimePoint) { return 900.0; });
  for (int h = 1; h <= 4; ++h) {
    clock_.Set(t0_ + hours(h));
    ASSERT_TRUE(s->Tick().ok());
    EXPECT_EQ(s->Show(job->id)->job.state, JobPhase::kRunning) << h;
  }
  // Past its 2 h estimate and past its deadline it still runs, flagged.
  auto d = s->Show(job->id);
  EXPECT_TRUE(d->overrun);
  EXPECT_TRUE(d->deadline_missed);
  ASSERT_TRUE(s->Cancel(job->id).ok());
  EXPECT_EQ(s->Show(job->id)->job.state, JobPhase::kCancelled);
}

// A job that honours the checkpoint contract: counts to 40 in steps of 50
// ms, saves its count on SIGTERM and exits 0, continues from it when
// SUNWIND_RESUME=1.
constexpr const char* kCheckpointingJob = R"(
n=0
if [ "$SUNWIND_RESUME" = 1 ] && [ -f count ]; then n=$(cat count); echo "resumed at $n"; fi
trap 'echo $n > count; exit 0' TERM
while [ $n -lt 40 ]; do sleep 0.05; n=$((n+1)); done
echo "finished at $n"
)";

TEST_F(ServiceTest, TheSchedulerPausesAnInterruptibleJobInADirtySlotAndResumesIt) {
  // Given an interruptible 2 h job with clean hours at t0 and t0+2h and a
  // dirty one between, we should run it, pause it by checkpoint at t0+1h
  // (paused by the scheduler), and resume it with SUNWIND_RESUME=1 at t0+2h.
  auto s = Open();
  SetIntensity("local:host", [this](TimePoint t) { return t >= t0_ + hours(1) && t < t0_ + hours(2) ? 800.0 : 50.0; });
  JobSubmission j = Job("chunked", {"/bin/sh", "-c", kCheckpointingJob}, hours(2), hours(4));
  j.interruptible = true;
  j.working_dir = dir_.path().string();
  auto job = s->Submit(j);
  ASSERT_TRUE(job.ok()) << job.status().message();
  ASSERT_TRUE(s->Tick().ok());
  ASSERT_EQ(s->Show(job->id)->job.state, JobPhase::kRunning);
  std::this_thread::sleep_for(milliseconds(300));
  clock_.Set(t0_ + hours(1));
  ASSERT_TRUE(s->Tick().ok());
  auto d = s->Show(job->id);
  ASSERT_EQ(d->job.state, JobPhase::kPaused);
  EXPECT_EQ(d->job.paused_by, PausedBy::kScheduler);
  EXPECT_TRUE(std::filesystem::exists(dir_.File("count")));
  clock_.Set(t0_ + hours(2));
  ASSERT_TRUE(s->Tick().ok());
  ASSERT_EQ(s->Show(job->id)->job.state, JobPhase::kRunning);
  EXPECT_EQ(WaitWhile(*s, job->id, JobPhase::kRunning), JobPhase::kDone);
  d = s->Show(job->id);
  std::ifstream out(d->stdout_path);
  std::string text((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("resumed at"), std::string::npos) << text;
  EXPECT_NE(text.find("finished at 40"), std::string::npos) << text;
  EXPECT_EQ(Reasons(*s, job->id),
            (std::vector<std::string>{"queued:submitted", "running:its planned slot began",
                                      "paused:its plan skips a dirty slot", "running:resumed: its planned slot began",
                                      "done:its process ended"}));
}

TEST_F(ServiceTest, TheSchedulerNeverResumesAJobAUserPaused) {
  // Given a running stop-mode job a user paused, we should keep it stopped
  // through its planned slots and new forecasts until the user resumes it.
  auto s = Open();
  SetIntensity("local:host", [](TimePoint) { return 100.0; });
  JobSubmission j = Job("held", {"/bin/sh", "-c", "sleep 0.4"}, hours(1), hours(8));
  j.interruptible = true;
  j.pause_mode = "stop";
  auto job = s->Submit(j);
  ASSERT_TRUE(s->Tick().ok());
  ASSERT_EQ(s->Show(job->id)->job.state, JobPhase::kRunning);
  auto paused = s->Pause(job->id);
  ASSERT_TRUE(paused.ok()) << paused.status().message();
  EXPECT_EQ(paused->state, JobPhase::kPaused);
  EXPECT_EQ(paused->paused_by, PausedBy::kUser);
  EXPECT_EQ(s->Pause(job->id).status().code(), StatusCode::kFailedPrecondition);
  for (int h = 1; h <= 3; ++h) {
    clock_.Set(t0_ + hours(h));
    ASSERT_TRUE(s->Tick().ok());
  }
  std::this_thread::sleep_for(milliseconds(600));  // longer than it would run
  ASSERT_TRUE(s->Tick().ok());
  EXPECT_EQ(s->Show(job->id)->job.state, JobPhase::kPaused);
  auto resumed = s->Resume(job->id);
  ASSERT_TRUE(resumed.ok()) << resumed.status().message();
  EXPECT_EQ(resumed->state, JobPhase::kRunning);
  EXPECT_EQ(WaitWhile(*s, job->id, JobPhase::kRunning), JobPhase::kDone);
  EXPECT_EQ(s->Resume(job->id).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(ServiceTest, AUserMayHoldAQueuedJobAndReleaseItToItsSlot) {
  auto s = Open();
  auto job = s->Submit(Job("hold", {"/bin/true"}));
  ASSERT_TRUE(s->Tick().ok());
  ASSERT_TRUE(s->Pause(job->id).ok());
  clock_.Set(t0_ + hours(3));  // its slot
  ASSERT_TRUE(s->Tick().ok());
  EXPECT_EQ(s->Show(job->id)->job.state, JobPhase::kPaused);
  auto r = s->Resume(job->id);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->state, JobPhase::kQueued);
  ASSERT_TRUE(s->Tick().ok());
  EXPECT_EQ(WaitWhile(*s, job->id, JobPhase::kRunning), JobPhase::kDone);
}

TEST_F(ServiceTest, CancelStopsARunningJobAndEndsAQueuedOne) {
  auto s = Open();
  SetIntensity("local:host", [](TimePoint) { return 100.0; });
  auto running = s->Submit(Job("run", {"/bin/sh", "-c", "sleep 30"}));
  auto queued = s->Submit(Job("later", {"/bin/true"}));
  ASSERT_TRUE(s->Pause(queued->id).ok());  // held, so it stays queued
  ASSERT_TRUE(s->Tick().ok());
  ASSERT_EQ(s->Show(running->id)->job.state, JobPhase::kRunning);
  auto c = s->Cancel(running->id);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->state, JobPhase::kCancelled);
  EXPECT_EQ(json::parse(s->Show(running->id)->events.back().detail_json)["signal"], 15);
  EXPECT_EQ(s->Cancel(queued->id)->state, JobPhase::kCancelled);
  EXPECT_EQ(s->Cancel(queued->id).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s->Show("j-999999").status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(s->Tick().ok());
}

TEST_F(ServiceTest, ARestartedServiceFindsEveryJobWhereItWas) {
  // Given jobs queued, running, paused by a user and one that ends while the
  // service is down, a new service on the same database should re-adopt the
  // running one (its process still lives), record how the other ended, keep
  // the paused one paused and the queued one queued with its plan.
  SetIntensity("local:host", [this](TimePoint t) { return t >= t0_ + hours(3) && t < t0_ + hours(4) ? 50.0 : 500.0; });
  std::string queued, running, ends, paused;
  {
    auto s = Open();
    JobSubmission q = Job("queued", {"/bin/true"});
    queued = s->Submit(q)->id;
    JobSubmission r = Job("running", {"/bin/sh", "-c", "sleep 1.5"}, hours(1), hours(1));
    running = s->Submit(r)->id;
    JobSubmission e = Job("ends", {"/bin/sh", "-c", "sleep 0.3; exit 4"}, hours(1), hours(1));
    ends = s->Submit(e)->id;
    JobSubmission p = Job("paused", {"/bin/sh", "-c", "sleep 30"}, hours(1), hours(1));
    p.interruptible = true;
    p.pause_mode = "stop";
    paused = s->Submit(p)->id;
    ASSERT_TRUE(s->Tick().ok());
    ASSERT_EQ(s->Show(running)->job.state, JobPhase::kRunning);
    ASSERT_EQ(s->Show(ends)->job.state, JobPhase::kRunning);
    ASSERT_TRUE(s->Pause(paused).ok());
    // The service goes away without stopping anything, as under kill -9.
  }
  std::this_thread::sleep_for(milliseconds(600));
  clock_.Set(t0_ + minutes(10));
  auto s = Open();
  EXPECT_EQ(s->recovery_notes().size(), 3u);
  EXPECT_EQ(s->Show(queued)->job.state, JobPhase::kQueued);
  EXPECT_EQ(s->Show(queued)->plan->version, 1);
  EXPECT_EQ(s->Show(running)->job.state, JobPhase::kRunning);
  auto e = s->Show(ends);
  EXPECT_EQ(e->job.state, JobPhase::kFailed);
  EXPECT_EQ(e->events.back().reason, "ended while the daemon was down");
  EXPECT_EQ(json::parse(e->events.back().detail_json)["exit_code"], 4);
  EXPECT_EQ(s->Show(paused)->job.state, JobPhase::kPaused);
  EXPECT_EQ(WaitWhile(*s, running, JobPhase::kRunning), JobPhase::kDone);
  ASSERT_TRUE(s->Tick().ok());
  EXPECT_EQ(s->Show(paused)->job.state, JobPhase::kPaused);
  ASSERT_TRUE(s->Cancel(paused).ok());
  EXPECT_EQ(s->List()->size(), 4u);
}

}  // namespace
}  // namespace sunwind
