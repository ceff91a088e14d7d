#include "scheduler/planner.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SUNWIND_PLANNER_AVX2 1  // an AVX2 row kernel, chosen at run time
#endif

namespace sunwind {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double Hours(Duration d) { return static_cast<double>(d.count()) / 3600.0; }

// Grams per slot of running at power_w in this region: +inf at a gap.
std::vector<double> SlotCosts(const RegionSeries& rs, double power_w) {
  const double per_intensity = power_w / 1000.0 * Hours(rs.series.step) * rs.region->pue;
  std::vector<double> cost(rs.series.size());
  for (size_t i = 0; i < cost.size(); ++i) {
    double v = rs.series.values[i];
    cost[i] = std::isnan(v) ? kInf : v * per_intensity;
  }
  return cost;
}

std::string JoinUnique(const std::vector<std::string>& items, const char* sep) {
  std::vector<std::string> seen;
  for (const auto& s : items) {
    if (!s.empty() && std::find(seen.begin(), seen.end(), s) == seen.end()) seen.push_back(s);
  }
  std::string out;
  for (const auto& s : seen) out += (out.empty() ? "" : sep) + s;
  return out;
}

// Kinds and sources of the points [i0, i1) of a series.
void Describe(const IntensitySeries& s, size_t i0, size_t i1, std::string* kind, std::string* source) {
  std::vector<std::string> kinds, sources;
  for (size_t i = i0; i < i1 && i < s.size(); ++i) {
    const Provenance& p = s.ProvenanceAt(i);
    kinds.push_back(PointKindName(p.kind));
    sources.push_back(p.note.empty() ? p.source : p.source + ", " + p.note);
  }
  *kind = JoinUnique(kinds, "+");
  *source = JoinUnique(sources, "; ");
}

// Time-weighted grid intensity over [start, start + length) of a series whose
// grid begins at series.start. NaN if any part is missing.
double MeanIntensity(const IntensitySeries& s, TimePoint start, Duration length) {
  double weighted = 0;
  long long total = 0;
  TimePoint end = start + length;
  for (size_t i = static_cast<size_t>((start - s.start) / s.step); i < s.size(); ++i) {
    TimePoint lo = std::max(start, s.TimeAt(i)), hi = std::min(end, s.TimeAt(i + 1));
    if (hi <= lo) break;
    long long w = (hi - lo).count();
    weighted += s.values[i] * static_cast<double>(w);
    total += w;
  }
  if (total < length.count()) return kNoValue;
  return weighted / static_cast<double>(total);
}

size_t SlotIndex(const IntensitySeries& s, TimePoint t) { return static_cast<size_t>((t - s.start) / s.step); }

RunNow PlanRunNow(const RegionSeries& home, TimePoint at, Duration work, double power_w) {
  RunNow r;
  r.region = home.region;
  r.start = at;
  r.end = at + work;
  r.mean_intensity_g_per_kwh = MeanIntensity(home.series, at, work);
  r.emissions_g = power_w / 1000.0 * Hours(work) * home.region->pue * r.mean_intensity_g_per_kwh;
  return r;
}

// One row of CheapestSlots' minimum-chunk DP: row i (a0, b0; a_old is row
// i+1-m shifted by m) to row i+1 (a1, b1), for j in [j0, j1), both multiples
// of 4. bits[j / 4] gets, for the 4 states of a block, whether A came from B
// (low nibble) and whether B came from a chunk start (high nibble). Ties keep
// A's own value and B's continuation. The kernels agree bit for bit.
struct DpRow {
  const double* a0;
  const double* b0;
  const double* a_old;
  double* a1;
  double* b1;
  double slot_cost;  // c[i]
  double start_add;  // chunk[i+1-m] + restart, +inf when no chunk fits yet
  uint8_t* bits;
};
using RowKernel = void (*)(const DpRow&, size_t, size_t);

void DpRowPortable(const DpRow& r, size_t j0, size_t j1) {
  for (size_t j = j0; j < j1; j += 4) {
    unsigned from_b = 0, from_start = 0;
    for (size_t l = 0; l < 4; ++l) {
      const double x = r.a0[j + l], y = r.b0[j + l];
      const bool yb = y < x;
      r.a1[j + l] = yb ? y : x;
      const double cont = r.b0[j + l - 1] + r.slot_cost, start = r.a_old[j + l] + r.start_add;
      const bool sb = start < cont;
      r.b1[j + l] = sb ? start : cont;
      from_b |= unsigned{yb} << l;
      from_start |= unsigned{sb} << l;
    }
    r.bits[j / 4] = static_cast<uint8_t>(from_b | from_start << 4);
  }
}

#ifdef SUNWIND_PLANNER_AVX2
// The same with 4 doubles per instruction: min_pd(a, b) is exactly
// `a < b ? a : b`, so values and bits match the portable kernel. About 3×
// faster than it (benchmarks/results/planner.md).
__attribute__((target("avx2"))) void DpRowAvx2(const DpRow& r, size_t j0, size_t j1) {
  const __m256d slot_cost = _mm256_set1_pd(r.slot_cost), start_add = _mm256_set1_pd(r.start_add);
  for (size_t j = j0; j < j1; j += 4) {
    const __m256d x = _mm256_loadu_pd(r.a0 + j), y = _mm256_loadu_pd(r.b0 + j);
    _mm256_storeu_pd(r.a1 + j, _mm256_min_pd(y, x));
    const unsigned from_b = static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd(y, x, _CMP_LT_OQ)));
    const __m256d cont = _mm256_add_pd(_mm256_loadu_pd(r.b0 + j - 1), slot_cost);
    const __m256d start = _mm256_add_pd(_mm256_loadu_pd(r.a_old + j), start_add);
    _mm256_storeu_pd(r.b1 + j, _mm256_min_pd(start, cont));
    const unsigned from_start = static_cast<unsigned>(_mm256_movemask_pd(_mm256_cmp_pd(start, cont, _CMP_LT_OQ)));
    r.bits[j / 4] = static_cast<uint8_t>(from_b | from_start << 4);
  }
}
#endif

// CheapestSlots' working memory, kept per thread between calls.
struct DpScratch {
  std::vector<double> chunk, a_rows, b_rows;
  std::vector<uint8_t> bits;
};

// Frees a scratch over 16 MiB when the call ends (a rare, very long
// horizon), so a thread does not hold it for good.
class ScratchTrimmer {
 public:
  explicit ScratchTrimmer(DpScratch* s) : s_(s) {}
  ~ScratchTrimmer() {
    constexpr size_t kKeepBytes = 16u << 20;
    if (s_->bits.capacity() + 8 * (s_->a_rows.capacity() + s_->chunk.capacity()) > kKeepBytes) *s_ = DpScratch{};
  }
  ScratchTrimmer(const ScratchTrimmer&) = delete;
  ScratchTrimmer& operator=(const ScratchTrimmer&) = delete;

 private:
  DpScratch* s_;
};

std::atomic<bool> simd_allowed{true};

RowKernel ChooseRowKernel() {
#ifdef SUNWIND_PLANNER_AVX2
  static const bool has_avx2 = __builtin_cpu_supports("avx2");
  if (has_avx2 && simd_allowed.load(std::memory_order_relaxed)) return DpRowAvx2;
#endif
  return DpRowPortable;
}

}  // namespace

void SetCheapestSlotsSimdForTesting(bool allowed) { simd_allowed.store(allowed, std::memory_order_relaxed); }

std::vector<double> WindowCosts(const std::vector<double>& c, size_t n_full, double frac, size_t max_start) {
  const size_t T = c.size();
  const size_t span = n_full + (frac > 0 ? 1 : 0);
  if (span == 0 || span > T) return {};
  // Prefix sums of finite costs and of unusable slots.
  std::vector<double> sum(T + 1, 0);
  std::vector<uint32_t> bad(T + 1, 0);
  for (size_t i = 0; i < T; ++i) {
    bool unusable = std::isinf(c[i]);
    sum[i + 1] = sum[i] + (unusable ? 0 : c[i]);
    bad[i + 1] = bad[i] + (unusable ? 1 : 0);
  }
  const size_t last = std::min(max_start, T - span);
  std::vector<double> w(last + 1);
  for (size_t s = 0; s <= last; ++s) {
    w[s] = bad[s + span] != bad[s] ? kInf : sum[s + n_full] - sum[s] + (frac > 0 ? frac * c[s + n_full] : 0);
  }
  return w;
}

bool CheapestWindow(const std::vector<double>& c, size_t n_full, double frac, size_t max_start, size_t* start,
                    double* cost) {
  bool found = false;
  std::vector<double> w = WindowCosts(c, n_full, frac, max_start);
  for (size_t s = 0; s < w.size(); ++s) {
    if (std::isinf(w[s])) continue;
    // Prefix sums round differently for equal windows: only a clearly cheaper
    // window displaces an earlier one, so ties go to the earliest start.
    if (!found || w[s] < *cost - 1e-9 * std::max(1.0, std::fabs(*cost))) {
      found = true;
      *cost = w[s];
      *start = s;
    }
  }
  return found;
}

namespace {

struct KthValue {
  double value;  // the k-th smallest finite cost
  size_t below;  // finite costs strictly below it
};

// The k-th smallest (1-based) of the finite costs: one pass for the range,
// one to count them into 256 equal buckets across it, then a selection among
// the few in the bucket that holds the k-th. The bucket of a cost is a
// monotone function of it, so every cost in a lower bucket is strictly
// smaller and every one in a higher bucket strictly larger: exact, O(T) with
// small constants (a week of 5-minute slots in a few microseconds).
std::optional<KthValue> KthSmallestFinite(const std::vector<double>& c, size_t k) {
  double lo = kInf, hi = -kInf;
  size_t n = 0;
  for (double x : c) {
    if (std::isinf(x)) continue;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
    ++n;
  }
  if (n < k || k == 0) return std::nullopt;
  if (!(hi > lo)) return KthValue{lo, 0};
  constexpr int kBuckets = 256;
  const double scale = kBuckets / (hi - lo);
  auto bucket = [&](double x) { return std::min(kBuckets - 1, static_cast<int>((x - lo) * scale)); };
  std::array<size_t, kBuckets> count{};
  for (double x : c) {
    if (!std::isinf(x)) ++count[static_cast<size_t>(bucket(x))];
  }
  size_t before = 0;
  int b = 0;
  while (before + count[static_cast<size_t>(b)] < k) before += count[static_cast<size_t>(b++)];
  thread_local std::vector<double> in_bucket;
  in_bucket.clear();
  for (double x : c) {
    if (!std::isinf(x) && bucket(x) == b) in_bucket.push_back(x);
  }
  const size_t rank = k - before - 1;
  std::nth_element(in_bucket.begin(), in_bucket.begin() + static_cast<long>(rank), in_bucket.end());
  const double value = in_bucket[rank];
  size_t below = before;
  for (double x : in_bucket) below += x < value;
  return KthValue{value, below};
}

}  // namespace

std::vector<size_t> CheapestSlots(const std::vector<double>& c, size_t k, size_t min_chunk,
                                  const std::vector<double>& restart_cost, double* total_cost) {
  const size_t T = c.size();
  if (k == 0 || k > T) return {};
  bool any_restart_cost = std::any_of(restart_cost.begin(), restart_cost.end(), [](double x) { return x != 0; });
  if (min_chunk <= 1 && !any_restart_cost) {
    // k-smallest selection: the k-th smallest cost, then one pass in slot
    // order; ties go to the earlier slot.
    const std::optional<KthValue> kth = KthSmallestFinite(c, k);
    if (!kth) return {};
    const double threshold = kth->value;
    size_t at_threshold = k - kth->below;  // how many slots costing exactly the threshold to take
    std::vector<size_t> chosen;
    chosen.reserve(k);
    double total = 0;
    for (size_t i = 0; i < T; ++i) {
      if (c[i] < threshold || (c[i] == threshold && at_threshold > 0)) {
        if (c[i] == threshold) --at_threshold;
        chosen.push_back(i);
        total += c[i];
      }
    }
    *total_cost = total;
    return chosen;
  }

  // Dynamic programming over slots with two states per (slot boundary i, j
  // slots chosen): A, the last slot was skipped (or none yet), and B, the last
  // slot ran in a chunk already at least m long. A chunk's first m slots are
  // forced, so they are one jump A[i+1-m][j-m] -> B[i+1][j]:
  //   A[i+1][j] = min(A[i][j], B[i][j])
  //   B[i+1][j] = min(B[i][j-1] + c[i], A[i+1-m][j-m] + chunk[i+1-m] + restart)
  // O(T × k) instead of O(T × k × m); one bit per choice remembers the path.
  const size_t m = std::clamp<size_t>(min_chunk, 1, k);
  // Scratch reused across calls on this thread: fresh allocations of this
  // size are mmap'd and page-faulted on every call, which cost more than the
  // search itself. Large ones are given back below.
  thread_local DpScratch scratch;
  std::vector<double>& chunk = scratch.chunk;  // summed slot by slot: no prefix-sum cancellation
  chunk.assign(T + 1 - m, 0);
  for (size_t s = 0; s + m <= T; ++s) {
    double w = 0;
    for (size_t i = s; i < s + m; ++i) w += c[i];
    chunk[s] = w;
  }
  // Rows are padded with +inf on the left (reads at j - m < 0 and j - 1 < 0)
  // and run in whole blocks of 4; entries outside a row's feasible band may
  // hold values no in-band state reads. A keeps the last m + 1 rows.
  const size_t pad = (m + 4) & ~size_t{3}, blocks = (k + 4) / 4, width = pad + 4 * blocks;
  std::vector<double>& a_rows = scratch.a_rows;
  std::vector<double>& b_rows = scratch.b_rows;
  a_rows.assign((m + 1) * width, kInf);
  b_rows.assign(2 * width, kInf);
  std::vector<uint8_t>& bits = scratch.bits;  // only in-band entries are read back: no need to clear
  if (bits.size() < T * blocks) bits.resize(T * blocks);
  ScratchTrimmer trim(&scratch);
  auto a_row = [&](size_t i) { return &a_rows[(i % (m + 1)) * width + pad]; };
  auto b_row = [&](size_t i) { return &b_rows[(i % 2) * width + pad]; };
  const RowKernel row = ChooseRowKernel();
  a_row(0)[0] = 0;
  for (size_t i = 0; i < T; ++i) {
    const bool can_start = i + 1 >= m;
    const size_t s = can_start ? i + 1 - m : 0;  // where a chunk ending at slot i starts
    DpRow r;
    r.a0 = a_row(i);
    r.b0 = b_row(i);
    r.a1 = a_row(i + 1);
    r.b1 = b_row(i + 1);
    r.a_old = can_start ? a_row(s) - m : r.a0;  // unused (start_add = inf) before slot m - 1
    r.start_add = can_start ? chunk[s] + (s < restart_cost.size() ? restart_cost[s] : 0) : kInf;
    r.slot_cost = c[i];
    r.bits = &bits[i * blocks];
    const size_t lo = k + i + 1 > T ? k + i + 1 - T : 0;  // enough slots must remain
    const size_t hi = std::min(k, i + 1);
    row(r, lo & ~size_t{3}, (hi + 4) & ~size_t{3});
    if (can_start && m >= lo && m <= hi) {  // j == m: the first chunk pays no restart
      const double cont = r.b0[m - 1] + r.slot_cost, start = r.a_old[m] + chunk[s];
      const bool from_start = start < cont;
      r.b1[m] = from_start ? start : cont;
      const uint8_t bit = static_cast<uint8_t>(1u << (4 + m % 4));
      r.bits[m / 4] = static_cast<uint8_t>(from_start ? (r.bits[m / 4] | bit) : (r.bits[m / 4] & ~bit));
    }
  }
  const double a_end = a_row(T)[k], b_end = b_row(T)[k];
  const double best = std::min(a_end, b_end);
  if (std::isinf(best)) return {};
  *total_cost = best;
  std::vector<size_t> chosen;
  chosen.reserve(k);
  bool running = !(a_end <= b_end);  // ties end on a skipped slot, as before
  size_t j = k;
  for (size_t i = T; i > 0;) {
    const uint8_t b = bits[(i - 1) * blocks + j / 4];
    if (!running) {  // slot i-1 skipped
      running = (b >> (j % 4)) & 1;
      --i;
    } else if ((b >> (4 + j % 4)) & 1) {  // a chunk's first m slots end at slot i-1
      for (size_t t = i; t-- > i - m;) chosen.push_back(t);
      i -= m;
      j -= m;
      running = false;
    } else {  // slot i-1 extends a chunk
      chosen.push_back(--i);
      --j;
    }
  }
  std::reverse(chosen.begin(), chosen.end());
  return chosen;
}

std::vector<RegionRank> RankRegions(const std::vector<RegionSeries>& candidates, TimePoint at, Duration duration) {
  std::vector<RegionRank> out;
  for (const auto& rs : candidates) {
    RegionRank r;
    r.region = rs.region;
    r.mean_intensity_g_per_kwh = MeanIntensity(rs.series, at, duration);
    r.complete = !std::isnan(r.mean_intensity_g_per_kwh);
    r.mean_effective_g_per_kwh = r.mean_intensity_g_per_kwh * rs.region->pue;
    size_t i0 = SlotIndex(rs.series, at);
    size_t i1 = SlotIndex(rs.series, at + duration - Duration{1}) + 1;
    Describe(rs.series, i0, i1, &r.kind, &r.source);
    out.push_back(std::move(r));
  }
  std::stable_sort(out.begin(), out.end(), [](const RegionRank& a, const RegionRank& b) {
    if (a.complete != b.complete) return a.complete;
    return a.complete && a.mean_effective_g_per_kwh < b.mean_effective_g_per_kwh;
  });
  return out;
}

Result<Plan> PlanJob(const std::vector<RegionSeries>& candidates, const RegionSeries& home, const PlanRequest& q) {
  if (candidates.empty()) return Status::InvalidArgument("--regions: no candidate region");
  if (q.duration.count() <= 0) return Status::InvalidArgument("--duration: must be positive");
  if (!(q.power_w > 0)) return Status::InvalidArgument("--power: must be positive");
  const Duration step = candidates.front().series.step;
  for (const auto& rs : candidates) {
    if (rs.series.start != q.at || rs.series.step != step) {
      return Status::Internal("planner: every series must start at --at and share one step (" + rs.region->id + ")");
    }
  }
  if (home.series.start != q.at || home.series.step != step) {
    return Status::Internal("planner: the home series must start at --at and share the step");
  }
  const Duration available = q.deadline - q.at;
  if (q.duration > available) {
    return Status::Infeasible("the job needs " + FormatDuration(q.duration) + " but only " +
                              FormatDuration(std::max(available, Duration{0})) + " remain between " + FormatTime(q.at) +
                              " and the deadline " + FormatTime(q.deadline));
  }
  Plan plan;
  const double power_kw = q.power_w / 1000.0;

  if (!q.interruptible) {
    const size_t n_full = static_cast<size_t>(q.duration / step);
    const double frac = static_cast<double>((q.duration % step).count()) / static_cast<double>(step.count());
    const size_t max_start = static_cast<size_t>((available - q.duration) / step);
    std::vector<std::vector<double>> window_costs;
    double min_cost = kInf;
    for (const auto& rs : candidates) {
      window_costs.push_back(WindowCosts(SlotCosts(rs, q.power_w), n_full, frac, max_start));
      for (double w : window_costs.back()) min_cost = std::min(min_cost, w);
    }
    // The earliest window within the slack of the cheapest: a later start must
    // win by more than the data's uncertainty (zero slack: the cheapest, ties
    // to the earliest start, then the first region listed).
    const double limit = min_cost + std::max(q.slack_g, 1e-9 * std::max(1.0, std::fabs(min_cost)));
    const RegionSeries* best = nullptr;
    size_t best_start = 0;
    double best_cost = kInf;
    for (size_t s = 0; !std::isinf(min_cost) && s <= max_start && !best; ++s) {
      for (size_t r = 0; r < candidates.size(); ++r) {
        const auto& w = window_costs[r];
        if (s < w.size() && w[s] <= limit && w[s] < best_cost) {
          best = &candidates[r];
          best_start = s;
          best_cost = w[s];
        }
      }
    }
    if (!best) {
      return Status::Infeasible("no window of " + FormatDuration(q.duration) + " before the deadline " +
                                FormatTime(q.deadline) + " has complete intensity data in any candidate region");
    }
    PlannedInterval iv;
    iv.region = best->region;
    iv.start = q.at + step * static_cast<long long>(best_start);
    iv.end = iv.start + q.duration;
    iv.mean_intensity_g_per_kwh = MeanIntensity(best->series, iv.start, q.duration);
    iv.energy_kwh = power_kw * Hours(q.duration);
    iv.emissions_g = best_cost;
    iv.signal = SignalName(best->series.signal);
    Describe(best->series, best_start, best_start + n_full + (frac > 0 ? 1 : 0), &iv.kind, &iv.source);
    plan.intervals.push_back(iv);
    plan.work = q.duration;
  } else {
    // Whole slots: the work is rounded up to a multiple of the step.
    const size_t k = static_cast<size_t>((q.duration + step - Duration{1}) / step);
    const size_t usable_slots = static_cast<size_t>(available / step);
    plan.work = step * static_cast<long long>(k);
    if (plan.work != q.duration) {
      plan.notes.push_back("interruptible work is planned in whole " + FormatDuration(step) + " slots: " +
                           FormatDuration(q.duration) + " rounded up to " + FormatDuration(plan.work));
    }
    if (k > usable_slots) {
      return Status::Infeasible("the job needs " + std::to_string(k) + " whole " + FormatDuration(step) +
                                " slots but only " + std::to_string(usable_slots) + " fit before the deadline " +
                                FormatTime(q.deadline));
    }
    const size_t min_chunk = q.min_chunk.count() > 0
                                 ? static_cast<size_t>((q.min_chunk + step - Duration{1}) / step)
                                 : 1;
    // The k cheapest slots of a region, ignoring chunks and restarts, bound
    // its exact cost from below; regions are solved exactly in the order of
    // that bound and skipped once it reaches the best cost found, which on
    // real grids (tens to hundreds of g/kWh apart) spares most of them.
    // Only the bound is kept per region: a region solved exactly has its
    // costs made again (few are, on real grids), so a plan over 100 regions
    // does not hold (and page in) 100 regions' cost vectors at once.
    struct Candidate {
      size_t index;
      double lower_bound;
    };
    auto costs_of = [&](size_t r) {
      std::vector<double> cost = SlotCosts(candidates[r], q.power_w);
      cost.resize(usable_slots, kInf);  // a partial last cell cannot hold a whole slot; missing data is unusable
      return cost;
    };
    std::vector<Candidate> order;
    const std::vector<double> no_restart(usable_slots, 0);
    for (size_t r = 0; r < candidates.size(); ++r) {
      double bound = kInf;
      if (CheapestSlots(costs_of(r), k, 1, no_restart, &bound).empty()) continue;  // not k usable slots
      order.push_back({r, bound});
    }
    std::stable_sort(order.begin(), order.end(),
                     [](const Candidate& a, const Candidate& b) { return a.lower_bound < b.lower_bound; });
    const RegionSeries* best = nullptr;
    size_t best_index = 0;
    std::vector<size_t> best_slots;
    double best_cost = kInf;
    for (const Candidate& c : order) {
      const double tie = best ? 1e-9 * std::max(1.0, std::fabs(best_cost)) : 0;
      if (best && c.lower_bound > best_cost + tie) break;  // sorted: no later region can win
      const std::vector<double> cost = costs_of(c.index);
      std::vector<double> restart(usable_slots, 0);
      if (q.resume_overhead.count() > 0) {
        for (size_t i = 0; i < usable_slots; ++i) {
          restart[i] = cost[i] / Hours(step) * Hours(q.resume_overhead);
          if (std::isinf(restart[i])) restart[i] = 0;  // the slot itself is unusable anyway
        }
      }
      // Without chunks or restarts to honour, the bound is the answer.
      const bool unconstrained = min_chunk <= 1 && q.resume_overhead.count() == 0;
      double total = c.lower_bound;
      std::vector<size_t> slots = CheapestSlots(cost, k, unconstrained ? 1 : min_chunk, restart, &total);
      if (slots.empty()) continue;
      // Ties go to the region listed first, whatever order they were solved in.
      if (!best || total < best_cost - tie || (total <= best_cost + tie && c.index < best_index)) {
        best = &candidates[c.index];
        best_index = c.index;
        best_slots = std::move(slots);
        best_cost = total;
      }
    }
    if (!best) {
      return Status::Infeasible("no set of " + std::to_string(k) + " slots" +
                                (min_chunk > 1 ? " in chunks of at least " + FormatDuration(step * static_cast<long long>(min_chunk)) : "") +
                                " before the deadline " + FormatTime(q.deadline) +
                                " has complete intensity data in any candidate region");
    }
    std::vector<double> cost = SlotCosts(*best, q.power_w);
    cost.resize(usable_slots, kInf);
    for (size_t a = 0; a < best_slots.size();) {
      size_t b = a;
      while (b + 1 < best_slots.size() && best_slots[b + 1] == best_slots[b] + 1) ++b;
      PlannedInterval iv;
      iv.region = best->region;
      iv.start = q.at + step * static_cast<long long>(best_slots[a]);
      iv.end = q.at + step * static_cast<long long>(best_slots[b] + 1);
      iv.mean_intensity_g_per_kwh = MeanIntensity(best->series, iv.start, iv.end - iv.start);
      iv.energy_kwh = power_kw * Hours(iv.end - iv.start);
      iv.emissions_g = 0;
      for (size_t i = a; i <= b; ++i) iv.emissions_g += cost[best_slots[i]];
      if (a > 0 && q.resume_overhead.count() > 0) {  // a restart
        iv.energy_kwh += power_kw * Hours(q.resume_overhead);
        iv.emissions_g += cost[best_slots[a]] / Hours(step) * Hours(q.resume_overhead);
      }
      iv.signal = SignalName(best->series.signal);
      Describe(best->series, best_slots[a], best_slots[b] + 1, &iv.kind, &iv.source);
      plan.intervals.push_back(iv);
      a = b + 1;
    }
  }

  for (const auto& iv : plan.intervals) {
    plan.energy_kwh += iv.energy_kwh;
    plan.emissions_g += iv.emissions_g;
  }
  plan.run_now = PlanRunNow(home, q.at, plan.work, q.power_w);
  if (std::isnan(plan.run_now.emissions_g)) {
    plan.notes.push_back("the run-now counterfactual is unknown: the home region's data has a gap in [" +
                         FormatTime(plan.run_now.start) + ", " + FormatTime(plan.run_now.end) + ")");
    plan.saving_g = plan.saving_pct = kNoValue;
  } else {
    plan.saving_g = plan.run_now.emissions_g - plan.emissions_g;
    plan.saving_pct = plan.run_now.emissions_g > 0 ? 100.0 * plan.saving_g / plan.run_now.emissions_g : 0;
  }
  return plan;
}

}  // namespace sunwind
