#include "executors/process_runner.h"

namespace sunwind {

const char* ProcessStateName(ProcessState state) {
  switch (state) {
    case ProcessState::kRunning: return "running";
    case ProcessState::kExited: return "exited";
    case ProcessState::kKilled: return "killed";
    case ProcessState::kLost: return "lost";
  }
  return "unknown";
}

}  // namespace sunwind
