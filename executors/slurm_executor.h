// The Slurm executor: runs jobs as Slurm batch jobs on one cluster partition
// (a sunwind region) by driving the Slurm command-line tools through a
// CommandRunner, and carries out the scheduler's decisions on them: start
// (now, or ahead of the slot with --begin), pause (checkpoint and requeue
// held, or scontrol suspend), resume, cancel; it follows their state and
// reads their accounting for the audit.
//
// Like LocalExecutor it keeps no table of its own: every call takes the
// SlurmHandle the daemon stored, and FindJobs() finds sunwind's jobs again
// by their Slurm job name (`sunwind-<id>`) after a daemon restart.
//
// When slurmctld does not answer, every call fails with kUnavailable and a
// message saying so: nothing was changed on the sunwind side, the job stays
// in sunwind's queue and the caller retries later. Slurm keeps running the
// jobs it has meanwhile.
//
// Written against Slurm 22.05 (Debian 12): it reads `--parsable` / `-o`
// formats, which that version has for every tool it uses (`--json` needs
// plugins Debian does not build by default).
//
// Thread safety: the executor holds no mutable state; it is as thread-safe
// as its CommandRunner (PosixCommandRunner is).
#ifndef SUNWIND_EXECUTORS_SLURM_EXECUTOR_H_
#define SUNWIND_EXECUTORS_SLURM_EXECUTOR_H_

#include <signal.h>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "executors/command_runner.h"
#include "executors/local_executor.h"  // PauseMode, kResumeEnvVar

namespace sunwind {

// Where and how this executor submits: one per region bound to Slurm.
struct SlurmOptions {
  std::string partition;  // required: sbatch --partition
  std::string account;    // sbatch --account; empty = the user's default
  std::string cluster;    // -M on every command; empty = the local cluster
  // One directory per job id: the generated batch script, stdout.log and
  // stderr.log (appended across requeues). Must be visible at the same path
  // on the compute nodes (a shared file system) for the logs to land there.
  std::string jobs_dir;
  // How long a job has to exit after its checkpoint signal before Slurm's
  // requeue kills it, and how long Cancel waits for the job to end.
  std::chrono::milliseconds grace{30000};
  // Each Slurm command's limit; one that runs past it is killed and the call
  // fails with kUnavailable (a hung slurmctld).
  std::chrono::milliseconds command_timeout{20000};
  // How often Pause and Cancel look at the job while they wait for it.
  std::chrono::milliseconds poll_interval{250};
  // A checkpoint Resume this soon after the same job's requeue waits out
  // the rest first. slurmd revokes the killed run's credential by the
  // second, and a run of the same job id started within that second gets a
  // credential it takes for revoked: slurmctld then kills the job as
  // non-startable ("Job credential revoked"), seen when the scheduler
  // resumed a job half a second after pausing it.
  std::chrono::milliseconds requeue_settle{2000};
};

// A job as the Slurm executor submits it.
struct SlurmJob {
  std::string id;  // sunwind's job id: names its directory and its Slurm job
  std::vector<std::string> argv;
  std::string working_dir;  // sbatch --chdir; empty = jobs_dir/<id>
  // Exported by the batch script on top of the submitter's environment
  // (sbatch --export=ALL). Names must be shell identifiers.
  std::vector<std::pair<std::string, std::string>> env;
  PauseMode pause_mode = PauseMode::kCheckpoint;
  int checkpoint_signal = SIGTERM;
  // Submit ahead of the slot: Slurm starts the job no earlier than this
  // (sbatch --begin). Unset = as soon as Slurm can.
  std::optional<TimePoint> begin;
  int cpus_per_task = 0;  // sbatch --cpus-per-task; 0 = Slurm's default (1)
};

// Everything needed to find a submitted job again; the daemon stores it with
// the job. Slurm keeps the job id across requeues, so one handle serves the
// whole life of the job.
struct SlurmHandle {
  std::string slurm_job_id;  // as sbatch printed it, e.g. "4711"
  std::string cluster;       // empty = the local cluster
  std::string partition;
  std::string job_name;  // "sunwind-<id>"
  std::string job_dir;
  std::string script_path;
  std::string stdout_path;
  std::string stderr_path;
};

enum class SlurmState {
  kPending,    // queued (or requeued), waiting for resources or its --begin
  kRunning,    // running, or finishing (COMPLETING)
  kSuspended,  // scontrol suspend (stop mode)
  kHeld,       // pending with a hold: paused in checkpoint mode
  kCompleted,  // ended with exit code 0
  kFailed,     // ended otherwise (non-zero exit, signal, timeout, node failure)
  kCancelled,  // scancel
  kLost,       // neither slurmctld nor accounting knows the job any more
};

const char* SlurmStateName(SlurmState state);
bool IsTerminal(SlurmState state);

struct SlurmStatus {
  SlurmState state = SlurmState::kLost;
  int exit_code = 0;        // kCompleted / kFailed; -1 when Slurm did not say
  int signal = 0;           // kFailed by a signal: its number
  std::string slurm_state;  // Slurm's own word, e.g. "TIMEOUT", "PENDING"
  std::string reason;       // Slurm's reason, e.g. "JobHeldUser", "BeginTime"
  // Which tool answered: "squeue", "sacct" (accounting) or "scontrol" (the
  // fallback where the cluster keeps no accounting).
  std::string source;
};

// When one run of a job held its allocation, as Slurm accounted it (sacct's
// Start and End, or scontrol's StartTime and EndTime). A run still going has
// no end yet: the reader cuts it where it needs (the audit: at now).
struct SlurmRunSpan {
  TimePoint start{};
  std::optional<TimePoint> end;
};

// What the cluster measured for the job, summed over every run of it
// (each requeue is a run of its own in accounting).
struct SlurmAccounting {
  double elapsed_s = 0;  // wall time the job held its allocation
  // TotalCPU (user + system) of the job's steps. Unknown without accounting,
  // and until every run's batch step has reached accounting (a moment after
  // the job ends): ask again then.
  std::optional<double> cpu_time_s;
  std::string alloc_tres;  // of the latest run, e.g. "billing=1,cpu=1,node=1"
  // ConsumedEnergyRaw; only where the cluster runs an energy plugin (absent
  // when Slurm reports nothing or 0).
  std::optional<double> consumed_energy_j;
  int runs = 0;        // records read (1 + requeues)
  // When each run held its allocation, oldest first; only runs whose start
  // Slurm knows (a record still pending has none), so it may be shorter than
  // `runs`, and is empty where neither tool printed a start.
  std::vector<SlurmRunSpan> run_spans;
  std::string source;  // "sacct" or "scontrol" (elapsed and TRES only)
};

// A sunwind job Slurm knows about, as FindJobs() sees it.
struct FoundSlurmJob {
  std::string sunwind_id;  // the id from the job name
  SlurmHandle handle;
  SlurmStatus status;
};

class SlurmExecutor {
 public:
  // `runner` must outlive the executor.
  SlurmExecutor(CommandRunner& runner, SlurmOptions options)
      : runner_(runner), options_(std::move(options)) {}

  // Writes the batch script to jobs_dir/<id>/job.sh and submits it with
  // sbatch --parsable --requeue, job name sunwind-<id>, stdout and stderr
  // appended to files in the job's directory. The script exports the job's
  // environment (and SUNWIND_RESUME=1 when Slurm runs it again after a
  // requeue) and execs argv, so the job's program is the batch step itself.
  // Idempotent: when a job of that name is already queued or running in the
  // partition (an earlier Start whose answer was lost), returns its handle
  // rather than submitting twice.
  // Errors: kInvalidArgument for an id that is not a plain name, an empty
  // argv or an env name that is not a shell identifier; kUnavailable when
  // slurmctld does not answer; kFailedPrecondition when Slurm refuses
  // (unknown partition or account, ...), with Slurm's words.
  Result<SlurmHandle> Start(const SlurmJob& job);

  // Where the job stands: squeue while slurmctld knows the job, then sacct
  // (accounting) for how it ended, then `scontrol show job` where there is no
  // accounting; kLost when none knows it. kUnavailable when slurmctld does
  // not answer.
  Result<SlurmStatus> Poll(const SlurmHandle& handle);

  // kCheckpoint (needs no special rights): a running job gets its checkpoint
  // signal (scancel --signal --full: the batch step and all its processes),
  // has up to `grace` to save and exit, and is then requeued held (scontrol
  // requeuehold; one still running is killed by Slurm then). Returns how that
  // run ended: kCompleted (exit 0) means checkpointed and paused; anything
  // else is for the caller to judge (the job may have finished or failed
  // just then); the job is held either way. A job still pending is only held.
  // kStop: scontrol suspend (Slurm allows it only to operators and
  // administrators; refused → kFailedPrecondition saying so); returns the
  // status after it (kSuspended).
  // kNotFound when the job has already ended.
  Result<SlurmStatus> Pause(const SlurmJob& job, const SlurmHandle& handle);

  // kCheckpoint: scontrol release, and clears the delay Slurm puts on a
  // requeued job's start (about two minutes) so it starts as soon as it
  // can; the relaunched job sees SUNWIND_RESUME=1. kStop: scontrol resume.
  // Returns the same handle (Slurm keeps the job id).
  Result<SlurmHandle> Resume(const SlurmJob& job, const SlurmHandle& handle);

  // scancel; Slurm sends SIGTERM, then SIGKILL after its KillWait. Waits up
  // to `grace` for the job to end and returns the last status seen.
  // kNotFound when it had already ended.
  Result<SlurmStatus> Cancel(const SlurmHandle& handle);

  // Elapsed and CPU time, TRES, energy and each run's Start/End from sacct
  // (all runs of the job); where the cluster keeps no accounting, elapsed,
  // TRES and the latest run's span from scontrol while slurmctld still
  // remembers the job (kNotFound after).
  Result<SlurmAccounting> Accounting(const SlurmHandle& handle);

  // sunwind's jobs in this executor's partition: those slurmctld holds
  // (squeue) and, where there is accounting, those that ended since `since`
  // (sacct). For re-adoption after a daemon restart.
  Result<std::vector<FoundSlurmJob>> FindJobs(TimePoint since);

  const SlurmOptions& options() const { return options_; }

  // --- Exposed for tests: the pure parts. ---
  // The batch script Start writes.
  static std::string BatchScript(const SlurmJob& job);
  // Single-quotes `text` for /bin/sh.
  static std::string ShellQuote(const std::string& text);
  // Maps Slurm's state word (and reason, and "N:S" exit code) to a status.
  static SlurmStatus StatusFrom(const std::string& slurm_state, const std::string& reason,
                                const std::string& exit_code, const std::string& source);
  // Seconds in Slurm's duration formats: "MM:SS", "MM:SS.mmm", "HH:MM:SS",
  // "D-HH:MM:SS"; -1 when it is none of them.
  static double ParseSlurmDuration(const std::string& text);
  // A time as sacct and scontrol print it, "2026-11-23T01:02:03", read in
  // this process's local time zone (the cluster tools print local time);
  // nullopt for "Unknown", "None", "" or anything else.
  static std::optional<TimePoint> ParseSlurmTime(const std::string& text);

 private:
  // argv for a Slurm tool, with -M <cluster> when one is set.
  std::vector<std::string> Tool(const std::string& program) const;
  // Runs a Slurm tool; maps a missing program, a timeout and an unreachable
  // slurmctld to errors. A non-zero exit is returned as a result.
  Result<CommandResult> RunTool(const std::vector<std::string>& argv);
  // Runs a Slurm tool that must succeed: a non-zero exit becomes an error.
  Result<CommandResult> RunChecked(const std::vector<std::string>& argv);
  SlurmHandle HandleFor(const std::string& job_id, const std::string& slurm_job_id) const;
  Result<std::optional<SlurmStatus>> FromScontrol(const std::string& slurm_job_id);
  // Polls until the job is terminal or `timeout` passes; the last status.
  Result<SlurmStatus> WaitForEnd(const SlurmHandle& handle, std::chrono::milliseconds timeout);

  CommandRunner& runner_;
  SlurmOptions options_;
  std::mutex requeued_mu_;
  std::map<std::string, std::chrono::steady_clock::time_point> requeued_at_;  // by Slurm job id
};

}  // namespace sunwind

#endif  // SUNWIND_EXECUTORS_SLURM_EXECUTOR_H_
