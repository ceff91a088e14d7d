#include "storage/database.h"

#include <cctype>

#include <sqlite3.h>

#include <filesystem>

namespace sunwind {

const std::vector<std::string>& Migrations() {
  static const std::vector<std::string> migrations = {
      // 1: the provider answer cache. key = provider + request (never a
      // credential); times in Unix seconds; expires_at NULL = never.
      "CREATE TABLE provider_answers ("
      "  provider TEXT NOT NULL,"
      "  key TEXT NOT NULL,"
      "  kind TEXT NOT NULL,"
      "  body TEXT NOT NULL,"
      "  fetched_at INTEGER NOT NULL,"
      "  expires_at INTEGER,"
      "  PRIMARY KEY (provider, key));",
      // 2: requests sent per provider and UTC day, for the daily budget.
      "CREATE TABLE provider_requests ("
      "  provider TEXT NOT NULL,"
      "  day TEXT NOT NULL,"
      "  count INTEGER NOT NULL,"
      "  PRIMARY KEY (provider, day));",
      // 3-12: the job store (storage/job_store.h). One statement each:
      // Database::Exec runs only the first statement of a string.
      // Times are Unix seconds (UTC); durations are seconds; lists and maps
      // are JSON text. Rows are never deleted, so ids and seqs only grow.
      // 3: jobs, one row per submission; state is the lifecycle phase.
      "CREATE TABLE jobs ("
      "  id TEXT PRIMARY KEY,"
      "  name TEXT NOT NULL,"
      "  project TEXT NOT NULL,"
      "  command_json TEXT NOT NULL,"
      "  working_dir TEXT NOT NULL,"
      "  env_json TEXT NOT NULL,"
      "  duration_s INTEGER NOT NULL,"
      "  power_w REAL NOT NULL,"
      "  earliest_start INTEGER NOT NULL,"
      "  deadline INTEGER NOT NULL,"
      "  interruptible INTEGER NOT NULL,"
      "  min_chunk_s INTEGER NOT NULL,"
      "  checkpoint_overhead_s INTEGER NOT NULL,"
      "  allowed_regions_json TEXT NOT NULL,"
      "  home_region TEXT NOT NULL,"
      "  state TEXT NOT NULL CHECK (state IN ('queued','running','paused','done','failed','cancelled')),"
      "  paused_by TEXT CHECK (paused_by IN ('scheduler','user')),"
      "  created_at INTEGER NOT NULL,"
      "  updated_at INTEGER NOT NULL);",
      // 4: plans; a re-plan adds a version, the highest one is current.
      "CREATE TABLE plans ("
      "  job_id TEXT NOT NULL REFERENCES jobs(id),"
      "  version INTEGER NOT NULL,"
      "  intervals_json TEXT NOT NULL,"
      "  expected_emissions_g REAL NOT NULL,"
      "  expected_energy_kwh REAL NOT NULL,"
      "  created_at INTEGER NOT NULL,"
      "  PRIMARY KEY (job_id, version));",
      // 5: the append-only log of state transitions; from_state NULL on the
      // first event (the submission); paused_by set on pauses only.
      "CREATE TABLE job_events ("
      "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
      "  job_id TEXT NOT NULL REFERENCES jobs(id),"
      "  at INTEGER NOT NULL,"
      "  from_state TEXT,"
      "  to_state TEXT NOT NULL,"
      "  paused_by TEXT CHECK (paused_by IN ('scheduler','user')),"
      "  reason TEXT NOT NULL,"
      "  detail_json TEXT NOT NULL);",
      // 6: how to find a launched job again after a restart; replaced on
      // each launch.
      "CREATE TABLE executor_handles ("
      "  job_id TEXT PRIMARY KEY REFERENCES jobs(id),"
      "  executor_kind TEXT NOT NULL,"
      "  handle_json TEXT NOT NULL,"
      "  updated_at INTEGER NOT NULL);",
      // 7: the counter job ids are drawn from ("j-000001", ...).
      "CREATE TABLE id_counters ("
      "  name TEXT PRIMARY KEY,"
      "  last INTEGER NOT NULL);",
      // 8-9: listing by state (recovery, the scheduler's queue) and project.
      "CREATE INDEX jobs_by_state ON jobs (state);",
      "CREATE INDEX jobs_by_project ON jobs (project, state);",
      // 10: a job's history in order.
      "CREATE INDEX job_events_by_job ON job_events (job_id, seq);",
      // 11-12: the log is append-only: the database itself refuses edits.
      "CREATE TRIGGER job_events_no_update BEFORE UPDATE ON job_events "
      "BEGIN SELECT RAISE(ABORT, 'job_events is append-only'); END;",
      "CREATE TRIGGER job_events_no_delete BEFORE DELETE ON job_events "
      "BEGIN SELECT RAISE(ABORT, 'job_events is append-only'); END;",
      // 13: how a job is paused: 'checkpoint' (signal, exit, relaunch) or
      // 'stop' (SIGSTOP/SIGCONT). Jobs stored before it checkpoint.
      "ALTER TABLE jobs ADD COLUMN pause_mode TEXT NOT NULL DEFAULT 'checkpoint' "
      "CHECK (pause_mode IN ('checkpoint','stop'));",
      // 14: what a plan is compared with (the run-now counterfactual, the
      // saving) and where its intensities came from, as a JSON object.
      "ALTER TABLE plans ADD COLUMN summary_json TEXT NOT NULL DEFAULT '{}';",
      // 15: what the daemon's meter measured per job (storage/meter_store.h):
      // energy in integer microjoules so retention's merges keep totals exact.
      // IF NOT EXISTS: a file whose version was set back keeps its samples.
      "CREATE TABLE IF NOT EXISTS meter_samples (id INTEGER PRIMARY KEY, job_id TEXT NOT NULL, at REAL NOT NULL, "
      "interval_s REAL NOT NULL CHECK (interval_s > 0), cpu_w REAL NOT NULL, gpu_w REAL NOT NULL, "
      "ram_w REAL NOT NULL, cpu_uj INTEGER NOT NULL, gpu_uj INTEGER NOT NULL, ram_uj INTEGER NOT NULL, "
      "cpu_method TEXT NOT NULL, gpu_method TEXT NOT NULL, ram_method TEXT NOT NULL, "
      "merged INTEGER NOT NULL DEFAULT 1);"
      "CREATE INDEX IF NOT EXISTS meter_samples_by_job ON meter_samples (job_id, at);"
      "CREATE INDEX IF NOT EXISTS meter_samples_by_at ON meter_samples (at);",
  };
  return migrations;
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  if (path != ":memory:") {
    std::error_code ec;
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) return Status::Unavailable("database " + path + ": cannot create " + parent.string() + ": " + ec.message());
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Status::Unavailable("database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<Database> out(new Database(db, path));
  if (path != ":memory:") {
    auto wal = out->Query("PRAGMA journal_mode=WAL");
    if (!wal.ok()) return wal.status();
  }
  // SQLite ignores REFERENCES clauses unless asked, per connection.
  SUNWIND_RETURN_IF_ERROR(out->Exec("PRAGMA foreign_keys = ON"));
  SUNWIND_RETURN_IF_ERROR(out->Migrate());
  return out;
}

Database::~Database() { sqlite3_close(db_); }

namespace {
// What a failed step means to the caller: refused data is not a passing
// outage (kUnavailable would send a provider chain to the next source).
Status StatusForSqlite(int rc, const std::string& message) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT: return Status(StatusCode::kFailedPrecondition, message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN: return Status::Unavailable(message);
    default: return Status::Internal(message);
  }
}
}  // namespace

Result<std::vector<SqlRow>> Database::Query(const std::string& sql, const std::vector<SqlValue>& params) {
  sqlite3_stmt* stmt = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, &tail) != SQLITE_OK) {
    return Status::Internal("database " + path_ + ": " + sqlite3_errmsg(db_));
  }
  // A second statement would be skipped silently: refuse it (ExecScript runs several).
  for (const char* t = tail; t && *t; ++t) {
    if (!std::isspace(static_cast<unsigned char>(*t))) {
      sqlite3_finalize(stmt);
      return Status::Internal("database " + path_ + ": Query runs one statement; use ExecScript for several");
    }
  }
  for (size_t i = 0; i < params.size(); ++i) {
    int idx = static_cast<int>(i + 1);
    const auto& p = params[i];
    if (std::holds_alternative<int64_t>(p)) sqlite3_bind_int64(stmt, idx, std::get<int64_t>(p));
    else if (std::holds_alternative<double>(p)) sqlite3_bind_double(stmt, idx, std::get<double>(p));
    else if (std::holds_alternative<std::string>(p)) {
      const auto& s = std::get<std::string>(p);
      sqlite3_bind_text(stmt, idx, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    } else sqlite3_bind_null(stmt, idx);
  }
  std::vector<SqlRow> rows;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    SqlRow row;
    int n = sqlite3_column_count(stmt);
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER: row.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, c))); break;
        case SQLITE_FLOAT: row.emplace_back(sqlite3_column_double(stmt, c)); break;
        case SQLITE_NULL: row.emplace_back(std::monostate{}); break;
        default: {
          const char* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          row.emplace_back(std::string(text ? text : "", sqlite3_column_bytes(stmt, c)));
        }
      }
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) {
    std::string msg = sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    return StatusForSqlite(rc, "database " + path_ + ": " + msg);
  }
  sqlite3_finalize(stmt);
  return rows;
}

Status Database::ExecScript(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string msg = err ? err : sqlite3_errmsg(db_);
  sqlite3_free(err);
  return StatusForSqlite(rc, "database " + path_ + ": " + msg);
}

Status Database::Exec(const std::string& sql, const std::vector<SqlValue>& params) {
  auto r = Query(sql, params);
  return r.ok() ? Status::Ok() : r.status();
}

Status Database::Migrate() {
  SUNWIND_RETURN_IF_ERROR(Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
  SUNWIND_ASSIGN_OR_RETURN(auto rows, Query("SELECT version FROM schema_version"));
  int version = 0;
  if (rows.empty()) {
    SUNWIND_RETURN_IF_ERROR(Exec("INSERT INTO schema_version (version) VALUES (0)"));
  } else {
    version = static_cast<int>(std::get<int64_t>(rows[0][0]));
  }
  const auto& migrations = Migrations();
  if (version > static_cast<int>(migrations.size())) {
    return Status(StatusCode::kFailedPrecondition,
                  "database " + path_ + ": schema version " + std::to_string(version) +
                      " is newer than this sunwind knows (" + std::to_string(migrations.size()) + ")");
  }
  for (int v = version; v < static_cast<int>(migrations.size()); ++v) {
    SUNWIND_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    // Another process may have migrated while we waited for the lock.
    SUNWIND_ASSIGN_OR_RETURN(auto now_rows, Query("SELECT version FROM schema_version"));
    int now = static_cast<int>(std::get<int64_t>(now_rows[0][0]));
    if (now > v) {
      SUNWIND_RETURN_IF_ERROR(Exec("COMMIT"));
      v = now - 1;
      continue;
    }
    Status st = ExecScript(migrations[v]);
    if (st.ok()) st = Exec("UPDATE schema_version SET version = ?", {static_cast<int64_t>(v + 1)});
    if (!st.ok()) {
      (void)Exec("ROLLBACK");
      return st.WithContext("migration " + std::to_string(v + 1));
    }
    SUNWIND_RETURN_IF_ERROR(Exec("COMMIT"));
  }
  schema_version_ = static_cast<int>(migrations.size());
  return Status::Ok();
}

}  // namespace sunwind
