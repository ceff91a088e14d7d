// RAM power: a fixed watts-per-gigabyte figure applied to the job's resident
// memory. 0.375 W/GB is CodeCarbon's model up to v2.x ("3 W for 8 GB", from
// Crucial's note on DDR4 module power, cited in CodeCarbon's methodology); it
// counts only what the job keeps resident, not the machine's installed DIMMs,
// so an idle job with little memory is charged little. Accuracy: DDR4/DDR5
// module power varies from ~0.2 to ~0.6 W/GB with load, so treat RAM figures
// as ±50 %. Shared pages (libraries) are counted once per process.
#ifndef SUNWIND_METERING_RAM_MODEL_H_
#define SUNWIND_METERING_RAM_MODEL_H_

#include <cstdint>
#include <string>

#include "core/status.h"

namespace sunwind {

inline constexpr double kRamWattsPerGb = 3.0 / 8.0;

// Gigabytes as CodeCarbon counts them: 10^9 bytes.
inline double BytesToGb(uint64_t bytes) { return static_cast<double>(bytes) * 1e-9; }

// Watts drawn by `resident_bytes` of memory at `watts_per_gb`.
double RamModelPowerW(uint64_t resident_bytes, double watts_per_gb = kRamWattsPerGb);

// MemTotal of <proc_root>/meminfo in bytes.
Result<uint64_t> ReadMemTotalBytes(const std::string& proc_root = "/proc");

}  // namespace sunwind

#endif  // SUNWIND_METERING_RAM_MODEL_H_
