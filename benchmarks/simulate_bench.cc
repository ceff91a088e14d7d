// Carbon savings of shifting on the 2020 traces of Let's Wait Awhile
// (Wiesner et al., Middleware '21), and the time of a year-long simulation.
//
//   build/benchmarks/simulate_bench [--data-dir data] [--out benchmarks/results/shifting.md] [--seeds 10]
//
// Part 1 reproduces the paper's ML-training scenario per region (DE, GB, FR,
// each alone): 3,387 jobs of 4 to 90 hours submitted Monday to Friday
// 09:00-17:00 UTC through 2020, due the next workday (or semi-weekly),
// planned once at submission on a forecast that is the true value plus
// N(0, e × the zone's mean intensity), e = 5 % and 10 %, averaged over
// `--seeds` noise seeds: non-interrupting jobs start at the minimum of the
// forecast's rolling mean over their duration (best-window), interrupting
// ones run in the forecast's cleanest hours (sunwind's planner, home region,
// no minimum chunk, no re-planning). Savings are against running at
// submission. Part 2 shows what sunwind adds on examples/workloads/
// ml-training.yaml: spatial choice across the three regions, re-planning,
// its own forecasts. Part 3 times a year-long simulation.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/simulation_grid.h"
#include "core/units.h"
#include "scheduler/capacity.h"
#include "scheduler/policies.h"
#include "scheduler/simulator.h"
#include "scheduler/workload.h"

namespace sunwind {
namespace {

constexpr Duration kHour{3600};

struct Zone {
  const char* zone;
  const char* region;
  double paper_non_interrupting_pct;  // at 5 % error, next-workday (the paper's notebook)
  double paper_interrupting_pct;
};
const Zone kZones[] = {
    {"DE", "aws:eu-central-1", 5.91, 7.93},
    {"GB", "aws:eu-west-2", 6.56, 9.03},
    {"FR", "aws:eu-west-3", 4.77, 5.92},
};

std::string LwaWorkload(const std::string& region, const std::string& deadline, bool interruptible) {
  return "name: lwa-ml\nseed: 2020\ngenerators:\n  - name: ml\n    count: 3387\n    days: weekdays\n"
         "    hours: \"09-17\"\n    duration: {min: 4h, max: 90h}\n    power: 1kW\n    deadline: " +
         deadline + "\n    interruptible_share: " + (interruptible ? "1" : "0") + "\n    home_region: " + region + "\n";
}

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string Pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// Simulates `jobs` under `policy`; dies with a message on error (a benchmark, not a product).
SimulationReport MustSimulate(const std::vector<JobSpec>& jobs, Policy& policy, const GridData& grid, TimePoint from,
                              TimePoint to) {
  SimulationOptions o;
  o.from = from;
  o.to = to;
  auto r = Simulate(jobs, policy, grid, o);
  if (!r.ok()) {
    std::cerr << "simulate_bench: " << policy.Name() << ": " << r.status().message() << "\n";
    std::exit(1);
  }
  return *r;
}

template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) {
    std::cerr << "simulate_bench: " << what << ": " << r.status().message() << "\n";
    std::exit(1);
  }
  return std::move(r).value();
}

int Run(int argc, char** argv) {
  std::vector<std::string> args;
  std::string out_path;
  int seeds = 10;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--out" && i + 1 < argc) {
      out_path = argv[++i];
    } else if (a == "--seeds" && i + 1 < argc) {
      seeds = std::atoi(argv[++i]);
    } else {
      args.push_back(a);
    }
  }
  if (std::find(args.begin(), args.end(), "--data-dir") == args.end()) {
    args.push_back("--data-dir");
    args.push_back(SUNWIND_DATA_DIR);
  }
  auto flags = Must(Flags::Parse(args, CommonDataFlags()), "flags");
  SystemClock clock;
  auto app = Must(App::Open(flags, clock), "data");
  const TimePoint from = *ParseTime("2020-01-01"), to = *ParseTime("2021-01-01");
  auto resolve = [&](const std::string& id) { return app->catalogue().Get(id); };
  std::ostringstream md;
  const auto t_all = std::chrono::steady_clock::now();

  md << "# Shifting ML training on the 2020 traces of Let's Wait Awhile\n\n"
     << "Regenerate (from the repository root, after building; under a minute on one core):\n\n"
     << "    build/benchmarks/simulate_bench --out benchmarks/results/shifting.md\n\n"
     << "Data: the Let's Wait Awhile data set (Wiesner et al., Middleware '21; ENTSO-E generation × IPCC lifecycle "
        "factors), DE, GB and FR, 2020, bundled in data/traces/lets_wait_awhile, read hourly (the 15- and 30-minute "
        "values averaged). Times are UTC. Emissions are accounted on the actual intensity × the region's PUE, "
        "whatever the policy believed.\n\n";

  // Part 1: the paper's scenario, per region.
  md << "## 1. The paper's ML scenario, per region\n\n"
     << "3,387 jobs of 4 to 90 whole hours (uniform) at 1 kW, submitted on the hour Monday to Friday 09:00-16:00 "
        "UTC through 2020 (uniform; workload seed 2020), each region alone. Forecast: the true value + N(0, e × the "
        "zone's mean intensity), drawn once per hour and seed; savings are the mean over "
     << seeds
     << " seeds, against running at submission. Non-interrupting: `best-window` (the start at the least rolling "
        "mean of the forecast). Interrupting: sunwind's planner in the home region planning once at submission "
        "(the cleanest hours of the forecast before the deadline; no minimum chunk, no checkpoint overhead), as the "
        "paper's interrupting strategy. Oracle: the same two on the actual intensity. Deadlines, from the time e "
        "a job would end if run at once: `next-workday` is e itself when e falls in working hours (Monday to Friday "
        "09:00-17:00), else 09:00 of the next workday; `next-workday-lwa` is the same as the paper's code has it, "
        "where an end on a Friday evening is due on Saturday 09:00 rather than Monday; `semi-weekly` is the first "
        "Monday or Thursday 09:00 at or after e. The paper's savings are those of its evaluation notebook, at 5 % "
        "error with next-workday deadlines.\n\n"
     << "| region | deadline | error | non-interrupting % | paper % | interrupting % | paper % | oracle non-int. % | "
        "oracle int. % |\n|---|---|---|---|---|---|---|---|---|\n";
  for (const Zone& z : kZones) {
    for (const std::string deadline : {"next-workday-lwa", "next-workday", "semi-weekly"}) {
      Workload fixed = Must(LoadWorkloadString(LwaWorkload(z.region, deadline, false), "lwa", from, to, resolve), "workload");
      Workload flexible = Must(LoadWorkloadString(LwaWorkload(z.region, deadline, true), "lwa", from, to, resolve), "workload");
      SimulationGrid g = Must(LoadSimulationGrid(*app, fixed.jobs, from, to), "grid");
      SimulationGrid gi = Must(LoadSimulationGrid(*app, flexible.jobs, from, to), "grid");
      ActualView actual(g.grid), actual_i(gi.grid);
      RunNowPolicy run_now;
      const double base = MustSimulate(fixed.jobs, run_now, g.grid, from, to).emissions_g;
      const double base_i = MustSimulate(flexible.jobs, run_now, gi.grid, from, to).emissions_g;
      BestWindowPolicy perfect_window(actual);
      SunwindPolicy perfect_slots("oracle", actual_i, false);
      const double oracle_fixed = MustSimulate(fixed.jobs, perfect_window, g.grid, from, to).emissions_g;
      const double oracle_flexible = MustSimulate(flexible.jobs, perfect_slots, gi.grid, from, to).emissions_g;
      for (double e : {0.05, 0.10}) {
        double fixed_sum = 0, flexible_sum = 0;
        for (int s = 1; s <= seeds; ++s) {
          NoisyView noisy(g.grid, e, static_cast<unsigned>(s)), noisy_i(gi.grid, e, static_cast<unsigned>(s));
          BestWindowPolicy window(noisy);
          SunwindPolicy slots("interrupting", noisy_i, false);
          fixed_sum += 100 * (base - MustSimulate(fixed.jobs, window, g.grid, from, to).emissions_g) / base;
          flexible_sum += 100 * (base_i - MustSimulate(flexible.jobs, slots, gi.grid, from, to).emissions_g) / base_i;
        }
        const bool paper = deadline == "next-workday-lwa" && e == 0.05;
        md << "| " << z.region << " (" << z.zone << ") | " << deadline << " | " << static_cast<int>(e * 100) << " % | "
           << Pct(fixed_sum / seeds) << " | " << (paper ? Pct(z.paper_non_interrupting_pct) : "") << " | "
           << Pct(flexible_sum / seeds) << " | " << (paper ? Pct(z.paper_interrupting_pct) : "") << " | "
           << Pct(100 * (base - oracle_fixed) / base) << " | " << Pct(100 * (base_i - oracle_flexible) / base_i)
           << " |\n";
        std::cerr << z.zone << " " << deadline << " e=" << e << " done\n";
      }
    }
  }

  md << "\nWhy the reproduction is close but not exact (within about half a percentage point with the paper's "
        "own deadline rule, sunwind a little below): (1) resolution: the paper simulates on 30-minute point samples "
        "(the values at :00 and :30), sunwind on hourly means of the same data, which are smoother, so there are "
        "fewer deep troughs to find: for DE and GB the paper's interrupting result at 5 % error is above even "
        "sunwind's hourly oracle; (2) the jobs: the same distributions (count, workdays, 09:00-17:00, 4 to 90 hours), "
        "but sunwind's own draws, on the hour and in whole hours where the paper's are in half hours; (3) the "
        "paper's forecast begins with the true value of the current half hour. With sunwind's own `next-workday` "
        "rule a job that would end on a Friday evening has the weekend, when grids are cleaner, and saves about "
        "one point more.\n";

  // Part 2: what sunwind adds, on the example workload.
  const std::string example = std::string(SUNWIND_SOURCE_DIR) + "/examples/workloads/ml-training.yaml";
  Workload ml = Must(LoadWorkloadFile(example, from, to, resolve), "ml-training.yaml");
  SimulationGrid g = Must(LoadSimulationGrid(*app, ml.jobs, from, to), "grid");
  md << "\n## 2. What sunwind adds: examples/workloads/ml-training.yaml over 2020\n\n"
     << ml.jobs.size()
     << " jobs (3,387 generated as above but 1-3 kW, half of them interruptible with a 1 h minimum chunk and a 5 min "
        "checkpoint overhead, plus one 36 h fine-tuning run), home aws:eu-central-1 (DE), allowed also aws:eu-west-2 "
        "(GB) and aws:eu-west-3 (FR). The same as\n\n"
     << "    sunwind simulate --workload examples/workloads/ml-training.yaml --from 2020-01-01 --to 2021-01-01 "
        "--forecast MODEL\n\n"
     << "| policy | forecast | emissions t | saving % | of optimum % | deadlines missed | pauses | mean delay h | "
        "wall s |\n|---|---|---|---|---|---|---|---|---|\n";
  ActualView actual(g.grid);
  RunNowPolicy run_now;
  const SimulationReport base = MustSimulate(ml.jobs, run_now, g.grid, from, to);
  SunwindPolicy oracle("oracle", actual, false);
  const SimulationReport best = MustSimulate(ml.jobs, oracle, g.grid, from, to);
  struct Row {
    std::string policy, forecast;
  };
  const std::vector<Row> rows = {
      {"run-now", "-"},           {"best-region-now", "seasonal-naive"}, {"best-window", "seasonal-naive"},
      {"threshold", "seasonal-naive"}, {"sunwind", "seasonal-naive"},   {"sunwind", "blend"},
      {"sunwind", "auto"},        {"sunwind", "noise:5%"},               {"sunwind", "noise:10%"},
      {"oracle", "(actual)"},
  };
  double year_wall_s = 0;
  for (const Row& row : rows) {
    auto view = Must(MakeView(row.forecast == "-" || row.forecast == "(actual)" ? "oracle" : row.forecast, g.grid,
                              g.horizon, 1),
                     "view");
    auto policy = Must(MakePolicy(row.policy, *view, actual, kHour), "policy");
    const auto t0 = std::chrono::steady_clock::now();
    const SimulationReport r = MustSimulate(ml.jobs, *policy, g.grid, from, to);
    const double wall = Seconds(t0);
    if (row.forecast == "seasonal-naive" || row.forecast == "-" || row.forecast == "(actual)") year_wall_s += wall;
    md << "| " << row.policy << " | " << row.forecast << " | " << FormatNumber(r.emissions_g / 1e6, 3) << " | "
       << Pct(100 * (base.emissions_g - r.emissions_g) / base.emissions_g) << " | "
       << Pct(100 * (base.emissions_g - r.emissions_g) / (base.emissions_g - best.emissions_g)) << " | "
       << r.deadlines_missed << " | " << r.pauses << " | " << Pct(r.mean_delay_h) << " | " << Pct(wall) << " |\n";
    std::cerr << row.policy << " " << row.forecast << " done\n";
  }
  // Temporal shifting alone (home region only): which forecast, and re-planning.
  md << "\nTemporal shifting alone: the same jobs pinned to their home region (DE). The paper's error model (the "
        "truth plus 5 % noise) against forecasts made from the past only; sunwind's planner planning once at "
        "submission, and re-planning every job not started (and every paused one) at each day's forecast:\n\n"
        "| forecast | best-window saving % | sunwind once saving % | sunwind re-planning saving % |\n"
        "|---|---|---|---|\n";
  std::vector<JobSpec> home_only = ml.jobs;
  for (JobSpec& j : home_only) j.allowed_regions = {j.home_region};
  for (const std::string forecast : {"oracle", "noise:5%", "seasonal-naive", "blend"}) {
    md << "| " << (forecast == "oracle" ? "(actual)" : forecast);
    for (int kind = 0; kind < 3; ++kind) {
      auto view = Must(MakeView(forecast, g.grid, g.horizon, 1), "view");
      std::unique_ptr<Policy> p;
      if (kind == 0) p = std::make_unique<BestWindowPolicy>(*view);
      if (kind == 1) p = std::make_unique<SunwindPolicy>("sunwind-once", *view, false);
      if (kind == 2) p = std::make_unique<SunwindPolicy>("sunwind", *view, true);
      const SimulationReport r = MustSimulate(home_only, *p, g.grid, from, to);
      md << " | " << Pct(100 * (base.emissions_g - r.emissions_g) / base.emissions_g);
    }
    md << " |\n";
    std::cerr << "temporal " << forecast << " done\n";
  }
  md << "\nReal forecasts lose much of what the paper's error model promises: 5 % noise on the truth keeps the "
        "shape of every day, while a forecast from the past misses the swings from one day to the next (wind, "
        "weather) that make much of the savings over windows of up to three days. Under the paper's error model "
        "re-planning changes nothing: its noise is drawn once per hour, so tomorrow's forecast of an hour is "
        "today's; with real forecasts each day's update moves some jobs to cleaner hours.\n";

  // Part 2b: the same with finite capacity.
  const std::string capped_path = std::string(SUNWIND_SOURCE_DIR) + "/examples/workloads/ml-training-capacity.yaml";
  Workload capped = Must(LoadWorkloadFile(capped_path, from, to, resolve), "ml-training-capacity.yaml");
  md << "\nWith finite capacity (examples/workloads/ml-training-capacity.yaml: at most 60 jobs at once in "
        "aws:eu-central-1, 20 in aws:eu-west-2 and 20 in aws:eu-west-3). The queue holds every policy to the limit "
        "(a job whose region is full waits; jobs claim capacity least slack first); sunwind and the oracle also plan "
        "around the slots already booked. Policies blind to capacity pay in missed deadlines:\n\n"
     << "| policy | forecast | emissions t | saving % | of optimum % | deadlines missed | pauses | mean delay h |\n"
        "|---|---|---|---|---|---|---|---|\n";
  SimulationReport capped_base, capped_best;
  for (const std::string name : {"run-now", "oracle", "best-region-now", "best-window", "threshold", "sunwind"}) {
    auto view = Must(MakeView("seasonal-naive", g.grid, g.horizon, 1), "view");
    CapacityBook book(capped.capacity, from, kHour);
    auto policy = Must(MakePolicy(name, *view, actual, kHour, &book), "policy");
    SimulationOptions o;
    o.from = from;
    o.to = to;
    o.capacity = &capped.capacity;
    auto r = Must(Simulate(capped.jobs, *policy, g.grid, o), name);
    if (name == "run-now") capped_base = r;
    if (name == "oracle") capped_best = r;
    md << "| " << name << " | " << (name == "run-now" ? "-" : name == "oracle" ? "(actual)" : "seasonal-naive")
       << " | " << FormatNumber(r.emissions_g / 1e6, 3) << " | "
       << Pct(100 * (capped_base.emissions_g - r.emissions_g) / capped_base.emissions_g) << " | "
       << Pct(100 * (capped_base.emissions_g - r.emissions_g) / (capped_base.emissions_g - capped_best.emissions_g))
       << " | " << r.deadlines_missed << " | " << r.pauses << " | " << Pct(r.mean_delay_h) << " |\n";
  }
  md << "\nThe oracle's placement under capacity emits "
     << Pct(100 * (capped_best.emissions_g - best.emissions_g) / best.emissions_g)
     << " % more than the sum of the jobs' single-job optima (the oracle without limits, above). That gap holds "
        "both the price of the limit itself and that of the greedy placement (each job at its arrival, least slack "
        "first, around what is booked; no local swaps between jobs yet), which this does not separate; under "
        "capacity the oracle is perfect foresight, no longer the optimum.\n";

  md << "\n## 3. Speed\n\nA year-long simulation of ml-training.yaml (" << ml.jobs.size()
     << " jobs, 3 regions: the bundled 2020 data covers three) under run-now, best-region-now, best-window, threshold, "
        "sunwind and oracle on seasonal-naive: "
     << Pct(year_wall_s) << " s in all (target: under 10 s for one; see the wall column above for each). The whole "
        "benchmark took "
     << Pct(Seconds(t_all)) << " s (wall times on a shared 2-core machine).\n";

  std::cout << md.str();
  if (!out_path.empty()) {
    std::ofstream f(out_path);
    f << md.str();
  }
  return 0;
}

}  // namespace
}  // namespace sunwind

int main(int argc, char** argv) { return sunwind::Run(argc, argv); }
