// sunwind run: the one-shot form of the daemon. Plans the command with the
// same core as `sunwind plan`, says when and why it waits, sleeps until the
// chosen slot, runs and meters the command (as `sunwind measure`), then
// prints its audit (service/audit.h, as `sunwind audit` shows a daemon job)
// and writes a CodeCarbon row.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <thread>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/metered_command.h"
#include "core/units.h"
#include "metering/embodied.h"
#include "service/audit.h"
#include "service/plan_json.h"

namespace sunwind {
namespace {

constexpr double kMaxClockSpeed = 1e7;

const std::vector<FlagSpec>& RunFlags() {
  static const std::vector<FlagSpec> specs = WithMeterFlags({
      {"deadline", true, "when the command must be done: a time, or +8h from now (required)"},
      {"duration", true, "how long it runs, e.g. 1h (default: the median of its earlier runs)"},
      {"region", true, "where this machine draws its power (repeatable; default local:host); the first is where it runs"},
      {"power", true, "its draw for the plan, e.g. 300W (default: the mean of its earlier runs, else 1kW)"},
      {"history", true, "the file of earlier runs (default $SUNWIND_HOME/runs.json, else ~/.local/state/sunwind/runs.json)"},
      {"clock-speed", true, "run the clock N times faster while waiting (tests and demos; the command runs at real speed)"},
  });
  return specs;
}

std::string DefaultHistoryPath() {
  if (const char* home = std::getenv("SUNWIND_HOME"); home && *home) return std::string(home) + "/runs.json";
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state) return std::string(state) + "/sunwind/runs.json";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.local/state/sunwind/runs.json";
}

// runs.json: {"runs": [{command, start, duration_s, it_energy_kwh,
// mean_power_w, exit_code}]}, newest last. A missing file is no history.
Result<nlohmann::json> ReadHistory(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return nlohmann::json{{"runs", nlohmann::json::array()}};
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("runs") || !j["runs"].is_array()) {
    return Status::InvalidArgument("--history: " + path + " is not a sunwind run history (delete it to start again)");
  }
  return j;
}

// The median of `field` over the command's successful earlier runs.
std::optional<double> MedianOf(const nlohmann::json& history, const std::vector<std::string>& command,
                               const char* field, size_t* count = nullptr) {
  std::vector<double> v;
  for (const auto& r : history["runs"]) {
    if (r.value("command", nlohmann::json()) != nlohmann::json(command) || r.value("exit_code", 1) != 0) continue;
    if (r.contains(field) && r[field].is_number()) v.push_back(r[field].get<double>());
  }
  if (count) *count = v.size();
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

Status AppendHistory(const std::string& path, nlohmann::json history, nlohmann::json run) {
  history["runs"].push_back(std::move(run));
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << history.dump(1) << "\n";
    if (!out) return Status::Internal("--history: cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::Internal("--history: cannot write " + path + ": " + ec.message());
  return Status::Ok();
}

// The run's samples as the audit takes them (joules per interval).
MeteredEnergy AuditEnergy(const MeteredRun& run) {
  MeteredEnergy e;
  const double start_s = std::chrono::duration<double>(run.start.time_since_epoch()).count();
  double prev_s = 0, prev_cpu = 0, prev_gpu = 0, prev_ram = 0;
  for (const auto& s : run.samples) {
    EnergySample x;
    x.end_unix_s = start_s + s.elapsed_s;
    x.interval_s = s.elapsed_s - prev_s;
    x.cpu_j = (s.cpu_energy_kwh - prev_cpu) * 3.6e6;
    x.gpu_j = (s.gpu_energy_kwh - prev_gpu) * 3.6e6;
    x.ram_j = (s.ram_energy_kwh - prev_ram) * 3.6e6;
    prev_s = s.elapsed_s;
    prev_cpu = s.cpu_energy_kwh;
    prev_gpu = s.gpu_energy_kwh;
    prev_ram = s.ram_energy_kwh;
    if (x.interval_s > 0) e.samples.push_back(x);
  }
  e.cpu_method = run.cpu.method;
  e.gpu_method = run.gpu.method;
  e.ram_method = run.ram.method;
  return e;
}

// Grams with enough digits that a seconds-long command does not read as 0.
std::string Grams(std::optional<double> g) {
  if (!g) return "unknown";
  if (std::fabs(*g) >= 1000) return FormatMass(*g) + " CO2eq";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g g CO2eq", *g);
  return buf;
}

}  // namespace

int RunCommand(const Args& args, CommandContext& ctx) {
  const auto& specs = RunFlags();
  auto flags = Flags::Parse(args, specs);
  if (!flags.ok()) return ReportError(ctx, "run", flags.status());
  if (flags->Has("help")) {
    ctx.out << "usage: sunwind run --deadline +8h [--duration 1h] [--region R]... [--output emissions.csv] [--json]\n"
               "                   -- COMMAND ARGS...\n\n"
               "Plans COMMAND like `sunwind plan` (the cleanest window before the deadline, against running now),\n"
               "says when and why it waits, sleeps until the window, runs and meters COMMAND like `sunwind measure`,\n"
               "then prints its audit (to stderr; JSON to stdout with --json) and appends a CodeCarbon row to\n"
               "--output. Without --duration it uses the median duration of the same command's earlier successful\n"
               "runs, kept in --history. Exits with COMMAND's exit code; 2 for bad input, 3 when the deadline\n"
               "cannot be met, before anything runs.\n\n"
            << FlagsHelp(specs);
    return 0;
  }
  auto fail = [&](const Status& s) { return ReportError(ctx, "run", s); };
  if (!flags->positional().empty()) {
    return fail(Status::InvalidArgument("unexpected argument '" + flags->positional()[0] + "' (put the command after --)"));
  }
  if (flags->command().empty()) return fail(Status::InvalidArgument("no command: sunwind run [flags] -- COMMAND ARGS..."));
  if (!flags->Has("deadline")) return fail(Status::InvalidArgument("--deadline: required, e.g. --deadline +8h"));
  auto options = MeterOptionsFrom(*flags);
  if (!options.ok()) return fail(options.status());
  double speed = 1;
  if (auto s = flags->Get("clock-speed")) {
    char* end = nullptr;
    speed = std::strtod(s->c_str(), &end);
    if (s->empty() || *end != '\0' || !(speed >= 1) || speed > kMaxClockSpeed) {
      return fail(Status::InvalidArgument("--clock-speed: '" + *s + "' is not a number from 1 to 1e7"));
    }
  }
  const std::string history_path = flags->GetOr("history", DefaultHistoryPath());
  auto history = ReadHistory(history_path);
  if (!history.ok()) return fail(history.status());
  const auto& command = flags->command();

  auto app = App::Open(*flags, ctx.clock);
  if (!app.ok()) return fail(app.status());
  PlanRequest q;
  q.at = (*app)->at();

  const std::string deadline_text = *flags->Get("deadline");
  if (!deadline_text.empty() && deadline_text[0] == '+') {
    auto d = ParseDuration(deadline_text.substr(1));
    if (!d.ok()) return fail(d.status().WithContext("--deadline"));
    q.deadline = q.at + *d;
  } else {
    auto t = ParseTime(deadline_text);
    if (!t.ok()) return fail(t.status().WithContext("--deadline"));
    q.deadline = *t;
  }
  if (q.deadline <= q.at) {
    return fail(Status::InvalidArgument("--deadline: " + FormatTime(q.deadline) + " is not after now " + FormatTime(q.at)));
  }

  std::vector<std::string> plan_notes;
  size_t earlier = 0;
  if (auto d = flags->Get("duration")) {
    auto parsed = ParseDuration(*d);
    if (!parsed.ok()) return fail(parsed.status().WithContext("--duration"));
    q.duration = *parsed;
  } else if (auto median = MedianOf(*history, command, "duration_s", &earlier)) {
    q.duration = Duration{std::max(1LL, static_cast<long long>(std::ceil(*median)))};
    plan_notes.push_back("duration " + FormatDuration(q.duration) + ": the median of " + std::to_string(earlier) +
                         " earlier run(s) of this command (" + history_path + ")");
  } else {
    return fail(Status::InvalidArgument("--duration: required: no earlier successful run of this command in " +
                                        history_path + ", e.g. --duration 1h"));
  }
  if (auto p = flags->Get("power")) {
    auto parsed = ParsePowerW(*p);
    if (!parsed.ok()) return fail(parsed.status().WithContext("--power"));
    q.power_w = *parsed;
  } else if (auto mean = MedianOf(*history, command, "mean_power_w"); mean && *mean > 0) {
    q.power_w = *mean;
    plan_notes.push_back("power " + FormatPower(q.power_w) + ": measured on earlier runs of this command");
  } else {
    plan_notes.push_back("power " + FormatPower(q.power_w) +
                         " assumed (pass --power): the window does not depend on it, the grams do");
  }

  // Candidates: the regions given; the command runs in the first.
  std::vector<const Region*> regions;
  for (const auto& id : flags->GetList("region")) {
    auto r = RunRegion(**app, id);
    if (!r.ok()) return fail(r.status());
    regions.push_back(*r);
  }
  if (regions.empty()) {
    auto r = RunRegion(**app, std::nullopt);
    if (!r.ok()) return fail(r.status());
    regions.push_back(*r);
  }
  const Region* home = regions.front();
  const Duration step{3600};
  std::vector<RegionSeries> candidates;
  for (const auto* r : regions) {
    auto s = (*app)->Fetch(r, q.at, q.deadline, step);
    if (!s.ok()) return fail(s.status());
    candidates.push_back(std::move(s).value());
  }
  auto home_series = (*app)->Fetch(home, q.at, std::max(q.deadline, q.at + q.duration + step), step);
  if (!home_series.ok()) return fail(home_series.status());
  auto plan = PlanJob(candidates, *home_series, q);
  if (!plan.ok()) return fail(plan.status());
  if (plan->intervals.front().region != home) {
    // sunwind run executes here; a cleaner region is for the daemon.
    plan_notes.push_back("running in " + plan->intervals.front().region->id + " would emit " +
                         FormatMass(plan->emissions_g) + " CO2eq, but `sunwind run` runs the command here, in " +
                         home->id + "; submit it to a daemon bound to that region to use it");
    auto here = PlanJob({candidates.front()}, *home_series, q);
    if (!here.ok()) return fail(here.status());
    plan = std::move(here);
  }
  const PlannedInterval& slot = plan->intervals.front();

  // Waiting and metering read one clock: the real one, or from --at (and at
  // --clock-speed) a clock that starts there now that the plan is made.
  std::optional<ScaledClock> scaled;
  if (flags->Has("clock-speed") || !(*app)->at_from_clock()) scaled.emplace(q.at, speed);
  const Clock& clock = scaled ? static_cast<const Clock&>(*scaled) : ctx.clock;

  // When and why it waits.
  std::ostream& say = ctx.err;
  const TimePoint now = clock.Now();
  const bool waits = slot.start > now;
  say << "sunwind run: " << (waits ? "waiting until " + FormatTime(slot.start) + " (in " +
                                         FormatDuration(slot.start - now) + ")"
                                   : std::string("running now"))
      << " in " << home->id << " (zone " << home->zone << "): expected " << FormatMass(plan->emissions_g)
      << " CO2eq at " << FormatNumber(slot.mean_intensity_g_per_kwh, 1) << " g/kWh";
  if (std::isfinite(plan->run_now.emissions_g)) {
    say << " vs " << FormatMass(plan->run_now.emissions_g) << " running now (saving " << FormatMass(plan->saving_g)
        << ", " << FormatNumber(plan->saving_pct, 1) << " %)";
  }
  say << "\n  grid data: " << slot.kind << ", " << slot.source << "\n";
  for (const auto& n : plan_notes) say << "  Note: " << n << "\n";
  for (const auto& n : plan->notes) say << "  Note: " << n << "\n";
  if (scaled && speed != 1) say << "  (clock running " << FormatNumber(speed, 0) << "x faster: a test or demo)\n";
  say.flush();
  while (clock.Now() < slot.start) {
    const double real_s = std::chrono::duration<double>(slot.start - clock.Now()).count() / speed;
    std::this_thread::sleep_for(std::chrono::duration<double>(std::clamp(real_s, 0.001, 1.0)));
  }

  // The command starts at the slot; from there time runs at real speed, so
  // an accelerated clock does not stretch its few real seconds into hours.
  ScaledClock run_clock(waits ? slot.start : clock.Now(), 1.0);
  auto run = RunMetered(*options, **app, *home, scaled ? static_cast<const Clock&>(run_clock) : ctx.clock, ctx);
  if (!run.ok()) return fail(run.status());

  // The audit, as the daemon's for a job.
  AuditInput in;
  in.job.id = "run-" + RandomUuid().substr(0, 8);
  in.job.state = run->exit_code == 0 ? JobPhase::kDone : JobPhase::kFailed;
  in.job.created_at = q.at;
  in.job.submission.name = command.front();
  in.job.submission.project = flags->GetOr("project", "sunwind");
  in.job.submission.command = command;
  in.job.submission.duration = q.duration;
  in.job.submission.power_w = q.power_w;
  in.job.submission.earliest_start = q.at;
  in.job.submission.deadline = q.deadline;
  in.job.submission.home_region = home->id;
  in.runs = {{run->start, run->end, home->id}};
  StoredPlan stored;
  stored.version = 1;
  stored.intervals_json = PlanIntervalsJson(*plan).dump();
  stored.summary_json = PlanSummaryJson(*plan).dump();
  stored.expected_emissions_g = plan->emissions_g;
  stored.expected_energy_kwh = plan->energy_kwh;
  stored.created_at = q.at;
  in.plan = stored;
  in.metered = AuditEnergy(*run);
  in.metered.notes = run->notes;
  App& a = **app;
  FetchIntensity fetch = [&a](const Region* r, TimePoint from, TimePoint to, Duration s) {
    return a.Fetch(r, from, to, s);
  };
  auto audit = BuildAudit(in, a.catalogue(), fetch);
  if (!audit.ok()) return fail(audit.status());

  // Embodied, apart from the operational figure.
  std::optional<EmbodiedEstimate> embodied;
  std::string embodied_note;
  auto ccf = EmbodiedCoefficients::Load(a.data_dir() + "/hardware");
  if (ccf.ok()) {
    const double busy_vcpus = run->duration_s > 0 ? run->job_cpu_s / run->duration_s : 0;
    auto e = EstimateEmbodied(ccf->BaseServer(run->logical_cores), {run->duration_s / 3600, busy_vcpus, 0},
                              ccf->lifespan_h());
    if (e.ok()) embodied = *e;
    else embodied_note = e.status().message();
  } else {
    embodied_note = ccf.status().message();
  }

  Status write_status;
  const std::string output = flags->GetOr("output", "");
  if (!output.empty()) {
    write_status = AppendCodeCarbonRow(output, MeteredRow(*run, *home, in.job.submission.project,
                                                          flags->GetOr("experiment", "")));
  }
  Status history_status = AppendHistory(history_path, *history,
                                        {{"command", command},
                                         {"start", FormatTime(run->start)},
                                         {"duration_s", run->duration_s},
                                         {"it_energy_kwh", audit->it_kwh},
                                         {"mean_power_w", run->duration_s > 0 ? audit->it_kwh * 3.6e6 / run->duration_s : 0},
                                         {"exit_code", run->exit_code}});

  if (flags->Has("json")) {
    Json j;
    Json p = PlanSummaryJson(*plan);
    p["intervals"] = PlanIntervalsJson(*plan);
    p["emissions_g"] = plan->emissions_g;
    p["energy_kwh"] = plan->energy_kwh;
    p["power_w"] = q.power_w;
    p["duration_s"] = q.duration.count();
    p["deadline"] = FormatTime(q.deadline);
    p["notes"] = plan_notes;
    j["plan"] = p;
    j["waited_s"] = std::chrono::duration<double>(run->start - q.at).count();
    j["run"] = MeteredJson(*run, *home, a.factor());
    j["audit"] = AuditJson(*audit);
    j["embodied"] = embodied ? Json{{"emissions_g", Exact(embodied->emissions_g)},
                                    {"share", Exact(embodied->share)},
                                    {"lifespan_h", Exact(embodied->lifespan_h)},
                                    {"note", embodied->note}}
                             : Json{{"emissions_g", nullptr}, {"note", embodied_note}};
    j["history"] = history_path;
    if (!output.empty()) j["output"] = output;
    ctx.out << j.dump(2) << "\n";
  } else {
    PrintMetered(say, "run", *run, *home, a.factor());
    say << "  Planned   " << Grams(audit->planned_emissions_g) << " (forecast at planning time)\n"
        << "  Actual    " << Grams(audit->emissions_g) << " (the grid's intensity in each hour it ran)\n"
        << "  Run now   " << Grams(audit->counterfactual.emissions_g) << " (" << audit->counterfactual.region
        << " from " << FormatTime(audit->counterfactual.start) << ")\n"
        << "  Saving    " << Grams(audit->saving_g)
        << (audit->saving_pct ? " (" + FormatNumber(*audit->saving_pct, 1) + " %)" : "") << "\n";
    if (embodied) {
      say << "  Embodied  " << Grams(embodied->emissions_g) << ", not part of the above: "
          << embodied->note << "\n";
    } else {
      say << "  Embodied  unknown: " << embodied_note << "\n";
    }
    if (!output.empty() && write_status.ok()) say << "  Wrote a CodeCarbon row to " << output << "\n";
  }
  if (!write_status.ok()) ReportError(ctx, "run", write_status.WithContext("--output"));
  if (!history_status.ok()) ReportError(ctx, "run", history_status);
  return run->exit_code;
}

}  // namespace sunwind
