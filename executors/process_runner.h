// The seam between sunwind and the processes it runs on this machine.
// Abstract so the scheduler can be tested without launching anything; the
// real implementation is PosixProcessRunner, the recording fake
// RecordingProcessRunner.
#ifndef SUNWIND_EXECUTORS_PROCESS_RUNNER_H_
#define SUNWIND_EXECUTORS_PROCESS_RUNNER_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace sunwind {

// What to run and where its traces go.
struct LaunchSpec {
  // The program and its arguments, never a shell string: nothing is
  // re-parsed, so a job name or argument cannot inject a command. argv[0]
  // without a '/' is looked up in PATH.
  std::vector<std::string> argv;
  // Where the job runs; empty = the launcher's own working directory.
  std::string working_dir;
  // Added to (or overriding) the launcher's environment.
  std::vector<std::pair<std::string, std::string>> env;
  // The job's own directory (created if missing): stdout.log and stderr.log
  // are appended to across relaunches, and the supervisor writes `status`
  // there when the job ends.
  std::string job_dir;
};

// Everything needed to find a launched job again, also from a daemon that
// restarted since: the daemon stores it with the job.
struct ProcessHandle {
  pid_t job_pid = 0;  // also the id of the job's process group
  uint64_t job_start_ticks = 0;  // /proc/<pid>/stat start time, for re-adoption
  pid_t supervisor_pid = 0;
  uint64_t supervisor_start_ticks = 0;
  std::string job_dir;
  std::string stdout_path;
  std::string stderr_path;
  std::string status_path;  // written once, by the supervisor, when the job ends
  TimePoint started{};
};

enum class ProcessState {
  kRunning,  // the job, a process of its tree, or its supervisor lives
  kExited,   // the job exited by itself: see exit_code
  kKilled,   // a signal ended the job: see signal
  kLost,     // gone and no status recorded (its supervisor was killed too)
};

const char* ProcessStateName(ProcessState state);

struct ProcessStatus {
  ProcessState state = ProcessState::kLost;
  bool stopped = false;  // kRunning only: SIGSTOPped (state 'T' in /proc)
  int exit_code = 0;     // kExited only
  int signal = 0;        // kKilled only
  TimePoint ended{};     // kExited and kKilled: when the supervisor saw it end
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;

  // Starts the job in a process group of its own under a supervisor that
  // records how it ends. Fails with kNotFound when the program or working
  // directory does not exist, kInvalidArgument for an empty argv.
  virtual Result<ProcessHandle> Launch(const LaunchSpec& spec) = 0;

  // Where the job stands. Re-adopts safely: a pid counts as the job only if
  // it lives and started when the handle says. Once the job is gone, the
  // status file says how it ended.
  virtual Result<ProcessStatus> Poll(const ProcessHandle& handle) = 0;

  // Sends `signal` to the job's whole process group and to any descendant
  // that left the group (setsid), so a pause or a cancel reaches all its
  // work. kNotFound when the job no longer runs (so a recycled pid is never
  // signalled).
  virtual Status SignalJob(const ProcessHandle& handle, int signal) = 0;

  // The pids of the job's process tree, sorted; empty when it has ended.
  virtual Result<std::vector<pid_t>> ProcessTree(const ProcessHandle& handle) = 0;
};

}  // namespace sunwind

#endif  // SUNWIND_EXECUTORS_PROCESS_RUNNER_H_
