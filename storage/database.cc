#include "storage/database.h"

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
  SUNWIND_RETURN_IF_ERROR(out->Migrate());
  return out;
}

Database::~Database() { sqlite3_close(db_); }

Result<std::vector<SqlRow>> Database::Query(const std::string& sql, const std::vector<SqlValue>& params) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    return Status::Internal("database " + path_ + ": " + sqlite3_errmsg(db_));
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
    return Status::Unavailable("database " + path_ + ": " + msg);
  }
  sqlite3_finalize(stmt);
  return rows;
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
    Status st = Exec(migrations[v]);
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
