#include "executors/slurm_executor.h"

#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <thread>

namespace sunwind {
namespace {

constexpr const char* kJobNamePrefix = "sunwind-";

bool Contains(const std::string& text, const char* part) {
  return text.find(part) != std::string::npos;
}

std::string Trim(const std::string& text) {
  size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  return text.substr(b, e - b);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t at = text.find(sep, start);
    parts.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

// The first line of a tool's complaint, for error messages.
std::string FirstLine(const std::string& text) {
  std::vector<std::string> lines = Lines(text);
  return lines.empty() ? std::string("(no message)") : lines.front();
}

// Job ids become directory and Slurm job names: letters, digits, . _ - only.
bool IsPlainName(const std::string& id) {
  if (id.empty() || id.size() > 100 || id == "." || id == "..") return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

bool IsShellName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// What the Slurm tools print when slurmctld cannot be reached (22.05).
bool ControllerUnreachable(const std::string& stderr_text) {
  static const char* const kPhrases[] = {
      "Unable to contact slurm controller",      "Socket timed out on send/recv",
      "Zero Bytes were transmitted or received", "Unexpected message received",
      "backup controller in standby mode",       "Transport endpoint is not connected",
  };
  for (const char* phrase : kPhrases) {
    if (Contains(stderr_text, phrase)) return true;
  }
  return false;
}

bool InvalidJobId(const std::string& stderr_text) {
  return Contains(stderr_text, "Invalid job id");
}

// "2026-11-22T21:00:00" in this process's local time zone, the zone sbatch
// reads --begin in.
std::string SlurmLocalTime(TimePoint t) {
  time_t secs = static_cast<time_t>(t.time_since_epoch().count());
  struct tm local;
  localtime_r(&secs, &local);
  char text[32];
  strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &local);
  return text;
}

// "15" for SIGTERM -> "TERM"; the number when the name is unknown.
std::string SignalName(int signal) {
  const char* name = sigabbrev_np(signal);
  return name != nullptr ? std::string(name) : std::to_string(signal);
}

// key=value tokens of `scontrol show job -o`.
std::map<std::string, std::string> ScontrolFields(const std::string& line) {
  std::map<std::string, std::string> fields;
  std::istringstream in(line);
  std::string token;
  while (in >> token) {
    size_t eq = token.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    fields.emplace(token.substr(0, eq), token.substr(eq + 1));
  }
  return fields;
}

}  // namespace

const char* SlurmStateName(SlurmState state) {
  switch (state) {
    case SlurmState::kPending:
      return "pending";
    case SlurmState::kRunning:
      return "running";
    case SlurmState::kSuspended:
      return "suspended";
    case SlurmState::kHeld:
      return "held";
    case SlurmState::kCompleted:
      return "completed";
    case SlurmState::kFailed:
      return "failed";
    case SlurmState::kCancelled:
      return "cancelled";
    case SlurmState::kLost:
      return "lost";
  }
  return "unknown";
}

bool IsTerminal(SlurmState state) {
  return state == SlurmState::kCompleted || state == SlurmState::kFailed ||
         state == SlurmState::kCancelled || state == SlurmState::kLost;
}

std::string SlurmExecutor::ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::string SlurmExecutor::BatchScript(const SlurmJob& job) {
  std::string s;
  s += "#!/bin/sh\n";
  s += "# Written by sunwind for job " + job.id + ". Slurm runs it again after each\n";
  s += "# requeue (SLURM_RESTART_COUNT > 0): the job then resumes from its checkpoint.\n";
  s += "if [ \"${SLURM_RESTART_COUNT:-0}\" -gt 0 ]; then\n";
  s += "  " + std::string(kResumeEnvVar) + "=1\n";
  s += "  export " + std::string(kResumeEnvVar) + "\n";
  s += "else\n";
  s += "  unset " + std::string(kResumeEnvVar) + "\n";
  s += "fi\n";
  s += "SUNWIND_JOB_ID=" + ShellQuote(job.id) + "\n";
  s += "export SUNWIND_JOB_ID\n";
  for (const auto& [name, value] : job.env) {
    s += name + "=" + ShellQuote(value) + "\n";
    s += "export " + name + "\n";
  }
  s += "exec";
  for (const auto& arg : job.argv) s += " " + ShellQuote(arg);
  s += "\n";
  return s;
}

double SlurmExecutor::ParseSlurmDuration(const std::string& text) {
  std::string t = Trim(text);
  if (t.empty()) return -1;
  double days = 0;
  size_t dash = t.find('-');
  if (dash != std::string::npos) {
    char* end = nullptr;
    days = std::strtod(t.substr(0, dash).c_str(), &end);
    if (end == nullptr || *end != '\0') return -1;
    t = t.substr(dash + 1);
  }
  std::vector<std::string> parts = Split(t, ':');
  if (parts.size() < 2 || parts.size() > 3) return -1;
  double total = 0;
  for (const auto& part : parts) {
    if (part.empty()) return -1;
    char* end = nullptr;
    double v = std::strtod(part.c_str(), &end);
    if (end == nullptr || *end != '\0' || v < 0) return -1;
    total = total * 60 + v;
  }
  // "D-HH" (no minutes) does not occur for the fields read here; with a day
  // part Slurm always prints HH:MM:SS.
  if (dash != std::string::npos && parts.size() != 3) return -1;
  return days * 86400 + total;
}

// The inverse of SlurmLocalTime: Slurm's tools print times in the local time
// zone of the machine they run on, this one.
std::optional<TimePoint> SlurmExecutor::ParseSlurmTime(const std::string& text) {
  const std::string t = Trim(text);
  struct tm local = {};
  const char* end = strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &local);
  if (end == nullptr || *end != '\0') return std::nullopt;  // "Unknown", "None", ""
  local.tm_isdst = -1;  // let mktime find whether summer time was in force
  const time_t secs = mktime(&local);
  if (secs == static_cast<time_t>(-1)) return std::nullopt;
  return TimePoint{Duration{secs}};
}

SlurmStatus SlurmExecutor::StatusFrom(const std::string& slurm_state, const std::string& reason,
                                      const std::string& exit_code, const std::string& source) {
  SlurmStatus status;
  // sacct writes "CANCELLED by 0"; squeue and scontrol the bare word.
  std::string word = Trim(slurm_state);
  size_t space = word.find(' ');
  if (space != std::string::npos) word = word.substr(0, space);
  status.slurm_state = word;
  status.reason = Trim(reason);
  status.source = source;
  status.exit_code = -1;
  std::vector<std::string> code = Split(Trim(exit_code), ':');
  if (code.size() == 2 && !code[0].empty() && !code[1].empty()) {
    status.exit_code = std::atoi(code[0].c_str());
    status.signal = std::atoi(code[1].c_str());
  }
  std::string lower_reason = status.reason;
  std::transform(lower_reason.begin(), lower_reason.end(), lower_reason.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (word == "PENDING" || word == "REQUEUED" || word == "REQUEUE_FED") {
    status.state = Contains(lower_reason, "held") ? SlurmState::kHeld : SlurmState::kPending;
  } else if (word == "REQUEUE_HOLD" || word == "SPECIAL_EXIT") {
    status.state = SlurmState::kHeld;
  } else if (word == "RUNNING" || word == "COMPLETING" || word == "CONFIGURING" ||
             word == "RESIZING" || word == "SIGNALING" || word == "STAGE_OUT") {
    status.state = SlurmState::kRunning;
  } else if (word == "SUSPENDED" || word == "STOPPED") {
    status.state = SlurmState::kSuspended;
  } else if (word == "COMPLETED") {
    status.state = SlurmState::kCompleted;
    if (status.exit_code < 0) status.exit_code = 0;  // COMPLETED means exit 0
  } else if (word == "CANCELLED") {
    status.state = SlurmState::kCancelled;
  } else if (word == "FAILED" || word == "TIMEOUT" || word == "NODE_FAIL" ||
             word == "OUT_OF_MEMORY" || word == "BOOT_FAIL" || word == "DEADLINE" ||
             word == "PREEMPTED" || word == "REVOKED") {
    status.state = SlurmState::kFailed;
  } else {
    status.state = SlurmState::kLost;
  }
  return status;
}

std::vector<std::string> SlurmExecutor::Tool(const std::string& program) const {
  std::vector<std::string> argv{program};
  if (!options_.cluster.empty()) {
    argv.push_back("-M");
    argv.push_back(options_.cluster);
  }
  return argv;
}

Result<CommandResult> SlurmExecutor::RunTool(const std::vector<std::string>& argv) {
  Result<CommandResult> result = runner_.Run(argv, options_.command_timeout);
  if (!result.ok()) {
    if (result.status().code() == StatusCode::kNotFound) {
      return Status(StatusCode::kFailedPrecondition,
                    "slurm: " + argv[0] + " not found in PATH (is the Slurm client installed?)");
    }
    if (result.status().code() == StatusCode::kUnavailable) {
      return Status::Unavailable("slurm: slurmctld is not answering: " + result.status().message());
    }
    return result.status();
  }
  if (result->exit_code != 0 && ControllerUnreachable(result->stderr_text)) {
    return Status::Unavailable("slurm: slurmctld is not answering (" + argv[0] + ": " +
                               FirstLine(result->stderr_text) + "); the job is kept, retry later");
  }
  return result;
}

Result<CommandResult> SlurmExecutor::RunChecked(const std::vector<std::string>& argv) {
  SUNWIND_ASSIGN_OR_RETURN(CommandResult result, RunTool(argv));
  if (result.exit_code != 0) {
    std::string command = argv[0];
    for (size_t i = 1; i < argv.size() && i < 3; ++i) command += " " + argv[i];
    return Status(StatusCode::kFailedPrecondition,
                  "slurm: " + command + " failed (exit " + std::to_string(result.exit_code) +
                      "): " + FirstLine(result.stderr_text + "\n" + result.stdout_text));
  }
  return result;
}

SlurmHandle SlurmExecutor::HandleFor(const std::string& job_id,
                                     const std::string& slurm_job_id) const {
  SlurmHandle handle;
  handle.slurm_job_id = slurm_job_id;
  handle.cluster = options_.cluster;
  handle.partition = options_.partition;
  handle.job_name = kJobNamePrefix + job_id;
  handle.job_dir = options_.jobs_dir + "/" + job_id;
  handle.script_path = handle.job_dir + "/job.sh";
  handle.stdout_path = handle.job_dir + "/stdout.log";
  handle.stderr_path = handle.job_dir + "/stderr.log";
  return handle;
}

Result<SlurmHandle> SlurmExecutor::Start(const SlurmJob& job) {
  if (!IsPlainName(job.id)) {
    return Status::InvalidArgument("slurm: job id '" + job.id +
                                   "' must be letters, digits, '.', '_' or '-'");
  }
  if (job.argv.empty()) return Status::InvalidArgument("slurm: job " + job.id + ": empty argv");
  for (const auto& [name, value] : job.env) {
    if (!IsShellName(name)) {
      return Status::InvalidArgument("slurm: job " + job.id + ": env name '" + name +
                                     "' is not a shell identifier");
    }
  }
  if (options_.partition.empty()) return Status::InvalidArgument("slurm: no partition configured");
  const std::string name = kJobNamePrefix + job.id;

  // An earlier Start whose answer was lost (a timeout) may have submitted.
  std::vector<std::string> squeue = Tool("squeue");
  squeue.insert(squeue.end(),
                {"-h", "-t", "all", "--name=" + name, "-p", options_.partition, "-o", "%i|%T|%r"});
  SUNWIND_ASSIGN_OR_RETURN(CommandResult queued, RunChecked(squeue));
  for (const auto& line : Lines(queued.stdout_text)) {
    std::vector<std::string> f = Split(line, '|');
    if (f.size() < 3) continue;
    if (!IsTerminal(StatusFrom(f[1], f[2], "", "squeue").state)) return HandleFor(job.id, f[0]);
  }

  SlurmHandle handle = HandleFor(job.id, "");
  std::error_code ec;
  std::filesystem::create_directories(handle.job_dir, ec);
  if (ec) return Status::Internal("slurm: cannot create " + handle.job_dir + ": " + ec.message());
  {
    std::ofstream script(handle.script_path, std::ios::trunc);
    script << BatchScript(job);
    if (!script.good()) return Status::Internal("slurm: cannot write " + handle.script_path);
  }
  chmod(handle.script_path.c_str(), 0755);

  std::vector<std::string> argv = Tool("sbatch");
  argv.insert(
      argv.end(),
      {"--parsable", "--requeue", "--job-name=" + name, "--partition=" + options_.partition,
       "--output=" + handle.stdout_path, "--error=" + handle.stderr_path, "--open-mode=append",
       "--chdir=" + (job.working_dir.empty() ? handle.job_dir : job.working_dir), "--export=ALL"});
  if (!options_.account.empty()) argv.push_back("--account=" + options_.account);
  if (job.begin.has_value()) argv.push_back("--begin=" + SlurmLocalTime(*job.begin));
  if (job.cpus_per_task > 0) argv.push_back("--cpus-per-task=" + std::to_string(job.cpus_per_task));
  argv.push_back(handle.script_path);
  SUNWIND_ASSIGN_OR_RETURN(CommandResult submitted, RunChecked(argv));
  // --parsable prints "<job id>" or "<job id>;<cluster>".
  std::string id = Trim(Split(FirstLine(submitted.stdout_text), ';')[0]);
  if (id.empty() || !std::all_of(id.begin(), id.end(), ::isdigit)) {
    return Status::Internal("slurm: sbatch printed no job id: '" + submitted.stdout_text + "'");
  }
  handle.slurm_job_id = id;
  return handle;
}

Result<std::optional<SlurmStatus>> SlurmExecutor::FromScontrol(const std::string& slurm_job_id) {
  std::vector<std::string> argv = Tool("scontrol");
  argv.insert(argv.end(), {"show", "job", "-o", slurm_job_id});
  SUNWIND_ASSIGN_OR_RETURN(CommandResult shown, RunTool(argv));
  if (shown.exit_code != 0) {
    if (InvalidJobId(shown.stderr_text)) return std::optional<SlurmStatus>();
    return Status(StatusCode::kFailedPrecondition,
                  "slurm: scontrol show job failed: " + FirstLine(shown.stderr_text));
  }
  for (const auto& line : Lines(shown.stdout_text)) {
    auto fields = ScontrolFields(line);
    if (fields["JobId"] != slurm_job_id) continue;
    return std::optional<SlurmStatus>(
        StatusFrom(fields["JobState"], fields["Reason"], fields["ExitCode"], "scontrol"));
  }
  return std::optional<SlurmStatus>();
}

Result<SlurmStatus> SlurmExecutor::Poll(const SlurmHandle& handle) {
  const std::string& id = handle.slurm_job_id;
  std::vector<std::string> squeue = Tool("squeue");
  squeue.insert(squeue.end(), {"-h", "-t", "all", "-j", id, "-o", "%i|%T|%r"});
  SUNWIND_ASSIGN_OR_RETURN(CommandResult queued, RunTool(squeue));
  std::optional<SlurmStatus> from_squeue;
  if (queued.exit_code == 0) {
    for (const auto& line : Lines(queued.stdout_text)) {
      std::vector<std::string> f = Split(line, '|');
      if (f.size() >= 3 && f[0] == id) from_squeue = StatusFrom(f[1], f[2], "", "squeue");
    }
  } else if (!InvalidJobId(queued.stderr_text)) {
    return Status(StatusCode::kFailedPrecondition,
                  "slurm: squeue failed: " + FirstLine(queued.stderr_text));
  }
  if (from_squeue && !IsTerminal(from_squeue->state)) return *from_squeue;

  // Ended (or forgotten by slurmctld): accounting says how.
  std::vector<std::string> sacct = Tool("sacct");
  sacct.insert(sacct.end(), {"-n", "-P", "-X", "-j", id, "-o", "JobID,State,ExitCode"});
  Result<CommandResult> accounted = RunTool(sacct);
  if (accounted.ok() && accounted->exit_code == 0) {
    for (const auto& line : Lines(accounted->stdout_text)) {
      std::vector<std::string> f = Split(line, '|');
      if (f.size() < 3 || f[0] != id) continue;
      SlurmStatus status = StatusFrom(f[1], "", f[2], "sacct");
      if (IsTerminal(status.state) && status.state != SlurmState::kLost) return status;
    }
  }
  // No accounting (or it lags): slurmctld's memory of the job, if it has one.
  SUNWIND_ASSIGN_OR_RETURN(std::optional<SlurmStatus> shown, FromScontrol(id));
  if (shown && shown->state != SlurmState::kLost) return *shown;
  if (from_squeue) return *from_squeue;
  SlurmStatus lost;
  lost.state = SlurmState::kLost;
  lost.exit_code = -1;
  lost.source = "squeue+sacct+scontrol";
  return lost;
}

Result<SlurmStatus> SlurmExecutor::WaitForEnd(const SlurmHandle& handle,
                                              std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    SUNWIND_ASSIGN_OR_RETURN(SlurmStatus status, Poll(handle));
    if (IsTerminal(status.state) || std::chrono::steady_clock::now() >= deadline) return status;
    std::this_thread::sleep_for(options_.poll_interval);
  }
}

Result<SlurmStatus> SlurmExecutor::Pause(const SlurmJob& job, const SlurmHandle& handle) {
  const std::string& id = handle.slurm_job_id;
  SUNWIND_ASSIGN_OR_RETURN(SlurmStatus now, Poll(handle));
  if (IsTerminal(now.state)) {
    return Status::NotFound("slurm: job " + job.id + " (Slurm job " + id +
                            ") has already ended: " + SlurmStateName(now.state));
  }
  std::vector<std::string> scontrol = Tool("scontrol");
  if (job.pause_mode == PauseMode::kStop) {
    if (now.state == SlurmState::kSuspended) return now;
    if (now.state != SlurmState::kRunning) {
      return Status(StatusCode::kFailedPrecondition,
                    "slurm: cannot suspend job " + job.id + ": it is " + SlurmStateName(now.state));
    }
    scontrol.insert(scontrol.end(), {"suspend", id});
    Result<CommandResult> suspended = RunChecked(scontrol);
    if (!suspended.ok()) {
      if (Contains(suspended.status().message(), "ermission denied") ||
          Contains(suspended.status().message(), "Access")) {
        return suspended.status().WithContext(
            "stop mode needs Slurm operator or administrator rights; use checkpoint mode");
      }
      return suspended.status();
    }
    return Poll(handle);
  }

  // Checkpoint mode.
  if (now.state == SlurmState::kHeld) return now;
  if (now.state == SlurmState::kSuspended) {
    return Status(StatusCode::kFailedPrecondition,
                  "slurm: job " + job.id + " is suspended (stop mode): resume it first");
  }
  if (now.state == SlurmState::kPending) {
    scontrol.insert(scontrol.end(), {"hold", id});
    SUNWIND_RETURN_IF_ERROR(RunChecked(scontrol).status());
    return Poll(handle);
  }
  std::vector<std::string> scancel = Tool("scancel");
  scancel.insert(scancel.end(), {"--signal=" + SignalName(job.checkpoint_signal), "--full", id});
  Result<CommandResult> signalled = RunChecked(scancel);
  if (!signalled.ok()) {
    if (signalled.status().code() == StatusCode::kUnavailable) return signalled.status();
    // It may have ended just then, by itself.
    SUNWIND_ASSIGN_OR_RETURN(SlurmStatus after, Poll(handle));
    if (IsTerminal(after.state)) {
      return Status::NotFound("slurm: job " + job.id + " (Slurm job " + id +
                              ") has already ended: " + SlurmStateName(after.state));
    }
    return signalled.status();
  }
  SUNWIND_ASSIGN_OR_RETURN(SlurmStatus ended, WaitForEnd(handle, options_.grace));
  scontrol.insert(scontrol.end(), {"requeuehold", id});
  SUNWIND_RETURN_IF_ERROR(RunChecked(scontrol).status());
  {
    std::lock_guard<std::mutex> lock(requeued_mu_);
    requeued_at_[id] = std::chrono::steady_clock::now();
  }
  if (!IsTerminal(ended.state)) {
    // It broke the contract; the requeue kills it (SIGTERM, then SIGKILL
    // after Slurm's KillWait) and its progress since its last checkpoint is
    // lost.
    ended.state = SlurmState::kFailed;
    ended.exit_code = -1;
    ended.signal = SIGKILL;
    ended.reason = "did not exit within the grace period; killed by the requeue";
  }
  return ended;
}

Result<SlurmHandle> SlurmExecutor::Resume(const SlurmJob& job, const SlurmHandle& handle) {
  const std::string& id = handle.slurm_job_id;
  std::vector<std::string> scontrol = Tool("scontrol");
  if (job.pause_mode == PauseMode::kStop) {
    scontrol.insert(scontrol.end(), {"resume", id});
    SUNWIND_RETURN_IF_ERROR(RunChecked(scontrol).status());
    return handle;
  }
  std::optional<std::chrono::steady_clock::time_point> requeued;
  {
    std::lock_guard<std::mutex> lock(requeued_mu_);
    if (auto it = requeued_at_.find(id); it != requeued_at_.end()) {
      requeued = it->second;
      requeued_at_.erase(it);
    }
  }
  // See SlurmOptions::requeue_settle: at most that long, and only for a job
  // resumed right after its pause.
  if (requeued) std::this_thread::sleep_until(*requeued + options_.requeue_settle);
  std::vector<std::string> release = scontrol;
  release.insert(release.end(), {"release", id});
  Result<CommandResult> released = RunChecked(release);
  if (!released.ok()) {
    if (released.status().code() == StatusCode::kUnavailable) return released.status();
    // Not held (released already, by us or by hand) is fine if it is queued.
    SUNWIND_ASSIGN_OR_RETURN(SlurmStatus now, Poll(handle));
    if (now.state != SlurmState::kPending && now.state != SlurmState::kRunning) {
      return released.status();
    }
  }
  // Slurm delays a requeued job's start (its BeginTime moves about two
  // minutes ahead); the scheduler chose now. Best effort: the job starts
  // anyway once the delay passes.
  std::vector<std::string> update = scontrol;
  update.insert(update.end(), {"update", "JobId=" + id, "StartTime=now"});
  SUNWIND_RETURN_IF_ERROR(RunTool(update).status());
  return handle;
}

Result<SlurmStatus> SlurmExecutor::Cancel(const SlurmHandle& handle) {
  const std::string& id = handle.slurm_job_id;
  SUNWIND_ASSIGN_OR_RETURN(SlurmStatus now, Poll(handle));
  if (IsTerminal(now.state)) {
    return Status::NotFound("slurm: Slurm job " + id +
                            " has already ended: " + SlurmStateName(now.state));
  }
  std::vector<std::string> scancel = Tool("scancel");
  scancel.push_back(id);
  SUNWIND_RETURN_IF_ERROR(RunChecked(scancel).status());
  return WaitForEnd(handle, options_.grace);
}

Result<SlurmAccounting> SlurmExecutor::Accounting(const SlurmHandle& handle) {
  const std::string& id = handle.slurm_job_id;
  // Every record (-D: one per run) of the allocation and of its steps: the
  // allocation gives elapsed time, TRES and energy; the steps (the batch
  // step, one per run) carry the CPU time, and reach accounting a moment
  // after the job ends.
  std::vector<std::string> sacct = Tool("sacct");
  sacct.insert(sacct.end(), {"-n", "-P", "-D", "-j", id, "-o",
                             "JobID,State,ElapsedRaw,TotalCPU,AllocTRES,ConsumedEnergyRaw,Start,End"});
  Result<CommandResult> accounted = RunTool(sacct);
  if (accounted.ok() && accounted->exit_code == 0) {
    SlurmAccounting total;
    total.source = "sacct";
    double energy_j = 0;
    double cpu_s = 0;
    int batch_steps = 0;
    const std::string batch_id = id + ".batch";
    for (const auto& line : Lines(accounted->stdout_text)) {
      std::vector<std::string> f = Split(line, '|');
      if (f.size() < 8) continue;
      if (f[0] == batch_id || f[0].rfind(id + ".", 0) == 0) {
        // A step: CPU time. Only the batch step counts runs (srun steps are
        // children of it in time, not in CPU: their CPU adds up).
        double cpu = ParseSlurmDuration(f[3]);
        if (cpu > 0) cpu_s += cpu;
        if (f[0] == batch_id) ++batch_steps;
        continue;
      }
      if (f[0] != id) continue;
      if (Trim(f[1]) == "PENDING") continue;  // the requeued, not yet run record
      ++total.runs;
      total.elapsed_s += std::atof(f[2].c_str());
      if (!f[4].empty()) total.alloc_tres = f[4];
      energy_j += std::atof(f[5].c_str());
      // A running record's End is "Unknown": the span stays open.
      if (auto start = ParseSlurmTime(f[6])) total.run_spans.push_back({*start, ParseSlurmTime(f[7])});
    }
    if (total.runs > 0) {
      // Until every run's batch step is recorded the CPU time is partial.
      if (batch_steps >= total.runs) total.cpu_time_s = cpu_s;
      if (energy_j > 0) total.consumed_energy_j = energy_j;
      return total;
    }
  } else if (!accounted.ok() && accounted.status().code() == StatusCode::kFailedPrecondition) {
    return accounted.status();  // no sacct at all
  }
  // No accounting: what slurmctld still remembers of the latest run.
  std::vector<std::string> argv = Tool("scontrol");
  argv.insert(argv.end(), {"show", "job", "-o", id});
  SUNWIND_ASSIGN_OR_RETURN(CommandResult shown, RunTool(argv));
  for (const auto& line : Lines(shown.exit_code == 0 ? shown.stdout_text : "")) {
    auto fields = ScontrolFields(line);
    if (fields["JobId"] != id) continue;
    SlurmAccounting latest;
    latest.source = "scontrol";
    latest.runs = 1;
    double run = ParseSlurmDuration(fields["RunTime"]);
    latest.elapsed_s = run < 0 ? 0 : run;
    latest.alloc_tres = fields["TRES"];
    // A pending job's StartTime is Slurm's guess of when it will start, and
    // a running one's EndTime when its time limit runs out: neither happened.
    const SlurmState state = StatusFrom(fields["JobState"], "", "", "scontrol").state;
    auto start = ParseSlurmTime(fields["StartTime"]);
    if (start && state != SlurmState::kPending && state != SlurmState::kHeld) {
      latest.run_spans.push_back(
          {*start, IsTerminal(state) ? ParseSlurmTime(fields["EndTime"]) : std::nullopt});
    }
    return latest;
  }
  return Status::NotFound("slurm: no accounting for Slurm job " + id +
                          " (sacct has none and slurmctld no longer remembers it)");
}

Result<std::vector<FoundSlurmJob>> SlurmExecutor::FindJobs(TimePoint since) {
  std::vector<FoundSlurmJob> found;
  auto add = [&](const std::string& slurm_id, const std::string& name, SlurmStatus status) {
    if (name.rfind(kJobNamePrefix, 0) != 0) return;
    std::string job_id = name.substr(std::char_traits<char>::length(kJobNamePrefix));
    if (!IsPlainName(job_id)) return;
    for (auto& f : found) {
      if (f.handle.slurm_job_id != slurm_id) continue;
      // squeue names an ended job's state but not its exit code; sacct does.
      if (IsTerminal(f.status.state) && f.status.source == "squeue") f.status = std::move(status);
      return;
    }
    found.push_back(FoundSlurmJob{job_id, HandleFor(job_id, slurm_id), std::move(status)});
  };
  std::vector<std::string> squeue = Tool("squeue");
  squeue.insert(squeue.end(), {"-h", "-t", "all", "-p", options_.partition, "-o", "%i|%j|%T|%r"});
  SUNWIND_ASSIGN_OR_RETURN(CommandResult queued, RunChecked(squeue));
  for (const auto& line : Lines(queued.stdout_text)) {
    std::vector<std::string> f = Split(line, '|');
    if (f.size() >= 4) add(f[0], f[1], StatusFrom(f[2], f[3], "", "squeue"));
  }
  // Ended jobs slurmctld has forgotten: from accounting, where there is some.
  std::vector<std::string> sacct = Tool("sacct");
  sacct.insert(sacct.end(), {"-n", "-P", "-X", "-S", SlurmLocalTime(since), "-r",
                             options_.partition, "-o", "JobID,JobName,State,ExitCode"});
  Result<CommandResult> accounted = RunTool(sacct);
  if (accounted.ok() && accounted->exit_code == 0) {
    for (const auto& line : Lines(accounted->stdout_text)) {
      std::vector<std::string> f = Split(line, '|');
      if (f.size() >= 4) add(f[0], f[1], StatusFrom(f[2], "", f[3], "sacct"));
    }
  }
  return found;
}

}  // namespace sunwind
