// The Slurm executor on the ScriptedCommandRunner: the commands it builds,
// how it reads Slurm 22.05's real output formats (copied from a live
// cluster), and what it does when slurmctld does not answer. No Slurm needed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "executors/command_runner.h"
#include "executors/slurm_executor.h"

namespace sunwind {
namespace {

using std::chrono::milliseconds;
using Argv = std::vector<std::string>;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

const char* const kDown =
    "slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n";

class SlurmExecutorFakeTest : public ::testing::Test {
 protected:
  SlurmExecutorFakeTest() {
    char pattern[] = "/tmp/sunwind-slurm-fake-XXXXXX";
    if (mkdtemp(pattern) == nullptr) std::abort();
    dir_ = pattern;
  }
  ~SlurmExecutorFakeTest() override { std::filesystem::remove_all(dir_); }

  SlurmOptions Options() {
    SlurmOptions options;
    options.partition = "gpu";
    options.account = "lab";
    options.jobs_dir = dir_;
    options.grace = milliseconds(50);
    options.poll_interval = milliseconds(1);
    return options;
  }
  SlurmJob Job() {
    SlurmJob job;
    job.id = "train-1";
    job.argv = {"python3", "train.py", "--name", "it's \"mine\" $HOME"};
    job.working_dir = "/data/work";
    job.env = {{"EPOCHS", "3"}};
    return job;
  }
  SlurmHandle Handle() {
    SlurmHandle handle;
    handle.slurm_job_id = "4711";
    handle.partition = "gpu";
    handle.job_name = "sunwind-train-1";
    return handle;
  }

  std::string dir_;
  ScriptedCommandRunner runner_;
};

TEST_F(SlurmExecutorFakeTest, StartSubmitsTheBatchScriptWithSbatchParsable) {
  // Given no job of that name in the queue, we should write a batch script
  // that execs the argv quoted for sh, submit it with sbatch --parsable
  // --requeue under the name sunwind-<id>, and keep Slurm's job id.
  SlurmExecutor executor(runner_, Options());
  runner_.ExpectOutput("");        // squeue --name: nothing queued
  runner_.ExpectOutput("4711\n");  // sbatch --parsable
  Result<SlurmHandle> handle = executor.Start(Job());
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  EXPECT_EQ(handle->slurm_job_id, "4711");
  EXPECT_EQ(handle->job_name, "sunwind-train-1");
  EXPECT_EQ(handle->partition, "gpu");
  ASSERT_EQ(runner_.commands.size(), 2u);
  EXPECT_EQ(runner_.commands[0], (Argv{"squeue", "-h", "-t", "all", "--name=sunwind-train-1", "-p",
                                       "gpu", "-o", "%i|%T|%r"}));
  const std::string job_dir = dir_ + "/train-1";
  EXPECT_EQ(runner_.commands[1],
            (Argv{"sbatch", "--parsable", "--requeue", "--job-name=sunwind-train-1",
                  "--partition=gpu", "--output=" + job_dir + "/stdout.log",
                  "--error=" + job_dir + "/stderr.log", "--open-mode=append", "--chdir=/data/work",
                  "--export=ALL", "--account=lab", job_dir + "/job.sh"}));
  std::string script = ReadFile(job_dir + "/job.sh");
  EXPECT_NE(script.find("exec 'python3' 'train.py' '--name' 'it'\\''s \"mine\" $HOME'\n"),
            std::string::npos)
      << script;
  EXPECT_NE(script.find("EPOCHS='3'\nexport EPOCHS\n"), std::string::npos) << script;
  EXPECT_NE(script.find("if [ \"${SLURM_RESTART_COUNT:-0}\" -gt 0 ]; then\n  SUNWIND_RESUME=1\n"),
            std::string::npos)
      << script;
}

TEST_F(SlurmExecutorFakeTest, StartNamesTheClusterAndBeginTime) {
  // Given a cluster and a begin time, we should pass -M to every tool and
  // --begin, and read "<id>;<cluster>" from sbatch.
  SlurmOptions options = Options();
  options.cluster = "mila";
  options.account = "";
  SlurmExecutor executor(runner_, options);
  SlurmJob job = Job();
  job.begin = TimePoint(std::chrono::seconds(1790000000));
  job.cpus_per_task = 4;
  runner_.ExpectOutput("");
  runner_.ExpectOutput("815;mila\n");
  Result<SlurmHandle> handle = executor.Start(job);
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  EXPECT_EQ(handle->slurm_job_id, "815");
  EXPECT_EQ(handle->cluster, "mila");
  ASSERT_EQ(runner_.commands.size(), 2u);
  const Argv& sbatch = runner_.commands[1];
  EXPECT_EQ((Argv{sbatch[0], sbatch[1], sbatch[2]}), (Argv{"sbatch", "-M", "mila"}));
  EXPECT_EQ(std::count_if(sbatch.begin(), sbatch.end(),
                          [](const std::string& a) { return a.rfind("--begin=20", 0) == 0; }),
            1);
  EXPECT_NE(std::find(sbatch.begin(), sbatch.end(), "--cpus-per-task=4"), sbatch.end());
  EXPECT_EQ(std::find(sbatch.begin(), sbatch.end(), "--account="), sbatch.end());
  EXPECT_EQ((Argv{runner_.commands[0][0], runner_.commands[0][1]}), (Argv{"squeue", "-M"}));
}

TEST_F(SlurmExecutorFakeTest, StartAdoptsAJobAlreadyQueuedUnderItsName) {
  // Given an earlier submission of the same job still running (its answer
  // was lost), we should return its handle and not submit a second copy.
  SlurmExecutor executor(runner_, Options());
  runner_.ExpectOutput("4700|COMPLETED|None\n4711|RUNNING|None\n");
  Result<SlurmHandle> handle = executor.Start(Job());
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  EXPECT_EQ(handle->slurm_job_id, "4711");
  EXPECT_EQ(runner_.commands.size(), 1u);
}

TEST_F(SlurmExecutorFakeTest, StartRefusesUnsafeIdsAndEnvNames) {
  // Given an id with a slash or an env name that is not a shell identifier,
  // we should refuse before running anything.
  SlurmExecutor executor(runner_, Options());
  SlurmJob job = Job();
  job.id = "../etc";
  EXPECT_EQ(executor.Start(job).status().code(), StatusCode::kInvalidArgument);
  job = Job();
  job.env = {{"A;rm -rf /", "x"}};
  EXPECT_EQ(executor.Start(job).status().code(), StatusCode::kInvalidArgument);
  job = Job();
  job.argv.clear();
  EXPECT_EQ(executor.Start(job).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(runner_.commands.empty());
}

TEST_F(SlurmExecutorFakeTest, StartWhileSlurmctldIsDownIsUnavailable) {
  // Given slurmctld down, we should fail with kUnavailable saying so, and
  // not call sbatch.
  SlurmExecutor executor(runner_, Options());
  runner_.ExpectFailure(1, kDown);
  Result<SlurmHandle> handle = executor.Start(Job());
  EXPECT_EQ(handle.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(handle.status().message().find("slurmctld is not answering"), std::string::npos)
      << handle.status().message();
  EXPECT_EQ(runner_.commands.size(), 1u);
}

TEST_F(SlurmExecutorFakeTest, SbatchRefusalIsAFailedPreconditionWithSlurmsWords) {
  // Given sbatch refusing an unknown partition, we should pass Slurm's
  // message on as kFailedPrecondition (retrying will not help).
  SlurmExecutor executor(runner_, Options());
  runner_.ExpectOutput("");
  runner_.ExpectFailure(
      1,
      "sbatch: error: invalid partition specified: gpu\n"
      "sbatch: error: Batch job submission failed: Invalid partition name specified\n");
  Result<SlurmHandle> handle = executor.Start(Job());
  EXPECT_EQ(handle.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(handle.status().message().find("invalid partition specified: gpu"), std::string::npos)
      << handle.status().message();
}

TEST_F(SlurmExecutorFakeTest, PollReadsSqueueWhileTheJobIsQueued) {
  // Given squeue showing the job held after a requeuehold, we should say held.
  SlurmExecutor executor(runner_, Options());
  runner_.ExpectOutput("4711|PENDING|job requeued in held state\n");
  Result<SlurmStatus> status = executor.Poll(Handle());
  ASSERT_TRUE(status.ok()) << status.status().message();
  EXPECT_EQ(status->state, SlurmState::kHeld);
  EXPECT_EQ(status->source, "squeue");
  EXPECT_EQ(runner_.commands[0],
            (Argv{"squeue", "-h", "-t", "all", "-j", "4711", "-o", "%i|%T|%r"}));
}

TEST_F(SlurmExecutorFakeTest, PollReadsTheExitCodeFromSacctOnceTheJobLeftSqueue) {
  // Given a job slurmctld has forgotten and accounting recording FAILED 3:0,
  // we should report failed with exit code 3 from sacct.
  SlurmExecutor executor(runner_, Options());
  runner_.ExpectFailure(1, "slurm_load_jobs error: Invalid job id specified\n");
  runner_.ExpectOutput("4711|FAILED|3:0\n");
  Result<SlurmStatus> status = executor.Poll(Handle());
  ASSERT_TRUE(status.ok()) << status.status().message();
  EXPECT_EQ(status->state, SlurmState::kFailed);
  EXPECT_EQ(status->exit_code, 3);
  EXPECT_EQ(status->source, "sacct");
  EXPECT_EQ(runner_.commands[1],
            (Argv{"sacct", "-n", "-P", "-X", "-j", "4711", "-o", "JobID,State,ExitCode"}));
}

TEST_F(SlurmExecutorFakeTest, PollFallsBackToScontrolWithoutAccounting) {
  // Given a cluster without accounting (sacct refuses), we should read how
  // the job ended from `scontrol show job` while slurmctld remembers it.
  SlurmExecutor executor(runner_, Options());
  runner_.ExpectOutput("4711|FAILED|NonZeroExitCode\n");
  runner_.ExpectFailure(1, "sacct: error: Slurm accounting storage is disabled\n");
  runner_.ExpectOutput(
      "JobId=4711 JobName=sunwind-train-1 UserId=root(0) GroupId=root(0) MCS_label=N/A "
      "Priority=4294901757 Nice=0 Account=root QOS=normal JobState=FAILED "
      "Reason=NonZeroExitCode Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 "
      "ExitCode=7:0 RunTime=00:00:01 TimeLimit=UNLIMITED TimeMin=N/A Partition=gpu "
      "TRES=cpu=1,node=1,billing=1\n");
  Result<SlurmStatus> status = executor.Poll(Handle());
  ASSERT_TRUE(status.ok()) << status.status().message();
  EXPECT_EQ(status->state, SlurmState::kFailed);
  EXPECT_EQ(status->exit_code, 7);
  EXPECT_EQ(status->source, "scontrol");
}

TEST_F(SlurmExecutorFakeTest, PollOfAJobNobodyKnowsIsLost) {
  // Given squeue, sacct and scontrol all not knowing the job, we should say
  // lost rather than guess.
  SlurmExecutor executor(runner_, Options());
  runner_.ExpectFailure(1, "slurm_load_jobs error: Invalid job id specified\n");
  runner_.ExpectOutput("");
  runner_.ExpectFailure(1, "slurm_load_jobs error: Invalid job id specified\n");
  Result<SlurmStatus> status = executor.Poll(Handle());
  ASSERT_TRUE(status.ok()) << status.status().message();
  EXPECT_EQ(status->state, SlurmState::kLost);
}

TEST_F(SlurmExecutorFakeTest, PollWhileSlurmctldIsDownOrHungIsUnavailable) {
  // Given slurmctld refusing connections, then a squeue that times out, we
  // should return kUnavailable both times, naming the cause.
  SlurmExecutor executor(runner_, Options());
  runner_.ExpectFailure(1, kDown);
  Result<SlurmStatus> down = executor.Poll(Handle());
  EXPECT_EQ(down.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(down.status().message().find("Unable to contact slurm controller"), std::string::npos);
  runner_.ExpectError(Status::Unavailable("squeue did not finish within 20000 ms (killed)"));
  Result<SlurmStatus> hung = executor.Poll(Handle());
  EXPECT_EQ(hung.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(hung.status().message().find("squeue did not finish"), std::string::npos);
}

TEST_F(SlurmExecutorFakeTest, MissingSlurmToolsAreAFailedPrecondition) {
  // Given no squeue in PATH, we should say the Slurm client is missing.
  SlurmExecutor executor(runner_, Options());
  runner_.ExpectError(Status::NotFound("command: squeue not found"));
  Result<SlurmStatus> status = executor.Poll(Handle());
  EXPECT_EQ(status.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(status.status().message().find("Slurm client"), std::string::npos);
}

TEST_F(SlurmExecutorFakeTest, CheckpointPauseSignalsWaitsAndRequeuesHeld) {
  // Given a running job in checkpoint mode, we should send its checkpoint
  // signal to the whole job, wait for it to end, requeue it held, and report
  // the run's end (exit 0: checkpointed).
  SlurmExecutor executor(runner_, Options());
  SlurmJob job = Job();
  job.checkpoint_signal = SIGUSR1;
  runner_.ExpectOutput("4711|RUNNING|None\n");    // Poll
  runner_.ExpectOutput("");                       // scancel --signal
  runner_.ExpectOutput("4711|COMPLETED|None\n");  // Poll while waiting
  runner_.ExpectOutput("4711|COMPLETED|0:0\n");   // sacct
  runner_.ExpectOutput("");                       // requeuehold
  Result<SlurmStatus> paused = executor.Pause(job, Handle());
  ASSERT_TRUE(paused.ok()) << paused.status().message();
  EXPECT_EQ(paused->state, SlurmState::kCompleted);
  EXPECT_EQ(paused->exit_code, 0);
  ASSERT_EQ(runner_.commands.size(), 5u);
  EXPECT_EQ(runner_.commands[1], (Argv{"scancel", "--signal=USR1", "--full", "4711"}));
  EXPECT_EQ(runner_.commands[4], (Argv{"scontrol", "requeuehold", "4711"}));
}

TEST_F(SlurmExecutorFakeTest, AResumeRightAfterARequeueWaitsOutTheSettleTime) {
  // Given a job requeued held by a checkpoint pause and resumed at once,
  // we should release it no sooner than requeue_settle after the requeue
  // (Slurm revokes the killed run's credential by the second), and a second
  // resume of the same job, with no requeue since, should not wait.
  SlurmOptions options = Options();
  options.requeue_settle = milliseconds(400);
  SlurmExecutor executor(runner_, options);
  runner_.ExpectOutput("4711|RUNNING|None\n");
  runner_.ExpectOutput("");
  runner_.ExpectOutput("4711|COMPLETED|None\n");
  runner_.ExpectOutput("4711|COMPLETED|0:0\n");
  runner_.ExpectOutput("");  // requeuehold
  ASSERT_TRUE(executor.Pause(Job(), Handle()).ok());
  const auto requeued = std::chrono::steady_clock::now();
  runner_.ExpectOutput("");
  runner_.ExpectOutput("");
  ASSERT_TRUE(executor.Resume(Job(), Handle()).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - requeued, milliseconds(380));
  EXPECT_EQ(runner_.commands[5], (Argv{"scontrol", "release", "4711"}));
  runner_.ExpectOutput("");
  runner_.ExpectOutput("");
  const auto again = std::chrono::steady_clock::now();
  ASSERT_TRUE(executor.Resume(Job(), Handle()).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - again, milliseconds(300));
}

TEST_F(SlurmExecutorFakeTest, CheckpointPauseOfAJobThatIgnoresTheSignalReportsItKilled) {
  // Given a job still running when the grace period ends, we should requeue
  // it held anyway (Slurm kills it) and report that it was killed.
  SlurmExecutor executor(runner_, Options());
  runner_.ExpectOutput("4711|RUNNING|None\n");
  runner_.ExpectOutput("");
  runner_.fallback = CommandResult{0, "4711|RUNNING|None\n", ""};  // every later poll
  Result<SlurmStatus> paused = executor.Pause(Job(), Handle());
  ASSERT_TRUE(paused.ok()) << paused.status().message();
  EXPECT_EQ(paused->state, SlurmState::kFailed);
  EXPECT_EQ(paused->signal, SIGKILL);
  EXPECT_EQ(runner_.commands.back(), (Argv{"scontrol", "requeuehold", "4711"}));
}

TEST_F(SlurmExecutorFakeTest, CheckpointPauseOfAPendingJobOnlyHoldsIt) {
  // Given a job still waiting for its --begin, we should hold it, not signal.
  SlurmExecutor executor(runner_, Options());
  runner_.ExpectOutput("4711|PENDING|BeginTime\n");
  runner_.ExpectOutput("");
  runner_.ExpectOutput("4711|PENDING|JobHeldUser\n");
  Result<SlurmStatus> paused = executor.Pause(Job(), Handle());
  ASSERT_TRUE(paused.ok()) << paused.status().message();
  EXPECT_EQ(paused->state, SlurmState::kHeld);
  EXPECT_EQ(runner_.commands[1], (Argv{"scontrol", "hold", "4711"}));
}

TEST_F(SlurmExecutorFakeTest, StopPauseSuspendsAndExplainsTheRightsItNeeds) {
  // Given stop mode, we should scontrol suspend; when Slurm refuses for want
  // of operator rights, the error should say so and point to checkpoint mode.
  SlurmExecutor executor(runner_, Options());
  SlurmJob job = Job();
  job.pause_mode = PauseMode::kStop;
  runner_.ExpectOutput("4711|RUNNING|None\n");
  runner_.ExpectOutput("");
  runner_.ExpectOutput("4711|SUSPENDED|None\n");
  Result<SlurmStatus> paused = executor.Pause(job, Handle());
  ASSERT_TRUE(paused.ok()) << paused.status().message();
  EXPECT_EQ(paused->state, SlurmState::kSuspended);
  EXPECT_EQ(runner_.commands[1], (Argv{"scontrol", "suspend", "4711"}));

  runner_.ExpectOutput("4711|RUNNING|None\n");
  runner_.ExpectFailure(1,
                        "Access/permission denied for job 4711\n"
                        "slurm_suspend error: Access/permission denied\n");
  Result<SlurmStatus> refused = executor.Pause(job, Handle());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("operator or administrator"), std::string::npos)
      << refused.status().message();
}

TEST_F(SlurmExecutorFakeTest, PauseOfAnEndedJobIsNotFound) {
  // Given a job that already completed, we should return kNotFound and
  // leave it alone (no requeue that would run it again).
  SlurmExecutor executor(runner_, Options());
  runner_.ExpectOutput("4711|COMPLETED|None\n");
  runner_.ExpectOutput("4711|COMPLETED|0:0\n");
  EXPECT_EQ(executor.Pause(Job(), Handle()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(runner_.commands.size(), 2u);
}

TEST_F(SlurmExecutorFakeTest, ResumeReleasesAndLiftsTheRequeueDelay) {
  // Given a held job (checkpoint mode), we should release it and set its
  // start time to now; in stop mode, scontrol resume.
  SlurmExecutor executor(runner_, Options());
  runner_.ExpectOutput("");
  runner_.ExpectOutput("");
  ASSERT_TRUE(executor.Resume(Job(), Handle()).ok());
  EXPECT_EQ(runner_.commands[0], (Argv{"scontrol", "release", "4711"}));
  EXPECT_EQ(runner_.commands[1], (Argv{"scontrol", "update", "JobId=4711", "StartTime=now"}));
  SlurmJob job = Job();
  job.pause_mode = PauseMode::kStop;
  runner_.ExpectOutput("");
  ASSERT_TRUE(executor.Resume(job, Handle()).ok());
  EXPECT_EQ(runner_.commands[2], (Argv{"scontrol", "resume", "4711"}));
}

TEST_F(SlurmExecutorFakeTest, CancelScancelsAndWaitsForTheEnd) {
  // Given a running job, we should scancel it and return the cancelled state.
  SlurmExecutor executor(runner_, Options());
  runner_.ExpectOutput("4711|RUNNING|None\n");
  runner_.ExpectOutput("");
  runner_.ExpectOutput("4711|CANCELLED|None\n");
  runner_.ExpectOutput("4711|CANCELLED by 0|0:15\n");
  Result<SlurmStatus> cancelled = executor.Cancel(Handle());
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().message();
  EXPECT_EQ(cancelled->state, SlurmState::kCancelled);
  EXPECT_EQ(cancelled->slurm_state, "CANCELLED");
  EXPECT_EQ(runner_.commands[1], (Argv{"scancel", "4711"}));
}

// Sets the process's time zone (POSIX TZ rule) for one test, and puts the
// old one back: Slurm's tools print local time.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~ScopedTimeZone() {
    if (old_) {
      setenv("TZ", old_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  std::optional<std::string> old_;
};

TimePoint Unix(int64_t s) { return TimePoint{Duration{s}}; }

TEST(ParseSlurmTimeTest, ReadsSlurmsLocalTimeInThisProcesssZone) {
  // Given sacct's local times in a zone with summer time (CET/CEST), we
  // should read winter and summer times with their own offsets, and no time
  // at all from "Unknown", "None", "" or a date cut short.
  ScopedTimeZone cet("CET-1CEST,M3.5.0,M10.5.0/3");
  EXPECT_EQ(SlurmExecutor::ParseSlurmTime("2026-11-23T01:02:03"), Unix(1795392123));  // 00:02:03Z
  EXPECT_EQ(SlurmExecutor::ParseSlurmTime(" 2026-07-01T12:00:00\n"), Unix(1782900000));  // 10:00:00Z
  EXPECT_EQ(SlurmExecutor::ParseSlurmTime("Unknown"), std::nullopt);
  EXPECT_EQ(SlurmExecutor::ParseSlurmTime("None"), std::nullopt);
  EXPECT_EQ(SlurmExecutor::ParseSlurmTime(""), std::nullopt);
  EXPECT_EQ(SlurmExecutor::ParseSlurmTime("2026-11-23T01:02"), std::nullopt);
  EXPECT_EQ(SlurmExecutor::ParseSlurmTime("2026-11-23T01:02:03Z"), std::nullopt);
  // In UTC the same text is an hour later.
  ScopedTimeZone utc("UTC0");
  EXPECT_EQ(SlurmExecutor::ParseSlurmTime("2026-11-23T01:02:03"), Unix(1795395723));
}

TEST_F(SlurmExecutorFakeTest, AccountingSumsEveryRunOfARequeuedJob) {
  // Given sacct records of a job requeued once (real --parsable2 output),
  // we should sum elapsed and CPU time over both runs, keep the TRES,
  // report energy only where the cluster measured some, and read when each
  // run held its allocation from Start/End (local time, here UTC).
  ScopedTimeZone utc("UTC0");
  SlurmExecutor executor(runner_, Options());
  runner_.ExpectOutput(
      "4711|REQUEUED|2|00:00:00|billing=1,cpu=1,node=1||2026-11-23T08:00:00|2026-11-23T08:00:02\n"
      "4711.batch|COMPLETED|1|00:00.056|cpu=1,mem=0,node=1|0|2026-11-23T08:00:00|2026-11-23T08:00:01\n"
      "4711|COMPLETED|6|00:00:00|billing=1,cpu=1,node=1|1234|2026-11-23T09:30:00|2026-11-23T09:30:06\n"
      "4711.batch|COMPLETED|6|01:02.500|cpu=1,mem=0,node=1|1234|2026-11-23T09:30:00|2026-11-23T09:30:06\n");
  Result<SlurmAccounting> acct = executor.Accounting(Handle());
  ASSERT_TRUE(acct.ok()) << acct.status().message();
  EXPECT_EQ(acct->runs, 2);
  EXPECT_DOUBLE_EQ(acct->elapsed_s, 8);
  ASSERT_TRUE(acct->cpu_time_s.has_value());
  EXPECT_NEAR(*acct->cpu_time_s, 62.556, 1e-9);
  EXPECT_EQ(acct->alloc_tres, "billing=1,cpu=1,node=1");
  ASSERT_TRUE(acct->consumed_energy_j.has_value());
  EXPECT_DOUBLE_EQ(*acct->consumed_energy_j, 1234);
  ASSERT_EQ(acct->run_spans.size(), 2u);
  EXPECT_EQ(acct->run_spans[0].start, Unix(1795420800));
  EXPECT_EQ(acct->run_spans[0].end, Unix(1795420802));
  EXPECT_EQ(acct->run_spans[1].start, Unix(1795426200));
  EXPECT_EQ(acct->run_spans[1].end, Unix(1795426206));
  EXPECT_EQ(runner_.commands[0],
            (Argv{"sacct", "-n", "-P", "-D", "-j", "4711", "-o",
                  "JobID,State,ElapsedRaw,TotalCPU,AllocTRES,ConsumedEnergyRaw,Start,End"}));

  // Given a run whose batch step has not reached accounting yet, we should
  // leave the CPU time unknown rather than report a partial figure.
  runner_.ExpectOutput("4711|COMPLETED|6|00:00:00|cpu=1|0|2026-11-23T09:30:00|2026-11-23T09:30:06\n");
  Result<SlurmAccounting> early = executor.Accounting(Handle());
  ASSERT_TRUE(early.ok());
  EXPECT_FALSE(early->consumed_energy_j.has_value());
  EXPECT_FALSE(early->cpu_time_s.has_value());

  // Given a job requeued and running again after a run, and a record still
  // pending, we should leave the running span open (End "Unknown") and skip
  // the pending one (Start "Unknown").
  runner_.ExpectOutput(
      "4711|REQUEUED|2|00:00:00|cpu=1|0|2026-11-23T08:00:00|2026-11-23T08:00:02\n"
      "4711|RUNNING|5|00:00:00|cpu=1|0|2026-11-23T10:00:00|Unknown\n"
      "4711|PENDING|0|00:00:00|cpu=1|0|Unknown|Unknown\n");
  Result<SlurmAccounting> running = executor.Accounting(Handle());
  ASSERT_TRUE(running.ok()) << running.status().message();
  EXPECT_EQ(running->runs, 2);
  ASSERT_EQ(running->run_spans.size(), 2u);
  EXPECT_EQ(running->run_spans[1].start, Unix(1795428000));
  EXPECT_FALSE(running->run_spans[1].end.has_value());
}

TEST_F(SlurmExecutorFakeTest, AccountingWithoutSacctFallsBackToScontrol) {
  // Given no accounting, we should read elapsed and TRES from scontrol and
  // leave CPU time unknown.
  SlurmExecutor executor(runner_, Options());
  runner_.ExpectFailure(1, "sacct: error: Slurm accounting storage is disabled\n");
  ScopedTimeZone utc("UTC0");
  runner_.ExpectOutput(
      "JobId=4711 JobState=RUNNING RunTime=00:01:05 TRES=cpu=2,node=1 StartTime=2026-11-23T08:00:00 "
      "EndTime=2026-11-24T08:00:00\n");
  Result<SlurmAccounting> acct = executor.Accounting(Handle());
  ASSERT_TRUE(acct.ok()) << acct.status().message();
  EXPECT_EQ(acct->source, "scontrol");
  EXPECT_DOUBLE_EQ(acct->elapsed_s, 65);
  EXPECT_FALSE(acct->cpu_time_s.has_value());
  EXPECT_EQ(acct->alloc_tres, "cpu=2,node=1");
  // Running: the start, and no end (EndTime is when its time limit runs out).
  ASSERT_EQ(acct->run_spans.size(), 1u);
  EXPECT_EQ(acct->run_spans[0].start, Unix(1795420800));
  EXPECT_FALSE(acct->run_spans[0].end.has_value());

  // Given a job that ended, we should take its EndTime; given one pending,
  // no span (its StartTime is Slurm's guess of when it will start).
  runner_.ExpectFailure(1, "sacct: error: Slurm accounting storage is disabled\n");
  runner_.ExpectOutput(
      "JobId=4711 JobState=COMPLETED RunTime=00:00:06 TRES=cpu=2,node=1 StartTime=2026-11-23T09:30:00 "
      "EndTime=2026-11-23T09:30:06\n");
  Result<SlurmAccounting> ended = executor.Accounting(Handle());
  ASSERT_TRUE(ended.ok()) << ended.status().message();
  ASSERT_EQ(ended->run_spans.size(), 1u);
  EXPECT_EQ(ended->run_spans[0].end, Unix(1795426206));
  runner_.ExpectFailure(1, "sacct: error: Slurm accounting storage is disabled\n");
  runner_.ExpectOutput(
      "JobId=4711 JobState=PENDING Reason=Priority RunTime=00:00:00 TRES=cpu=2,node=1 "
      "StartTime=2026-11-23T11:00:00 EndTime=2026-11-24T11:00:00\n");
  Result<SlurmAccounting> pending = executor.Accounting(Handle());
  ASSERT_TRUE(pending.ok()) << pending.status().message();
  EXPECT_TRUE(pending->run_spans.empty());
}

TEST_F(SlurmExecutorFakeTest, FindJobsReadoptsOnlySunwindJobs) {
  // Given squeue and sacct listing sunwind's and other users' jobs, we
  // should return sunwind's, once each, with sacct's exit code for ended ones.
  SlurmExecutor executor(runner_, Options());
  runner_.ExpectOutput(
      "4711|sunwind-train-1|RUNNING|None\n"
      "4712|bash|RUNNING|None\n"
      "4713|sunwind-eval|COMPLETED|None\n");
  runner_.ExpectOutput(
      "4700|sunwind-old|FAILED|2:0\n"
      "4713|sunwind-eval|COMPLETED|0:0\n"
      "4714|interactive|COMPLETED|0:0\n");
  Result<std::vector<FoundSlurmJob>> found = executor.FindJobs(TimePoint(std::chrono::seconds(0)));
  ASSERT_TRUE(found.ok()) << found.status().message();
  ASSERT_EQ(found->size(), 3u);
  EXPECT_EQ((*found)[0].sunwind_id, "train-1");
  EXPECT_EQ((*found)[0].handle.slurm_job_id, "4711");
  EXPECT_EQ((*found)[0].status.state, SlurmState::kRunning);
  EXPECT_EQ((*found)[1].sunwind_id, "eval");
  EXPECT_EQ((*found)[1].status.source, "sacct");
  EXPECT_EQ((*found)[2].sunwind_id, "old");
  EXPECT_EQ((*found)[2].status.exit_code, 2);
}

TEST(SlurmParsingTest, DurationsInSlurmsFormats) {
  // Given the duration formats sacct and scontrol print, we should read
  // seconds, and -1 for anything else.
  EXPECT_DOUBLE_EQ(SlurmExecutor::ParseSlurmDuration("00:00.056"), 0.056);
  EXPECT_DOUBLE_EQ(SlurmExecutor::ParseSlurmDuration("01:02:03"), 3723);
  EXPECT_DOUBLE_EQ(SlurmExecutor::ParseSlurmDuration("2-01:00:00"), 2 * 86400 + 3600);
  EXPECT_DOUBLE_EQ(SlurmExecutor::ParseSlurmDuration("00:00:00"), 0);
  EXPECT_EQ(SlurmExecutor::ParseSlurmDuration(""), -1);
  EXPECT_EQ(SlurmExecutor::ParseSlurmDuration("UNLIMITED"), -1);
  EXPECT_EQ(SlurmExecutor::ParseSlurmDuration("1-02"), -1);
}

TEST(SlurmParsingTest, StatesMapToSunwindsWords) {
  // Given Slurm's state words, reasons and exit codes, we should map them.
  EXPECT_EQ(SlurmExecutor::StatusFrom("PENDING", "JobHeldAdmin", "", "squeue").state,
            SlurmState::kHeld);
  EXPECT_EQ(SlurmExecutor::StatusFrom("PENDING", "Resources", "", "squeue").state,
            SlurmState::kPending);
  EXPECT_EQ(SlurmExecutor::StatusFrom("COMPLETING", "None", "", "squeue").state,
            SlurmState::kRunning);
  SlurmStatus timeout = SlurmExecutor::StatusFrom("TIMEOUT", "", "0:15", "sacct");
  EXPECT_EQ(timeout.state, SlurmState::kFailed);
  EXPECT_EQ(timeout.signal, 15);
  EXPECT_EQ(SlurmExecutor::StatusFrom("CANCELLED by 1000", "", "0:0", "sacct").state,
            SlurmState::kCancelled);
  EXPECT_EQ(SlurmExecutor::StatusFrom("FAILED", "", "", "squeue").exit_code, -1);
  EXPECT_EQ(SlurmExecutor::StatusFrom("COMPLETED", "", "", "squeue").exit_code, 0);
}

TEST(SlurmParsingTest, ShellQuoteSurvivesQuotesAndDollars) {
  // Given text with quotes and $, we should single-quote it so sh reads it back verbatim.
  EXPECT_EQ(SlurmExecutor::ShellQuote("a'b $X"), "'a'\\''b $X'");
  EXPECT_EQ(SlurmExecutor::ShellQuote(""), "''");
}

}  // namespace
}  // namespace sunwind
