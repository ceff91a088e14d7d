// sunwind regions list | rank, and sunwind zones.
#include <cmath>
#include <ostream>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "core/units.h"

namespace sunwind {
namespace {

std::vector<FlagSpec> With(std::vector<FlagSpec> extra) {
  auto specs = CommonDataFlags();
  specs.insert(specs.end(), extra.begin(), extra.end());
  specs.push_back({"help", false, "show this help"});
  return specs;
}

Json RegionJson(const Region& r) {
  Json j;
  j["id"] = r.id;
  j["provider"] = r.provider;
  j["name"] = r.name;
  j["display_name"] = JsonText(r.display_name);
  j["zone"] = r.zone;
  j["location"] = {{"city", JsonText(r.city)},
                   {"country", JsonText(r.country)},
                   {"country_code", JsonText(r.country_code)},
                   {"lat", JsonNumber(r.lat)},
                   {"lon", JsonNumber(r.lon)}};
  j["pue"] = JsonNumber(r.pue);
  j["pue_source"] = JsonText(r.pue_source);
  j["cfe_pct"] = JsonNumber(r.cfe_pct);
  j["wue_l_per_kwh"] = JsonNumber(r.wue_l_per_kwh);
  j["grid_intensity_g_per_kwh"] = JsonNumber(r.grid_intensity_g_per_kwh);
  j["grid_intensity_year"] = r.grid_intensity_year ? Json(*r.grid_intensity_year) : Json(nullptr);
  j["sources"] = {{"location", JsonText(r.location_source)},
                  {"zone", JsonText(r.zone_source)},
                  {"pue", JsonText(r.pue_source)},
                  {"cfe", JsonText(r.cfe_source)},
                  {"wue", JsonText(r.wue_source)},
                  {"grid_intensity", JsonText(r.grid_intensity_source)}};
  j["executor"] = JsonText(r.executor_kind);
  return j;
}

std::string Opt(const std::optional<double>& v, int decimals, const std::string& suffix = "") {
  return v ? FormatNumber(*v, decimals) + suffix : "-";
}

int List(const Args& args, CommandContext& ctx) {
  auto specs = With({{"provider", true, "only this provider's regions (gcp, aws, azure, ...)"}});
  auto flags = Flags::Parse(args, specs);
  if (!flags.ok()) return ReportError(ctx, "regions list", flags.status());
  if (flags->Has("help")) {
    ctx.out << "usage: sunwind regions list [--provider P] [--json]\n\n" << FlagsHelp(specs);
    return 0;
  }
  auto app = App::Open(*flags, ctx.clock);
  if (!app.ok()) return ReportError(ctx, "regions list", app.status());
  std::string provider = flags->GetOr("provider", "");
  auto regions = (*app)->catalogue().List(provider);
  if (regions.empty() && !provider.empty()) {
    return ReportError(ctx, "regions list", Status::InvalidArgument("--provider: no regions of provider '" + provider + "'"));
  }
  if (flags->Has("json")) {
    Json arr = Json::array();
    for (const auto* r : regions) arr.push_back(RegionJson(*r));
    ctx.out << arr.dump(2) << "\n";
    return 0;
  }
  Table t({"REGION", "ZONE", "PUE", "CFE", "WUE L/kWh", "GRID gCO2eq/kWh", "LOCATION"});
  for (const auto* r : regions) {
    std::string grid = Opt(r->grid_intensity_g_per_kwh, 0);
    if (r->grid_intensity_year) grid += " (" + std::to_string(*r->grid_intensity_year) + ")";
    std::string where = r->city;
    if (!r->country.empty()) where += (where.empty() ? "" : ", ") + r->country;
    t.Add({r->id, r->zone, FormatNumber(r->pue, 3), Opt(r->cfe_pct, 0, "%"), Opt(r->wue_l_per_kwh, 2), grid, where});
  }
  ctx.out << t.Render();
  ctx.out << "\n" << regions.size() << (regions.size() == 1 ? " region" : " regions") << ". PUE, CFE, WUE and grid intensity are published yearly figures "
          << "(sources: --json, or data/regions/catalogue.yaml).\n";
  return 0;
}

int Rank(const Args& args, CommandContext& ctx) {
  auto specs = With({{"regions", true, "candidate regions, comma-separated or repeated (required)"},
                     {"duration", true, "the window to average over (default 1h)"},
                     {"step", true, "data resolution (default 1h)"}});
  auto flags = Flags::Parse(args, specs);
  if (!flags.ok()) return ReportError(ctx, "regions rank", flags.status());
  if (flags->Has("help")) {
    ctx.out << "usage: sunwind regions rank --regions R1,R2,... [--at T] [--duration 4h] [--json]\n\n"
            << "Orders regions by mean effective intensity (grid intensity × PUE) over [at, at+duration).\n\n"
            << FlagsHelp(specs);
    return 0;
  }
  auto ids = flags->GetList("regions");
  if (ids.empty()) return ReportError(ctx, "regions rank", Status::InvalidArgument("--regions: required, e.g. --regions aws:eu-central-1,azure:norwayeast"));
  auto duration = ParseDuration(flags->GetOr("duration", "1h"));
  if (!duration.ok()) return ReportError(ctx, "regions rank", duration.status().WithContext("--duration"));
  auto step = ParseDuration(flags->GetOr("step", "1h"));
  if (!step.ok()) return ReportError(ctx, "regions rank", step.status().WithContext("--step"));
  auto app = App::Open(*flags, ctx.clock);
  if (!app.ok()) return ReportError(ctx, "regions rank", app.status());
  auto regions = (*app)->ResolveRegions(ids);
  if (!regions.ok()) return ReportError(ctx, "regions rank", regions.status());

  const TimePoint at = (*app)->at();
  std::vector<RegionSeries> series;
  for (const auto* r : *regions) {
    auto s = (*app)->Fetch(r, at, at + *duration, *step);
    if (!s.ok()) return ReportError(ctx, "regions rank", s.status());
    series.push_back(std::move(s).value());
  }
  auto ranks = RankRegions(series, at, *duration);

  if (flags->Has("json")) {
    Json j;
    j["at"] = FormatTime(at);
    j["duration_s"] = duration->count();
    j["emission_factor"] = EmissionFactorName((*app)->factor());
    Json arr = Json::array();
    int pos = 0;
    for (const auto& r : ranks) {
      arr.push_back({{"rank", ++pos},
                     {"region", r.region->id},
                     {"zone", r.region->zone},
                     {"pue", JsonNumber(r.region->pue)},
                     {"mean_intensity_g_per_kwh", JsonNumber(r.mean_intensity_g_per_kwh)},
                     {"effective_intensity_g_per_kwh", JsonNumber(r.mean_effective_g_per_kwh)},
                     {"complete", r.complete},
                     {"kind", r.kind},
                     {"source", r.source}});
    }
    j["ranking"] = arr;
    ctx.out << j.dump(2) << "\n";
    return 0;
  }
  ctx.out << "Regions ranked by mean effective intensity (grid × PUE) over " << FormatDuration(*duration)
          << " from " << FormatTime(at) << (((*app)->at_from_clock()) ? " (now)" : "") << ", "
          << EmissionFactorName((*app)->factor()) << " gCO2eq/kWh:\n\n";
  Table t({"#", "REGION", "ZONE", "PUE", "GRID g/kWh", "EFFECTIVE g/kWh", "DATA"});
  int pos = 0;
  for (const auto& r : ranks) {
    t.Add({std::to_string(++pos), r.region->id, r.region->zone, FormatNumber(r.region->pue, 3),
           r.complete ? FormatNumber(r.mean_intensity_g_per_kwh, 1) : "gap",
           r.complete ? FormatNumber(r.mean_effective_g_per_kwh, 1) : "gap", r.kind});
  }
  ctx.out << t.Render() << "\nSources:\n";
  for (const auto& r : ranks) ctx.out << "  " << r.region->id << ": " << r.kind << ", " << r.source << "\n";
  return 0;
}

}  // namespace

int RegionsCommand(const Args& args, CommandContext& ctx) {
  if (args.empty() || args[0] == "--help" || args[0] == "help") {
    ctx.out << "usage: sunwind regions list [--provider P] [--json]\n"
               "       sunwind regions rank --regions R1,R2,... [--at T] [--duration 4h] [--json]\n";
    return args.empty() ? 2 : 0;
  }
  Args rest(args.begin() + 1, args.end());
  if (args[0] == "list") return List(rest, ctx);
  if (args[0] == "rank") return Rank(rest, ctx);
  return ReportError(ctx, "regions", Status::InvalidArgument("unknown subcommand '" + args[0] + "' (list or rank)"));
}

int ZonesCommand(const Args& args, CommandContext& ctx) {
  auto specs = With({});
  auto flags = Flags::Parse(args, specs);
  if (!flags.ok()) return ReportError(ctx, "zones", flags.status());
  if (flags->Has("help")) {
    ctx.out << "usage: sunwind zones [--json]\n\nLists the grid zones (Electricity Maps zone keys) and which have "
               "bundled hourly traces.\n\n" << FlagsHelp(specs);
    return 0;
  }
  auto app = App::Open(*flags, ctx.clock);
  if (!app.ok()) return ReportError(ctx, "zones", app.status());
  auto traced = (*app)->traces().Zones();
  auto has_trace = [&](const std::string& z) { return std::find(traced.begin(), traced.end(), z) != traced.end(); };
  if (flags->Has("json")) {
    Json arr = Json::array();
    for (const auto& [key, z] : (*app)->zones().all()) {
      Json years = Json::array();
      if (has_trace(key)) {
        for (int y : (*app)->traces().YearsWithData(key, (*app)->factor())) years.push_back(y);
      }
      arr.push_back({{"zone", key}, {"name", z.name}, {"country", JsonText(z.country_name)},
                     {"trace", has_trace(key)}, {"trace_years", years}});
    }
    ctx.out << arr.dump(2) << "\n";
    return 0;
  }
  Table t({"ZONE", "NAME", "HOURLY TRACE"});
  for (const auto& [key, z] : (*app)->zones().all()) {
    std::string years;
    if (has_trace(key)) {
      for (int y : (*app)->traces().YearsWithData(key, (*app)->factor())) years += (years.empty() ? "" : ",") + std::to_string(y);
    }
    t.Add({key, z.name, years.empty() ? "-" : years});
  }
  ctx.out << t.Render();
  return 0;
}

}  // namespace sunwind
