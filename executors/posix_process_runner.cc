#include "executors/posix_process_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "executors/handle_file.h"
#include "core/proc_stat.h"

extern char** environ;

namespace sunwind {
namespace {

// What the supervisor tells the launcher once the job has exec'd (or not).
struct LaunchReport {
  pid_t job_pid;
  uint64_t job_start_ticks;
  int error;  // errno of the failed step; 0 when the job runs
  int step;   // which step failed: kStepChdir or kStepExec
};
constexpr int kStepChdir = 1;
constexpr int kStepExec = 2;
constexpr int kStepFork = 3;

// --- Async-signal-safe helpers for the children ---------------------------

void WriteAll(int fd, const void* data, size_t length) {
  const char* p = static_cast<const char*>(data);
  while (length > 0) {
    ssize_t n = write(fd, p, length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    length -= static_cast<size_t>(n);
  }
}

// Appends the decimal of v to buf at *n.
void AppendInt(char* buf, size_t* n, long long v) {
  if (v < 0) {
    buf[(*n)++] = '-';
    v = -v;
  }
  char digits[24];
  int d = 0;
  do {
    digits[d++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (d > 0) buf[(*n)++] = digits[--d];
}

void AppendText(char* buf, size_t* n, const char* text) {
  while (*text != '\0') buf[(*n)++] = *text++;
}

// Closes every descriptor from 3 up except those in keep (any order).
void CloseAllExcept(const int* keep, int count) {
  int sorted[8];
  for (int i = 0; i < count; ++i) sorted[i] = keep[i];
  for (int i = 1; i < count; ++i) {
    for (int j = i; j > 0 && sorted[j - 1] > sorted[j]; --j) std::swap(sorted[j - 1], sorted[j]);
  }
  unsigned from = 3;
  for (int i = 0; i < count; ++i) {
    unsigned fd = static_cast<unsigned>(sorted[i]);
    if (fd < from) continue;
    if (fd > from) close_range(from, fd - 1, 0);
    from = fd + 1;
  }
  close_range(from, ~0U, 0);
}

// Writes the end of the job durably: a crash at any moment leaves either no
// status file or a whole one, never half a line.
void WriteStatusDurably(const char* tmp_path, const char* final_path, const char* dir_path,
                        int wait_status, long long end_unix_s) {
  char line[96];
  size_t n = 0;
  if (WIFSIGNALED(wait_status)) {
    AppendText(line, &n, "killed ");
    AppendInt(line, &n, WTERMSIG(wait_status));
  } else {
    AppendText(line, &n, "exited ");
    AppendInt(line, &n, WEXITSTATUS(wait_status));
  }
  line[n++] = ' ';
  AppendInt(line, &n, end_unix_s);
  line[n++] = '\n';
  int fd = open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  WriteAll(fd, line, n);
  fsync(fd);
  close(fd);
  rename(tmp_path, final_path);
  int dir = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
}

// Everything the children need, built before fork: after fork in a daemon
// with threads only async-signal-safe calls are allowed (no malloc).
struct Prepared {
  std::vector<std::string> argv_storage;
  std::vector<char*> argv;
  std::vector<std::string> env_storage;
  std::vector<char*> envp;
  std::string working_dir, job_dir, status_path, status_tmp_path, proc_root;
  bool search_path = false;
};

void Prepare(const LaunchSpec& spec, const std::string& status_path, const std::string& proc_root,
             Prepared* p) {
  p->argv_storage = spec.argv;
  for (auto& a : p->argv_storage) p->argv.push_back(a.data());
  p->argv.push_back(nullptr);
  // The launcher's environment, then the job's additions replacing any
  // variable of the same name.
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [name, value] : spec.env) env[name] = value;
  for (const auto& [name, value] : env) p->env_storage.push_back(name + "=" + value);
  for (auto& e : p->env_storage) p->envp.push_back(e.data());
  p->envp.push_back(nullptr);
  p->working_dir = spec.working_dir;
  p->job_dir = spec.job_dir;
  p->status_path = status_path;
  p->status_tmp_path = status_path + ".tmp";
  p->proc_root = proc_root;
  p->search_path = spec.argv[0].find('/') == std::string::npos;
}

// The job: its own process group, default signal handling, logs as stdout and
// stderr, then exec. On failure it writes errno to error_fd and exits 127.
[[noreturn]] void RunJob(const Prepared& p, int null_fd, int out_fd, int err_fd, int error_fd) {
  setpgid(0, 0);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  dup2(null_fd, 0);
  dup2(out_fd, 1);
  dup2(err_fd, 2);
  int report[2] = {0, 0};
  if (!p.working_dir.empty() && chdir(p.working_dir.c_str()) != 0) {
    report[0] = errno;
    report[1] = kStepChdir;
    WriteAll(error_fd, report, sizeof(report));
    _exit(127);
  }
  if (p.search_path) {
    execvpe(p.argv[0], p.argv.data(), p.envp.data());
  } else {
    execve(p.argv[0], p.argv.data(), p.envp.data());
  }
  report[0] = errno;
  report[1] = kStepExec;
  WriteAll(error_fd, report, sizeof(report));
  _exit(127);
}

// The supervisor: outlives the daemon, waits for the job, records its end.
[[noreturn]] void RunSupervisor(const Prepared& p, const Clock& clock, int null_fd, int out_fd,
                                int err_fd, int report_fd) {
  // Its own session: a signal to the daemon's process group or terminal does
  // not reach it, and it ignores the stop signals a daemon gets, because it
  // must outlive the daemon to record the job's end.
  setsid();
  // Orphans of the job come to us, not to an init that may never reap them.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  // The daemon's handlers are not ours, and a SIGCHLD it ignores would make
  // the kernel reap the job before we could read how it ended.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);
  signal(SIGTERM, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // Hold none of the daemon's descriptors (its listening socket, its
  // database, the pipe a test runner reads the daemon's output from).
  dup2(null_fd, 0);
  dup2(null_fd, 1);
  dup2(null_fd, 2);
  int keep[4] = {null_fd, out_fd, err_fd, report_fd};
  CloseAllExcept(keep, 4);

  LaunchReport report{0, 0, 0, 0};
  int error_pipe[2];
  if (pipe2(error_pipe, O_CLOEXEC) != 0) {
    report.error = errno;
    report.step = kStepFork;
    WriteAll(report_fd, &report, sizeof(report));
    _exit(1);
  }
  pid_t job = fork();
  if (job < 0) {
    report.error = errno;
    report.step = kStepFork;
    WriteAll(report_fd, &report, sizeof(report));
    _exit(1);
  }
  if (job == 0) {
    close(error_pipe[0]);
    RunJob(p, null_fd, out_fd, err_fd, error_pipe[1]);
  }
  // Also here, so the group exists before the launcher may signal it.
  setpgid(job, job);
  close(error_pipe[1]);
  close(null_fd);
  close(out_fd);
  close(err_fd);
  report.job_pid = job;
  ProcStat stat;
  // The job cannot be reaped before we wait for it, so its stat is readable.
  if (ReadProcStat(p.proc_root.c_str(), job, &stat)) report.job_start_ticks = stat.start_ticks;
  int failure[2] = {0, 0};
  size_t got = 0;
  while (got < sizeof(failure)) {
    ssize_t n = read(error_pipe[0], reinterpret_cast<char*>(failure) + got, sizeof(failure) - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(error_pipe[0]);
  if (got == sizeof(failure)) {
    report.error = failure[0];
    report.step = failure[1];
  }
  WriteAll(report_fd, &report, sizeof(report));
  close(report_fd);

  // The job's end is the end of its leader; record it then (unless it never
  // ran: the launcher reports that). As a subreaper we also reap the job's
  // orphaned descendants, and stay while any lives: they are still the
  // job's work, drawing power and reachable by a cancel.
  while (true) {
    int wait_status = 0;
    pid_t ended = waitpid(-1, &wait_status, 0);
    if (ended < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: nothing of the job is left
    }
    if (ended == job && report.error == 0) {
      long long end_s = std::chrono::duration_cast<std::chrono::seconds>(
                            clock.Now().time_since_epoch()).count();
      WriteStatusDurably(p.status_tmp_path.c_str(), p.status_path.c_str(), p.job_dir.c_str(),
                         wait_status, end_s);
    }
  }
  _exit(0);
}

int OpenForAppend(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  // Keep it above 0..2, which the supervisor points at /dev/null, even in a
  // daemon that closed its standard streams.
  if (fd < 3) {
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    fd = high;
  }
  return fd;
}

// Reaps the supervisor if it has ended and is our child (a daemon that
// restarted is not its parent: waitpid then says ECHILD, which is fine).
void ReapIfOurs(const std::string& proc_root, const ProcessHandle& h) {
  ProcStat stat;
  if (!ReadProcStat(proc_root.c_str(), h.supervisor_pid, &stat)) return;
  if (stat.start_ticks != h.supervisor_start_ticks || stat.state != 'Z') return;
  waitpid(h.supervisor_pid, nullptr, WNOHANG);
}

}  // namespace

Result<ProcessStatus> ParseStatusFile(const std::string& text) {
  std::istringstream in(text);
  std::string kind;
  long long value = 0, end_s = 0;
  if (!(in >> kind >> value >> end_s) || (kind != "exited" && kind != "killed")) {
    return Status::InvalidArgument("status file: expected 'exited|killed <n> <unix_s>', got '" +
                                   text + "'");
  }
  ProcessStatus status;
  status.ended = TimePoint(Duration(end_s));
  if (kind == "exited") {
    status.state = ProcessState::kExited;
    status.exit_code = static_cast<int>(value);
  } else {
    status.state = ProcessState::kKilled;
    status.signal = static_cast<int>(value);
  }
  return status;
}

Result<ProcessHandle> PosixProcessRunner::Launch(const LaunchSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) {
    return Status::InvalidArgument("argv: the command is empty");
  }
  if (spec.job_dir.empty()) return Status::InvalidArgument("job_dir: empty");
  std::error_code ec;
  std::filesystem::create_directories(spec.job_dir, ec);
  if (ec) return Status::Internal("job_dir: cannot create " + spec.job_dir + ": " + ec.message());

  ProcessHandle handle;
  handle.job_dir = spec.job_dir;
  handle.stdout_path = StdoutPath(spec.job_dir);
  handle.stderr_path = StderrPath(spec.job_dir);
  handle.status_path = StatusPath(spec.job_dir);
  // A relaunch (resume) must not be mistaken for having ended already, nor
  // be found by the previous run's handle.
  std::filesystem::remove(handle.status_path, ec);
  std::filesystem::remove(HandlePath(spec.job_dir), ec);

  Prepared prepared;
  Prepare(spec, handle.status_path, proc_root_, &prepared);

  int null_fd = OpenForAppend("/dev/null");
  int out_fd = OpenForAppend(handle.stdout_path);
  int err_fd = OpenForAppend(handle.stderr_path);
  int report_pipe[2] = {-1, -1};
  auto close_all = [&] {
    for (int fd : {null_fd, out_fd, err_fd, report_pipe[0], report_pipe[1]}) {
      if (fd >= 0) close(fd);
    }
  };
  if (null_fd < 0 || out_fd < 0 || err_fd < 0 || pipe2(report_pipe, O_CLOEXEC) != 0) {
    int error = errno;
    close_all();
    return Status::Internal("cannot open the logs in " + spec.job_dir + ": " +
                            std::strerror(error));
  }
  TimePoint started = clock_.Now();
  pid_t supervisor = fork();
  if (supervisor < 0) {
    int error = errno;
    close_all();
    return Status::Unavailable(std::string("fork: ") + std::strerror(error));
  }
  if (supervisor == 0) {
    close(report_pipe[0]);
    RunSupervisor(prepared, clock_, null_fd, out_fd, err_fd, report_pipe[1]);
  }
  close(report_pipe[1]);
  report_pipe[1] = -1;
  LaunchReport report{};
  size_t got = 0;
  while (got < sizeof(report)) {
    ssize_t n = read(report_pipe[0], reinterpret_cast<char*>(&report) + got, sizeof(report) - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  // Read the supervisor's start time before it can be reaped.
  ProcStat supervisor_stat;
  bool have_supervisor_stat = ReadProcStat(proc_root_.c_str(), supervisor, &supervisor_stat);
  close_all();
  if (got != sizeof(report) || report.error != 0) {
    waitpid(supervisor, nullptr, 0);  // it exits right after a failed launch
    if (got != sizeof(report)) return Status::Internal("the supervisor died before the job started");
    std::string what = report.step == kStepChdir ? "working_dir: cannot enter " + spec.working_dir
                       : report.step == kStepExec ? "argv: cannot run " + spec.argv[0]
                                                  : std::string("fork");
    what += ": " + std::string(std::strerror(report.error));
    if (report.error == ENOENT || report.error == ENOTDIR) return Status::NotFound(what);
    if (report.error == EACCES) return Status::InvalidArgument(what);
    return Status::Internal(what);
  }
  handle.job_pid = report.job_pid;
  handle.job_start_ticks = report.job_start_ticks;
  handle.supervisor_pid = supervisor;
  handle.supervisor_start_ticks = have_supervisor_stat ? supervisor_stat.start_ticks : 0;
  handle.started = started;
  // Durably, before anyone is told: a daemon killed from here on finds the
  // job on restart. A job we could not record is not left running untracked.
  Status saved = SaveHandle(handle);
  if (!saved.ok()) {
    killpg(handle.job_pid, SIGKILL);
    waitpid(supervisor, nullptr, 0);
    return saved;
  }
  return handle;
}

Result<ProcessStatus> PosixProcessRunner::Poll(const ProcessHandle& handle) {
  ReapIfOurs(proc_root_, handle);
  ProcessStatus status;
  ProcStat job;
  bool job_lives = ReadProcStat(proc_root_.c_str(), handle.job_pid, &job) &&
                   job.start_ticks == handle.job_start_ticks && job.state != 'Z' &&
                   job.state != 'X';
  // A live supervisor means the job's end is not yet recorded, or that some
  // of its processes still run: running still.
  if (job_lives || IsSameLiveProcess(proc_root_, handle.supervisor_pid,
                                     handle.supervisor_start_ticks)) {
    status.state = ProcessState::kRunning;
    status.stopped = job_lives && (job.state == 'T' || job.state == 't');
    return status;
  }
  // It may have ended between the first reap and the check above.
  ReapIfOurs(proc_root_, handle);
  // Both gone: the supervisor wrote the status before it exited, if it could.
  std::ifstream in(handle.status_path);
  if (!in) return status;  // kLost
  std::stringstream text;
  text << in.rdbuf();
  return ParseStatusFile(text.str());
}

Status PosixProcessRunner::SignalJob(const ProcessHandle& handle, int signal) {
  // While the job's leader or its supervisor lives, the pid cannot have been
  // handed to another process group: only then is the group ours to signal.
  if (!IsSameLiveProcess(proc_root_, handle.job_pid, handle.job_start_ticks) &&
      !IsSameLiveProcess(proc_root_, handle.supervisor_pid, handle.supervisor_start_ticks)) {
    return Status::NotFound("job process group " + std::to_string(handle.job_pid) +
                            " no longer runs");
  }
  if (killpg(handle.job_pid, signal) != 0 && errno != ESRCH) {
    return Status::Internal("killpg " + std::to_string(handle.job_pid) + ": " +
                            std::strerror(errno));
  }
  // Descendants that left the group; those listed just now under the live
  // supervisor or job are ours. One that has exited since is no error.
  SUNWIND_ASSIGN_OR_RETURN(std::vector<pid_t> tree, TreeOf(handle, /*fresh=*/true));
  for (pid_t pid : tree) {
    ProcStat stat;
    if (ReadProcStat(proc_root_.c_str(), pid, &stat) && stat.process_group != handle.job_pid) {
      kill(pid, signal);
    }
  }
  return Status::Ok();
}

Result<std::vector<pid_t>> PosixProcessRunner::ProcessTree(const ProcessHandle& handle) {
  return TreeOf(handle, /*fresh=*/false);
}

Result<std::vector<pid_t>> PosixProcessRunner::TreeOf(const ProcessHandle& handle, bool fresh) {
  if (!IsSameLiveProcess(proc_root_, handle.job_pid, handle.job_start_ticks) &&
      !IsSameLiveProcess(proc_root_, handle.supervisor_pid, handle.supervisor_start_ticks)) {
    return std::vector<pid_t>{};
  }
  // Under a live supervisor (a subreaper) the tree is everything below it,
  // orphans whose parent exited included; the supervisor itself is ours.
  bool supervised =
      IsSameLiveProcess(proc_root_, handle.supervisor_pid, handle.supervisor_start_ticks);
  const pid_t root = supervised ? handle.supervisor_pid : handle.job_pid;
  std::vector<pid_t> tree;
  if (fresh) {
    SUNWIND_ASSIGN_OR_RETURN(tree, ListProcessTree(proc_root_, root, handle.job_pid));
  } else {
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    const auto now = std::chrono::steady_clock::now();
    if (!snapshot_ || now - snapshot_at_ > kSnapshotMaxAge) {
      SUNWIND_ASSIGN_OR_RETURN(ProcessSnapshot taken, ProcessSnapshot::Take(proc_root_));
      snapshot_ = std::move(taken);
      snapshot_at_ = now;
    }
    tree = snapshot_->Tree(root, handle.job_pid);
  }
  std::erase(tree, handle.supervisor_pid);
  return tree;
}

}  // namespace sunwind
