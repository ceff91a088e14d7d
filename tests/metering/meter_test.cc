// The JobMeter under a virtual pacer, on a fake /proc tree and a fake RAPL
// tree whose counters the test advances as virtual time passes.
#include "metering/meter.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <functional>

#include "tests/support/temp_dir.h"

namespace sunwind {
namespace {

using testing::TempDir;

// Virtual time: each sleep advances it and lets the test move the world.
class ScriptedPacer final : public Pacer {
 public:
  explicit ScriptedPacer(std::function<void(double)> on_time) : on_time_(std::move(on_time)) {}
  double ElapsedS() const override { return now_; }
  void SleepS(double s) override {
    now_ += s;
    on_time_(now_);
  }

 private:
  double now_ = 0;
  std::function<void(double)> on_time_;
};

// Writes a /proc/<pid>/stat whose utime is `ticks` and a statm with
// `resident_pages`.
void FakeProcess(const TempDir& dir, pid_t pid, pid_t ppid, long ticks, long resident_pages) {
  std::filesystem::create_directories(dir.path() / std::to_string(pid));
  std::string stat = std::to_string(pid) + " (work (x)) R " + std::to_string(ppid) +
                     " 1 1 0 -1 4194304 0 0 0 0 " + std::to_string(ticks) + " 0 0 0 20 0 1 0 100 0 0\n";
  dir.Write(std::to_string(pid) + "/stat", stat);
  dir.Write(std::to_string(pid) + "/statm", "1000 " + std::to_string(resident_pages) + " 0 0 0 0 0\n");
}

TEST(MeterTest, TdpModelEnergyIsSumOfPowerTimesInterval) {
  // Given a job on a 4-core, 100 W CPU that uses one core fully (ticks per
  // second of virtual time) with 1 GB resident, metered at 1 s for 5 s, we
  // should charge 25 W CPU and 0.375 W RAM, and the energy must equal
  // Σ power·Δt of the samples exactly.
  TempDir dir;
  const long hz = sysconf(_SC_CLK_TCK);
  const long page = sysconf(_SC_PAGESIZE);
  const long gb_pages = 1000000000L / page;
  FakeProcess(dir, 100, 1, 0, gb_pages);
  ScriptedPacer pacer([&](double t) { FakeProcess(dir, 100, 1, std::lround(t * hz), gb_pages); });
  ManualClock clock(TimePoint{Duration{1700000000}});
  MeterSources s;
  s.cpu_tdp_w = 100;
  s.cpu_tdp_note = "test";
  MeterOptions o;
  o.proc_root = dir.path().string();
  o.logical_cores = 4;
  JobMeter meter(clock, pacer, s, [] { return std::vector<pid_t>{100}; }, o);
  meter.Start();
  meter.Run([&] { return pacer.ElapsedS() < 5.0 - 1e-9; });
  meter.Finish(std::nullopt);
  ASSERT_GE(meter.samples().size(), 5u);
  double sum_cpu = 0, sum_ram = 0, prev = 0;
  for (const auto& smp : meter.samples()) {
    sum_cpu += smp.cpu_w * (smp.elapsed_s - prev);
    sum_ram += smp.ram_w * (smp.elapsed_s - prev);
    prev = smp.elapsed_s;
  }
  EXPECT_NEAR(meter.cpu().energy_kwh * 3.6e6, sum_cpu, 1e-9);
  EXPECT_NEAR(meter.ram().energy_kwh * 3.6e6, sum_ram, 1e-9);
  EXPECT_NEAR(25.0 * 5, sum_cpu, 1e-6);
  EXPECT_NEAR(0.375 * 5 * gb_pages * page / 1e9, sum_ram, 1e-6);
  EXPECT_NEAR(25.0, meter.samples()[2].cpu_w, 1e-6);
  EXPECT_NEAR(25.0, meter.samples()[2].cpu_utilization_percent, 1e-6);
  EXPECT_EQ("tdp-model", meter.cpu().method);
  EXPECT_EQ("ram-model", meter.ram().method);
  EXPECT_EQ("none", meter.gpu().method);
  EXPECT_EQ(TimePoint{Duration{1700000002}}, meter.samples()[1].at);
}

TEST(MeterTest, FinishTopsUpCpuTimeTheTreeNoLongerShows) {
  // Given a job whose /proc shows no CPU time (its work ran in children that
  // exited unseen) but whose wait4 rusage says 2 CPU-seconds over 2.5 s on 1
  // core of 80 W, we should charge 160 J, in the last interval, and still
  // have energy = Σ power·Δt.
  TempDir dir;
  FakeProcess(dir, 7, 1, 0, 0);
  ScriptedPacer pacer([](double) {});
  ManualClock clock(TimePoint{Duration{1700000000}});
  MeterSources s;
  s.cpu_tdp_w = 80;
  MeterOptions o;
  o.proc_root = dir.path().string();
  o.logical_cores = 1;
  JobMeter meter(clock, pacer, s, [] { return std::vector<pid_t>{7}; }, o);
  meter.Start();
  meter.Run([&] { return pacer.ElapsedS() < 2.5 - 1e-9; });
  meter.Finish(2.0);
  EXPECT_NEAR(160.0 / 3.6e6, meter.cpu().energy_kwh, 1e-12);
  ASSERT_EQ(3u, meter.samples().size());
  EXPECT_NEAR(0.5, meter.samples()[2].elapsed_s - meter.samples()[1].elapsed_s, 1e-9);
  EXPECT_NEAR(160.0, meter.samples()[2].cpu_w * 0.5, 1e-6);
  EXPECT_NEAR(2.0, meter.job_cpu_s(), 1e-9);
}

TEST(MeterTest, RaplCountsPackageEnergyAndSplitsAcrossHours) {
  // Given a RAPL package advancing 50 J per virtual second, started 2 s
  // before an hour boundary and metered 4 s, we should count 200 J by
  // "rapl", 100 J in each hour.
  TempDir sys;
  std::filesystem::create_directories(sys.path() / "intel-rapl:0");
  sys.Write("intel-rapl:0/name", "package-0\n");
  sys.Write("intel-rapl:0/max_energy_range_uj", "262143328850\n");
  sys.Write("intel-rapl:0/energy_uj", "1000\n");
  auto rapl = RaplReader::Open(sys.path().string());
  ASSERT_TRUE(rapl.ok());
  ScriptedPacer pacer([&](double t) {
    sys.Write("intel-rapl:0/energy_uj", std::to_string(1000 + std::llround(t * 50e6)) + "\n");
  });
  ManualClock clock(TimePoint{Duration{1700002798}});  // 2 s before 1700002800 (an hour)
  MeterSources s;
  s.rapl = &*rapl;
  TempDir proc;
  MeterOptions o;
  o.proc_root = proc.path().string();
  JobMeter meter(clock, pacer, s, [] { return std::vector<pid_t>{}; }, o);
  meter.Start();
  meter.Run([&] { return pacer.ElapsedS() < 4.0 - 1e-9; });
  meter.Finish(std::nullopt);
  EXPECT_EQ("rapl", meter.cpu().method);
  EXPECT_NEAR(200.0 / 3.6e6, meter.cpu().energy_kwh, 1e-12);
  auto hours = meter.hourly();
  ASSERT_EQ(2u, hours.size());
  EXPECT_EQ(TimePoint{Duration{1700002800 - 3600}}, hours[0].hour);
  EXPECT_NEAR(100.0 / 3.6e6, hours[0].cpu_kwh, 1e-12);
  EXPECT_NEAR(100.0 / 3.6e6, hours[1].cpu_kwh, 1e-12);
}

}  // namespace
}  // namespace sunwind
