// What the daemon's meter measured for each job, sample by sample, in SQLite
// (table meter_samples, migration 15), and its retention.
//
// Energy is stored as integer microjoules so that totals are exact under any
// merging: downsampling adds integers, and a job's energy before and after
// retention is the same to the microjoule (floating-point sums would drift in
// the last bits with the order of the additions). Times are Unix seconds
// (UTC, sub-second allowed); `at` is the END of the sample's interval, so a
// sample covers [at - interval_s, at).
//
// Thread safety: calls on one MeterStore are serialised by its mutex. As with
// JobStore, other users of the same Database must not run statements while a
// call is in flight; the sampler thread should have its own Database on the
// same file (WAL lets them share it).
#ifndef SUNWIND_STORAGE_METER_STORE_H_
#define SUNWIND_STORAGE_METER_STORE_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "storage/database.h"

namespace sunwind {

struct StoredMeterSample {
  std::string job_id;
  double at_unix_s = 0;   // end of the interval
  double interval_s = 0;  // > 0; for a merged row, the time its samples covered
  double cpu_w = 0, gpu_w = 0, ram_w = 0;  // mean power over the interval
  int64_t cpu_uj = 0, gpu_uj = 0, ram_uj = 0;  // energy, microjoules
  // How each component was measured: "rapl", "tdp-model", "nvml-energy-counter",
  // "nvml-power-sampling", "ram-model", "none", ...
  std::string cpu_method, gpu_method, ram_method;
  int64_t merged = 1;  // raw samples this row holds (> 1 after downsampling)
};

// A job's energy over all its rows.
struct MeterTotals {
  int64_t samples = 0;  // raw samples, merged ones counted by what they hold
  int64_t rows = 0;
  int64_t cpu_uj = 0, gpu_uj = 0, ram_uj = 0;
  double metered_s = 0;  // Σ interval_s
};

struct DownsampleResult {
  int64_t rows_before = 0;  // rows older than the cutoff that were looked at
  int64_t rows_after = 0;   // what they became
};

// Joules to the stored microjoules (rounded to the nearest).
int64_t ToMicrojoules(double joules);

class MeterStore {
 public:
  // db must outlive the store.
  explicit MeterStore(Database& db) : db_(db) {}

  // Stores a batch in one transaction: all of it or none. InvalidArgument
  // (nothing stored) for an empty job id, a non-positive interval or
  // negative energy, naming the sample.
  Status Append(const std::vector<StoredMeterSample>& batch);

  // The job's rows, oldest first; only those ending after `since_unix_s`
  // when given.
  Result<std::vector<StoredMeterSample>> ForJob(const std::string& job_id,
                                                std::optional<double> since_unix_s = std::nullopt);
  Result<MeterTotals> Totals(const std::string& job_id);

  // Retention: rows that ended before `older_than_unix_s` are merged, per
  // job and per set of methods, into one row per `bucket_s` (buckets aligned
  // on multiples of bucket_s since the epoch, by the row's start). Energy is
  // summed exactly; power becomes energy / time covered. One transaction.
  // InvalidArgument for bucket_s <= 0.
  Result<DownsampleResult> Downsample(double older_than_unix_s, double bucket_s);

 private:
  Database& db_;
  std::mutex mu_;
};

}  // namespace sunwind

#endif  // SUNWIND_STORAGE_METER_STORE_H_
