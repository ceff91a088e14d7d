// A write transaction on a Database that rolls back unless committed, so an
// early return (an error, a refused change) leaves nothing half-written.
#ifndef SUNWIND_STORAGE_TRANSACTION_H_
#define SUNWIND_STORAGE_TRANSACTION_H_

#include "core/status.h"
#include "storage/database.h"

namespace sunwind {

class Transaction {
 public:
  // BEGIN IMMEDIATE: takes the write lock up front (waiting up to the
  // database's busy timeout), so a read-then-write inside cannot fail half
  // way because another connection wrote in between.
  static Result<Transaction> Begin(Database& db);

  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();  // ROLLBACK unless Commit() succeeded

  Status Commit();

 private:
  explicit Transaction(Database& db) : db_(&db) {}
  Database* db_;  // null once committed or moved from
};

}  // namespace sunwind

#endif  // SUNWIND_STORAGE_TRANSACTION_H_
