#include "scheduler/planner.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SUNWIND_PLANNER_AVX2 1  // AVX2 kernels, chosen at run time
#endif

namespace sunwind {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double Hours(Duration d) { return static_cast<double>(d.count()) / 3600.0; }

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

template <class T>
size_t CapacityBytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

// Grows a scratch vector to at least n elements; its data.
template <class T>
T* Grow(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

// CheapestSlots' minimum-chunk working memory, kept per thread between calls.
struct DpScratch {
  std::vector<double> chunk, a_rows, b_rows;
  std::vector<uint8_t> bits;
  size_t Bytes() const {
    return CapacityBytes(chunk) + CapacityBytes(a_rows) + CapacityBytes(b_rows) + CapacityBytes(bits);
  }
};

// The k-cheapest selection's working memory (SelectCheapest), kept per thread.
struct SelectScratch {
  std::vector<uint8_t> bucket;    // each slot's cost bucket
  std::vector<size_t> candidate;  // slots in buckets up to the k-th cost's, in order
  std::vector<double> in_bucket;  // the costs in the k-th cost's bucket
  size_t Bytes() const { return CapacityBytes(bucket) + CapacityBytes(candidate) + CapacityBytes(in_bucket); }
};

// PlanJob's working memory for one region at a time, kept per thread.
struct PlanScratch {
  std::vector<double> cost;    // slot costs
  std::vector<double> sum;     // window prefix sums of usable costs
  std::vector<uint32_t> bad;   // and of unusable slots
  std::vector<size_t> chosen;  // the k cheapest slots
  std::vector<double> cost4, sum4, bad4;  // four regions' costs and prefix sums, interleaved
  size_t Bytes() const {
    return CapacityBytes(cost) + CapacityBytes(sum) + CapacityBytes(bad) + CapacityBytes(chosen) +
           CapacityBytes(cost4) + CapacityBytes(sum4) + CapacityBytes(bad4);
  }
};

// Frees a scratch over 16 MiB when the call ends (a rare, very long
// horizon), so a thread does not hold it for good.
template <class Scratch>
class ScratchTrimmer {
 public:
  explicit ScratchTrimmer(Scratch* s) : s_(s) {}
  ~ScratchTrimmer() {
    constexpr size_t kKeepBytes = 16u << 20;
    if (s_->Bytes() > kKeepBytes) *s_ = Scratch{};
  }
  ScratchTrimmer(const ScratchTrimmer&) = delete;
  ScratchTrimmer& operator=(const ScratchTrimmer&) = delete;

 private:
  Scratch* s_;
};

std::atomic<bool> simd_allowed{true};

// Whether the AVX2 kernels run: the CPU has AVX2 and tests have not turned
// them off.
bool UseAvx2() {
#ifdef SUNWIND_PLANNER_AVX2
  static const bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
  return has_avx2 && simd_allowed.load(std::memory_order_relaxed);
#else
  return false;
#endif
}

RowKernel ChooseRowKernel() {
#ifdef SUNWIND_PLANNER_AVX2
  if (UseAvx2()) return DpRowAvx2;
#endif
  return DpRowPortable;
}

}  // namespace

void SetCheapestSlotsSimdForTesting(bool allowed) { simd_allowed.store(allowed, std::memory_order_relaxed); }

namespace {

// Calls visit(s, cost) for the window starting at each slot s <= max_start
// in turn, as WindowCosts defines them, until it returns false; sum and bad
// are the caller's buffers of T + 1 for the prefix sums. One pass: each
// window is made as soon as its last slot is summed.
template <class Visit>
void ScanWindows(const double* c, size_t T, size_t n_full, double frac, size_t max_start, double* sum,
                 uint32_t* bad, Visit visit) {
  const size_t span = n_full + (frac > 0 ? 1 : 0);
  if (span == 0 || span > T) return;
  const size_t last = std::min(max_start, T - span);
  // Prefix sums of finite costs and of unusable slots, running in registers
  // (read back from memory, each add waited on the store before it: PlanJob's
  // 6 h window over 100 regions took 2.5× as long).
  double running_sum = 0;
  uint32_t running_bad = 0;
  sum[0] = 0;
  bad[0] = 0;
  for (size_t i = 0; i < T; ++i) {
    const double sum_i = running_sum;
    const bool unusable = std::isinf(c[i]);
    running_sum += unusable ? 0 : c[i];
    running_bad += unusable ? 1 : 0;
    sum[i + 1] = running_sum;
    bad[i + 1] = running_bad;
    if (i + 1 < span) continue;
    const size_t s = i + 1 - span;  // the window [s, i]: n_full whole slots, then c[i] × frac if frac > 0
    if (s > last) return;
    const double cost = (frac > 0 ? sum_i : running_sum) - sum[s] + (frac > 0 ? frac * c[i] : 0);
    if (!visit(s, running_bad != bad[s] ? kInf : cost)) return;
  }
}

// Prefix-sum buffers for the public window functions, kept per thread.
struct WindowScratch {
  std::vector<double> sum;
  std::vector<uint32_t> bad;
  size_t Bytes() const { return CapacityBytes(sum) + CapacityBytes(bad); }
};

}  // namespace

std::vector<double> WindowCosts(const std::vector<double>& c, size_t n_full, double frac, size_t max_start) {
  thread_local WindowScratch scratch;
  ScratchTrimmer<WindowScratch> trim(&scratch);
  std::vector<double> w;
  w.reserve(c.size());
  ScanWindows(c.data(), c.size(), n_full, frac, max_start, Grow(scratch.sum, c.size() + 1),
              Grow(scratch.bad, c.size() + 1), [&](size_t, double cost) {
                w.push_back(cost);
                return true;
              });
  return w;
}

bool CheapestWindow(const std::vector<double>& c, size_t n_full, double frac, size_t max_start, size_t* start,
                    double* cost) {
  thread_local WindowScratch scratch;
  ScratchTrimmer<WindowScratch> trim(&scratch);
  bool found = false;
  ScanWindows(c.data(), c.size(), n_full, frac, max_start, Grow(scratch.sum, c.size() + 1),
              Grow(scratch.bad, c.size() + 1), [&](size_t s, double w) {
                // Prefix sums round differently for equal windows: only a clearly
                // cheaper window displaces an earlier one, so ties go to the
                // earliest start.
                if (!std::isinf(w) && (!found || w < *cost - 1e-9 * std::max(1.0, std::fabs(*cost)))) {
                  found = true;
                  *cost = w;
                  *start = s;
                }
                return true;
              });
  return found;
}

namespace {

// Usable costs are finite ones: +inf marks an unusable slot (NaN and -inf
// count as unusable too rather than poisoning the range).
inline bool Usable(double x) { return std::fabs(x) < kInf; }

// The range and number of the usable costs.
struct UsableRange {
  double lo = kInf;
  double hi = -kInf;
  size_t count = 0;
};

// The selection's three passes, each in a portable and an AVX2 kernel that
// agree bit for bit (min, max, subtraction, multiplication and truncation are
// exact or correctly rounded the same way in both).
UsableRange RangeOfUsablePortable(const double* c, size_t n) {
  UsableRange r;
  for (size_t i = 0; i < n; ++i) {
    const double x = c[i];
    if (!Usable(x)) continue;
    r.lo = std::min(r.lo, x);
    r.hi = std::max(r.hi, x);
    ++r.count;
  }
  return r;
}

// The 8-bit bucket of each cost: 0..254 for usable ones, by equal steps of
// 1 / scale from lo (the last bucket also takes the top of the range), 255
// for unusable ones; counted into four histograms in turn (consecutive slots
// cost alike, and one counter would make every increment wait on the last).
void BucketPortable(const double* c, size_t n, double lo, double scale, uint8_t* bucket, uint32_t (*hist)[256]) {
  for (size_t i = 0; i < n; ++i) {
    const double x = c[i];
    const double t = (x - lo) * scale;  // NaN only where an absurd range overflows: the top bucket
    bucket[i] = static_cast<uint8_t>(Usable(x) ? (t < 254.0 ? t : 254.0) : 255.0);
    ++hist[i % 4][bucket[i]];
  }
}

// The slots j whose bucket is at most b, in order, into out; their number.
size_t CandidatesPortable(const uint8_t* bucket, size_t n, unsigned b, size_t* out) {
  size_t count = 0;
  for (size_t j = 0; j < n; ++j) {
    out[count] = j;  // written always, kept only if the bucket qualifies: no branch
    count += bucket[j] <= b;
  }
  return count;
}

#ifdef SUNWIND_PLANNER_AVX2
// Four costs into running minima, maxima and counts of usable costs.
__attribute__((target("avx2"), always_inline)) inline void RangeStepAvx2(const double* c, __m256d* lo, __m256d* hi,
                                                                        __m256i* count) {
  const __m256d abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffff));
  const __m256d inf = _mm256_set1_pd(kInf), minus_inf = _mm256_set1_pd(-kInf);
  const __m256d x = _mm256_loadu_pd(c);
  const __m256d ok = _mm256_cmp_pd(_mm256_and_pd(x, abs_mask), inf, _CMP_LT_OQ);
  *lo = _mm256_min_pd(*lo, _mm256_blendv_pd(inf, x, ok));
  *hi = _mm256_max_pd(*hi, _mm256_blendv_pd(minus_inf, x, ok));
  *count = _mm256_sub_epi64(*count, _mm256_castpd_si256(ok));  // ok lanes are all ones: -1
}

// The range r and that of the four lanes of lo, hi and count.
__attribute__((target("avx2"))) UsableRange MergeRanges(__m256d lo, __m256d hi, __m256i count, UsableRange r) {
  alignas(32) double lo4[4], hi4[4];
  alignas(32) long long count4[4];
  _mm256_store_pd(lo4, lo);
  _mm256_store_pd(hi4, hi);
  _mm256_store_si256(reinterpret_cast<__m256i*>(count4), count);
  for (int l = 0; l < 4; ++l) {
    r.lo = std::min(r.lo, lo4[l]);
    r.hi = std::max(r.hi, hi4[l]);
    r.count += static_cast<size_t>(count4[l]);
  }
  return r;
}

__attribute__((target("avx2"))) UsableRange RangeOfUsableAvx2(const double* c, size_t n) {
  const __m256d inf = _mm256_set1_pd(kInf), minus_inf = _mm256_set1_pd(-kInf);
  // Two sets of accumulators, so that each min and max waits on every other.
  __m256d lo0 = inf, hi0 = minus_inf, lo1 = inf, hi1 = minus_inf;
  __m256i count0 = _mm256_setzero_si256(), count1 = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    RangeStepAvx2(c + i, &lo0, &hi0, &count0);
    RangeStepAvx2(c + i + 4, &lo1, &hi1, &count1);
  }
  for (; i + 4 <= n; i += 4) RangeStepAvx2(c + i, &lo0, &hi0, &count0);
  return MergeRanges(_mm256_min_pd(lo0, lo1), _mm256_max_pd(hi0, hi1), _mm256_add_epi64(count0, count1),
                     RangeOfUsablePortable(c + i, n - i));
}

// Without counting: AVX2 finds the k-th cost's bucket by CountAtMostAvx2.
__attribute__((target("avx2"))) void BucketAvx2(const double* c, size_t n, double lo, double scale,
                                                uint8_t* bucket) {
  const __m256d abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffff));
  const __m256d inf = _mm256_set1_pd(kInf), lo4 = _mm256_set1_pd(lo), scale4 = _mm256_set1_pd(scale);
  const __m256d top = _mm256_set1_pd(254.0), unusable = _mm256_set1_pd(255.0);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256d x = _mm256_loadu_pd(c + i);
    const __m256d ok = _mm256_cmp_pd(_mm256_and_pd(x, abs_mask), inf, _CMP_LT_OQ);
    const __m256d t = _mm256_min_pd(_mm256_mul_pd(_mm256_sub_pd(x, lo4), scale4), top);  // t < top ? t : top
    const __m128i b32 = _mm256_cvttpd_epi32(_mm256_blendv_pd(unusable, t, ok));
    const __m128i b16 = _mm_packus_epi32(b32, b32);
    const uint32_t four = static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_packus_epi16(b16, b16)));
    std::memcpy(bucket + i, &four, 4);
  }
  uint32_t unused[4][256] = {};
  BucketPortable(c + i, n - i, lo, scale, bucket + i, unused);
}

// How many buckets are at most b, 32 at a time. Eight of these passes over
// the bytes (a bisection) cost less than one histogram of them, whose
// increments wait on each other when neighbouring slots share a bucket (as
// they mostly do): bucketing went from 45 % of the selection's time to under
// 30 %.
__attribute__((target("avx2,popcnt"))) size_t CountAtMostAvx2(const uint8_t* bucket, size_t n, unsigned b) {
  const __m256i b32 = _mm256_set1_epi8(static_cast<char>(b));
  size_t count = 0, j = 0;
  for (; j + 32 <= n; j += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bucket + j));
    const auto mask = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(v, b32), v)));
    count += static_cast<size_t>(__builtin_popcount(mask));
  }
  for (; j < n; ++j) count += bucket[j] <= b;
  return count;
}

// 32 buckets at a time; the slots of a block that qualify are written one by
// one (the k cheapest are usually a small share of the slots).
__attribute__((target("avx2"))) size_t CandidatesAvx2(const uint8_t* bucket, size_t n, unsigned b, size_t* out) {
  const __m256i b32 = _mm256_set1_epi8(static_cast<char>(b));
  size_t count = 0, j = 0;
  for (; j + 32 <= n; j += 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bucket + j));
    auto mask = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(v, b32), v)));
    for (; mask != 0; mask &= mask - 1) out[count++] = j + static_cast<size_t>(__builtin_ctz(mask));
  }
  const size_t tail = CandidatesPortable(bucket + j, n - j, b, out + count);
  for (size_t t = count; t < count + tail; ++t) out[t] += j;
  return count + tail;
}
#endif

UsableRange RangeOfUsable(const double* c, size_t n) {
#ifdef SUNWIND_PLANNER_AVX2
  if (UseAvx2()) return RangeOfUsableAvx2(c, n);
#endif
  return RangeOfUsablePortable(c, n);
}

// v × per_intensity, +inf where v is NaN (a gap), into cost.
void ScaleSlotsPortable(const double* v, size_t n, double per_intensity, double* cost) {
  for (size_t i = 0; i < n; ++i) cost[i] = std::isnan(v[i]) ? kInf : v[i] * per_intensity;
}

#ifdef SUNWIND_PLANNER_AVX2
// The same, and the range of what it wrote (RangeOfUsable) in the same pass.
__attribute__((target("avx2"))) UsableRange ScaleSlotsAvx2(const double* v, size_t n, double per_intensity,
                                                           double* cost) {
  const __m256d per = _mm256_set1_pd(per_intensity), inf = _mm256_set1_pd(kInf), minus_inf = _mm256_set1_pd(-kInf);
  __m256d lo = inf, hi = minus_inf;
  __m256i count = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256d x = _mm256_loadu_pd(v + i);
    const __m256d gap = _mm256_cmp_pd(x, x, _CMP_UNORD_Q);
    _mm256_storeu_pd(cost + i, _mm256_blendv_pd(_mm256_mul_pd(x, per), inf, gap));
    RangeStepAvx2(cost + i, &lo, &hi, &count);
  }
  ScaleSlotsPortable(v + i, n - i, per_intensity, cost + i);
  return MergeRanges(lo, hi, count, RangeOfUsablePortable(cost + i, n - i));
}
#endif

// Grams per slot of running at power_w in this region, into cost[0, n): +inf
// at a gap and past the series' end. Returns their RangeOfUsable.
UsableRange FillSlotCosts(const RegionSeries& rs, double power_w, size_t n, double* cost) {
  const double per_intensity = power_w / 1000.0 * Hours(rs.series.step) * rs.region->pue;
  const size_t have = std::min(n, rs.series.size());
  std::fill(cost + have, cost + n, kInf);  // unusable: no change to the range
#ifdef SUNWIND_PLANNER_AVX2
  if (UseAvx2()) return ScaleSlotsAvx2(rs.series.values.data(), have, per_intensity, cost);
#endif
  ScaleSlotsPortable(rs.series.values.data(), have, per_intensity, cost);
  return RangeOfUsablePortable(cost, have);
}

#ifdef SUNWIND_PLANNER_AVX2
// The cheapest window (as ScanWindows makes them, bit for bit) of each of
// four regions at once, lane l of every group of four: cost4[4 i + l] is
// region l's cost of slot i < T, +inf past its end. Each lane runs the same
// operations in the same order as ScanWindows does for one region, so the
// prefix sums' chain of adds, which bounds one region's scan, carries four.
// sum4 and bad4 hold 4 × (T + 1). min_out[l] is +inf where no window is
// usable.
__attribute__((target("avx2"))) void CheapestWindows4(const double* cost4, size_t T, size_t n_full, double frac,
                                                      size_t max_start, double* sum4, double* bad4,
                                                      double* min_out) {
  const __m256d abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffff));
  const __m256d inf = _mm256_set1_pd(kInf), one = _mm256_set1_pd(1.0), frac4 = _mm256_set1_pd(frac);
  __m256d m = inf;
  const size_t span = n_full + (frac > 0 ? 1 : 0);
  if (span > 0 && span <= T) {
    const size_t last = std::min(max_start, T - span);
    __m256d running_sum = _mm256_setzero_pd(), running_bad = _mm256_setzero_pd();
    _mm256_storeu_pd(sum4, running_sum);
    _mm256_storeu_pd(bad4, running_bad);
    for (size_t i = 0; i < T; ++i) {
      const __m256d c = _mm256_loadu_pd(cost4 + 4 * i);
      const __m256d unusable = _mm256_cmp_pd(_mm256_and_pd(c, abs_mask), inf, _CMP_EQ_OQ);  // std::isinf
      const __m256d sum_i = running_sum;
      running_sum = _mm256_add_pd(running_sum, _mm256_andnot_pd(unusable, c));  // + 0 where unusable
      running_bad = _mm256_add_pd(running_bad, _mm256_and_pd(unusable, one));
      _mm256_storeu_pd(sum4 + 4 * (i + 1), running_sum);
      _mm256_storeu_pd(bad4 + 4 * (i + 1), running_bad);
      if (i + 1 < span) continue;
      const size_t s = i + 1 - span;
      if (s > last) break;
      __m256d cost = _mm256_sub_pd(frac > 0 ? sum_i : running_sum, _mm256_loadu_pd(sum4 + 4 * s));
      cost = _mm256_add_pd(cost, frac > 0 ? _mm256_mul_pd(frac4, c) : _mm256_setzero_pd());
      const __m256d whole = _mm256_cmp_pd(running_bad, _mm256_loadu_pd(bad4 + 4 * s), _CMP_EQ_OQ);
      m = _mm256_min_pd(_mm256_blendv_pd(inf, cost, whole), m);  // w < m ? w : m, as std::min(m, w)
    }
  }
  _mm256_storeu_pd(min_out, m);
}
#endif

// Writes to chosen[0, k) the indices, in slot order, of the k cheapest usable
// costs of c[0, n), the earlier slot first among equal costs; false when
// fewer than k are usable. `range` is RangeOfUsable(c, n).
//
// Bucket selection: costs are put in 255 equal buckets across the range (a
// 256th holds the unusable), the bucket that holds the k-th smallest is found
// by counting (a histogram, or with AVX2 a bisection over the bucket bytes),
// and only the few costs in it are ordered. A cost's bucket is a monotone
// function of it, so every cost in a lower bucket is strictly smaller and
// every one in a higher bucket strictly larger: exact, and O(n) in one pass
// over the costs and a few over the bucket bytes.
bool SelectCheapest(const double* c, size_t n, size_t k, const UsableRange& range, size_t* chosen) {
  if (k == 0 || range.count < k) return false;
  if (!(range.hi > range.lo)) {  // every usable cost is equal: the first k
    for (size_t i = 0, j = 0; j < k; ++i) {
      chosen[j] = i;
      j += Usable(c[i]);
    }
    return true;
  }
  thread_local SelectScratch s;
  ScratchTrimmer<SelectScratch> trim(&s);
  uint8_t* bucket = Grow(s.bucket, n);
  // Usable costs fall in [0, 255] (255 only at the top); finite even for a
  // subnormal range.
  const double scale = std::min(255 / (range.hi - range.lo), std::numeric_limits<double>::max());
  // b: the bucket of the k-th smallest cost (below 255, the unusable's, as at
  // least k are usable); before, up_to: the costs in buckets below b and up
  // to b.
  unsigned b = 0;
  size_t before = 0, up_to = 0;
  const bool avx2 = UseAvx2();
  if (avx2) {
#ifdef SUNWIND_PLANNER_AVX2
    BucketAvx2(c, n, range.lo, scale, bucket);
    // Bisection: fewer than k costs in buckets up to `below`, at least k up to b.
    int below = -1;
    b = 254;
    up_to = range.count;
    while (static_cast<int>(b) - below > 1) {
      const int mid = (below + static_cast<int>(b)) / 2;
      const size_t count = CountAtMostAvx2(bucket, n, static_cast<unsigned>(mid));
      if (count >= k) {
        b = static_cast<unsigned>(mid);
        up_to = count;
      } else {
        below = mid;
        before = count;
      }
    }
#endif
  } else {
    uint32_t hist[4][256] = {};
    BucketPortable(c, n, range.lo, scale, bucket, hist);
    for (;; ++b) {
      up_to = before + hist[0][b] + hist[1][b] + hist[2][b] + hist[3][b];
      if (up_to >= k) break;
      before = up_to;
    }
  }
  size_t* candidate = Grow(s.candidate, up_to + 1);  // + 1: the portable pass writes one past
  size_t n_candidates = 0;
#ifdef SUNWIND_PLANNER_AVX2
  if (avx2) n_candidates = CandidatesAvx2(bucket, n, b, candidate);
#endif
  if (!avx2) n_candidates = CandidatesPortable(bucket, n, b, candidate);
  s.in_bucket.clear();
  for (size_t j = 0; j < n_candidates; ++j) {
    if (bucket[candidate[j]] == b) s.in_bucket.push_back(c[candidate[j]]);
  }
  const size_t rank = k - before - 1;
  std::nth_element(s.in_bucket.begin(), s.in_bucket.begin() + static_cast<long>(rank), s.in_bucket.end());
  const double threshold = s.in_bucket[rank];
  size_t at_threshold = k - before;  // how many slots costing exactly the threshold to take
  for (double x : s.in_bucket) at_threshold -= x < threshold;
  size_t taken = 0;
  for (size_t j = 0; j < n_candidates; ++j) {
    const double x = c[candidate[j]];
    if (x < threshold || (x == threshold && at_threshold > 0)) {
      at_threshold -= x == threshold;
      chosen[taken++] = candidate[j];
    }
  }
  return true;
}

#ifdef SUNWIND_PLANNER_AVX2
// Whether any of v is not 0 (NaN included), 16 at a time: a double is
// nonzero exactly when a bit other than its sign is set, and or-ing the bits
// costs a fraction of the compare and branch per element that took a fifth
// of the 100-region selection's time.
__attribute__((target("avx2"))) bool AnyNonZeroAvx2(const double* v, size_t n) {
  const __m256i not_sign = _mm256_set1_epi64x(0x7fffffffffffffff);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256i bits = _mm256_or_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + i)),
                                   _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + i + 4)));
    bits = _mm256_or_si256(bits, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + i + 8)));
    bits = _mm256_or_si256(bits, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + i + 12)));
    if (!_mm256_testz_si256(bits, not_sign)) return true;
  }
  for (; i < n; ++i) {
    if (v[i] != 0) return true;
  }
  return false;
}
#endif

bool AnyNonZero(const std::vector<double>& v) {
#ifdef SUNWIND_PLANNER_AVX2
  if (UseAvx2()) return AnyNonZeroAvx2(v.data(), v.size());
#endif
  return std::any_of(v.begin(), v.end(), [](double x) { return x != 0; });
}

// The sum of c over chosen[0, k), in that order: the k cheapest slots' cost
// as the slot-order plan adds it up.
double SumAt(const double* c, const size_t* chosen, size_t k) {
  double total = 0;
  for (size_t j = 0; j < k; ++j) total += c[chosen[j]];
  return total;
}

}  // namespace

std::vector<size_t> CheapestSlots(const std::vector<double>& c, size_t k, size_t min_chunk,
                                  const std::vector<double>& restart_cost, double* total_cost) {
  const size_t T = c.size();
  if (k == 0 || k > T) return {};
  if (min_chunk <= 1 && !AnyNonZero(restart_cost)) {
    // k-smallest selection; ties go to the earlier slot.
    std::vector<size_t> chosen(k);
    if (!SelectCheapest(c.data(), T, k, RangeOfUsable(c.data(), T), chosen.data())) return {};
    *total_cost = SumAt(c.data(), chosen.data(), k);
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
  ScratchTrimmer<DpScratch> trim(&scratch);
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
  thread_local PlanScratch scratch;
  ScratchTrimmer<PlanScratch> trim(&scratch);

  if (!q.interruptible) {
    const size_t n_full = static_cast<size_t>(q.duration / step);
    const double frac = static_cast<double>((q.duration % step).count()) / static_cast<double>(step.count());
    const size_t max_start = static_cast<size_t>((available - q.duration) / step);
    const size_t span = n_full + (frac > 0 ? 1 : 0);
    // The earliest window within the slack of the cheapest: a later start must
    // win by more than the data's uncertainty (zero slack: the cheapest, ties
    // to the earliest start, then the cheapest window there, then the first
    // region listed).
    auto limit_of = [&](double min_cost) {
      return min_cost + std::max(q.slack_g, 1e-9 * std::max(1.0, std::fabs(min_cost)));
    };
    // A region's window costs are made into scratch, one region at a time
    // (holding every region's had the heap paged in on every call: 6.4 ms for
    // 100 regions), and only where they may matter. First a bound below each
    // region's windows from its cheapest slot, less the prefix sums' worst
    // rounding (one vector pass); then regions in the order of that bound,
    // each one's cheapest window, until a bound is past the limit that the
    // cheapest so far sets (the true cheapest is no dearer, so its limit is
    // no higher): no window of the rest is within it.
    auto scan_windows = [&](size_t r, auto visit) {
      const size_t T = candidates[r].series.size();
      FillSlotCosts(candidates[r], q.power_w, T, Grow(scratch.cost, T));
      ScanWindows(scratch.cost.data(), T, n_full, frac, max_start, Grow(scratch.sum, T + 1), Grow(scratch.bad, T + 1),
                  visit);
    };
    struct Bound {
      size_t index;
      double below;  // every window of the region costs at least this
    };
    std::vector<Bound> bounds;
    for (size_t r = 0; r < candidates.size(); ++r) {
      const size_t T = candidates[r].series.size();
      const UsableRange range = FillSlotCosts(candidates[r], q.power_w, T, Grow(scratch.cost, T));
      if (span == 0 || range.count < span) continue;  // no window without a gap
      const double slots = static_cast<double>(n_full) + frac, floor = slots * range.lo;
      const double sums = static_cast<double>(T) * std::max(std::fabs(range.lo), std::fabs(range.hi));
      const double rounding =
          static_cast<double>(T + 8) * std::numeric_limits<double>::epsilon() * (sums + std::fabs(floor));
      bounds.push_back({r, floor - rounding});
    }
    std::stable_sort(bounds.begin(), bounds.end(), [](const Bound& a, const Bound& b) { return a.below < b.below; });
    std::vector<double> region_min(candidates.size(), kInf);  // +inf where not needed
    double min_cost = kInf;
    for (size_t next = 0; next < bounds.size() && !(bounds[next].below > limit_of(min_cost));) {
      // Up to four regions whose bound is within the limit, solved together
      // in AVX2 lanes where the CPU has it (a region more than needed changes
      // nothing): one region's scan waits on its chain of adds, four chains
      // run side by side. 100 near-identical regions, which no bound spares,
      // took 0.97 ms one at a time and 0.32 ms four at a time (both under a
      // load average of 2.5; benchmarks/results/planner.md).
      size_t batch[4], n_batch = 0;
      while (n_batch < 4 && next < bounds.size() && !(bounds[next].below > limit_of(min_cost))) {
        batch[n_batch++] = bounds[next++].index;
      }
      const bool four_at_once = n_batch > 1 && UseAvx2();
#ifdef SUNWIND_PLANNER_AVX2
      if (four_at_once) {
        size_t T = 0;
        for (size_t l = 0; l < n_batch; ++l) T = std::max(T, candidates[batch[l]].series.size());
        double* cost4 = Grow(scratch.cost4, 4 * T);
        double* cost = Grow(scratch.cost, T);
        for (size_t l = 0; l < 4; ++l) {
          if (l < n_batch) {
            FillSlotCosts(candidates[batch[l]], q.power_w, T, cost);  // +inf past this region's end
          } else {
            std::fill(cost, cost + T, kInf);
          }
          for (size_t i = 0; i < T; ++i) cost4[4 * i + l] = cost[i];
        }
        double minima[4];
        CheapestWindows4(cost4, T, n_full, frac, max_start, Grow(scratch.sum4, 4 * (T + 1)),
                         Grow(scratch.bad4, 4 * (T + 1)), minima);
        for (size_t l = 0; l < n_batch; ++l) region_min[batch[l]] = minima[l];
      }
#endif
      for (size_t l = 0; l < n_batch; ++l) {
        double& m = region_min[batch[l]];
        if (!four_at_once) {
          scan_windows(batch[l], [&m](size_t, double w) {
            m = std::min(m, w);
            return true;
          });
        }
        min_cost = std::min(min_cost, m);
      }
    }
    const double limit = limit_of(min_cost);
    const RegionSeries* best = nullptr;
    size_t best_start = 0;
    double best_cost = kInf;
    for (size_t r = 0; r < candidates.size() && !std::isinf(min_cost); ++r) {
      if (!(region_min[r] <= limit)) continue;  // no window of this region is within the limit
      scan_windows(r, [&](size_t s, double w) {
        if (best && s > best_start) return false;  // no earlier start here
        if (!(w <= limit)) return true;
        if (!best || s < best_start || w < best_cost) {
          best = &candidates[r];
          best_start = s;
          best_cost = w;
        }
        return false;
      });
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
    // Without chunks or restarts to honour, the k cheapest slots are the plan.
    const bool unconstrained = min_chunk <= 1 && q.resume_overhead.count() == 0;
    // A partial last cell cannot hold a whole slot; missing data is unusable.
    const size_t T = usable_slots;
    double* cost = Grow(scratch.cost, T);
    size_t* chosen = Grow(scratch.chosen, k);
    // The cost of region r's k cheapest usable slots, ignoring chunks and
    // restarts, with the slots left in `chosen`; false if it has fewer.
    auto k_cheapest = [&](size_t r, double* total) {
      if (!SelectCheapest(cost, T, k, FillSlotCosts(candidates[r], q.power_w, T, cost), chosen)) return false;
      *total = SumAt(cost, chosen, k);
      return true;
    };
    // The k cheapest slots of a region bound its exact cost from below;
    // regions are solved exactly in the order of that bound and skipped once
    // it reaches the best cost found, which on real grids (tens to hundreds of
    // g/kWh apart) spares most of them. Only the bound is kept per region, so
    // a plan over 100 regions does not hold (and page in) 100 regions' cost
    // vectors at once.
    struct Candidate {
      size_t index;
      double lower_bound;  // exact when unconstrained
    };
    std::vector<Candidate> order;
    if (!unconstrained) {
      for (size_t r = 0; r < candidates.size(); ++r) {
        double bound = kInf;
        if (k_cheapest(r, &bound)) order.push_back({r, bound});  // else not k usable slots
      }
    } else {
      // Here the bound is the answer, and only regions that may win need it:
      // k × a region's cheapest usable slot (less the sum's worst rounding)
      // is a cheaper bound below it. Regions are summed in that order until
      // the cheap bound passes the least sum by more than the walk below can
      // drift: it moves from the least sum to a tied one at most once per
      // region, each time by at most 1e-9 × max(1, |sum|), so no region
      // skipped here could be chosen or stop the walk sooner.
      std::vector<Candidate> cheap;
      for (size_t r = 0; r < candidates.size(); ++r) {
        const UsableRange range = FillSlotCosts(candidates[r], q.power_w, T, cost);
        if (range.count < k) continue;
        const double floor = static_cast<double>(k) * range.lo;
        const double rounding = std::fabs(floor) * static_cast<double>(k + 1) * std::numeric_limits<double>::epsilon();
        cheap.push_back({r, floor - rounding});
      }
      std::stable_sort(cheap.begin(), cheap.end(),
                       [](const Candidate& a, const Candidate& b) { return a.lower_bound < b.lower_bound; });
      double least = kInf;
      for (const Candidate& c : cheap) {
        const double magnitude = std::max({1.0, std::fabs(least), std::fabs(cheap.front().lower_bound)});
        if (c.lower_bound > least + 2e-9 * static_cast<double>(cheap.size() + 1) * magnitude) break;
        double total = kInf;
        k_cheapest(c.index, &total);
        order.push_back({c.index, total});
        least = std::min(least, total);
      }
    }
    // By bound, then as listed (as a stable sort of the regions in order).
    std::sort(order.begin(), order.end(), [](const Candidate& a, const Candidate& b) {
      return a.lower_bound < b.lower_bound || (a.lower_bound == b.lower_bound && a.index < b.index);
    });
    const RegionSeries* best = nullptr;
    size_t best_index = 0;
    std::vector<size_t> best_slots;
    double best_cost = kInf;
    for (const Candidate& c : order) {
      const double tie = best ? 1e-9 * std::max(1.0, std::fabs(best_cost)) : 0;
      if (best && c.lower_bound > best_cost + tie) break;  // sorted: no later region can win
      double total = c.lower_bound;
      std::vector<size_t> slots;  // found below for the chosen region only
      if (!unconstrained) {
        std::vector<double> region_cost(T);
        FillSlotCosts(candidates[c.index], q.power_w, T, region_cost.data());
        std::vector<double> restart(T, 0);
        if (q.resume_overhead.count() > 0) {
          for (size_t i = 0; i < T; ++i) {
            restart[i] = region_cost[i] / Hours(step) * Hours(q.resume_overhead);
            if (std::isinf(restart[i])) restart[i] = 0;  // the slot itself is unusable anyway
          }
        }
        slots = CheapestSlots(region_cost, k, min_chunk, restart, &total);
        if (slots.empty()) continue;
      }
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
    if (unconstrained) {
      double total = kInf;
      k_cheapest(best_index, &total);
      best_slots.assign(chosen, chosen + k);
    } else {
      FillSlotCosts(*best, q.power_w, T, cost);
    }
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
