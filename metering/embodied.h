// Embodied emissions: the share of a machine's manufacturing and disposal
// emissions that a job's use of it accounts for, by Cloud Carbon Footprint's
// method (the SCI specification's M = TE × (TR/EL) × (RR/TR)):
//
//   embodied_g = total_embodied_kg × 1000
//                × (job hours / expected lifespan hours)
//                × (share of the machine the job used)
//
// Shown apart from operational emissions, never added into emissions_g: the
// grid did not emit it while the job ran, and it is spent whether or not the
// job waits for a cleaner hour.
//
// Coefficients (data/hardware/, Apache-2.0, see data/NOTICE.md):
// - expected lifespan: CCF's SERVER_EXPECTED_LIFESPAN, 35040 h (4 years), from
//   ccf_scalar_coefficients.csv;
// - the machine's total: CCF's base server, 1000 kg CO2eq (Teads' figure
//   from Dell's PowerEdge R740 life-cycle assessment), the base that every
//   row of coefficients-aws-embodied.csv holds beneath its additional memory,
//   storage, CPUs and GPUs. sunwind does not know the memory, disks or GPUs
//   of the host it runs on, so it charges the base alone: a lower bound.
// - the share: CCF uses reserved vCPUs / the platform's vCPUs. A local job
//   reserves none, so sunwind uses the vCPUs it kept busy (its CPU seconds /
//   wall seconds) over the host's logical CPUs, or its GPUs over the host's
//   GPUs where that is larger, capped at 1.
//
// Pure arithmetic and a small CSV loader; no clock, no /proc.
#ifndef SUNWIND_METERING_EMBODIED_H_
#define SUNWIND_METERING_EMBODIED_H_

#include <string>

#include "core/status.h"

namespace sunwind {

// CCF's figures as bundled (EmbodiedCoefficients::Load reads them from the
// data files; a test checks these equal what the files say), for code that
// has no data directory at hand (the daemon's report).
inline constexpr double kCcfServerLifespanH = 35040;  // 4 years
inline constexpr double kCcfBaseServerKg = 1000;

// A machine as the estimate sees it.
struct EmbodiedMachine {
  double total_kg = 0;  // its whole embodied emissions, kg CO2eq
  int vcpus = 1;        // logical CPUs (> 0)
  int gpus = 0;
  std::string source;   // where total_kg came from, for the note
};

// What the job used of it.
struct EmbodiedUse {
  double hours = 0;       // wall time the job held the machine
  double vcpus_used = 0;  // mean busy vCPUs (CPU seconds / wall seconds)
  int gpus_used = 0;
};

struct EmbodiedEstimate {
  double emissions_g = 0;  // g CO2eq
  double share = 0;        // of the machine, 0..1
  double lifespan_h = 0;
  std::string note;        // the formula with its numbers and sources
};

// InvalidArgument for a lifespan, total or vCPU count that is not positive,
// or negative use.
Result<EmbodiedEstimate> EstimateEmbodied(const EmbodiedMachine& machine, const EmbodiedUse& use,
                                          double lifespan_h);

// CCF's coefficients as bundled in data/hardware.
class EmbodiedCoefficients {
 public:
  // Reads <hardware_dir>/ccf_scalar_coefficients.csv (the lifespan; every
  // provider must agree) and <hardware_dir>/coefficients-aws-embodied.csv
  // (the base server: total − additional parts, equal on every row).
  // NotFound / InvalidArgument naming the file and line.
  static Result<EmbodiedCoefficients> Load(const std::string& hardware_dir);
  // From values already known (tests, and a report without data files).
  EmbodiedCoefficients(double lifespan_h, double base_server_kg)
      : lifespan_h_(lifespan_h), base_server_kg_(base_server_kg) {}

  double lifespan_h() const { return lifespan_h_; }
  double base_server_kg() const { return base_server_kg_; }
  // The host as CCF's base server with `logical_cpus` and `gpus`.
  EmbodiedMachine BaseServer(int logical_cpus, int gpus = 0) const;

 private:
  double lifespan_h_;
  double base_server_kg_;
};

}  // namespace sunwind

#endif  // SUNWIND_METERING_EMBODIED_H_
