#include "metering/gpu_share.h"

#include <algorithm>
#include <set>

#include "metering/proc_usage.h"

namespace sunwind {

GpuClaim ClaimGpus(const std::string& job_id, const std::vector<pid_t>& pids, const std::vector<GpuInfo>& all,
                   const std::string& proc_root) {
  GpuClaim claim;
  claim.job_id = job_id;
  claim.pids = pids;
  std::set<unsigned> gpus;
  bool every_gpu = pids.empty();
  bool all_named = !pids.empty();
  for (pid_t pid : pids) {
    std::optional<std::string> visible = ReadProcessEnv(proc_root, pid, "CUDA_VISIBLE_DEVICES");
    if (!visible) {
      every_gpu = true;
      all_named = false;
      continue;
    }
    auto selected = SelectGpus(all, visible);
    if (!selected.ok()) continue;  // CUDA would refuse it too: no GPU through this process
    for (const auto& g : *selected) gpus.insert(g.index);
  }
  if (every_gpu) {
    for (const auto& g : all) gpus.insert(g.index);
  }
  claim.gpus.assign(gpus.begin(), gpus.end());
  claim.named = all_named && !claim.gpus.empty();
  return claim;
}

SharedGpuMeter::SharedGpuMeter(Nvml& nvml, std::vector<GpuInfo> gpus, double power_period_s)
    : nvml_(nvml), gpus_(std::move(gpus)), power_period_s_(power_period_s > 0 ? power_period_s : 0.1) {}

bool SharedGpuMeter::NeedsPowerTicks() const {
  return std::any_of(gpus_.begin(), gpus_.end(), [](const GpuInfo& g) { return !g.has_energy_counter; });
}

const GpuInfo* SharedGpuMeter::Find(unsigned index) const {
  for (const auto& g : gpus_) {
    if (g.index == index) return &g;
  }
  return nullptr;
}

void SharedGpuMeter::Error(const std::string& message) {
  if (errors_.size() < 10) errors_.push_back(message);
}

std::vector<std::string> SharedGpuMeter::TakeErrors() {
  std::vector<std::string> out;
  out.swap(errors_);
  return out;
}

void SharedGpuMeter::TickPower(double now_s) {
  double dt = now_s - last_tick_s_;
  last_tick_s_ = now_s;
  if (!primed_ || dt <= 0) return;
  for (const auto& g : gpus_) {
    if (g.has_energy_counter) continue;
    auto w = nvml_.PowerW(g.index);
    if (w.ok()) {
      pending_j_[g.index] += *w * dt;
    } else {
      Error(w.status().message());
    }
  }
}

std::string SharedGpuMeter::Method(const std::vector<unsigned>& gpus) const {
  bool counter = false, sampled = false;
  for (unsigned i : gpus) {
    const GpuInfo* g = Find(i);
    if (g == nullptr) continue;
    (g->has_energy_counter ? counter : sampled) = true;
  }
  if (counter && sampled) return "nvml-energy-counter+nvml-power-sampling";
  if (sampled) return "nvml-power-sampling";
  return counter ? "nvml-energy-counter" : "none";
}

std::map<std::string, double> SharedGpuMeter::Round(const std::vector<GpuClaim>& claims, double now_s) {
  std::map<std::string, double> out;
  for (const auto& c : claims) out[c.job_id] = 0;

  // Each GPU's energy since the last round.
  TickPower(now_s);
  std::map<unsigned, double> drawn_j;
  for (const auto& g : gpus_) {
    if (!g.has_energy_counter) {
      drawn_j[g.index] = pending_j_[g.index];
      pending_j_[g.index] = 0;
      continue;
    }
    auto mj = nvml_.TotalEnergyMj(g.index);
    if (!mj.ok()) {
      Error(mj.status().message());
      continue;
    }
    auto last = last_mj_.find(g.index);
    // A counter that went back (driver reloaded) gives no interval.
    if (last != last_mj_.end() && *mj >= last->second) drawn_j[g.index] = static_cast<double>(*mj - last->second) * 1e-3;
    last_mj_[g.index] = *mj;
  }

  split_rules_.clear();
  for (const auto& g : gpus_) {
    // Read every round, also the first, so the next round sees only its own samples.
    std::map<pid_t, double> sm_by_pid;
    bool utilisation_known = true;
    auto samples = nvml_.ProcessUtilizations(g.index, last_seen_us_[g.index]);
    if (samples.ok()) {
      for (const auto& s : *samples) {
        sm_by_pid[static_cast<pid_t>(s.pid)] += s.sm_percent;
        last_seen_us_[g.index] = std::max(last_seen_us_[g.index], s.timestamp_us);
      }
    } else {
      utilisation_known = false;
    }
    if (!primed_) continue;
    auto drawn = drawn_j.find(g.index);
    if (drawn == drawn_j.end()) continue;

    std::vector<const GpuClaim*> holders, named;
    for (const auto& c : claims) {
      if (std::find(c.gpus.begin(), c.gpus.end(), g.index) == c.gpus.end()) continue;
      holders.push_back(&c);
      if (c.named) named.push_back(&c);
    }
    if (holders.empty()) {
      unattributed_j_ += drawn->second;
      split_rules_[g.index] = "held by no job: not charged";
      continue;
    }
    std::vector<double> weights;
    double total = 0;
    for (const GpuClaim* c : holders) {
      double w = 0;
      for (pid_t p : c->pids) {
        auto it = sm_by_pid.find(p);
        if (it != sm_by_pid.end()) w += it->second;
      }
      weights.push_back(w);
      total += w;
    }
    if (holders.size() == 1) {
      out[holders[0]->job_id] += drawn->second;
      split_rules_[g.index] = "one job";
    } else if (total > 0) {
      for (size_t i = 0; i < holders.size(); ++i) out[holders[i]->job_id] += drawn->second * weights[i] / total;
      split_rules_[g.index] = "by SM utilisation";
    } else {
      const auto& equal = named.empty() ? holders : named;
      for (const GpuClaim* c : equal) out[c->job_id] += drawn->second / static_cast<double>(equal.size());
      split_rules_[g.index] = std::string("equally") + (named.empty() ? "" : " between the jobs given it") +
                              (utilisation_known ? " (no job's processes used it)" : " (no per-process utilisation)");
    }
  }
  if (!primed_) {
    primed_ = true;
    last_tick_s_ = now_s;
  }
  return out;
}

}  // namespace sunwind
