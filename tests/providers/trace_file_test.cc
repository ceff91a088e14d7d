// ParseTraceCsv / ReadTraceFile: the simple format and the Electricity Maps export.
#include "providers/trace_file.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "tests/providers/test_files.h"

namespace sunwind {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

// The header line of data/traces/electricitymaps/*.csv, byte for byte
// ("gCO₂eq" with a UTF-8 subscript two).
const std::string kEmHeader =
    "Datetime (UTC),Country,Zone Name,Zone Id,Carbon Intensity gCO₂eq/kWh (direct),"
    "Carbon Intensity gCO₂eq/kWh (LCA),Low Carbon Percentage,Renewable Percentage,Data Source,"
    "Data Estimated,Data Estimation Method";

TimePoint Utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi};
}

// Samples as (time, value) pairs for readable comparisons.
std::vector<std::pair<TimePoint, double>> Pairs(const std::vector<Sample>& s) {
  std::vector<std::pair<TimePoint, double>> out;
  for (const auto& x : s) out.emplace_back(x.time, x.value);
  return out;
}
using P = std::vector<std::pair<TimePoint, double>>;

class TraceFileTest : public ::testing::Test {
 protected:
  TraceReadOptions NoDefaultZone() { return {}; }
  TraceReadOptions DefaultZone(const std::string& z) {
    TraceReadOptions o;
    o.default_zone = z;
    return o;
  }
};

TEST_F(TraceFileTest, EmHeaderConstantMatchesTheBundledFiles) {
  // Given the header this test builds its Electricity Maps texts with,
  // we should find it byte for byte as the first line of the bundled DE file.
  std::ifstream in(SUNWIND_TEST_DATA_DIR "/traces/electricitymaps/DE_2022_hourly.csv", std::ios::binary);
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  EXPECT_EQ(kEmHeader, line);
}

TEST_F(TraceFileTest, ReadsSimpleFileWithZoneColumn) {
  // Given a simple file holding two zones,
  // we should return one trace per zone, sorted by zone, with one series serving both factors.
  auto traces = ParseTraceCsv(
      "datetime,zone,carbon_intensity\n"
      "2022-06-01T00:00Z,DE,300\n"
      "2022-06-01T00:00Z,FR,50.5\n"
      "2022-06-01T01:00Z,DE,310.25\n",
      "mine.csv", NoDefaultZone());
  ASSERT_TRUE(traces.ok()) << traces.status().message();
  ASSERT_EQ(2u, traces->size());
  const ZoneTrace& de = (*traces)[0];
  EXPECT_EQ("DE", de.zone);
  EXPECT_EQ("mine.csv", de.origin);
  EXPECT_EQ("simple", de.format);
  EXPECT_FALSE(de.factor_known);
  EXPECT_EQ(P({{Utc(2022, 6, 1, 0), 300}, {Utc(2022, 6, 1, 1), 310.25}}), Pairs(de.lifecycle));
  EXPECT_EQ(Pairs(de.lifecycle), Pairs(de.direct));
  const ZoneTrace& fr = (*traces)[1];
  EXPECT_EQ("FR", fr.zone);
  EXPECT_EQ(P({{Utc(2022, 6, 1, 0), 50.5}}), Pairs(fr.lifecycle));
}

TEST_F(TraceFileTest, ReadsSimpleFileWithoutZoneColumnUnderTheDefaultZone) {
  // Given a simple file without a zone column and --trace-zone XX,
  // we should put every row under XX.
  auto traces = ParseTraceCsv("datetime,carbon_intensity\n2022-06-01 00:00:00,120\n2022-06-01 01:00:00,130\n",
                              "mine.csv", DefaultZone("XX"));
  ASSERT_TRUE(traces.ok()) << traces.status().message();
  ASSERT_EQ(1u, traces->size());
  EXPECT_EQ("XX", (*traces)[0].zone);
  EXPECT_EQ(P({{Utc(2022, 6, 1, 0), 120}, {Utc(2022, 6, 1, 1), 130}}), Pairs((*traces)[0].lifecycle));
}

TEST_F(TraceFileTest, RefusesFileWithoutZoneColumnOrDefaultZone) {
  // Given a file without a zone column and no --trace-zone,
  // we should refuse it and say how to name the zone.
  auto traces = ParseTraceCsv("datetime,carbon_intensity\n2022-06-01T00:00Z,120\n", "mine.csv", NoDefaultZone());
  ASSERT_FALSE(traces.ok());
  EXPECT_EQ(StatusCode::kInvalidArgument, traces.status().code());
  EXPECT_EQ("mine.csv: the file has no zone column; say which zone it is with --trace-zone", traces.status().message());
}

TEST_F(TraceFileTest, RefusesFileWithoutIntensityColumn) {
  // Given a file with a time column but nothing that looks like intensity,
  // we should refuse it at line 1.
  auto traces = ParseTraceCsv("datetime,price\n2022-06-01T00:00Z,12\n", "mine.csv", DefaultZone("XX"));
  ASSERT_FALSE(traces.ok());
  EXPECT_EQ("mine.csv:1: no intensity column (expected 'carbon_intensity' in gCO2eq/kWh, or an Electricity Maps export)",
            traces.status().message());
}

TEST_F(TraceFileTest, ReadsElectricityMapsExportWithBomCrlfQuotesAndTwoZones) {
  // Given an Electricity Maps export with a BOM, CRLF line ends, a quoted zone name holding a
  // comma, rows out of order and two zones,
  // we should return two traces, sorted by zone and by time, with the LCA column as lifecycle
  // and the direct column as direct.
  std::string text = "\xEF\xBB\xBF" + kEmHeader + "\r\n" +
                     "2022-06-01 01:00:00,Germany,Germany,DE,166.67,218.02,80.81,72.83,entsoe.eu,false,\r\n"
                     "2022-06-01 00:00:00,Germany,Germany,DE,163.46,213.79,81.25,73.73,entsoe.eu,false,\r\n"
                     "2022-06-01 00:00:00,USA,\"Bonneville, Pacific Northwest\",US-NW-BPAT,20.5,40.25,90,85,eia.gov,"
                     "false,\r\n"
                     "2022-06-01 01:00:00,USA,\"Bonneville, Pacific Northwest\",US-NW-BPAT,21.5,41.75,90,85,eia.gov,"
                     "true,\"estimated, by time slicing\"\r\n";
  auto traces = ParseTraceCsv(text, "em.csv", NoDefaultZone());
  ASSERT_TRUE(traces.ok()) << traces.status().message();
  ASSERT_EQ(2u, traces->size());

  const ZoneTrace& de = (*traces)[0];
  EXPECT_EQ("DE", de.zone);
  EXPECT_EQ("electricitymaps", de.format);
  EXPECT_TRUE(de.factor_known);
  EXPECT_EQ(P({{Utc(2022, 6, 1, 0), 213.79}, {Utc(2022, 6, 1, 1), 218.02}}), Pairs(de.lifecycle));
  EXPECT_EQ(P({{Utc(2022, 6, 1, 0), 163.46}, {Utc(2022, 6, 1, 1), 166.67}}), Pairs(de.direct));

  const ZoneTrace& us = (*traces)[1];
  EXPECT_EQ("US-NW-BPAT", us.zone);
  EXPECT_EQ(P({{Utc(2022, 6, 1, 0), 40.25}, {Utc(2022, 6, 1, 1), 41.75}}), Pairs(us.lifecycle));
  EXPECT_EQ(P({{Utc(2022, 6, 1, 0), 20.5}, {Utc(2022, 6, 1, 1), 21.5}}), Pairs(us.direct));
}

TEST_F(TraceFileTest, KeepsTheFirstValueOfARepeatedTimestamp) {
  // Given two rows for the same hour (a DST artefact of some exports),
  // we should keep the first.
  auto traces = ParseTraceCsv(
      "datetime,carbon_intensity\n2022-06-01T00:00Z,100\n2022-06-01T00:00Z,999\n2022-06-01T01:00Z,110\n", "mine.csv",
      DefaultZone("XX"));
  ASSERT_TRUE(traces.ok()) << traces.status().message();
  EXPECT_EQ(P({{Utc(2022, 6, 1, 0), 100}, {Utc(2022, 6, 1, 1), 110}}), Pairs((*traces)[0].lifecycle));
}

TEST_F(TraceFileTest, UnparsableValueNamesOriginLineAndColumn) {
  // Given an export whose second data row (line 3, after a BOM and CRLF) has "n/a" as LCA,
  // we should refuse it, naming the file, the line and the column.
  std::string text = "\xEF\xBB\xBF" + kEmHeader + "\r\n" +
                     "2022-06-01 00:00:00,Germany,Germany,DE,163.46,213.79,81.25,73.73,entsoe.eu,false,\r\n"
                     "2022-06-01 01:00:00,Germany,Germany,DE,166.67,n/a,80.81,72.83,entsoe.eu,false,\r\n";
  auto traces = ParseTraceCsv(text, "em.csv", NoDefaultZone());
  ASSERT_FALSE(traces.ok());
  EXPECT_EQ(StatusCode::kInvalidArgument, traces.status().code());
  EXPECT_EQ("em.csv:3: column 'Carbon Intensity gCO₂eq/kWh (LCA)': not a number: 'n/a'", traces.status().message());
}

TEST_F(TraceFileTest, ValueWithTrailingTextIsNotANumber) {
  // Given "120g" in a simple file,
  // we should refuse it rather than read 120.
  auto traces = ParseTraceCsv("datetime,carbon_intensity\n2022-06-01T00:00Z,120g\n", "mine.csv", DefaultZone("XX"));
  ASSERT_FALSE(traces.ok());
  EXPECT_EQ("mine.csv:2: column 'carbon_intensity': not a number: '120g'", traces.status().message());
}

TEST_F(TraceFileTest, NegativeIntensityIsRefused) {
  // Given a negative intensity,
  // we should refuse it and say so.
  auto traces = ParseTraceCsv("datetime,carbon_intensity\n2022-06-01T00:00Z,-5\n", "mine.csv", DefaultZone("XX"));
  ASSERT_FALSE(traces.ok());
  EXPECT_EQ("mine.csv:2: column 'carbon_intensity': negative intensity -5", traces.status().message());
}

TEST_F(TraceFileTest, UnparsableTimeNamesOriginLineAndColumn) {
  // Given a row whose time is not a time,
  // we should refuse it, naming line and time column and quoting the time.
  auto traces = ParseTraceCsv("datetime,carbon_intensity\n2022-06-01T00:00Z,1\nsoon,2\n", "mine.csv",
                              DefaultZone("XX"));
  ASSERT_FALSE(traces.ok());
  EXPECT_EQ("mine.csv:3: column 'datetime': invalid time 'soon': the date must be YYYY-MM-DD (expected ISO 8601 "
            "such as 2022-06-01T12:00Z)",
            traces.status().message());
}

TEST_F(TraceFileTest, ConvertsOffsetTimesToUtc) {
  // Given times written with a +01:00 offset,
  // we should store them one hour earlier, in UTC.
  auto traces = ParseTraceCsv(
      "datetime,carbon_intensity\n2022-01-15T01:00:00+01:00,200\n2022-01-15T02:00:00+01:00,210\n", "mine.csv",
      DefaultZone("XX"));
  ASSERT_TRUE(traces.ok()) << traces.status().message();
  EXPECT_EQ(P({{Utc(2022, 1, 15, 0), 200}, {Utc(2022, 1, 15, 1), 210}}), Pairs((*traces)[0].lifecycle));
}

TEST_F(TraceFileTest, SkipsEmptyIntensityCellsSoTheyBecomeGaps) {
  // Given an hourly file whose 01:00 value is empty,
  // we should skip that row, and aligning the samples to the hour should leave 01:00 missing.
  auto traces = ParseTraceCsv("datetime,carbon_intensity\n2022-06-01T00:00Z,100\n2022-06-01T01:00Z,\n"
                              "2022-06-01T02:00Z,120\n2022-06-01T03:00Z,130\n",
                              "mine.csv", DefaultZone("XX"));
  ASSERT_TRUE(traces.ok()) << traces.status().message();
  const auto& s = (*traces)[0].lifecycle;
  EXPECT_EQ(P({{Utc(2022, 6, 1, 0), 100}, {Utc(2022, 6, 1, 2), 120}, {Utc(2022, 6, 1, 3), 130}}), Pairs(s));
  std::vector<double> v = AlignToGrid(s, Utc(2022, 6, 1, 0), Utc(2022, 6, 1, 4), 1h);
  ASSERT_EQ(4u, v.size());
  EXPECT_EQ(100, v[0]);
  EXPECT_TRUE(std::isnan(v[1])) << v[1];
  EXPECT_EQ(120, v[2]);
  EXPECT_EQ(130, v[3]);
}

TEST_F(TraceFileTest, SkipsEmptyCellsPerEmissionFactor) {
  // Given an export row with a direct value but no LCA value,
  // we should add that hour to direct only.
  std::string text = kEmHeader + "\n" +
                     "2022-06-01 00:00:00,Germany,Germany,DE,163.46,213.79,,,,,\n"
                     "2022-06-01 01:00:00,Germany,Germany,DE,166.67,,,,,,\n";
  auto traces = ParseTraceCsv(text, "em.csv", NoDefaultZone());
  ASSERT_TRUE(traces.ok()) << traces.status().message();
  EXPECT_EQ(P({{Utc(2022, 6, 1, 0), 213.79}}), Pairs((*traces)[0].lifecycle));
  EXPECT_EQ(P({{Utc(2022, 6, 1, 0), 163.46}, {Utc(2022, 6, 1, 1), 166.67}}), Pairs((*traces)[0].direct));
}

TEST_F(TraceFileTest, ReadTraceFileUsesThePathAsOrigin) {
  // Given a trace file on disk,
  // we should read it and name its path as the origin, and in errors.
  testutil::TempDir dir;
  std::string good = dir.Write("good.csv", "datetime,carbon_intensity\n2022-06-01T00:00Z,100\n");
  auto traces = ReadTraceFile(good, DefaultZone("XX"));
  ASSERT_TRUE(traces.ok()) << traces.status().message();
  EXPECT_EQ(good, (*traces)[0].origin);

  std::string bad = dir.Write("bad.csv", "datetime,carbon_intensity\n2022-06-01T00:00Z,x\n");
  auto err = ReadTraceFile(bad, DefaultZone("XX"));
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(bad + ":2: column 'carbon_intensity': not a number: 'x'", err.status().message());
}

TEST_F(TraceFileTest, ReadTraceFileOfMissingPathIsNotFound) {
  // Given a path that does not exist,
  // we should answer NotFound.
  auto traces = ReadTraceFile("/nonexistent/sunwind/trace.csv", DefaultZone("XX"));
  ASSERT_FALSE(traces.ok());
  EXPECT_EQ(StatusCode::kNotFound, traces.status().code());
}

}  // namespace
}  // namespace sunwind
