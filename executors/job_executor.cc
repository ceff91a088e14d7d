#include "executors/job_executor.h"

#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "executors/handle_file.h"

namespace sunwind {

using nlohmann::json;

namespace {

Launch LaunchOf(const ProcessHandle& h) {
  return Launch{LocalJobExecutor::HandleJson(h), "pid " + std::to_string(h.job_pid), h.stdout_path, h.stderr_path};
}

Launch LaunchOf(const SlurmHandle& h) {
  return Launch{SlurmJobExecutor::HandleJson(h), "slurm job " + h.slurm_job_id, h.stdout_path, h.stderr_path};
}

// Slurm job ids are numbers; a requeue keeps the id, a new submission gets a
// larger one.
bool NewerSlurmId(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() > b.size() : a > b;
}

}  // namespace

// --- local -------------------------------------------------------------------

std::string LocalJobExecutor::HandleJson(const ProcessHandle& h) {
  return json{{"pid", h.job_pid},
              {"supervisor_pid", h.supervisor_pid},
              {"job_dir", h.job_dir},
              {"stdout", h.stdout_path},
              {"stderr", h.stderr_path},
              {"started", FormatTime(h.started)},
              {"text", FormatHandle(h)}}
      .dump();
}

Result<ProcessHandle> LocalJobExecutor::ParseHandleJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string()) {
    return Status::Internal("stored executor handle is not a local one this sunwind wrote");
  }
  return ParseHandle(j["text"].get<std::string>());
}

Result<Launch> LocalJobExecutor::Start(const ExecutorJob& job) {
  SUNWIND_ASSIGN_OR_RETURN(ProcessHandle h, local_.Start(job));
  return LaunchOf(h);
}

Result<ProcessStatus> LocalJobExecutor::Poll(const std::string& handle_json) {
  SUNWIND_ASSIGN_OR_RETURN(ProcessHandle h, ParseHandleJson(handle_json));
  return local_.Poll(h);
}

Result<ProcessStatus> LocalJobExecutor::Pause(const ExecutorJob& job, const std::string& handle_json) {
  SUNWIND_ASSIGN_OR_RETURN(ProcessHandle h, ParseHandleJson(handle_json));
  return local_.Pause(job, h);
}

Result<Launch> LocalJobExecutor::Resume(const ExecutorJob& job, const std::string& handle_json) {
  SUNWIND_ASSIGN_OR_RETURN(ProcessHandle old, ParseHandleJson(handle_json));
  SUNWIND_ASSIGN_OR_RETURN(ProcessHandle h, local_.Resume(job, old));
  return LaunchOf(h);
}

Result<ProcessStatus> LocalJobExecutor::Cancel(const std::string& handle_json) {
  SUNWIND_ASSIGN_OR_RETURN(ProcessHandle h, ParseHandleJson(handle_json));
  return local_.Cancel(h);
}

Result<std::map<std::string, Launch>> LocalJobExecutor::FindLatest(const std::vector<std::string>& job_ids,
                                                                  TimePoint) {
  std::map<std::string, Launch> found;
  for (const std::string& id : job_ids) {
    auto h = local_.FindHandle(id);
    if (h.status().code() == StatusCode::kNotFound) continue;
    if (!h.ok()) return h.status();
    found.emplace(id, LaunchOf(*h));
  }
  return found;
}

Result<Launch> LocalJobExecutor::Describe(const std::string& handle_json) const {
  SUNWIND_ASSIGN_OR_RETURN(ProcessHandle h, ParseHandleJson(handle_json));
  return LaunchOf(h);
}

Result<std::vector<pid_t>> LocalJobExecutor::ProcessTree(const std::string& handle_json) {
  SUNWIND_ASSIGN_OR_RETURN(ProcessHandle h, ParseHandleJson(handle_json));
  return local_.ProcessTree(h);
}

// --- slurm -------------------------------------------------------------------

std::string SlurmJobExecutor::HandleJson(const SlurmHandle& h) {
  return json{{"slurm_job_id", h.slurm_job_id}, {"cluster", h.cluster},         {"partition", h.partition},
              {"job_name", h.job_name},         {"job_dir", h.job_dir},         {"script", h.script_path},
              {"stdout", h.stdout_path},        {"stderr", h.stderr_path}}
      .dump();
}

Result<SlurmHandle> SlurmJobExecutor::ParseHandleJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("slurm_job_id") || !j["slurm_job_id"].is_string()) {
    return Status::Internal("stored executor handle is not a Slurm one this sunwind wrote");
  }
  SlurmHandle h;
  h.slurm_job_id = j["slurm_job_id"].get<std::string>();
  h.cluster = j.value("cluster", "");
  h.partition = j.value("partition", "");
  h.job_name = j.value("job_name", "");
  h.job_dir = j.value("job_dir", "");
  h.script_path = j.value("script", "");
  h.stdout_path = j.value("stdout", "");
  h.stderr_path = j.value("stderr", "");
  return h;
}

ProcessStatus SlurmJobExecutor::StatusOf(const SlurmStatus& s) {
  ProcessStatus p;
  switch (s.state) {
    case SlurmState::kPending:
    case SlurmState::kRunning:
      p.state = ProcessState::kRunning;
      break;
    case SlurmState::kSuspended:
    case SlurmState::kHeld:
      p.state = ProcessState::kRunning;
      p.stopped = true;
      break;
    case SlurmState::kCompleted:
      p.state = ProcessState::kExited;
      p.exit_code = s.exit_code;
      break;
    case SlurmState::kFailed:
      if (s.signal > 0) {
        p.state = ProcessState::kKilled;
        p.signal = s.signal;
      } else {
        p.state = ProcessState::kExited;
        p.exit_code = s.exit_code == 0 ? -1 : s.exit_code;  // failed, whatever Slurm's code says
      }
      break;
    case SlurmState::kCancelled:
      p.state = ProcessState::kKilled;
      p.signal = SIGTERM;
      break;
    case SlurmState::kLost:
      p.state = ProcessState::kLost;
      break;
  }
  return p;
}

SlurmJob SlurmJobExecutor::JobFor(const ExecutorJob& job) const {
  SlurmJob sj;
  sj.id = prefix_ + job.id;
  sj.argv = job.argv;
  sj.working_dir = job.working_dir;
  sj.env = job.env;
  sj.pause_mode = job.pause_mode;
  sj.checkpoint_signal = job.checkpoint_signal;
  return sj;
}

Result<Launch> SlurmJobExecutor::Start(const ExecutorJob& job) {
  SUNWIND_ASSIGN_OR_RETURN(SlurmHandle h, slurm_.Start(JobFor(job)));
  return LaunchOf(h);
}

Result<ProcessStatus> SlurmJobExecutor::Poll(const std::string& handle_json) {
  SUNWIND_ASSIGN_OR_RETURN(SlurmHandle h, ParseHandleJson(handle_json));
  SUNWIND_ASSIGN_OR_RETURN(SlurmStatus s, slurm_.Poll(h));
  return StatusOf(s);
}

Result<ProcessStatus> SlurmJobExecutor::Pause(const ExecutorJob& job, const std::string& handle_json) {
  SUNWIND_ASSIGN_OR_RETURN(SlurmHandle h, ParseHandleJson(handle_json));
  SUNWIND_ASSIGN_OR_RETURN(SlurmStatus s, slurm_.Pause(JobFor(job), h));
  // Checkpoint mode: the run ended with exit 0 and the job is held, or it
  // was still pending and is only held; both are paused, as a local job
  // that checkpointed and exited 0.
  if (job.pause_mode == PauseMode::kCheckpoint &&
      (s.state == SlurmState::kHeld || (s.state == SlurmState::kCompleted && s.exit_code == 0))) {
    ProcessStatus paused;
    paused.state = ProcessState::kExited;
    paused.exit_code = 0;
    return paused;
  }
  return StatusOf(s);
}

Result<Launch> SlurmJobExecutor::Resume(const ExecutorJob& job, const std::string& handle_json) {
  SUNWIND_ASSIGN_OR_RETURN(SlurmHandle old, ParseHandleJson(handle_json));
  SUNWIND_ASSIGN_OR_RETURN(SlurmHandle h, slurm_.Resume(JobFor(job), old));
  return LaunchOf(h);
}

Result<ProcessStatus> SlurmJobExecutor::Cancel(const std::string& handle_json) {
  SUNWIND_ASSIGN_OR_RETURN(SlurmHandle h, ParseHandleJson(handle_json));
  SUNWIND_ASSIGN_OR_RETURN(SlurmStatus s, slurm_.Cancel(h));
  return StatusOf(s);
}

Result<std::map<std::string, Launch>> SlurmJobExecutor::FindLatest(const std::vector<std::string>& job_ids,
                                                                  TimePoint since) {
  SUNWIND_ASSIGN_OR_RETURN(std::vector<FoundSlurmJob> found, slurm_.FindJobs(since));
  std::map<std::string, const FoundSlurmJob*> latest;  // by Slurm's job name (prefix + id)
  for (const auto& f : found) {
    const FoundSlurmJob*& l = latest[f.sunwind_id];
    if (!l || NewerSlurmId(f.handle.slurm_job_id, l->handle.slurm_job_id)) l = &f;
  }
  std::map<std::string, Launch> out;
  for (const std::string& id : job_ids) {
    if (auto it = latest.find(prefix_ + id); it != latest.end()) out.emplace(id, LaunchOf(it->second->handle));
  }
  return out;
}

Result<Launch> SlurmJobExecutor::Describe(const std::string& handle_json) const {
  SUNWIND_ASSIGN_OR_RETURN(SlurmHandle h, ParseHandleJson(handle_json));
  return LaunchOf(h);
}

Result<std::optional<SlurmAccounting>> SlurmJobExecutor::Accounting(const std::string& handle_json) {
  SUNWIND_ASSIGN_OR_RETURN(SlurmHandle h, ParseHandleJson(handle_json));
  SUNWIND_ASSIGN_OR_RETURN(SlurmAccounting a, slurm_.Accounting(h));
  return std::optional<SlurmAccounting>(std::move(a));
}

// --- from a region's executor block -----------------------------------------

Result<std::unique_ptr<JobExecutor>> MakeJobExecutor(const std::string& kind,
                                                     const std::map<std::string, std::string>& options,
                                                     ProcessRunner& runner, CommandRunner& commands,
                                                     const std::string& jobs_dir, std::chrono::milliseconds grace,
                                                     const std::string& name_prefix) {
  // max_jobs is the scheduler's (how many run at once), not the executor's.
  auto refuse_unknown = [&](std::initializer_list<const char*> known) -> Status {
    for (const auto& [key, value] : options) {
      if (key == "max_jobs") continue;
      if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
        return Status::InvalidArgument("executor." + key + ": not an option of the " + kind + " executor");
      }
    }
    return Status::Ok();
  };
  if (kind == "local") {
    SUNWIND_RETURN_IF_ERROR(refuse_unknown({}));
    return std::unique_ptr<JobExecutor>(std::make_unique<LocalJobExecutor>(runner, jobs_dir, grace));
  }
  if (kind == "slurm") {
    // cpu_model, cpu_cores, cpu_w_per_core: the audit's (server/audit_routes.h).
    SUNWIND_RETURN_IF_ERROR(refuse_unknown(
        {"partition", "account", "cluster", "jobs_dir", "grace", "cpu_model", "cpu_cores", "cpu_w_per_core"}));
    SlurmOptions o;
    auto get = [&](const char* key) {
      auto it = options.find(key);
      return it == options.end() ? std::string() : it->second;
    };
    o.partition = get("partition");
    if (o.partition.empty()) return Status::InvalidArgument("executor.partition: missing (the Slurm partition to submit to)");
    o.account = get("account");
    o.cluster = get("cluster");
    o.jobs_dir = get("jobs_dir").empty() ? jobs_dir : get("jobs_dir");
    o.grace = grace;
    if (const std::string g = get("grace"); !g.empty()) {
      char* end = nullptr;
      const double seconds = std::strtod(g.c_str(), &end);
      if (end == g.c_str() || *end != '\0' || seconds <= 0) {
        return Status::InvalidArgument("executor.grace: '" + g + "' is not a positive number of seconds");
      }
      o.grace = std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    }
    return std::unique_ptr<JobExecutor>(std::make_unique<SlurmJobExecutor>(commands, std::move(o), name_prefix));
  }
  return Status::InvalidArgument("executor.kind: '" + kind + "' is not one sunwind runs (local, slurm)");
}

}  // namespace sunwind
