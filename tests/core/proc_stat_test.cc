#include "core/proc_stat.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace sunwind {
namespace {

TEST(ProcStatTest, ParsesFieldsAfterACommandNameWithSpacesAndParentheses) {
  // Given a command name that holds ") (" and spaces, we should count the
  // fields from the last ')' and find state, parent, group, CPU time and start time.
  const std::string text =
      "4242 (evil) (name x) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 3 4 20 0 1 0 "
      "987654 1000 50 18446744073709551615\n";
  ProcStat stat;
  ASSERT_TRUE(ParseProcStat(text.data(), text.size(), &stat));
  EXPECT_EQ(stat.pid, 4242);
  EXPECT_EQ(stat.state, 'S');
  EXPECT_EQ(stat.parent_pid, 17);
  EXPECT_EQ(stat.process_group, 4242);
  EXPECT_EQ(stat.start_ticks, 987654u);
  EXPECT_EQ(stat.cpu_ticks, 10u);  // utime 1 + stime 2 + cutime 3 + cstime 4
}

TEST(ProcStatTest, RefusesTruncatedText) {
  // Given a stat line cut before the start time, we should say so, not guess.
  const std::string text = "12 (sh) S 1 12 12 0 -1";
  ProcStat stat;
  EXPECT_FALSE(ParseProcStat(text.data(), text.size(), &stat));
}

TEST(ProcStatTest, ReadsThisProcess) {
  // Given our own pid, we should read our own parent and a live state.
  ProcStat stat;
  ASSERT_TRUE(ReadProcStat("/proc", getpid(), &stat));
  EXPECT_EQ(stat.pid, getpid());
  EXPECT_EQ(stat.parent_pid, getppid());
  EXPECT_TRUE(IsSameLiveProcess("/proc", getpid(), stat.start_ticks));
  EXPECT_FALSE(IsSameLiveProcess("/proc", getpid(), stat.start_ticks + 1));
}

TEST(ProcessSnapshotTest, OneScanAnswersEachTreeByParentageAndGroupWithoutZombies) {
  // Given a fake /proc where job 100 has a child (101), a grandchild that
  // left the group with setsid (102), a group member reparented to init
  // (103) and a zombie child (104), and an unrelated job 200 with a child,
  // we should answer both trees from one snapshot, zombie excluded, and the
  // same as ListProcessTree.
  const auto root = std::filesystem::temp_directory_path() / ("sunwind_proc_" + std::to_string(getpid()));
  std::filesystem::remove_all(root);
  auto process = [&](int pid, char state, int parent, int group) {
    std::filesystem::create_directories(root / std::to_string(pid));
    std::ofstream(root / std::to_string(pid) / "stat")
        << pid << " (p) " << state << ' ' << parent << ' ' << group << " 0 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 " << pid
        << " 1000 50\n";
  };
  process(100, 'S', 1, 100);
  process(101, 'R', 100, 100);
  process(102, 'S', 101, 102);
  process(103, 'S', 1, 100);
  process(104, 'Z', 100, 100);
  process(200, 'S', 1, 200);
  process(201, 'S', 200, 200);
  std::filesystem::create_directories(root / "self");  // not a pid: skipped
  auto snapshot = ProcessSnapshot::Take(root.string());
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().message();
  EXPECT_EQ(snapshot->Tree(100, 100), (std::vector<pid_t>{100, 101, 102, 103}));
  EXPECT_EQ(snapshot->Tree(200, 200), (std::vector<pid_t>{200, 201}));
  EXPECT_EQ(*ListProcessTree(root.string(), 100, 100), snapshot->Tree(100, 100));
  EXPECT_EQ(ProcessSnapshot::Take((root / "missing").string()).status().code(), StatusCode::kUnavailable);
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace sunwind
