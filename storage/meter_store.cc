#include "storage/meter_store.h"

#include <cmath>
#include <map>
#include <tuple>

#include "storage/transaction.h"

namespace sunwind {
namespace {

constexpr const char* kColumns =
    "job_id, at, interval_s, cpu_w, gpu_w, ram_w, cpu_uj, gpu_uj, ram_uj, cpu_method, gpu_method, ram_method, merged";

// A value of the wrong type is a corrupt row, not a crash.
template <typename T>
Status Read(const SqlValue& v, const char* column, T& out) {
  if constexpr (std::is_same_v<T, double>) {
    if (const auto* i = std::get_if<int64_t>(&v)) {
      out = static_cast<double>(*i);
      return Status::Ok();
    }
  }
  if (const auto* x = std::get_if<T>(&v)) {
    out = *x;
    return Status::Ok();
  }
  return Status::Internal(std::string("meter_samples.") + column + ": unexpected type");
}

// Reads the columns of kColumns starting at row[first].
Result<StoredMeterSample> FromRow(const SqlRow& row, size_t first) {
  StoredMeterSample s;
  size_t i = first;
  SUNWIND_RETURN_IF_ERROR(Read(row[i++], "job_id", s.job_id));
  SUNWIND_RETURN_IF_ERROR(Read(row[i++], "at", s.at_unix_s));
  SUNWIND_RETURN_IF_ERROR(Read(row[i++], "interval_s", s.interval_s));
  SUNWIND_RETURN_IF_ERROR(Read(row[i++], "cpu_w", s.cpu_w));
  SUNWIND_RETURN_IF_ERROR(Read(row[i++], "gpu_w", s.gpu_w));
  SUNWIND_RETURN_IF_ERROR(Read(row[i++], "ram_w", s.ram_w));
  SUNWIND_RETURN_IF_ERROR(Read(row[i++], "cpu_uj", s.cpu_uj));
  SUNWIND_RETURN_IF_ERROR(Read(row[i++], "gpu_uj", s.gpu_uj));
  SUNWIND_RETURN_IF_ERROR(Read(row[i++], "ram_uj", s.ram_uj));
  SUNWIND_RETURN_IF_ERROR(Read(row[i++], "cpu_method", s.cpu_method));
  SUNWIND_RETURN_IF_ERROR(Read(row[i++], "gpu_method", s.gpu_method));
  SUNWIND_RETURN_IF_ERROR(Read(row[i++], "ram_method", s.ram_method));
  SUNWIND_RETURN_IF_ERROR(Read(row[i++], "merged", s.merged));
  return s;
}

Status Insert(Database& db, const StoredMeterSample& s) {
  return db.Exec(std::string("INSERT INTO meter_samples (") + kColumns + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                 {s.job_id, s.at_unix_s, s.interval_s, s.cpu_w, s.gpu_w, s.ram_w, s.cpu_uj, s.gpu_uj, s.ram_uj,
                  s.cpu_method, s.gpu_method, s.ram_method, s.merged});
}

}  // namespace

int64_t ToMicrojoules(double joules) { return static_cast<int64_t>(std::llround(joules * 1e6)); }

Status MeterStore::Append(const std::vector<StoredMeterSample>& batch) {
  for (size_t i = 0; i < batch.size(); ++i) {
    const StoredMeterSample& s = batch[i];
    const std::string which = "sample " + std::to_string(i) + ": ";
    if (s.job_id.empty()) return Status::InvalidArgument(which + "job_id: must not be empty");
    if (!(s.interval_s > 0)) return Status::InvalidArgument(which + "interval_s: must be positive");
    if (s.cpu_uj < 0 || s.gpu_uj < 0 || s.ram_uj < 0)
      return Status::InvalidArgument(which + "energy: must not be negative");
  }
  if (batch.empty()) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  SUNWIND_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  for (const StoredMeterSample& s : batch) SUNWIND_RETURN_IF_ERROR(Insert(db_, s));
  return tx.Commit();
}

Result<std::vector<StoredMeterSample>> MeterStore::ForJob(const std::string& job_id, std::optional<double> since) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string sql = std::string("SELECT ") + kColumns + " FROM meter_samples WHERE job_id = ?";
  SUNWIND_ASSIGN_OR_RETURN(auto rows, since ? db_.Query(sql + " AND at > ? ORDER BY at, id", {job_id, *since})
                                            : db_.Query(sql + " ORDER BY at, id", {job_id}));
  std::vector<StoredMeterSample> out;
  out.reserve(rows.size());
  for (const SqlRow& row : rows) {
    SUNWIND_ASSIGN_OR_RETURN(StoredMeterSample s, FromRow(row, 0));
    out.push_back(std::move(s));
  }
  return out;
}

Result<MeterTotals> MeterStore::Totals(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  SUNWIND_ASSIGN_OR_RETURN(auto rows, db_.Query("SELECT COALESCE(SUM(merged), 0), COUNT(*), COALESCE(SUM(cpu_uj), 0), "
                                                "COALESCE(SUM(gpu_uj), 0), COALESCE(SUM(ram_uj), 0), "
                                                "COALESCE(SUM(interval_s), 0.0) FROM meter_samples WHERE job_id = ?",
                                                {job_id}));
  MeterTotals t;
  const SqlRow& r = rows.at(0);
  SUNWIND_RETURN_IF_ERROR(Read(r[0], "merged", t.samples));
  SUNWIND_RETURN_IF_ERROR(Read(r[1], "count", t.rows));
  SUNWIND_RETURN_IF_ERROR(Read(r[2], "cpu_uj", t.cpu_uj));
  SUNWIND_RETURN_IF_ERROR(Read(r[3], "gpu_uj", t.gpu_uj));
  SUNWIND_RETURN_IF_ERROR(Read(r[4], "ram_uj", t.ram_uj));
  SUNWIND_RETURN_IF_ERROR(Read(r[5], "interval_s", t.metered_s));
  return t;
}

Result<DownsampleResult> MeterStore::Downsample(double older_than_unix_s, double bucket_s) {
  if (!(bucket_s > 0)) return Status::InvalidArgument("bucket_s: must be positive");
  std::lock_guard<std::mutex> lock(mu_);
  SUNWIND_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db_));
  SUNWIND_ASSIGN_OR_RETURN(auto rows, db_.Query(std::string("SELECT id, ") + kColumns +
                                                    " FROM meter_samples WHERE at < ? ORDER BY job_id, at, id",
                                                {older_than_unix_s}));
  // (job, methods, bucket) -> the rows' ids and their merged sum.
  using Key = std::tuple<std::string, std::string, std::string, std::string, int64_t>;
  std::map<Key, std::pair<std::vector<int64_t>, StoredMeterSample>> groups;
  DownsampleResult result;
  result.rows_before = static_cast<int64_t>(rows.size());
  for (const SqlRow& row : rows) {
    int64_t id = 0;
    SUNWIND_RETURN_IF_ERROR(Read(row[0], "id", id));
    SUNWIND_ASSIGN_OR_RETURN(StoredMeterSample s, FromRow(row, 1));
    const auto bucket = static_cast<int64_t>(std::floor((s.at_unix_s - s.interval_s) / bucket_s));
    auto [it, fresh] = groups.try_emplace(Key{s.job_id, s.cpu_method, s.gpu_method, s.ram_method, bucket});
    auto& [ids, sum] = it->second;
    ids.push_back(id);
    if (fresh) {
      sum = s;
      continue;
    }
    sum.at_unix_s = std::max(sum.at_unix_s, s.at_unix_s);
    sum.interval_s += s.interval_s;
    sum.cpu_uj += s.cpu_uj;
    sum.gpu_uj += s.gpu_uj;
    sum.ram_uj += s.ram_uj;
    sum.merged += s.merged;
  }
  for (auto& [key, group] : groups) {
    auto& [ids, sum] = group;
    ++result.rows_after;
    if (ids.size() < 2) continue;
    for (int64_t id : ids) SUNWIND_RETURN_IF_ERROR(db_.Exec("DELETE FROM meter_samples WHERE id = ?", {id}));
    sum.cpu_w = static_cast<double>(sum.cpu_uj) / 1e6 / sum.interval_s;
    sum.gpu_w = static_cast<double>(sum.gpu_uj) / 1e6 / sum.interval_s;
    sum.ram_w = static_cast<double>(sum.ram_uj) / 1e6 / sum.interval_s;
    SUNWIND_RETURN_IF_ERROR(Insert(db_, sum));
  }
  SUNWIND_RETURN_IF_ERROR(tx.Commit());
  return result;
}

}  // namespace sunwind
