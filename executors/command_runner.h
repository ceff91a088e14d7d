// The seam for short commands whose output sunwind reads: the Slurm tools
// (sbatch, squeue, sacct, scontrol, scancel). Unlike ProcessRunner, which
// launches long jobs under a supervisor, a command here runs to its end
// while the caller waits, and its whole output comes back.
//
// Abstract so the Slurm executor can be tested without Slurm. The real
// implementation is PosixCommandRunner; ScriptedCommandRunner records what
// it was asked and replays canned answers.
#ifndef SUNWIND_EXECUTORS_COMMAND_RUNNER_H_
#define SUNWIND_EXECUTORS_COMMAND_RUNNER_H_

#include <chrono>
#include <deque>
#include <string>
#include <vector>

#include "core/status.h"

namespace sunwind {

// How a command ended and what it wrote.
struct CommandResult {
  int exit_code = 0;  // 128 + n when a signal n ended it
  std::string stdout_text;
  std::string stderr_text;
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;

  // Runs argv (the program and its arguments, never a shell string: argv[0]
  // without a '/' is looked up in PATH) with the caller's environment and
  // stdin from /dev/null, and waits for it to end. A command that exits
  // non-zero is still a result: the caller reads its exit code and stderr.
  // Errors: kInvalidArgument for an empty argv; kNotFound when the program
  // does not exist; kUnavailable naming the program when it runs past
  // `timeout` (it and its process group are killed first).
  // Thread-safe for the real runner (each call is its own child).
  virtual Result<CommandResult> Run(const std::vector<std::string>& argv,
                                    std::chrono::milliseconds timeout) = 0;
};

// fork/exec (posix_spawnp) in a process group of its own, stdout and stderr
// read through pipes until both close.
class PosixCommandRunner final : public CommandRunner {
 public:
  Result<CommandResult> Run(const std::vector<std::string>& argv,
                            std::chrono::milliseconds timeout) override;
};

// Replays answers in order and records every argv it was given. An argv
// matching no queued answer (the queue is empty) gets `fallback`. Not
// thread-safe: for single-threaded tests.
class ScriptedCommandRunner final : public CommandRunner {
 public:
  // Queues the next answer: a result, or an error Status such as a timeout's
  // kUnavailable.
  void Expect(CommandResult result) { answers_.push_back(Answer{std::move(result), Status()}); }
  void ExpectError(Status status) {
    answers_.push_back(Answer{CommandResult{}, std::move(status)});
  }
  // Shorthand: exit code 0 with this stdout.
  void ExpectOutput(std::string stdout_text) {
    Expect(CommandResult{0, std::move(stdout_text), ""});
  }
  // Shorthand: this exit code and stderr.
  void ExpectFailure(int exit_code, std::string stderr_text) {
    Expect(CommandResult{exit_code, "", std::move(stderr_text)});
  }

  Result<CommandResult> Run(const std::vector<std::string>& argv,
                            std::chrono::milliseconds timeout) override;

  // Every argv run so far, in order.
  std::vector<std::vector<std::string>> commands;
  // The answer once the queue is empty.
  CommandResult fallback{1, "", "ScriptedCommandRunner: no answer queued"};
  size_t pending() const { return answers_.size(); }

 private:
  struct Answer {
    CommandResult result;
    Status status;
  };
  std::deque<Answer> answers_;
};

}  // namespace sunwind

#endif  // SUNWIND_EXECUTORS_COMMAND_RUNNER_H_
