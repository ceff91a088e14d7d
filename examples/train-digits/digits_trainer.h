// A small, deterministic digit classifier for examples/train-digits: an MLP
// (64 inputs -> hidden ReLU units -> 10 softmax outputs) trained by
// mini-batch SGD on the handwritten-digits set, with a checkpoint that holds
// everything needed to continue bit for bit.
//
// It stands for a user's training job, so it knows sunwind only through the
// checkpoint contract (README.md) and links nothing of sunwind's. Errors are
// returned as a message (empty = success) rather than sunwind's Status for
// the same reason.
//
// Determinism: the same binary with the same flags gives bit-identical
// weights however often it is paused and resumed, because
//   - there is one thread and every sum runs in a fixed order;
//   - randomness comes only from std::mt19937_64, whose output the standard
//     fixes, through distributions written here (std::uniform_*_distribution
//     is implementation-defined);
//   - the checkpoint stores the raw bits of every double and the generator's
//     full state, and a mini-batch is never split by a checkpoint.
#ifndef SUNWIND_EXAMPLES_TRAIN_DIGITS_DIGITS_TRAINER_H_
#define SUNWIND_EXAMPLES_TRAIN_DIGITS_DIGITS_TRAINER_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace train_digits {

inline constexpr int kInputs = 64;   // 8x8 pixels
inline constexpr int kClasses = 10;  // digits 0-9

struct Dataset {
  // Row-major, kInputs per image, pixel value / 16 (so in [0, 1]).
  std::vector<double> pixels;
  std::vector<int> labels;
  // FNV-1a 64 of the decompressed CSV text: a checkpoint made on other data
  // is refused.
  uint64_t fingerprint = 0;
  int size() const { return static_cast<int>(labels.size()); }
};

// Reads the gzip-compressed CSV (no header; 64 integers 0-16, then a label
// 0-9; CR LF tolerated). Returns "" on success, else an error naming the
// file and line.
std::string LoadDigits(const std::string& gz_path, Dataset* out);

// The fixed split: every `test_every`-th row (rows test_every-1,
// 2*test_every-1, ...) is held out for testing, the others train. Interleaved
// rather than "the first 80 %", because the file's last rows come from
// writers whose hand is harder to read, which would understate accuracy.
void SplitDataset(const Dataset& all, int test_every, Dataset* train, Dataset* test);

// FNV-1a 64 over bytes, continuing from `hash` (start with kFnvOffset).
inline constexpr uint64_t kFnvOffset = 14695981039346656037ull;
uint64_t Fnv1a64(const void* data, size_t size, uint64_t hash = kFnvOffset);

// A uniform integer in [0, n), n > 0, without modulo bias (rejection).
uint64_t UniformBelow(std::mt19937_64& rng, uint64_t n);
// A uniform double in [0, 1) from the top 53 bits of one draw.
double UniformUnit(std::mt19937_64& rng);

struct TrainConfig {
  int hidden_units = 32;
  int batch_size = 32;
  double learning_rate = 0.1;
  uint64_t seed = 2026;
  int epochs = 20;  // total, counted from the first; may grow across resumes
};

// Everything the training loop needs to go on; a checkpoint is exactly this
// plus the config fields that must match.
struct TrainState {
  // Parameters, in this order in the checkpoint and the weights hash:
  // w1 [hidden][kInputs], b1 [hidden], w2 [kClasses][hidden], b2 [kClasses].
  std::vector<double> w1, b1, w2, b2;
  uint32_t epoch = 0;       // epochs completed; the one under way is epoch + 1
  uint32_t next_batch = 0;  // the next mini-batch of the current epoch
  std::vector<uint32_t> order;  // this epoch's permutation of training rows
  std::mt19937_64 rng;          // next used for the next epoch's shuffle
  double loss_sum = 0;          // cross-entropy (nats) summed over this epoch's rows so far
  uint64_t loss_count = 0;      // rows summed into loss_sum
  double last_epoch_loss = 0;   // mean over the last completed epoch; NaN before the first
};

class Trainer {
 public:
  // `train` and `test` must outlive the trainer.
  Trainer(const TrainConfig& config, const Dataset& train, const Dataset& test);

  // A fresh start: Glorot-uniform weights, zero biases, epoch 1's shuffle.
  void Initialize();

  int batches_per_epoch() const;
  bool done() const { return state_.epoch >= static_cast<uint32_t>(config_.epochs); }

  // Trains one mini-batch; when it was the epoch's last, closes the epoch
  // (mean loss, next shuffle) and returns true.
  bool TrainBatch();

  // Test-set accuracy in [0, 1] and correct count at the current weights.
  double TestAccuracy(int* correct) const;

  // FNV-1a 64 of the parameters' IEEE-754 bytes (little-endian) in the order
  // given in TrainState: equal hashes mean bit-identical weights.
  uint64_t WeightsHash() const;

  // Writes the checkpoint atomically: `path`.tmp, fsync, rename over `path`,
  // fsync of the directory. A crash leaves the old or the new file, never
  // half of one. Returns "" or an error naming the file.
  std::string SaveCheckpoint(const std::string& path) const;

  // Loads a checkpoint written by SaveCheckpoint with the same config (the
  // epoch count may differ). A file that is truncated, corrupt (checksum),
  // of another format or version, or made with other settings or data is
  // refused with an error naming the file and the reason; state is then
  // unchanged.
  std::string LoadCheckpoint(const std::string& path);

  const TrainState& state() const { return state_; }
  const TrainConfig& config() const { return config_; }

 private:
  void Shuffle();
  std::string Serialize() const;
  std::string Parse(const std::string& bytes);

  TrainConfig config_;
  const Dataset& train_;
  const Dataset& test_;
  TrainState state_;
};

}  // namespace train_digits

#endif  // SUNWIND_EXAMPLES_TRAIN_DIGITS_DIGITS_TRAINER_H_
