// The TDP fallback: /proc/cpuinfo parsing, matching model names to the bundled
// CodeCarbon table, and the TDP × CPU-share arithmetic; and the RAM model.
#include "metering/cpu_model.h"

#include <gtest/gtest.h>

#include "metering/ram_model.h"
#include "tests/support/temp_dir.h"

namespace sunwind {
namespace {

using testing::TempDir;

const TdpTable& Bundled() {
  static const TdpTable table = *TdpTable::LoadFromFile(std::string(SUNWIND_TEST_DATA_DIR) + "/hardware/cpu_power.csv");
  return table;
}

TEST(CpuModelTest, ReadsModelAndCoresFromCpuinfo) {
  // Given a two-processor cpuinfo, we should read the first model name and 2 cores.
  TempDir dir;
  dir.Write("cpuinfo",
            "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz\n\n"
            "processor\t: 1\nmodel name\t: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz\n");
  auto info = ReadCpuInfo(dir.path().string());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz", info->model_name);
  EXPECT_EQ(2, info->logical_cores);
}

TEST(CpuModelTest, NormalisesModelNames) {
  EXPECT_EQ((std::vector<std::string>{"intel", "xeon", "gold", "6248"}),
            CpuModelTokens("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz"));
  EXPECT_EQ((std::vector<std::string>{"amd", "epyc", "7763"}), CpuModelTokens("AMD EPYC 7763 64-Core Processor"));
}

TEST(CpuModelTest, MatchesRealModelNamesInTheBundledTable) {
  // Given the bundled CodeCarbon table (4,903 rows), we should match real
  // /proc/cpuinfo names to the rows CodeCarbon would pick.
  ASSERT_GT(Bundled().size(), 4000u);
  auto epyc = Bundled().Lookup("AMD EPYC 7302 16-Core Processor");
  EXPECT_TRUE(epyc.found) << epyc.note;
  EXPECT_EQ("AMD EPYC 7302", epyc.entry);
  EXPECT_DOUBLE_EQ(155.0, epyc.tdp_w);
  auto xeon = Bundled().Lookup("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz");
  EXPECT_TRUE(xeon.found) << xeon.note;
  EXPECT_DOUBLE_EQ(150.0, xeon.tdp_w) << xeon.entry;
}

TEST(CpuModelTest, UnknownCpuUsesTheDocumentedDefault) {
  // Given "AMD EPYC" with no model number (this CI VM's cpuinfo), we should
  // not guess among the EPYC rows: the 85 W default, and a note saying so.
  auto m = Bundled().Lookup("AMD EPYC");
  EXPECT_FALSE(m.found);
  EXPECT_DOUBLE_EQ(kDefaultCpuTdpW, m.tdp_w);
  EXPECT_NE(std::string::npos, m.note.find("default TDP 85 W")) << m.note;
}

TEST(CpuModelTest, AmbiguousMatchFallsBackToTheDefault) {
  // Given two equally specific rows with different TDPs, we should not pick one.
  auto t = TdpTable::LoadFromString("Name,TDP\nFoo 100,50\nBar 100,70\n", "t.csv");
  ASSERT_TRUE(t.ok());
  auto m = t->Lookup("Foo Bar 100");
  EXPECT_FALSE(m.found);
  EXPECT_NE(std::string::npos, m.note.find("several")) << m.note;
}

TEST(CpuModelTest, TdpTimesShareOfCpuTime) {
  // Given a 100 W, 4-core CPU and a job using 2 CPU-seconds in 1 s, we
  // should charge 50 W; never more than the TDP; 0 for no time.
  EXPECT_DOUBLE_EQ(50.0, TdpModelPowerW(100, 2.0, 1.0, 4));
  EXPECT_DOUBLE_EQ(100.0, TdpModelPowerW(100, 9.0, 1.0, 4));
  EXPECT_DOUBLE_EQ(0.0, TdpModelPowerW(100, 1.0, 0.0, 4));
}

TEST(RamModelTest, ThreeWattsPerEightGigabytes) {
  // Given 8 GB resident, we should charge 3 W (CodeCarbon's figure).
  EXPECT_DOUBLE_EQ(3.0, RamModelPowerW(8000000000ULL));
  TempDir dir;
  dir.Write("meminfo", "MemTotal:       16384000 kB\nMemFree: 1 kB\n");
  EXPECT_EQ(16384000ULL * 1024, *ReadMemTotalBytes(dir.path().string()));
}

}  // namespace
}  // namespace sunwind
