// A ProcessRunner that launches nothing: it records what it was asked and
// answers what the test set. For scheduler and daemon tests that must not
// depend on real processes; the executor's own tests use the real runner.
#ifndef SUNWIND_EXECUTORS_RECORDING_PROCESS_RUNNER_H_
#define SUNWIND_EXECUTORS_RECORDING_PROCESS_RUNNER_H_

#include <string>
#include <vector>

#include "executors/process_runner.h"

namespace sunwind {

class RecordingProcessRunner final : public ProcessRunner {
 public:
  // Each launch gets job pid 1000, 1001, ... and succeeds unless
  // `launch_error` is set.
  Result<ProcessHandle> Launch(const LaunchSpec& spec) override;
  // Answers `status_by_pid` for the handle's job pid, kRunning if unset.
  Result<ProcessStatus> Poll(const ProcessHandle& handle) override;
  // Records the signal; when `end_on_signal` holds it, the job is then
  // reported as exited with `exit_code_on_signal`.
  Status SignalJob(const ProcessHandle& handle, int signal) override;
  Result<std::vector<pid_t>> ProcessTree(const ProcessHandle& handle) override;

  struct SignalSent {
    pid_t job_pid;
    int signal;
  };
  std::vector<LaunchSpec> launches;
  std::vector<SignalSent> signals;
  Status launch_error;
  std::vector<std::pair<pid_t, ProcessStatus>> status_by_pid;
  std::vector<int> end_on_signal;
  int exit_code_on_signal = 0;

 private:
  ProcessStatus* Find(pid_t pid);
  pid_t next_pid_ = 1000;
};

}  // namespace sunwind

#endif  // SUNWIND_EXECUTORS_RECORDING_PROCESS_RUNNER_H_
