#include "metering/proc_usage.h"

#include "core/proc_stat.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sunwind {
namespace {

// A small /proc file in one or two read(2) calls: the meter reads a few per
// process per sample, and iostreams cost several times more.
bool Slurp(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  out->clear();
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

}  // namespace

std::optional<std::string> ReadProcessEnv(const std::string& proc_root, pid_t pid, const std::string& name) {
  std::string env;
  if (!Slurp(proc_root + "/" + std::to_string(pid) + "/environ", &env)) return std::nullopt;
  const std::string prefix = name + "=";
  // NUL-separated NAME=value entries.
  for (size_t at = 0; at < env.size();) {
    size_t end = env.find('\0', at);
    if (end == std::string::npos) end = env.size();
    if (env.compare(at, prefix.size(), prefix) == 0) return env.substr(at + prefix.size(), end - at - prefix.size());
    at = end + 1;
  }
  return std::nullopt;
}

Result<ProcUsage> ReadProcUsage(const std::string& proc_root, pid_t pid) {
  ProcStat stat;
  if (!ReadProcStat(proc_root.c_str(), pid, &stat)) return Status::NotFound("no process " + std::to_string(pid));
  static const double ticks_per_s = static_cast<double>(sysconf(_SC_CLK_TCK));
  ProcUsage u;
  u.pid = pid;
  u.parent_pid = stat.parent_pid;
  u.cpu_s = static_cast<double>(stat.cpu_ticks) / ticks_per_s;
  std::string statm;
  if (Slurp(proc_root + "/" + std::to_string(pid) + "/statm", &statm)) {
    std::istringstream s(statm);
    uint64_t size = 0, resident = 0;
    if (s >> size >> resident) u.rss_bytes = resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  }
  return u;
}

std::vector<pid_t> ListDescendants(const std::string& proc_root, pid_t root_pid) {
  // No process is in group -1: the tree by parentage only.
  auto tree = ListProcessTree(proc_root, root_pid, /*process_group=*/-1);
  std::vector<pid_t> out = tree.ok() ? std::move(tree).value() : std::vector<pid_t>{};
  if (!std::binary_search(out.begin(), out.end(), root_pid)) out.insert(std::lower_bound(out.begin(), out.end(), root_pid), root_pid);
  return out;
}

double TreeUsageTracker::Update(const std::vector<pid_t>& pids, uint64_t* rss_bytes) {
  double cpu_s = 0;
  uint64_t rss = 0;
  for (pid_t pid : pids) {
    auto u = ReadProcUsage(proc_root_, pid);
    if (!u.ok()) continue;  // exited between listing and reading
    cpu_s += u->cpu_s;
    rss += u->rss_bytes;
  }
  total_cpu_s_ = std::max(total_cpu_s_, cpu_s);
  if (rss_bytes) *rss_bytes = rss;
  return total_cpu_s_;
}

void TreeUsageTracker::RaiseTo(double cpu_s) { total_cpu_s_ = std::max(total_cpu_s_, cpu_s); }

}  // namespace sunwind
