// The daemon's core driving a real one-node Slurm 22.05 (scripts/slurm-up.sh;
// scripts/test.sh starts it before ctest): two partitions, east and west,
// stand for two regions. The clock is a ManualClock, so the scheduler's
// hours pass when a test says; the jobs are real Slurm jobs.
//
// Tests skip, saying why, only where no Slurm answers. They hold a shared
// lock on the file the Slurm executor's tests use, so the test that restarts
// slurmctld never runs beside them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "executors/command_runner.h"
#include "executors/posix_process_runner.h"
#include "regions/zones.h"
#include "service/service.h"
#include "tests/support/slurm_cluster.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_regions.h"

namespace sunwind {
namespace {

using namespace std::chrono;
using nlohmann::json;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

int CountLines(const std::string& text, const std::string& prefix) {
  int n = 0;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) n += line.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

class ServiceSlurmTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_reason_ = testing::SlurmSkipReason("east,west");
  }

  void SetUp() override {
    if (!skip_reason_.empty()) {
      GTEST_SKIP() << "no Slurm answers here (" << skip_reason_ << "); start one with scripts/slurm-up.sh";
    }
    lock_fd_ = testing::LockSlurmTests(/*exclusive=*/false);
    ASSERT_GE(lock_fd_, 0);
    Status loaded = testing::LoadTestRegions(R"(
- {id: 'slurm:east', zone: DE, pue: 1.2, executor: {kind: slurm, partition: east, grace: 20}}
- {id: 'slurm:west', zone: NO, pue: 1.1, executor: {kind: slurm, partition: west, max_jobs: 2}}
)",
                                             zones_, catalogue_);
    ASSERT_TRUE(loaded.ok()) << loaded.message();
    std::filesystem::create_directories(dir_.File("work"));
  }

  void TearDown() override {
    if (lock_fd_ >= 0) close(lock_fd_);
  }

  FetchIntensity Fetch() {
    return [this](const Region* r, TimePoint from, TimePoint to, Duration step) -> Result<RegionSeries> {
      IntensitySeries s;
      s.start = from;
      s.step = step;
      for (TimePoint t = from; t < to; t += step) s.Append(intensity_[r->id](t), PointKind::kForecast, "test");
      return RegionSeries{r, s};
    };
  }

  std::unique_ptr<Service> Open() {
    if (!db_) {
      auto db = Database::Open(dir_.File("sunwind.db"));
      EXPECT_TRUE(db.ok()) << db.status().message();
      db_ = std::move(db).value();
    }
    ServiceOptions o;
    o.jobs_dir = dir_.File("jobs");
    o.default_region = "slurm:east";
    o.grace = seconds(20);
    // This process's jobs only: ctest runs other tests' daemons beside it.
    o.slurm_name_prefix = "t" + std::to_string(getpid()) + "-";
    auto s = Service::Open(*db_, clock_, catalogue_, Fetch(), runner_, o);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  JobSubmission Job(const std::string& name, std::vector<std::string> argv) {
    JobSubmission j;
    j.name = name;
    j.project = "slurm-test";
    j.command = std::move(argv);
    j.working_dir = dir_.File("work");
    j.duration = hours(1);
    j.power_w = 300;
    j.earliest_start = clock_.Now();
    j.deadline = clock_.Now() + hours(1);  // its slot is now
    return j;
  }

  // Ticks (real time passing, the clock held) while the job is in `state`.
  JobPhase WaitWhile(Service& s, const std::string& id, JobPhase state, milliseconds limit = milliseconds(60000)) {
    auto give_up = steady_clock::now() + limit;
    while (steady_clock::now() < give_up) {
      (void)s.Tick();
      auto job = s.Show(id);
      if (!job.ok() || job->job.state != state) return job.ok() ? job->job.state : state;
      std::this_thread::sleep_for(milliseconds(100));
    }
    return s.Show(id)->job.state;
  }

  // Waits until `path` has at least `n` lines starting with one of `prefixes`.
  bool WaitForLines(const std::string& path, const std::vector<std::string>& prefixes, int n) {
    for (int i = 0; i < 600; ++i) {
      const std::string text = ReadFile(path);
      int seen = 0;
      for (const auto& p : prefixes) seen += CountLines(text, p);
      if (seen >= n) return true;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  }

  static inline std::string skip_reason_;
  int lock_fd_ = -1;
  testing::TempDir dir_;
  TimePoint t0_ = TimePoint(hours(24 * 20780));  // 2026-11-22T00:00Z
  ManualClock clock_{t0_};
  PosixProcessRunner runner_{clock_};
  ZoneTable zones_;
  RegionCatalogue catalogue_;
  std::map<std::string, std::function<double(TimePoint)>> intensity_{
      {"slurm:east", [](TimePoint) { return 500.0; }}, {"slurm:west", [](TimePoint) { return 30.0; }}};
  std::unique_ptr<Database> db_;
};

TEST_F(ServiceSlurmTest, RunsOnTheCleanerPartitionAndIsReadoptedAfterARestart) {
  // Given a job that may run east (500 g/kWh) or west (30 g/kWh), we should
  // submit it to west with sbatch, record Slurm's job id, and after the
  // daemon is dropped and reopened mid-run, re-adopt it from Slurm and see
  // it end done with its output in its log.
  auto s = Open();
  ASSERT_NE(s, nullptr);
  JobSubmission j = Job("hello", {"/bin/sh", "-c", "echo \"hello from $SUNWIND_JOB_ID\"; sleep 3"});
  j.allowed_regions = {"slurm:east", "slurm:west"};
  auto job = s->Submit(j);
  ASSERT_TRUE(job.ok()) << job.status().message();
  ASSERT_TRUE(s->Tick().ok());
  auto d = s->Show(job->id);
  ASSERT_EQ(d->job.state, JobPhase::kRunning);
  EXPECT_EQ(d->region, "slurm:west");
  EXPECT_EQ(d->launch.rfind("slurm job ", 0), 0u) << d->launch;
  EXPECT_EQ(d->handle->executor_kind, "slurm");
  EXPECT_EQ(json::parse(d->handle->handle_json)["partition"], "west");

  s.reset();  // the daemon stops; Slurm runs on
  s = Open();
  ASSERT_NE(s, nullptr);
  bool readopted = false;
  for (const auto& note : s->recovery_notes()) readopted |= note.find("re-adopted; " + d->launch) != std::string::npos;
  EXPECT_TRUE(readopted) << "no re-adoption among the recovery notes";
  EXPECT_EQ(WaitWhile(*s, job->id, JobPhase::kRunning), JobPhase::kDone);
  d = s->Show(job->id);
  EXPECT_EQ(json::parse(d->events.back().detail_json)["exit_code"], 0);
  EXPECT_EQ(ReadFile(d->stdout_path), "hello from " + job->id + "\n");
  // The cluster's accounting of it, for the audit: one run of about 3 s.
  std::optional<SlurmAccounting> acct;
  for (int i = 0; i < 50 && !(acct && acct->cpu_time_s); ++i) {  // the batch step reaches sacct a moment later
    auto a = s->Accounting(job->id);
    ASSERT_TRUE(a.ok()) << a.status().message();
    acct = *a;
    std::this_thread::sleep_for(milliseconds(200));
  }
  ASSERT_TRUE(acct.has_value());
  EXPECT_EQ(acct->source, "sacct");
  EXPECT_EQ(acct->runs, 1);
  EXPECT_GE(acct->elapsed_s, 2.0);
  EXPECT_LT(acct->elapsed_s, 30.0);
}

TEST_F(ServiceSlurmTest, AFailingJobIsFailedWithSlurmsExitCodeAndCancelEndsARunningOne) {
  // Given a Slurm job that exits 3 and one that sleeps, we should record the
  // first failed with exit code 3, and cancel the second through scancel.
  auto s = Open();
  ASSERT_NE(s, nullptr);
  auto failing = s->Submit(Job("fail", {"/bin/sh", "-c", "echo oops >&2; exit 3"}));
  auto sleeping = s->Submit(Job("sleep", {"/bin/sh", "-c", "sleep 60"}));
  ASSERT_TRUE(failing.ok() && sleeping.ok());
  ASSERT_TRUE(s->Tick().ok());
  EXPECT_EQ(WaitWhile(*s, failing->id, JobPhase::kRunning), JobPhase::kFailed);
  auto d = s->Show(failing->id);
  EXPECT_EQ(json::parse(d->events.back().detail_json)["exit_code"], 3);
  EXPECT_EQ(ReadFile(d->stderr_path), "oops\n");

  ASSERT_EQ(s->Show(sleeping->id)->job.state, JobPhase::kRunning);
  auto cancelled = s->Cancel(sleeping->id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().message();
  EXPECT_EQ(cancelled->state, JobPhase::kCancelled);
  // Slurm no longer runs it: squeue lists it as ended, or not at all.
  PosixCommandRunner tools;
  const std::string slurm_id = json::parse(s->Show(sleeping->id)->handle->handle_json)["slurm_job_id"];
  auto q = tools.Run({"squeue", "-h", "-j", slurm_id, "-o", "%T"}, seconds(10));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->stdout_text.find("RUNNING"), std::string::npos) << q->stdout_text;
}

TEST_F(ServiceSlurmTest, AUsersPauseInStopModeSuspendsTheJobAndResumeContinuesIt) {
  // Given a running Slurm job in stop mode, we should suspend it (scontrol
  // suspend: squeue says SUSPENDED) on a user's pause, continue it on
  // resume, and see it end done, its work intact.
  auto s = Open();
  ASSERT_NE(s, nullptr);
  JobSubmission j = Job("stopme", {"/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 0.25; done; echo finished"});
  j.interruptible = true;
  j.pause_mode = "stop";
  auto job = s->Submit(j);
  ASSERT_TRUE(job.ok()) << job.status().message();
  ASSERT_TRUE(s->Tick().ok());
  ASSERT_EQ(s->Show(job->id)->job.state, JobPhase::kRunning);
  const std::string slurm_id = json::parse(s->Show(job->id)->handle->handle_json)["slurm_job_id"];
  PosixCommandRunner tools;
  auto squeue_state = [&] {
    auto q = tools.Run({"squeue", "-h", "-j", slurm_id, "-o", "%T"}, seconds(10));
    return q.ok() ? q->stdout_text : std::string("?");
  };
  for (int i = 0; i < 100 && squeue_state() != "RUNNING\n"; ++i) std::this_thread::sleep_for(milliseconds(100));
  auto paused = s->Pause(job->id);
  ASSERT_TRUE(paused.ok()) << paused.status().message();
  EXPECT_EQ(paused->state, JobPhase::kPaused);
  EXPECT_EQ(squeue_state(), "SUSPENDED\n");
  auto resumed = s->Resume(job->id);
  ASSERT_TRUE(resumed.ok()) << resumed.status().message();
  EXPECT_EQ(resumed->state, JobPhase::kRunning);
  EXPECT_EQ(WaitWhile(*s, job->id, JobPhase::kRunning), JobPhase::kDone);
  EXPECT_EQ(ReadFile(s->Show(job->id)->stdout_path), "finished\n");
}

TEST_F(ServiceSlurmTest, TrainingPausedThreeTimesBySchedulerEndsBitIdenticalToAnUninterruptedRun) {
  // Given the digits training job on Slurm, interruptible, with clean even
  // hours and dirty odd ones, we should see the scheduler checkpoint-pause
  // it (signal, requeue held) in each dirty hour and release it in the next
  // clean one, three times, and the job end with the same loss and weights
  // hash as the same training run straight through.
  intensity_["slurm:east"] = [this](TimePoint t) { return ((t - t0_) / hours(1)) % 2 == 0 ? 100.0 : 600.0; };
  const std::vector<std::string> args = {"--epochs", "8", "--slow-ms-per-batch", "10"};
  auto train = [&](const std::string& name) {
    std::vector<std::string> argv = {TRAIN_DIGITS_BINARY, "--checkpoint", dir_.File(name + ".ckpt"), "--result",
                                     dir_.File(name + ".json")};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  };
  PosixCommandRunner direct;
  auto reference = direct.Run(train("straight"), seconds(60));
  ASSERT_TRUE(reference.ok() && reference->exit_code == 0) << (reference.ok() ? reference->stderr_text : "");
  const json expected = json::parse(ReadFile(dir_.File("straight.json")));

  auto s = Open();
  ASSERT_NE(s, nullptr);
  JobSubmission j = Job("digits", train("paused"));
  j.interruptible = true;
  j.duration = hours(4);
  j.deadline = clock_.Now() + hours(12);
  auto job = s->Submit(j);
  ASSERT_TRUE(job.ok()) << job.status().message();
  ASSERT_TRUE(s->Tick().ok());
  ASSERT_EQ(s->Show(job->id)->job.state, JobPhase::kRunning);
  const std::string log = s->Show(job->id)->stdout_path;

  for (int pause = 1; pause <= 3; ++pause) {
    // Training is under way in this launch before the dirty hour comes.
    ASSERT_TRUE(WaitForLines(log, {"fresh start:", "resumed:"}, pause)) << ReadFile(log);
    std::this_thread::sleep_for(milliseconds(300));
    clock_.Set(t0_ + hours(2 * pause - 1));
    ASSERT_TRUE(s->Tick().ok());
    auto d = s->Show(job->id);
    ASSERT_EQ(d->job.state, JobPhase::kPaused) << ReadFile(log);
    EXPECT_EQ(d->job.paused_by, PausedBy::kScheduler);
    clock_.Set(t0_ + hours(2 * pause));
    ASSERT_TRUE(s->Tick().ok());
    ASSERT_EQ(s->Show(job->id)->job.state, JobPhase::kRunning);
  }
  EXPECT_EQ(WaitWhile(*s, job->id, JobPhase::kRunning, milliseconds(90000)), JobPhase::kDone) << ReadFile(log);
  const std::string text = ReadFile(log);
  EXPECT_EQ(CountLines(text, "paused:"), 3) << text;
  EXPECT_EQ(CountLines(text, "resumed:"), 3) << text;
  // Slurm accounts each requeue as a run of its own: the first and three more.
  auto acct = s->Accounting(job->id);
  ASSERT_TRUE(acct.ok()) << acct.status().message();
  ASSERT_TRUE(acct->has_value());
  EXPECT_EQ((*acct)->runs, 4);
  const json got = json::parse(ReadFile(dir_.File("paused.json")));
  EXPECT_EQ(got["weights_hash"], expected["weights_hash"]);
  EXPECT_EQ(got["final_loss"], expected["final_loss"]);
  EXPECT_EQ(got["test_accuracy"], expected["test_accuracy"]);
}

}  // namespace
}  // namespace sunwind
