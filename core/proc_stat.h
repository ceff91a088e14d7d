// What /proc says about a process: its state, parent, process group, CPU time
// and start time. Shared by the executors (re-adoption, process trees) and
// metering (CPU time of a job's tree). The start time (clock ticks since boot) is what tells a live process
// from a recycled pid, so every handle records it and every check compares it.
#ifndef SUNWIND_CORE_PROC_STAT_H_
#define SUNWIND_CORE_PROC_STAT_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace sunwind {

struct ProcStat {
  pid_t pid = 0;
  char state = '?';  // R, S, D, T (stopped), t, Z (zombie), X, ...
  pid_t parent_pid = 0;
  pid_t process_group = 0;
  // Fields 14-17: user and system CPU time of the process and of its
  // children it has waited for, in clock ticks (sysconf(_SC_CLK_TCK)).
  uint64_t cpu_ticks = 0;
  uint64_t start_ticks = 0;  // field 22: clock ticks after boot
};

// Parses the text of /proc/<pid>/stat. The command name may hold spaces and
// parentheses, so fields are counted from the last ')'. Allocates nothing and
// calls nothing but arithmetic: the supervisor uses it between fork and exit,
// where only async-signal-safe code may run. Returns false on malformed text.
bool ParseProcStat(const char* text, size_t length, ProcStat* out);

// Reads <proc_root>/<pid>/stat with open/read only (async-signal-safe, as
// above). False if the process does not exist (any more) or the text is bad.
bool ReadProcStat(const char* proc_root, pid_t pid, ProcStat* out);

// True when pid names a process that has not exited (not a zombie) and
// started at start_ticks: the same process a handle recorded, not a recycled
// pid.
bool IsSameLiveProcess(const std::string& proc_root, pid_t pid, uint64_t start_ticks);

// Every process under <proc_root> in process group `process_group` or
// descended from `root_pid` (a job's child may leave the group with setsid
// and still be the job's work), zombies excluded, sorted by pid. For
// metering: the power a job draws is the power its whole tree draws.
Result<std::vector<pid_t>> ListProcessTree(const std::string& proc_root, pid_t root_pid,
                                           pid_t process_group);

// Every live process under <proc_root> at one moment (zombies excluded): one
// scan of /proc that answers the trees of many jobs, where ListProcessTree
// would scan once per job.
class ProcessSnapshot {
 public:
  static Result<ProcessSnapshot> Take(const std::string& proc_root);
  // ListProcessTree's answer on this snapshot.
  std::vector<pid_t> Tree(pid_t root_pid, pid_t process_group) const;

 private:
  struct Entry {
    pid_t parent_pid = 0;
    pid_t process_group = 0;
  };
  std::map<pid_t, Entry> live_;
};

}  // namespace sunwind

#endif  // SUNWIND_CORE_PROC_STAT_H_
