// The daemon's meter on real processes: a child burning CPU is sampled every
// (virtual) second through the TDP model, its samples land in a real SQLite
// file in batches, a job that stops running loses its meter, and the config's
// `metering:` section is read.
#include "service/job_metering.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "metering/proc_usage.h"
#include "tests/support/temp_dir.h"

namespace sunwind {
namespace {

using namespace std::chrono;

// Elapsed time read off the test's ManualClock, so a round is a virtual
// second whatever the real time it took.
class ClockPacer final : public Pacer {
 public:
  explicit ClockPacer(const ManualClock& clock) : clock_(clock) {}
  double ElapsedS() const override { return static_cast<double>(clock_.Now().time_since_epoch().count()) + extra_s; }
  void SleepS(double) override {}
  double extra_s = 0;

 private:
  const ManualClock& clock_;
};

// A child that burns CPU until killed.
pid_t Burn() {
  pid_t pid = fork();
  if (pid == 0) {
    volatile unsigned long x = 0;
    for (;;) x = x + 1;
  }
  return pid;
}

void Reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

class JobMeteringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open(dir_.File("sunwind.db"));
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(db).value();
    store_ = std::make_unique<MeterStore>(*db_);
  }
  void TearDown() override {
    for (pid_t p : children_) Reap(p);
  }

  JobMetering::RunningFn Running() {
    return [this]() -> Result<std::vector<RunningJob>> {
      std::vector<RunningJob> out;
      for (const auto& [id, pid] : jobs_) out.push_back({id, "local:host", "local", ListDescendants("/proc", pid)});
      return out;
    };
  }
  static MeterSources TdpOnly(const RunningJob&) {
    MeterSources s;
    s.cpu_tdp_w = 100;  // 100 W per core-second / 1 core
    return s;
  }
  static double CpuS(pid_t pid) {
    auto u = ReadProcUsage("/proc", pid);
    return u.ok() ? u->cpu_s : 0;
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<MeterStore> store_;
  ManualClock clock_{TimePoint{seconds(1'800'000'000)}};
  ClockPacer pacer_{clock_};
  std::map<std::string, pid_t> jobs_;
  std::vector<pid_t> children_;
};

TEST_F(JobMeteringTest, MetersABurningChildEverySecondIntoTheStore) {
  // Given a running job whose process burns CPU, sampled five times a
  // (virtual) second apart with a 100 W TDP on one core, we should store one
  // sample per second after the first (which primes), each 1 s long and
  // stamped on the clock, whose CPU energy is 100 J per CPU second the child
  // burned between the first and the last round, by the TDP model.
  pid_t child = Burn();
  children_.push_back(child);
  jobs_["j-000001"] = child;
  JobMeteringOptions o;
  o.batch_size = 100;
  o.flush_every = hours(1);
  JobMetering metering(clock_, pacer_, *store_, Running(), TdpOnly, o);
  const double cpu_before = CpuS(child);
  ASSERT_TRUE(metering.SampleOnce().ok());
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(milliseconds(250));
    clock_.Advance(seconds(1));
    ASSERT_TRUE(metering.SampleOnce().ok());
  }
  const double cpu_after = CpuS(child);
  EXPECT_TRUE(store_->ForJob("j-000001")->empty()) << "a batch of 100 is not full yet";
  ASSERT_TRUE(metering.Flush().ok());
  auto rows = store_->ForJob("j-000001");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 4u);
  double cpu_j = 0;
  for (size_t i = 0; i < rows->size(); ++i) {
    const auto& r = (*rows)[i];
    EXPECT_DOUBLE_EQ(r.at_unix_s, 1'800'000'001.0 + static_cast<double>(i));
    EXPECT_DOUBLE_EQ(r.interval_s, 1);
    EXPECT_EQ(r.cpu_method, "tdp-model");
    EXPECT_EQ(r.ram_method, "ram-model");
    EXPECT_GT(r.ram_uj, 0);
    EXPECT_NEAR(r.cpu_w * r.interval_s * 1e6, static_cast<double>(r.cpu_uj), 1);
    cpu_j += static_cast<double>(r.cpu_uj) / 1e6;
  }
  const double burned_s = cpu_after - cpu_before;
  ASSERT_GT(burned_s, 0.2) << "the child did not get the CPU";
  EXPECT_LE(cpu_j, 100 * burned_s + 1.0);
  EXPECT_GE(cpu_j, 100 * burned_s - 3.0);  // a clock tick (10 ms) at each end
}

TEST_F(JobMeteringTest, AJobThatStopsRunningLosesItsMeterAndItsSamplesAreWritten) {
  // Given two running jobs, one of which ends, we should drop its meter and
  // write the waiting samples at once (its audit should be complete).
  pid_t a = Burn(), b = Burn();
  children_ = {a, b};
  jobs_ = {{"j-1", a}, {"j-2", b}};
  JobMeteringOptions o;
  o.batch_size = 100;
  o.flush_every = hours(1);
  JobMetering metering(clock_, pacer_, *store_, Running(), TdpOnly, o);
  ASSERT_TRUE(metering.SampleOnce().ok());
  clock_.Advance(seconds(1));
  ASSERT_TRUE(metering.SampleOnce().ok());
  EXPECT_EQ(metering.MeteredJobs(), (std::vector<std::string>{"j-1", "j-2"}));
  EXPECT_TRUE(store_->ForJob("j-1")->empty());
  jobs_.erase("j-1");
  clock_.Advance(seconds(1));
  ASSERT_TRUE(metering.SampleOnce().ok());
  EXPECT_EQ(metering.MeteredJobs(), std::vector<std::string>{"j-2"});
  EXPECT_EQ(store_->ForJob("j-1")->size(), 1u);
  EXPECT_EQ(store_->ForJob("j-2")->size(), 2u);
}

TEST_F(JobMeteringTest, TheThreadSamplesOnItsOwnAndStopFlushes) {
  // Given the meter started on its own thread at 50 ms with a real pacer,
  // we should find samples of a burning job after Stop.
  pid_t child = Burn();
  children_.push_back(child);
  jobs_["j-1"] = child;
  SteadyPacer pacer;
  JobMeteringOptions o;
  o.interval = milliseconds(50);
  SystemClock system;
  JobMetering metering(system, pacer, *store_, Running(), TdpOnly, o);
  metering.Start();
  std::this_thread::sleep_for(milliseconds(400));
  metering.Stop();
  auto rows = store_->ForJob("j-1");
  ASSERT_TRUE(rows.ok());
  EXPECT_GE(rows->size(), 3u);
  double metered_s = 0;
  for (const auto& r : *rows) metered_s += r.interval_s;
  EXPECT_GT(metered_s, 0.15);
  EXPECT_LT(metered_s, 0.5);
}

TEST_F(JobMeteringTest, RetentionDownsamplesOldSamplesKeepingTheirEnergy) {
  // Given 120 one-second samples two days old and a retention of one day,
  // we should merge them into minute rows with the same total energy.
  std::vector<StoredMeterSample> batch;
  const double t0 = 1'800'000'000 - 2 * 86400 - 1'800'000'000 % 60;
  for (int i = 1; i <= 120; ++i) {
    StoredMeterSample s;
    s.job_id = "j-1";
    s.at_unix_s = t0 + i;
    s.interval_s = 1;
    s.cpu_uj = 1'234'567 + i;
    s.cpu_method = "tdp-model";
    s.gpu_method = "none";
    s.ram_method = "ram-model";
    batch.push_back(s);
  }
  ASSERT_TRUE(store_->Append(batch).ok());
  const int64_t before = store_->Totals("j-1")->cpu_uj;
  JobMeteringOptions o;
  o.retention = hours(24);
  JobMetering metering(clock_, pacer_, *store_, Running(), TdpOnly, o);
  ASSERT_TRUE(metering.ApplyRetention().ok());
  EXPECT_EQ(store_->Totals("j-1")->rows, 2);
  EXPECT_EQ(store_->Totals("j-1")->cpu_uj, before);
}

TEST_F(JobMeteringTest, ReadsTheConfigsMeteringSection) {
  // Given a config with a metering section, we should read each field, and
  // refuse an unknown one naming it.
  std::string path = dir_.Write(
      "c.yaml", "metering:\n  interval: 500ms\n  retention: 7d\n  downsample_to: 5m\n  nvml_library: none\n");
  auto o = LoadMeteringConfig(path);
  ASSERT_TRUE(o.ok()) << o.status().message();
  EXPECT_EQ(o->interval, milliseconds(500));
  EXPECT_EQ(o->retention, hours(24 * 7));
  EXPECT_EQ(o->downsample_to, minutes(5));
  EXPECT_EQ(o->nvml_library, "none");
  EXPECT_EQ(LoadMeteringConfig(dir_.Write("d.yaml", "regions: []\n"))->interval, milliseconds(1000));
  auto bad = LoadMeteringConfig(dir_.Write("e.yaml", "metering:\n  every: 1s\n"));
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("metering.every: unknown field"), std::string::npos);
}

// A sleeping child exec'd with only CUDA_VISIBLE_DEVICES in its environment;
// returns once /proc shows the exec'd image's environment.
pid_t SleepWithGpus(const char* visible) {
  std::string env = std::string("CUDA_VISIBLE_DEVICES=") + visible;
  pid_t pid = fork();
  if (pid == 0) {
    char* const argv[] = {const_cast<char*>("sleep"), const_cast<char*>("60"), nullptr};
    char* const envp[] = {env.data(), nullptr};
    execve("/bin/sleep", argv, envp);
    _exit(127);
  }
  for (int i = 0; i < 300 && ReadProcessEnv("/proc", pid, "CUDA_VISIBLE_DEVICES") != visible; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  return pid;
}

TEST_F(JobMeteringTest, SplitsSharedGpusBetweenRunningJobsByTheirProcessesUtilisation) {
  // Given the fake NVML with two GPUs each drawing 1 J a round, job a given
  // GPU 0 and job b given GPUs 0 and 1 (real children, exec'd with those
  // CUDA_VISIBLE_DEVICES), a's process at 60 % SM on GPU 0 and b's at 20 %,
  // we should store a 0.75 J a round and b 0.25 + 1 J, after the priming
  // round, with the energy counter as the method and no GPU energy lost.
  testing::TempDir util;
  const std::string util_file = util.File("utilisation");
  setenv("FAKE_NVML_COUNT", "2", 1);
  setenv("FAKE_NVML_ENERGY_STEP_MJ", "1000", 1);
  setenv("FAKE_NVML_PROCESS_UTIL_FILE", util_file.c_str(), 1);
  pid_t a = SleepWithGpus("0"), b = SleepWithGpus("0,1");
  children_ = {a, b};
  jobs_ = {{"j-a", a}, {"j-b", b}};
  std::ofstream(util_file) << "0 " << a << " 60\n0 " << b << " 20\n";
  DaemonMeterSetup setup = DaemonMeterSources(dir_.File("no-cpu-table.csv"), "/proc", FAKE_NVML_PATH);
  ASSERT_TRUE(setup.gpus) << setup.sources.gpu_note;
  JobMeteringOptions o;
  o.batch_size = 100;
  JobMetering metering(clock_, pacer_, *store_, Running(), [&](const RunningJob&) { return setup.sources; }, o);
  metering.UseGpus(setup.gpus.get());
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(metering.SampleOnce().ok());
    clock_.Advance(seconds(1));
  }
  ASSERT_TRUE(metering.Flush().ok());
  for (const char* v : {"FAKE_NVML_COUNT", "FAKE_NVML_ENERGY_STEP_MJ", "FAKE_NVML_PROCESS_UTIL_FILE"}) unsetenv(v);
  auto rows_a = store_->ForJob("j-a");
  auto rows_b = store_->ForJob("j-b");
  ASSERT_TRUE(rows_a.ok() && rows_b.ok());
  ASSERT_EQ(rows_a->size(), 2u);
  ASSERT_EQ(rows_b->size(), 2u);
  for (const auto& r : *rows_a) {
    EXPECT_EQ(r.gpu_method, "nvml-energy-counter");
    EXPECT_EQ(r.gpu_uj, 750'000);
  }
  for (const auto& r : *rows_b) EXPECT_EQ(r.gpu_uj, 1'250'000);
  EXPECT_EQ(setup.gpus->unattributed_j(), 0);
}

}  // namespace
}  // namespace sunwind
