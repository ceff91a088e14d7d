// The CPU fallback when RAPL cannot be read: the CPU's model name from
// /proc/cpuinfo matched to a TDP table (CodeCarbon's cpu_power.csv, bundled as
// data/hardware/cpu_power.csv), and power = TDP × the job's share of the
// machine's CPU time:
//
//   cpu_w = tdp_w × job_cpu_seconds / (wall_seconds × logical_cores)
//
// TDP is the package's sustained design power at full load, so a job using
// every core fully is charged the whole TDP and an idle job nothing. Accuracy:
// real package power at full load is typically within ±30 % of TDP (turbo
// above it, light vector loads below); idle and uncore power are not charged.
//
// Matching (the rule CodeCarbon uses, in C++): the model name is normalised —
// "(R)", "(TM)", "CPU", "Processor", the "@ 2.60GHz" suffix and core-count
// words ("8-Core") removed, lower-cased, split on spaces. Then
//  1. an entry equal to the normalised name wins;
//  2. else the entries whose every token appears in the name (CodeCarbon's
//     token_set_ratio == 100) and that contain a model number (a token with a
//     digit) are candidates; the one with the most tokens wins; a tie between
//     different TDPs is ambiguous and counts as unknown.
// An unknown CPU uses kDefaultCpuTdpW and says so.
#ifndef SUNWIND_METERING_CPU_MODEL_H_
#define SUNWIND_METERING_CPU_MODEL_H_

#include <string>
#include <vector>

#include "core/status.h"

namespace sunwind {

// CodeCarbon's default for a CPU missing from its table (85 W, the TDP of a
// typical mainstream desktop/server part; CodeCarbon's methodology docs).
inline constexpr double kDefaultCpuTdpW = 85.0;

struct CpuInfo {
  std::string model_name;  // first "model name" line, e.g. "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz"
  int logical_cores = 0;   // "processor" lines
};

// Parses <proc_root>/cpuinfo. NotFound if unreadable; a file with no model
// name line gives an empty model_name (ARM boards) and the core count.
Result<CpuInfo> ReadCpuInfo(const std::string& proc_root = "/proc");

struct TdpEntry {
  std::string name;
  double tdp_w = 0;
  std::vector<std::string> tokens;  // CpuModelTokens(name), computed once at load
};

class TdpTable {
 public:
  // Loads a "Name,TDP" CSV (CodeCarbon's cpu_power.csv format).
  static Result<TdpTable> LoadFromFile(const std::string& path);
  static Result<TdpTable> LoadFromString(const std::string& csv, const std::string& origin);

  struct Match {
    bool found = false;
    std::string entry;   // the table row matched
    double tdp_w = kDefaultCpuTdpW;
    std::string note;    // how it was matched, or why the default is used
  };
  // Matches a model name as described in the header comment.
  Match Lookup(const std::string& model_name) const;
  size_t size() const { return entries_.size(); }

 private:
  std::vector<TdpEntry> entries_;
};

// The lowered, cleaned tokens of a CPU model name (exposed for tests).
std::vector<std::string> CpuModelTokens(const std::string& model_name);

// TDP × share of CPU time (see above); 0 for a non-positive interval.
double TdpModelPowerW(double tdp_w, double job_cpu_s, double wall_s, int logical_cores);

}  // namespace sunwind

#endif  // SUNWIND_METERING_CPU_MODEL_H_
