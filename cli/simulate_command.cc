// sunwind simulate: a workload replayed under each policy on recorded grid
// data, with a virtual clock; what each policy emits, saves against run-now,
// and reaches of the perfect-foresight optimum.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <ostream>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "cli/simulation_grid.h"
#include "core/units.h"
#include "forecast/forecaster.h"
#include "scheduler/grid.h"
#include "scheduler/policies.h"
#include "scheduler/policy.h"
#include "scheduler/simulator.h"
#include "scheduler/workload.h"

namespace sunwind {
namespace {

constexpr Duration kHour{3600};

const std::vector<FlagSpec>& SimulateFlags() {
  static const std::vector<FlagSpec> specs = [] {
    auto s = CommonDataFlags();
    std::string policies;
    for (const auto& p : PolicyNames()) policies += (policies.empty() ? "" : ", ") + p;
    std::string models = "oracle, noise:E% (the true value plus N(0, E × mean)), or a model: ";
    for (const auto& m : ForecastModelNames()) models += m + " ";
    models += "or auto (per zone, the model with the least 24 h error over the 28 days before, chosen weekly)";
    std::vector<FlagSpec> own = {
        {"workload", true, "the workload YAML (required; see examples/workloads/)"},
        {"from", true, "start of the simulated period, UTC (required)"},
        {"to", true, "end of the simulated period (jobs submitted before it), UTC (required)"},
        {"policy", true, "policies to run, repeatable (default all: " + policies + ")"},
        {"forecast", true, "what non-oracle policies decide on: " + models + "(default seasonal-naive)"},
        {"seed", true, "seed of the noise:E% forecast error (default 1)"},
        {"forecast-slack", true, "sunwind: a job that cannot pause waits only for a window that wins by more than "
                                 "this fraction of the forecast's measured error (default 0)"},
        {"progress", false, "draw a progress bar on stderr (default: when stderr is a terminal)"},
        {"help", false, "show this help"},
    };
    s.insert(s.end(), own.begin(), own.end());
    return s;
  }();
  return specs;
}

// Seconds of the simulation's own run time. A steady timer, not the wall
// clock: it measures how long we took, never what time it is.
double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct PolicyResult {
  SimulationReport report;
  double wall_s = 0;
};

double SavingPct(double run_now_g, double g) { return run_now_g > 0 ? 100.0 * (run_now_g - g) / run_now_g : kNoValue; }

// (E_run-now - E_policy) / (E_run-now - E_oracle): 1 is the optimum; NaN when
// shifting cannot save anything.
double OptimumFraction(double run_now_g, double oracle_g, double g) {
  const double possible = run_now_g - oracle_g;
  return possible > 1e-9 * std::max(1.0, run_now_g) ? (run_now_g - g) / possible : kNoValue;
}

void DrawProgress(std::ostream& err, const std::string& policy, double fraction) {
  const int width = 30, filled = static_cast<int>(fraction * width + 0.5);
  char pct[16];
  std::snprintf(pct, sizeof pct, "%3.0f%%", fraction * 100);
  err << "\r" << policy << std::string(16 - std::min<size_t>(15, policy.size()), ' ') << "["
      << std::string(filled, '#') << std::string(width - filled, ' ') << "] " << pct << std::flush;
}

}  // namespace

int SimulateCommand(const Args& args, CommandContext& ctx) {
  const auto& specs = SimulateFlags();
  auto flags = Flags::Parse(args, specs);
  auto fail = [&](const Status& s) { return ReportError(ctx, "simulate", s); };
  if (!flags.ok()) return fail(flags.status());
  if (flags->Has("help")) {
    ctx.out << "usage: sunwind simulate --workload FILE --from T --to T [--trace FILE...] [--policy P]...\n"
               "                        [--forecast oracle|noise:5%|MODEL|auto] [--json] [--progress]\n\n"
               "Replays the workload under each policy with a virtual clock over recorded grid data: the\n"
               "policies decide on a forecast made at each decision time from the past only (the oracle on\n"
               "what the grid really did), and every run is accounted on the grid's actual intensity × PUE.\n\n"
            << FlagsHelp(specs);
    return 0;
  }
  if (!flags->positional().empty()) return fail(Status::InvalidArgument("unexpected argument '" + flags->positional()[0] + "'"));
  for (const char* name : {"workload", "from", "to"}) {
    if (!flags->Has(name)) return fail(Status::InvalidArgument(std::string("--") + name + ": required"));
  }
  auto from = ParseTime(*flags->Get("from"));
  if (!from.ok()) return fail(from.status().WithContext("--from"));
  auto to = ParseTime(*flags->Get("to"));
  if (!to.ok()) return fail(to.status().WithContext("--to"));
  if (FloorTo(*from, kHour) != *from) return fail(Status::InvalidArgument("--from: must be on the hour"));
  if (*to <= *from) return fail(Status::InvalidArgument("--to: must be after --from"));
  std::vector<std::string> policies;
  for (const auto& p : flags->GetList("policy")) {
    if (std::find(policies.begin(), policies.end(), p) == policies.end()) policies.push_back(p);
  }
  if (policies.empty()) policies = PolicyNames();
  for (const auto& p : policies) {
    const auto known = PolicyNames();
    if (std::find(known.begin(), known.end(), p) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return fail(Status::InvalidArgument("--policy: unknown policy '" + p + "' (known: " + list + ")"));
    }
  }
  const std::string forecast = flags->GetOr("forecast", "seasonal-naive");
  double slack = 0;
  if (auto f = flags->Get("forecast-slack")) {
    char* end = nullptr;
    slack = std::strtod(f->c_str(), &end);
    if (f->empty() || *end != '\0' || !(slack >= 0 && slack <= 10)) {
      return fail(Status::InvalidArgument("--forecast-slack: '" + *f + "': expected a fraction of the error, 0 to 10"));
    }
  }
  unsigned seed = 1;
  if (auto s = flags->Get("seed")) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(s->c_str(), &end, 10);
    if (s->empty() || *end != '\0') return fail(Status::InvalidArgument("--seed: '" + *s + "' is not a whole number"));
    seed = static_cast<unsigned>(v);
  }
  const bool progress = flags->Has("progress") || (!flags->Has("json") && ::isatty(STDERR_FILENO));

  auto app = App::Open(*flags, ctx.clock);
  if (!app.ok()) return fail(app.status());
  const RegionCatalogue& catalogue = (*app)->catalogue();
  auto workload = LoadWorkloadFile(*flags->Get("workload"), *from, *to,
                                   [&](const std::string& id) { return catalogue.Get(id); });
  if (!workload.ok()) return fail(workload.status());

  auto loaded = LoadSimulationGrid(**app, workload->jobs, *from, *to);
  if (!loaded.ok()) return fail(loaded.status());
  const GridData& grid = loaded->grid;
  const Duration horizon = loaded->horizon;
  const std::vector<std::string>& notes = loaded->notes;

  SimulationOptions options;
  options.from = *from;
  options.to = *to;
  options.capacity = &workload->capacity;
  const auto t0 = std::chrono::steady_clock::now();
  std::map<std::string, PolicyResult> results;
  // run-now and oracle are the yardsticks of every other policy: always run.
  std::vector<std::string> to_run = {"run-now", "oracle"};
  for (const auto& p : policies) {
    if (std::find(to_run.begin(), to_run.end(), p) == to_run.end()) to_run.push_back(p);
  }
  for (const auto& name : to_run) {
    auto view = MakeView(forecast, grid, horizon, seed);
    if (!view.ok()) return fail(view.status());
    ActualView actual(grid);
    CapacityBook book(workload->capacity, *from, kHour);
    auto policy = MakePolicy(name, **view, actual, kHour, &book);
    if (!policy.ok()) return fail(policy.status());
    if (auto* planning = dynamic_cast<PlanningPolicy*>(policy->get()); planning && name == "sunwind") {
      planning->SetForecastSlack(slack);
    }
    if (progress) options.progress = [&](double f) { DrawProgress(ctx.err, name, f); };
    const auto p0 = std::chrono::steady_clock::now();
    auto report = Simulate(workload->jobs, **policy, grid, options);
    if (progress) ctx.err << "\n";
    if (!report.ok()) return fail(report.status().WithContext(name));
    results[name] = {std::move(report).value(), SecondsSince(p0)};
  }
  // With capacity, how far the placement is from each job's own optimum:
  // the oracle again, without the limit.
  double unlimited_oracle_g = kNoValue;
  if (!workload->capacity.empty()) {
    ActualView actual(grid);
    auto policy = MakePolicy("oracle", actual, actual, kHour);
    if (!policy.ok()) return fail(policy.status());
    SimulationOptions unlimited = options;
    unlimited.capacity = nullptr;
    unlimited.progress = nullptr;
    auto report = Simulate(workload->jobs, **policy, grid, unlimited);
    if (!report.ok()) return fail(report.status().WithContext("oracle without capacity"));
    unlimited_oracle_g = report->emissions_g;
  }
  const double wall_s = SecondsSince(t0);
  const double run_now_g = results["run-now"].report.emissions_g;
  const double oracle_g = results["oracle"].report.emissions_g;

  if (flags->Has("json")) {
    Json list = Json::array();
    for (const auto& name : policies) {
      const SimulationReport& r = results[name].report;
      list.push_back({{"policy", name},
                      {"jobs", r.jobs},
                      {"energy_kwh", JsonNumber(r.energy_kwh)},
                      {"emissions_g", JsonNumber(r.emissions_g)},
                      {"saving_pct", JsonNumber(SavingPct(run_now_g, r.emissions_g))},
                      {"optimum_fraction", JsonNumber(OptimumFraction(run_now_g, oracle_g, r.emissions_g))},
                      {"deadlines_missed", r.deadlines_missed},
                      {"pauses", r.pauses},
                      {"mean_delay_h", JsonNumber(r.mean_delay_h)}});
    }
    Json j;
    j["policies"] = list;
    j["wall_s"] = JsonNumber(wall_s);
    ctx.out << j.dump(2) << "\n";
    return 0;
  }
  ctx.out << "Simulated " << workload->jobs.size() << " jobs of workload '" << workload->name << "' submitted from "
          << FormatTime(*from) << " to " << FormatTime(*to) << ", deciding on --forecast " << forecast
          << " (oracle: perfect foresight); emissions on the grid's actual intensity × PUE ("
          << EmissionFactorName((*app)->factor()) << "):\n\n";
  Table t({"POLICY", "JOBS", "ENERGY kWh", "CO2eq", "SAVING %", "OF OPTIMUM", "MISSED", "PAUSES", "MEAN DELAY h",
           "WALL s"});
  for (const auto& name : policies) {
    const PolicyResult& pr = results[name];
    const SimulationReport& r = pr.report;
    const double of = OptimumFraction(run_now_g, oracle_g, r.emissions_g);
    t.Add({name, std::to_string(r.jobs), FormatNumber(r.energy_kwh, 1), FormatMass(r.emissions_g),
           FormatNumber(SavingPct(run_now_g, r.emissions_g), 2), std::isnan(of) ? "-" : FormatNumber(100 * of, 1) + " %",
           std::to_string(r.deadlines_missed), std::to_string(r.pauses), FormatNumber(r.mean_delay_h, 2),
           FormatNumber(pr.wall_s, 2)});
  }
  ctx.out << t.Render() << "\nWall time: " << FormatNumber(wall_s, 2) << " s\n";
  if (!std::isnan(unlimited_oracle_g)) {
    std::string limits;
    for (const auto& [region, n] : workload->capacity) {
      limits += (limits.empty() ? "" : ", ") + region->id + " " + std::to_string(n);
    }
    ctx.out << "Capacity (jobs at once: " << limits << "): the oracle's placement emits "
            << FormatNumber(unlimited_oracle_g > 0 ? 100.0 * (oracle_g - unlimited_oracle_g) / unlimited_oracle_g : 0, 2)
            << " % more than the sum of the jobs' single-job optima (" << FormatMass(unlimited_oracle_g) << ").\n";
  }
  ctx.out << "\nData:\n";
  for (const auto& n : notes) ctx.out << "  " << n << "\n";
  return 0;
}

}  // namespace sunwind
