// The real ProcessRunner: fork/exec on Linux, with a supervisor per job.
//
//   daemon ── fork ──> supervisor (own session, ignores TERM/INT/HUP)
//                         └─ fork+exec ──> job (own process group; logs)
//
// The supervisor waits for the job and writes its end (exit code or signal,
// end time) to <job_dir>/status durably (temp file, fsync, rename, fsync of
// the directory). It outlives the daemon, so a daemon that was killed learns
// on restart how each job ended while it was down. It is also a subreaper:
// it reaps the job's orphaned descendants and exits when the last is gone,
// so the job counts as running while any of its processes does.
//
// Launch also writes the handle to <job_dir>/handle (handle_file.h) before it
// returns. Left open: a daemon killed between fork and that write leaves a
// running job with no handle file; closing it needs the supervisor to write
// the file itself.
#ifndef SUNWIND_EXECUTORS_POSIX_PROCESS_RUNNER_H_
#define SUNWIND_EXECUTORS_POSIX_PROCESS_RUNNER_H_

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "core/proc_stat.h"
#include "core/time.h"
#include "executors/process_runner.h"

namespace sunwind {

// The status file's text: one line, "exited <code> <unix_s>" or
// "killed <signal> <unix_s>". Parsed here so tests and tools share it.
Result<ProcessStatus> ParseStatusFile(const std::string& text);

class PosixProcessRunner final : public ProcessRunner {
 public:
  // `clock` stamps start and end times; the supervisor reads it in a forked
  // child, so Now() must be async-signal-safe (SystemClock's and
  // ManualClock's are). `proc_root` is where /proc is (tests may point it
  // elsewhere). References must outlive the runner.
  explicit PosixProcessRunner(const Clock& clock, std::string proc_root = "/proc")
      : clock_(clock), proc_root_(std::move(proc_root)) {}

  // Safe to call from a multi-threaded daemon: everything the children need
  // is built before fork, so they call only async-signal-safe functions.
  Result<ProcessHandle> Launch(const LaunchSpec& spec) override;
  // Also reaps the supervisor when it is this process's child, so no
  // zombie is left behind.
  Result<ProcessStatus> Poll(const ProcessHandle& handle) override;
  Status SignalJob(const ProcessHandle& handle, int signal) override;
  // One /proc scan serves every tree asked for within kSnapshotMaxAge: the
  // daemon's meter asks for every running job's tree each round, and a scan
  // per job cost O(jobs × processes) (benchmarks/results/metering.md). A
  // process forked since is seen by the next round's scan.
  Result<std::vector<pid_t>> ProcessTree(const ProcessHandle& handle) override;

  static constexpr std::chrono::milliseconds kSnapshotMaxAge{50};

 private:
  // `fresh`: scan now (SignalJob: a pause must reach a child forked just now).
  Result<std::vector<pid_t>> TreeOf(const ProcessHandle& handle, bool fresh);

  const Clock& clock_;
  std::string proc_root_;
  std::mutex snapshot_mu_;
  std::optional<ProcessSnapshot> snapshot_;
  std::chrono::steady_clock::time_point snapshot_at_;
};

}  // namespace sunwind

#endif  // SUNWIND_EXECUTORS_POSIX_PROCESS_RUNNER_H_
