#include "executors/command_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace sunwind {
namespace {

// Closes the descriptors it holds when it goes out of scope.
struct Fds {
  int fd[4] = {-1, -1, -1, -1};
  ~Fds() {
    for (int f : fd) {
      if (f >= 0) close(f);
    }
  }
};

int WaitExitCode(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace

Result<CommandResult> PosixCommandRunner::Run(const std::vector<std::string>& argv,
                                              std::chrono::milliseconds timeout) {
  if (argv.empty()) return Status::InvalidArgument("command: empty argv");
  const std::string& program = argv[0];

  Fds fds;  // out read, out write, err read, err write
  if (pipe2(&fds.fd[0], O_CLOEXEC) != 0 || pipe2(&fds.fd[2], O_CLOEXEC) != 0) {
    return Status::Internal(std::string("command: pipe: ") + std::strerror(errno));
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds.fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds.fd[3], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // A group of its own, so a timeout kills what the command started too; a
  // clean signal state whatever the daemon's threads have blocked.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGCHLD);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int err = posix_spawnp(&pid, program.c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err != 0) {
    if (err == ENOENT) return Status::NotFound("command: " + program + " not found");
    return Status::Internal("command: cannot run " + program + ": " + std::strerror(err));
  }
  close(fds.fd[1]);
  close(fds.fd[3]);
  fds.fd[1] = fds.fd[3] = -1;

  CommandResult result;
  std::string* sinks[2] = {&result.stdout_text, &result.stderr_text};
  int open_fds[2] = {fds.fd[0], fds.fd[2]};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[8192];
  while (open_fds[0] >= 0 || open_fds[1] >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(-pid, SIGKILL);
      WaitExitCode(pid);
      return Status::Unavailable(program + " did not finish within " +
                                 std::to_string(timeout.count()) + " ms (killed)");
    }
    pollfd polls[2];
    int n = 0;
    int which[2];
    for (int i = 0; i < 2; ++i) {
      if (open_fds[i] < 0) continue;
      polls[n] = pollfd{open_fds[i], POLLIN, 0};
      which[n++] = i;
    }
    int ready = poll(polls, static_cast<nfds_t>(n), static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) {
      kill(-pid, SIGKILL);
      WaitExitCode(pid);
      return Status::Internal(std::string("command: poll: ") + std::strerror(errno));
    }
    for (int i = 0; i < n && ready > 0; ++i) {
      if (polls[i].revents == 0) continue;
      ssize_t got = read(polls[i].fd, buffer, sizeof buffer);
      if (got > 0) {
        sinks[which[i]]->append(buffer, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        open_fds[which[i]] = -1;  // closed by Fds
      }
    }
  }
  // Both pipes closed: the command (and anything holding its output) ended.
  result.exit_code = WaitExitCode(pid);
  return result;
}

Result<CommandResult> ScriptedCommandRunner::Run(const std::vector<std::string>& argv,
                                                 std::chrono::milliseconds /*timeout*/) {
  commands.push_back(argv);
  if (argv.empty()) return Status::InvalidArgument("command: empty argv");
  if (answers_.empty()) return fallback;
  Answer answer = std::move(answers_.front());
  answers_.pop_front();
  if (!answer.status.ok()) return answer.status;
  return answer.result;
}

}  // namespace sunwind
