// sunwind intensity: the grid's carbon intensity now (with the power
// breakdown), or over a range, from the configured providers; every value
// says its source and whether it is stale.
#include <cmath>
#include <ostream>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "core/units.h"
#include "providers/caching_provider.h"

namespace sunwind {
namespace {

constexpr const char* kCommand = "intensity";
// A "latest" reading older than this is reported stale (Electricity Maps
// updates hourly).
constexpr Duration kLatestStaleAfter = std::chrono::hours(3);

std::vector<FlagSpec> IntensityFlags() {
  auto specs = CommonDataFlags();
  std::vector<FlagSpec> extra = {
      {"region", true, "a catalogue region, e.g. gcp:europe-west1 (its grid zone)"},
      {"zone", true, "a grid zone key, e.g. DE"},
      {"lat", true, "latitude (with --lon; the live provider resolves the zone)"},
      {"lon", true, "longitude"},
      {"from", true, "start of a range, ISO 8601 (with --to): history and forecast instead of the latest value"},
      {"to", true, "end of the range (exclusive)"},
      {"step", true, "grid step of a range (default 1h)"},
      {"help", false, "show this help"},
  };
  specs.insert(specs.end(), extra.begin(), extra.end());
  return specs;
}

Result<double> ParseCoordinate(const Flags& flags, const std::string& name, double limit) {
  std::string text = *flags.Get(name);
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(v) || std::fabs(v) > limit) throw std::invalid_argument(text);
    return v;
  } catch (const std::exception&) {
    return Status::InvalidArgument("--" + name + ": expected a number within ±" + FormatNumber(limit, 0) + ", got '" + text + "'");
  }
}

// A value with its provenance, as every JSON value of this command carries it.
Json Labelled(const Json& value, const std::string& source, bool stale) {
  return Json{{"value", value}, {"source", source}, {"stale", stale}};
}

std::string StaleWord(bool stale) { return stale ? "stale" : "fresh"; }

struct Target {
  std::string zone;                // "" until the provider resolves coordinates
  std::string region;              // catalogue id when --region
  std::optional<double> lat, lon;
  EmLocation Location() const {
    if (!zone.empty()) return EmLocation::Zone(zone);
    return EmLocation::At(*lat, *lon);
  }
};

void PrintWarnings(CommandContext& ctx, const std::vector<std::string>& failures) {
  for (const auto& f : failures) ctx.err << "sunwind " << kCommand << ": warning: " << f << "\n";
}

// The latest value: live from Electricity Maps with the power breakdown, else
// the chain's value for the current hour.
int Latest(App& app, const Target& target, bool json, CommandContext& ctx) {
  ElectricityMapsClient* em = app.live() ? app.live()->electricitymaps() : nullptr;
  std::vector<std::string> failures;
  Json out;
  std::string zone = target.zone;
  if (em) {
    auto latest = em->Latest(target.Location(), app.factor());
    if (latest.ok()) {
      const EmIntensity& v = latest->value;
      zone = v.zone.empty() ? zone : v.zone;
      // Stale: a cached answer served past its freshness because the API
      // failed, or a reading older than the API's hourly updates allow.
      bool stale = latest->stale;
      std::string stale_reason = latest->stale_reason;
      Duration age = ctx.clock.Now() - v.time;
      if (age > kLatestStaleAfter) {
        stale = true;
        stale_reason = "the reading is " + FormatDuration(FloorTo(TimePoint(age), std::chrono::minutes(1)).time_since_epoch()) +
                       " old" + (stale_reason.empty() ? "" : "; " + stale_reason);
      }
      auto breakdown = em->PowerBreakdownLatest(target.Location());
      if (!breakdown.ok()) failures.push_back("electricitymaps power breakdown: " + breakdown.status().message());
      PrintWarnings(ctx, failures);
      const std::string source = "electricitymaps";
      if (json) {
        out["zone"] = zone;
        out["region"] = JsonText(target.region);
        out["intensity"] = {{"time", FormatTime(v.time)},
                            {"value", JsonNumber(v.g_per_kwh)},
                            {"unit", "gCO2eq/kWh"},
                            {"signal", "average"},
                            {"emission_factor", v.emission_factor.empty() ? EmissionFactorName(app.factor()) : v.emission_factor},
                            {"kind", "measured"},
                            {"estimated", v.estimated},
                            {"estimation_method", JsonText(v.estimation_method)},
                            {"updated_at", v.updated_at ? Json(FormatTime(*v.updated_at)) : Json(nullptr)},
                            {"source", source},
                            {"stale", stale},
                            {"stale_reason", JsonText(stale_reason)}};
        if (breakdown.ok()) {
          const EmPowerBreakdown& b = breakdown->value;
          bool st = breakdown->stale;
          Json shares = Json::array();
          auto pct = b.ConsumptionSharePct();
          for (size_t i = 0; i < b.consumption_mw.size(); ++i) {
            shares.push_back({{"fuel", b.consumption_mw[i].first},
                              {"consumption_mw", JsonNumber(b.consumption_mw[i].second)},
                              {"share_pct", JsonNumber(pct[i].second)},
                              {"source", source},
                              {"stale", st}});
          }
          out["power_breakdown"] = {{"time", FormatTime(b.time)},
                                    {"renewable_pct", Labelled(JsonNumber(b.renewable_pct), source, st)},
                                    {"fossil_free_pct", Labelled(JsonNumber(b.fossil_free_pct), source, st)},
                                    {"consumption_total_mw", Labelled(JsonNumber(b.consumption_total_mw), source, st)},
                                    {"consumption", shares},
                                    {"source", source},
                                    {"stale", st}};
        } else {
          out["power_breakdown"] = nullptr;
        }
        out["warnings"] = failures;
        ctx.out << out.dump(2) << "\n";
        return 0;
      }
      ctx.out << zone << (target.region.empty() ? "" : " (" + target.region + ")") << " at " << FormatTime(v.time) << ": "
              << (v.g_per_kwh ? FormatNumber(*v.g_per_kwh, 0) : std::string("no value")) << " gCO2eq/kWh ("
              << (v.emission_factor.empty() ? EmissionFactorName(app.factor()) : v.emission_factor) << ", average)\n";
      ctx.out << "Source:    electricitymaps" << (v.estimated ? ", estimated" + (v.estimation_method.empty() ? "" : " (" + v.estimation_method + ")") : "")
              << ", " << StaleWord(stale) << (stale ? " (" + stale_reason + ")" : "") << "\n";
      if (breakdown.ok()) {
        const EmPowerBreakdown& b = breakdown->value;
        ctx.out << "Breakdown: " << FormatTime(b.time) << ", renewable "
                << (b.renewable_pct ? FormatNumber(*b.renewable_pct, 0) + " %" : "-") << ", fossil-free "
                << (b.fossil_free_pct ? FormatNumber(*b.fossil_free_pct, 0) + " %" : "-") << ", consumption "
                << (b.consumption_total_mw ? FormatNumber(*b.consumption_total_mw, 0) + " MW" : "-") << " (electricitymaps, "
                << StaleWord(breakdown->stale) << ")\n\n";
        Table t({"FUEL", "CONSUMPTION MW", "SHARE %"});
        auto pct = b.ConsumptionSharePct();
        for (size_t i = 0; i < b.consumption_mw.size(); ++i) {
          t.Add({b.consumption_mw[i].first, b.consumption_mw[i].second ? FormatNumber(*b.consumption_mw[i].second, 0) : "-",
                 pct[i].second ? FormatNumber(*pct[i].second, 1) : "-"});
        }
        ctx.out << t.Render();
      }
      return 0;
    }
    if (latest.status().code() == StatusCode::kInvalidArgument) return ReportError(ctx, kCommand, latest.status());
    failures.push_back("electricitymaps: " + latest.status().message());
  }
  // Offline, or the live provider failed: the chain's value for this hour.
  if (zone.empty()) {
    PrintWarnings(ctx, failures);
    return ReportError(ctx, kCommand,
                       Status::Unavailable("no live provider could resolve --lat/--lon to a zone; use --zone or --region"));
  }
  TimePoint hour = FloorTo(app.at(), std::chrono::hours(1));
  auto s = app.intensity().Intensity({zone, hour, hour + std::chrono::hours(1), std::chrono::hours(1), app.factor()});
  for (const auto& f : app.fallback_failures()) {
    if (std::find(failures.begin(), failures.end(), f) == failures.end() && f.rfind("electricitymaps", 0) != 0) failures.push_back(f);
  }
  PrintWarnings(ctx, failures);
  if (!s.ok()) return ReportError(ctx, kCommand, s.status());
  const Provenance& p = s->ProvenanceAt(0);
  bool stale = IsStaleNote(p.note);
  if (json) {
    out["zone"] = zone;
    out["region"] = JsonText(target.region);
    out["intensity"] = {{"time", FormatTime(hour)},
                        {"value", JsonNumber(s->values[0])},
                        {"unit", "gCO2eq/kWh"},
                        {"signal", SignalName(s->signal)},
                        {"emission_factor", EmissionFactorName(app.factor())},
                        {"kind", PointKindName(p.kind)},
                        {"note", JsonText(p.note)},
                        {"source", p.source},
                        {"stale", stale}};
    out["power_breakdown"] = nullptr;
    out["warnings"] = failures;
    ctx.out << out.dump(2) << "\n";
    return 0;
  }
  ctx.out << zone << (target.region.empty() ? "" : " (" + target.region + ")") << " at " << FormatTime(hour) << ": "
          << (s->IsMissing(0) ? std::string("no value") : FormatNumber(s->values[0], 0)) << " gCO2eq/kWh ("
          << EmissionFactorName(app.factor()) << ", " << SignalName(s->signal) << ")\n";
  ctx.out << "Source:    " << p.source << " (" << PointKindName(p.kind) << (p.note.empty() ? "" : ": " + p.note) << "), "
          << StaleWord(stale) << "\n";
  ctx.out << "Breakdown: not available (no live provider answered)\n";
  return 0;
}

int Range(App& app, const Target& target, TimePoint from, TimePoint to, Duration step, bool json, CommandContext& ctx) {
  std::string zone = target.zone;
  if (zone.empty()) {
    // Coordinates: the live provider names the zone.
    ElectricityMapsClient* em = app.live() ? app.live()->electricitymaps() : nullptr;
    if (!em) return ReportError(ctx, kCommand, Status::InvalidArgument("--lat/--lon need a live provider; use --zone or --region"));
    auto latest = em->Latest(target.Location(), app.factor());
    if (!latest.ok()) return ReportError(ctx, kCommand, latest.status().WithContext("resolving --lat/--lon to a zone"));
    zone = latest->value.zone;
  }
  auto s = app.intensity().Intensity({zone, from, to, step, app.factor()});
  PrintWarnings(ctx, app.fallback_failures());
  if (!s.ok()) return ReportError(ctx, kCommand, s.status());
  if (json) {
    Json points = Json::array();
    for (size_t i = 0; i < s->size(); ++i) {
      const Provenance& p = s->ProvenanceAt(i);
      points.push_back({{"time", FormatTime(s->TimeAt(i))},
                        {"value", JsonNumber(s->values[i])},
                        {"kind", PointKindName(p.kind)},
                        {"source", p.source},
                        {"stale", IsStaleNote(p.note)},
                        {"note", JsonText(p.note)}});
    }
    Json out = {{"zone", zone},
                {"region", JsonText(target.region)},
                {"from", FormatTime(from)},
                {"to", FormatTime(to)},
                {"step", FormatDuration(step)},
                {"unit", "gCO2eq/kWh"},
                {"signal", SignalName(s->signal)},
                {"emission_factor", EmissionFactorName(app.factor())},
                {"points", points},
                {"warnings", app.fallback_failures()}};
    ctx.out << out.dump(2) << "\n";
    return 0;
  }
  ctx.out << zone << (target.region.empty() ? "" : " (" + target.region + ")") << ", " << FormatTime(from) << " to "
          << FormatTime(to) << ", gCO2eq/kWh (" << EmissionFactorName(app.factor()) << ", " << SignalName(s->signal) << ")\n\n";
  Table t({"TIME", "VALUE", "KIND", "SOURCE", "STALE", "NOTE"});
  for (size_t i = 0; i < s->size(); ++i) {
    const Provenance& p = s->ProvenanceAt(i);
    t.Add({FormatTime(s->TimeAt(i)), s->IsMissing(i) ? "-" : FormatNumber(s->values[i], 0), PointKindName(p.kind), p.source,
           IsStaleNote(p.note) ? "yes" : "no", p.note});
  }
  ctx.out << t.Render();
  return 0;
}

}  // namespace

int IntensityCommand(const Args& args, CommandContext& ctx) {
  auto specs = IntensityFlags();
  auto flags = Flags::Parse(args, specs);
  if (!flags.ok()) return ReportError(ctx, kCommand, flags.status());
  if (flags->Has("help")) {
    ctx.out << "usage: sunwind intensity --region R | --zone Z | --lat X --lon Y [--from T --to T] [--json]\n\n"
            << "Live values come from the providers configured in the config's `providers:` section\n"
            << "(or $ELECTRICITYMAPS_API_KEY); without them, or when they fail, from the bundled traces\n"
            << "and yearly averages. Every value says its source and whether it is stale.\n\n"
            << FlagsHelp(specs);
    return 0;
  }
  int given = flags->Has("region") + flags->Has("zone") + (flags->Has("lat") || flags->Has("lon"));
  if (given != 1) {
    return ReportError(ctx, kCommand, Status::InvalidArgument("give exactly one of --region, --zone, or --lat with --lon"));
  }
  if (flags->Has("lat") != flags->Has("lon")) {
    return ReportError(ctx, kCommand, Status::InvalidArgument("--lat and --lon go together"));
  }
  if (flags->Has("from") != flags->Has("to")) {
    return ReportError(ctx, kCommand, Status::InvalidArgument("--from and --to go together"));
  }
  auto app = App::Open(*flags, ctx.clock);
  if (!app.ok()) return ReportError(ctx, kCommand, app.status());
  Target target;
  if (auto r = flags->Get("region")) {
    auto region = (*app)->catalogue().Get(*r);
    if (!region.ok()) return ReportError(ctx, kCommand, region.status().WithContext("--region"));
    target.region = (*region)->id;
    target.zone = (*region)->zone;
  } else if (auto z = flags->Get("zone")) {
    target.zone = *z;
  } else {
    auto lat = ParseCoordinate(*flags, "lat", 90);
    if (!lat.ok()) return ReportError(ctx, kCommand, lat.status());
    auto lon = ParseCoordinate(*flags, "lon", 180);
    if (!lon.ok()) return ReportError(ctx, kCommand, lon.status());
    target.lat = *lat;
    target.lon = *lon;
  }
  bool json = flags->Has("json");
  if (!flags->Has("from")) return Latest(**app, target, json, ctx);

  auto from = ParseTime(*flags->Get("from"));
  if (!from.ok()) return ReportError(ctx, kCommand, from.status().WithContext("--from"));
  auto to = ParseTime(*flags->Get("to"));
  if (!to.ok()) return ReportError(ctx, kCommand, to.status().WithContext("--to"));
  Duration step = std::chrono::hours(1);
  if (auto st = flags->Get("step")) {
    auto d = ParseDuration(*st);
    if (!d.ok()) return ReportError(ctx, kCommand, d.status().WithContext("--step"));
    step = *d;
  }
  if (*to <= *from) return ReportError(ctx, kCommand, Status::InvalidArgument("--to must be after --from"));
  if ((*to - *from) / step > 24 * 366) {
    return ReportError(ctx, kCommand, Status::InvalidArgument("--from/--to: at most a year of hourly points at a time"));
  }
  return Range(**app, target, FloorTo(*from, step), *to, step, json, ctx);
}

}  // namespace sunwind
