// The daemon's durable record of jobs: what each user submitted, where each
// job stands in its lifecycle, its plans, the append-only log of its state
// transitions, and the executor's handle to it once launched. A daemon that
// was killed finds all of it again on restart (Recover()).
//
// On disk (schema in storage/database.cc, migrations 3-14): times are Unix
// seconds, UTC; durations are whole seconds; argv, env, regions, plan
// intervals, event details and handles are JSON text. Rows are never deleted.
//
// Every change that touches more than one row (a job and its first event, a
// state and its event, a plan and its version number) is one SQLite
// transaction: a crash leaves either all of it or none of it.
//
// Thread safety: calls on one JobStore are serialised by its mutex. Other
// users of the same Database must not run statements while a JobStore call is
// in flight (one connection carries one transaction); give each thread its
// own Database on the same file instead (WAL lets them share it).
#ifndef SUNWIND_STORAGE_JOB_STORE_H_
#define SUNWIND_STORAGE_JOB_STORE_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "storage/database.h"

namespace sunwind {

// A job's lifecycle. Allowed transitions:
//   queued  -> running | cancelled | paused (held by a user before it ran)
//   running -> paused | done | failed | cancelled | queued (its process was
//              lost while the daemon was down: it runs again)
//   paused  -> running | cancelled | queued | paused (a user takes over a
//              pause the scheduler made)
// done, failed and cancelled are final.
enum class JobPhase { kQueued, kRunning, kPaused, kDone, kFailed, kCancelled };

// "queued", "running", ... as in the API and on disk.
const char* JobPhaseName(JobPhase phase);
// The phase named `text`; InvalidArgument naming `field` when it is none.
Result<JobPhase> ParseJobPhase(std::string_view text, std::string_view field = "state");
bool IsFinal(JobPhase phase);
bool TransitionAllowed(JobPhase from, JobPhase to);

// Who paused a paused job. The scheduler never resumes a job a user paused;
// that rule is the scheduler's, this only records who it was.
enum class PausedBy { kNobody, kScheduler, kUser };
const char* PausedByName(PausedBy who);  // "", "scheduler", "user"

// What a user asks for, as the API body carries it (units in the names of the
// JSON fields: duration_s, power_w, ...). Storage sits below the scheduler, so
// this is not scheduler::JobSpec; the service maps one onto the other.
struct JobSubmission {
  std::string name;
  std::string project;
  std::vector<std::string> command;  // argv; argv[0] non-empty
  std::string working_dir;
  std::map<std::string, std::string> env;
  Duration duration{0};  // running time at full power; (0, 366 days]
  double power_w = 0;    // (0, 1 MW]
  TimePoint earliest_start{};
  TimePoint deadline{};  // >= earliest_start + duration
  bool interruptible = false;
  Duration min_chunk{0};            // >= 0; interruptible only
  Duration checkpoint_overhead{0};  // >= 0; interruptible only
  // How a pause stops it: "checkpoint" (its signal, it saves and exits, and
  // is relaunched with SUNWIND_RESUME=1) or "stop" (SIGSTOP/SIGCONT).
  std::string pause_mode = "checkpoint";
  std::vector<std::string> allowed_regions;  // empty: the home region only
  std::string home_region;  // empty: the service's default region
};

// InvalidArgument naming the first bad field ("duration_s: ...") or OK.
Status ValidateSubmission(const JobSubmission& submission);

struct JobRecord {
  std::string id;  // "j-000001", ...: in order of submission
  JobSubmission submission;
  JobPhase state = JobPhase::kQueued;
  PausedBy paused_by = PausedBy::kNobody;  // set exactly when paused
  TimePoint created_at{};
  TimePoint updated_at{};  // the last transition
};

struct JobFilter {
  std::optional<JobPhase> state;
  std::optional<std::string> project;
};

// One version of a job's plan. The scheduler owns the intervals' shape; the
// store only checks that they are a JSON array.
struct StoredPlan {
  int64_t version = 0;  // 1, 2, ...: the highest is current
  std::string intervals_json;
  double expected_emissions_g = 0;
  double expected_energy_kwh = 0;
  // A JSON object: the run-now counterfactual, the saving, the data's source.
  std::string summary_json = "{}";
  TimePoint created_at{};
};

// One entry of a job's history.
struct JobEvent {
  int64_t seq = 0;  // increases across all jobs, in the order of commits
  std::string job_id;
  TimePoint at{};
  std::optional<JobPhase> from_state;  // nullopt for the submission
  JobPhase to_state = JobPhase::kQueued;
  PausedBy paused_by = PausedBy::kNobody;  // who paused, on a pause
  std::string reason;
  std::string detail_json = "{}";
};

// How an executor finds a launched job again: for the local executor
// {"pid":..., "start_time":..., "stdout":..., "stderr":...}. The executor
// owns its shape; the store only checks it is a JSON object.
struct ExecutorHandle {
  std::string executor_kind;  // "local", "slurm", ...
  std::string handle_json;
  TimePoint updated_at{};
};

// A job that was running or paused when the daemon stopped, with what it
// takes to re-adopt it.
struct RecoveredJob {
  JobRecord job;
  std::optional<ExecutorHandle> handle;
  std::optional<StoredPlan> plan;
};

class JobStore {
 public:
  // db and clock must outlive the store. The clock stamps created_at,
  // updated_at and event times.
  JobStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Validates and stores a new queued job with its first event ("queued",
  // reason "submitted"), in one transaction; returns its id. Nothing is
  // stored when it fails.
  Result<std::string> Create(const JobSubmission& submission);

  // NotFound when there is no such job.
  Result<JobRecord> Get(const std::string& id);
  // In order of submission.
  Result<std::vector<JobRecord>> List(const JobFilter& filter = {});

  // Moves the job to `to` and appends the event, in one transaction.
  // paused_by must be kScheduler or kUser exactly when `to` is paused.
  // detail_json must be a JSON object. A refused transition changes nothing:
  // FailedPrecondition "job j-000001: cannot go from done to running".
  Status Transition(const std::string& id, JobPhase to, const std::string& reason,
                    PausedBy paused_by = PausedBy::kNobody, const std::string& detail_json = "{}");

  // The job's history, oldest first.
  Result<std::vector<JobEvent>> Events(const std::string& id);

  // Adds the next version of the job's plan; returns its version number.
  Result<int64_t> SavePlan(const std::string& id, const std::string& intervals_json,
                           double expected_emissions_g, double expected_energy_kwh,
                           const std::string& summary_json = "{}");
  // The current (highest) version; nullopt when never planned.
  Result<std::optional<StoredPlan>> GetPlan(const std::string& id);

  // Records (replacing any earlier one) how the executor finds the job.
  Status SaveHandle(const std::string& id, const std::string& executor_kind, const std::string& handle_json);
  Result<std::optional<ExecutorHandle>> GetHandle(const std::string& id);

  // Jobs that were running or paused, in order of submission, for the
  // restarted daemon to re-adopt (running) or keep (paused). Queued jobs
  // need nothing: List() finds them and GetPlan() their plans.
  Result<std::vector<RecoveredJob>> Recover();

 private:
  // The *Locked helpers expect mu_ held.
  Result<JobRecord> GetLocked(const std::string& id);
  Result<std::optional<StoredPlan>> GetPlanLocked(const std::string& id);
  Result<std::optional<ExecutorHandle>> GetHandleLocked(const std::string& id);
  Result<std::vector<RecoveredJob>> RecoverLocked();
  Status RequireJob(const std::string& id);

  Database& db_;
  const Clock& clock_;
  std::mutex mu_;
};

}  // namespace sunwind

#endif  // SUNWIND_STORAGE_JOB_STORE_H_
