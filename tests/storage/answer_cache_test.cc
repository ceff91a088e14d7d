#include "storage/answer_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace sunwind {
namespace {

class AnswerCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sunwind_storage_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path() const { return (dir_ / "sub" / "cache.sqlite").string(); }

  std::filesystem::path dir_;
  const TimePoint t0_ = *ParseTime("2024-03-06T19:00Z");
};

TEST_F(AnswerCacheTest, CreatesTheFileAndItsDirectoryAndAppliesEveryMigration) {
  // Given a path whose directory does not exist, we should create both and
  // bring the schema to the last version.
  auto db = Database::Open(Path());
  ASSERT_TRUE(db.ok()) << db.status().message();
  EXPECT_TRUE(std::filesystem::exists(Path()));
  EXPECT_EQ((*db)->schema_version(), static_cast<int>(Migrations().size()));
  auto rows = (*db)->Query("SELECT version FROM schema_version");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(std::get<int64_t>((*rows)[0][0]), static_cast<int64_t>(Migrations().size()));
}

TEST_F(AnswerCacheTest, AnswersSurviveARestart) {
  // Given an answer stored by one process, a later open of the same file
  // should find it with its times and kind.
  {
    auto db = Database::Open(Path());
    ASSERT_TRUE(db.ok());
    AnswerCache cache(**db);
    ASSERT_TRUE(cache.Put("electricitymaps", "/carbon-intensity/latest?zone=DE",
                          {"latest", "{\"carbonIntensity\":428}", t0_, t0_ + std::chrono::minutes(5)})
                    .ok());
    ASSERT_TRUE(cache.Put("electricitymaps", "/carbon-intensity/past?zone=DE", {"history", "{}", t0_, std::nullopt}).ok());
  }
  auto db = Database::Open(Path());
  ASSERT_TRUE(db.ok());
  AnswerCache cache(**db);
  auto a = cache.Get("electricitymaps", "/carbon-intensity/latest?zone=DE");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(a->has_value());
  EXPECT_EQ((*a)->kind, "latest");
  EXPECT_EQ((*a)->body, "{\"carbonIntensity\":428}");
  EXPECT_EQ((*a)->fetched_at, t0_);
  ASSERT_TRUE((*a)->expires_at.has_value());
  EXPECT_EQ(*(*a)->expires_at, t0_ + std::chrono::minutes(5));
  EXPECT_TRUE((*a)->FreshAt(t0_ + std::chrono::minutes(4)));
  EXPECT_FALSE((*a)->FreshAt(t0_ + std::chrono::minutes(5)));
  auto h = cache.Get("electricitymaps", "/carbon-intensity/past?zone=DE");
  ASSERT_TRUE(h.ok() && h->has_value());
  EXPECT_FALSE((*h)->expires_at.has_value());
  EXPECT_TRUE((*h)->FreshAt(t0_ + std::chrono::hours(24 * 365 * 10)));
}

TEST_F(AnswerCacheTest, MissingKeyIsNoAnswerAndPutReplaces) {
  auto db = Database::Open(":memory:");
  ASSERT_TRUE(db.ok());
  AnswerCache cache(**db);
  auto none = cache.Get("electricitymaps", "nope");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(cache.Put("p", "k", {"latest", "one", t0_, std::nullopt}).ok());
  ASSERT_TRUE(cache.Put("p", "k", {"latest", "two", t0_, std::nullopt}).ok());
  EXPECT_EQ((*cache.Get("p", "k"))->body, "two");
  // Providers do not share rows.
  EXPECT_FALSE(cache.Get("q", "k")->has_value());
}

TEST_F(AnswerCacheTest, CountsRequestsPerProviderAndUtcDay) {
  auto db = Database::Open(":memory:");
  ASSERT_TRUE(db.ok());
  AnswerCache cache(**db);
  EXPECT_EQ(*cache.RequestsToday("electricitymaps", t0_), 0);
  ASSERT_TRUE(cache.CountRequest("electricitymaps", t0_).ok());
  ASSERT_TRUE(cache.CountRequest("electricitymaps", t0_ + std::chrono::hours(4)).ok());  // 23:00, same day
  EXPECT_EQ(*cache.RequestsToday("electricitymaps", t0_), 2);
  EXPECT_EQ(*cache.RequestsToday("electricitymaps", t0_ + std::chrono::hours(5)), 0);  // the next UTC day
  EXPECT_EQ(*cache.RequestsToday("watttime", t0_), 0);
}

TEST_F(AnswerCacheTest, RefusesADatabaseFromANewerSunwind) {
  {
    auto db = Database::Open(Path());
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("UPDATE schema_version SET version = 999").ok());
  }
  auto db = Database::Open(Path());
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(db.status().message().find("schema version 999 is newer"), std::string::npos);
}

}  // namespace
}  // namespace sunwind
