// What a job's processes use, from /proc: CPU seconds and resident memory of
// its whole process tree. The root path is injected so tests can point it at a
// fake tree; in production it is "/proc".
#ifndef SUNWIND_METERING_PROC_USAGE_H_
#define SUNWIND_METERING_PROC_USAGE_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace sunwind {

struct ProcUsage {
  pid_t pid = 0;
  pid_t parent_pid = 0;
  // utime + stime + cutime + cstime (fields 14-17 of /proc/<pid>/stat), in
  // seconds: the process's own CPU time plus that of the children it has
  // waited for. Children still running are counted by their own entry, so
  // summing over live processes counts each CPU second once.
  double cpu_s = 0;
  uint64_t rss_bytes = 0;  // VmRSS: resident pages (statm field 2) × page size
};

// Reads <proc_root>/<pid>/stat and statm. NotFound once the process is gone.
Result<ProcUsage> ReadProcUsage(const std::string& proc_root, pid_t pid);

// root_pid and every live descendant of it (by parent pid) under proc_root,
// sorted. A process reparented away from the tree (double fork + setsid to
// init) is no longer seen: the figures say so in their note.
std::vector<pid_t> ListDescendants(const std::string& proc_root, pid_t root_pid);

// The value of `name` in the environment the process was started with
// (<proc_root>/<pid>/environ). nullopt when unset, or when the file cannot be
// read (another user's process, or gone).
std::optional<std::string> ReadProcessEnv(const std::string& proc_root, pid_t pid, const std::string& name);

// Cumulative CPU seconds of a changing set of processes, never decreasing.
// When a child exits, its time moves into its parent's cutime only once the
// parent reaps it: until then the sum dips. The tracker keeps the highest total
// seen, so the dip is not a negative interval and the time is counted when it
// reappears. Not thread-safe.
class TreeUsageTracker {
 public:
  explicit TreeUsageTracker(std::string proc_root) : proc_root_(std::move(proc_root)) {}
  // Reads the given pids (gone ones are skipped). Returns the cumulative CPU
  // seconds of the tree and sets *rss_bytes to its current resident memory.
  double Update(const std::vector<pid_t>& pids, uint64_t* rss_bytes);
  // Raises the cumulative total to at least cpu_s (e.g. the exited root's
  // rusage from wait4, which includes every descendant it reaped).
  void RaiseTo(double cpu_s);
  double cpu_s() const { return total_cpu_s_; }

 private:
  std::string proc_root_;
  double total_cpu_s_ = 0;
};

}  // namespace sunwind

#endif  // SUNWIND_METERING_PROC_USAGE_H_
