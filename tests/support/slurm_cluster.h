// The test Slurm cluster that scripts/slurm-up.sh starts, as the tests that
// need it find it: SLURM_CONF, else $SUNWIND_SLURM_DIR/etc/slurm.conf
// (default /tmp/sunwind-slurm). They skip, saying why, only where it does not
// answer, and hold a lock on one file (shared; exclusive for the test that
// restarts slurmctld) so ctest -j never runs a restart beside them.
#ifndef SUNWIND_TESTS_SUPPORT_SLURM_CLUSTER_H_
#define SUNWIND_TESTS_SUPPORT_SLURM_CLUSTER_H_

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "executors/command_runner.h"

namespace sunwind::testing {

inline std::string SlurmStateDir() {
  const char* dir = getenv("SUNWIND_SLURM_DIR");
  return dir != nullptr && *dir != '\0' ? dir : "/tmp/sunwind-slurm";
}

// Points SLURM_CONF at the test cluster when it is unset; "" when
// `partitions` (comma-separated) answer as up, else why not.
inline std::string SlurmSkipReason(const std::string& partitions) {
  const char* conf = getenv("SLURM_CONF");
  if (conf == nullptr || *conf == '\0') {
    const std::string path = SlurmStateDir() + "/etc/slurm.conf";
    if (std::filesystem::exists(path)) setenv("SLURM_CONF", path.c_str(), 1);
  }
  PosixCommandRunner runner;
  auto r = runner.Run({"sinfo", "-h", "-p", partitions, "-o", "%a"}, std::chrono::seconds(10));
  if (!r.ok()) return r.status().message();
  if (r->exit_code != 0 || r->stdout_text.find("up") == std::string::npos) {
    return "sinfo: " + r->stderr_text + r->stdout_text;
  }
  return "";
}

// Takes the Slurm tests' lock; returns its descriptor (close it to release),
// or -1 when it cannot be taken.
inline int LockSlurmTests(bool exclusive) {
  const int fd = open((std::filesystem::temp_directory_path() / "sunwind-slurm-tests.lock").c_str(),
                      O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd >= 0 && flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace sunwind::testing

#endif  // SUNWIND_TESTS_SUPPORT_SLURM_CLUSTER_H_
