#include "storage/transaction.h"

namespace sunwind {

Result<Transaction> Transaction::Begin(Database& db) {
  SUNWIND_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  return Transaction(db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  if (db_ == nullptr) return Status::Internal("transaction already finished");
  Status st = db_->Exec("COMMIT");
  // On failure the destructor still rolls back, as SQLite leaves the
  // transaction open when COMMIT is refused (SQLITE_BUSY).
  if (st.ok()) db_ = nullptr;
  return st;
}

}  // namespace sunwind
