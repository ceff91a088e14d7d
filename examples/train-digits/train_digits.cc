// train_digits: trains a small MLP on the handwritten-digits set and honours
// sunwind's checkpoint contract (README.md):
//   - SIGTERM (or SIGINT) -> finish the current mini-batch, save the
//     checkpoint, exit 0;
//   - SUNWIND_RESUME=1 (or --resume auto and the checkpoint exists) ->
//     continue from the checkpoint, bit for bit.
// A checkpoint is also saved at every epoch's end.
//
// Exit codes: 0 finished or paused at a checkpoint; 1 a data or I/O error;
// 2 bad flags; 3 a checkpoint that cannot be resumed from (never silently
// replaced by a fresh start).
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "digits_trainer.h"

#ifndef TRAIN_DIGITS_DEFAULT_DATA
#define TRAIN_DIGITS_DEFAULT_DATA "data/digits.csv.gz"
#endif

namespace train_digits {
namespace {

// Set by the handler, read by the loop after each mini-batch: the handler
// does nothing else, so it is async-signal-safe.
volatile sig_atomic_t g_stop_signal = 0;

void OnStopSignal(int signal) { g_stop_signal = signal; }

struct Flags {
  TrainConfig config;
  std::string data = TRAIN_DIGITS_DEFAULT_DATA;
  std::string checkpoint = "train-digits.ckpt";
  std::string result;  // empty: no result file
  std::string resume = "env";
  int test_every = 5;
  int slow_ms_per_batch = 0;
};

constexpr const char* kUsage =
    "usage: train_digits [--epochs N] [--hidden N] [--batch-size N] [--learning-rate X]\n"
    "                    [--seed N] [--data FILE.csv.gz] [--checkpoint FILE] [--result FILE.json]\n"
    "                    [--resume env|auto] [--test-every N] [--slow-ms-per-batch MS]\n"
    "Trains a 64-H-10 MLP on the handwritten-digits set. SIGTERM saves a checkpoint and\n"
    "exits 0; SUNWIND_RESUME=1 (or --resume auto with the checkpoint present) resumes.\n";

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Returns "" or what is wrong with the flags.
std::string ParseFlags(int argc, char** argv, Flags* flags) {
  for (int i = 1; i < argc; ++i) {
    std::string_view name = argv[i];
    if (name == "--help" || name == "-h") return "help";
    if (i + 1 >= argc) return std::string(name) + ": missing value";
    std::string_view value = argv[++i];
    bool ok = true;
    if (name == "--epochs") ok = ParseNumber(value, &flags->config.epochs) && flags->config.epochs >= 1;
    else if (name == "--hidden") ok = ParseNumber(value, &flags->config.hidden_units) && flags->config.hidden_units >= 1;
    else if (name == "--batch-size") ok = ParseNumber(value, &flags->config.batch_size) && flags->config.batch_size >= 1;
    else if (name == "--learning-rate") ok = ParseNumber(value, &flags->config.learning_rate) && flags->config.learning_rate > 0;
    else if (name == "--seed") ok = ParseNumber(value, &flags->config.seed);
    else if (name == "--test-every") ok = ParseNumber(value, &flags->test_every) && flags->test_every >= 2;
    else if (name == "--slow-ms-per-batch") ok = ParseNumber(value, &flags->slow_ms_per_batch) && flags->slow_ms_per_batch >= 0;
    else if (name == "--data") flags->data = value;
    else if (name == "--checkpoint") {
      flags->checkpoint = value;
      ok = !value.empty();
    }
    else if (name == "--result") flags->result = value;
    else if (name == "--resume") {
      flags->resume = value;
      ok = value == "env" || value == "auto";
    }
    else return "unknown flag " + std::string(name);
    if (!ok) return std::string(name) + ": bad value '" + std::string(value) + "'";
  }
  return "";
}

void SleepMs(int ms) {
  // Interrupted by a stop signal, the sleep ends early: the loop then saves.
  timespec wait{ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&wait, nullptr);
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The result file, written like the checkpoint: temp, fsync, rename.
bool WriteResult(const std::string& path, int epochs, double final_loss, double accuracy, uint64_t hash) {
  const std::string temp = path + ".tmp";
  FILE* out = std::fopen(temp.c_str(), "w");
  if (out == nullptr) return false;
  std::fprintf(out,
               "{\"epochs\": %d, \"final_loss\": %.17g, \"test_accuracy\": %.17g, "
               "\"weights_hash\": \"fnv1a64:%016" PRIx64 "\"}\n",
               epochs, final_loss, accuracy, hash);
  bool ok = std::fflush(out) == 0 && ::fsync(fileno(out)) == 0;
  ok = std::fclose(out) == 0 && ok;
  return ok && std::rename(temp.c_str(), path.c_str()) == 0;
}

int Run(int argc, char** argv) {
  Flags flags;
  std::string bad = ParseFlags(argc, argv, &flags);
  if (bad == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!bad.empty()) {
    std::fprintf(stderr, "train_digits: %s\n%s", bad.c_str(), kUsage);
    return 2;
  }

  Dataset all, train, test;
  std::string error = LoadDigits(flags.data, &all);
  if (!error.empty()) {
    std::fprintf(stderr, "train_digits: %s\n", error.c_str());
    return 1;
  }
  SplitDataset(all, flags.test_every, &train, &test);
  std::printf("data: %s: %d images (8x8, 0-16): %d to train, %d held out to test (every %dth)\n",
              flags.data.c_str(), all.size(), train.size(), test.size(), flags.test_every);

  Trainer trainer(flags.config, train, test);
  const int batches = trainer.batches_per_epoch();
  const char* resume_env = std::getenv("SUNWIND_RESUME");
  const bool asked = resume_env != nullptr && std::string_view(resume_env) == "1";
  const bool exists = FileExists(flags.checkpoint);
  if (exists && (asked || flags.resume == "auto")) {
    error = trainer.LoadCheckpoint(flags.checkpoint);
    if (!error.empty()) {
      std::fprintf(stderr,
                   "train_digits: %s; refusing to resume (starting over would overwrite the saved "
                   "progress; move the file away to start from scratch)\n",
                   error.c_str());
      return 3;
    }
    std::printf("resumed: checkpoint %s at batch %u of %d in epoch %u of %d\n", flags.checkpoint.c_str(),
                trainer.state().next_batch, batches, trainer.state().epoch + 1, flags.config.epochs);
  } else {
    if (asked) {
      // Nothing was saved yet (the job was stopped before its first
      // checkpoint), so nothing can be lost by starting over.
      std::fprintf(stderr, "train_digits: SUNWIND_RESUME=1 but no checkpoint at %s: starting from epoch 1\n",
                   flags.checkpoint.c_str());
    }
    trainer.Initialize();
    std::printf("fresh start: MLP 64-%d-10, batch %d, learning rate %g, seed %" PRIu64 ", %d epochs of %d batches\n",
                flags.config.hidden_units, flags.config.batch_size, flags.config.learning_rate,
                flags.config.seed, flags.config.epochs, batches);
  }

  while (!trainer.done()) {
    const bool epoch_ended = trainer.TrainBatch();
    if (flags.slow_ms_per_batch > 0 && g_stop_signal == 0) SleepMs(flags.slow_ms_per_batch);
    if (epoch_ended) {
      int correct = 0;
      const double accuracy = trainer.TestAccuracy(&correct);
      std::printf("epoch %u of %d: train loss %.6f nats/image (mean cross-entropy over the epoch's "
                  "mini-batches), test accuracy %.2f %% (%d of %d held-out images)\n",
                  trainer.state().epoch, flags.config.epochs, trainer.state().last_epoch_loss,
                  100.0 * accuracy, correct, test.size());
      error = trainer.SaveCheckpoint(flags.checkpoint);
      if (!error.empty()) {
        std::fprintf(stderr, "train_digits: %s\n", error.c_str());
        return 1;
      }
    }
    if (g_stop_signal != 0 && !trainer.done()) {
      if (!epoch_ended) {
        error = trainer.SaveCheckpoint(flags.checkpoint);
        if (!error.empty()) {
          std::fprintf(stderr, "train_digits: %s\n", error.c_str());
          return 1;
        }
      }
      std::printf("paused: checkpoint %s saved at batch %u of %d in epoch %u of %d (%s); exiting 0\n",
                  flags.checkpoint.c_str(), trainer.state().next_batch, batches, trainer.state().epoch + 1,
                  flags.config.epochs, strsignal(g_stop_signal));
      return 0;
    }
  }

  int correct = 0;
  const double accuracy = trainer.TestAccuracy(&correct);
  const uint64_t hash = trainer.WeightsHash();
  std::printf("final: train loss %.6f nats/image (epoch %d's mean cross-entropy), test accuracy %.2f %% "
              "(%d of %d held-out images), weights fnv1a64:%016" PRIx64
              " (FNV-1a 64 over the float64 parameters' bytes)\n",
              trainer.state().last_epoch_loss, flags.config.epochs, 100.0 * accuracy, correct, test.size(), hash);
  if (!flags.result.empty() &&
      !WriteResult(flags.result, flags.config.epochs, trainer.state().last_epoch_loss, accuracy, hash)) {
    std::fprintf(stderr, "train_digits: result %s: cannot write: %s\n", flags.result.c_str(), std::strerror(errno));
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace train_digits

int main(int argc, char** argv) {
  // First of all, so a checkpoint signal that comes while the data loads is
  // acted on after the first mini-batch rather than killing the process.
  struct sigaction action {};
  action.sa_handler = train_digits::OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  // Logs are files under sunwind: line-buffer them so progress shows as it happens.
  setvbuf(stdout, nullptr, _IOLBF, 0);
  return train_digits::Run(argc, argv);
}
