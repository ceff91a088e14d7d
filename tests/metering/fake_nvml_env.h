// The script of the fake libnvidia-ml (fake_nvml.cc) for one test, set in
// the environment it reads at nvmlInit_v2 and unset afterwards.
#ifndef SUNWIND_TESTS_METERING_FAKE_NVML_ENV_H_
#define SUNWIND_TESTS_METERING_FAKE_NVML_ENV_H_

#include <stdlib.h>

#include <fstream>
#include <string>

#include "tests/support/temp_dir.h"

namespace sunwind::testing {

class FakeNvmlEnv {
 public:
  // GPU count, counter step per read (mJ; "-1": no counter), power (mW).
  FakeNvmlEnv(const char* count, const char* step_mj, const char* power_mw) {
    setenv("FAKE_NVML_COUNT", count, 1);
    setenv("FAKE_NVML_ENERGY_STEP_MJ", step_mj, 1);
    setenv("FAKE_NVML_POWER_MW", power_mw, 1);
    setenv("FAKE_NVML_PROCESS_UTIL_FILE", util_file_.c_str(), 1);
    unsetenv("FAKE_NVML_INIT_FAILS");
    unsetenv("FAKE_NVML_NO_PROCESS_UTIL");
    SetUtilisation("");
  }
  ~FakeNvmlEnv() {
    for (const char* v : {"FAKE_NVML_COUNT", "FAKE_NVML_ENERGY_STEP_MJ", "FAKE_NVML_POWER_MW",
                          "FAKE_NVML_PROCESS_UTIL_FILE", "FAKE_NVML_NO_PROCESS_UTIL"}) {
      unsetenv(v);
    }
  }
  FakeNvmlEnv(const FakeNvmlEnv&) = delete;
  FakeNvmlEnv& operator=(const FakeNvmlEnv&) = delete;

  // Per-process utilisation the fake answers: "<gpu> <pid> <sm%>" lines.
  void SetUtilisation(const std::string& lines) { std::ofstream(util_file_) << lines; }

 private:
  TempDir dir_;
  std::string util_file_ = dir_.File("utilisation");
};

}  // namespace sunwind::testing

#endif  // SUNWIND_TESTS_METERING_FAKE_NVML_ENV_H_
