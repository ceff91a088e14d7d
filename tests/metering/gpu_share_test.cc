// The daemon's shared GPU meter through the fake libnvidia-ml (fake_nvml.cc)
// loaded by the real dlopen path: each GPU's energy per round split between
// the jobs that hold it (by SM utilisation, else equally between those given
// it, else between all that may use it), GPUs nobody holds not charged, GPUs
// without a counter integrated from 10 Hz power; and claims read from each
// process's environ (a fake /proc tree and a real exec'd child).
#include "metering/gpu_share.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/metering/fake_nvml_env.h"
#include "tests/support/temp_dir.h"

namespace sunwind {
namespace {

// The fake with its script, loaded.
class FakeGpus : public testing::FakeNvmlEnv {
 public:
  using FakeNvmlEnv::FakeNvmlEnv;
  std::unique_ptr<Nvml> Load() {
    auto n = Nvml::Load(FAKE_NVML_PATH);
    EXPECT_TRUE(n.ok()) << n.status().message();
    return n.ok() ? std::move(n).value() : nullptr;
  }
};

GpuClaim Claim(const std::string& job, std::vector<pid_t> pids, std::vector<unsigned> gpus, bool named) {
  return GpuClaim{job, std::move(pids), std::move(gpus), named};
}

TEST(SharedGpuMeterTest, SplitsASharedGpuBySmUtilisationOfEachJobsProcesses) {
  // Given GPU 0 drawing 1 J a round (the counter advances 1000 mJ a read),
  // held by job a (pids 101, 102 at 30 % and 30 %) and job b (pid 201 at
  // 20 %), and GPU 1 held by b alone, we should charge a 0.6/0.8 of GPU 0's
  // joule and b the rest plus all of GPU 1, every round after the first.
  FakeGpus fake("2", "1000", "250000");
  auto nvml = fake.Load();
  ASSERT_TRUE(nvml);
  SharedGpuMeter meter(*nvml, *nvml->Devices());
  fake.SetUtilisation("0 101 30\n0 102 30\n0 201 20\n1 201 90\n");
  std::vector<GpuClaim> claims = {Claim("a", {101, 102}, {0}, true), Claim("b", {201}, {0, 1}, true)};
  auto first = meter.Round(claims, 0.0);
  EXPECT_DOUBLE_EQ(first["a"], 0) << "the first round only primes";
  for (int round = 1; round <= 3; ++round) {
    auto j = meter.Round(claims, round);
    EXPECT_NEAR(j["a"], 0.75, 1e-9) << round;
    EXPECT_NEAR(j["b"], 0.25 + 1.0, 1e-9) << round;
  }
  EXPECT_EQ(meter.split_rules().at(0), "by SM utilisation");
  EXPECT_EQ(meter.split_rules().at(1), "one job");
  EXPECT_EQ(meter.unattributed_j(), 0);
  EXPECT_EQ(meter.Method({0, 1}), "nvml-energy-counter");
}

TEST(SharedGpuMeterTest, WithoutUtilisationSplitsEquallyBetweenTheJobsGivenTheGpu) {
  // Given a GPU whose per-process utilisation NVML cannot tell, held by two
  // jobs whose CUDA_VISIBLE_DEVICES name it and by one that may use every GPU,
  // we should split it equally between the two it was given to.
  FakeGpus fake("1", "900", "250000");
  setenv("FAKE_NVML_NO_PROCESS_UTIL", "1", 1);
  auto nvml = fake.Load();
  ASSERT_TRUE(nvml);
  SharedGpuMeter meter(*nvml, *nvml->Devices());
  std::vector<GpuClaim> claims = {Claim("a", {1}, {0}, true), Claim("b", {2}, {0}, true), Claim("c", {3}, {0}, false)};
  meter.Round(claims, 0);
  auto j = meter.Round(claims, 1);
  EXPECT_NEAR(j["a"], 0.45, 1e-9);
  EXPECT_NEAR(j["b"], 0.45, 1e-9);
  EXPECT_EQ(j["c"], 0);
  EXPECT_NE(meter.split_rules().at(0).find("no per-process utilisation"), std::string::npos)
      << meter.split_rules().at(0);
}

TEST(SharedGpuMeterTest, IdleGpusAreChargedToTheJobsThatMayUseThemAndUnheldOnesToNobody) {
  // Given two GPUs, no process on either, and one job that was given GPU 0
  // only, we should charge it GPU 0's energy and count GPU 1's apart, never
  // in a job; with no job at all, both are unattributed.
  FakeGpus fake("2", "2000", "250000");
  auto nvml = fake.Load();
  ASSERT_TRUE(nvml);
  SharedGpuMeter meter(*nvml, *nvml->Devices());
  std::vector<GpuClaim> claims = {Claim("a", {1}, {0}, true)};
  meter.Round(claims, 0);
  auto j = meter.Round(claims, 1);
  EXPECT_NEAR(j["a"], 2.0, 1e-9);
  EXPECT_NEAR(meter.unattributed_j(), 2.0, 1e-9);
  EXPECT_EQ(meter.split_rules().at(1), "held by no job: not charged");
  auto none = meter.Round({}, 2);
  EXPECT_TRUE(none.empty());
  EXPECT_NEAR(meter.unattributed_j(), 6.0, 1e-9);
}

TEST(SharedGpuMeterTest, GpusWithoutACounterAreIntegratedFromPowerTicks) {
  // Given a GPU without an energy counter at a constant 200 W, ticked every
  // 0.1 s over a 1 s round, we should charge its only job 200 J, and name the
  // method nvml-power-sampling.
  FakeGpus fake("1", "-1", "200000");
  auto nvml = fake.Load();
  ASSERT_TRUE(nvml);
  SharedGpuMeter meter(*nvml, *nvml->Devices());
  EXPECT_TRUE(meter.NeedsPowerTicks());
  std::vector<GpuClaim> claims = {Claim("a", {1}, {0}, false)};
  meter.Round(claims, 10.0);
  for (int k = 1; k < 10; ++k) meter.TickPower(10.0 + 0.1 * k);
  auto j = meter.Round(claims, 11.0);
  EXPECT_NEAR(j["a"], 200.0, 1e-6);
  EXPECT_EQ(meter.Method({0}), "nvml-power-sampling");
}

TEST(ClaimGpusTest, ReadsEachProcesssCudaVisibleDevicesFromAFakeProcTree) {
  // Given a fake /proc where pid 10 sees GPU 1 by index, pid 11 sees GPU 2 by
  // UUID prefix and pid 12 has no CUDA_VISIBLE_DEVICES, we should claim {1, 2}
  // named for the first two, and every GPU (not named) once 12 joins.
  testing::TempDir proc;
  auto environ = [&](int pid, const std::string& text) {
    std::filesystem::create_directories(proc.File(std::to_string(pid)));
    std::ofstream(proc.File(std::to_string(pid) + "/environ"), std::ios::binary) << text;
  };
  environ(10, std::string("PATH=/bin\0CUDA_VISIBLE_DEVICES=1\0HOME=/root\0", 44));
  environ(11, std::string("CUDA_VISIBLE_DEVICES=GPU-fake-2\0", 32));
  environ(12, std::string("PATH=/bin\0", 10));
  std::vector<GpuInfo> all;
  for (unsigned i = 0; i < 4; ++i) all.push_back({i, "Fake GPU", "GPU-fake-" + std::to_string(i), true});
  GpuClaim two = ClaimGpus("j", {10, 11}, all, proc.path());
  EXPECT_EQ(two.gpus, (std::vector<unsigned>{1, 2}));
  EXPECT_TRUE(two.named);
  GpuClaim every = ClaimGpus("j", {10, 11, 12}, all, proc.path());
  EXPECT_EQ(every.gpus, (std::vector<unsigned>{0, 1, 2, 3}));
  EXPECT_FALSE(every.named);
}

TEST(ClaimGpusTest, ReadsARealChildsEnvironment) {
  // Given a real child exec'd with CUDA_VISIBLE_DEVICES=0,3, we should claim
  // GPUs 0 and 3 from its /proc/<pid>/environ.
  pid_t child = fork();
  if (child == 0) {
    char* const argv[] = {const_cast<char*>("sleep"), const_cast<char*>("30"), nullptr};
    char* const envp[] = {const_cast<char*>("CUDA_VISIBLE_DEVICES=0,3"), nullptr};
    execve("/bin/sleep", argv, envp);
    _exit(127);
  }
  ASSERT_GT(child, 0);
  std::vector<GpuInfo> all;
  for (unsigned i = 0; i < 4; ++i) all.push_back({i, "Fake GPU", "GPU-fake-" + std::to_string(i), true});
  // The environment is the exec'd image's once execve returned: wait for it.
  GpuClaim claim;
  for (int i = 0; i < 200; ++i) {
    claim = ClaimGpus("j", {child}, all, "/proc");
    if (claim.named) break;
    usleep(10000);
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(claim.gpus, (std::vector<unsigned>{0, 3}));
  EXPECT_TRUE(claim.named);
}

}  // namespace
}  // namespace sunwind
