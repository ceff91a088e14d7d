// RAPL on fake powercap trees built in a temp dir: counters that advance and
// wrap, a mirrored MMIO domain, psys beside packages, resets, missing counters.
#include "metering/rapl.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/temp_dir.h"

namespace sunwind {
namespace {

using testing::TempDir;

void Zone(const TempDir& dir, const std::string& zone, const std::string& name, uint64_t energy_uj,
          uint64_t range_uj = 262143328850ULL) {
  std::filesystem::create_directories(dir.path() / zone);
  dir.Write(zone + "/name", name + "\n");
  dir.Write(zone + "/energy_uj", std::to_string(energy_uj) + "\n");
  dir.Write(zone + "/max_energy_range_uj", std::to_string(range_uj) + "\n");
}

void SetEnergy(const TempDir& dir, const std::string& zone, uint64_t energy_uj) {
  dir.Write(zone + "/energy_uj", std::to_string(energy_uj) + "\n");
}

TEST(RaplTest, CountsEachPackageAdvance) {
  // Given two packages whose counters advance by 30 J and 12.5 J, we should
  // read 42.5 J in total, and nothing from their subzones (core, dram).
  TempDir dir;
  Zone(dir, "intel-rapl:0", "package-0", 1000000);
  Zone(dir, "intel-rapl:1", "package-1", 5000000);
  Zone(dir, "intel-rapl:0:0", "core", 0);
  Zone(dir, "intel-rapl:0:1", "dram", 0);
  auto r = RaplReader::Open(dir.path().string());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(2u, r->domains().size());
  SetEnergy(dir, "intel-rapl:0", 31000000);
  SetEnergy(dir, "intel-rapl:1", 17500000);
  SetEnergy(dir, "intel-rapl:0:0", 99000000);
  SetEnergy(dir, "intel-rapl:0:1", 99000000);
  auto j = r->ReadDeltaJoules();
  ASSERT_TRUE(j.ok());
  EXPECT_DOUBLE_EQ(42.5, *j);
  EXPECT_EQ("package-0 (intel-rapl:0), package-1 (intel-rapl:1)", r->Describe());
}

TEST(RaplTest, CountsAWrapThroughMaxEnergyRange) {
  // Given a counter 2 J below its 100 J range that reads 3 J next, we should
  // count 5 J (2 J to the wrap and 3 J after), then 4 J for 3 -> 7 J.
  TempDir dir;
  Zone(dir, "intel-rapl:0", "package-0", 98000000, 100000000);
  auto r = RaplReader::Open(dir.path().string());
  ASSERT_TRUE(r.ok());
  SetEnergy(dir, "intel-rapl:0", 3000000);
  EXPECT_DOUBLE_EQ(5.0, *r->ReadDeltaJoules());
  SetEnergy(dir, "intel-rapl:0", 7000000);
  EXPECT_DOUBLE_EQ(4.0, *r->ReadDeltaJoules());
  EXPECT_EQ(0, r->dropped_reads());
}

TEST(RaplTest, DropsANegativeStepThatIsNoWrap) {
  // Given a counter that falls from 60 J to 10 J of a 100 J range (a reset:
  // a wrap would mean 50 J in one read, half the range), we should drop that
  // read (0 J, never negative), count it, and count the next advance.
  TempDir dir;
  Zone(dir, "intel-rapl:0", "package-0", 60000000, 100000000);
  auto r = RaplReader::Open(dir.path().string());
  ASSERT_TRUE(r.ok());
  SetEnergy(dir, "intel-rapl:0", 10000000);
  EXPECT_DOUBLE_EQ(0.0, *r->ReadDeltaJoules());
  EXPECT_EQ(1, r->dropped_reads());
  SetEnergy(dir, "intel-rapl:0", 12000000);
  EXPECT_DOUBLE_EQ(2.0, *r->ReadDeltaJoules());
}

TEST(RaplTest, CounterDeltaWithoutARangeDropsEveryBackwardStep) {
  // Given no readable range, we cannot tell a wrap from a reset: drop it.
  uint64_t d = 123;
  EXPECT_FALSE(RaplCounterDelta(500, 100, 0, &d));
  EXPECT_TRUE(RaplCounterDelta(100, 500, 0, &d));
  EXPECT_EQ(400u, d);
}

TEST(RaplTest, CountsAMirroredMmioDomainOnce) {
  // Given package-0 under both intel-rapl:0 and intel-rapl-mmio:0 (the same
  // counter through MSR and MMIO), we should count 10 J, not 20 J.
  TempDir dir;
  Zone(dir, "intel-rapl:0", "package-0", 0);
  Zone(dir, "intel-rapl-mmio:0", "package-0", 0);
  auto r = RaplReader::Open(dir.path().string());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(1u, r->domains().size());
  EXPECT_EQ("intel-rapl:0", r->domains()[0].zone);
  SetEnergy(dir, "intel-rapl:0", 10000000);
  SetEnergy(dir, "intel-rapl-mmio:0", 10000000);
  EXPECT_DOUBLE_EQ(10.0, *r->ReadDeltaJoules());
}

TEST(RaplTest, UsesTheMmioMirrorWhenTheMsrCounterIsMissing) {
  // Given package-0 only readable through MMIO, we should count it there.
  TempDir dir;
  Zone(dir, "intel-rapl:0", "package-0", 0);
  std::filesystem::remove(dir.path() / "intel-rapl:0/energy_uj");
  Zone(dir, "intel-rapl-mmio:0", "package-0", 0);
  auto r = RaplReader::Open(dir.path().string());
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(1u, r->domains().size());
  EXPECT_EQ("intel-rapl-mmio:0", r->domains()[0].zone);
}

TEST(RaplTest, PrefersPackagesOverPsys) {
  // Given a laptop tree with package-0 and psys (which includes the
  // package), we should count package-0 only.
  TempDir dir;
  Zone(dir, "intel-rapl:0", "package-0", 0);
  Zone(dir, "intel-rapl:1", "psys", 0);
  auto r = RaplReader::Open(dir.path().string());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(1u, r->domains().size());
  EXPECT_EQ("package-0", r->domains()[0].name);
  SetEnergy(dir, "intel-rapl:0", 4000000);
  SetEnergy(dir, "intel-rapl:1", 9000000);
  EXPECT_DOUBLE_EQ(4.0, *r->ReadDeltaJoules());
}

TEST(RaplTest, UsesPsysWhenThereIsNoPackage) {
  TempDir dir;
  // Given only psys, we should count psys.
  Zone(dir, "intel-rapl:1", "psys", 0);
  auto r = RaplReader::Open(dir.path().string());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(1u, r->domains().size());
  EXPECT_EQ("psys", r->domains()[0].name);
}

TEST(RaplTest, NoTreeIsNotFoundWithTheReason) {
  // Given no powercap tree (a VM, or this CI machine), we should say so, so
  // the caller falls back to the TDP model.
  TempDir dir;
  auto r = RaplReader::Open((dir.path() / "absent").string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(StatusCode::kNotFound, r.status().code());
  EXPECT_NE(std::string::npos, r.status().message().find("RAPL not available: no powercap tree at"));
}

TEST(RaplTest, UnreadableCounterIsAFailedPreconditionNamingThePath) {
  // Given a package whose energy_uj cannot be read, we should fail with a
  // Status naming the file, not meter zero.
  TempDir dir;
  Zone(dir, "intel-rapl:0", "package-0", 0);
  std::filesystem::remove(dir.path() / "intel-rapl:0/energy_uj");
  auto r = RaplReader::Open(dir.path().string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(StatusCode::kFailedPrecondition, r.status().code());
  EXPECT_NE(std::string::npos, r.status().message().find("intel-rapl:0/energy_uj")) << r.status().message();
}

TEST(RaplTest, RealPowercapEitherReadsOrSaysWhy) {
  // Given this machine's real /sys/class/powercap, we should get either
  // counters or a NotFound/FailedPrecondition reason: never a crash or an
  // empty OK.
  auto r = RaplReader::Open();
  if (r.ok()) {
    EXPECT_FALSE(r->domains().empty());
  } else {
    EXPECT_TRUE(r.status().code() == StatusCode::kNotFound || r.status().code() == StatusCode::kFailedPrecondition);
    EXPECT_NE(std::string::npos, r.status().message().find("RAPL"));
  }
}

}  // namespace
}  // namespace sunwind
