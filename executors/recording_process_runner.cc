#include "executors/recording_process_runner.h"

#include <algorithm>

namespace sunwind {

ProcessStatus* RecordingProcessRunner::Find(pid_t pid) {
  for (auto& [p, status] : status_by_pid) {
    if (p == pid) return &status;
  }
  return nullptr;
}

Result<ProcessHandle> RecordingProcessRunner::Launch(const LaunchSpec& spec) {
  launches.push_back(spec);
  if (!launch_error.ok()) return launch_error;
  ProcessHandle handle;
  handle.job_pid = next_pid_++;
  handle.job_start_ticks = 1;
  handle.supervisor_pid = handle.job_pid + 100000;
  handle.supervisor_start_ticks = 1;
  handle.job_dir = spec.job_dir;
  handle.stdout_path = spec.job_dir + "/stdout.log";
  handle.stderr_path = spec.job_dir + "/stderr.log";
  handle.status_path = spec.job_dir + "/status";
  ProcessStatus running;
  running.state = ProcessState::kRunning;
  status_by_pid.emplace_back(handle.job_pid, running);
  return handle;
}

Result<ProcessStatus> RecordingProcessRunner::Poll(const ProcessHandle& handle) {
  if (ProcessStatus* status = Find(handle.job_pid)) return *status;
  ProcessStatus running;
  running.state = ProcessState::kRunning;
  return running;
}

Status RecordingProcessRunner::SignalJob(const ProcessHandle& handle, int signal) {
  ProcessStatus* status = Find(handle.job_pid);
  if (status != nullptr && status->state != ProcessState::kRunning) {
    return Status::NotFound("job process group " + std::to_string(handle.job_pid) +
                            " no longer runs");
  }
  signals.push_back({handle.job_pid, signal});
  if (status != nullptr &&
      std::find(end_on_signal.begin(), end_on_signal.end(), signal) != end_on_signal.end()) {
    status->state = ProcessState::kExited;
    status->exit_code = exit_code_on_signal;
  }
  return Status::Ok();
}

Result<std::vector<pid_t>> RecordingProcessRunner::ProcessTree(const ProcessHandle& handle) {
  if (ProcessStatus* status = Find(handle.job_pid);
      status != nullptr && status->state != ProcessState::kRunning) {
    return std::vector<pid_t>{};
  }
  return std::vector<pid_t>{handle.job_pid};
}

}  // namespace sunwind
