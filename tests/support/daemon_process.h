// The built `sunwind serve` as a child process on a free loopback port, its
// state in a directory the test owns: started, its URL read from its log
// line, its token from the state directory. For tests that drive the real
// daemon over HTTP or through the CLI.
#ifndef SUNWIND_TESTS_SUPPORT_DAEMON_PROCESS_H_
#define SUNWIND_TESTS_SUPPORT_DAEMON_PROCESS_H_

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace sunwind::testing {

class DaemonProcess {
 public:
  // `sunwind serve --listen 127.0.0.1:0 --state-dir DIR --config CONFIG
  // --tick 200ms`, then `extra` arguments.
  explicit DaemonProcess(const std::string& state_dir,
                         const std::string& config = SUNWIND_SOURCE_DIR "/config/sunwind.yaml",
                         const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {SUNWIND_BINARY, "serve",  "--listen", "127.0.0.1:0", "--state-dir",
                                     state_dir,      "--config", config,   "--tick",      "200ms"};
    args.insert(args.end(), extra.begin(), extra.end());
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 2);
      ::close(fds[0]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(SUNWIND_BINARY, argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    err_ = fds[0];
    // It says where it listens after what it recovered.
    std::string line, all;
    char c;
    std::smatch m;
    while (url_.empty() && ::read(err_, &c, 1) == 1) {
      if (c != '\n') {
        line += c;
        continue;
      }
      all += line + "\n";
      if (std::regex_search(line, m, std::regex("listening on (http://127\\.0\\.0\\.1:[0-9]+)"))) url_ = m[1];
      line.clear();
    }
    EXPECT_FALSE(url_.empty()) << all;
    std::ifstream token(state_dir + "/token");
    std::getline(token, token_);
  }
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;
  // SIGTERM (a graceful stop: jobs keep running under their supervisors).
  ~DaemonProcess() {
    if (pid_ > 0) Kill(SIGTERM);
    if (err_ >= 0) ::close(err_);
  }

  // Sends `signal` and reaps the daemon; its wait status.
  int Kill(int signal) {
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  const std::string& url() const { return url_; }
  const std::string& token() const { return token_; }
  // For a shell command line: the CLI's client environment.
  std::string env() const { return "SUNWIND_URL=" + url_ + " SUNWIND_TOKEN=" + token_; }

 private:
  pid_t pid_ = -1;
  int err_ = -1;
  std::string url_;
  std::string token_;
};

}  // namespace sunwind::testing

#endif  // SUNWIND_TESTS_SUPPORT_DAEMON_PROCESS_H_
