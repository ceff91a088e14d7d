#include "service/job_metering.h"

#include <algorithm>
#include <set>
#include <utility>

#include <yaml-cpp/yaml.h>

namespace sunwind {

// One job's meter and the process tree it reads, refreshed every round.
struct JobMetering::Meter {
  Meter(const Clock& clock, Pacer& pacer, MeterSources sources, const MeterOptions& options)
      : meter(clock, pacer, std::move(sources), [this] { return pids; }, options) {}
  std::vector<pid_t> pids;
  JobMeter meter;
  double last_elapsed_s = 0;
  GpuClaim gpu_claim;  // read again only when the tree changes
  std::string cpu_method, gpu_method, ram_method;
};

Result<JobMeteringOptions> LoadMeteringConfig(const std::string& path, JobMeteringOptions o) {
  if (path.empty()) return o;
  std::string field = "metering";
  try {
    YAML::Node m = YAML::LoadFile(path)["metering"];
    if (!m) return o;
    if (!m.IsMap()) return Status::InvalidArgument(path + ": metering: must be a map");
    for (const auto& kv : m) {
      const std::string key = kv.first.as<std::string>();
      field = "metering." + key;
      const std::string v = kv.second.as<std::string>();
      auto bad = [&](const Status& s) { return Status::InvalidArgument(path + ": " + field + ": " + s.message()); };
      if (key == "interval") {
        auto ms = ParseMilliseconds(v);
        if (!ms.ok()) return bad(ms.status());
        o.interval = *ms;
      } else if (key == "retention") {
        auto d = ParseDuration(v, /*allow_zero=*/true);
        if (!d.ok()) return bad(d.status());
        o.retention = *d;
      } else if (key == "downsample_to") {
        auto d = ParseDuration(v);
        if (!d.ok()) return bad(d.status());
        o.downsample_to = *d;
      } else if (key == "nvml_library") {
        if (v.empty()) return bad(Status::InvalidArgument("must name a library, or none"));
        o.nvml_library = v;
      } else if (key == "batch") {
        int n = kv.second.as<int>();
        if (n < 1) return bad(Status::InvalidArgument("must be at least 1"));
        o.batch_size = static_cast<size_t>(n);
      } else {
        return Status::InvalidArgument(path + ": " + field + ": unknown field (expected interval, retention, "
                                       "downsample_to, batch, nvml_library)");
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ": " + field + ": " + e.what());
  }
  return o;
}

DaemonMeterSetup DaemonMeterSources(const std::string& cpu_power_csv, const std::string& proc_root,
                                    const std::string& nvml_library) {
  DaemonMeterSetup d;
  d.sources.cpu_note = "the daemon meters the CPU by the TDP model: RAPL counts the whole package, other jobs included";
  auto info = ReadCpuInfo(proc_root);
  if (info.ok()) {
    d.cpu_model = info->model_name;
    d.logical_cores = std::max(1, info->logical_cores);
  }
  auto table = TdpTable::LoadFromFile(cpu_power_csv);
  if (table.ok()) {
    auto m = table->Lookup(d.cpu_model);
    d.sources.cpu_tdp_w = m.tdp_w;
    d.sources.cpu_tdp_note = m.note;
  } else {
    d.sources.cpu_tdp_note = table.status().message() + "; the default TDP of " +
                             std::to_string(static_cast<int>(kDefaultCpuTdpW)) + " W";
  }
  if (nvml_library == "none") {
    d.sources.gpu_note = "no GPU metered (metering.nvml_library: none)";
    return d;
  }
  auto nvml = Nvml::Load(nvml_library);
  if (!nvml.ok()) {
    d.sources.gpu_note = nvml.status().message();
    return d;
  }
  auto all = (*nvml)->Devices();
  if (!all.ok() || all->empty()) {
    d.sources.gpu_note = all.ok() ? "NVML sees no GPU" : all.status().message();
    return d;
  }
  d.nvml = std::move(nvml).value();
  d.gpus = std::make_unique<SharedGpuMeter>(*d.nvml, *all);
  return d;
}

JobMetering::JobMetering(const Clock& clock, Pacer& pacer, MeterStore& store, RunningFn running, SourcesFn sources,
                         JobMeteringOptions options, LogFn log)
    : clock_(clock),
      pacer_(pacer),
      store_(store),
      running_(std::move(running)),
      sources_(std::move(sources)),
      options_(std::move(options)),
      log_(std::move(log)) {
  last_flush_s_ = pacer_.ElapsedS();
}

JobMetering::~JobMetering() { Stop(); }

MeterSources JobMetering::WithGpus(MeterSources sources, const GpuClaim& claim) const {
  sources.nvml = nullptr;  // the shared meter reads NVML, not each job's
  sources.gpus.clear();
  for (const auto& g : gpus_->gpus()) {
    if (std::find(claim.gpus.begin(), claim.gpus.end(), g.index) != claim.gpus.end()) sources.gpus.push_back(g);
  }
  if (sources.gpus.empty()) {
    sources.gpu_note = "no GPU given to the job (its CUDA_VISIBLE_DEVICES names none)";
    return sources;
  }
  sources.shared_gpu_method = gpus_->Method(claim.gpus);
  std::string names;
  for (const auto& g : sources.gpus) {
    names += (names.empty() ? "GPU " : ", GPU ") + std::to_string(g.index) + " " + g.name;
  }
  sources.gpu_note = names + (claim.named ? " (named by its CUDA_VISIBLE_DEVICES)" : " (CUDA_VISIBLE_DEVICES unset: every GPU)") +
                     "; a GPU shared with other jobs is split by their processes' SM utilisation, else equally";
  return sources;
}

void JobMetering::TickGpuPower() {
  std::lock_guard<std::mutex> lock(mu_);
  if (gpus_ != nullptr) gpus_->TickPower(pacer_.ElapsedS());
}

Status JobMetering::SampleOnce() {
  SUNWIND_ASSIGN_OR_RETURN(std::vector<RunningJob> running, running_());
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(running, [](const RunningJob& job) { return job.pids.empty(); });  // not on this machine

  // Every job's GPUs first: one round splits each GPU between all its holders.
  std::map<std::string, double> gpu_j;
  std::map<std::string, GpuClaim> new_claims;
  if (gpus_ != nullptr) {
    std::vector<GpuClaim> claims;
    for (const RunningJob& job : running) {
      auto it = meters_.find(job.id);
      if (it != meters_.end() && it->second->gpu_claim.pids == job.pids) {
        claims.push_back(it->second->gpu_claim);
        continue;
      }
      GpuClaim claim = ClaimGpus(job.id, job.pids, gpus_->gpus(), options_.proc_root);
      // A new job's claim is kept with the meter made for it below.
      (it != meters_.end() ? it->second->gpu_claim : new_claims[job.id]) = claim;
      claims.push_back(std::move(claim));
    }
    gpu_j = gpus_->Round(claims, pacer_.ElapsedS());
    for (const auto& e : gpus_->TakeErrors()) {
      if (log_) log_("meter: " + e);
    }
  }

  std::set<std::string> seen;
  bool ended = false;
  for (RunningJob& job : running) {
    seen.insert(job.id);
    auto it = meters_.find(job.id);
    if (it == meters_.end()) {
      MeterOptions mo;
      mo.interval_s = std::chrono::duration<double>(options_.interval).count();
      mo.proc_root = options_.proc_root;
      mo.logical_cores = options_.logical_cores;
      mo.keep_samples = false;
      MeterSources sources = sources_(job);
      GpuClaim claim;
      if (gpus_ != nullptr) {
        claim = std::move(new_claims[job.id]);
        sources = WithGpus(std::move(sources), claim);
      }
      auto m = std::make_unique<Meter>(clock_, pacer_, std::move(sources), mo);
      m->pids = std::move(job.pids);
      m->gpu_claim = std::move(claim);
      // A meter's methods are fixed by its sources: named once, not per sample.
      m->cpu_method = m->meter.cpu().method;
      m->gpu_method = m->meter.gpu().method;
      m->ram_method = m->meter.ram().method;
      m->meter.Start();
      meters_.emplace(job.id, std::move(m));
      continue;
    }
    Meter& m = *it->second;
    m.pids = std::move(job.pids);
    if (auto share = gpu_j.find(job.id); share != gpu_j.end()) m.meter.AddGpuJoules(share->second);
    m.meter.Sample();
    const MeterSample& s = m.meter.samples().back();
    const double dt = s.elapsed_s - m.last_elapsed_s;
    if (dt <= 0) continue;
    m.last_elapsed_s = s.elapsed_s;
    StoredMeterSample row;
    row.job_id = job.id;
    row.at_unix_s = static_cast<double>(m.meter.start().time_since_epoch().count()) + s.elapsed_s;
    row.interval_s = dt;
    row.cpu_w = s.cpu_w;
    row.gpu_w = s.gpu_w;
    row.ram_w = s.ram_w;
    row.cpu_uj = ToMicrojoules(s.cpu_w * dt);
    row.gpu_uj = ToMicrojoules(s.gpu_w * dt);
    row.ram_uj = ToMicrojoules(s.ram_w * dt);
    row.cpu_method = m.cpu_method;
    row.gpu_method = m.gpu_method;
    row.ram_method = m.ram_method;
    pending_.push_back(std::move(row));
  }
  for (auto it = meters_.begin(); it != meters_.end();) {
    if (seen.count(it->first)) {
      ++it;
    } else {
      it = meters_.erase(it);
      ended = true;
    }
  }
  const double since_flush_s = pacer_.ElapsedS() - last_flush_s_;
  if (ended || pending_.size() >= options_.batch_size ||
      since_flush_s >= std::chrono::duration<double>(options_.flush_every).count()) {
    return FlushLocked();
  }
  return Status::Ok();
}

Status JobMetering::Flush() {
  std::lock_guard<std::mutex> lock(mu_);
  return FlushLocked();
}

Status JobMetering::FlushLocked() {
  last_flush_s_ = pacer_.ElapsedS();
  if (pending_.empty()) return Status::Ok();
  Status st = store_.Append(pending_);
  // A failed batch stays waiting for the next flush (a busy disk), unless it
  // was refused as invalid, which would never pass.
  if (st.ok() || st.code() == StatusCode::kInvalidArgument) pending_.clear();
  return st;
}

Status JobMetering::ApplyRetention() {
  if (options_.retention <= Duration{0}) return Status::Ok();
  const TimePoint cutoff = clock_.Now() - options_.retention;
  auto r = store_.Downsample(static_cast<double>(cutoff.time_since_epoch().count()),
                             static_cast<double>(options_.downsample_to.count()));
  return r.ok() ? Status::Ok() : r.status();
}

void JobMetering::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    std::string last_error;
    auto report = [&](const Status& st, const char* what) {
      if (!st.ok() && log_ && st.message() != last_error) log_(std::string(what) + ": " + st.message());
      if (!st.ok()) last_error = st.message();
    };
    std::unique_lock<std::mutex> lock(stop_mu_);
    // Rounds start every interval from the first (a round's own time is not
    // added to the wait); one that overruns starts the next at once, without
    // a burst to catch up.
    auto next_round = std::chrono::steady_clock::now();
    while (!stopping_) {
      next_round += options_.interval;
      lock.unlock();
      report(SampleOnce(), "meter");
      const TimePoint now = clock_.Now();
      if (options_.retention > Duration{0} &&
          (!last_retention_ || now - *last_retention_ >= options_.retention_every)) {
        last_retention_ = now;
        report(ApplyRetention(), "meter retention");
      }
      lock.lock();
      next_round = std::max(next_round, std::chrono::steady_clock::now());
      if (gpus_ != nullptr && gpus_->NeedsPowerTicks()) {
        // GPUs without an energy counter: their power every period between rounds.
        const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(gpus_->power_period_s()));
        while (!stopping_ && std::chrono::steady_clock::now() + period < next_round) {
          if (stop_cv_.wait_for(lock, period, [this] { return stopping_; })) break;
          lock.unlock();
          TickGpuPower();
          lock.lock();
        }
      }
      stop_cv_.wait_until(lock, next_round, [this] { return stopping_; });
    }
  });
}

void JobMetering::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  Status st = Flush();
  if (!st.ok() && log_) log_("meter: " + st.message());
}

bool JobMetering::Holds(const std::string& job_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return meters_.count(job_id) > 0;
}

std::vector<std::string> JobMetering::MeteredJobs() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, m] : meters_) out.push_back(id);
  return out;
}

}  // namespace sunwind
