#include "executors/local_executor.h"

#include <thread>

#include "executors/handle_file.h"

namespace sunwind {
namespace {

// How often a wait looks at the job again: short against a grace period of
// a few hundred milliseconds, long enough not to spin.
constexpr std::chrono::milliseconds kPollInterval{10};

// After SIGKILL nothing can delay the end but the kernel and the supervisor
// writing the status file.
constexpr std::chrono::milliseconds kAfterKillWait{2000};

bool IsPlainName(const std::string& id) {
  if (id.empty() || id == "." || id == "..") return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

LaunchSpec LocalExecutor::SpecFor(const LocalJob& job) const {
  LaunchSpec spec;
  spec.argv = job.argv;
  spec.working_dir = job.working_dir;
  spec.env = job.env;
  spec.job_dir = jobs_dir_ + "/" + job.id;
  return spec;
}

Result<ProcessHandle> LocalExecutor::FindHandle(const std::string& job_id) const {
  if (!IsPlainName(job_id)) {
    return Status::InvalidArgument("id: '" + job_id + "' is not a plain name");
  }
  return LoadHandle(jobs_dir_ + "/" + job_id);
}

Result<ProcessHandle> LocalExecutor::Start(const LocalJob& job) {
  if (!IsPlainName(job.id)) {
    return Status::InvalidArgument("id: '" + job.id +
                                   "' is not a plain name (letters, digits, - _ .)");
  }
  return runner_.Launch(SpecFor(job));
}

Result<ProcessStatus> LocalExecutor::WaitForEnd(const ProcessHandle& handle,
                                                std::chrono::milliseconds timeout) {
  // steady_clock, not the Clock seam: this bounds a real wait on real
  // processes and must not follow a simulated clock.
  auto give_up = std::chrono::steady_clock::now() + timeout;
  while (true) {
    SUNWIND_ASSIGN_OR_RETURN(ProcessStatus status, runner_.Poll(handle));
    if (status.state != ProcessState::kRunning || std::chrono::steady_clock::now() >= give_up) {
      return status;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

Result<ProcessStatus> LocalExecutor::Pause(const LocalJob& job, const ProcessHandle& handle) {
  if (job.pause_mode == PauseMode::kStop) {
    SUNWIND_RETURN_IF_ERROR(runner_.SignalJob(handle, SIGSTOP));
    // SIGSTOP is asynchronous: say "paused" only once the job really stopped.
    auto give_up = std::chrono::steady_clock::now() + grace_;
    while (true) {
      SUNWIND_ASSIGN_OR_RETURN(ProcessStatus status, runner_.Poll(handle));
      if (status.state != ProcessState::kRunning || status.stopped) return status;
      if (std::chrono::steady_clock::now() >= give_up) {
        return Status::Unavailable("job " + job.id + " did not stop within the grace period");
      }
      std::this_thread::sleep_for(kPollInterval);
    }
  }
  SUNWIND_RETURN_IF_ERROR(runner_.SignalJob(handle, job.checkpoint_signal));
  // A job stopped by hand cannot act on the checkpoint signal until continued.
  (void)runner_.SignalJob(handle, SIGCONT);
  SUNWIND_ASSIGN_OR_RETURN(ProcessStatus status, WaitForEnd(handle, grace_));
  if (status.state != ProcessState::kRunning) return status;
  (void)runner_.SignalJob(handle, SIGKILL);
  return WaitForEnd(handle, kAfterKillWait);
}

Result<ProcessHandle> LocalExecutor::Resume(const LocalJob& job, const ProcessHandle& handle) {
  if (job.pause_mode == PauseMode::kStop) {
    SUNWIND_RETURN_IF_ERROR(runner_.SignalJob(handle, SIGCONT));
    return handle;
  }
  LocalJob resumed = job;
  resumed.env.emplace_back(kResumeEnvVar, "1");
  return Start(resumed);
}

Result<ProcessStatus> LocalExecutor::Cancel(const ProcessHandle& handle) {
  SUNWIND_RETURN_IF_ERROR(runner_.SignalJob(handle, SIGTERM));
  (void)runner_.SignalJob(handle, SIGCONT);
  SUNWIND_ASSIGN_OR_RETURN(ProcessStatus status, WaitForEnd(handle, grace_));
  if (status.state != ProcessState::kRunning) return status;
  (void)runner_.SignalJob(handle, SIGKILL);
  return WaitForEnd(handle, kAfterKillWait);
}

}  // namespace sunwind
