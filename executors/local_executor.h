// The local process executor: runs jobs on this machine through a
// ProcessRunner and carries out the scheduler's decisions on them: start,
// pause (by checkpoint or by SIGSTOP), resume, cancel; it also names the
// job's processes for metering.
//
// It keeps no table of its own: every call takes the ProcessHandle the
// daemon stored, so a daemon that restarted carries on with the handles in
// its database.
#ifndef SUNWIND_EXECUTORS_LOCAL_EXECUTOR_H_
#define SUNWIND_EXECUTORS_LOCAL_EXECUTOR_H_

#include <signal.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "executors/process_runner.h"

namespace sunwind {

enum class PauseMode {
  // Ask the job to save a checkpoint and exit (its checkpoint signal); resume
  // relaunches it with SUNWIND_RESUME=1 in the same working directory. Frees
  // the memory; the job must honour the contract.
  kCheckpoint,
  // SIGSTOP / SIGCONT the process group. Works with any program, but the
  // job keeps its memory (and any GPU memory) while paused.
  kStop,
};

// A job as the local executor runs it.
struct LocalJob {
  std::string id;  // names its directory under the executor's jobs directory
  std::vector<std::string> argv;
  std::string working_dir;
  std::vector<std::pair<std::string, std::string>> env;
  PauseMode pause_mode = PauseMode::kCheckpoint;
  int checkpoint_signal = SIGTERM;
};

// The environment variable a relaunched job finds set to "1".
inline constexpr const char* kResumeEnvVar = "SUNWIND_RESUME";

class LocalExecutor {
 public:
  // `jobs_dir` holds one directory per job id (logs, status). `grace` is how
  // long a job has to exit after a checkpoint signal or a cancel's SIGTERM.
  // `runner` must outlive the executor.
  LocalExecutor(ProcessRunner& runner, std::string jobs_dir, std::chrono::milliseconds grace)
      : runner_(runner), jobs_dir_(std::move(jobs_dir)), grace_(grace) {}

  // Launches the job. kInvalidArgument for an id that is empty or not a
  // plain name (it becomes a directory name).
  Result<ProcessHandle> Start(const LocalJob& job);

  Result<ProcessStatus> Poll(const ProcessHandle& handle) { return runner_.Poll(handle); }

  // The handle of the job's latest launch as written in its directory, for a
  // daemon that restarted (kNotFound when it was never launched). Poll it to
  // learn whether the job still runs or how it ended.
  Result<ProcessHandle> FindHandle(const std::string& job_id) const;

  // kCheckpoint: sends the job's checkpoint signal to its process group and
  // waits up to the grace period for it to exit; one that does not is
  // killed (SIGKILL), since it broke the contract and would otherwise run on
  // in the slot we are leaving; progress since its last checkpoint is then
  // lost. Returns how the run ended: exited 0 means checkpointed and paused;
  // anything else is for the caller to judge (the job may have finished or
  // failed just then).
  // kStop: stops the process group (and descendants that left it) and
  // returns once the job's leader shows as stopped in /proc (kRunning with
  // stopped = true), or kUnavailable if it does not within the grace period.
  // kNotFound when the job no longer runs.
  Result<ProcessStatus> Pause(const LocalJob& job, const ProcessHandle& handle);

  // kCheckpoint: relaunches the job with SUNWIND_RESUME=1 and returns the new
  // handle. kStop: continues the process group and returns the same handle.
  Result<ProcessHandle> Resume(const LocalJob& job, const ProcessHandle& handle);

  // SIGTERM (and SIGCONT, so a stopped job can act on it) to the process
  // group; SIGKILL after the grace period if it still runs. Returns how the
  // job ended; kNotFound when it had already ended.
  Result<ProcessStatus> Cancel(const ProcessHandle& handle);

  // The job's pids for metering; empty once it has ended.
  Result<std::vector<pid_t>> ProcessTree(const ProcessHandle& handle) {
    return runner_.ProcessTree(handle);
  }

 private:
  // Polls until the job is no longer running or `timeout` passes; returns the
  // last status seen.
  Result<ProcessStatus> WaitForEnd(const ProcessHandle& handle, std::chrono::milliseconds timeout);
  LaunchSpec SpecFor(const LocalJob& job) const;

  ProcessRunner& runner_;
  std::string jobs_dir_;
  std::chrono::milliseconds grace_;
};

}  // namespace sunwind

#endif  // SUNWIND_EXECUTORS_LOCAL_EXECUTOR_H_
