#include "metering/proc_usage.h"

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

Result<ProcUsage> ReadProcUsage(const std::string& proc_root, pid_t pid) {
  std::string base = proc_root + "/" + std::to_string(pid);
  std::string stat;
  if (!Slurp(base + "/stat", &stat)) return Status::NotFound("no process " + std::to_string(pid));
  // The command name may hold spaces and ')': fields are counted from the last ')'.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return Status::Internal(base + "/stat: malformed");
  std::istringstream fields(stat.substr(close + 1));
  std::vector<std::string> f;  // f[0] is field 3 (state)
  std::string tok;
  while (fields >> tok && f.size() < 20) f.push_back(tok);
  if (f.size() < 15) return Status::Internal(base + "/stat: too few fields");
  static const double ticks_per_s = static_cast<double>(sysconf(_SC_CLK_TCK));
  ProcUsage u;
  u.pid = pid;
  u.parent_pid = static_cast<pid_t>(std::strtol(f[1].c_str(), nullptr, 10));
  double ticks = 0;
  for (int field = 14; field <= 17; ++field) ticks += std::strtod(f[field - 3].c_str(), nullptr);
  u.cpu_s = ticks / ticks_per_s;
  std::string statm;
  if (Slurp(base + "/statm", &statm)) {
    std::istringstream s(statm);
    uint64_t size = 0, resident = 0;
    if (s >> size >> resident) u.rss_bytes = resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  }
  return u;
}

std::vector<pid_t> ListDescendants(const std::string& proc_root, pid_t root_pid) {
  std::vector<std::pair<pid_t, pid_t>> parents;  // (pid, ppid)
  if (DIR* dir = opendir(proc_root.c_str())) {
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
      pid_t pid = static_cast<pid_t>(std::strtol(e->d_name, nullptr, 10));
      std::string stat;
      if (!Slurp(proc_root + "/" + e->d_name + "/stat", &stat)) continue;
      size_t close = stat.rfind(')');
      if (close == std::string::npos || close + 4 >= stat.size()) continue;
      if (stat[close + 2] == 'Z' || stat[close + 2] == 'X') continue;
      pid_t ppid = static_cast<pid_t>(std::strtol(stat.c_str() + close + 4, nullptr, 10));
      parents.push_back({pid, ppid});
    }
    closedir(dir);
  }
  std::vector<pid_t> tree = {root_pid};
  // Breadth-first over the parent links; bounded by the snapshot's size.
  for (size_t i = 0; i < tree.size() && tree.size() <= parents.size() + 1; ++i) {
    for (const auto& [pid, ppid] : parents) {
      if (ppid == tree[i] && pid != root_pid) tree.push_back(pid);
    }
  }
  std::sort(tree.begin(), tree.end());
  return tree;
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
