// The executor's decisions on the recording fake: which signals, in which
// order, and what a resume launches. Real processes: local_executor_test.cc.
#include <gtest/gtest.h>

#include "executors/local_executor.h"
#include "executors/recording_process_runner.h"

namespace sunwind {
namespace {

class LocalExecutorFakeTest : public ::testing::Test {
 protected:
  LocalJob Job() {
    LocalJob job;
    job.id = "train-1";
    job.argv = {"python3", "train.py"};
    job.working_dir = "/srv/train";
    job.env = {{"EPOCHS", "5"}};
    return job;
  }
  RecordingProcessRunner runner_;
  LocalExecutor executor_{runner_, "/var/lib/sunwind/jobs", std::chrono::milliseconds(50)};
};

TEST_F(LocalExecutorFakeTest, StartsInTheJobsOwnDirectory) {
  // Given a job, we should launch its argv as given, in its directory.
  auto handle = executor_.Start(Job());
  ASSERT_TRUE(handle.ok());
  ASSERT_EQ(runner_.launches.size(), 1u);
  EXPECT_EQ(runner_.launches[0].argv, (std::vector<std::string>{"python3", "train.py"}));
  EXPECT_EQ(runner_.launches[0].job_dir, "/var/lib/sunwind/jobs/train-1");
  EXPECT_EQ(runner_.launches[0].working_dir, "/srv/train");
}

TEST_F(LocalExecutorFakeTest, RefusesAnIdThatIsNotAPlainName) {
  // Given an id that would climb out of the jobs directory, we should refuse.
  LocalJob job = Job();
  job.id = "../etc";
  auto handle = executor_.Start(job);
  ASSERT_FALSE(handle.ok());
  EXPECT_EQ(handle.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(runner_.launches.empty());
}

TEST_F(LocalExecutorFakeTest, CheckpointPauseSignalsThenResumeRelaunchesWithResumeSet) {
  // Given a job that exits on its checkpoint signal, we should pause with
  // that signal alone, then relaunch with SUNWIND_RESUME=1 added.
  runner_.end_on_signal = {SIGTERM};
  auto handle = executor_.Start(Job());
  ASSERT_TRUE(handle.ok());
  auto paused = executor_.Pause(Job(), *handle);
  ASSERT_TRUE(paused.ok()) << paused.status().message();
  EXPECT_EQ(paused->state, ProcessState::kExited);
  ASSERT_EQ(runner_.signals.size(), 1u);
  EXPECT_EQ(runner_.signals[0].signal, SIGTERM);

  auto resumed = executor_.Resume(Job(), *handle);
  ASSERT_TRUE(resumed.ok());
  ASSERT_EQ(runner_.launches.size(), 2u);
  const auto& env = runner_.launches[1].env;
  EXPECT_EQ(env.back(), (std::pair<std::string, std::string>{"SUNWIND_RESUME", "1"}));
  EXPECT_EQ(runner_.launches[1].working_dir, "/srv/train");
  EXPECT_NE(resumed->job_pid, handle->job_pid);
}

TEST_F(LocalExecutorFakeTest, CancelEscalatesToKillAfterGrace) {
  // Given a job that ignores SIGTERM, we should send TERM, CONT, then KILL.
  runner_.end_on_signal = {SIGKILL};
  auto handle = executor_.Start(Job());
  ASSERT_TRUE(handle.ok());
  auto cancelled = executor_.Cancel(*handle);
  ASSERT_TRUE(cancelled.ok());
  std::vector<int> sent;
  for (const auto& s : runner_.signals) sent.push_back(s.signal);
  EXPECT_EQ(sent, (std::vector<int>{SIGTERM, SIGCONT, SIGKILL}));
}

TEST_F(LocalExecutorFakeTest, CancelOfAnEndedJobIsNotFound) {
  runner_.end_on_signal = {SIGTERM};
  auto handle = executor_.Start(Job());
  ASSERT_TRUE(handle.ok());
  ASSERT_TRUE(executor_.Cancel(*handle).ok());
  auto again = executor_.Cancel(*handle);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace sunwind
