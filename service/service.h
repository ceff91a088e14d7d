// The daemon's core: the durable queue (JobStore), the scheduler core
// (JobQueue + a planning policy) and the executors that run jobs, all driven
// by one Clock. No HTTP here: server/ maps requests onto these calls, and
// tests drive them directly with a ManualClock and real processes.
//
// What it promises:
// - Every change a call makes is in the database before the call returns;
//   a daemon killed at any moment and restarted (Open) finds every job:
//   queued jobs keep their plans, running jobs are re-adopted when their
//   process still lives (pid + start time), or get the exit status their
//   supervisor recorded, or are re-queued when both are gone; paused jobs
//   stay paused, and a job a user paused is never resumed by the scheduler.
// - A job runs until its process ends. One that runs past its estimated
//   duration keeps running (sunwind never kills work for carbon); its record
//   says so (overrun), and one still running past its deadline is flagged.
// - Bad input is refused before anything is stored, naming the field.
//
// Thread safety: the HTTP threads and the tick thread may call concurrently.
// Submit, List and Show touch only the store (which serialises its own
// calls), so they never wait for the core; Tick, Pause, Resume and Cancel are
// serialised on one mutex. A scheduler pause in checkpoint mode waits up to
// the grace period for the job to save and exit, and holds that mutex.
#ifndef SUNWIND_SERVICE_SERVICE_H_
#define SUNWIND_SERVICE_SERVICE_H_

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sys/types.h>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "executors/command_runner.h"
#include "executors/job_executor.h"
#include "executors/process_runner.h"
#include "regions/catalogue.h"
#include "scheduler/grid.h"
#include "scheduler/job.h"
#include "scheduler/policies.h"
#include "scheduler/queue.h"
#include "storage/database.h"
#include "storage/job_store.h"

namespace sunwind {

// The region's grid intensity over [from, to) on a grid of `step` starting at
// `from` (the CLI's App::Fetch: bundled traces, replay, live providers).
using FetchIntensity = std::function<Result<RegionSeries>(const Region*, TimePoint from, TimePoint to, Duration step)>;

struct ServiceOptions {
  // One directory per job under it: the command's stdout.log, stderr.log and
  // the supervisor's status file.
  std::string jobs_dir;
  // Where a job runs when it names no region.
  std::string default_region = "local:host";
  // A new forecast every this long (on multiples of it since the epoch):
  // jobs not yet started, and those the scheduler paused, are re-planned.
  Duration replan_every{3600};
  // How finely the core decides: a job that must run now to meet its
  // deadline is started within one step.
  Duration step{60};
  // How long a job has to exit after a checkpoint signal or a cancel.
  std::chrono::milliseconds grace{10000};
  // Runs the Slurm tools for regions bound to Slurm; null = the service's
  // own PosixCommandRunner. Must outlive the service.
  CommandRunner* commands = nullptr;
  // Put before job ids in Slurm job names (sunwind-<prefix><id>), so two
  // daemons sharing a cluster never take each other's jobs for their own:
  // ids restart at j-000001 in every new database. Plain characters only.
  std::string slurm_name_prefix;
};

// A job as `sunwind show` and GET /v1/jobs/{id} see it.
struct JobDetail {
  JobRecord job;
  std::optional<StoredPlan> plan;
  std::vector<JobEvent> events;
  std::optional<ExecutorHandle> handle;
  std::string region;       // where it runs or ran; empty before it started
  Duration ran{0};          // time spent running so far, from the event log
  bool overrun = false;     // ran longer than its duration_s
  bool deadline_missed = false;  // ended after its deadline, or still unfinished past it
  std::string stdout_path;  // its logs, once launched
  std::string stderr_path;
  std::string launch;  // the latest launch: "pid 4711", "slurm job 42"
};

// A job running now, as the daemon's meter sees it.
struct RunningJob {
  std::string id;
  std::string region;         // the region it runs in
  std::string executor_kind;  // "local", "slurm"
  // The job's processes on this machine (its whole tree); empty where the
  // executor runs it elsewhere (Slurm: the cluster meters it, read through
  // accounting).
  std::vector<pid_t> pids;
};

class Service {
 public:
  // Recovers what the database holds (see above) and returns a service ready
  // to Tick. Everything passed by reference must outlive it.
  static Result<std::unique_ptr<Service>> Open(Database& db, const Clock& clock, const RegionCatalogue& regions,
                                               FetchIntensity fetch, ProcessRunner& runner,
                                               const ServiceOptions& options);
  ~Service();

  // Stores a queued job after checking its regions: each must be known and
  // bound to an executor (an advisory region is refused, saying so). An
  // earliest_start before now is taken as now. InvalidArgument names the
  // field. The job is planned on the next Tick.
  Result<JobRecord> Submit(JobSubmission submission);

  Result<std::vector<JobRecord>> List(const JobFilter& filter = {});
  // NotFound for an unknown id.
  Result<JobDetail> Show(const std::string& id);

  // A user's pause: a running job is stopped (its pause mode), a queued one
  // held before it starts; the scheduler leaves it alone until Resume.
  // FailedPrecondition for a job that is paused already or has ended.
  Result<JobRecord> Pause(const std::string& id);
  // Undoes a user's pause: a started job runs again at once, one that never
  // started goes back to the queue to wait for its slot. FailedPrecondition
  // unless a user paused it.
  Result<JobRecord> Resume(const std::string& id);
  // Stops the job (SIGTERM, SIGKILL after the grace period) and ends it as
  // cancelled. FailedPrecondition once it has ended.
  Result<JobRecord> Cancel(const std::string& id);

  // One scheduling step at clock.Now(): learns how running jobs ended, then
  // lets the core start, pause and resume jobs as their plans say
  // (re-planning when a new forecast is due). Errors are for the log: the
  // jobs involved keep their last stored state. An executor that does not
  // answer (slurmctld down) is kUnavailable: its jobs stay as they were
  // (queued jobs queued, running ones running) and are tried again on the
  // next tick; the other regions' jobs go on.
  Status Tick();

  // Jobs running now with their processes, for the meter. Touches only the
  // store and /proc, so it never waits for a tick.
  Result<std::vector<RunningJob>> Running();

  // What the cluster measured for a job run on Slurm (elapsed and CPU time,
  // energy where the cluster meters it), for the audit; nullopt for a job
  // the daemon meters itself (local) and for one never launched.
  Result<std::optional<SlurmAccounting>> Accounting(const std::string& id);

  // What Open found and did, one line per job, for the daemon's log.
  const std::vector<std::string>& recovery_notes() const { return recovery_notes_; }
  // The region a job without one runs in.
  const Region* default_region() const { return default_region_; }
  const ServiceOptions& options() const { return options_; }

 private:
  class Dispatcher;  // the scheduler core's Executor, onto the JobExecutors + JobStore
  class FetchView;   // the policy's IntensityView, onto FetchIntensity

  // A job's latest launch as stored, with the executor that runs it.
  struct StoredLaunch {
    JobExecutor* executor = nullptr;
    std::string region;
    std::string handle_json;  // the executor's own handle
  };

  Service(Database& db, const Clock& clock, const RegionCatalogue& regions, FetchIntensity fetch,
          ProcessRunner& runner, const ServiceOptions& options);

  // One executor per region bound to one (the local ones share one), and
  // each region's max_jobs.
  Status MakeExecutors(ProcessRunner& runner);
  Status Recover();
  // Builds the core's view of a stored job; the regions were checked on submit.
  Result<JobSpec> SpecFor(const JobRecord& job) const;
  Result<std::vector<const Region*>> ResolveRegions(const JobSubmission& s) const;
  ExecutorJob ExecutorJobFor(const JobRecord& job) const;
  JobExecutor* ExecutorFor(const std::string& region) const;
  // Learns how running jobs ended since the last tick.
  Status PollRunning();
  // A running job's process ended: done, failed (or lost: re-queued).
  // Stops a running job for a pause in its pause mode and records it paused
  // by `who`; false when it ended instead (then recorded as ended).
  Result<bool> StopForPause(const JobRecord& job, PausedBy who, const std::string& reason, bool in_tick);
  // A launch or relaunch inside the core's tick that failed: the job is
  // recorded as started and failed at once.
  Status RecordLaunchFailure(const std::string& id, const std::string& reason, const std::string& detail_json,
                             TimePoint at);
  // `in_tick`: called from inside the core, which learns of it after.
  Status RecordEnd(const std::string& id, const ProcessStatus& status, const std::string& how, bool in_tick);
  void SavePlan(const JobSpec& spec, const Plan& plan);
  Result<StoredLaunch> LaunchOf(const std::string& id);
  Status SaveLaunch(const std::string& id, const std::string& region, const JobExecutor& executor,
                    const Launch& launch);
  void Track(const JobRecord& job, JobState state);
  // Hands submitted jobs to the core; expects mu_ held.
  void DrainPending();

  Database& db_;
  const Clock& clock_;
  const RegionCatalogue& regions_;
  ServiceOptions options_;
  JobStore store_;
  std::unique_ptr<CommandRunner> own_commands_;
  std::map<std::string, std::unique_ptr<JobExecutor>> executors_;  // by region id; local ones: by "local"
  std::map<std::string, JobExecutor*> executor_by_region_;
  RegionCapacity capacity_;
  std::unique_ptr<FetchView> view_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<PlanningPolicy> policy_;
  std::unique_ptr<JobQueue> queue_;
  const Region* default_region_ = nullptr;
  // The core keeps pointers to specs: a deque never moves its elements.
  std::deque<JobSpec> specs_;
  std::map<std::string, JobSpec*> spec_by_id_;
  // Jobs whose launch failed or who ended inside a core call, ended in the
  // core right after it (the core cannot be re-entered).
  std::vector<std::pair<std::string, TimePoint>> ended_in_tick_;
  std::optional<long long> last_forecast_;  // replan_every periods since the epoch
  // Jobs stored by Submit and not yet in the core; taken in under mu_.
  std::vector<JobRecord> pending_;
  std::mutex pending_mu_;
  std::vector<std::string> recovery_notes_;
  std::mutex mu_;
};

// The HTTP status for a service error: 400 invalid argument, 404 not found,
// 409 failed precondition, 503 unavailable, 500 otherwise.
int HttpStatusFor(const Status& status);

}  // namespace sunwind

#endif  // SUNWIND_SERVICE_SERVICE_H_
