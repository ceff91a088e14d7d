// /proc attribution on real processes: a parent whose child burns a known
// amount of CPU time, read through ListDescendants and TreeUsageTracker.
#include "metering/proc_usage.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace sunwind {
namespace {

double ThreadCpuNow() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Spins until this process has used `seconds` of CPU time.
void Burn(double seconds) {
  volatile double x = 0;
  while (ThreadCpuNow() < seconds) x = x + 1;
}

TEST(ProcUsageTest, CountsTheWholeTreeIncludingAChildsCpuTime) {
  // Given a parent that forks a child burning 0.6 s of CPU and then waits
  // for it, we should see the child in the tree while it runs, and after it
  // has exited and been reaped the tree's CPU time should still hold its
  // 0.6 s (through the parent's cutime), within 0.1 s.
  pid_t parent = fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    pid_t child = fork();
    if (child == 0) {
      Burn(0.6);
      _exit(0);
    }
    int st;
    waitpid(child, &st, 0);
    pause();  // stay alive to be read; killed by the test
    _exit(0);
  }
  TreeUsageTracker tracker("/proc");
  bool saw_child = false;
  double cpu = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    auto tree = ListDescendants("/proc", parent);
    saw_child |= tree.size() >= 2;
    uint64_t rss = 0;
    cpu = tracker.Update(tree, &rss);
    if (cpu >= 0.55 && tree.size() == 1) break;  // child reaped, time moved to the parent
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(parent, SIGKILL);
  int st;
  waitpid(parent, &st, 0);
  EXPECT_TRUE(saw_child);
  EXPECT_NEAR(0.6, cpu, 0.1);
}

TEST(ProcUsageTest, ReadsResidentMemoryAndGoneProcesses) {
  // Given this test process, we should read a non-zero RSS; a pid that does
  // not exist is NotFound.
  auto me = ReadProcUsage("/proc", getpid());
  ASSERT_TRUE(me.ok());
  EXPECT_GT(me->rss_bytes, 1000000u);
  EXPECT_EQ(getppid(), me->parent_pid);
  EXPECT_EQ(StatusCode::kNotFound, ReadProcUsage("/proc", 999999999).status().code());
}

}  // namespace
}  // namespace sunwind
