// What the daemon asks of any executor, one interface over the local process
// executor and Slurm, so the service drives both the same way: start a job,
// learn how it stands, pause it, resume it, cancel it, find it again after a
// restart.
//
// A launched job is named by an opaque handle (JSON text) that the daemon
// stores with the job; every call takes it back, so no executor keeps a
// table of its own and a restarted daemon carries on with its database.
//
// Statuses are the local executor's ProcessStatus for both: a Slurm job that
// is pending or running is kRunning (launched: sunwind's part is done; Slurm
// may still be waiting for resources), a suspended or held one is kRunning
// with stopped set, and an ended one is kExited or kKilled with Slurm's exit
// code or signal.
#ifndef SUNWIND_EXECUTORS_JOB_EXECUTOR_H_
#define SUNWIND_EXECUTORS_JOB_EXECUTOR_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "executors/command_runner.h"
#include "executors/local_executor.h"
#include "executors/process_runner.h"
#include "executors/slurm_executor.h"

namespace sunwind {

// A job as any executor runs it: what the local executor takes (id, argv,
// working directory, environment, pause mode, checkpoint signal); the Slurm
// adapter turns it into a SlurmJob.
using ExecutorJob = LocalJob;

// A launch, as the daemon stores it and shows it.
struct Launch {
  std::string handle_json;  // what every later call takes back
  std::string external_id;  // "pid 4711" or "slurm job 42", for events and logs
  std::string stdout_path;
  std::string stderr_path;
};

class JobExecutor {
 public:
  virtual ~JobExecutor() = default;

  // "local" or "slurm": stored with the handle.
  virtual const char* kind() const = 0;

  virtual Result<Launch> Start(const ExecutorJob& job) = 0;
  // kUnavailable when the executor cannot tell now (slurmctld down): the
  // caller keeps the job as it was and asks again later.
  virtual Result<ProcessStatus> Poll(const std::string& handle_json) = 0;
  // As LocalExecutor::Pause: kExited 0 means checkpointed and paused
  // (checkpoint mode), kRunning + stopped means stopped (stop mode); anything
  // else ended the job just then. kNotFound when it had already ended.
  virtual Result<ProcessStatus> Pause(const ExecutorJob& job, const std::string& handle_json) = 0;
  virtual Result<Launch> Resume(const ExecutorJob& job, const std::string& handle_json) = 0;
  // Ends the job; kNotFound when it had already ended.
  virtual Result<ProcessStatus> Cancel(const std::string& handle_json) = 0;
  // Each job's latest launch as the executor itself knows it (the local job
  // directories; Slurm's queue and accounting since `since`), for a daemon
  // that died between launching a job and storing its handle. A job it never
  // launched is absent. One call for many jobs: Slurm answers with one squeue
  // and one sacct, however many there are.
  virtual Result<std::map<std::string, Launch>> FindLatest(const std::vector<std::string>& job_ids,
                                                           TimePoint since) = 0;
  // The same launch described again from a stored handle (log paths, id).
  virtual Result<Launch> Describe(const std::string& handle_json) const = 0;
  // The job's processes on this machine, for metering; empty where the job
  // runs elsewhere (Slurm: metered through accounting).
  virtual Result<std::vector<pid_t>> ProcessTree(const std::string& handle_json) = 0;
  // What the cluster measured for the job over all its runs (elapsed, CPU
  // time, energy where it meters it); nullopt where the executor keeps no
  // accounting (local jobs are metered by sunwind itself).
  virtual Result<std::optional<SlurmAccounting>> Accounting(const std::string& handle_json) {
    return std::optional<SlurmAccounting>();
  }
};

// The local process executor behind the interface.
class LocalJobExecutor final : public JobExecutor {
 public:
  // `runner` must outlive it.
  LocalJobExecutor(ProcessRunner& runner, std::string jobs_dir, std::chrono::milliseconds grace)
      : local_(runner, std::move(jobs_dir), grace) {}

  const char* kind() const override { return "local"; }
  Result<Launch> Start(const ExecutorJob& job) override;
  Result<ProcessStatus> Poll(const std::string& handle_json) override;
  Result<ProcessStatus> Pause(const ExecutorJob& job, const std::string& handle_json) override;
  Result<Launch> Resume(const ExecutorJob& job, const std::string& handle_json) override;
  Result<ProcessStatus> Cancel(const std::string& handle_json) override;
  Result<std::map<std::string, Launch>> FindLatest(const std::vector<std::string>& job_ids, TimePoint since) override;
  Result<Launch> Describe(const std::string& handle_json) const override;
  Result<std::vector<pid_t>> ProcessTree(const std::string& handle_json) override;

  static std::string HandleJson(const ProcessHandle& handle);
  static Result<ProcessHandle> ParseHandleJson(const std::string& text);

 private:
  LocalExecutor local_;
};

// A Slurm partition behind the interface. Jobs are named
// sunwind-<prefix><id> in Slurm, where the prefix tells one daemon's jobs
// from another's on a shared cluster (job ids restart at j-000001 in every
// new database).
class SlurmJobExecutor final : public JobExecutor {
 public:
  // `runner` must outlive it. `name_prefix`: plain characters, may be empty.
  SlurmJobExecutor(CommandRunner& runner, SlurmOptions options, std::string name_prefix)
      : slurm_(runner, std::move(options)), prefix_(std::move(name_prefix)) {}

  const char* kind() const override { return "slurm"; }
  Result<Launch> Start(const ExecutorJob& job) override;
  Result<ProcessStatus> Poll(const std::string& handle_json) override;
  Result<ProcessStatus> Pause(const ExecutorJob& job, const std::string& handle_json) override;
  Result<Launch> Resume(const ExecutorJob& job, const std::string& handle_json) override;
  Result<ProcessStatus> Cancel(const std::string& handle_json) override;
  Result<std::map<std::string, Launch>> FindLatest(const std::vector<std::string>& job_ids, TimePoint since) override;
  Result<Launch> Describe(const std::string& handle_json) const override;
  Result<std::vector<pid_t>> ProcessTree(const std::string&) override { return std::vector<pid_t>{}; }

  Result<std::optional<SlurmAccounting>> Accounting(const std::string& handle_json) override;

  static std::string HandleJson(const SlurmHandle& handle);
  static Result<SlurmHandle> ParseHandleJson(const std::string& text);
  // Slurm's words as a ProcessStatus (see the file comment).
  static ProcessStatus StatusOf(const SlurmStatus& status);

 private:
  SlurmJob JobFor(const ExecutorJob& job) const;
  SlurmExecutor slurm_;
  std::string prefix_;
};

// The executor a region's `executor:` block asks for: kind local or slurm,
// with the slurm options partition (required), account, cluster, jobs_dir,
// grace (seconds), and cpu_model + cpu_cores or cpu_w_per_core (the nodes'
// CPU power for the audit of a cluster without an energy plugin: accepted
// here, read and checked by server/audit_routes.h's SlurmCpuPowersFromConfig).
// kInvalidArgument naming the option that is wrong.
// `runner` and `commands` must outlive the executor.
Result<std::unique_ptr<JobExecutor>> MakeJobExecutor(const std::string& kind,
                                                     const std::map<std::string, std::string>& options,
                                                     ProcessRunner& runner, CommandRunner& commands,
                                                     const std::string& jobs_dir, std::chrono::milliseconds grace,
                                                     const std::string& name_prefix);

}  // namespace sunwind

#endif  // SUNWIND_EXECUTORS_JOB_EXECUTOR_H_
