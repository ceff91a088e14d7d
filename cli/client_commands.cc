// sunwind submit | jobs | show | pause | resume | cancel | logs: the client
// side of the daemon's HTTP API (issue 6). Each command parses its flags
// locally (so bad input is refused before anything is sent), calls the API
// through ApiClient, and prints either a human view or, with --json, the
// server's JSON as received.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <thread>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/daemon_connection.h"
#include "cli/flags.h"
#include "cli/output.h"
#include "core/units.h"

namespace sunwind {
namespace {

const char* const kStates[] = {"queued", "running", "paused", "done", "failed", "cancelled"};

// Text of a JSON field, or `fallback` when it is absent or null.
std::string Str(const Json& j, const char* key, const std::string& fallback = "") {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return fallback;
  if (j[key].is_string()) return j[key].get<std::string>();
  return j[key].dump();
}

std::optional<double> Num(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

std::string NumText(const Json& j, const char* key, int decimals) {
  auto v = Num(j, key);
  return v ? FormatNumber(*v, decimals) : "?";
}

std::string DurationText(const Json& j, const char* key) {
  auto v = Num(j, key);
  if (!v) return "?";
  if (*v <= 0) return "0s";
  return FormatDuration(Duration{static_cast<long long>(*v)});
}

// kWh with enough decimals that a small job does not read as 0.00.
std::string EnergyText(double kwh) { return FormatNumber(kwh, kwh < 0.01 ? 4 : kwh < 1 ? 3 : 2); }

std::string MassText(const Json& j, const char* key) {
  auto v = Num(j, key);
  return v ? FormatMass(*v) + " CO2eq" : "unknown";
}

std::string Join(const Json& list, const std::string& sep) {
  std::string out;
  if (!list.is_array()) return out;
  for (const auto& item : list) {
    if (!out.empty()) out += sep;
    out += item.is_string() ? item.get<std::string>() : item.dump();
  }
  return out;
}

std::string StateText(const Json& job) {
  std::string state = Str(job, "state", "?");
  std::string by = Str(job, "paused_by");
  if (state == "paused" && !by.empty()) state += " (by " + by + ")";
  return state;
}

bool IsFinal(const std::string& state) { return state == "done" || state == "failed" || state == "cancelled"; }

// A JOB argument: exactly one positional, safe to put in a path.
Result<std::string> JobArg(const Flags& flags) {
  if (flags.positional().empty()) return Status::InvalidArgument("JOB: required, e.g. j-000001 (see `sunwind jobs`)");
  if (flags.positional().size() > 1) {
    return Status::InvalidArgument("unexpected argument '" + flags.positional()[1] + "'");
  }
  return UrlEncode(flags.positional()[0]);
}

void PrintJson(CommandContext& ctx, const Json& j) { ctx.out << j.dump(2) << "\n"; }

// "+24h" from now on the client's clock, or an absolute time.
Result<TimePoint> ParseWhen(const std::string& flag, const std::string& text, TimePoint now) {
  if (!text.empty() && text[0] == '+') {
    auto d = ParseDuration(text.substr(1));
    if (!d.ok()) return d.status().WithContext("--" + flag);
    return now + *d;
  }
  auto t = ParseTime(text);
  if (!t.ok()) return t.status().WithContext("--" + flag);
  return *t;
}

// Common shape of every client command: parse, --help, connect.
struct Parsed {
  Flags flags;
  std::optional<DaemonConnection> connection;
  ApiClient* client = nullptr;  // the connection's
};

// Returns the exit code to stop with (help or an error), or nullopt to go on.
std::optional<int> Prepare(const Args& args, const std::vector<FlagSpec>& specs, const std::string& command,
                           const std::string& usage, CommandContext& ctx, Parsed& p) {
  auto flags = Flags::Parse(args, specs);
  if (!flags.ok()) return ReportError(ctx, command, flags.status());
  p.flags = std::move(flags).value();
  if (p.flags.Has("help")) {
    ctx.out << usage << "\n" << FlagsHelp(specs);
    return 0;
  }
  auto conn = DaemonConnection::FromFlags(p.flags);
  if (!conn.ok()) return ReportError(ctx, command, conn.status());
  p.connection = std::move(conn).value();
  p.client = &p.connection->client();
  return std::nullopt;
}

// ---- submit -----------------------------------------------------------------

const std::vector<FlagSpec>& SubmitFlags() {
  static const std::vector<FlagSpec> specs = WithDaemonFlags({
      {"name", true, "a name for the job (default: the command's program name)"},
      {"project", true, "the project it belongs to, for reports"},
      {"deadline", true, "when it must be done: a time (RFC 3339) or +24h from now (required)"},
      {"duration", true, "how long it runs, e.g. 3h or 90m (required)"},
      {"power", true, "its average draw, e.g. 900W or 0.9kW (required)"},
      {"regions", true, "regions it may run in, comma-separated or repeated (default: the daemon's)"},
      {"home-region", true, "where it would run right now, for the counterfactual"},
      {"interruptible", false, "it may be paused and resumed"},
      {"pause-mode", true, "checkpoint (signal, relaunch with SUNWIND_RESUME=1) or stop (SIGSTOP/SIGCONT)"},
      {"min-chunk", true, "interruptible: shortest run between pauses, e.g. 30m"},
      {"checkpoint-overhead", true, "interruptible: extra running time each pause costs, e.g. 5m"},
      {"earliest-start", true, "do not start before this time (RFC 3339 or +2h from now)"},
      {"workdir", true, "the working directory (default: the current one)"},
      {"env", true, "K=V set in its environment (repeatable)"},
      {"json", false, "print the daemon's answer as JSON"},
  });
  return specs;
}

// --env values are taken before the flag parser sees them: its lists split
// on commas, and a value may hold commas.
Result<std::vector<std::pair<std::string, std::string>>> TakeEnv(Args& args) {
  std::vector<std::pair<std::string, std::string>> env;
  Args rest;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {
      rest.insert(rest.end(), args.begin() + static_cast<long>(i), args.end());
      break;
    }
    std::string kv;
    if (args[i] == "--env") {
      if (i + 1 >= args.size()) return Status::InvalidArgument("--env: missing value");
      kv = args[++i];
    } else if (args[i].rfind("--env=", 0) == 0) {
      kv = args[i].substr(6);
    } else {
      rest.push_back(args[i]);
      continue;
    }
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return Status::InvalidArgument("--env: expected K=V, got '" + kv + "'");
    env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  args = std::move(rest);
  return env;
}

Result<Json> SubmitBody(const Flags& flags, const std::vector<std::pair<std::string, std::string>>& env,
                        TimePoint now) {
  if (flags.command().empty()) {
    return Status::InvalidArgument("the command to run goes after --, e.g. -- python3 train.py");
  }
  if (!flags.positional().empty()) {
    return Status::InvalidArgument("unexpected argument '" + flags.positional()[0] + "' (put the command after --)");
  }
  for (const char* required : {"deadline", "duration", "power"}) {
    if (!flags.Has(required)) return Status::InvalidArgument(std::string("--") + required + ": required");
  }
  Json body;
  std::string name = flags.GetOr("name", std::filesystem::path(flags.command()[0]).filename().string());
  if (name.empty()) return Status::InvalidArgument("--name: must not be empty");
  body["name"] = name;
  if (auto project = flags.Get("project")) body["project"] = *project;
  body["command"] = flags.command();
  std::string workdir = flags.GetOr("workdir", "");
  if (workdir.empty()) {
    std::error_code ec;
    workdir = std::filesystem::current_path(ec).string();
    if (ec) return Status::InvalidArgument("--workdir: the current directory cannot be read; give one");
  } else {
    std::error_code ec;
    auto abs = std::filesystem::absolute(workdir, ec);
    if (!ec) workdir = abs.lexically_normal().string();
  }
  body["working_dir"] = workdir;
  Json env_json = Json::object();
  for (const auto& [k, v] : env) env_json[k] = v;
  body["env"] = env_json;
  SUNWIND_ASSIGN_OR_RETURN(Duration duration, ParseDuration(*flags.Get("duration")));
  body["duration_s"] = duration.count();
  auto power = ParsePowerW(*flags.Get("power"));
  if (!power.ok()) return power.status().WithContext("--power");
  if (*power <= 0) return Status::InvalidArgument("--power: must be positive");
  body["power_w"] = JsonNumber(*power);
  SUNWIND_ASSIGN_OR_RETURN(TimePoint deadline, ParseWhen("deadline", *flags.Get("deadline"), now));
  body["deadline"] = FormatTime(deadline);
  if (auto earliest = flags.Get("earliest-start")) {
    SUNWIND_ASSIGN_OR_RETURN(TimePoint t, ParseWhen("earliest-start", *earliest, now));
    body["earliest_start"] = FormatTime(t);
  }
  bool interruptible = flags.Has("interruptible");
  body["interruptible"] = interruptible;
  if (auto mode = flags.Get("pause-mode")) {
    if (*mode != "checkpoint" && *mode != "stop") {
      return Status::InvalidArgument("--pause-mode: expected checkpoint or stop, got '" + *mode + "'");
    }
    body["pause_mode"] = *mode;
  }
  for (const auto& [flag, field] : {std::pair<const char*, const char*>{"min-chunk", "min_chunk_s"},
                                    {"checkpoint-overhead", "checkpoint_overhead_s"}}) {
    auto text = flags.Get(flag);
    if (!text) continue;
    if (!interruptible) return Status::InvalidArgument(std::string("--") + flag + ": only applies with --interruptible");
    auto d = ParseDuration(*text, /*allow_zero=*/true);
    if (!d.ok()) return d.status().WithContext(std::string("--") + flag);
    body[field] = d->count();
  }
  auto regions = flags.GetList("regions");
  if (!regions.empty()) body["allowed_regions"] = regions;
  if (auto home = flags.Get("home-region")) body["home_region"] = *home;
  return body;
}

// ---- show -------------------------------------------------------------------

void PrintPlan(std::ostream& out, const Json& plan) {
  out << "\nPlan (version " << Str(plan, "version", "?") << ", made " << Str(plan, "created_at", "?") << "):\n";
  Table t({"REGION", "START (UTC)", "END (UTC)", "GRID g/kWh", "ENERGY kWh", "CO2eq", "DATA"});
  const Json& intervals = plan.contains("intervals") ? plan["intervals"] : Json::array();
  for (const auto& iv : intervals) {
    auto g = Num(iv, "emissions_g");
    t.Add({Str(iv, "region", "?"), Str(iv, "start", "?"), Str(iv, "end", "?"), NumText(iv, "mean_intensity_g_per_kwh", 1),
           Num(iv, "energy_kwh") ? EnergyText(*Num(iv, "energy_kwh")) : "?", g ? FormatMass(*g) : "?", Str(iv, "kind", "?")});
  }
  std::istringstream rendered(t.Render());
  for (std::string line; std::getline(rendered, line);) out << "  " << line << "\n";
  out << "Expected:  " << (Num(plan, "expected_energy_kwh") ? EnergyText(*Num(plan, "expected_energy_kwh")) : "?") << " kWh IT energy, "
      << MassText(plan, "expected_emissions_g") << " (grid intensity from the data below)\n";
  if (plan.contains("run_now") && plan["run_now"].is_object()) {
    const Json& now = plan["run_now"];
    out << "Run now:   " << Str(now, "region", "?") << " from " << Str(now, "start", "?") << " to " << Str(now, "end", "?")
        << ": ";
    if (Num(now, "emissions_g")) {
      out << MassText(now, "emissions_g") << " (mean " << NumText(now, "mean_intensity_g_per_kwh", 1) << " g/kWh)\n";
    } else {
      out << "unknown (gap in data)\n";
    }
  }
  if (Num(plan, "saving_g")) {
    out << "Saving:    " << MassText(plan, "saving_g") << " (" << NumText(plan, "saving_pct", 1)
        << " % less than running now)\n";
  }
  if (plan.contains("notes") && plan["notes"].is_array()) {
    for (const auto& n : plan["notes"]) out << "Note:      " << (n.is_string() ? n.get<std::string>() : n.dump()) << "\n";
  }
  std::vector<std::string> seen;
  bool header = false;
  for (const auto& iv : intervals) {
    std::string source = Str(iv, "source");
    if (source.empty() || std::find(seen.begin(), seen.end(), source) != seen.end()) continue;
    seen.push_back(source);
    if (!header) out << "Data:\n", header = true;
    out << "  " << Str(iv, "region", "?") << " (" << Str(iv, "kind", "?") << "): " << source << "\n";
  }
}

void PrintDetail(std::ostream& out, const Json& j) {
  out << Str(j, "id", "?") << "  " << Str(j, "name", "?");
  if (!Str(j, "project").empty()) out << "  (project " << Str(j, "project") << ")";
  out << "\n";
  out << "State:     " << StateText(j) << "\n";
  out << "Command:   " << Join(j.value("command", Json::array()), " ") << "\n";
  out << "Workdir:   " << Str(j, "working_dir", "?") << "\n";
  std::string env = Join(j.value("env_names", Json::array()), ", ");
  if (!env.empty()) out << "Env:       " << env << " (values not shown)\n";
  out << "Job:       " << DurationText(j, "duration_s") << " at ";
  auto power = Num(j, "power_w");
  out << (power ? FormatPower(*power) : "?");
  auto duration = Num(j, "duration_s");
  if (power && duration) out << " = " << EnergyText(*power * *duration / 3.6e6) << " kWh (duration × power, as submitted)";
  out << "\n";
  if (!Str(j, "earliest_start").empty()) out << "Earliest:  " << Str(j, "earliest_start") << "\n";
  out << "Deadline:  " << Str(j, "deadline", "?") << "\n";
  if (j.value("interruptible", false)) {
    out << "Pausing:   interruptible, " << Str(j, "pause_mode", "checkpoint") << " mode, min chunk "
        << DurationText(j, "min_chunk_s") << ", checkpoint overhead " << DurationText(j, "checkpoint_overhead_s") << "\n";
  } else {
    out << "Pausing:   not interruptible (runs in one piece)\n";
  }
  std::string regions = Join(j.value("allowed_regions", Json::array()), ", ");
  out << "Regions:   " << (regions.empty() ? "(daemon default)" : regions);
  if (!Str(j, "home_region").empty()) out << "; home " << Str(j, "home_region");
  out << "\n";
  out << "Created:   " << Str(j, "created_at", "?") << ", updated " << Str(j, "updated_at", "?") << "\n";

  if (j.contains("plan") && j["plan"].is_object()) {
    PrintPlan(out, j["plan"]);
  } else {
    out << "\nPlan:      none yet\n";
  }

  out << "\nHistory:\n";
  const Json& events = j.contains("events") && j["events"].is_array() ? j["events"] : Json::array();
  if (events.empty()) out << "  (no events)\n";
  for (const auto& e : events) {
    out << "  " << Str(e, "at", "?") << "  " << Str(e, "from", "-") << " -> " << Str(e, "to", "?");
    if (!Str(e, "paused_by").empty()) out << " (by " << Str(e, "paused_by") << ")";
    if (!Str(e, "reason").empty()) out << "  " << Str(e, "reason");
    if (e.contains("detail") && e["detail"].is_object() && !e["detail"].empty()) out << "  " << e["detail"].dump();
    out << "\n";
  }

  out << "\n";
  if (!Str(j, "region").empty()) out << "Region:    " << Str(j, "region") << "\n";
  out << "Ran:       " << DurationText(j, "ran_s") << " of " << DurationText(j, "duration_s") << " (from the event log)";
  if (j.value("overrun", false)) out << "  OVERRUN: ran longer than its duration";
  if (j.value("deadline_missed", false)) out << "  DEADLINE MISSED";
  out << "\n";
  if (!Str(j, "stdout_path").empty() || !Str(j, "stderr_path").empty()) {
    out << "Logs:      stdout " << Str(j, "stdout_path", "-") << "\n           stderr " << Str(j, "stderr_path", "-")
        << "\n           (sunwind logs " << Str(j, "id", "JOB") << " [--stderr] [--follow])\n";
  }
}

}  // namespace

int SubmitCommand(const Args& raw_args, CommandContext& ctx) {
  Args args = raw_args;
  auto env = TakeEnv(args);
  if (!env.ok()) return ReportError(ctx, "submit", env.status());
  Parsed p;
  if (auto code = Prepare(args, SubmitFlags(), "submit",
                          "usage: sunwind submit --deadline T|+24h --duration 3h --power 0.9kW [--name N] [--project P]\n"
                          "                      [--regions R1,R2] [--home-region R] [--interruptible] [--pause-mode checkpoint|stop]\n"
                          "                      [--min-chunk 30m] [--checkpoint-overhead 5m] [--earliest-start T]\n"
                          "                      [--workdir DIR] [--env K=V]... [--json] -- COMMAND [ARGS...]\n\n"
                          "Queues a job with the sunwind daemon, which plans it into the cleanest window before its deadline.",
                          ctx, p)) {
    return *code;
  }
  auto body = SubmitBody(p.flags, *env, ctx.clock.Now());
  if (!body.ok()) return ReportError(ctx, "submit", body.status());
  auto job = p.client->Call("POST", "/v1/jobs", *body);
  if (!job.ok()) return ReportError(ctx, "submit", job.status());
  if (p.flags.Has("json")) {
    PrintJson(ctx, *job);
    return 0;
  }
  std::string id = Str(*job, "id", "?");
  ctx.out << "submitted " << id << " (" << StateText(*job) << ")\n";
  ctx.out << "next: sunwind show " << id << "   (its plan, state and logs)\n";
  return 0;
}

int JobsCommand(const Args& args, CommandContext& ctx) {
  static const std::vector<FlagSpec> specs = WithDaemonFlags({
      {"state", true, "only jobs in this state: queued, running, paused, done, failed or cancelled"},
      {"project", true, "only jobs of this project"},
      {"json", false, "print the daemon's answer as JSON"},
  });
  Parsed p;
  if (auto code = Prepare(args, specs, "jobs", "usage: sunwind jobs [--state S] [--project P] [--json]\n\nLists the daemon's jobs.",
                          ctx, p)) {
    return *code;
  }
  if (!p.flags.positional().empty()) {
    return ReportError(ctx, "jobs", Status::InvalidArgument("unexpected argument '" + p.flags.positional()[0] + "'"));
  }
  std::string query;
  if (auto state = p.flags.Get("state")) {
    if (std::find(std::begin(kStates), std::end(kStates), *state) == std::end(kStates)) {
      return ReportError(ctx, "jobs", Status::InvalidArgument("--state: expected queued, running, paused, done, failed or cancelled, got '" + *state + "'"));
    }
    query += "state=" + UrlEncode(*state);
  }
  if (auto project = p.flags.Get("project")) query += (query.empty() ? "" : "&") + std::string("project=") + UrlEncode(*project);
  auto answer = p.client->Call("GET", "/v1/jobs" + (query.empty() ? "" : "?" + query));
  if (!answer.ok()) return ReportError(ctx, "jobs", answer.status());
  if (p.flags.Has("json")) {
    PrintJson(ctx, *answer);
    return 0;
  }
  const Json& jobs = answer->is_object() && answer->contains("jobs") ? (*answer)["jobs"] : Json::array();
  if (jobs.empty()) {
    ctx.out << "no jobs" << (query.empty() ? "" : " match") << "; submit one with `sunwind submit`\n";
    return 0;
  }
  Table t({"ID", "NAME", "PROJECT", "STATE", "REGION/HOME", "DEADLINE (UTC)", "DURATION"});
  for (const auto& job : jobs) {
    std::string where = Str(job, "region");
    if (where.empty()) where = Str(job, "home_region");
    if (where.empty()) where = "-";
    t.Add({Str(job, "id", "?"), Str(job, "name", "?"), Str(job, "project", "-"), StateText(job), where,
           Str(job, "deadline", "?"), DurationText(job, "duration_s")});
  }
  ctx.out << t.Render();
  return 0;
}

int ShowCommand(const Args& args, CommandContext& ctx) {
  static const std::vector<FlagSpec> specs = WithDaemonFlags({{"json", false, "print the daemon's answer as JSON"}});
  Parsed p;
  if (auto code = Prepare(args, specs, "show",
                          "usage: sunwind show JOB [--json]\n\nA job's spec, plan, state history, where and when it ran.", ctx, p)) {
    return *code;
  }
  auto id = JobArg(p.flags);
  if (!id.ok()) return ReportError(ctx, "show", id.status());
  auto job = p.client->Call("GET", "/v1/jobs/" + *id);
  if (!job.ok()) return ReportError(ctx, "show", job.status());
  if (p.flags.Has("json")) {
    PrintJson(ctx, *job);
    return 0;
  }
  PrintDetail(ctx.out, *job);
  return 0;
}

namespace {

int ActionCommand(const std::string& action, const std::string& done, const Args& args, CommandContext& ctx) {
  static const std::vector<FlagSpec> specs = WithDaemonFlags({{"json", false, "print the daemon's answer as JSON"}});
  Parsed p;
  if (auto code = Prepare(args, specs, action, "usage: sunwind " + action + " JOB [--json]", ctx, p)) return *code;
  auto id = JobArg(p.flags);
  if (!id.ok()) return ReportError(ctx, action, id.status());
  auto job = p.client->Call("POST", "/v1/jobs/" + *id + ":" + action, Json::object());
  if (!job.ok()) return ReportError(ctx, action, job.status());
  if (p.flags.Has("json")) {
    PrintJson(ctx, *job);
    return 0;
  }
  ctx.out << done << " " << Str(*job, "id", p.flags.positional()[0]) << " (now " << StateText(*job) << ")\n";
  return 0;
}

}  // namespace

int PauseCommand(const Args& args, CommandContext& ctx) { return ActionCommand("pause", "paused", args, ctx); }
int ResumeCommand(const Args& args, CommandContext& ctx) { return ActionCommand("resume", "resumed", args, ctx); }
int CancelCommand(const Args& args, CommandContext& ctx) { return ActionCommand("cancel", "cancelled", args, ctx); }

int LogsCommand(const Args& args, CommandContext& ctx) {
  static const std::vector<FlagSpec> specs = WithDaemonFlags({
      {"stderr", false, "the job's stderr instead of its stdout"},
      {"follow", false, "keep printing new output until the job is done, failed or cancelled"},
  });
  Parsed p;
  if (auto code = Prepare(args, specs, "logs", "usage: sunwind logs JOB [--stderr] [--follow]\n\nA job's output.", ctx, p)) {
    return *code;
  }
  auto id = JobArg(p.flags);
  if (!id.ok()) return ReportError(ctx, "logs", id.status());
  std::string stream = p.flags.Has("stderr") ? "stderr" : "stdout";
  long long offset = 0;
  // Prints everything from `offset` on; returns false (with the error
  // reported) on failure.
  auto drain = [&]() -> Status {
    for (;;) {
      auto r = p.client->CallRaw("GET", "/v1/jobs/" + *id + "/logs?stream=" + stream + "&offset=" + std::to_string(offset));
      if (!r.ok()) return r.status();
      ctx.out << r->body;
      ctx.out.flush();
      long long next = offset + static_cast<long long>(r->body.size());
      if (auto h = r->Header("X-Next-Offset")) {
        char* end = nullptr;
        long long v = std::strtoll(h->c_str(), &end, 10);
        if (end != h->c_str() && v >= offset) next = v;
      }
      bool more = next > offset && !r->body.empty();
      offset = next;
      if (!more) return Status::Ok();
    }
  };
  if (!p.flags.Has("follow")) {
    Status s = drain();
    return s.ok() ? 0 : ReportError(ctx, "logs", s);
  }
  for (;;) {
    // The state is read before the logs: once a final state is seen, the
    // drain that follows has every byte the job wrote.
    auto job = p.client->Call("GET", "/v1/jobs/" + *id);
    if (!job.ok()) return ReportError(ctx, "logs", job.status());
    Status s = drain();
    if (!s.ok()) return ReportError(ctx, "logs", s);
    if (IsFinal(Str(*job, "state"))) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace sunwind
