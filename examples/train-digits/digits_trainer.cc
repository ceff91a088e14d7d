#include "digits_trainer.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

namespace train_digits {
namespace {

// The checkpoint stores native doubles and integers byte for byte; that is
// portable across the x86-64 and arm64 machines sunwind runs on.
static_assert(std::endian::native == std::endian::little, "checkpoint format is little-endian");

constexpr char kMagic[8] = {'S', 'W', 'D', 'I', 'G', 'C', 'K', 'P'};
constexpr uint32_t kVersion = 1;

std::string ErrnoText() { return std::strerror(errno); }

// Appends a trivially copyable value's bytes.
template <typename T>
void Put(std::string* out, const T& value) {
  out->append(reinterpret_cast<const char*>(&value), sizeof(value));
}

// Reads values back in order; any read past the end marks the reader failed.
class Reader {
 public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}
  template <typename T>
  bool Get(T* value) {
    if (bytes_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool GetBytes(size_t n, std::string* out) {
    if (bytes_.size() - pos_ < n) return false;
    out->assign(bytes_, pos_, n);
    pos_ += n;
    return true;
  }
  size_t remaining() const { return bytes_.size() - pos_; }

 private:
  const std::string& bytes_;
  size_t pos_ = 0;
};

// Writes all of `bytes` to fd; false with errno set on failure.
bool WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool ReadWholeFile(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out->clear();
  char buffer[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      errno = saved;
      return false;
    }
    if (n == 0) break;
    out->append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return true;
}

void GlorotUniform(std::mt19937_64& rng, int fan_in, int fan_out, std::vector<double>* w) {
  const double limit = std::sqrt(6.0 / (fan_in + fan_out));
  for (double& x : *w) x = (2.0 * UniformUnit(rng) - 1.0) * limit;
}

}  // namespace

uint64_t Fnv1a64(const void* data, size_t size, uint64_t hash) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= p[i];
    hash *= 1099511628211ull;
  }
  return hash;
}

uint64_t UniformBelow(std::mt19937_64& rng, uint64_t n) {
  // 2^64 mod n: draws below it would make small results more likely.
  const uint64_t threshold = (0 - n) % n;
  while (true) {
    uint64_t x = rng();
    if (x >= threshold) return x % n;
  }
}

double UniformUnit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

std::string LoadDigits(const std::string& gz_path, Dataset* out) {
  gzFile file = gzopen(gz_path.c_str(), "rb");
  if (file == nullptr) return gz_path + ": cannot open: " + ErrnoText();
  std::string text;
  char buffer[1 << 16];
  while (true) {
    int n = gzread(file, buffer, sizeof(buffer));
    if (n < 0) {
      int code = 0;
      std::string why = gzerror(file, &code);
      gzclose(file);
      return gz_path + ": cannot decompress: " + why;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  gzclose(file);

  Dataset data;
  data.fingerprint = Fnv1a64(text.data(), text.size());
  std::istringstream lines(text);
  std::string line;
  int line_no = 0;
  while (std::getline(lines, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<int> values;
    const char* p = line.data();
    const char* end = p + line.size();
    while (p <= end) {
      const char* comma = std::find(p, end, ',');
      int value = 0;
      auto [stop, ec] = std::from_chars(p, comma, value);
      if (ec != std::errc() || stop != comma || p == comma) {
        return gz_path + ":" + std::to_string(line_no) + ": field " +
               std::to_string(values.size() + 1) + " is not an integer";
      }
      values.push_back(value);
      p = comma + 1;
    }
    if (values.size() != kInputs + 1) {
      return gz_path + ":" + std::to_string(line_no) + ": " + std::to_string(values.size()) +
             " fields, expected 65 (64 pixels and a label)";
    }
    for (int i = 0; i < kInputs; ++i) {
      if (values[i] < 0 || values[i] > 16) {
        return gz_path + ":" + std::to_string(line_no) + ": pixel " + std::to_string(i + 1) +
               " is " + std::to_string(values[i]) + ", outside 0-16";
      }
      data.pixels.push_back(values[i] / 16.0);
    }
    if (values[kInputs] < 0 || values[kInputs] >= kClasses) {
      return gz_path + ":" + std::to_string(line_no) + ": label " +
             std::to_string(values[kInputs]) + " is outside 0-9";
    }
    data.labels.push_back(values[kInputs]);
  }
  if (data.labels.empty()) return gz_path + ": no rows";
  *out = std::move(data);
  return "";
}

void SplitDataset(const Dataset& all, int test_every, Dataset* train, Dataset* test) {
  *train = Dataset{};
  *test = Dataset{};
  for (int n = 0; n < all.size(); ++n) {
    Dataset* to = (test_every > 0 && n % test_every == test_every - 1) ? test : train;
    auto first = all.pixels.begin() + static_cast<ptrdiff_t>(n) * kInputs;
    to->pixels.insert(to->pixels.end(), first, first + kInputs);
    to->labels.push_back(all.labels[n]);
  }
  train->fingerprint = test->fingerprint = all.fingerprint;
}

Trainer::Trainer(const TrainConfig& config, const Dataset& train, const Dataset& test)
    : config_(config), train_(train), test_(test) {}

void Trainer::Initialize() {
  const int h = config_.hidden_units;
  state_ = TrainState{};
  state_.rng.seed(config_.seed);
  state_.w1.assign(static_cast<size_t>(h) * kInputs, 0.0);
  state_.b1.assign(h, 0.0);
  state_.w2.assign(static_cast<size_t>(kClasses) * h, 0.0);
  state_.b2.assign(kClasses, 0.0);
  GlorotUniform(state_.rng, kInputs, h, &state_.w1);
  GlorotUniform(state_.rng, h, kClasses, &state_.w2);
  state_.last_epoch_loss = std::numeric_limits<double>::quiet_NaN();
  Shuffle();
}

void Trainer::Shuffle() {
  // Fisher-Yates over the identity, so each epoch's order depends on the
  // generator's state alone.
  state_.order.resize(train_.size());
  for (int i = 0; i < train_.size(); ++i) state_.order[i] = static_cast<uint32_t>(i);
  for (size_t i = state_.order.size(); i > 1; --i) {
    size_t j = UniformBelow(state_.rng, i);
    std::swap(state_.order[i - 1], state_.order[j]);
  }
}

int Trainer::batches_per_epoch() const {
  return (train_.size() + config_.batch_size - 1) / config_.batch_size;
}

bool Trainer::TrainBatch() {
  const int h = config_.hidden_units;
  const size_t first = static_cast<size_t>(state_.next_batch) * config_.batch_size;
  const size_t last = std::min(first + config_.batch_size, state_.order.size());

  std::vector<double> g_w1(state_.w1.size(), 0.0), g_b1(h, 0.0);
  std::vector<double> g_w2(state_.w2.size(), 0.0), g_b2(kClasses, 0.0);
  std::vector<double> hidden(h), logits(kClasses), d_hidden(h);
  for (size_t k = first; k < last; ++k) {
    const uint32_t row = state_.order[k];
    const double* x = &train_.pixels[static_cast<size_t>(row) * kInputs];
    // Forward.
    for (int j = 0; j < h; ++j) {
      double sum = state_.b1[j];
      for (int i = 0; i < kInputs; ++i) sum += state_.w1[static_cast<size_t>(j) * kInputs + i] * x[i];
      hidden[j] = sum > 0 ? sum : 0.0;
    }
    double max_logit = -std::numeric_limits<double>::infinity();
    for (int c = 0; c < kClasses; ++c) {
      double sum = state_.b2[c];
      for (int j = 0; j < h; ++j) sum += state_.w2[static_cast<size_t>(c) * h + j] * hidden[j];
      logits[c] = sum;
      max_logit = std::max(max_logit, sum);
    }
    double partition = 0;
    for (int c = 0; c < kClasses; ++c) partition += std::exp(logits[c] - max_logit);
    const int label = train_.labels[row];
    state_.loss_sum += max_logit + std::log(partition) - logits[label];
    state_.loss_count += 1;
    // Backward: d(loss)/d(logit c) = softmax_c - [c == label].
    std::fill(d_hidden.begin(), d_hidden.end(), 0.0);
    for (int c = 0; c < kClasses; ++c) {
      const double d = std::exp(logits[c] - max_logit) / partition - (c == label ? 1.0 : 0.0);
      g_b2[c] += d;
      for (int j = 0; j < h; ++j) {
        g_w2[static_cast<size_t>(c) * h + j] += d * hidden[j];
        d_hidden[j] += d * state_.w2[static_cast<size_t>(c) * h + j];
      }
    }
    for (int j = 0; j < h; ++j) {
      if (hidden[j] <= 0) continue;
      g_b1[j] += d_hidden[j];
      for (int i = 0; i < kInputs; ++i) g_w1[static_cast<size_t>(j) * kInputs + i] += d_hidden[j] * x[i];
    }
  }
  const double step = config_.learning_rate / static_cast<double>(last - first);
  for (size_t i = 0; i < g_w1.size(); ++i) state_.w1[i] -= step * g_w1[i];
  for (int j = 0; j < h; ++j) state_.b1[j] -= step * g_b1[j];
  for (size_t i = 0; i < g_w2.size(); ++i) state_.w2[i] -= step * g_w2[i];
  for (int c = 0; c < kClasses; ++c) state_.b2[c] -= step * g_b2[c];

  state_.next_batch += 1;
  if (static_cast<int>(state_.next_batch) < batches_per_epoch()) return false;
  state_.last_epoch_loss = state_.loss_sum / static_cast<double>(state_.loss_count);
  state_.loss_sum = 0;
  state_.loss_count = 0;
  state_.epoch += 1;
  state_.next_batch = 0;
  // Shuffled even after the last epoch, so a run later resumed with more
  // epochs equals one started with that many.
  Shuffle();
  return true;
}

double Trainer::TestAccuracy(int* correct) const {
  const int h = config_.hidden_units;
  std::vector<double> hidden(h);
  int right = 0;
  for (int n = 0; n < test_.size(); ++n) {
    const double* x = &test_.pixels[static_cast<size_t>(n) * kInputs];
    for (int j = 0; j < h; ++j) {
      double sum = state_.b1[j];
      for (int i = 0; i < kInputs; ++i) sum += state_.w1[static_cast<size_t>(j) * kInputs + i] * x[i];
      hidden[j] = sum > 0 ? sum : 0.0;
    }
    int best = 0;
    double best_logit = -std::numeric_limits<double>::infinity();
    for (int c = 0; c < kClasses; ++c) {
      double sum = state_.b2[c];
      for (int j = 0; j < h; ++j) sum += state_.w2[static_cast<size_t>(c) * h + j] * hidden[j];
      if (sum > best_logit) {
        best_logit = sum;
        best = c;
      }
    }
    if (best == test_.labels[n]) ++right;
  }
  if (correct != nullptr) *correct = right;
  return test_.size() == 0 ? 0.0 : static_cast<double>(right) / test_.size();
}

uint64_t Trainer::WeightsHash() const {
  uint64_t hash = kFnvOffset;
  for (const auto* v : {&state_.w1, &state_.b1, &state_.w2, &state_.b2}) {
    hash = Fnv1a64(v->data(), v->size() * sizeof(double), hash);
  }
  return hash;
}

// Layout (all little-endian): magic[8], u32 version, u32 hidden_units,
// u32 batch_size, f64 learning_rate, u64 seed, u64 data fingerprint,
// u32 training rows, u32 epoch, u32 next_batch, f64 loss_sum,
// u64 loss_count, f64 last_epoch_loss, u32 n + n bytes of the generator's
// state (its standard text form), u32 n + n u32 of order, u32 n + n f64 of
// parameters, then u64 FNV-1a 64 of everything before it.
std::string Trainer::Serialize() const {
  std::string out(kMagic, sizeof(kMagic));
  Put(&out, kVersion);
  Put(&out, static_cast<uint32_t>(config_.hidden_units));
  Put(&out, static_cast<uint32_t>(config_.batch_size));
  Put(&out, config_.learning_rate);
  Put(&out, config_.seed);
  Put(&out, train_.fingerprint);
  Put(&out, static_cast<uint32_t>(train_.size()));
  Put(&out, state_.epoch);
  Put(&out, state_.next_batch);
  Put(&out, state_.loss_sum);
  Put(&out, state_.loss_count);
  Put(&out, state_.last_epoch_loss);
  std::ostringstream rng_text;
  rng_text << state_.rng;
  Put(&out, static_cast<uint32_t>(rng_text.str().size()));
  out += rng_text.str();
  Put(&out, static_cast<uint32_t>(state_.order.size()));
  for (uint32_t row : state_.order) Put(&out, row);
  Put(&out, static_cast<uint32_t>(state_.w1.size() + state_.b1.size() + state_.w2.size() +
                                  state_.b2.size()));
  for (const auto* v : {&state_.w1, &state_.b1, &state_.w2, &state_.b2}) {
    for (double x : *v) Put(&out, x);
  }
  Put(&out, Fnv1a64(out.data(), out.size()));
  return out;
}

std::string Trainer::SaveCheckpoint(const std::string& path) const {
  const std::string bytes = Serialize();
  const std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "checkpoint " + temp + ": cannot create: " + ErrnoText();
  if (!WriteAll(fd, bytes) || ::fsync(fd) != 0) {
    std::string why = ErrnoText();
    ::close(fd);
    ::unlink(temp.c_str());
    return "checkpoint " + temp + ": cannot write: " + why;
  }
  if (::close(fd) != 0) return "checkpoint " + temp + ": cannot close: " + ErrnoText();
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return "checkpoint " + path + ": cannot rename " + temp + " onto it: " + ErrnoText();
  }
  // The rename itself is durable only once the directory is synced.
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return "";
}

std::string Trainer::Parse(const std::string& bytes) {
  if (bytes.size() < sizeof(kMagic) + sizeof(uint64_t)) {
    return "is " + std::to_string(bytes.size()) + " bytes, too short to be a checkpoint (truncated?)";
  }
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return "is not a train_digits checkpoint (bad magic)";
  }
  const size_t body = bytes.size() - sizeof(uint64_t);
  uint64_t stored = 0;
  std::memcpy(&stored, bytes.data() + body, sizeof(stored));
  const uint64_t computed = Fnv1a64(bytes.data(), body);
  if (stored != computed) {
    return "checksum mismatch: the file is corrupt or was partly written";
  }
  Reader in(bytes);
  std::string magic;
  uint32_t version = 0, hidden = 0, batch = 0, rows = 0;
  double rate = 0;
  uint64_t seed = 0, fingerprint = 0;
  TrainState s;
  in.GetBytes(sizeof(kMagic), &magic);
  if (!in.Get(&version)) return "truncated header";
  if (version != kVersion) {
    return "format version " + std::to_string(version) + ", this program reads " + std::to_string(kVersion);
  }
  if (!in.Get(&hidden) || !in.Get(&batch) || !in.Get(&rate) || !in.Get(&seed) || !in.Get(&fingerprint) ||
      !in.Get(&rows) || !in.Get(&s.epoch) || !in.Get(&s.next_batch) || !in.Get(&s.loss_sum) ||
      !in.Get(&s.loss_count) || !in.Get(&s.last_epoch_loss)) {
    return "truncated header";
  }
  if (hidden != static_cast<uint32_t>(config_.hidden_units) || batch != static_cast<uint32_t>(config_.batch_size) ||
      std::memcmp(&rate, &config_.learning_rate, sizeof(rate)) != 0 || seed != config_.seed) {
    std::ostringstream why;
    why << "was made with --hidden " << hidden << " --batch-size " << batch << " --learning-rate " << rate
        << " --seed " << seed << "; this run has --hidden " << config_.hidden_units << " --batch-size "
        << config_.batch_size << " --learning-rate " << config_.learning_rate << " --seed " << config_.seed;
    return why.str();
  }
  if (fingerprint != train_.fingerprint || rows != static_cast<uint32_t>(train_.size())) {
    return "was made on other training data";
  }
  uint32_t n = 0;
  std::string rng_text;
  if (!in.Get(&n) || !in.GetBytes(n, &rng_text)) return "truncated generator state";
  std::istringstream rng_in(rng_text);
  rng_in >> s.rng;
  if (rng_in.fail()) return "unreadable generator state";
  if (!in.Get(&n) || n != rows) return "shuffle order has the wrong length";
  s.order.resize(n);
  std::vector<bool> seen(n, false);
  for (uint32_t& row : s.order) {
    if (!in.Get(&row) || row >= n || seen[row]) return "shuffle order is not a permutation";
    seen[row] = true;
  }
  const size_t h = config_.hidden_units;
  s.w1.resize(h * kInputs);
  s.b1.resize(h);
  s.w2.resize(kClasses * h);
  s.b2.resize(kClasses);
  if (!in.Get(&n) || n != s.w1.size() + s.b1.size() + s.w2.size() + s.b2.size()) {
    return "holds the wrong number of parameters";
  }
  for (auto* v : {&s.w1, &s.b1, &s.w2, &s.b2}) {
    for (double& x : *v) {
      if (!in.Get(&x)) return "truncated parameters";
    }
  }
  if (in.remaining() != sizeof(uint64_t)) return "has trailing bytes";
  if (static_cast<int>(s.next_batch) >= batches_per_epoch()) return "batch position out of range";
  state_ = std::move(s);
  return "";
}

std::string Trainer::LoadCheckpoint(const std::string& path) {
  std::string bytes;
  if (!ReadWholeFile(path, &bytes)) return "checkpoint " + path + ": cannot read: " + ErrnoText();
  std::string why = Parse(bytes);
  if (!why.empty()) return "checkpoint " + path + ": " + why;
  return "";
}

}  // namespace train_digits
