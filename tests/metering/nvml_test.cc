// NVML through a fake libnvidia-ml built by the tests (fake_nvml.cc), loaded
// by the real dlopen path with scripted counters.
#include "metering/nvml.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/time.h"
#include "metering/meter.h"
#include "tests/metering/fake_nvml_env.h"

namespace sunwind {
namespace {

using testing::FakeNvmlEnv;

// A pacer whose clock moves only when the meter sleeps.
class VirtualPacer final : public Pacer {
 public:
  double ElapsedS() const override { return now_; }
  void SleepS(double s) override { now_ += s; }

 private:
  double now_ = 0;
};

TEST(NvmlTest, AbsentLibraryIsNotFoundNotACrash) {
  // Given no NVIDIA driver, we should answer NotFound "NVML not available".
  auto n = Nvml::Load("/nonexistent/libnvidia-ml.so.1");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(StatusCode::kNotFound, n.status().code());
  EXPECT_EQ(0u, n.status().message().rfind("NVML not available: ", 0)) << n.status().message();
}

TEST(NvmlTest, ReadsDevicesCountersAndPowerThroughDlopen) {
  // Given two fake GPUs with counters advancing 1500 mJ a read and 250 W,
  // we should see their names, UUIDs, counters and power.
  FakeNvmlEnv env("2", "1500", "250000");
  auto n = Nvml::Load(FAKE_NVML_PATH);
  ASSERT_TRUE(n.ok()) << n.status().message();
  auto devices = (*n)->Devices();
  ASSERT_TRUE(devices.ok());
  ASSERT_EQ(2u, devices->size());
  EXPECT_EQ("Fake GPU 1", (*devices)[1].name);
  EXPECT_EQ("GPU-fake-1", (*devices)[1].uuid);
  EXPECT_TRUE((*devices)[0].has_energy_counter);
  auto a = (*n)->TotalEnergyMj(0);
  auto b = (*n)->TotalEnergyMj(0);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(1500u, *b - *a);
  EXPECT_DOUBLE_EQ(250.0, *(*n)->PowerW(1));
}

TEST(NvmlTest, InitFailureIsUnavailable) {
  FakeNvmlEnv env("1", "1000", "1000");
  setenv("FAKE_NVML_INIT_FAILS", "1", 1);
  // Given a library whose init fails (driver not loaded), we should say so.
  auto n = Nvml::Load(FAKE_NVML_PATH);
  unsetenv("FAKE_NVML_INIT_FAILS");
  ASSERT_FALSE(n.ok());
  EXPECT_NE(std::string::npos, n.status().message().find("NVML_ERROR_DRIVER_NOT_LOADED"));
}

TEST(NvmlTest, SelectsOnlyTheJobsGpus) {
  // Given four GPUs and CUDA_VISIBLE_DEVICES in its forms, we should keep
  // exactly the ones named, in that order.
  std::vector<GpuInfo> all;
  for (unsigned i = 0; i < 4; ++i) all.push_back({i, "G", "GPU-abc" + std::to_string(i) + "-uuid", true});
  auto unset = SelectGpus(all, std::nullopt);
  EXPECT_EQ(4u, unset->size());
  auto two = SelectGpus(all, std::string("2,0"));
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(2u, two->size());
  EXPECT_EQ(2u, (*two)[0].index);
  EXPECT_EQ(0u, (*two)[1].index);
  auto by_uuid = SelectGpus(all, std::string("GPU-abc3-uuid"));
  ASSERT_TRUE(by_uuid.ok());
  EXPECT_EQ(3u, (*by_uuid)[0].index);
  EXPECT_TRUE(SelectGpus(all, std::string(""))->empty());
  EXPECT_EQ(1u, SelectGpus(all, std::string("1,-1,2"))->size());  // CUDA stops at -1
  auto bad = SelectGpus(all, std::string("7"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ("CUDA_VISIBLE_DEVICES: no GPU '7'", bad.status().message());
}

TEST(NvmlTest, MeterUsesTheEnergyCounter) {
  // Given one GPU whose counter advances 1000 mJ per read, metered for 3 s
  // at 1 s, we should count exactly 1 J per sample (the read before the
  // first sample only primes the counter), method nvml-energy-counter.
  FakeNvmlEnv env("1", "1000", "250000");
  auto n = Nvml::Load(FAKE_NVML_PATH);
  ASSERT_TRUE(n.ok());
  MeterSources s;
  s.nvml = n->get();
  s.gpus = *(*n)->Devices();
  ManualClock clock(TimePoint{Duration{1700000000}});
  VirtualPacer pacer;
  JobMeter meter(clock, pacer, s, [] { return std::vector<pid_t>{}; }, MeterOptions{});
  meter.Start();
  int ticks = 0;
  meter.Run([&] { return pacer.ElapsedS() < 3.0 - 1e-9 && ++ticks < 1000; });
  meter.Finish(std::nullopt);
  EXPECT_EQ("nvml-energy-counter", meter.gpu().method);
  ASSERT_GE(meter.samples().size(), 3u);
  double joules = static_cast<double>(meter.samples().size());
  EXPECT_NEAR(joules / 3.6e6, meter.gpu().energy_kwh, 1e-15);
  EXPECT_NEAR(joules / 3.0, meter.mean_gpu_w(), 1e-6);
  EXPECT_NEAR(1.0, meter.samples()[0].gpu_w, 1e-9);  // 1 J over the first 1 s
  EXPECT_TRUE(meter.notes().empty());
}

TEST(NvmlTest, MeterIntegratesPowerAtTenHertzWithoutACounter) {
  // Given a pre-Volta GPU (no counter) drawing 250 W, metered for 2 s, we
  // should integrate 500 J from power read every 0.1 s.
  FakeNvmlEnv env("1", "-1", "250000");
  auto n = Nvml::Load(FAKE_NVML_PATH);
  ASSERT_TRUE(n.ok());
  MeterSources s;
  s.nvml = n->get();
  s.gpus = *(*n)->Devices();
  ASSERT_FALSE(s.gpus[0].has_energy_counter);
  ManualClock clock(TimePoint{Duration{1700000000}});
  VirtualPacer pacer;
  JobMeter meter(clock, pacer, s, [] { return std::vector<pid_t>{}; }, MeterOptions{});
  meter.Start();
  int checks = 0;
  meter.Run([&] {
    ++checks;
    return pacer.ElapsedS() < 2.0 - 1e-9;
  });
  meter.Finish(std::nullopt);
  EXPECT_EQ("nvml-power-sampling", meter.gpu().method);
  EXPECT_NEAR(500.0 / 3.6e6, meter.gpu().energy_kwh, 1e-12);
  EXPECT_GE(checks, 20);  // asked at least every 0.1 s
}

TEST(NvmlTest, FlagsAJobShorterThanTheCounterPeriod) {
  // Given a job that ran 0.3 s on a GPU with a counter, we should flag it.
  FakeNvmlEnv env("1", "1000", "250000");
  auto n = Nvml::Load(FAKE_NVML_PATH);
  ASSERT_TRUE(n.ok());
  MeterSources s;
  s.nvml = n->get();
  s.gpus = *(*n)->Devices();
  ManualClock clock(TimePoint{Duration{1700000000}});
  VirtualPacer pacer;
  JobMeter meter(clock, pacer, s, [] { return std::vector<pid_t>{}; }, MeterOptions{});
  meter.Start();
  meter.Run([&] { return pacer.ElapsedS() < 0.3 - 1e-9; });
  meter.Finish(std::nullopt);
  auto notes = meter.notes();
  ASSERT_EQ(1u, notes.size());
  EXPECT_NE(std::string::npos, notes[0].find("shorter than NVML's ~1 s update period")) << notes[0];
}

}  // namespace
}  // namespace sunwind
