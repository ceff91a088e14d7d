// sunwind plan: the cleanest slot for one job across candidate regions.
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <ostream>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/forecast_plan.h"
#include "cli/output.h"
#include "cli/svg_chart.h"
#include "core/units.h"

namespace sunwind {
namespace {

const std::vector<FlagSpec>& PlanFlags() {
  static const std::vector<FlagSpec> specs = [] {
    auto s = CommonDataFlags();
    std::vector<FlagSpec> own = {
        {"regions", true, "candidate regions, comma-separated or repeated (required)"},
        {"duration", true, "how long the job runs, e.g. 6h or 90m (required)"},
        {"deadline", true, "when the job must be done: a time, or +24h from --at (required)"},
        {"power", true, "the job's draw, e.g. 900W or 1.2kW (default 1kW)"},
        {"interruptible", false, "the job may pause and resume (checkpointing)"},
        {"min-chunk", true, "interruptible: shortest run between pauses (default: one slot)"},
        {"resume-overhead", true, "interruptible: extra running time each restart costs, e.g. 5m"},
        {"home-region", true, "where the job would run right now (default: the first of --regions)"},
        {"step", true, "slot length of the plan (default 1h)"},
        {"forecast", true, "plan on a forecast made at --at (a model, or auto), then score it on what the grid did"},
        {"forecast-slack", false, "with --forecast: wait for a later window only if it wins by more than the forecast's error"},
        {"svg", true, "also write an SVG chart of the regions' intensity and the chosen slots to this file"},
        {"help", false, "show this help"},
    };
    s.insert(s.end(), own.begin(), own.end());
    return s;
  }();
  return specs;
}

Result<TimePoint> ParseDeadline(const std::string& text, TimePoint at) {
  if (!text.empty() && text[0] == '+') {
    auto d = ParseDuration(text.substr(1));
    if (!d.ok()) return d.status().WithContext("--deadline");
    return at + *d;
  }
  auto t = ParseTime(text);
  if (!t.ok()) return t.status().WithContext("--deadline");
  return *t;
}

Json PlanJson(const Plan& plan, const PlanRequest& q, EmissionFactor factor) {
  Json j;
  j["at"] = FormatTime(q.at);
  j["deadline"] = FormatTime(q.deadline);
  j["duration_s"] = q.duration.count();
  j["power_w"] = JsonNumber(q.power_w);
  j["interruptible"] = q.interruptible;
  j["emission_factor"] = EmissionFactorName(factor);
  Json intervals = Json::array();
  double facility_kwh = 0;
  for (const auto& iv : plan.intervals) {
    facility_kwh += iv.energy_kwh * iv.region->pue;
    intervals.push_back({{"region", iv.region->id},
                         {"zone", iv.region->zone},
                         {"pue", JsonNumber(iv.region->pue)},
                         {"start", FormatTime(iv.start)},
                         {"end", FormatTime(iv.end)},
                         {"mean_intensity_g_per_kwh", JsonNumber(iv.mean_intensity_g_per_kwh)},
                         {"energy_kwh", JsonNumber(iv.energy_kwh)},
                         {"emissions_g", JsonNumber(iv.emissions_g)},
                         {"kind", iv.kind},
                         {"source", iv.source},
                         {"signal", iv.signal}});
  }
  j["intervals"] = intervals;
  j["expected"] = {{"energy_kwh", JsonNumber(plan.energy_kwh)},
                   {"facility_energy_kwh", JsonNumber(facility_kwh)},
                   {"emissions_g", JsonNumber(plan.emissions_g)}};
  j["run_now"] = {{"region", plan.run_now.region->id},
                  {"start", FormatTime(plan.run_now.start)},
                  {"end", FormatTime(plan.run_now.end)},
                  {"mean_intensity_g_per_kwh", JsonNumber(plan.run_now.mean_intensity_g_per_kwh)},
                  {"emissions_g", JsonNumber(plan.run_now.emissions_g)}};
  j["saving"] = {{"g", JsonNumber(plan.saving_g)}, {"pct", JsonNumber(plan.saving_pct)}};
  j["notes"] = plan.notes;
  return j;
}

void PrintPlan(std::ostream& out, const Plan& plan, const PlanRequest& q, EmissionFactor factor) {
  out << "Plan for a " << FormatDuration(q.duration) << " job at " << FormatPower(q.power_w)
      << (q.interruptible ? ", interruptible" : "") << ", from " << FormatTime(q.at) << ", deadline "
      << FormatTime(q.deadline) << ":\n\n";
  Table t({"REGION", "ZONE", "PUE", "START (UTC)", "END (UTC)", "GRID g/kWh", "ENERGY kWh", "CO2eq", "DATA"});
  for (const auto& iv : plan.intervals) {
    t.Add({iv.region->id, iv.region->zone, FormatNumber(iv.region->pue, 3), FormatTime(iv.start), FormatTime(iv.end),
           FormatNumber(iv.mean_intensity_g_per_kwh, 1), FormatNumber(iv.energy_kwh, 2), FormatMass(iv.emissions_g),
           iv.kind});
  }
  out << t.Render() << "\n";
  out << "Expected:  " << FormatNumber(plan.energy_kwh, 2) << " kWh IT energy, " << FormatMass(plan.emissions_g)
      << " CO2eq (" << EmissionFactorName(factor) << ", grid intensity × PUE)\n";
  out << "Run now:   " << plan.run_now.region->id << " from " << FormatTime(plan.run_now.start) << ": ";
  if (std::isnan(plan.run_now.emissions_g)) {
    out << "unknown (gap in data)\n";
  } else {
    out << FormatMass(plan.run_now.emissions_g) << " CO2eq (mean " << FormatNumber(plan.run_now.mean_intensity_g_per_kwh, 1)
        << " g/kWh)\n";
    out << "Saving:    " << FormatMass(plan.saving_g) << " CO2eq (" << FormatNumber(plan.saving_pct, 1) << " %)\n";
  }
  for (const auto& n : plan.notes) out << "Note:      " << n << "\n";
  out << "\nData:\n";
  std::vector<std::string> seen;
  for (const auto& iv : plan.intervals) {
    if (std::find(seen.begin(), seen.end(), iv.source) != seen.end()) continue;
    seen.push_back(iv.source);
    out << "  " << iv.region->id << " (" << iv.kind << "): " << iv.source << "\n";
  }
  bool measured = false;
  for (const auto& iv : plan.intervals) measured |= iv.kind.find("measured") != std::string::npos;
  if (measured) {
    out << "  'measured' values are what the grid really did at that time: this plan had perfect knowledge.\n";
  }
}

// Writes the plan's chart (--svg). Called before anything is printed, so a
// path that cannot be written fails the command instead of following a plan
// that looks like success.
Status WriteSvg(CommandContext& ctx, const std::string& path, const std::string& svg) {
  errno = 0;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (f) f << svg;
  if (f) f.close();
  if (!f) {
    return Status(StatusCode::kFailedPrecondition,
                  "--svg: cannot write " + path + (errno ? std::string(": ") + std::strerror(errno) : ""));
  }
  ctx.err << "wrote " << path << "\n";
  return Status::Ok();
}

}  // namespace

int PlanCommand(const Args& args, CommandContext& ctx) {
  const auto& specs = PlanFlags();
  auto flags = Flags::Parse(args, specs);
  if (!flags.ok()) return ReportError(ctx, "plan", flags.status());
  if (flags->Has("help")) {
    ctx.out << "usage: sunwind plan --regions R1,R2,... --duration 6h --deadline T|+24h [--at T] [--power 1.2kW]\n"
               "                    [--interruptible [--min-chunk 1h] [--resume-overhead 5m]] [--json] [--svg FILE]\n\n"
               "Finds the window (or, for an interruptible job, the set of slots) with the least expected\n"
               "emissions before the deadline, and compares it with running now in the home region.\n"
               "Exit codes: 0 planned, 1 runtime failure, 2 bad input, 3 no plan meets the deadline.\n\n"
            << FlagsHelp(specs);
    return 0;
  }
  auto fail = [&](const Status& s) { return ReportError(ctx, "plan", s); };
  if (!flags->positional().empty()) return fail(Status::InvalidArgument("unexpected argument '" + flags->positional()[0] + "'"));
  auto ids = flags->GetList("regions");
  if (ids.empty()) return fail(Status::InvalidArgument("--regions: required, e.g. --regions aws:eu-central-1,aws:eu-west-2"));
  if (!flags->Has("duration")) return fail(Status::InvalidArgument("--duration: required, e.g. --duration 6h"));
  if (!flags->Has("deadline")) return fail(Status::InvalidArgument("--deadline: required, e.g. --deadline 2022-06-03T00:00Z or +24h"));

  PlanRequest q;
  auto duration = ParseDuration(*flags->Get("duration"));
  if (!duration.ok()) return fail(duration.status().WithContext("--duration"));
  q.duration = *duration;
  auto step = ParseDuration(flags->GetOr("step", "1h"));
  if (!step.ok()) return fail(step.status().WithContext("--step"));
  if (*step < Duration{60}) return fail(Status::InvalidArgument("--step: must be at least 1m"));
  auto power = ParsePowerW(flags->GetOr("power", "1kW"));
  if (!power.ok()) return fail(power.status().WithContext("--power"));
  q.power_w = *power;
  q.interruptible = flags->Has("interruptible");
  for (const char* name : {"min-chunk", "resume-overhead"}) {
    if (!flags->Has(name)) continue;
    if (!q.interruptible) return fail(Status::InvalidArgument(std::string("--") + name + ": only applies with --interruptible"));
    auto d = ParseDuration(*flags->Get(name), /*allow_zero=*/true);
    if (!d.ok()) return fail(d.status().WithContext(std::string("--") + name));
    (std::string(name) == "min-chunk" ? q.min_chunk : q.resume_overhead) = *d;
  }

  auto app = App::Open(*flags, ctx.clock);
  if (!app.ok()) return fail(app.status());
  q.at = (*app)->at();
  auto deadline = ParseDeadline(*flags->Get("deadline"), q.at);
  if (!deadline.ok()) return fail(deadline.status());
  q.deadline = *deadline;
  if (q.deadline <= q.at) {
    return fail(Status::InvalidArgument("--deadline: " + FormatTime(q.deadline) + " is not after --at " + FormatTime(q.at)));
  }
  if (q.deadline - q.at > Duration{366LL * 86400}) {
    return fail(Status::InvalidArgument("--deadline: more than a year ahead; plan in smaller steps"));
  }

  auto regions = (*app)->ResolveRegions(ids);
  if (!regions.ok()) return fail(regions.status());
  const Region* home = regions->front();
  if (auto h = flags->Get("home-region")) {
    auto r = (*app)->catalogue().Get(*h);
    if (!r.ok()) return fail(r.status().WithContext("--home-region"));
    home = *r;
  }

  // The horizon covers the deadline and the run-now counterfactual (which may
  // run past the deadline's last whole slot).
  TimePoint horizon = std::max(q.deadline, q.at + q.duration + *step);
  std::vector<RegionSeries> candidates;
  for (const auto* r : *regions) {
    auto s = (*app)->Fetch(r, q.at, q.deadline, *step);
    if (!s.ok()) return fail(s.status());
    candidates.push_back(std::move(s).value());
  }
  auto home_series = (*app)->Fetch(home, q.at, horizon, *step);
  if (!home_series.ok()) return fail(home_series.status());

  auto plan = PlanJob(candidates, *home_series, q);
  if (!plan.ok()) return fail(plan.status());
  if (auto model = flags->Get("forecast")) {
    // The plan above knew the grid's future; the one printed is made on the
    // forecast, and the perfect one is its yardstick.
    auto fp = PlanOnForecast(**app, *model, q, candidates, *home_series, *plan, flags->Has("forecast-slack"));
    if (!fp.ok()) return fail(fp.status());
    if (auto svg = flags->Get("svg")) {
      // The forecasts the plan was made on are not kept by PlanOnForecast, so
      // the chart shows the recorded curves under the forecast plan's slots.
      auto written = WriteSvg(ctx, *svg, RenderIntensityChart(PlanChartSpec(fp->plan, q, candidates, *home_series, fp->forecast_series)));
      if (!written.ok()) return fail(written);
    }
    if (flags->Has("json")) {
      Json j = PlanJson(fp->plan, q, (*app)->factor());
      j["forecast"] = ForecastPlanJson(*fp, *model);
      ctx.out << j.dump(2) << "\n";
    } else {
      PrintPlan(ctx.out, fp->plan, q, (*app)->factor());
      PrintForecastPlan(ctx.out, *fp, *model);
    }
    return 0;
  }
  if (auto svg = flags->Get("svg")) {
    auto written = WriteSvg(ctx, *svg, RenderIntensityChart(PlanChartSpec(*plan, q, candidates, *home_series)));
    if (!written.ok()) return fail(written);
  }
  if (flags->Has("json")) {
    ctx.out << PlanJson(*plan, q, (*app)->factor()).dump(2) << "\n";
  } else {
    PrintPlan(ctx.out, *plan, q, (*app)->factor());
  }
  return 0;
}

}  // namespace sunwind
