#include "executors/handle_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace sunwind {

std::string HandlePath(const std::string& job_dir) { return job_dir + "/handle"; }
std::string StdoutPath(const std::string& job_dir) { return job_dir + "/stdout.log"; }
std::string StderrPath(const std::string& job_dir) { return job_dir + "/stderr.log"; }
std::string StatusPath(const std::string& job_dir) { return job_dir + "/status"; }

std::string FormatHandle(const ProcessHandle& h) {
  std::ostringstream out;
  out << "job_pid " << h.job_pid << "\n"
      << "job_start_ticks " << h.job_start_ticks << "\n"
      << "supervisor_pid " << h.supervisor_pid << "\n"
      << "supervisor_start_ticks " << h.supervisor_start_ticks << "\n"
      << "started " << h.started.time_since_epoch().count() << "\n"
      << "job_dir " << h.job_dir << "\n";
  return out.str();
}

Result<ProcessHandle> ParseHandle(const std::string& text) {
  std::map<std::string, std::string> fields;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    fields[line.substr(0, space)] = line.substr(space + 1);
  }
  auto number = [&](const char* key, long long* out) -> Status {
    auto it = fields.find(key);
    if (it == fields.end()) return Status::InvalidArgument(std::string("handle: ") + key + " missing");
    char* end = nullptr;
    errno = 0;
    *out = std::strtoll(it->second.c_str(), &end, 10);
    if (errno != 0 || end == it->second.c_str() || *end != '\0') {
      return Status::InvalidArgument(std::string("handle: ") + key + " is not a number: '" +
                                     it->second + "'");
    }
    return Status::Ok();
  };
  long long job_pid = 0, job_ticks = 0, sup_pid = 0, sup_ticks = 0, started = 0;
  SUNWIND_RETURN_IF_ERROR(number("job_pid", &job_pid));
  SUNWIND_RETURN_IF_ERROR(number("job_start_ticks", &job_ticks));
  SUNWIND_RETURN_IF_ERROR(number("supervisor_pid", &sup_pid));
  SUNWIND_RETURN_IF_ERROR(number("supervisor_start_ticks", &sup_ticks));
  SUNWIND_RETURN_IF_ERROR(number("started", &started));
  auto dir = fields.find("job_dir");
  if (dir == fields.end() || dir->second.empty()) {
    return Status::InvalidArgument("handle: job_dir missing");
  }
  ProcessHandle h;
  h.job_pid = static_cast<pid_t>(job_pid);
  h.job_start_ticks = static_cast<uint64_t>(job_ticks);
  h.supervisor_pid = static_cast<pid_t>(sup_pid);
  h.supervisor_start_ticks = static_cast<uint64_t>(sup_ticks);
  h.started = TimePoint(Duration(started));
  h.job_dir = dir->second;
  h.stdout_path = StdoutPath(h.job_dir);
  h.stderr_path = StderrPath(h.job_dir);
  h.status_path = StatusPath(h.job_dir);
  return h;
}

Status SaveHandle(const ProcessHandle& handle) {
  const std::string path = HandlePath(handle.job_dir);
  const std::string tmp = path + ".tmp";
  const std::string text = FormatHandle(handle);
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Internal("cannot write " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error = errno;
      close(fd);
      return Status::Internal("cannot write " + tmp + ": " + std::strerror(error));
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    return Status::Internal("cannot sync " + tmp + ": " + std::strerror(errno));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Internal("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  int dir = open(handle.job_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
  return Status::Ok();
}

Result<ProcessHandle> LoadHandle(const std::string& job_dir) {
  std::ifstream in(HandlePath(job_dir));
  if (!in) return Status::NotFound("no handle in " + job_dir);
  std::stringstream text;
  text << in.rdbuf();
  auto handle = ParseHandle(text.str());
  if (!handle.ok()) return handle.status().WithContext(HandlePath(job_dir));
  return handle;
}

}  // namespace sunwind
