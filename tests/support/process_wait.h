// Waiting for a job the local executor launched, in tests.
#ifndef SUNWIND_TESTS_SUPPORT_PROCESS_WAIT_H_
#define SUNWIND_TESTS_SUPPORT_PROCESS_WAIT_H_

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "executors/local_executor.h"

namespace sunwind::testing {

// Polls every 10 ms until the job is no longer running and returns how it
// ended; a test failure (and a default status) when `limit` passes first.
inline ProcessStatus WaitForEnd(LocalExecutor& executor, const ProcessHandle& handle,
                                std::chrono::milliseconds limit) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < give_up) {
    auto status = executor.Poll(handle);
    EXPECT_TRUE(status.ok()) << status.status().message();
    if (!status.ok()) return {};
    if (status->state != ProcessState::kRunning) return *status;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "job " << handle.job_pid << " did not end";
  return {};
}

}  // namespace sunwind::testing

#endif  // SUNWIND_TESTS_SUPPORT_PROCESS_WAIT_H_
