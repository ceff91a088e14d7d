#include "metering/ram_model.h"

#include <fstream>
#include <sstream>

namespace sunwind {

double RamModelPowerW(uint64_t resident_bytes, double watts_per_gb) {
  return BytesToGb(resident_bytes) * watts_per_gb;
}

Result<uint64_t> ReadMemTotalBytes(const std::string& proc_root) {
  std::ifstream in(proc_root + "/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemTotal:", 0) != 0) continue;
    std::istringstream ss(line.substr(9));
    uint64_t kb = 0;
    if (ss >> kb) return kb * 1024;
  }
  return Status::NotFound("no MemTotal in " + proc_root + "/meminfo");
}

}  // namespace sunwind
