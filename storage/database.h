// sunwind's SQLite database: one file on disk, its schema brought up to date
// by numbered migrations when opened. The only place that includes sqlite3.h
// is database.cc; repositories (AnswerCache, ...) use the small API below.
#ifndef SUNWIND_STORAGE_DATABASE_H_
#define SUNWIND_STORAGE_DATABASE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/status.h"

struct sqlite3;

namespace sunwind {

// A bound parameter or a column value.
using SqlValue = std::variant<std::monostate, int64_t, double, std::string>;
using SqlRow = std::vector<SqlValue>;

class Database {
 public:
  // Opens (creating it and its parent directory if needed) the database at
  // path, or ":memory:", and applies every migration it lacks. WAL mode and a
  // busy timeout let several sunwind processes share one file.
  static Result<std::unique_ptr<Database>> Open(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one statement with ? parameters; returns the rows it yields.
  Result<std::vector<SqlRow>> Query(const std::string& sql, const std::vector<SqlValue>& params = {});
  Status Exec(const std::string& sql, const std::vector<SqlValue>& params = {});
  // Runs a script of several statements without parameters (migrations).
  // Errors: kFailedPrecondition for a violated constraint, kUnavailable for a
  // busy, locked or failing disk, kInternal otherwise (Query and Exec alike).
  Status ExecScript(const std::string& sql);

  // The schema version after migrations (the number of migrations applied).
  int schema_version() const { return schema_version_; }
  const std::string& path() const { return path_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status Migrate();

  sqlite3* db_;
  std::string path_;
  int schema_version_ = 0;
};

// The migrations, in order; migration i brings the schema to version i + 1.
const std::vector<std::string>& Migrations();

}  // namespace sunwind

#endif  // SUNWIND_STORAGE_DATABASE_H_
