#include "service/service.h"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "executors/handle_file.h"
#include "service/plan_json.h"

namespace sunwind {

using nlohmann::json;

namespace {

constexpr const char* kLocal = "local";

std::string HandleJson(const ProcessHandle& h) {
  return json{{"pid", h.job_pid},
              {"supervisor_pid", h.supervisor_pid},
              {"job_dir", h.job_dir},
              {"stdout", h.stdout_path},
              {"stderr", h.stderr_path},
              {"started", FormatTime(h.started)},
              {"text", FormatHandle(h)}}
      .dump();
}

Result<ProcessHandle> ParseHandleJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string()) {
    return Status::Internal("stored executor handle is not one this sunwind wrote");
  }
  return ParseHandle(j["text"].get<std::string>());
}

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
class Service::FetchView final : public IntensityView {
 public:
  explicit FetchView(FetchIntensity fetch) : fetch_(std::move(fetch)) {}
  std::string Name() const override { return "providers"; }
  Result<RegionSeries> Ahead(const Region* region, TimePoint now, TimePoint to) override {
    return fetch_(region, now, std::max(to, now + kForecastStep), kForecastStep);
  }

 private:
  FetchIntensity fetch_;
};

// The scheduler core's hands: carries its start / pause / resume decisions
// out on the local executor and records each in the store.
class Service::Dispatcher final : public Executor {
 public:
  explicit Dispatcher(Service& s) : s_(s) {}

  Status Start(const JobSpec& spec, const Region& region, TimePoint at) override {
    SUNWIND_ASSIGN_OR_RETURN(JobRecord job, s_.store_.Get(spec.id));
    auto handle = s_.local_.Start(s_.LocalJobFor(job));
    json detail{{"region", region.id}};
    if (!handle.ok()) {
      detail["error"] = handle.status().message();
      return s_.RecordLaunchFailure(spec.id, "could not launch", detail.dump(), at);
    }
    SUNWIND_RETURN_IF_ERROR(s_.SaveHandle(spec.id, *handle));
    detail["pid"] = handle->job_pid;
    return s_.store_.Transition(spec.id, JobPhase::kRunning, "its planned slot began", PausedBy::kNobody,
                                detail.dump());
  }

  Status Pause(const JobSpec& spec, TimePoint at) override {
    SUNWIND_ASSIGN_OR_RETURN(JobRecord job, s_.store_.Get(spec.id));
    return s_.StopForPause(job, PausedBy::kScheduler, "its plan skips a dirty slot", /*in_tick=*/true).status();
  }

  Status Resume(const JobSpec& spec, TimePoint at) override {
    SUNWIND_ASSIGN_OR_RETURN(JobRecord job, s_.store_.Get(spec.id));
    SUNWIND_ASSIGN_OR_RETURN(ProcessHandle old, s_.HandleOf(spec.id));
    auto handle = s_.local_.Resume(s_.LocalJobFor(job), old);
    if (!handle.ok()) {
      return s_.RecordLaunchFailure(spec.id, "could not resume", json{{"error", handle.status().message()}}.dump(),
                                    at);
    }
    SUNWIND_RETURN_IF_ERROR(s_.SaveHandle(spec.id, *handle));
    return s_.store_.Transition(spec.id, JobPhase::kRunning, "resumed: its planned slot began", PausedBy::kNobody,
                                json{{"pid", handle->job_pid}}.dump());
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
      local_(runner, options.jobs_dir, options.grace),
      view_(std::make_unique<FetchView>(std::move(fetch))),
      dispatcher_(std::make_unique<Dispatcher>(*this)) {
  policy_ = std::make_unique<SunwindPolicy>("sunwind", *view_, /*replans=*/true);
  policy_->OnPlan([this](const JobSpec& spec, const Plan& plan) { SavePlan(spec, plan); });
  queue_ = std::make_unique<JobQueue>(clock_, *policy_, *dispatcher_, options_.step, JobEnd::kReported);
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
  SUNWIND_RETURN_IF_ERROR(s->Recover());
  return s;
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
    if (r->executor_kind != kLocal) {
      return Status::InvalidArgument(std::string(field) + ": region '" + id + "' is bound to the '" +
                                     r->executor_kind + "' executor, which this daemon does not run");
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

LocalJob Service::LocalJobFor(const JobRecord& job) const {
  LocalJob lj;
  lj.id = job.id;
  lj.argv = job.submission.command;
  lj.working_dir = job.submission.working_dir;
  for (const auto& [k, v] : job.submission.env) lj.env.emplace_back(k, v);
  lj.env.emplace_back("SUNWIND_JOB_ID", job.id);
  lj.pause_mode = job.submission.pause_mode == "stop" ? PauseMode::kStop : PauseMode::kCheckpoint;
  return lj;
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

Result<ProcessHandle> Service::HandleOf(const std::string& id) {
  SUNWIND_ASSIGN_OR_RETURN(auto stored, store_.GetHandle(id));
  if (!stored) return Status::NotFound("job " + id + ": never launched");
  return ParseHandleJson(stored->handle_json);
}

Status Service::SaveHandle(const std::string& id, const ProcessHandle& handle) {
  return store_.SaveHandle(id, kLocal, HandleJson(handle));
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
  SUNWIND_ASSIGN_OR_RETURN(ProcessHandle handle, HandleOf(job.id));
  auto status = local_.Pause(LocalJobFor(job), handle);
  if (!status.ok() && status.status().code() != StatusCode::kNotFound) return status.status();
  const ProcessStatus st = status.ok() ? *status : local_.Poll(handle).value_or(ProcessStatus{});
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
  for (const auto& id : running) {
    SUNWIND_ASSIGN_OR_RETURN(ProcessHandle handle, HandleOf(id));
    SUNWIND_ASSIGN_OR_RETURN(ProcessStatus st, local_.Poll(handle));
    if (st.state == ProcessState::kRunning) continue;
    SUNWIND_RETURN_IF_ERROR(RecordEnd(id, st, "its process ended", /*in_tick=*/false));
  }
  return Status::Ok();
}

Status Service::Recover() {
  const TimePoint now = clock_.Now();
  SUNWIND_ASSIGN_OR_RETURN(std::vector<JobRecord> all, store_.List());
  for (JobRecord& job : all) {
    if (IsFinal(job.state)) continue;
    const std::string id = job.id;
    SUNWIND_ASSIGN_OR_RETURN(std::vector<JobEvent> events, store_.Events(id));
    const RunHistory history = HistoryOf(events, now);
    JobState state;
    state.work_done = std::min(history.ran, job.submission.duration);
    state.region = regions_.Find(history.region);
    state.started = history.ran > Duration{0};

    // The job's directory holds the handle of its latest launch, written
    // before Launch returned: newer than the stored one when the daemon died
    // between launching the job and recording that it runs.
    std::optional<ProcessHandle> stored;
    if (auto h = HandleOf(id); h.ok()) stored = *h;
    std::optional<ProcessHandle> latest;
    if (auto h = local_.FindHandle(id); h.ok()) latest = *h;
    const bool unrecorded_launch =
        latest && (!stored || latest->job_pid != stored->job_pid || latest->started != stored->started);
    const bool may_have_launched =
        job.state == JobPhase::kQueued || (job.state == JobPhase::kPaused && job.paused_by == PausedBy::kScheduler &&
                                           job.submission.pause_mode == "checkpoint");
    if (unrecorded_launch && may_have_launched) {
      SUNWIND_RETURN_IF_ERROR(SaveHandle(id, *latest));
      SUNWIND_RETURN_IF_ERROR(store_.Transition(id, JobPhase::kRunning,
                                                "re-adopted: launched just before the daemon stopped",
                                                PausedBy::kNobody, json{{"pid", latest->job_pid}}.dump()));
      SUNWIND_ASSIGN_OR_RETURN(job, store_.Get(id));
      stored = latest;
    }

    if (job.state == JobPhase::kRunning) {
      state.started = true;
      state.running = true;
      if (!state.region) state.region = regions_.Find(job.submission.home_region);
      Track(job, state);
      const ProcessHandle* handle = unrecorded_launch ? &*latest : (stored ? &*stored : nullptr);
      if (!handle) {
        SUNWIND_RETURN_IF_ERROR(RecordEnd(id, ProcessStatus{}, "no record of its process", false));
        recovery_notes_.push_back(id + ": was running; no handle found");
        continue;
      }
      if (unrecorded_launch && handle != &*stored) SUNWIND_RETURN_IF_ERROR(SaveHandle(id, *handle));
      auto status = local_.Poll(*handle);
      ProcessStatus st = status.ok() ? *status : ProcessStatus{};
      if (st.state == ProcessState::kRunning) {
        recovery_notes_.push_back(id + ": re-adopted; pid " + std::to_string(handle->job_pid) + " still runs");
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
    if (auto handle = ParseHandleJson(d.handle->handle_json); handle.ok()) {
      d.stdout_path = handle->stdout_path;
      d.stderr_path = handle->stderr_path;
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
    SUNWIND_ASSIGN_OR_RETURN(std::vector<JobEvent> events, store_.Events(job.id));
    RunningJob r;
    r.id = job.id;
    r.region = HistoryOf(events, clock_.Now()).region;
    r.executor_kind = kLocal;
    if (auto handle = HandleOf(job.id); handle.ok()) {
      if (auto pids = local_.ProcessTree(*handle); pids.ok()) r.pids = std::move(pids).value();
    }
    out.push_back(std::move(r));
  }
  return out;
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
  SUNWIND_ASSIGN_OR_RETURN(ProcessHandle old, HandleOf(id));
  SUNWIND_ASSIGN_OR_RETURN(ProcessHandle handle, local_.Resume(LocalJobFor(job), old));
  SUNWIND_RETURN_IF_ERROR(SaveHandle(id, handle));
  SUNWIND_RETURN_IF_ERROR(store_.Transition(id, JobPhase::kRunning, "resumed by a user", PausedBy::kNobody,
                                            json{{"pid", handle.job_pid}}.dump()));
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
  const bool process_alive =
      job.state == JobPhase::kRunning || (job.state == JobPhase::kPaused && job.submission.pause_mode == "stop");
  if (process_alive) {
    if (auto handle = HandleOf(id); handle.ok()) {
      auto st = local_.Cancel(*handle);
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
