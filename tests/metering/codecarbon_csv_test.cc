// The CodeCarbon-compatible CSV: its header byte for byte against CodeCarbon's
// own fixture, field order and units, empty fields, quoting, appending.
#include "metering/codecarbon_csv.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/csv.h"
#include "tests/support/temp_dir.h"

namespace sunwind {
namespace {

using testing::TempDir;

std::string FixtureHeaderLine() {
  std::ifstream in(std::string(SUNWIND_SOURCE_DIR) + "/tests/fixtures/codecarbon/emissions_valid_headers.csv",
                   std::ios::binary);
  std::string line;
  std::getline(in, line);
  return line + "\n";
}

TEST(CodeCarbonCsvTest, HeaderIsCodeCarbonsByteForByte) {
  // Given CodeCarbon's fixture emissions_valid_headers.csv, our header should
  // be its first line exactly: 38 columns, same names, same order.
  std::string fixture = FixtureHeaderLine();
  ASSERT_GT(fixture.size(), 100u);
  EXPECT_EQ(fixture, CodeCarbonHeader());
  EXPECT_EQ(38u, CodeCarbonColumns().size());
}

TEST(CodeCarbonCsvTest, RowPutsEachFigureInItsColumnAndLeavesTheRestEmpty) {
  // Given a row with a few figures, each should land under its CodeCarbon
  // column, and a field that does not apply (GPU, python_version) be empty.
  CodeCarbonRow row;
  row.timestamp = TimePoint{Duration{1700002800}};
  row.project_name = "demo";
  row.run_id = "r1";
  row.duration_s = 12.5;
  row.emissions_kg = 0.00024;
  row.cpu_power_w = 25;
  row.cpu_energy_kwh = 0.1;
  row.energy_consumed_kwh = 0.1;
  row.cpu_count = 4;
  row.cpu_model = "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz, rev \"B\"";
  row.on_cloud = "N";
  row.pue = 1.2;
  std::string line = FormatCodeCarbonRow(row);
  auto parsed = ParseCsv(CodeCarbonHeader() + line);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(2u, parsed->size());
  const auto& names = (*parsed)[0].fields;
  const auto& values = (*parsed)[1].fields;
  ASSERT_EQ(38u, values.size());
  std::map<std::string, std::string> by;
  for (size_t i = 0; i < names.size(); ++i) by[names[i]] = values[i];
  EXPECT_EQ("2023-11-14T23:00:00", by["timestamp"]);
  EXPECT_EQ("12.5", by["duration"]);
  EXPECT_EQ("0.00024", by["emissions"]);
  EXPECT_EQ("25", by["cpu_power"]);
  EXPECT_EQ("", by["gpu_power"]);
  EXPECT_EQ("", by["python_version"]);
  EXPECT_EQ("4", by["cpu_count"]);
  EXPECT_EQ(row.cpu_model, by["cpu_model"]);  // quoted and unquoted intact
  EXPECT_EQ("1.2", by["pue"]);
  EXPECT_EQ("", by["wue"]);
  EXPECT_NE(std::string::npos, line.find("\"Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz, rev \"\"B\"\"\""));
}

TEST(CodeCarbonCsvTest, AppendWritesTheHeaderOnceAndRefusesAnotherLayout) {
  // Given a new file, two appends should give one header and two rows; a
  // file with CodeCarbon v2.4's older 31-column header should be refused.
  TempDir dir;
  std::string path = dir.File("emissions.csv");
  CodeCarbonRow row;
  row.project_name = "p";
  ASSERT_TRUE(AppendCodeCarbonRow(path, row).ok());
  ASSERT_TRUE(AppendCodeCarbonRow(path, row).ok());
  auto text = ReadFile(path);
  ASSERT_TRUE(text.ok());
  auto rows = ParseCsv(*text);
  ASSERT_EQ(3u, rows->size());
  EXPECT_EQ(CodeCarbonColumns(), (*rows)[0].fields);

  std::string old = std::string(SUNWIND_SOURCE_DIR) + "/tests/fixtures/codecarbon/example_v2.4_emissions.csv";
  std::string copy = dir.Write("old.csv", *ReadFile(old));
  Status s = AppendCodeCarbonRow(copy, row);
  EXPECT_EQ(StatusCode::kFailedPrecondition, s.code());
}

TEST(CodeCarbonCsvTest, NumbersRoundTripAndUuidsAreVersion4) {
  EXPECT_EQ("0.1", FormatCsvNumber(0.1));
  EXPECT_EQ(0.1 / 3.0, std::stod(FormatCsvNumber(0.1 / 3.0)));
  std::string u = RandomUuid();
  ASSERT_EQ(36u, u.size());
  EXPECT_EQ('4', u[14]);
  EXPECT_NE(RandomUuid(), u);
}

}  // namespace
}  // namespace sunwind
