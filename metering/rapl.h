// CPU package energy from Intel RAPL (and AMD's RAPL-compatible driver) as the
// Linux powercap framework exposes it: <root>/intel-rapl:N/energy_uj, a
// microjoule counter per domain that wraps at max_energy_range_uj.
//
// Which domains count. Top-level zones only (intel-rapl:N, intel-rapl-mmio:N):
// their subzones (core, uncore, dram under a package) are parts of the package
// and would be counted twice. Per machine, either every `package-N` domain or,
// when there is none, `psys` — never both: psys (client platforms only) is the
// whole SoC platform and already includes the packages, and the package is the
// figure CodeCarbon and the TDP model report as CPU energy, so preferring it
// keeps sunwind's cpu_energy comparable. Some CPUs publish the same package
// counter twice, through MSRs (intel-rapl) and MMIO (intel-rapl-mmio); a domain
// name seen under both is counted once (the MSR one when readable).
//
// Wraps and resets. Read at least once per wrap period (at 1 s sampling a
// 262 kJ range lasts > 10 min even at 400 W): when a counter is lower than
// before it wrapped, and the energy is (range - previous) + current. A
// "wrap" that would add half the range or more in one read is a counter
// reset (driver reload, hotplug), not a wrap: that read's delta is dropped,
// never emitted, and counted in dropped_reads(). With no readable range, every
// backwards step is dropped.
//
// Permissions. Since Linux 5.10 energy_uj is readable by root only
// (CVE-2020-8694), and virtual machines usually have no powercap tree at all:
// Open() then fails with a Status that says which, so the caller falls back to
// the TDP model and says why.
//
// Not thread-safe: one reader per sampling loop.
#ifndef SUNWIND_METERING_RAPL_H_
#define SUNWIND_METERING_RAPL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace sunwind {

inline constexpr char kDefaultPowercapRoot[] = "/sys/class/powercap";

struct RaplDomain {
  std::string zone;  // directory name, e.g. "intel-rapl:0" or "intel-rapl-mmio:0"
  std::string name;  // the zone's `name` file, e.g. "package-0" or "psys"
  std::string energy_path;
  uint64_t max_energy_range_uj = 0;  // 0: unknown (wraps cannot be counted)
  uint64_t last_uj = 0;
};

class RaplReader {
 public:
  // Finds the domains to count under root and reads each counter once.
  // NotFound: no powercap tree or no package/psys domain (typical in VMs).
  // FailedPrecondition: the domains exist but energy_uj cannot be read
  // (not root). The message names the path and the reason.
  static Result<RaplReader> Open(const std::string& root = kDefaultPowercapRoot);

  // Joules consumed by all counted domains since the previous call (since
  // Open for the first). Never negative. Fails only if a counter that was
  // readable can no longer be read.
  Result<double> ReadDeltaJoules();

  const std::vector<RaplDomain>& domains() const { return domains_; }
  // Reads whose delta was dropped (reset or unknowable wrap).
  int dropped_reads() const { return dropped_reads_; }
  // "package-0, package-1 (intel-rapl)" for the method note.
  std::string Describe() const;

 private:
  std::vector<RaplDomain> domains_;
  int dropped_reads_ = 0;
};

// The energy between two readings of a counter that wraps at range_uj
// (0: unknown). Returns false when the step must be dropped (see above).
bool RaplCounterDelta(uint64_t previous_uj, uint64_t current_uj, uint64_t range_uj, uint64_t* delta_uj);

}  // namespace sunwind

#endif  // SUNWIND_METERING_RAPL_H_
