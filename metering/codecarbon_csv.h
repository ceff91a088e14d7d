// Rows in the layout of CodeCarbon's emissions.csv (its 38 columns, in its
// order, in its units), so tools that read CodeCarbon's output read sunwind's:
//   duration s, emissions kg CO2eq, emissions_rate kg/s, *_power W,
//   *_energy and energy_consumed kWh, water_consumed L, ram_* GB, pue and wue
//   as ratios (wue in L/kWh).
// A field that does not apply (python_version, a GPU column with no GPU, an
// unknown WUE) is left empty, never written as 0.
//
// Differences from CodeCarbon, on purpose: timestamps are UTC ("...Z"-less
// ISO 8601, as CodeCarbon writes its local time); emissions use each hour's
// intensity; water is WUE × IT energy.
#ifndef SUNWIND_METERING_CODECARBON_CSV_H_
#define SUNWIND_METERING_CODECARBON_CSV_H_

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace sunwind {

// The 38 column names, in CodeCarbon's order.
const std::vector<std::string>& CodeCarbonColumns();
// The header line, "timestamp,project_name,...,wue\n".
std::string CodeCarbonHeader();

struct CodeCarbonRow {
  TimePoint timestamp{};
  std::string project_name;
  std::string run_id;
  std::string experiment_id;
  std::optional<double> duration_s;
  std::optional<double> emissions_kg;
  std::optional<double> emissions_rate_kg_per_s;
  std::optional<double> cpu_power_w, gpu_power_w, ram_power_w;
  std::optional<double> cpu_energy_kwh, gpu_energy_kwh, ram_energy_kwh, energy_consumed_kwh;
  std::optional<double> water_consumed_l;
  std::string country_name, country_iso_code, region, cloud_provider, cloud_region, os, python_version,
      codecarbon_version;
  std::optional<int> cpu_count;
  std::string cpu_model;
  std::optional<int> gpu_count;
  std::string gpu_model;
  std::optional<double> longitude, latitude;
  std::optional<double> ram_total_size_gb;
  std::string tracking_mode;
  std::optional<double> cpu_utilization_percent, gpu_utilization_percent, ram_utilization_percent, ram_used_gb;
  std::string on_cloud;  // "Y" or "N"
  std::optional<double> pue, wue;
};

// The row's 38 fields in order, unquoted (exposed for tests).
std::vector<std::string> CodeCarbonFields(const CodeCarbonRow& row);
// One CSV line: RFC 4180 quoting where a field holds a comma, quote or line
// break; "\n" at the end.
std::string FormatCodeCarbonRow(const CodeCarbonRow& row);
// Appends the row to path, writing the header first when the file is new or
// empty. Refuses (FailedPrecondition) a non-empty file whose first line is not
// this header, rather than mixing layouts.
Status AppendCodeCarbonRow(const std::string& path, const CodeCarbonRow& row);

// Shortest text that reads back as the same double ("0.1", "1.5e-07").
std::string FormatCsvNumber(double v);
// A random RFC 4122 version-4 UUID from /dev/urandom.
std::string RandomUuid();

}  // namespace sunwind

#endif  // SUNWIND_METERING_CODECARBON_CSV_H_
