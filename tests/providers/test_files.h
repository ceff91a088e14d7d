// Helpers shared by the provider tests: a per-test temporary folder, and an
// independent reader of the bundled Electricity Maps files (plain string
// splitting: those files have no quoted fields), so expected values do not
// come from the parser under test.
#ifndef SUNWIND_TESTS_PROVIDERS_TEST_FILES_H_
#define SUNWIND_TESTS_PROVIDERS_TEST_FILES_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace sunwind::testutil {

// A folder under the system temp dir, named after the running test and
// removed (with everything in it) when the object goes.
using sunwind::testing::TempDir;

// One row of an Electricity Maps export: direct and lifecycle intensity.
struct EmRow {
  double direct;
  double lifecycle;
};

// Rows of a bundled Electricity Maps file keyed by its "Datetime (UTC)" text,
// e.g. "2022-06-01 12:00:00". Columns: 0 time, 4 direct, 5 LCA.
inline std::map<std::string, EmRow> ReadEmFile(const std::string& path) {
  std::map<std::string, EmRow> rows;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    if (f.size() < 6 || f[4].empty() || f[5].empty()) continue;
    rows[f[0]] = {std::stod(f[4]), std::stod(f[5])};
  }
  return rows;
}

// Rows of a Let's Wait Awhile file ("Time,Carbon Intensity") keyed by time text.
inline std::map<std::string, double> ReadLwaFile(const std::string& path) {
  std::map<std::string, double> rows;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto comma = line.find(',');
    if (comma == std::string::npos) continue;
    rows[line.substr(0, comma)] = std::stod(line.substr(comma + 1));
  }
  return rows;
}

}  // namespace sunwind::testutil

#endif  // SUNWIND_TESTS_PROVIDERS_TEST_FILES_H_
