#include "core/proc_stat.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <string>

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

}  // namespace
}  // namespace sunwind
