#include "executors/handle_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

namespace sunwind {
namespace {

ProcessHandle SampleHandle(const std::string& job_dir) {
  ProcessHandle h;
  h.job_pid = 4242;
  h.job_start_ticks = 987654;
  h.supervisor_pid = 4241;
  h.supervisor_start_ticks = 987650;
  h.started = TimePoint(Duration(1700000000));
  h.job_dir = job_dir;
  h.stdout_path = StdoutPath(job_dir);
  h.stderr_path = StderrPath(job_dir);
  h.status_path = StatusPath(job_dir);
  return h;
}

void ExpectSame(const ProcessHandle& a, const ProcessHandle& b) {
  EXPECT_EQ(a.job_pid, b.job_pid);
  EXPECT_EQ(a.job_start_ticks, b.job_start_ticks);
  EXPECT_EQ(a.supervisor_pid, b.supervisor_pid);
  EXPECT_EQ(a.supervisor_start_ticks, b.supervisor_start_ticks);
  EXPECT_EQ(a.started, b.started);
  EXPECT_EQ(a.job_dir, b.job_dir);
  EXPECT_EQ(a.stdout_path, b.stdout_path);
  EXPECT_EQ(a.stderr_path, b.stderr_path);
  EXPECT_EQ(a.status_path, b.status_path);
}

TEST(HandleFileTest, TextRoundTripsWithSpacesInTheDirectory) {
  // Given a handle whose directory holds a space, we should read back the
  // same handle from its text.
  ProcessHandle h = SampleHandle("/var/lib/sun wind/jobs/a");
  auto parsed = ParseHandle(FormatHandle(h));
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ExpectSame(*parsed, h);
}

TEST(HandleFileTest, NamesTheMissingOrBadKey) {
  auto missing = ParseHandle("job_pid 1\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "handle: job_start_ticks missing");
  auto bad = ParseHandle(
      "job_pid 1x\njob_start_ticks 1\nsupervisor_pid 1\nsupervisor_start_ticks 1\n"
      "started 0\njob_dir /x\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "handle: job_pid is not a number: '1x'");
}

TEST(HandleFileTest, SavesAndLoadsFromTheJobDirectory) {
  // Given a saved handle, a restarted daemon should load it; a directory
  // without one is kNotFound.
  char pattern[] = "/tmp/sunwind-handle-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  std::string dir = pattern;
  ProcessHandle h = SampleHandle(dir);
  ASSERT_TRUE(SaveHandle(h).ok());
  auto loaded = LoadHandle(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ExpectSame(*loaded, h);
  EXPECT_FALSE(std::filesystem::exists(HandlePath(dir) + ".tmp"));
  std::filesystem::remove(HandlePath(dir));
  EXPECT_EQ(LoadHandle(dir).status().code(), StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sunwind
