// examples/train-digits run as sunwind runs jobs: through the real
// LocalExecutor over PosixProcessRunner, paused by checkpoint signal or by
// SIGSTOP, resumed, and compared with a run never paused. The job sleeps a
// few milliseconds per mini-batch (--slow-ms-per-batch) so that a pause
// lands inside an epoch; each test takes one to three seconds.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "digits_trainer.h"
#include "executors/local_executor.h"
#include "tests/support/process_wait.h"
#include "executors/posix_process_runner.h"
#include "tests/support/temp_dir.h"

namespace sunwind {
namespace {

using std::chrono::milliseconds;

constexpr int kBatchesPerEpoch = 45;  // 1,438 training images in batches of 32
constexpr const char* kEpochs = "8";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Where each checkpoint pause left the job, in mini-batches from the start,
// read from the "paused: ... saved at batch B of 45 in epoch E of 8" lines.
std::vector<int> PausePositions(const std::string& log) {
  std::vector<int> positions;
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    size_t at = line.find(" saved at batch ");
    if (line.rfind("paused:", 0) != 0 || at == std::string::npos) continue;
    int batch = 0, batches = 0, epoch = 0;
    if (std::sscanf(line.c_str() + at, " saved at batch %d of %d in epoch %d", &batch, &batches, &epoch) == 3) {
      positions.push_back((epoch - 1) * batches + batch);
    }
  }
  return positions;
}

// The lines of `log` that start with `prefix`, in order.
std::vector<std::string> LinesStartingWith(const std::string& log, const std::string& prefix) {
  std::vector<std::string> found;
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) == 0) found.push_back(line);
  }
  return found;
}

int CountLines(const std::string& log, const std::string& prefix) {
  int n = 0;
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) n += line.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

class TrainDigitsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    // Every supervisor the test started has been reaped by Poll: none is
    // left as a zombie of ours.
    int status = 0;
    EXPECT_LE(waitpid(-1, &status, WNOHANG), 0) << "a zombie child was left";
  }

  // A job in a working directory of its own, writing its checkpoint and
  // result there.
  LocalJob TrainJob(const std::string& id, std::vector<std::string> extra = {"--epochs", kEpochs,
                                                                              "--slow-ms-per-batch", "4"}) {
    LocalJob job;
    job.id = id;
    job.working_dir = dir_.File(id);
    std::filesystem::create_directories(job.working_dir);
    job.argv = {TRAIN_DIGITS_BINARY, "--checkpoint", Checkpoint(id), "--result", Result(id)};
    job.argv.insert(job.argv.end(), extra.begin(), extra.end());
    return job;
  }
  std::string Checkpoint(const std::string& id) const { return dir_.File(id) + "/digits.ckpt"; }
  std::string Result(const std::string& id) const { return dir_.File(id) + "/result.json"; }

  // Polls until the job has ended (a failure after 60 s).
  ProcessStatus WaitForEnd(const ProcessHandle& handle) {
    return testing::WaitForEnd(executor_, handle, milliseconds(60000));
  }

  // Waits until the job's log shows `launches` launches that have set up
  // their signal handler and loaded the data (a "fresh start:" or "resumed:"
  // line each), so a delay counted from there is spent training however slow
  // the machine is to start a process. False after 30 s.
  bool WaitForLaunches(const ProcessHandle& handle, int launches) {
    for (int i = 0; i < 3000; ++i) {
      const std::string log = ReadFile(handle.stdout_path);
      if (CountLines(log, "fresh start:") + CountLines(log, "resumed:") >= launches) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return false;
  }

  // Pauses by checkpoint signal after each delay of training and resumes at
  // once; returns the handle of the last launch.
  ProcessHandle PauseAndResume(const LocalJob& job, ProcessHandle handle, const std::vector<int>& delays_ms) {
    int launches = 1;
    for (int delay : delays_ms) {
      EXPECT_TRUE(WaitForLaunches(handle, launches++)) << ReadFile(handle.stderr_path);
      std::this_thread::sleep_for(milliseconds(delay));
      auto paused = executor_.Pause(job, handle);
      EXPECT_TRUE(paused.ok()) << paused.status().message();
      if (!paused.ok()) return handle;
      EXPECT_EQ(paused->state, ProcessState::kExited);
      EXPECT_EQ(paused->exit_code, 0) << ReadFile(handle.stderr_path);
      auto resumed = executor_.Resume(job, handle);
      EXPECT_TRUE(resumed.ok()) << resumed.status().message();
      if (!resumed.ok()) return handle;
      handle = *resumed;
    }
    return handle;
  }

  testing::TempDir dir_;
  SystemClock clock_;
  PosixProcessRunner runner_{clock_};
  // A generous grace: the job needs one mini-batch and an fsync to comply,
  // but this machine may be busy.
  LocalExecutor executor_{runner_, dir_.File("jobs"), milliseconds(10000)};
};

TEST_F(TrainDigitsTest, CheckpointPausesMidEpochGiveTheUninterruptedResult) {
  // Given one run never paused and one paused by SIGTERM three times (at
  // different points, inside epochs) and resumed with SUNWIND_RESUME=1 each
  // time, we should get the same final loss, test accuracy and weights hash
  // to the bit, and the same loss and accuracy for every epoch (the running
  // loss of an epoch cut by a pause is carried in the checkpoint).
  LocalJob straight = TrainJob("straight");
  LocalJob paused = TrainJob("paused");
  auto straight_handle = executor_.Start(straight);
  ASSERT_TRUE(straight_handle.ok()) << straight_handle.status().message();
  auto first = executor_.Start(paused);
  ASSERT_TRUE(first.ok()) << first.status().message();

  ProcessHandle last = PauseAndResume(paused, *first, {250, 350, 300});
  ProcessStatus end = WaitForEnd(last);
  EXPECT_EQ(end.state, ProcessState::kExited);
  EXPECT_EQ(end.exit_code, 0) << ReadFile(last.stderr_path);
  ProcessStatus straight_end = WaitForEnd(*straight_handle);
  EXPECT_EQ(straight_end.exit_code, 0) << ReadFile(straight_handle->stderr_path);

  const std::string log = ReadFile(last.stdout_path);  // appended across launches
  std::vector<int> positions = PausePositions(log);
  ASSERT_EQ(positions.size(), 3u) << log;
  EXPECT_EQ(CountLines(log, "resumed: checkpoint " + Checkpoint("paused") + " at batch "), 3) << log;
  EXPECT_EQ(CountLines(log, "fresh start:"), 1) << log;
  // Each pause came later in training than the one before it, and at least
  // one fell inside an epoch rather than at its end.
  EXPECT_LT(positions[0], positions[1]);
  EXPECT_LT(positions[1], positions[2]);
  EXPECT_TRUE(positions[0] % kBatchesPerEpoch != 0 || positions[1] % kBatchesPerEpoch != 0 ||
              positions[2] % kBatchesPerEpoch != 0)
      << log;

  const std::vector<std::string> epochs = LinesStartingWith(log, "epoch ");
  EXPECT_EQ(epochs.size(), 8u);
  EXPECT_EQ(epochs, LinesStartingWith(ReadFile(straight_handle->stdout_path), "epoch "));

  const std::string expected = ReadFile(Result("straight"));
  ASSERT_NE(expected, "");
  EXPECT_EQ(ReadFile(Result("paused")), expected);
  auto result = nlohmann::json::parse(expected);
  EXPECT_EQ(result["epochs"], 8);
  EXPECT_EQ(result["weights_hash"].get<std::string>().substr(0, 8), "fnv1a64:");
}

TEST_F(TrainDigitsTest, StopModePausesGiveTheUninterruptedResult) {
  // Given one run never paused and one SIGSTOPped three times (its
  // checkpoint untouched while stopped) and continued, we should get the same
  // result to the bit.
  LocalJob straight = TrainJob("straight");
  LocalJob stopped = TrainJob("stopped");
  stopped.pause_mode = PauseMode::kStop;
  auto straight_handle = executor_.Start(straight);
  ASSERT_TRUE(straight_handle.ok()) << straight_handle.status().message();
  auto handle = executor_.Start(stopped);
  ASSERT_TRUE(handle.ok()) << handle.status().message();

  ASSERT_TRUE(WaitForLaunches(*handle, 1));
  for (int delay : {250, 300, 300}) {
    std::this_thread::sleep_for(milliseconds(delay));
    auto paused = executor_.Pause(stopped, *handle);
    ASSERT_TRUE(paused.ok()) << paused.status().message();
    EXPECT_EQ(paused->state, ProcessState::kRunning);
    EXPECT_TRUE(paused->stopped);
    const std::string before = ReadFile(Checkpoint("stopped"));
    std::this_thread::sleep_for(milliseconds(200));
    EXPECT_EQ(ReadFile(Checkpoint("stopped")), before) << "a stopped job wrote its checkpoint";
    auto resumed = executor_.Resume(stopped, *handle);
    ASSERT_TRUE(resumed.ok()) << resumed.status().message();
    EXPECT_EQ(resumed->job_pid, handle->job_pid);
  }
  ProcessStatus end = WaitForEnd(*handle);
  EXPECT_EQ(end.state, ProcessState::kExited);
  EXPECT_EQ(end.exit_code, 0) << ReadFile(handle->stderr_path);
  EXPECT_EQ(WaitForEnd(*straight_handle).exit_code, 0);
  // One launch only: no relaunch, no resume from a checkpoint.
  EXPECT_EQ(CountLines(ReadFile(handle->stdout_path), "fresh start:"), 1);
  EXPECT_EQ(CountLines(ReadFile(handle->stdout_path), "resumed:"), 0);

  const std::string expected = ReadFile(Result("straight"));
  ASSERT_NE(expected, "");
  EXPECT_EQ(ReadFile(Result("stopped")), expected);
}

TEST_F(TrainDigitsTest, RefusesACorruptOrTruncatedCheckpointNamingTheFile) {
  // Given a job paused at a checkpoint whose file is then damaged (a flipped
  // byte, half of it cut off, a stub), resuming should fail with exit code 3
  // and an error naming the file, leave the file as it was and write no
  // result: never a silent fresh start over the saved progress.
  LocalJob job = TrainJob("damaged");
  auto handle = executor_.Start(job);
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  ASSERT_TRUE(WaitForLaunches(*handle, 1));
  std::this_thread::sleep_for(milliseconds(250));
  auto paused = executor_.Pause(job, *handle);
  ASSERT_TRUE(paused.ok()) << paused.status().message();
  ASSERT_EQ(paused->exit_code, 0);
  const std::string path = Checkpoint("damaged");
  const std::string good = ReadFile(path);
  ASSERT_GT(good.size(), 1000u);

  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x01;
  const std::vector<std::pair<std::string, std::string>> damages = {
      {flipped, "checksum mismatch: the file is corrupt or was partly written"},
      {good.substr(0, good.size() / 2), "checksum mismatch: the file is corrupt or was partly written"},
      {good.substr(0, 10), "is 10 bytes, too short to be a checkpoint (truncated?)"},
      {std::string(100, 'x'), "is not a train_digits checkpoint (bad magic)"},
  };
  for (const auto& [bytes, why] : damages) {
    WriteFile(path, bytes);
    std::filesystem::remove(dir_.File("jobs/damaged/stderr.log"));
    auto resumed = executor_.Resume(job, *handle);
    ASSERT_TRUE(resumed.ok()) << resumed.status().message();
    ProcessStatus end = WaitForEnd(*resumed);
    EXPECT_EQ(end.state, ProcessState::kExited);
    EXPECT_EQ(end.exit_code, 3);
    EXPECT_EQ(ReadFile(resumed->stderr_path),
              "train_digits: checkpoint " + path + ": " + why +
                  "; refusing to resume (starting over would overwrite the saved progress; move the file "
                  "away to start from scratch)\n");
    EXPECT_EQ(ReadFile(path), bytes) << "the damaged checkpoint was overwritten";
    EXPECT_FALSE(std::filesystem::exists(Result("damaged")));
  }

  // The good checkpoint, put back, resumes and finishes.
  WriteFile(path, good);
  auto resumed = executor_.Resume(job, *handle);
  ASSERT_TRUE(resumed.ok()) << resumed.status().message();
  EXPECT_EQ(WaitForEnd(*resumed).exit_code, 0) << ReadFile(resumed->stderr_path);
  EXPECT_TRUE(std::filesystem::exists(Result("damaged")));
}

TEST_F(TrainDigitsTest, DefaultRunLearnsTheDigits) {
  // Given the default settings (20 epochs, no slowing down), the classifier
  // should really learn: over 90 % of the 359 held-out images right, and a
  // mean training loss well below chance (ln 10 = 2.30 nats).
  LocalJob job = TrainJob("default", {});
  auto handle = executor_.Start(job);
  ASSERT_TRUE(handle.ok()) << handle.status().message();
  ProcessStatus end = WaitForEnd(*handle);
  EXPECT_EQ(end.exit_code, 0) << ReadFile(handle->stderr_path);
  auto result = nlohmann::json::parse(ReadFile(Result("default")), nullptr, false);
  ASSERT_FALSE(result.is_discarded()) << ReadFile(Result("default"));
  EXPECT_EQ(result["epochs"], 20);
  EXPECT_GT(result["test_accuracy"].get<double>(), 0.9);
  EXPECT_LT(result["final_loss"].get<double>(), 0.5);
  EXPECT_EQ(CountLines(ReadFile(handle->stdout_path), "epoch "), 20);
}

TEST(TrainDigitsCheckpointTest, RefusesACheckpointMadeWithOtherSettings) {
  // Given a checkpoint saved with 32 hidden units, a trainer with 16 should
  // refuse it, saying which settings differ, and keep its own state.
  train_digits::Dataset all, train, test;
  ASSERT_EQ(train_digits::LoadDigits(SUNWIND_SOURCE_DIR "/examples/train-digits/data/digits.csv.gz", &all), "");
  ASSERT_EQ(all.size(), 1797);
  train_digits::SplitDataset(all, 5, &train, &test);
  EXPECT_EQ(train.size(), 1438);
  EXPECT_EQ(test.size(), 359);

  testing::TempDir dir;
  train_digits::TrainConfig config;
  train_digits::Trainer saver(config, train, test);
  saver.Initialize();
  saver.TrainBatch();
  ASSERT_EQ(saver.SaveCheckpoint(dir.File("ckpt")), "");
  EXPECT_FALSE(std::filesystem::exists(dir.File("ckpt.tmp")));

  train_digits::Trainer same(config, train, test);
  ASSERT_EQ(same.LoadCheckpoint(dir.File("ckpt")), "");
  EXPECT_EQ(same.WeightsHash(), saver.WeightsHash());
  EXPECT_EQ(same.state().next_batch, 1u);

  config.hidden_units = 16;
  train_digits::Trainer other(config, train, test);
  other.Initialize();
  const uint64_t before = other.WeightsHash();
  EXPECT_EQ(other.LoadCheckpoint(dir.File("ckpt")),
            "checkpoint " + dir.File("ckpt") +
                ": was made with --hidden 32 --batch-size 32 --learning-rate 0.1 --seed 2026; this run has "
                "--hidden 16 --batch-size 32 --learning-rate 0.1 --seed 2026");
  EXPECT_EQ(other.WeightsHash(), before);
}

TEST(TrainDigitsCheckpointTest, ResumingWithMoreEpochsEqualsAStartWithThatMany) {
  // Given a run of 2 epochs saved and resumed with --epochs 3, we should end
  // with the weights of a run started with 3 epochs (each epoch's shuffle
  // is drawn at the end of the one before, also after the last).
  train_digits::Dataset all, train, test;
  ASSERT_EQ(train_digits::LoadDigits(SUNWIND_SOURCE_DIR "/examples/train-digits/data/digits.csv.gz", &all), "");
  train_digits::SplitDataset(all, 5, &train, &test);
  testing::TempDir dir;

  train_digits::TrainConfig config;
  config.epochs = 2;
  train_digits::Trainer shorter(config, train, test);
  shorter.Initialize();
  while (!shorter.done()) shorter.TrainBatch();
  ASSERT_EQ(shorter.SaveCheckpoint(dir.File("ckpt")), "");

  config.epochs = 3;
  train_digits::Trainer extended(config, train, test);
  ASSERT_EQ(extended.LoadCheckpoint(dir.File("ckpt")), "");
  EXPECT_FALSE(extended.done());
  while (!extended.done()) extended.TrainBatch();

  train_digits::Trainer straight(config, train, test);
  straight.Initialize();
  while (!straight.done()) straight.TrainBatch();
  EXPECT_EQ(extended.WeightsHash(), straight.WeightsHash());
  EXPECT_NE(shorter.WeightsHash(), straight.WeightsHash());
  EXPECT_EQ(std::memcmp(&extended.state().last_epoch_loss, &straight.state().last_epoch_loss, sizeof(double)), 0);
}

}  // namespace
}  // namespace sunwind
