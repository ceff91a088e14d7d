// The one executor interface the daemon drives: how Slurm's states read as
// process statuses, how a region's executor block is checked, and how a
// Slurm job is named and found again (on the scripted command runner; the
// real cluster is in tests/service/service_slurm_test.cc).
#include "executors/job_executor.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "executors/recording_process_runner.h"
#include "tests/support/temp_dir.h"

namespace sunwind {
namespace {

SlurmStatus Slurm(SlurmState state, int exit_code = 0, int signal = 0) {
  SlurmStatus s;
  s.state = state;
  s.exit_code = exit_code;
  s.signal = signal;
  return s;
}

TEST(SlurmJobExecutorTest, SlurmStatesReadAsProcessStatuses) {
  // Given each Slurm state, we should read pending and running as running,
  // suspended and held as stopped, and ends with Slurm's code or signal.
  EXPECT_EQ(SlurmJobExecutor::StatusOf(Slurm(SlurmState::kPending)).state, ProcessState::kRunning);
  EXPECT_FALSE(SlurmJobExecutor::StatusOf(Slurm(SlurmState::kRunning)).stopped);
  EXPECT_TRUE(SlurmJobExecutor::StatusOf(Slurm(SlurmState::kSuspended)).stopped);
  EXPECT_TRUE(SlurmJobExecutor::StatusOf(Slurm(SlurmState::kHeld)).stopped);
  ProcessStatus done = SlurmJobExecutor::StatusOf(Slurm(SlurmState::kCompleted, 0));
  EXPECT_EQ(done.state, ProcessState::kExited);
  EXPECT_EQ(done.exit_code, 0);
  ProcessStatus failed = SlurmJobExecutor::StatusOf(Slurm(SlurmState::kFailed, 3));
  EXPECT_EQ(failed.state, ProcessState::kExited);
  EXPECT_EQ(failed.exit_code, 3);
  // A failure Slurm gives exit code 0 (a node failure, a timeout) must not read as success.
  EXPECT_NE(SlurmJobExecutor::StatusOf(Slurm(SlurmState::kFailed, 0)).exit_code, 0);
  ProcessStatus killed = SlurmJobExecutor::StatusOf(Slurm(SlurmState::kFailed, 0, 9));
  EXPECT_EQ(killed.state, ProcessState::kKilled);
  EXPECT_EQ(killed.signal, 9);
  EXPECT_EQ(SlurmJobExecutor::StatusOf(Slurm(SlurmState::kCancelled)).state, ProcessState::kKilled);
  EXPECT_EQ(SlurmJobExecutor::StatusOf(Slurm(SlurmState::kLost)).state, ProcessState::kLost);
}

TEST(SlurmJobExecutorTest, HandlesRoundTripThroughTheirJson) {
  // Given a Slurm handle, we should read back every field from its JSON and
  // refuse a local handle's JSON.
  SlurmHandle h{"4711", "c1", "east", "sunwind-j-1", "/jobs/j-1", "/jobs/j-1/job.sh", "/jobs/j-1/out", "/jobs/j-1/err"};
  auto back = SlurmJobExecutor::ParseHandleJson(SlurmJobExecutor::HandleJson(h));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->slurm_job_id, "4711");
  EXPECT_EQ(back->cluster, "c1");
  EXPECT_EQ(back->partition, "east");
  EXPECT_EQ(back->stderr_path, "/jobs/j-1/err");
  EXPECT_FALSE(SlurmJobExecutor::ParseHandleJson(R"({"pid": 12, "text": "x"})").ok());
  EXPECT_FALSE(LocalJobExecutor::ParseHandleJson(SlurmJobExecutor::HandleJson(h)).ok());
}

class MakeJobExecutorTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<JobExecutor>> Make(const std::string& kind, std::map<std::string, std::string> options) {
    return MakeJobExecutor(kind, options, processes_, commands_, dir_.File("jobs"), std::chrono::milliseconds(1000),
                           "");
  }
  testing::TempDir dir_;
  RecordingProcessRunner processes_;
  ScriptedCommandRunner commands_;
};

TEST_F(MakeJobExecutorTest, BuildsEachKindAndRefusesBadOptionsByName) {
  // Given executor blocks as a config writes them, we should build local and
  // Slurm executors and refuse each mistake naming the option.
  auto local = Make("local", {{"max_jobs", "2"}});
  ASSERT_TRUE(local.ok()) << local.status().message();
  EXPECT_STREQ((*local)->kind(), "local");
  auto slurm = Make("slurm", {{"partition", "gpu"}, {"account", "lab"}, {"max_jobs", "8"}, {"grace", "30"}});
  ASSERT_TRUE(slurm.ok()) << slurm.status().message();
  EXPECT_STREQ((*slurm)->kind(), "slurm");

  auto message = [&](const std::string& kind, std::map<std::string, std::string> o) {
    auto r = Make(kind, std::move(o));
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return r.status().message();
  };
  EXPECT_NE(message("slurm", {{"account", "lab"}}).find("executor.partition: missing"), std::string::npos);
  EXPECT_NE(message("slurm", {{"partition", "gpu"}, {"partiton", "x"}}).find("executor.partiton: not an option"),
            std::string::npos);
  EXPECT_NE(message("slurm", {{"partition", "gpu"}, {"grace", "soon"}}).find("executor.grace"), std::string::npos);
  EXPECT_NE(message("local", {{"partition", "gpu"}}).find("executor.partition"), std::string::npos);
  EXPECT_NE(message("kubernetes", {}).find("executor.kind: 'kubernetes'"), std::string::npos);
}

TEST(SlurmJobExecutorTest, NamesJobsWithTheDaemonsPrefixAndFindsOnlyItsOwn) {
  // Given two daemons' jobs with the same sunwind id on one cluster, we
  // should submit ours as sunwind-<prefix><id> and, finding it again, take
  // the newest of ours, never the other daemon's.
  testing::TempDir dir;
  ScriptedCommandRunner commands;
  SlurmOptions o;
  o.partition = "east";
  o.jobs_dir = dir.File("jobs");
  SlurmJobExecutor executor(commands, o, "d1-");
  commands.ExpectOutput("");       // squeue: not submitted before
  commands.ExpectOutput("101\n");  // sbatch --parsable
  ExecutorJob job;
  job.id = "j-000001";
  job.argv = {"/bin/true"};
  auto launch = executor.Start(job);
  ASSERT_TRUE(launch.ok()) << launch.status().message();
  EXPECT_EQ(launch->external_id, "slurm job 101");
  ASSERT_EQ(commands.commands.size(), 2u);
  const auto& sbatch = commands.commands[1];
  EXPECT_NE(std::find(sbatch.begin(), sbatch.end(), "--job-name=sunwind-d1-j-000001"), sbatch.end());

  commands.ExpectOutput(
      "101|sunwind-d1-j-000001|COMPLETED|None\n"
      "105|sunwind-d2-j-000001|RUNNING|None\n"
      "103|sunwind-d1-j-000001|RUNNING|None\n");
  commands.ExpectOutput("");  // sacct: nothing older
  const size_t asked_before = commands.commands.size();
  auto found = executor.FindLatest({"j-000001", "j-000002"}, TimePoint{});
  ASSERT_TRUE(found.ok()) << found.status().message();
  EXPECT_EQ(commands.commands.size(), asked_before + 2);  // one squeue and one sacct for both jobs
  ASSERT_EQ(found->count("j-000001"), 1u);
  EXPECT_EQ(found->at("j-000001").external_id, "slurm job 103");
  EXPECT_EQ(found->count("j-000002"), 0u);  // never launched
}

}  // namespace
}  // namespace sunwind
