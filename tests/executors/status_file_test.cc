// The supervisor's status file: how a job ended, as the daemon reads it back.
#include <gtest/gtest.h>

#include <string>

#include "executors/posix_process_runner.h"

namespace sunwind {
namespace {

TEST(StatusFileTest, ParsesExitAndSignal) {
  // Given the supervisor's two kinds of line, we should read code, signal
  // and end time back.
  auto exited = ParseStatusFile("exited 3 1700000000\n");
  ASSERT_TRUE(exited.ok()) << exited.status().message();
  EXPECT_EQ(exited->state, ProcessState::kExited);
  EXPECT_EQ(exited->exit_code, 3);
  EXPECT_EQ(exited->ended, TimePoint(Duration(1700000000)));
  auto killed = ParseStatusFile("killed 9 1700000001\n");
  ASSERT_TRUE(killed.ok());
  EXPECT_EQ(killed->state, ProcessState::kKilled);
  EXPECT_EQ(killed->signal, 9);
}

TEST(StatusFileTest, RefusesGarbage) {
  auto bad = ParseStatusFile("finished");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "status file: expected 'exited|killed <n> <unix_s>', got 'finished'");
}

}  // namespace
}  // namespace sunwind
