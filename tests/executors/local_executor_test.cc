// The local executor on real processes: /bin/sh scripts, sleep, a job that
// saves a checkpoint on SIGTERM. Grace periods are 200 ms so each test takes
// well under a second.
#include "executors/local_executor.h"
#include "tests/support/process_wait.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "executors/handle_file.h"
#include "executors/posix_process_runner.h"
#include "core/proc_stat.h"

namespace sunwind {
namespace {

using std::chrono::milliseconds;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

char ProcState(pid_t pid) {
  ProcStat stat;
  return ReadProcStat("/proc", pid, &stat) ? stat.state : '?';
}

class LocalExecutorTest : public ::testing::Test {
 protected:
  static std::string MakeTempDir() {
    char pattern[] = "/tmp/sunwind-exec-XXXXXX";
    if (mkdtemp(pattern) == nullptr) std::abort();
    std::filesystem::create_directories(std::string(pattern) + "/work");
    return pattern;
  }
  void TearDown() override {
    // Every supervisor this test started has been reaped by Poll: none is
    // left as a zombie of ours.
    int status = 0;
    EXPECT_LE(waitpid(-1, &status, WNOHANG), 0) << "a zombie child was left";
    std::filesystem::remove_all(dir_);
  }

  LocalJob ShellJob(const std::string& id, const std::string& script) {
    LocalJob job;
    job.id = id;
    job.argv = {"/bin/sh", "-c", script};
    job.working_dir = work_dir_;
    return job;
  }

  // Polls until the job has ended (or 5 s pass, a failure).
  ProcessStatus WaitForEnd(const ProcessHandle& handle) {
    return testing::WaitForEnd(executor_, handle, milliseconds(5000));
  }

  // Polls until `done` holds for the job's /proc state (or 2 s pass).
  template <typename Pred>
  bool WaitForState(pid_t pid, Pred done) {
    for (int i = 0; i < 200; ++i) {
      if (done(ProcState(pid))) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return false;
  }

  // Built before the executor below, which keeps its jobs under it.
  std::string dir_ = MakeTempDir();
  std::string work_dir_ = dir_ + "/work";
  SystemClock clock_;
  PosixProcessRunner runner_{clock_};
  LocalExecutor executor_{runner_, dir_ + "/jobs", milliseconds(200)};
};

TEST_F(LocalExecutorTest, RecordsExitCodeAndCapturesLogs) {
  // Given a job that writes to both streams and exits 3, we should find its
  // lines in its logs and "exited 3" in its status file.
  auto handle = executor_.Start(ShellJob("exit3", "echo out; echo err >&2; exit 3"));
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  ProcessStatus end = WaitForEnd(*handle);
  EXPECT_EQ(end.state, ProcessState::kExited);
  EXPECT_EQ(end.exit_code, 3);
  EXPECT_GE(end.ended, handle->started);
  EXPECT_EQ(ReadFile(handle->stdout_path), "out\n");
  EXPECT_EQ(ReadFile(handle->stderr_path), "err\n");
  EXPECT_EQ(ReadFile(handle->status_path).substr(0, 9), "exited 3 ");
  EXPECT_EQ(handle->job_dir, dir_ + "/jobs/exit3");
}

TEST_F(LocalExecutorTest, RecordsTheExitCodeWhenTheDaemonIgnoresSigchld) {
  // Given a daemon that ignores SIGCHLD (children then vanish unreaped), the
  // supervisor should still learn and record the job's exit code.
  struct sigaction ignore {}, previous {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(sigaction(SIGCHLD, &ignore, &previous), 0);
  auto handle = executor_.Start(ShellJob("sigchld", "exit 5"));
  sigaction(SIGCHLD, &previous, nullptr);
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  ProcessStatus end = WaitForEnd(*handle);
  EXPECT_EQ(end.state, ProcessState::kExited);
  EXPECT_EQ(end.exit_code, 5);
}

TEST_F(LocalExecutorTest, RecordsTheSignalThatEndedTheJob) {
  // Given a job that kills itself with SIGUSR1, we should record the signal.
  auto handle = executor_.Start(ShellJob("usr1", "kill -USR1 $$; sleep 5"));
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  ProcessStatus end = WaitForEnd(*handle);
  EXPECT_EQ(end.state, ProcessState::kKilled);
  EXPECT_EQ(end.signal, SIGUSR1);
}

TEST_F(LocalExecutorTest, RunsInItsWorkingDirectoryWithItsEnvironmentInItsOwnGroup) {
  // Given a working directory and an extra variable, the job should see both
  // and lead a process group of its own.
  LocalJob job = ShellJob("env", "pwd; echo \"$GREETING\"; ps -o pgid= -p $$ | tr -d ' '");
  job.env = {{"GREETING", "hello world"}};
  auto handle = executor_.Start(job);
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  EXPECT_EQ(WaitForEnd(*handle).exit_code, 0);
  EXPECT_EQ(ReadFile(handle->stdout_path),
            work_dir_ + "\nhello world\n" + std::to_string(handle->job_pid) + "\n");
}

TEST_F(LocalExecutorTest, NeitherJobNorSupervisorHoldsTheDaemonsDescriptors) {
  // Given a descriptor the daemon left inheritable (a listening socket, say),
  // neither the supervisor nor the job should hold it: a supervisor that
  // outlives the daemon must not keep its port or database open.
  int leaked = open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 0);
  ASSERT_EQ(dup2(leaked, 57), 57);
  close(leaked);
  auto handle = executor_.Start(ShellJob("fds", "ls /proc/$$/fd; sleep 0.2"));
  close(57);
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  std::string supervisor_fds;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(handle->supervisor_pid) + "/fd")) {
    supervisor_fds += entry.path().filename().string() + " ";
  }
  EXPECT_EQ(supervisor_fds.find("57"), std::string::npos) << supervisor_fds;
  EXPECT_EQ(WaitForEnd(*handle).exit_code, 0);
  EXPECT_EQ(ReadFile(handle->stdout_path), "0\n1\n2\n");
}

TEST_F(LocalExecutorTest, RefusesAMissingProgramOrWorkingDirectory) {
  // Given a program or a directory that does not exist, Start should fail
  // with kNotFound naming it, and leave no process behind.
  LocalJob job = ShellJob("missing", "true");
  job.argv = {"/nonexistent/program"};
  auto no_program = executor_.Start(job);
  ASSERT_FALSE(no_program.ok());
  EXPECT_EQ(no_program.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(no_program.status().message(),
            "argv: cannot run /nonexistent/program: No such file or directory");

  job = ShellJob("missing", "true");
  job.working_dir = dir_ + "/nowhere";
  auto no_dir = executor_.Start(job);
  ASSERT_FALSE(no_dir.ok());
  EXPECT_EQ(no_dir.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(no_dir.status().message(),
            "working_dir: cannot enter " + dir_ + "/nowhere: No such file or directory");
}

// Counts in `i`; on SIGTERM saves the count and exits 0; relaunched with
// SUNWIND_RESUME=1 it starts from the saved count.
constexpr const char* kCheckpointingJob = R"(
trap 'echo $i > checkpoint; exit 0' TERM
if [ "$SUNWIND_RESUME" = 1 ]; then i=$(cat checkpoint); echo "resumed at $i"; else i=0; echo fresh; fi
while true; do i=$((i+1)); sleep 0.01; done
)";

int ReadCount(const std::string& path) { return std::stoi(ReadFile(path)); }

TEST_F(LocalExecutorTest, CheckpointPauseThenResumeContinuesFromTheCheckpoint) {
  // Given a job that checkpoints on SIGTERM, pausing should leave it exited 0
  // with its checkpoint saved, and resuming should continue from there.
  LocalJob job = ShellJob("ckpt", kCheckpointingJob);
  auto first = executor_.Start(job);
  ASSERT_TRUE(first.ok()) << first.status().message();
  std::this_thread::sleep_for(milliseconds(150));
  auto paused = executor_.Pause(job, *first);
  ASSERT_TRUE(paused.ok()) << paused.status().message();
  EXPECT_EQ(paused->state, ProcessState::kExited);
  EXPECT_EQ(paused->exit_code, 0);
  int saved = ReadCount(work_dir_ + "/checkpoint");
  EXPECT_GT(saved, 0);

  auto second = executor_.Resume(job, *first);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_NE(second->job_pid, first->job_pid);
  std::this_thread::sleep_for(milliseconds(150));
  auto paused_again = executor_.Pause(job, *second);
  ASSERT_TRUE(paused_again.ok());
  EXPECT_EQ(paused_again->exit_code, 0);
  EXPECT_GT(ReadCount(work_dir_ + "/checkpoint"), saved);
  // Both runs appended to the same log.
  EXPECT_EQ(ReadFile(second->stdout_path), "fresh\nresumed at " + std::to_string(saved) + "\n");
}

TEST_F(LocalExecutorTest, CheckpointPauseKillsAJobThatDoesNotExitWithinGrace) {
  // Given a job that ignores its checkpoint signal, a pause should kill it
  // with SIGKILL after the grace period and say so.
  LocalJob job = ShellJob("no-checkpoint", "trap '' TERM; while true; do sleep 0.05; done");
  auto handle = executor_.Start(job);
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  std::this_thread::sleep_for(milliseconds(50));  // let the trap be set
  auto paused = executor_.Pause(job, *handle);
  ASSERT_TRUE(paused.ok()) << paused.status().message();
  EXPECT_EQ(paused->state, ProcessState::kKilled);
  EXPECT_EQ(paused->signal, SIGKILL);
}

TEST_F(LocalExecutorTest, StopModePauseReallyStopsAndResumeContinues) {
  // Given stop mode, a pause should leave the job in state 'T' and a resume
  // should wake it; a cancel then ends it with SIGTERM.
  LocalJob job = ShellJob("stop", "exec sleep 30");
  job.pause_mode = PauseMode::kStop;
  auto handle = executor_.Start(job);
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  auto paused = executor_.Pause(job, *handle);
  ASSERT_TRUE(paused.ok()) << paused.status().message();
  EXPECT_EQ(paused->state, ProcessState::kRunning);
  EXPECT_TRUE(paused->stopped);
  EXPECT_EQ(ProcState(handle->job_pid), 'T');

  auto resumed = executor_.Resume(job, *handle);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->job_pid, handle->job_pid);
  EXPECT_TRUE(WaitForState(handle->job_pid, [](char s) { return s == 'S' || s == 'R'; }));
  auto poll = executor_.Poll(*handle);
  ASSERT_TRUE(poll.ok());
  EXPECT_FALSE(poll->stopped);

  auto cancelled = executor_.Cancel(*handle);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().message();
  EXPECT_EQ(cancelled->state, ProcessState::kKilled);
  EXPECT_EQ(cancelled->signal, SIGTERM);
}

TEST_F(LocalExecutorTest, CancelEscalatesToSigkillForAJobThatIgnoresTerm) {
  // Given a job (and its children) ignoring SIGTERM, cancel should kill it
  // with SIGKILL once the grace period has passed.
  auto handle = executor_.Start(ShellJob("stubborn", "trap '' TERM; while true; do sleep 0.05; done"));
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  std::this_thread::sleep_for(milliseconds(50));  // let the trap be set
  auto before = std::chrono::steady_clock::now();
  auto cancelled = executor_.Cancel(*handle);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().message();
  EXPECT_EQ(cancelled->state, ProcessState::kKilled);
  EXPECT_EQ(cancelled->signal, SIGKILL);
  EXPECT_GE(std::chrono::steady_clock::now() - before, milliseconds(200));
  auto tree = executor_.ProcessTree(*handle);
  ASSERT_TRUE(tree.ok());
  EXPECT_TRUE(tree->empty());
}

TEST_F(LocalExecutorTest, ProcessTreeListsTheJobAndItsChildren) {
  // Given a shell with two background children, the tree should hold all
  // three; after a cancel it should be empty.
  auto handle = executor_.Start(ShellJob("tree", "sleep 30 & sleep 30 & wait"));
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  std::vector<pid_t> tree;
  for (int i = 0; i < 200 && tree.size() < 3; ++i) {
    auto got = executor_.ProcessTree(*handle);
    ASSERT_TRUE(got.ok());
    tree = *got;
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_EQ(tree.size(), 3u);
  EXPECT_NE(std::find(tree.begin(), tree.end(), handle->job_pid), tree.end());
  EXPECT_EQ(std::find(tree.begin(), tree.end(), handle->supervisor_pid), tree.end());
  ASSERT_TRUE(executor_.Cancel(*handle).ok());
  auto after = executor_.ProcessTree(*handle);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->empty());
}

TEST_F(LocalExecutorTest, CancelReachesADescendantThatLeftTheGroup) {
  // Given a job whose child escaped its process group with setsid and whose
  // leader then exited, the tree should still name the child (the supervisor
  // adopted it), the job should count as running, and a cancel should end it.
  auto handle = executor_.Start(ShellJob("escaped", "setsid sleep 30 & sleep 0.1; exit 0"));
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  std::this_thread::sleep_for(milliseconds(300));
  auto tree = executor_.ProcessTree(*handle);
  ASSERT_TRUE(tree.ok());
  ASSERT_EQ(tree->size(), 1u);
  EXPECT_NE((*tree)[0], handle->job_pid);
  ProcStat escaped;
  ASSERT_TRUE(ReadProcStat("/proc", (*tree)[0], &escaped));
  EXPECT_NE(escaped.process_group, handle->job_pid);
  EXPECT_EQ(escaped.parent_pid, handle->supervisor_pid);
  auto poll = executor_.Poll(*handle);
  ASSERT_TRUE(poll.ok());
  EXPECT_EQ(poll->state, ProcessState::kRunning);

  auto cancelled = executor_.Cancel(*handle);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status().message();
  // The leader's own end is what the status file records.
  EXPECT_EQ(cancelled->state, ProcessState::kExited);
  EXPECT_EQ(cancelled->exit_code, 0);
  EXPECT_FALSE(IsSameLiveProcess("/proc", escaped.pid, escaped.start_ticks));
}

TEST_F(LocalExecutorTest, StatusSurvivesTheDeathOfTheLauncher) {
  // Given a "daemon" (a forked child) that launches a job and is then killed
  // with SIGKILL, we should still learn the job's exit code from its handle.
  // We become a subreaper so the orphaned supervisor is reparented to us and
  // Poll can reap it: no zombie is left to the container's init.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int handle_pipe[2];
  ASSERT_EQ(pipe(handle_pipe), 0);
  pid_t daemon = fork();
  ASSERT_GE(daemon, 0);
  if (daemon == 0) {
    close(handle_pipe[0]);
    auto handle = executor_.Start(ShellJob("orphan", "sleep 0.3; exit 7"));
    ProcessHandle h = handle.ok() ? *handle : ProcessHandle{};
    pid_t ids[2] = {h.job_pid, h.supervisor_pid};
    uint64_t ticks[2] = {h.job_start_ticks, h.supervisor_start_ticks};
    (void)!write(handle_pipe[1], ids, sizeof(ids));
    (void)!write(handle_pipe[1], ticks, sizeof(ticks));
    pause();
    _exit(0);
  }
  close(handle_pipe[1]);
  pid_t ids[2] = {0, 0};
  uint64_t ticks[2] = {0, 0};
  ASSERT_EQ(read(handle_pipe[0], ids, sizeof(ids)), static_cast<ssize_t>(sizeof(ids)));
  ASSERT_EQ(read(handle_pipe[0], ticks, sizeof(ticks)), static_cast<ssize_t>(sizeof(ticks)));
  close(handle_pipe[0]);
  ASSERT_GT(ids[0], 0);
  kill(daemon, SIGKILL);
  ASSERT_EQ(waitpid(daemon, nullptr, 0), daemon);

  // The handle as a restarted daemon finds it in the job's directory.
  auto loaded = executor_.FindHandle("orphan");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const ProcessHandle& handle = *loaded;
  EXPECT_EQ(handle.job_pid, ids[0]);
  EXPECT_EQ(handle.supervisor_pid, ids[1]);
  EXPECT_EQ(handle.job_start_ticks, ticks[0]);
  EXPECT_EQ(handle.supervisor_start_ticks, ticks[1]);
  auto now = executor_.Poll(handle);
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->state, ProcessState::kRunning);  // re-adopted: pid and start time match
  ProcessStatus end = WaitForEnd(handle);
  EXPECT_EQ(end.state, ProcessState::kExited);
  EXPECT_EQ(end.exit_code, 7);
}

TEST_F(LocalExecutorTest, ReadoptionRefusesARecycledPid) {
  // Given a handle whose start time does not match the live process with its
  // pid (the pid was recycled), we should call the job lost and refuse to
  // signal that process.
  auto handle = executor_.Start(ShellJob("recycled", "exec sleep 30"));
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  ProcessHandle stale = *handle;
  stale.job_start_ticks += 1;
  stale.supervisor_start_ticks += 1;
  auto poll = executor_.Poll(stale);
  ASSERT_TRUE(poll.ok());
  EXPECT_EQ(poll->state, ProcessState::kLost);
  auto signal = runner_.SignalJob(stale, SIGKILL);
  EXPECT_EQ(signal.code(), StatusCode::kNotFound);
  EXPECT_TRUE(IsSameLiveProcess("/proc", handle->job_pid, handle->job_start_ticks));
  auto cancelled = executor_.Cancel(*handle);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->signal, SIGTERM);
}

}  // namespace
}  // namespace sunwind
