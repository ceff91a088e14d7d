// The Slurm executor against a real one-node Slurm 22.05 on localhost, as
// scripts/slurm-up.sh starts it (scripts/test.sh does so before ctest). The
// cluster's config is found through SLURM_CONF, else SUNWIND_SLURM_DIR, else
// /tmp/sunwind-slurm. Tests skip, saying why, only where no Slurm answers.
//
// Jobs are /bin/sh scripts of a few seconds at most; the tests poll rather
// than sleep. The slurmctld-restart test takes an exclusive lock on a file
// that every other test here holds shared, so ctest -j never runs it beside
// one that needs slurmctld.
#include "executors/slurm_executor.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/time.h"
#include "executors/command_runner.h"
#include "tests/support/slurm_cluster.h"
#include "tests/support/temp_dir.h"

namespace sunwind {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(PosixCommandRunnerTest, ReturnsOutputAndExitCode) {
  // Given a command that writes to both streams and exits 3, we should get
  // both texts and the code back.
  PosixCommandRunner runner;
  Result<CommandResult> r =
      runner.Run({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->stdout_text, "out\n");
  EXPECT_EQ(r->stderr_text, "err\n");
}

TEST(PosixCommandRunnerTest, KillsACommandPastItsTimeout) {
  // Given a command that hangs (and a child of it holding the pipe), we
  // should kill it at the timeout and say kUnavailable naming the program.
  PosixCommandRunner runner;
  auto started = std::chrono::steady_clock::now();
  Result<CommandResult> r = runner.Run({"/bin/sh", "-c", "sleep 30 & sleep 30"}, milliseconds(300));
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("/bin/sh did not finish within 300 ms"), std::string::npos)
      << r.status().message();
  EXPECT_LT(took, seconds(3));
}

TEST(PosixCommandRunnerTest, MissingProgramIsNotFound) {
  // Given a program that is not in PATH, we should say kNotFound.
  PosixCommandRunner runner;
  EXPECT_EQ(runner.Run({"sunwind-no-such-tool"}, milliseconds(1000)).status().code(),
            StatusCode::kNotFound);
}

class SlurmExecutorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { skip_reason_ = testing::SlurmSkipReason("east"); }

  void SetUp() override {
    if (!skip_reason_.empty()) {
      GTEST_SKIP() << "no Slurm answers here (" << skip_reason_
                   << "); start one with scripts/slurm-up.sh";
    }
    lock_fd_ = testing::LockSlurmTests(exclusive_);
    ASSERT_GE(lock_fd_, 0);
    std::filesystem::create_directories(dir_.File("work"));
    options_.partition = "east";
    options_.jobs_dir = dir_.File("jobs");
    options_.grace = seconds(10);
    options_.command_timeout = seconds(20);
    options_.poll_interval = milliseconds(100);
  }
  void TearDown() override {
    if (lock_fd_ >= 0) close(lock_fd_);  // releases the lock
  }

  // A unique job id: the test's name and this process, so parallel and
  // earlier runs never adopt each other's jobs.
  std::string JobId() {
    return std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
           std::to_string(getpid());
  }
  SlurmJob ShellJob(const std::string& script) {
    SlurmJob job;
    job.id = JobId();
    job.argv = {"/bin/sh", "-c", script};
    job.working_dir = dir_.File("work");
    return job;
  }
  std::string Work(const std::string& name) { return dir_.File("work/" + name); }

  // Polls until `done` holds for the status or `timeout` passes; the last status.
  template <typename Pred>
  SlurmStatus WaitFor(SlurmExecutor& executor, const SlurmHandle& handle, Pred done,
                      milliseconds timeout = seconds(30)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    SlurmStatus last;
    while (std::chrono::steady_clock::now() < deadline) {
      Result<SlurmStatus> status = executor.Poll(handle);
      if (status.ok()) {
        last = *status;
        if (done(last)) return last;
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
    ADD_FAILURE() << "timed out; last state " << SlurmStateName(last.state) << " ("
                  << last.slurm_state << ", " << last.reason << ")";
    return last;
  }
  SlurmStatus WaitForEnd(SlurmExecutor& executor, const SlurmHandle& handle) {
    return WaitFor(executor, handle, [](const SlurmStatus& s) { return IsTerminal(s.state); });
  }
  // Waits until the file holds at least `lines` lines.
  bool WaitForLines(const std::string& path, size_t lines, milliseconds timeout = seconds(30)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::string text = ReadFile(path);
      if (static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) >= lines) return true;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  }

  static inline std::string skip_reason_;
  bool exclusive_ = false;
  int lock_fd_ = -1;
  testing::TempDir dir_;
  PosixCommandRunner runner_;
  SlurmOptions options_;
};

TEST_F(SlurmExecutorTest, RunsAJobToCompletionWithItsEnvironment) {
  // Given a job that prints an env variable, we should see it run to exit 0
  // with its output in the job's stdout.log, and find it among sunwind's jobs.
  SlurmExecutor executor(runner_, options_);
  SlurmJob job =
      ShellJob("echo \"hello $GREETING from $SUNWIND_JOB_ID resume=${SUNWIND_RESUME:-0}\"");
  job.env = {{"GREETING", "it's me"}};
  Result<SlurmHandle> handle = executor.Start(job);
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  EXPECT_FALSE(handle->slurm_job_id.empty());

  Result<std::vector<FoundSlurmJob>> found = executor.FindJobs(SystemClock().Now() - seconds(3600));
  ASSERT_TRUE(found.ok()) << found.status().message();
  bool listed = false;
  for (const auto& f : *found) {
    if (f.handle.slurm_job_id == handle->slurm_job_id) listed = f.sunwind_id == job.id;
  }
  EXPECT_TRUE(listed) << "FindJobs did not list " << job.id;

  SlurmStatus end = WaitForEnd(executor, *handle);
  EXPECT_EQ(end.state, SlurmState::kCompleted);
  EXPECT_EQ(end.exit_code, 0);
  EXPECT_EQ(ReadFile(handle->stdout_path), "hello it's me from " + job.id + " resume=0\n");
}

TEST_F(SlurmExecutorTest, AJobThatFailsReportsItsExitCode) {
  // Given a job that exits 3, we should report failed with exit code 3.
  SlurmExecutor executor(runner_, options_);
  Result<SlurmHandle> handle = executor.Start(ShellJob("echo oops >&2; exit 3"));
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  SlurmStatus end = WaitForEnd(executor, *handle);
  EXPECT_EQ(end.state, SlurmState::kFailed);
  EXPECT_EQ(end.exit_code, 3);
  EXPECT_EQ(ReadFile(handle->stderr_path), "oops\n");
}

TEST_F(SlurmExecutorTest, SuspendStopsTheJobAndResumeContinuesIt) {
  // Given a job ticking every 0.1 s in stop mode, we should freeze it on a
  // pause (no ticks while suspended) and let it tick on to its end on resume.
  SlurmExecutor executor(runner_, options_);
  SlurmJob job =
      ShellJob("i=0; while [ $i -lt 25 ]; do i=$((i+1)); echo $i >> ticks; sleep 0.1; done");
  job.pause_mode = PauseMode::kStop;
  Result<SlurmHandle> handle = executor.Start(job);
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  ASSERT_TRUE(WaitForLines(Work("ticks"), 3));

  Result<SlurmStatus> paused = executor.Pause(job, *handle);
  ASSERT_TRUE(paused.ok()) << paused.status().message();
  EXPECT_EQ(paused->state, SlurmState::kSuspended);
  std::this_thread::sleep_for(milliseconds(300));  // let a tick in flight land
  std::string frozen = ReadFile(Work("ticks"));
  std::this_thread::sleep_for(milliseconds(700));
  EXPECT_EQ(ReadFile(Work("ticks")), frozen) << "the job ticked while suspended";

  ASSERT_TRUE(executor.Resume(job, *handle).ok());
  SlurmStatus end = WaitForEnd(executor, *handle);
  EXPECT_EQ(end.state, SlurmState::kCompleted);
  std::string ticks = ReadFile(Work("ticks"));
  EXPECT_EQ(std::count(ticks.begin(), ticks.end(), '\n'), 25);
}

TEST_F(SlurmExecutorTest, CheckpointPauseRequeuesHeldAndReleaseResumesFromTheCheckpoint) {
  // Given a job that saves its counter on SIGTERM and continues from it when
  // SUNWIND_RESUME=1, we should end its run with exit 0 on a checkpoint pause
  // and leave it held, and on resume run it again from the checkpoint to the end.
  SlurmExecutor executor(runner_, options_);
  SlurmJob job = ShellJob(
      "n=0; if [ \"$SUNWIND_RESUME\" = 1 ] && [ -f ckpt ]; then n=$(cat ckpt); fi\n"
      "echo \"start n=$n resume=${SUNWIND_RESUME:-0}\" >> progress\n"
      "trap 'echo $n > ckpt; echo \"checkpoint n=$n\" >> progress; exit 0' TERM\n"
      "while [ $n -lt 30 ]; do n=$((n+1)); echo $n > count; sleep 0.1; done\n"
      "echo \"done n=$n\" >> progress\n");
  Result<SlurmHandle> handle = executor.Start(job);
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  ASSERT_TRUE(WaitForLines(Work("progress"), 1));
  std::this_thread::sleep_for(milliseconds(500));

  Result<SlurmStatus> paused = executor.Pause(job, *handle);
  ASSERT_TRUE(paused.ok()) << paused.status().message();
  EXPECT_EQ(paused->state, SlurmState::kCompleted) << paused->slurm_state << " " << paused->reason;
  EXPECT_EQ(paused->exit_code, 0);
  Result<SlurmStatus> held = executor.Poll(*handle);
  ASSERT_TRUE(held.ok()) << held.status().message();
  EXPECT_EQ(held->state, SlurmState::kHeld) << held->slurm_state << " " << held->reason;
  int saved = std::atoi(ReadFile(Work("ckpt")).c_str());
  EXPECT_GT(saved, 0);
  EXPECT_LT(saved, 30);

  Result<SlurmHandle> resumed = executor.Resume(job, *handle);
  ASSERT_TRUE(resumed.ok()) << resumed.status().message();
  EXPECT_EQ(resumed->slurm_job_id, handle->slurm_job_id);
  SlurmStatus end = WaitForEnd(executor, *handle);
  EXPECT_EQ(end.state, SlurmState::kCompleted);
  EXPECT_EQ(ReadFile(Work("progress")),
            "start n=0 resume=0\ncheckpoint n=" + std::to_string(saved) +
                "\nstart n=" + std::to_string(saved) + " resume=1\ndone n=30\n");

  // Both runs are in accounting.
  Result<SlurmAccounting> acct = executor.Accounting(*handle);
  ASSERT_TRUE(acct.ok()) << acct.status().message();
  EXPECT_EQ(acct->runs, 2);
}

TEST_F(SlurmExecutorTest, CancelEndsTheJob) {
  // Given a long job, we should end it as cancelled on cancel, and a pause
  // after that should say it has already ended.
  SlurmExecutor executor(runner_, options_);
  SlurmJob job = ShellJob("echo up > up; sleep 60");
  Result<SlurmHandle> handle = executor.Start(job);
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  ASSERT_TRUE(WaitForLines(Work("up"), 1));
  Result<SlurmStatus> cancelled = executor.Cancel(*handle);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().message();
  EXPECT_EQ(cancelled->state, SlurmState::kCancelled) << cancelled->slurm_state;
  EXPECT_EQ(executor.Pause(job, *handle).status().code(), StatusCode::kNotFound);
}

TEST_F(SlurmExecutorTest, AccountingReadsElapsedAndCpuTimeFromSacct) {
  // Given a job that keeps a CPU busy and then sleeps a second, we should
  // read back from sacct an elapsed time of at least a second, a CPU time
  // well above zero, and its one run's Start and End (local time) within
  // the minute around the test, as long as the elapsed time.
  SlurmExecutor executor(runner_, options_);
  SlurmJob job = ShellJob("i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done; sleep 1");
  const auto submitted = std::chrono::floor<seconds>(std::chrono::system_clock::now());
  Result<SlurmHandle> handle = executor.Start(job);
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  SlurmStatus end = WaitForEnd(executor, *handle);
  ASSERT_EQ(end.state, SlurmState::kCompleted);
  // The batch step's record (with the CPU time) lands a moment after the end.
  Result<SlurmAccounting> acct = executor.Accounting(*handle);
  for (int i = 0; i < 100 && acct.ok() && !acct->cpu_time_s.has_value(); ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    acct = executor.Accounting(*handle);
  }
  ASSERT_TRUE(acct.ok()) << acct.status().message();
  EXPECT_EQ(acct->source, "sacct");
  EXPECT_EQ(acct->runs, 1);
  EXPECT_GE(acct->elapsed_s, 1);
  ASSERT_TRUE(acct->cpu_time_s.has_value());
  EXPECT_GT(*acct->cpu_time_s, 0.3);
  EXPECT_NE(acct->alloc_tres.find("cpu=1"), std::string::npos) << acct->alloc_tres;
  EXPECT_FALSE(acct->consumed_energy_j.has_value()) << "this test cluster measures no energy";
  ASSERT_EQ(acct->run_spans.size(), 1u);
  const SlurmRunSpan& span = acct->run_spans[0];
  ASSERT_TRUE(span.end.has_value());
  EXPECT_GE(span.start, submitted - seconds(1));
  EXPECT_LE(*span.end, std::chrono::floor<seconds>(std::chrono::system_clock::now()));
  EXPECT_NEAR(static_cast<double>((*span.end - span.start).count()), acct->elapsed_s, 1);
}

TEST_F(SlurmExecutorTest, AJobSubmittedAheadWaitsForItsBeginAndCanBeHeldAndStartedNow) {
  // Given a job submitted with a begin time an hour ahead in the other
  // partition (the other region), we should see it wait for its begin, only
  // hold it on a pause, and start it right away on resume.
  options_.partition = "west";
  SlurmExecutor executor(runner_, options_);
  SlurmJob job = ShellJob("echo ran > ran");
  job.begin = SystemClock().Now() + seconds(3600);
  Result<SlurmHandle> handle = executor.Start(job);
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  EXPECT_EQ(handle->partition, "west");
  Result<SlurmStatus> waiting = executor.Poll(*handle);
  ASSERT_TRUE(waiting.ok()) << waiting.status().message();
  EXPECT_EQ(waiting->state, SlurmState::kPending);
  EXPECT_EQ(waiting->reason, "BeginTime");

  Result<SlurmStatus> held = executor.Pause(job, *handle);
  ASSERT_TRUE(held.ok()) << held.status().message();
  EXPECT_EQ(held->state, SlurmState::kHeld) << held->reason;
  ASSERT_TRUE(executor.Resume(job, *handle).ok());
  SlurmStatus end = WaitForEnd(executor, *handle);
  EXPECT_EQ(end.state, SlurmState::kCompleted);
  EXPECT_EQ(ReadFile(Work("ran")), "ran\n");
}

class SlurmRestartTest : public SlurmExecutorTest {
 protected:
  SlurmRestartTest() { exclusive_ = true; }
};

TEST_F(SlurmRestartTest, AJobSurvivesSlurmctldStoppedAndRestarted) {
  // Given a running job (15 s: still running when slurmctld is back, so its
  // end does not wait on slurmd's retries), we should answer kUnavailable
  // while slurmctld is stopped (nothing lost), and once it is back find the
  // job again and see it run to its end.
  const std::string pid_file = testing::SlurmStateDir() + "/run/slurmctld.pid";
  if (!std::filesystem::exists(pid_file)) {
    GTEST_SKIP() << "slurmctld was not started by scripts/slurm-up.sh (" << pid_file << ")";
  }
  options_.command_timeout = seconds(3);
  SlurmExecutor executor(runner_, options_);
  SlurmJob job =
      ShellJob("i=0; while [ $i -lt 150 ]; do i=$((i+1)); echo $i >> ticks; sleep 0.1; done");
  Result<SlurmHandle> handle = executor.Start(job);
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  ASSERT_TRUE(WaitForLines(Work("ticks"), 2));

  pid_t pid = std::atoi(ReadFile(pid_file).c_str());
  ASSERT_GT(pid, 0);
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  for (int i = 0; i < 100 && kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(milliseconds(100));
  ASSERT_NE(kill(pid, 0), 0) << "slurmctld did not stop";

  Result<SlurmStatus> down = executor.Poll(*handle);
  EXPECT_EQ(down.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(down.status().message().find("slurmctld is not answering"), std::string::npos)
      << down.status().message();

  const std::string up = std::string(SUNWIND_SOURCE_DIR) + "/scripts/slurm-up.sh >/dev/null";
  ASSERT_EQ(system(up.c_str()), 0) << "scripts/slurm-up.sh could not restart slurmctld";
  SlurmStatus end = WaitForEnd(executor, *handle);
  EXPECT_EQ(end.state, SlurmState::kCompleted);
  std::string ticks = ReadFile(Work("ticks"));
  EXPECT_EQ(std::count(ticks.begin(), ticks.end(), '\n'), 150) << "the job did not run to its end";
}

}  // namespace
}  // namespace sunwind
