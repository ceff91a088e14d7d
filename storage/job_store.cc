#include "storage/job_store.h"

#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "storage/transaction.h"

namespace sunwind {
namespace {

using nlohmann::json;

constexpr Duration kLongestJob = std::chrono::hours(24 * 366);
constexpr double kMostPowerW = 1e6;  // 1 MW: more is a typo, not a job

constexpr const char* kJobColumns =
    "id, name, project, command_json, working_dir, env_json, duration_s, power_w, earliest_start, deadline, "
    "interruptible, min_chunk_s, checkpoint_overhead_s, allowed_regions_json, home_region, state, paused_by, "
    "created_at, updated_at, pause_mode";

int64_t Seconds(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint FromSeconds(int64_t s) { return TimePoint(Duration(s)); }

// Column readers: a value of the wrong type is a corrupt row, not a crash.
Result<int64_t> Int(const SqlValue& v, const char* column) {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  return Status::Internal(std::string("column ") + column + ": expected an integer");
}
Result<double> Real(const SqlValue& v, const char* column) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return Status::Internal(std::string("column ") + column + ": expected a number");
}
Result<std::string> Text(const SqlValue& v, const char* column) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return Status::Internal(std::string("column ") + column + ": expected text");
}

// nlohmann throws on invalid UTF-8; the caller's field is what was wrong.
Result<std::string> Dump(const json& j, std::string_view field) {
  try {
    return j.dump();
  } catch (const json::exception&) {
    return Status::InvalidArgument(std::string(field) + ": not valid UTF-8");
  }
}

Result<json> ParseStored(const std::string& text, const char* column) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Internal(std::string("column ") + column + ": not JSON");
  return j;
}

Status RequireJsonObject(const std::string& text, std::string_view field) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::InvalidArgument(std::string(field) + ": must be a JSON object");
  return Status::Ok();
}

std::string FormatJobId(int64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "j-%06lld", static_cast<long long>(n));
  return buf;
}

Result<PausedBy> ParsePausedBy(const SqlValue& v) {
  if (std::holds_alternative<std::monostate>(v)) return PausedBy::kNobody;
  SUNWIND_ASSIGN_OR_RETURN(std::string s, Text(v, "paused_by"));
  if (s == "scheduler") return PausedBy::kScheduler;
  if (s == "user") return PausedBy::kUser;
  return Status::Internal("column paused_by: unknown value \"" + s + "\"");
}

SqlValue PausedByValue(PausedBy who) {
  if (who == PausedBy::kNobody) return std::monostate{};
  return std::string(PausedByName(who));
}

Result<JobRecord> JobFromRow(const SqlRow& r) {
  JobRecord job;
  JobSubmission& s = job.submission;
  SUNWIND_ASSIGN_OR_RETURN(job.id, Text(r[0], "id"));
  SUNWIND_ASSIGN_OR_RETURN(s.name, Text(r[1], "name"));
  SUNWIND_ASSIGN_OR_RETURN(s.project, Text(r[2], "project"));
  SUNWIND_ASSIGN_OR_RETURN(std::string command_text, Text(r[3], "command_json"));
  SUNWIND_ASSIGN_OR_RETURN(s.working_dir, Text(r[4], "working_dir"));
  SUNWIND_ASSIGN_OR_RETURN(std::string env_text, Text(r[5], "env_json"));
  SUNWIND_ASSIGN_OR_RETURN(int64_t duration_s, Int(r[6], "duration_s"));
  SUNWIND_ASSIGN_OR_RETURN(s.power_w, Real(r[7], "power_w"));
  SUNWIND_ASSIGN_OR_RETURN(int64_t earliest_start, Int(r[8], "earliest_start"));
  SUNWIND_ASSIGN_OR_RETURN(int64_t deadline, Int(r[9], "deadline"));
  SUNWIND_ASSIGN_OR_RETURN(int64_t interruptible, Int(r[10], "interruptible"));
  SUNWIND_ASSIGN_OR_RETURN(int64_t min_chunk_s, Int(r[11], "min_chunk_s"));
  SUNWIND_ASSIGN_OR_RETURN(int64_t checkpoint_overhead_s, Int(r[12], "checkpoint_overhead_s"));
  SUNWIND_ASSIGN_OR_RETURN(std::string regions_text, Text(r[13], "allowed_regions_json"));
  SUNWIND_ASSIGN_OR_RETURN(s.home_region, Text(r[14], "home_region"));
  SUNWIND_ASSIGN_OR_RETURN(std::string state, Text(r[15], "state"));
  SUNWIND_ASSIGN_OR_RETURN(job.paused_by, ParsePausedBy(r[16]));
  SUNWIND_ASSIGN_OR_RETURN(int64_t created_at, Int(r[17], "created_at"));
  SUNWIND_ASSIGN_OR_RETURN(int64_t updated_at, Int(r[18], "updated_at"));
  SUNWIND_ASSIGN_OR_RETURN(s.pause_mode, Text(r[19], "pause_mode"));

  SUNWIND_ASSIGN_OR_RETURN(json command, ParseStored(command_text, "command_json"));
  SUNWIND_ASSIGN_OR_RETURN(json env, ParseStored(env_text, "env_json"));
  SUNWIND_ASSIGN_OR_RETURN(json regions, ParseStored(regions_text, "allowed_regions_json"));
  try {
    s.command = command.get<std::vector<std::string>>();
    s.env = env.get<std::map<std::string, std::string>>();
    s.allowed_regions = regions.get<std::vector<std::string>>();
  } catch (const json::exception& e) {
    return Status::Internal("job " + job.id + ": stored JSON has the wrong shape: " + e.what());
  }
  s.duration = Duration(duration_s);
  s.earliest_start = FromSeconds(earliest_start);
  s.deadline = FromSeconds(deadline);
  s.interruptible = interruptible != 0;
  s.min_chunk = Duration(min_chunk_s);
  s.checkpoint_overhead = Duration(checkpoint_overhead_s);
  auto phase = ParseJobPhase(state);
  if (!phase.ok()) return Status::Internal("job " + job.id + ": " + phase.status().message());
  job.state = *phase;
  job.created_at = FromSeconds(created_at);
  job.updated_at = FromSeconds(updated_at);
  return job;
}

Result<StoredPlan> PlanFromRow(const SqlRow& r) {
  StoredPlan p;
  SUNWIND_ASSIGN_OR_RETURN(p.version, Int(r[0], "version"));
  SUNWIND_ASSIGN_OR_RETURN(p.intervals_json, Text(r[1], "intervals_json"));
  SUNWIND_ASSIGN_OR_RETURN(p.expected_emissions_g, Real(r[2], "expected_emissions_g"));
  SUNWIND_ASSIGN_OR_RETURN(p.expected_energy_kwh, Real(r[3], "expected_energy_kwh"));
  SUNWIND_ASSIGN_OR_RETURN(int64_t created_at, Int(r[4], "created_at"));
  SUNWIND_ASSIGN_OR_RETURN(p.summary_json, Text(r[5], "summary_json"));
  p.created_at = FromSeconds(created_at);
  return p;
}

Result<ExecutorHandle> HandleFromRow(const SqlRow& r) {
  ExecutorHandle h;
  SUNWIND_ASSIGN_OR_RETURN(h.executor_kind, Text(r[0], "executor_kind"));
  SUNWIND_ASSIGN_OR_RETURN(h.handle_json, Text(r[1], "handle_json"));
  SUNWIND_ASSIGN_OR_RETURN(int64_t updated_at, Int(r[2], "updated_at"));
  h.updated_at = FromSeconds(updated_at);
  return h;
}

}  // namespace

const char* JobPhaseName(JobPhase phase) {
  switch (phase) {
    case JobPhase::kQueued: return "queued";
    case JobPhase::kRunning: return "running";
    case JobPhase::kPaused: return "paused";
    case JobPhase::kDone: return "done";
    case JobPhase::kFailed: return "failed";
    case JobPhase::kCancelled: return "cancelled";
  }
  return "unknown";
}

Result<JobPhase> ParseJobPhase(std::string_view text, std::string_view field) {
  for (JobPhase p : {JobPhase::kQueued, JobPhase::kRunning, JobPhase::kPaused, JobPhase::kDone, JobPhase::kFailed,
                     JobPhase::kCancelled}) {
    if (text == JobPhaseName(p)) return p;
  }
  return Status::InvalidArgument(std::string(field) + ": unknown state \"" + std::string(text) +
                                 "\" (queued, running, paused, done, failed, cancelled)");
}

bool IsFinal(JobPhase phase) {
  return phase == JobPhase::kDone || phase == JobPhase::kFailed || phase == JobPhase::kCancelled;
}

bool TransitionAllowed(JobPhase from, JobPhase to) {
  switch (from) {
    // Paused before it ever ran: a user holding a job.
    case JobPhase::kQueued: return to == JobPhase::kRunning || to == JobPhase::kCancelled || to == JobPhase::kPaused;
    // Back to queued: a job whose process was lost while the daemon was down
    // (no exit status recorded), to run again from its last checkpoint.
    case JobPhase::kRunning:
      return to == JobPhase::kPaused || to == JobPhase::kDone || to == JobPhase::kFailed ||
             to == JobPhase::kCancelled || to == JobPhase::kQueued;
    // Back to queued: a checkpointed job whose plan moved it to another slot.
    // paused -> paused: a user takes over a pause the scheduler made.
    case JobPhase::kPaused:
      return to == JobPhase::kRunning || to == JobPhase::kCancelled || to == JobPhase::kQueued ||
             to == JobPhase::kPaused;
    default: return false;
  }
}

const char* PausedByName(PausedBy who) {
  switch (who) {
    case PausedBy::kScheduler: return "scheduler";
    case PausedBy::kUser: return "user";
    default: return "";
  }
}

Status ValidateSubmission(const JobSubmission& s) {
  if (s.name.empty()) return Status::InvalidArgument("name: must not be empty");
  if (s.command.empty()) return Status::InvalidArgument("command: must not be empty");
  if (s.command[0].empty()) return Status::InvalidArgument("command: the program (argv[0]) must not be empty");
  for (const auto& [key, value] : s.env) {
    if (key.empty() || key.find('=') != std::string::npos) {
      return Status::InvalidArgument("env: \"" + key + "\" is not a variable name");
    }
  }
  if (s.duration <= Duration(0)) {
    return Status::InvalidArgument("duration_s: must be positive, got " + std::to_string(s.duration.count()));
  }
  if (s.duration > kLongestJob) {
    return Status::InvalidArgument("duration_s: " + std::to_string(s.duration.count()) +
                                   " is longer than 366 days");
  }
  if (!(s.power_w > 0)) return Status::InvalidArgument("power_w: must be positive, got " + std::to_string(s.power_w));
  if (s.power_w > kMostPowerW) {
    return Status::InvalidArgument("power_w: " + std::to_string(s.power_w) + " is more than 1 MW");
  }
  if (s.deadline < s.earliest_start + s.duration) {
    return Status::InvalidArgument("deadline: " + FormatTime(s.deadline) + " is before earliest_start + duration_s (" +
                                   FormatTime(s.earliest_start + s.duration) + ")");
  }
  if (s.min_chunk < Duration(0)) return Status::InvalidArgument("min_chunk_s: must not be negative");
  if (s.min_chunk > s.duration) return Status::InvalidArgument("min_chunk_s: is longer than duration_s");
  if (s.checkpoint_overhead < Duration(0)) return Status::InvalidArgument("checkpoint_overhead_s: must not be negative");
  if (s.pause_mode != "checkpoint" && s.pause_mode != "stop") {
    return Status::InvalidArgument("pause_mode: \"" + s.pause_mode + "\" is neither checkpoint nor stop");
  }
  for (const auto& r : s.allowed_regions) {
    if (r.empty()) return Status::InvalidArgument("allowed_regions: a region name is empty");
  }
  if (!s.home_region.empty() && !s.allowed_regions.empty()) {
    bool found = false;
    for (const auto& r : s.allowed_regions) found = found || r == s.home_region;
    if (!found) return Status::InvalidArgument("home_region: " + s.home_region + " is not among allowed_regions");
  }
  return Status::Ok();
}

Result<std::string> JobStore::Create(const JobSubmission& s) {
  SUNWIND_RETURN_IF_ERROR(ValidateSubmission(s));
  SUNWIND_ASSIGN_OR_RETURN(std::string command_json, Dump(json(s.command), "command"));
  SUNWIND_ASSIGN_OR_RETURN(std::string env_json, Dump(json(s.env), "env"));
  SUNWIND_ASSIGN_OR_RETURN(std::string regions_json, Dump(json(s.allowed_regions), "allowed_regions"));
  const int64_t now = Seconds(clock_.Now());

  std::lock_guard<std::mutex> lock(mu_);
  SUNWIND_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  SUNWIND_ASSIGN_OR_RETURN(auto counter, db_.Query("INSERT INTO id_counters (name, last) VALUES ('job', 1) "
                                                   "ON CONFLICT (name) DO UPDATE SET last = last + 1 RETURNING last"));
  if (counter.empty()) return Status::Internal("id_counters: no id drawn");
  SUNWIND_ASSIGN_OR_RETURN(int64_t n, Int(counter[0][0], "last"));
  std::string id = FormatJobId(n);
  SUNWIND_RETURN_IF_ERROR(db_.Exec(
      std::string("INSERT INTO jobs (") + kJobColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {id, s.name, s.project, command_json, s.working_dir, env_json, static_cast<int64_t>(s.duration.count()), s.power_w,
       Seconds(s.earliest_start), Seconds(s.deadline), static_cast<int64_t>(s.interruptible ? 1 : 0),
       static_cast<int64_t>(s.min_chunk.count()), static_cast<int64_t>(s.checkpoint_overhead.count()), regions_json,
       s.home_region, std::string("queued"), std::monostate{}, now, now, s.pause_mode}));
  SUNWIND_RETURN_IF_ERROR(db_.Exec("INSERT INTO job_events (job_id, at, from_state, to_state, reason, detail_json) "
                                   "VALUES (?, ?, NULL, 'queued', 'submitted', '{}')",
                                   {id, now}));
  SUNWIND_RETURN_IF_ERROR(tx.Commit());
  return id;
}

Result<JobRecord> JobStore::GetLocked(const std::string& id) {
  SUNWIND_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = ?", {id}));
  if (rows.empty()) return Status::NotFound("job " + id + ": no such job");
  return JobFromRow(rows[0]);
}

Status JobStore::RequireJob(const std::string& id) {
  SUNWIND_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT 1 FROM jobs WHERE id = ?", {id}));
  if (rows.empty()) return Status::NotFound("job " + id + ": no such job");
  return Status::Ok();
}

Result<JobRecord> JobStore::Get(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  return GetLocked(id);
}

Result<std::vector<JobRecord>> JobStore::List(const JobFilter& filter) {
  std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE 1";
  std::vector<SqlValue> params;
  if (filter.state) {
    sql += " AND state = ?";
    params.emplace_back(std::string(JobPhaseName(*filter.state)));
  }
  if (filter.project) {
    sql += " AND project = ?";
    params.emplace_back(*filter.project);
  }
  // Ids are "j-" + at least six digits: shorter sorts first, then by text.
  sql += " ORDER BY length(id), id";
  std::lock_guard<std::mutex> lock(mu_);
  SUNWIND_ASSIGN_OR_RETURN(auto rows, db_.Query(sql, params));
  std::vector<JobRecord> jobs;
  jobs.reserve(rows.size());
  for (const auto& r : rows) {
    SUNWIND_ASSIGN_OR_RETURN(JobRecord job, JobFromRow(r));
    jobs.push_back(std::move(job));
  }
  return jobs;
}

Status JobStore::Transition(const std::string& id, JobPhase to, const std::string& reason, PausedBy paused_by,
                            const std::string& detail_json) {
  if (to == JobPhase::kPaused && paused_by == PausedBy::kNobody) {
    return Status::InvalidArgument("paused_by: a pause needs one (scheduler or user)");
  }
  if (to != JobPhase::kPaused && paused_by != PausedBy::kNobody) {
    return Status::InvalidArgument(std::string("paused_by: only a pause has one, not a move to ") + JobPhaseName(to));
  }
  SUNWIND_RETURN_IF_ERROR(RequireJsonObject(detail_json, "detail"));
  const int64_t now = Seconds(clock_.Now());

  std::lock_guard<std::mutex> lock(mu_);
  SUNWIND_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  SUNWIND_ASSIGN_OR_RETURN(JobRecord job, GetLocked(id));
  if (!TransitionAllowed(job.state, to)) {
    return Status(StatusCode::kFailedPrecondition,
                  "job " + id + ": cannot go from " + JobPhaseName(job.state) + " to " + JobPhaseName(to));
  }
  SUNWIND_RETURN_IF_ERROR(db_.Exec("UPDATE jobs SET state = ?, paused_by = ?, updated_at = ? WHERE id = ?",
                                   {std::string(JobPhaseName(to)), PausedByValue(paused_by), now, id}));
  SUNWIND_RETURN_IF_ERROR(
      db_.Exec("INSERT INTO job_events (job_id, at, from_state, to_state, paused_by, reason, detail_json) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)",
               {id, now, std::string(JobPhaseName(job.state)), std::string(JobPhaseName(to)), PausedByValue(paused_by),
                reason, detail_json}));
  return tx.Commit();
}

Result<std::vector<JobEvent>> JobStore::Events(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  SUNWIND_RETURN_IF_ERROR(RequireJob(id));
  SUNWIND_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT seq, at, from_state, to_state, paused_by, reason, detail_json "
                                                "FROM job_events WHERE job_id = ? ORDER BY seq",
                                                {id}));
  std::vector<JobEvent> events;
  events.reserve(rows.size());
  for (const auto& r : rows) {
    JobEvent e;
    e.job_id = id;
    SUNWIND_ASSIGN_OR_RETURN(e.seq, Int(r[0], "seq"));
    SUNWIND_ASSIGN_OR_RETURN(int64_t at, Int(r[1], "at"));
    e.at = FromSeconds(at);
    if (!std::holds_alternative<std::monostate>(r[2])) {
      SUNWIND_ASSIGN_OR_RETURN(std::string from, Text(r[2], "from_state"));
      SUNWIND_ASSIGN_OR_RETURN(e.from_state, ParseJobPhase(from, "from_state"));
    }
    SUNWIND_ASSIGN_OR_RETURN(std::string to, Text(r[3], "to_state"));
    SUNWIND_ASSIGN_OR_RETURN(e.to_state, ParseJobPhase(to, "to_state"));
    SUNWIND_ASSIGN_OR_RETURN(e.paused_by, ParsePausedBy(r[4]));
    SUNWIND_ASSIGN_OR_RETURN(e.reason, Text(r[5], "reason"));
    SUNWIND_ASSIGN_OR_RETURN(e.detail_json, Text(r[6], "detail_json"));
    events.push_back(std::move(e));
  }
  return events;
}

Result<int64_t> JobStore::SavePlan(const std::string& id, const std::string& intervals_json,
                                   double expected_emissions_g, double expected_energy_kwh,
                                   const std::string& summary_json) {
  json intervals = json::parse(intervals_json, nullptr, false);
  if (intervals.is_discarded() || !intervals.is_array()) {
    return Status::InvalidArgument("intervals: must be a JSON array");
  }
  SUNWIND_RETURN_IF_ERROR(RequireJsonObject(summary_json, "summary"));
  if (!std::isfinite(expected_emissions_g) || expected_emissions_g < 0) {
    return Status::InvalidArgument("expected_emissions_g: must be a finite number >= 0");
  }
  if (!std::isfinite(expected_energy_kwh) || expected_energy_kwh < 0) {
    return Status::InvalidArgument("expected_energy_kwh: must be a finite number >= 0");
  }
  const int64_t now = Seconds(clock_.Now());

  std::lock_guard<std::mutex> lock(mu_);
  SUNWIND_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  SUNWIND_ASSIGN_OR_RETURN(JobRecord job, GetLocked(id));
  if (IsFinal(job.state)) {
    return Status(StatusCode::kFailedPrecondition,
                  "job " + id + ": is " + JobPhaseName(job.state) + "; a finished job is not planned");
  }
  SUNWIND_ASSIGN_OR_RETURN(auto rows,
                           db_.Query("SELECT COALESCE(MAX(version), 0) + 1 FROM plans WHERE job_id = ?", {id}));
  SUNWIND_ASSIGN_OR_RETURN(int64_t version, Int(rows[0][0], "version"));
  SUNWIND_RETURN_IF_ERROR(db_.Exec("INSERT INTO plans (job_id, version, intervals_json, expected_emissions_g, "
                                   "expected_energy_kwh, created_at, summary_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                   {id, version, intervals_json, expected_emissions_g, expected_energy_kwh, now,
                                    summary_json}));
  SUNWIND_RETURN_IF_ERROR(tx.Commit());
  return version;
}

Result<std::optional<StoredPlan>> JobStore::GetPlan(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  SUNWIND_RETURN_IF_ERROR(RequireJob(id));
  return GetPlanLocked(id);
}

Result<std::optional<StoredPlan>> JobStore::GetPlanLocked(const std::string& id) {
  SUNWIND_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT version, intervals_json, expected_emissions_g, "
                                                "expected_energy_kwh, created_at, summary_json FROM plans WHERE job_id = ? "
                                                "ORDER BY version DESC LIMIT 1",
                                                {id}));
  if (rows.empty()) return std::optional<StoredPlan>();
  SUNWIND_ASSIGN_OR_RETURN(StoredPlan plan, PlanFromRow(rows[0]));
  return std::optional<StoredPlan>(std::move(plan));
}

Status JobStore::SaveHandle(const std::string& id, const std::string& executor_kind, const std::string& handle_json) {
  if (executor_kind.empty()) return Status::InvalidArgument("executor_kind: must not be empty");
  SUNWIND_RETURN_IF_ERROR(RequireJsonObject(handle_json, "handle"));
  const int64_t now = Seconds(clock_.Now());

  std::lock_guard<std::mutex> lock(mu_);
  SUNWIND_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  SUNWIND_RETURN_IF_ERROR(RequireJob(id));
  SUNWIND_RETURN_IF_ERROR(db_.Exec("INSERT INTO executor_handles (job_id, executor_kind, handle_json, updated_at) "
                                   "VALUES (?, ?, ?, ?) ON CONFLICT (job_id) DO UPDATE SET "
                                   "executor_kind = excluded.executor_kind, handle_json = excluded.handle_json, "
                                   "updated_at = excluded.updated_at",
                                   {id, executor_kind, handle_json, now}));
  return tx.Commit();
}

Result<std::optional<ExecutorHandle>> JobStore::GetHandle(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  SUNWIND_RETURN_IF_ERROR(RequireJob(id));
  return GetHandleLocked(id);
}

Result<std::optional<ExecutorHandle>> JobStore::GetHandleLocked(const std::string& id) {
  SUNWIND_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT executor_kind, handle_json, updated_at FROM executor_handles "
                                                "WHERE job_id = ?",
                                                {id}));
  if (rows.empty()) return std::optional<ExecutorHandle>();
  SUNWIND_ASSIGN_OR_RETURN(ExecutorHandle handle, HandleFromRow(rows[0]));
  return std::optional<ExecutorHandle>(std::move(handle));
}

Result<std::vector<RecoveredJob>> JobStore::Recover() {
  std::lock_guard<std::mutex> lock(mu_);
  // One read transaction: a consistent snapshot even while another process
  // writes the file.
  SUNWIND_RETURN_IF_ERROR(db_.Exec("BEGIN"));
  auto out = RecoverLocked();
  (void)db_.Exec(out.ok() ? "COMMIT" : "ROLLBACK");
  return out;
}

Result<std::vector<RecoveredJob>> JobStore::RecoverLocked() {
  SUNWIND_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT ") + kJobColumns +
                                                " FROM jobs WHERE state IN ('running', 'paused') "
                                                "ORDER BY length(id), id"));
  std::vector<RecoveredJob> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    RecoveredJob r;
    SUNWIND_ASSIGN_OR_RETURN(r.job, JobFromRow(row));
    SUNWIND_ASSIGN_OR_RETURN(r.handle, GetHandleLocked(r.job.id));
    SUNWIND_ASSIGN_OR_RETURN(r.plan, GetPlanLocked(r.job.id));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace sunwind
