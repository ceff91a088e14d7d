#include "core/proc_stat.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <string>

namespace sunwind {
namespace {

// Parses an optionally negative decimal at *p, advancing past it and one
// separating space.
bool ParseInt(const char** p, const char* end, int64_t* out) {
  const char* s = *p;
  bool negative = false;
  if (s < end && *s == '-') {
    negative = true;
    ++s;
  }
  if (s >= end || *s < '0' || *s > '9') return false;
  int64_t v = 0;
  while (s < end && *s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
  if (s < end && *s == ' ') ++s;
  *out = negative ? -v : v;
  *p = s;
  return true;
}

bool SkipField(const char** p, const char* end) {
  const char* s = *p;
  if (s >= end || *s == ' ') return false;
  while (s < end && *s != ' ') ++s;
  if (s < end) ++s;
  *p = s;
  return true;
}

}  // namespace

bool ParseProcStat(const char* text, size_t length, ProcStat* out) {
  const char* end = text + length;
  const char* p = text;
  int64_t pid = 0;
  if (!ParseInt(&p, end, &pid)) return false;
  const char* close = nullptr;
  for (const char* s = p; s < end; ++s) {
    if (*s == ')') close = s;
  }
  if (close == nullptr || close + 2 >= end) return false;
  p = close + 2;  // past ") "
  out->pid = static_cast<pid_t>(pid);
  out->state = *p;
  p += 1;
  if (p < end && *p == ' ') ++p;
  int64_t v = 0;
  if (!ParseInt(&p, end, &v)) return false;  // field 4: ppid
  out->parent_pid = static_cast<pid_t>(v);
  if (!ParseInt(&p, end, &v)) return false;  // field 5: pgrp
  out->process_group = static_cast<pid_t>(v);
  // Fields 6..21 lie between the process group and the start time; 14-17
  // are CPU times.
  out->cpu_ticks = 0;
  for (int field = 6; field <= 21; ++field) {
    if (field >= 14 && field <= 17) {
      if (!ParseInt(&p, end, &v)) return false;
      if (v > 0) out->cpu_ticks += static_cast<uint64_t>(v);
    } else if (!SkipField(&p, end)) {
      return false;
    }
  }
  if (!ParseInt(&p, end, &v)) return false;  // field 22: starttime
  out->start_ticks = static_cast<uint64_t>(v);
  return true;
}

bool ReadProcStat(const char* proc_root, pid_t pid, ProcStat* out) {
  // Builds "<proc_root>/<pid>/stat" by hand: no allocation, no stdio.
  char path[512];
  size_t n = 0;
  for (const char* s = proc_root; *s != '\0' && n < 400; ++s) path[n++] = *s;
  path[n++] = '/';
  char digits[24];
  int d = 0;
  unsigned long value = static_cast<unsigned long>(pid);
  do {
    digits[d++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (d > 0) path[n++] = digits[--d];
  for (const char* s = "/stat"; *s != '\0'; ++s) path[n++] = *s;
  path[n] = '\0';

  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char text[1024];
  size_t length = 0;
  while (length < sizeof(text)) {
    ssize_t got = read(fd, text + length, sizeof(text) - length);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    length += static_cast<size_t>(got);
  }
  close(fd);
  return ParseProcStat(text, length, out);
}

bool IsSameLiveProcess(const std::string& proc_root, pid_t pid, uint64_t start_ticks) {
  if (pid <= 0) return false;
  ProcStat stat;
  if (!ReadProcStat(proc_root.c_str(), pid, &stat)) return false;
  return stat.start_ticks == start_ticks && stat.state != 'Z' && stat.state != 'X';
}

Result<ProcessSnapshot> ProcessSnapshot::Take(const std::string& proc_root) {
  DIR* dir = opendir(proc_root.c_str());
  if (dir == nullptr) return Status::Unavailable("cannot list " + proc_root);
  ProcessSnapshot snapshot;
  while (dirent* entry = readdir(dir)) {
    const char* name = entry->d_name;
    if (*name < '1' || *name > '9') continue;
    pid_t pid = static_cast<pid_t>(std::strtol(name, nullptr, 10));
    ProcStat stat;
    // A process may exit between readdir and the read: skip it.
    if (!ReadProcStat(proc_root.c_str(), pid, &stat)) continue;
    if (stat.state == 'Z' || stat.state == 'X') continue;
    snapshot.live_[pid] = {stat.parent_pid, stat.process_group};
  }
  closedir(dir);
  return snapshot;
}

std::vector<pid_t> ProcessSnapshot::Tree(pid_t root_pid, pid_t process_group) const {
  std::vector<pid_t> tree;
  for (const auto& [pid, entry] : live_) {
    bool member = entry.process_group == process_group || pid == root_pid;
    // Walk up the parents: bounded by the number of processes, in case
    // the snapshot is inconsistent and holds a cycle.
    pid_t up = entry.parent_pid;
    for (size_t hops = 0; !member && up > 1 && hops < live_.size(); ++hops) {
      if (up == root_pid) member = true;
      auto it = live_.find(up);
      if (it == live_.end()) break;
      up = it->second.parent_pid;
    }
    if (member) tree.push_back(pid);
  }
  return tree;  // std::map iterates in pid order
}

Result<std::vector<pid_t>> ListProcessTree(const std::string& proc_root, pid_t root_pid,
                                           pid_t process_group) {
  SUNWIND_ASSIGN_OR_RETURN(ProcessSnapshot snapshot, ProcessSnapshot::Take(proc_root));
  return snapshot.Tree(root_pid, process_group);
}

}  // namespace sunwind
