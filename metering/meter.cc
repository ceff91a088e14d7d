#include "metering/meter.h"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sunwind {
namespace {

constexpr double kJoulesPerKwh = 3.6e6;

}  // namespace

double SteadyPacer::ElapsedS() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - origin_).count();
}

void SteadyPacer::SleepS(double seconds) {
  if (seconds <= 0) return;
  timespec ts;
  ts.tv_sec = static_cast<time_t>(seconds);
  ts.tv_nsec = static_cast<long>((seconds - static_cast<double>(ts.tv_sec)) * 1e9);
  while (nanosleep(&ts, &ts) != 0) {
  }
}

JobMeter::JobMeter(const Clock& clock, Pacer& pacer, MeterSources sources, std::function<std::vector<pid_t>()> pids,
                   MeterOptions options)
    : clock_(clock),
      pacer_(pacer),
      sources_(std::move(sources)),
      pids_(std::move(pids)),
      options_(std::move(options)),
      tracker_(options_.proc_root) {
  if (options_.interval_s <= 0) options_.interval_s = 1.0;
  if (options_.gpu_power_period_s <= 0) options_.gpu_power_period_s = 0.1;
  if (options_.logical_cores <= 0) options_.logical_cores = 1;
  if (sources_.nvml != nullptr) {
    for (const auto& g : sources_.gpus) (g.has_energy_counter ? counter_gpus_ : sampled_gpus_).push_back(g.index);
  }
}

void JobMeter::Start() {
  start_ = clock_.Now();
  start_elapsed_s_ = last_elapsed_s_ = last_gpu_tick_s_ = pacer_.ElapsedS();
  if (sources_.rapl != nullptr) {
    auto primed = sources_.rapl->ReadDeltaJoules();
    if (!primed.ok()) errors_.push_back(primed.status().message());
  }
  for (unsigned i : counter_gpus_) {
    auto mj = sources_.nvml->TotalEnergyMj(i);
    if (mj.ok()) first_gpu_mj_[i] = last_gpu_mj_[i] = *mj;
  }
  uint64_t rss = 0;
  last_cpu_s_ = tracker_.Update(pids_(), &rss);
  peak_ram_gb_ = BytesToGb(rss);
  // The job's CPU time before metering began is not its draw during the meter.
  samples_.clear();
  last_ram_gb_ = BytesToGb(rss);
}

void JobMeter::TickGpuPower(double now_s) {
  if (sampled_gpus_.empty()) return;
  double dt = now_s - last_gpu_tick_s_;
  last_gpu_tick_s_ = now_s;
  if (dt <= 0) return;
  for (unsigned i : sampled_gpus_) {
    auto w = sources_.nvml->PowerW(i);
    if (w.ok()) {
      pending_gpu_j_ += *w * dt;
    } else if (errors_.size() < 10) {
      errors_.push_back(w.status().message());
    }
  }
}

void JobMeter::Run(const std::function<bool()>& still_running) {
  double tick = options_.interval_s;
  if (!sampled_gpus_.empty()) tick = std::min(tick, options_.gpu_power_period_s);
  // Ask about the job at least 10 times a second, so the meter ends promptly.
  tick = std::min(tick, 0.1);
  double next_sample = last_elapsed_s_ + options_.interval_s;
  while (still_running()) {
    double now = pacer_.ElapsedS();
    pacer_.SleepS(std::min(tick, std::max(0.0, next_sample - now)));
    now = pacer_.ElapsedS();
    TickGpuPower(now);
    if (now + 1e-9 >= next_sample) {
      Sample();
      next_sample += options_.interval_s;
      if (next_sample <= now) next_sample = now + options_.interval_s;  // fell behind: do not burst
    }
  }
}

void JobMeter::Sample() {
  double now = pacer_.ElapsedS();
  double dt = now - last_elapsed_s_;
  TickGpuPower(now);

  uint64_t rss = 0;
  double cpu_total_s = finished_ ? tracker_.cpu_s() : tracker_.Update(pids_(), &rss);
  double ram_gb = finished_ ? last_ram_gb_ : BytesToGb(rss);
  double job_cpu_s = std::max(0.0, cpu_total_s - last_cpu_s_);
  last_cpu_s_ = cpu_total_s;

  double cpu_j = 0;
  if (sources_.rapl != nullptr) {
    auto j = sources_.rapl->ReadDeltaJoules();
    if (j.ok()) {
      cpu_j = *j;
    } else if (errors_.size() < 10) {
      errors_.push_back(j.status().message());
    }
  } else {
    // TDP per core-second of CPU time. While the job runs an interval cannot
    // hold more CPU time than its cores allow; the last one takes the
    // rusage top-up (time /proc no longer showed), which belongs to the run.
    double charged_cpu_s = finished_ ? job_cpu_s : std::min(job_cpu_s, dt * options_.logical_cores);
    cpu_j = sources_.cpu_tdp_w * charged_cpu_s / options_.logical_cores;
  }

  double gpu_j = pending_gpu_j_;
  pending_gpu_j_ = 0;
  for (unsigned i : counter_gpus_) {
    auto mj = sources_.nvml->TotalEnergyMj(i);
    if (!mj.ok()) {
      if (errors_.size() < 10) errors_.push_back(mj.status().message());
      continue;
    }
    auto it = last_gpu_mj_.find(i);
    if (it != last_gpu_mj_.end() && *mj >= it->second) gpu_j += static_cast<double>(*mj - it->second) * 1e-3;
    last_gpu_mj_[i] = *mj;
    first_gpu_mj_.emplace(i, *mj);
  }

  // RAM: the mean of the resident memory at both ends of the interval.
  double ram_mean_gb = (last_ram_gb_ + ram_gb) / 2;
  double ram_j = ram_mean_gb * sources_.ram_watts_per_gb * dt;
  ram_gb_s_ += ram_mean_gb * dt;
  peak_ram_gb_ = std::max(peak_ram_gb_, ram_gb);
  last_ram_gb_ = ram_gb;

  AddToHours(last_elapsed_s_ - start_elapsed_s_, now - start_elapsed_s_, cpu_j, gpu_j, ram_j);
  cpu_j_ += cpu_j;
  gpu_j_ += gpu_j;
  ram_j_ += ram_j;
  last_elapsed_s_ = now;

  MeterSample s;
  s.elapsed_s = now - start_elapsed_s_;
  s.at = start_ + Duration{static_cast<long long>(std::floor(s.elapsed_s))};
  if (dt > 0) {
    s.cpu_w = cpu_j / dt;
    s.gpu_w = gpu_j / dt;
    s.ram_w = ram_j / dt;
    s.cpu_utilization_percent = 100.0 * std::min(1.0, job_cpu_s / (dt * options_.logical_cores));
  }
  s.cpu_energy_kwh = cpu_j_ / kJoulesPerKwh;
  s.gpu_energy_kwh = gpu_j_ / kJoulesPerKwh;
  s.ram_energy_kwh = ram_j_ / kJoulesPerKwh;
  s.ram_used_gb = ram_gb;
  if (!options_.keep_samples) samples_.clear();
  samples_.push_back(s);
}

void JobMeter::Finish(std::optional<double> final_cpu_s, std::optional<uint64_t> peak_rss_bytes) {
  if (finished_) return;
  if (final_cpu_s) tracker_.RaiseTo(*final_cpu_s);
  if (peak_ram_gb_ == 0 && peak_rss_bytes) {
    // No sample saw the job's memory: the whole run at its peak (from the
    // last reading to now, at the same level: see Sample's mean).
    last_ram_gb_ = BytesToGb(*peak_rss_bytes);
    if (samples_.empty()) {
      peak_ram_gb_ = last_ram_gb_;
    } else {
      notes_.push_back("no sample saw the job's memory: RAM charged at its peak resident size for the last interval only");
    }
  }
  finished_ = true;  // the tree is gone: the last interval keeps its memory reading
  Sample();
}

void JobMeter::AddToHours(double from_s, double to_s, double cpu_j, double gpu_j, double ram_j) {
  double span = to_s - from_s;
  long long origin = start_.time_since_epoch().count();
  if (span <= 0) {
    // No time passed: the energy (if any) belongs to the hour it was read in.
    TimePoint hour = FloorTo(start_ + Duration{static_cast<long long>(std::floor(to_s))}, Duration{3600});
    auto& h = hours_.try_emplace(hour, HourlyEnergy{hour}).first->second;
    h.cpu_kwh += cpu_j / kJoulesPerKwh;
    h.gpu_kwh += gpu_j / kJoulesPerKwh;
    h.ram_kwh += ram_j / kJoulesPerKwh;
    return;
  }
  // Offsets from the start hour, not epoch seconds: at 1.7e9 s a double
  // resolves only ~0.2 µs, which would blur a 0.1 s interval's shares.
  long long into = origin % 3600;
  TimePoint base = start_ - Duration{into};
  double a = from_s + static_cast<double>(into), b = to_s + static_cast<double>(into);
  double left_cpu = cpu_j, left_gpu = gpu_j, left_ram = ram_j;
  while (a < b) {
    double k = std::floor(a / 3600.0);
    double piece_end = std::min(b, (k + 1) * 3600.0);
    bool last = piece_end >= b;
    double share = (piece_end - a) / span;
    TimePoint hour = base + Duration{static_cast<long long>(k) * 3600};
    auto& h = hours_.try_emplace(hour, HourlyEnergy{hour}).first->second;
    // The last piece takes what is left, so the hours sum to the interval exactly.
    double c = last ? left_cpu : cpu_j * share, g = last ? left_gpu : gpu_j * share, r = last ? left_ram : ram_j * share;
    h.cpu_kwh += c / kJoulesPerKwh;
    h.gpu_kwh += g / kJoulesPerKwh;
    h.ram_kwh += r / kJoulesPerKwh;
    left_cpu -= c;
    left_gpu -= g;
    left_ram -= r;
    a = piece_end;
  }
}

ComponentEnergy JobMeter::cpu() const {
  ComponentEnergy c;
  c.energy_kwh = cpu_j_ / kJoulesPerKwh;
  if (sources_.rapl != nullptr) {
    c.method = "rapl";
    c.note = "RAPL " + sources_.rapl->Describe() + ": the whole package, other processes included";
    if (sources_.rapl->dropped_reads() > 0) {
      c.note += "; " + std::to_string(sources_.rapl->dropped_reads()) + " counter read(s) dropped (reset)";
    }
  } else {
    c.method = "tdp-model";
    c.note = "TDP " + std::to_string(static_cast<int>(std::lround(sources_.cpu_tdp_w))) + " W × the job's share of " +
             std::to_string(options_.logical_cores) + " logical cores (" + sources_.cpu_tdp_note + ")";
    if (!sources_.cpu_note.empty()) c.note += "; " + sources_.cpu_note;
  }
  return c;
}

ComponentEnergy JobMeter::gpu() const {
  ComponentEnergy g;
  g.energy_kwh = gpu_j_ / kJoulesPerKwh;
  if (!sources_.shared_gpu_method.empty()) {
    g.method = sources_.shared_gpu_method;
    g.note = sources_.gpu_note;
    return g;
  }
  if (sources_.nvml == nullptr || sources_.gpus.empty()) {
    g.method = "none";
    g.note = sources_.gpu_note.empty() ? "no GPU" : sources_.gpu_note;
    return g;
  }
  if (!counter_gpus_.empty() && !sampled_gpus_.empty()) {
    g.method = "nvml-energy-counter+nvml-power-sampling";
  } else {
    g.method = counter_gpus_.empty() ? "nvml-power-sampling" : "nvml-energy-counter";
  }
  for (const auto& info : sources_.gpus) {
    if (!g.note.empty()) g.note += "; ";
    g.note += "GPU " + std::to_string(info.index) + " " + info.name + " (" +
              (info.has_energy_counter ? "energy counter" : "power sampled every " +
                                                                 std::to_string(static_cast<int>(std::lround(options_.gpu_power_period_s * 1000))) + " ms") +
              ")";
  }
  return g;
}

ComponentEnergy JobMeter::ram() const {
  ComponentEnergy r;
  r.energy_kwh = ram_j_ / kJoulesPerKwh;
  r.method = "ram-model";
  char buf[160];
  std::snprintf(buf, sizeof buf, "%.3f W/GB × the job's resident memory (CodeCarbon's 3 W per 8 GB)",
                sources_.ram_watts_per_gb);
  r.note = buf;
  return r;
}

std::vector<HourlyEnergy> JobMeter::hourly() const {
  std::vector<HourlyEnergy> out;
  for (const auto& [hour, h] : hours_) out.push_back(h);
  return out;
}

double JobMeter::mean_cpu_w() const { return duration_s() > 0 ? cpu_j_ / duration_s() : 0; }
double JobMeter::mean_gpu_w() const { return duration_s() > 0 ? gpu_j_ / duration_s() : 0; }
double JobMeter::mean_ram_w() const { return duration_s() > 0 ? ram_j_ / duration_s() : 0; }
double JobMeter::mean_ram_used_gb() const { return duration_s() > 0 ? ram_gb_s_ / duration_s() : 0; }
double JobMeter::mean_cpu_utilization_percent() const {
  double d = duration_s();
  return d > 0 ? 100.0 * std::min(1.0, tracker_.cpu_s() / (d * options_.logical_cores)) : 0;
}

std::vector<std::string> JobMeter::notes() const {
  std::vector<std::string> out;
  const bool shared_counter = sources_.shared_gpu_method.find("energy-counter") != std::string::npos;
  if ((!counter_gpus_.empty() || shared_counter) && duration_s() < kNvmlUpdatePeriodS) {
    out.push_back("the job ran " + std::to_string(duration_s()).substr(0, 5) +
                  " s, shorter than NVML's ~1 s update period: its GPU energy is unreliable");
  }
  for (unsigned i : counter_gpus_) {
    auto first = first_gpu_mj_.find(i);
    auto last = last_gpu_mj_.find(i);
    if (first != first_gpu_mj_.end() && last != last_gpu_mj_.end() && first->second == last->second &&
        duration_s() > 0) {
      out.push_back("GPU " + std::to_string(i) + "'s energy counter did not advance during the job");
    }
  }
  for (const auto& n : notes_) out.push_back(n);
  for (const auto& e : errors_) out.push_back(e);
  return out;
}

}  // namespace sunwind
