// Reading recorded carbon-intensity traces from CSV files.
//
// Two formats are understood, told apart by the header:
//  - simple: a time column (datetime, time or timestamp) and an intensity
//    column (carbon_intensity, "Carbon Intensity", intensity) in gCO2eq/kWh,
//    with an optional zone column (or the column the user names). Times are
//    ISO 8601; naive ones are UTC.
//  - the Electricity Maps export: "Datetime (UTC)", "Zone Id",
//    "Carbon Intensity gCO₂eq/kWh (direct)", "... (LCA)", ... (one file may
//    hold several zones).
#ifndef SUNWIND_PROVIDERS_TRACE_FILE_H_
#define SUNWIND_PROVIDERS_TRACE_FILE_H_

#include <optional>
#include <string>
#include <vector>

#include "core/series.h"
#include "core/status.h"

namespace sunwind {

// One zone's samples from one file.
struct ZoneTrace {
  std::string zone;
  std::string origin;  // the file it came from
  // Samples for each emission factor the file gives; a simple file gives one
  // series that serves both (its factor is whatever the file's author used).
  std::vector<Sample> lifecycle;
  std::vector<Sample> direct;
  bool factor_known = false;  // false for simple files
  std::string format;         // "simple" or "electricitymaps"
};

struct TraceReadOptions {
  // Zone for rows of a file without a zone column (--trace-zone).
  std::string default_zone;
  // The column that holds gCO2eq/kWh, when its name is not one sunwind knows
  // (--trace-column).
  std::string value_column;
};

// Parses CSV text. Rows with an empty intensity are skipped (they become gaps);
// an unparsable time or value is an error naming the file, line and column.
Result<std::vector<ZoneTrace>> ParseTraceCsv(const std::string& text, const std::string& origin,
                                             const TraceReadOptions& options);
Result<std::vector<ZoneTrace>> ReadTraceFile(const std::string& path, const TraceReadOptions& options);

}  // namespace sunwind

#endif  // SUNWIND_PROVIDERS_TRACE_FILE_H_
