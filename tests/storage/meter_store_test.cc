// The meter's samples on a real SQLite file: batches in one transaction,
// reading back per job, and retention that merges old rows while keeping
// every job's energy exact.
#include "storage/meter_store.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace sunwind {
namespace {

class MeterStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open(dir_.File("state/sunwind.sqlite"));
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(db).value();
    store_ = std::make_unique<MeterStore>(*db_);
  }

  // One second of a job's draw ending at `at`, with awkward joule values.
  static StoredMeterSample Second(const std::string& job, double at, double cpu_w) {
    StoredMeterSample s;
    s.job_id = job;
    s.at_unix_s = at;
    s.interval_s = 1;
    s.cpu_w = cpu_w;
    s.gpu_w = 0;
    s.ram_w = 0.37;
    s.cpu_uj = ToMicrojoules(cpu_w);
    s.ram_uj = ToMicrojoules(0.37);
    s.cpu_method = "tdp-model";
    s.gpu_method = "none";
    s.ram_method = "ram-model";
    return s;
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<MeterStore> store_;
};

TEST_F(MeterStoreTest, StoresABatchAndReadsItBackPerJob) {
  // Given a batch with samples of two jobs, we should read back each job's
  // own samples in time order, every field intact, and only the later ones
  // with `since`.
  std::vector<StoredMeterSample> batch = {Second("j-2", 1002, 5), Second("j-1", 1001, 12.5), Second("j-1", 1000, 10)};
  ASSERT_TRUE(store_->Append(batch).ok());
  auto rows = store_->ForJob("j-1");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_DOUBLE_EQ((*rows)[0].at_unix_s, 1000);
  EXPECT_DOUBLE_EQ((*rows)[1].cpu_w, 12.5);
  EXPECT_EQ((*rows)[1].cpu_uj, 12'500'000);
  EXPECT_EQ((*rows)[1].ram_uj, 370'000);
  EXPECT_EQ((*rows)[1].cpu_method, "tdp-model");
  EXPECT_EQ((*rows)[1].gpu_method, "none");
  EXPECT_EQ((*rows)[1].merged, 1);
  auto later = store_->ForJob("j-1", 1000.5);
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->size(), 1u);
  EXPECT_DOUBLE_EQ((*later)[0].at_unix_s, 1001);
  EXPECT_TRUE(store_->ForJob("j-9")->empty());
}

TEST_F(MeterStoreTest, ABadSampleStoresNothingOfItsBatch) {
  // Given a batch whose third sample has a zero interval, we should store
  // none of it and name the sample.
  std::vector<StoredMeterSample> batch = {Second("j-1", 1000, 1), Second("j-1", 1001, 1), Second("j-1", 1002, 1)};
  batch[2].interval_s = 0;
  Status st = store_->Append(batch);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "sample 2: interval_s: must be positive");
  EXPECT_TRUE(store_->ForJob("j-1")->empty());
}

TEST_F(MeterStoreTest, SamplesSurviveReopeningTheFile) {
  // Given samples stored and the database closed, we should find them again
  // on a new connection to the same file.
  ASSERT_TRUE(store_->Append({Second("j-1", 1000, 3)}).ok());
  store_.reset();
  db_.reset();
  auto db = Database::Open(dir_.File("state/sunwind.sqlite"));
  ASSERT_TRUE(db.ok());
  MeterStore again(**db);
  EXPECT_EQ(again.ForJob("j-1")->size(), 1u);
}

TEST_F(MeterStoreTest, RetentionMergesOldRowsAndKeepsTotalsExact) {
  // Given two hours of one-second samples of two jobs with irregular power,
  // and retention merging rows older than the last half hour into minutes,
  // we should keep each job's energy to the microjoule, its metered time and
  // its raw-sample count, leave recent rows untouched, and merge nothing
  // more on a second pass.
  const double t0 = 1'699'999'980;  // on a minute
  std::vector<StoredMeterSample> batch;
  for (int i = 1; i <= 7200; ++i) {
    batch.push_back(Second("j-1", t0 + i, 10 + 0.123456789 * (i % 17)));
    if (i % 3 == 0) batch.push_back(Second("j-2", t0 + i, 3.3 + 0.01 * (i % 7)));
  }
  ASSERT_TRUE(store_->Append(batch).ok());
  auto before1 = store_->Totals("j-1"), before2 = store_->Totals("j-2");
  ASSERT_TRUE(before1.ok() && before2.ok());
  auto result = store_->Downsample(t0 + 5400, 60);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->rows_before, 5399 + 1799);
  EXPECT_EQ(result->rows_after, 90 + 90);
  auto after1 = store_->Totals("j-1"), after2 = store_->Totals("j-2");
  for (auto [b, a] : {std::pair{*before1, *after1}, std::pair{*before2, *after2}}) {
    EXPECT_EQ(a.cpu_uj, b.cpu_uj);
    EXPECT_EQ(a.gpu_uj, b.gpu_uj);
    EXPECT_EQ(a.ram_uj, b.ram_uj);
    EXPECT_EQ(a.samples, b.samples);
    EXPECT_DOUBLE_EQ(a.metered_s, b.metered_s);
    EXPECT_LT(a.rows, b.rows);
  }
  EXPECT_EQ(after1->rows, 90 + 1801);
  // A merged row's power is its energy over the time it covered.
  auto rows = store_->ForJob("j-1");
  const StoredMeterSample& m = (*rows)[1];
  EXPECT_EQ(m.merged, 60);
  EXPECT_DOUBLE_EQ(m.interval_s, 60);
  EXPECT_DOUBLE_EQ(m.at_unix_s, t0 + 120);
  EXPECT_NEAR(m.cpu_w, static_cast<double>(m.cpu_uj) / 1e6 / 60, 1e-12);
  EXPECT_EQ(rows->back().merged, 1);
  auto again = store_->Downsample(t0 + 5400, 60);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->rows_before, again->rows_after);
  EXPECT_EQ(store_->Totals("j-1")->rows, after1->rows);
}

}  // namespace
}  // namespace sunwind
