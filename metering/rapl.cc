#include "metering/rapl.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace sunwind {
namespace {

namespace fs = std::filesystem;

// Reads the first line of a small sysfs file; false if it cannot be opened.
bool ReadLine(const std::string& path, std::string* line, int* error) {
  errno = 0;
  std::ifstream in(path);
  if (!in) {
    *error = errno;
    return false;
  }
  std::getline(in, *line);
  *error = 0;
  return true;
}

bool ReadUint(const std::string& path, uint64_t* value, int* error) {
  std::string line;
  if (!ReadLine(path, &line, error)) return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(line.c_str(), &end, 10);
  if (end == line.c_str() || errno != 0) {
    *error = EINVAL;
    return false;
  }
  *value = v;
  return true;
}

// A top-level zone: "intel-rapl:0" or "intel-rapl-mmio:0", not "intel-rapl:0:1".
bool IsTopLevelZone(const std::string& dir) {
  for (const char* prefix : {"intel-rapl:", "intel-rapl-mmio:"}) {
    std::string p = prefix;
    if (dir.rfind(p, 0) == 0 && dir.find(':', p.size()) == std::string::npos) return true;
  }
  return false;
}

}  // namespace

bool RaplCounterDelta(uint64_t previous_uj, uint64_t current_uj, uint64_t range_uj, uint64_t* delta_uj) {
  if (current_uj >= previous_uj) {
    *delta_uj = current_uj - previous_uj;
    return true;
  }
  if (range_uj == 0 || previous_uj > range_uj) return false;  // wrap not countable
  uint64_t wrapped = (range_uj - previous_uj) + current_uj;
  if (wrapped >= range_uj / 2) return false;  // a reset, not a wrap
  *delta_uj = wrapped;
  return true;
}

Result<RaplReader> RaplReader::Open(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return Status::NotFound("RAPL not available: no powercap tree at " + root +
                            " (usual in virtual machines)");
  }
  struct Candidate {
    std::string zone, name, dir;
    bool mmio;
  };
  std::vector<Candidate> found;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    std::string dir = entry.path().filename().string();
    if (!IsTopLevelZone(dir)) continue;
    std::string name;
    int error = 0;
    if (!ReadLine((entry.path() / "name").string(), &name, &error)) continue;
    if (name.rfind("package-", 0) != 0 && name != "psys") continue;
    found.push_back({dir, name, entry.path().string(), dir.rfind("intel-rapl-mmio:", 0) == 0});
  }
  bool any_package = false;
  for (const auto& c : found) any_package |= c.name != "psys";

  RaplReader reader;
  std::set<std::string> taken;
  std::string unreadable;
  // MSR zones first so a mirrored MMIO counter is the one skipped.
  for (bool mmio : {false, true}) {
    std::map<std::string, const Candidate*> sorted;
    for (const auto& c : found) {
      if (c.mmio == mmio) sorted[c.zone] = &c;
    }
    for (const auto& [zone, c] : sorted) {
      if (any_package && c->name == "psys") continue;  // never both
      if (taken.count(c->name)) continue;              // mirrored: count once
      RaplDomain d;
      d.zone = c->zone;
      d.name = c->name;
      d.energy_path = c->dir + "/energy_uj";
      int error = 0;
      if (!ReadUint(d.energy_path, &d.last_uj, &error)) {
        if (unreadable.empty()) {
          unreadable = d.energy_path + ": " + std::strerror(error);
          if (error == EACCES || error == EPERM) unreadable += " (energy_uj is readable by root only since Linux 5.10)";
        }
        continue;
      }
      ReadUint(c->dir + "/max_energy_range_uj", &d.max_energy_range_uj, &error);
      taken.insert(d.name);
      reader.domains_.push_back(d);
    }
  }
  if (reader.domains_.empty()) {
    if (!unreadable.empty()) {
      return Status(StatusCode::kFailedPrecondition, "RAPL not readable: " + unreadable);
    }
    return Status::NotFound("RAPL not available: no package or psys domain under " + root);
  }
  return reader;
}

Result<double> RaplReader::ReadDeltaJoules() {
  uint64_t total_uj = 0;
  for (auto& d : domains_) {
    uint64_t now = 0;
    int error = 0;
    if (!ReadUint(d.energy_path, &now, &error)) {
      return Status::Unavailable("RAPL counter " + d.energy_path + " became unreadable: " + std::strerror(error));
    }
    uint64_t delta = 0;
    if (RaplCounterDelta(d.last_uj, now, d.max_energy_range_uj, &delta)) {
      total_uj += delta;
    } else {
      ++dropped_reads_;
    }
    d.last_uj = now;
  }
  return static_cast<double>(total_uj) * 1e-6;
}

std::string RaplReader::Describe() const {
  std::string out;
  for (const auto& d : domains_) {
    if (!out.empty()) out += ", ";
    out += d.name + " (" + d.zone + ")";
  }
  return out;
}

}  // namespace sunwind
