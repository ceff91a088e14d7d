#include "service/service.h"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "service/plan_json.h"

namespace sunwind {

using nlohmann::json;

namespace {

constexpr const char* kLocal = "local";

// How a process's end reads in the event log.
json EndDetail(const ProcessStatus& s) {
  json d{{"process", ProcessStateName(s.state)}};
  if (s.state == ProcessState::kExited) d["exit_code"] = s.exit_code;
  if (s.state == ProcessState::kKilled) d["signal"] = s.signal;
  if (s.ended != TimePoint{}) d["ended"] = FormatTime(s.ended);
  return d;
}

// Time spent running, and where, from the event log.
struct RunHistory {
  Duration ran{0};
  std::string region;
  bool running = false;
  TimePoint running_since{};
};

RunHistory HistoryOf(const std::vector<JobEvent>& events, TimePoint now) {
  RunHistory h;
  for (const auto& e : events) {
    if (h.running && e.to_state != JobPhase::kRunning) {
      h.ran += e.at - h.running_since;
      h.running = false;
    }
    if (e.to_state == JobPhase::kRunning && !h.running) {
      h.running = true;
      h.running_since = e.at;
    }
    json d = json::parse(e.detail_json, nullptr, false);
    if (d.is_object() && d.contains("region") && d["region"].is_string()) h.region = d["region"].get<std::string>();
  }
  if (h.running && now > h.running_since) h.ran += now - h.running_since;
  return h;
}

}  // namespace

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kFailedPrecondition: return 409;
    case StatusCode::kUnavailable: return 503;
    default: return 500;
  }
}

// The policy's view of the grid: whatever FetchIntensity answers now
// (bundled traces and their replay offline; live providers when configured).
//
// A tick that re-plans thousands of jobs asks for the same region's series
// again and again, each up to its own deadline. So a miss fetches ahead to a
// whole number of days and later asks at the same `now` are answered from
// that, cut to their horizon: one fetch per region and tick in the common
// case. Only the core calls it, under the service's mutex.
class Service::FetchView final : public IntensityView {
 public:
  explicit FetchView(FetchIntensity fetch) : fetch_(std::move(fetch)) {}
  std::string Name() const override { return "providers"; }
  Result<RegionSeries> Ahead(const Region* region, TimePoint now, TimePoint to) override {
    to = std::max(to, now + kForecastStep);
    if (now != cached_at_) {
      cache_.clear();
      cached_at_ = now;
    }
    auto it = cache_.find(region);
    if (it == cache_.end() || it->second.series.end() < to) {
      const Duration day{24 * 3600};
      const TimePoint wide = now + day * ((to - now + day - Duration{1}) / day);
      auto series = fetch_(region, now, wide, kForecastStep);
      // A source that cannot see that far ahead is asked for just what is needed.
      if (!series.ok() || series->series.end() < to) return fetch_(region, now, to, kForecastStep);
      it = cache_.insert_or_assign(region, std::move(series).value()).first;
    }
    const auto points = static_cast<size_t>((to - now + kForecastStep - Duration{1}) / kForecastStep);
    return RegionSeries{region, Head(it->second.series, points)};
  }

 private:
  FetchIntensity fetch_;
  TimePoint cached_at_{};
  std::map<const Region*, RegionSeries> cache_;
};

// The scheduler core's hands: carries its start / pause / resume decisions
// out on the local executor and records each in the store.
class Service::Dispatcher final : public Executor {
 public:
  explicit Dispatcher(Service& s) : s_(s) {}

  Status Start(const JobSpec& spec, const Region& region, TimePoint at) override {
    SUNWIND_ASSIGN_OR_RETURN(JobRecord job, s_.store_.Get(spec.id));
    JobExecutor* executor = s_.ExecutorFor(region.id);
    json detail{{"region", region.id}};
    if (!executor) {
      detail["error"] = "the region is no longer bound to an executor";
      return s_.RecordLaunchFailure(spec.id, "could not launch", detail.dump(), at);
    }
    auto launch = executor->Start(s_.ExecutorJobFor(job));
    // Not reached (slurmctld down): it stays queued and the core tries again.
    if (launch.status().code() == StatusCode::kUnavailable) return launch.status();
    if (!launch.ok()) {
      detail["error"] = launch.status().message();
      return s_.RecordLaunchFailure(spec.id, "could not launch", detail.dump(), at);
    }
    SUNWIND_RETURN_IF_ERROR(s_.SaveLaunch(spec.id, region.id, *executor, *launch));
    detail["executor"] = executor->kind();
    detail["launch"] = launch->external_id;
    return s_.store_.Transition(spec.id, JobPhase::kRunning, "its planned slot began", PausedBy::kNobody,
                                detail.dump());
  }

  Status Pause(const JobSpec& spec, TimePoint at) override {
    SUNWIND_ASSIGN_OR_RETURN(JobRecord job, s_.store_.Get(spec.id));
    return s_.StopForPause(job, PausedBy::kScheduler, "its plan skips a dirty slot", /*in_tick=*/true).status();
  }

  Status Resume(const JobSpec& spec, TimePoint at) override {
    SUNWIND_ASSIGN_OR_RETURN(JobRecord job, s_.store_.Get(spec.id));
    SUNWIND_ASSIGN_OR_RETURN(StoredLaunch old, s_.LaunchOf(spec.id));
    auto launch = old.executor->Resume(s_.ExecutorJobFor(job), old.handle_json);
    if (launch.status().code() == StatusCode::kUnavailable) return launch.status();
    if (!launch.ok()) {
      return s_.RecordLaunchFailure(spec.id, "could not resume", json{{"error", launch.status().message()}}.dump(),
                                    at);
    }
    SUNWIND_RETURN_IF_ERROR(s_.SaveLaunch(spec.id, old.region, *old.executor, *launch));
    return s_.store_.Transition(spec.id, JobPhase::kRunning, "resumed: its planned slot began", PausedBy::kNobody,
                                json{{"region", old.region}, {"launch", launch->external_id}}.dump());
  }

  // The daemon's jobs end when their process does (JobEnd::kReported).
  Status Finish(const JobSpec& spec, TimePoint at) override { return Status::Ok(); }

 private:
  Service& s_;
};

Service::Service(Database& db, const Clock& clock, const RegionCatalogue& regions, FetchIntensity fetch,
                 ProcessRunner& runner, const ServiceOptions& options)
    : db_(db),
      clock_(clock),
      regions_(regions),
      options_(options),
      store_(db, clock),
      view_(std::make_unique<FetchView>(std::move(fetch))),
      dispatcher_(std::make_unique<Dispatcher>(*this)) {
  policy_ = std::make_unique<SunwindPolicy>("sunwind", *view_, /*replans=*/true);
  policy_->OnPlan([this](const JobSpec& spec, const Plan& plan) { SavePlan(spec, plan); });
  queue_ = std::make_unique<JobQueue>(clock_, *policy_, *dispatcher_, options_.step, JobEnd::kReported);
  queue_->SetCapacity(&capacity_);
}

Service::~Service() = default;

Result<std::unique_ptr<Service>> Service::Open(Database& db, const Clock& clock, const RegionCatalogue& regions,
                                               FetchIntensity fetch, ProcessRunner& runner,
                                               const ServiceOptions& options) {
  if (options.jobs_dir.empty()) return Status::InvalidArgument("jobs_dir: must be set");
  std::error_code ec;
  std::filesystem::create_directories(options.jobs_dir, ec);
  if (ec) return Status::Unavailable("jobs_dir: cannot create " + options.jobs_dir + ": " + ec.message());
  std::unique_ptr<Service> s(new Service(db, clock, regions, std::move(fetch), runner, options));
  s->default_region_ = regions.Find(options.default_region);
  if (!s->default_region_) {
    return Status::InvalidArgument("default_region: " + options.default_region +
                                   " is not a known region: define it under regions: in the config passed with "
                                   "--config (config/sunwind.yaml defines local:host, this machine)");
  }
  SUNWIND_RETURN_IF_ERROR(s->MakeExecutors(runner));
  SUNWIND_RETURN_IF_ERROR(s->Recover());
  return s;
}

Status Service::MakeExecutors(ProcessRunner& runner) {
  CommandRunner* commands = options_.commands;
  if (!commands) {
    own_commands_ = std::make_unique<PosixCommandRunner>();
    commands = own_commands_.get();
  }
  for (const Region& region : regions_.regions()) {
    if (region.executor_kind.empty()) continue;  // advisory
    auto context = [&](const Status& st) {
      return Status(st.code(), "region '" + region.id + "': " + st.message());
    };
    if (auto it = region.executor_options.find("max_jobs"); it != region.executor_options.end()) {
      char* end = nullptr;
      const long n = std::strtol(it->second.c_str(), &end, 10);
      if (end == it->second.c_str() || *end != '\0' || n < 1) {
        return context(Status::InvalidArgument("executor.max_jobs: '" + it->second +
                                               "' is not a positive whole number of jobs"));
      }
      capacity_[&region] = static_cast<int>(n);
    }
    // The local regions share one executor: one jobs directory, one machine.
    const std::string key = region.executor_kind == kLocal ? std::string(kLocal) : region.id;
    if (executors_.count(key) == 0) {
      auto executor = MakeJobExecutor(region.executor_kind, region.executor_options, runner, *commands,
                                      options_.jobs_dir, options_.grace, options_.slurm_name_prefix);
      if (!executor.ok()) return context(executor.status());
      executors_[key] = std::move(executor).value();
    } else if (region.executor_kind == kLocal) {
      // Options of a local region other than max_jobs are refused the same way.
      if (auto checked = MakeJobExecutor(kLocal, region.executor_options, runner, *commands, options_.jobs_dir,
                                         options_.grace, "");
          !checked.ok()) {
        return context(checked.status());
      }
    }
    executor_by_region_[region.id] = executors_[key].get();
  }
  return Status::Ok();
}

JobExecutor* Service::ExecutorFor(const std::string& region) const {
  auto it = executor_by_region_.find(region);
  return it == executor_by_region_.end() ? nullptr : it->second;
}

Result<std::vector<const Region*>> Service::ResolveRegions(const JobSubmission& s) const {
  std::vector<std::string> ids = s.allowed_regions;
  const std::string home = s.home_region.empty() ? (ids.empty() ? default_region_->id : ids.front()) : s.home_region;
  if (std::find(ids.begin(), ids.end(), home) == ids.end()) ids.insert(ids.begin(), home);
  std::vector<const Region*> out;
  for (const auto& id : ids) {
    const char* field = id == home && s.allowed_regions.empty() ? "home_region" : "allowed_regions";
    const Region* r = regions_.Find(id);
    if (!r) return Status::InvalidArgument(std::string(field) + ": unknown region '" + id + "'");
    if (r->executor_kind.empty()) {
      return Status::InvalidArgument(std::string(field) + ": region '" + id +
                                     "' is advisory (no executor bound in the config): it is ranked and planned, "
                                     "but sunwind cannot launch jobs there");
    }
    out.push_back(r);
  }
  return out;
}

Result<JobSpec> Service::SpecFor(const JobRecord& job) const {
  const JobSubmission& s = job.submission;
  SUNWIND_ASSIGN_OR_RETURN(std::vector<const Region*> regions, ResolveRegions(s));
  JobSpec spec;
  spec.id = job.id;
  spec.submit = s.earliest_start;
  spec.duration = s.duration;
  spec.power_w = s.power_w;
  spec.deadline = s.deadline;
  spec.interruptible = s.interruptible;
  spec.min_chunk = s.min_chunk;
  spec.checkpoint_overhead = s.checkpoint_overhead;
  const std::string home = s.home_region.empty() ? regions.front()->id : s.home_region;
  spec.home_region = regions_.Find(home);
  spec.allowed_regions = regions;
  return spec;
}

ExecutorJob Service::ExecutorJobFor(const JobRecord& job) const {
  ExecutorJob ej;
  ej.id = job.id;
  ej.argv = job.submission.command;
  ej.working_dir = job.submission.working_dir;
  for (const auto& [k, v] : job.submission.env) ej.env.emplace_back(k, v);
  ej.env.emplace_back("SUNWIND_JOB_ID", job.id);
  ej.pause_mode = job.submission.pause_mode == "stop" ? PauseMode::kStop : PauseMode::kCheckpoint;
  return ej;
}

void Service::Track(const JobRecord& job, JobState state) {
  auto spec = SpecFor(job);
  if (!spec.ok()) {
    // The config lost a region this job needs: it stays stored, unscheduled.
    recovery_notes_.push_back(job.id + ": not scheduled: " + spec.status().message());
    return;
  }
  specs_.push_back(std::move(spec).value());
  JobSpec* p = &specs_.back();
  spec_by_id_[p->id] = p;
  if (state.started && !state.region) state.region = p->home_region;
  queue_->Restore(*p, state);
}

Result<Service::StoredLaunch> Service::LaunchOf(const std::string& id) {
  SUNWIND_ASSIGN_OR_RETURN(auto stored, store_.GetHandle(id));
  if (!stored) return Status::NotFound("job " + id + ": never launched");
  json j = json::parse(stored->handle_json, nullptr, false);
  if (!j.is_object()) return Status::Internal("job " + id + ": its stored executor handle is not JSON");
  StoredLaunch launch;
  launch.region = j.value("region", "");
  launch.executor = ExecutorFor(launch.region);
  // Handles stored before they named their region were all local.
  if (!launch.executor && launch.region.empty() && stored->executor_kind == kLocal) {
    auto it = executors_.find(kLocal);
    if (it != executors_.end()) launch.executor = it->second.get();
  }
  if (!launch.executor || stored->executor_kind != launch.executor->kind()) {
    return Status(StatusCode::kFailedPrecondition,
                  "job " + id + ": it ran in region '" + launch.region + "' on the " + stored->executor_kind +
                      " executor, which the config no longer binds there");
  }
  j.erase("region");
  launch.handle_json = j.dump();
  return launch;
}

Status Service::SaveLaunch(const std::string& id, const std::string& region, const JobExecutor& executor,
                           const Launch& launch) {
  json j = json::parse(launch.handle_json, nullptr, false);
  if (!j.is_object()) return Status::Internal("executor handle is not a JSON object");
  j["region"] = region;
  return store_.SaveHandle(id, executor.kind(), j.dump());
}

void Service::SavePlan(const JobSpec& spec, const Plan& plan) {
  json summary = PlanSummaryJson(plan);
  // The counterfactual is running at submission: a re-plan of a job that has
  // not started keeps the first plan's, so its saving stays comparable.
  const JobState* state = queue_ ? queue_->Find(spec.id) : nullptr;
  if (auto previous = store_.GetPlan(spec.id); previous.ok() && previous->has_value() && state && !state->started) {
    json first = json::parse((*previous)->summary_json, nullptr, false);
    if (first.is_object() && first.contains("run_now")) {
      summary["run_now"] = first["run_now"];
      const double run_now_g = first["run_now"].value("emissions_g", plan.emissions_g);
      summary["saving_g"] = run_now_g - plan.emissions_g;
      summary["saving_pct"] = run_now_g > 0 ? 100 * (run_now_g - plan.emissions_g) / run_now_g : 0.0;
    }
  }
  // A plan that cannot be stored is still followed; the next re-plan retries.
  (void)store_.SavePlan(spec.id, PlanIntervalsJson(plan).dump(), plan.emissions_g, plan.energy_kwh, summary.dump());
}

Status Service::RecordEnd(const std::string& id, const ProcessStatus& st, const std::string& how, bool in_tick) {
  json detail = EndDetail(st);
  const TimePoint at = st.ended != TimePoint{} ? st.ended : clock_.Now();
  if (st.state == ProcessState::kLost) {
    SUNWIND_ASSIGN_OR_RETURN(JobRecord job, store_.Get(id));
    if (job.submission.pause_mode == "checkpoint" && job.state == JobPhase::kRunning) {
      // Its supervisor died with it (a reboot, an OOM kill of both): run it
      // again from its last checkpoint, in its slot.
      SUNWIND_RETURN_IF_ERROR(store_.Transition(id, JobPhase::kQueued,
                                                "process lost with no exit status: re-queued to resume from its "
                                                "checkpoint",
                                                PausedBy::kNobody, detail.dump()));
      SUNWIND_RETURN_IF_ERROR(queue_->Hold(id));
      return queue_->Release(id, /*running=*/false);
    }
  }
  const bool ok = st.state == ProcessState::kExited && st.exit_code == 0;
  SUNWIND_RETURN_IF_ERROR(store_.Transition(id, ok ? JobPhase::kDone : JobPhase::kFailed, how, PausedBy::kNobody,
                                            detail.dump()));
  if (in_tick) {
    ended_in_tick_.push_back({id, at});
    return Status::Ok();
  }
  return queue_->Ended(id, at);
}

Result<bool> Service::StopForPause(const JobRecord& job, PausedBy who, const std::string& reason, bool in_tick) {
  SUNWIND_ASSIGN_OR_RETURN(StoredLaunch launch, LaunchOf(job.id));
  auto status = launch.executor->Pause(ExecutorJobFor(job), launch.handle_json);
  if (!status.ok() && status.status().code() != StatusCode::kNotFound) return status.status();
  const ProcessStatus st = status.ok() ? *status : launch.executor->Poll(launch.handle_json).value_or(ProcessStatus{});
  // Stopped (stop mode), or exited 0 after the checkpoint signal: paused.
  // Anything else ended the job just then.
  const bool paused = (st.state == ProcessState::kRunning && st.stopped) ||
                      (st.state == ProcessState::kExited && st.exit_code == 0 && status.ok());
  if (!paused) {
    SUNWIND_RETURN_IF_ERROR(RecordEnd(job.id, st, "ended as it was paused", in_tick));
    return false;
  }
  json detail = EndDetail(st);
  detail["mode"] = job.submission.pause_mode;
  SUNWIND_RETURN_IF_ERROR(store_.Transition(job.id, JobPhase::kPaused, reason, who, detail.dump()));
  return true;
}

Status Service::RecordLaunchFailure(const std::string& id, const std::string& reason, const std::string& detail_json,
                                    TimePoint at) {
  // The core believes it runs now; it learns of the end right after the tick.
  SUNWIND_RETURN_IF_ERROR(store_.Transition(id, JobPhase::kRunning, "its planned slot began", PausedBy::kNobody,
                                            detail_json));
  SUNWIND_RETURN_IF_ERROR(store_.Transition(id, JobPhase::kFailed, reason, PausedBy::kNobody, detail_json));
  ended_in_tick_.push_back({id, at});
  return Status::Ok();
}

Status Service::PollRunning() {
  std::vector<std::string> running;
  for (const JobState& j : queue_->jobs()) {
    if (j.running && !j.finished) running.push_back(j.spec->id);
  }
  // One job its executor cannot tell about now (slurmctld down) does not
  // keep the others from being learnt about; it is asked again next tick.
  Status unavailable = Status::Ok();
  for (const auto& id : running) {
    SUNWIND_ASSIGN_OR_RETURN(StoredLaunch launch, LaunchOf(id));
    auto st = launch.executor->Poll(launch.handle_json);
    if (st.status().code() == StatusCode::kUnavailable) {
      unavailable = Status::Unavailable("job " + id + ": " + st.status().message());
      continue;
    }
    if (!st.ok()) return st.status();
    if (st->state == ProcessState::kRunning) continue;
    SUNWIND_RETURN_IF_ERROR(RecordEnd(id, *st, "its process ended", /*in_tick=*/false));
  }
  return unavailable;
}

Status Service::Recover() {
  const TimePoint now = clock_.Now();
  SUNWIND_ASSIGN_OR_RETURN(std::vector<JobRecord> all, store_.List());

  // The executor may know of a launch newer than the stored one: the local
  // job directory's handle is written before Start returns, and Slurm knows
  // every job it was given; the daemon may have died between launching a job
  // and recording that it runs. Each executor is asked once about all the
  // jobs that may have run on it (for Slurm: one squeue and one sacct).
  struct Candidates {
    std::optional<StoredLaunch> stored;
    std::vector<std::string> regions;  // where it last ran first, then where it may run
  };
  std::map<std::string, Candidates> candidates_of;
  std::map<JobExecutor*, std::pair<std::vector<std::string>, TimePoint>> to_ask;  // ids, earliest submission
  for (const JobRecord& job : all) {
    if (IsFinal(job.state)) continue;
    Candidates& c = candidates_of[job.id];
    if (auto l = LaunchOf(job.id); l.ok()) {
      c.stored = *l;
      c.regions.push_back(l->region);
    }
    if (auto allowed = ResolveRegions(job.submission); allowed.ok()) {
      for (const Region* r : *allowed) c.regions.push_back(r->id);
    }
    for (const std::string& region : c.regions) {
      JobExecutor* executor = ExecutorFor(region);
      if (!executor) continue;
      auto& [ids, since] = to_ask.try_emplace(executor, std::vector<std::string>{}, job.created_at).first->second;
      if (ids.empty() || ids.back() != job.id) ids.push_back(job.id);
      since = std::min(since, job.created_at);
    }
  }
  std::map<JobExecutor*, Result<std::map<std::string, Launch>>> known;
  for (const auto& [executor, ask] : to_ask) known.emplace(executor, executor->FindLatest(ask.first, ask.second));

  for (JobRecord& job : all) {
    if (IsFinal(job.state)) continue;
    const std::string id = job.id;
    SUNWIND_ASSIGN_OR_RETURN(std::vector<JobEvent> events, store_.Events(id));
    const RunHistory history = HistoryOf(events, now);
    JobState state;
    state.work_done = std::min(history.ran, job.submission.duration);
    state.region = regions_.Find(history.region);
    state.started = history.ran > Duration{0};

    const Candidates& c = candidates_of[id];
    std::optional<StoredLaunch> stored = c.stored;
    std::optional<StoredLaunch> latest;
    std::optional<Launch> latest_launch;
    std::vector<JobExecutor*> asked;
    for (const std::string& region : c.regions) {
      JobExecutor* executor = ExecutorFor(region);
      if (!executor || std::find(asked.begin(), asked.end(), executor) != asked.end()) continue;
      asked.push_back(executor);
      const auto& found = known.at(executor);
      if (!found.ok()) {
        recovery_notes_.push_back(id + ": could not ask the " + executor->kind() + " executor of " + region +
                                  " about it: " + found.status().message());
        continue;
      }
      auto it = found->find(id);
      if (it == found->end()) continue;
      latest = StoredLaunch{executor, region, it->second.handle_json};
      latest_launch = it->second;
      if (stored && stored->executor == executor) break;  // where it last ran
    }
    auto same = [](const StoredLaunch& a, const StoredLaunch& b) {
      if (a.executor != b.executor) return false;
      auto da = a.executor->Describe(a.handle_json);
      auto db = b.executor->Describe(b.handle_json);
      return da.ok() && db.ok() && da->handle_json == db->handle_json;
    };
    const bool unrecorded_launch = latest && (!stored || !same(*latest, *stored));
    const bool may_have_launched =
        job.state == JobPhase::kQueued || (job.state == JobPhase::kPaused && job.paused_by == PausedBy::kScheduler &&
                                           job.submission.pause_mode == "checkpoint");
    if (unrecorded_launch && may_have_launched) {
      SUNWIND_RETURN_IF_ERROR(SaveLaunch(id, latest->region, *latest->executor, *latest_launch));
      SUNWIND_RETURN_IF_ERROR(store_.Transition(id, JobPhase::kRunning,
                                                "re-adopted: launched just before the daemon stopped",
                                                PausedBy::kNobody,
                                                json{{"region", latest->region},
                                                     {"launch", latest_launch->external_id}}
                                                    .dump()));
      SUNWIND_ASSIGN_OR_RETURN(job, store_.Get(id));
      state.region = regions_.Find(latest->region);
      stored = latest;
    }

    if (job.state == JobPhase::kRunning) {
      state.started = true;
      state.running = true;
      if (!state.region) state.region = regions_.Find(job.submission.home_region);
      Track(job, state);
      if (!stored) {
        SUNWIND_RETURN_IF_ERROR(RecordEnd(id, ProcessStatus{}, "no record of its process", false));
        recovery_notes_.push_back(id + ": was running; no handle found");
        continue;
      }
      auto status = stored->executor->Poll(stored->handle_json);
      if (status.status().code() == StatusCode::kUnavailable) {
        recovery_notes_.push_back(id + ": kept as running; its executor does not answer now (" +
                                  status.status().message() + ")");
        continue;
      }
      ProcessStatus st = status.ok() ? *status : ProcessStatus{};
      const std::string name = stored->executor->Describe(stored->handle_json).value_or(Launch{}).external_id;
      if (st.state == ProcessState::kRunning) {
        recovery_notes_.push_back(id + ": re-adopted; " + name + " still runs");
      } else {
        SUNWIND_RETURN_IF_ERROR(RecordEnd(id, st, "ended while the daemon was down", false));
        recovery_notes_.push_back(id + ": ended while the daemon was down (" + ProcessStateName(st.state) + ")");
      }
      continue;
    }
    if (job.state == JobPhase::kPaused) {
      state.started = state.started || stored.has_value();
      state.held = job.paused_by == PausedBy::kUser;
      if (state.started && !state.region) state.region = regions_.Find(job.submission.home_region);
      Track(job, state);
      recovery_notes_.push_back(id + ": stays paused (by " + PausedByName(job.paused_by) + ")");
      continue;
    }
    // Queued: never started, or re-queued after its process was lost.
    if (state.started && !state.region) state.region = regions_.Find(job.submission.home_region);
    Track(job, state);
  }
  return Status::Ok();
}

void Service::DrainPending() {
  std::vector<JobRecord> submitted;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    submitted.swap(pending_);
  }
  for (const JobRecord& job : submitted) Track(job, JobState{});
}

Result<JobRecord> Service::Submit(JobSubmission submission) {
  // Stored at once, handed to the core at its next call: a submission never
  // waits for a tick that is planning other jobs.
  const TimePoint now = clock_.Now();
  if (submission.earliest_start < now) submission.earliest_start = now;
  SUNWIND_RETURN_IF_ERROR(ValidateSubmission(submission));
  SUNWIND_RETURN_IF_ERROR(ResolveRegions(submission).status());
  SUNWIND_ASSIGN_OR_RETURN(std::string id, store_.Create(submission));
  SUNWIND_ASSIGN_OR_RETURN(JobRecord job, store_.Get(id));
  std::lock_guard<std::mutex> lock(pending_mu_);
  pending_.push_back(job);
  return job;
}

// Reads go to the store only (it serialises its own calls), never wait for
// the core.
Result<std::vector<JobRecord>> Service::List(const JobFilter& filter) { return store_.List(filter); }

Result<JobDetail> Service::Show(const std::string& id) {
  JobDetail d;
  SUNWIND_ASSIGN_OR_RETURN(d.job, store_.Get(id));
  SUNWIND_ASSIGN_OR_RETURN(d.plan, store_.GetPlan(id));
  SUNWIND_ASSIGN_OR_RETURN(d.events, store_.Events(id));
  SUNWIND_ASSIGN_OR_RETURN(d.handle, store_.GetHandle(id));
  const TimePoint now = clock_.Now();
  RunHistory h = HistoryOf(d.events, now);
  d.ran = h.ran;
  d.region = h.region;
  d.overrun = h.ran > d.job.submission.duration;
  const TimePoint ended = IsFinal(d.job.state) ? d.job.updated_at : now;
  d.deadline_missed = d.job.state != JobPhase::kCancelled && ended > d.job.submission.deadline;
  if (d.handle) {
    if (auto stored = LaunchOf(id); stored.ok()) {
      if (auto launch = stored->executor->Describe(stored->handle_json); launch.ok()) {
        d.stdout_path = launch->stdout_path;
        d.stderr_path = launch->stderr_path;
        d.launch = launch->external_id;
      }
    }
  }
  return d;
}

Result<std::vector<RunningJob>> Service::Running() {
  JobFilter filter;
  filter.state = JobPhase::kRunning;
  SUNWIND_ASSIGN_OR_RETURN(std::vector<JobRecord> jobs, store_.List(filter));
  std::vector<RunningJob> out;
  for (const JobRecord& job : jobs) {
    RunningJob r;
    r.id = job.id;
    // The stored launch names its region: the meter asks every second, so
    // the event log is read only for launches stored before they did.
    if (auto launch = LaunchOf(job.id); launch.ok()) {
      r.region = launch->region;
      r.executor_kind = launch->executor->kind();
      if (auto pids = launch->executor->ProcessTree(launch->handle_json); pids.ok()) r.pids = std::move(pids).value();
    }
    if (r.region.empty()) {
      SUNWIND_ASSIGN_OR_RETURN(std::vector<JobEvent> events, store_.Events(job.id));
      r.region = HistoryOf(events, clock_.Now()).region;
    }
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::optional<SlurmAccounting>> Service::Accounting(const std::string& id) {
  SUNWIND_RETURN_IF_ERROR(store_.Get(id).status());
  auto launch = LaunchOf(id);
  if (launch.status().code() == StatusCode::kNotFound) return std::optional<SlurmAccounting>();
  if (!launch.ok()) return launch.status();
  return launch->executor->Accounting(launch->handle_json);
}

Result<JobRecord> Service::Pause(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  DrainPending();
  SUNWIND_ASSIGN_OR_RETURN(JobRecord job, store_.Get(id));
  if (job.state == JobPhase::kPaused && job.paused_by == PausedBy::kUser) {
    return Status(StatusCode::kFailedPrecondition, "job " + id + ": is paused already");
  }
  if (IsFinal(job.state)) return Status(StatusCode::kFailedPrecondition, "job " + id + ": has ended (" +
                                                                          JobPhaseName(job.state) + ")");
  if (job.state == JobPhase::kRunning) {
    SUNWIND_ASSIGN_OR_RETURN(bool paused, StopForPause(job, PausedBy::kUser, "paused by a user", /*in_tick=*/false));
    if (!paused) return store_.Get(id);  // it ended just then, and is recorded so
  } else {
    SUNWIND_RETURN_IF_ERROR(store_.Transition(id, JobPhase::kPaused,
                                              job.state == JobPhase::kQueued ? "held by a user before it started"
                                                                             : "a user took over the pause",
                                              PausedBy::kUser));
  }
  SUNWIND_RETURN_IF_ERROR(queue_->Hold(id));
  return store_.Get(id);
}

Result<JobRecord> Service::Resume(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  DrainPending();
  SUNWIND_ASSIGN_OR_RETURN(JobRecord job, store_.Get(id));
  if (job.state != JobPhase::kPaused || job.paused_by != PausedBy::kUser) {
    return Status(StatusCode::kFailedPrecondition,
                  "job " + id + ": is " + JobPhaseName(job.state) +
                      (job.state == JobPhase::kPaused ? " by the scheduler, which resumes it in its next planned slot"
                                                      : ", not paused by a user"));
  }
  const JobState* state = queue_->Find(id);
  if (!state || !state->started) {
    SUNWIND_RETURN_IF_ERROR(store_.Transition(id, JobPhase::kQueued, "released by a user: waits for its slot"));
    SUNWIND_RETURN_IF_ERROR(queue_->Release(id, /*running=*/false));
    return store_.Get(id);
  }
  SUNWIND_ASSIGN_OR_RETURN(StoredLaunch old, LaunchOf(id));
  SUNWIND_ASSIGN_OR_RETURN(Launch launch, old.executor->Resume(ExecutorJobFor(job), old.handle_json));
  SUNWIND_RETURN_IF_ERROR(SaveLaunch(id, old.region, *old.executor, launch));
  SUNWIND_RETURN_IF_ERROR(store_.Transition(id, JobPhase::kRunning, "resumed by a user", PausedBy::kNobody,
                                            json{{"region", old.region}, {"launch", launch.external_id}}.dump()));
  SUNWIND_RETURN_IF_ERROR(queue_->Release(id, /*running=*/true));
  return store_.Get(id);
}

Result<JobRecord> Service::Cancel(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  DrainPending();
  SUNWIND_ASSIGN_OR_RETURN(JobRecord job, store_.Get(id));
  if (IsFinal(job.state)) return Status(StatusCode::kFailedPrecondition, "job " + id + ": has ended (" +
                                                                          JobPhaseName(job.state) + ")");
  json detail = json::object();
  // A paused job may still hold its executor's attention: a stopped process,
  // or a Slurm job requeued held. Cancel says kNotFound where nothing is left.
  const bool launched = job.state == JobPhase::kRunning || job.state == JobPhase::kPaused;
  if (launched) {
    if (auto launch = LaunchOf(id); launch.ok()) {
      auto st = launch->executor->Cancel(launch->handle_json);
      if (st.ok()) detail = EndDetail(*st);
    }
  }
  SUNWIND_RETURN_IF_ERROR(store_.Transition(id, JobPhase::kCancelled, "cancelled by a user", PausedBy::kNobody,
                                            detail.dump()));
  if (queue_->Find(id)) (void)queue_->Ended(id, clock_.Now());
  return store_.Get(id);
}

Status Service::Tick() {
  std::lock_guard<std::mutex> lock(mu_);
  DrainPending();
  SUNWIND_RETURN_IF_ERROR(PollRunning());
  const long long period = clock_.Now().time_since_epoch() / options_.replan_every;
  const bool forecast_updated = last_forecast_.has_value() && *last_forecast_ != period;
  last_forecast_ = period;
  Status st = queue_->Tick(forecast_updated);
  for (const auto& [id, at] : ended_in_tick_) (void)queue_->Ended(id, at);
  ended_in_tick_.clear();
  return st;
}

}  // namespace sunwind
