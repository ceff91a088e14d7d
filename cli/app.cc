#include "cli/app.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "core/units.h"

#ifndef SUNWIND_DEFAULT_DATA_DIR
#define SUNWIND_DEFAULT_DATA_DIR "data"
#endif

namespace sunwind {

const std::vector<FlagSpec>& CommonDataFlags() {
  static const std::vector<FlagSpec> specs = {
      {"at", true, "\"now\" for this command, ISO 8601 (default: the real clock); times are UTC"},
      {"trace", true, "a CSV trace to use instead of bundled data for its zones (repeatable)"},
      {"trace-zone", true, "zone of --trace files that have no zone column"},
      {"trace-column", true, "the column of --trace files that holds gCO2eq/kWh, if sunwind does not know its name"},
      {"emission-factor", true, "lifecycle (default, as Electricity Maps) or direct"},
      {"config", true, "a YAML config that adds or overrides regions ($SUNWIND_CONFIG)"},
      {"data-dir", true, "where the bundled data lives ($SUNWIND_DATA_DIR)"},
      {"json", false, "print JSON (documented in docs/cli.md)"},
  };
  return specs;
}

namespace {

// `built_in` when `probe` exists under it (a build in place), else
// <prefix>/share/sunwind/<name> beside an installed binary when it holds
// `probe`, else `built_in` (whose absence the caller reports).
std::string InPlaceOrInstalled(const std::string& built_in, const std::string& name, const std::string& probe) {
  std::error_code ec;
  if (std::filesystem::exists(built_in + "/" + probe, ec)) return built_in;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto installed = exe.parent_path().parent_path() / "share" / "sunwind" / name;
    if (std::filesystem::exists(installed / probe, ec)) return installed.string();
  }
  return built_in;
}

}  // namespace

std::string ResolveDataDir(const Flags& flags) {
  if (auto d = flags.Get("data-dir")) return *d;
  if (const char* env = std::getenv("SUNWIND_DATA_DIR"); env && *env) return env;
  return InPlaceOrInstalled(SUNWIND_DEFAULT_DATA_DIR, "data", "traces/manifest.yaml");
}

std::string DefaultConfigDir() { return InPlaceOrInstalled(SUNWIND_DEFAULT_CONFIG_DIR, "config", "sunwind.yaml"); }

Result<std::unique_ptr<App>> App::Open(const Flags& flags, const Clock& clock) {
  auto app = std::make_unique<App>();
  app->data_dir_ = ResolveDataDir(flags);
  const std::string& dir = app->data_dir_;

  if (auto f = flags.Get("emission-factor")) {
    SUNWIND_ASSIGN_OR_RETURN(app->factor_, ParseEmissionFactor(*f));
  }
  if (auto at = flags.Get("at")) {
    auto t = ParseTime(*at);
    if (!t.ok()) return t.status().WithContext("--at");
    app->at_ = *t;
    app->at_from_clock_ = false;
  } else {
    app->at_ = clock.Now();
  }

  SUNWIND_ASSIGN_OR_RETURN(app->zones_, ZoneTable::LoadFromFile(dir + "/zones/zones.json"));

  SUNWIND_ASSIGN_OR_RETURN(app->traces_, TraceProvider::FromManifest(dir + "/traces/manifest.yaml"));
  std::string trace_zone = flags.GetOr("trace-zone", "");
  for (const auto& path : flags.GetList("trace")) {
    SUNWIND_RETURN_IF_ERROR(
        app->traces_->AddUserTrace(path, trace_zone, flags.GetOr("trace-column", "")).WithContext("--trace"));
  }
  // A user's trace may name a grid we do not list (an on-prem site's own meter).
  for (const auto& z : app->traces_->Zones()) {
    if (!app->zones_.Contains(z)) app->zones_.Add({z, "zone from a --trace file", ""});
  }

  SUNWIND_ASSIGN_OR_RETURN(app->catalogue_, RegionCatalogue::LoadFromFile(dir + "/regions/catalogue.yaml", app->zones_));
  std::string config = flags.GetOr("config", "");
  if (config.empty()) {
    if (const char* env = std::getenv("SUNWIND_CONFIG"); env && *env) config = env;
  }
  if (!config.empty()) SUNWIND_RETURN_IF_ERROR(app->catalogue_.MergeConfigFile(config, app->zones_));

  SUNWIND_ASSIGN_OR_RETURN(StaticProvider averages, StaticProvider::FromEmberCsv(dir + "/intensity/co2-intensities-ember-2021.csv"));
  app->averages_ = std::make_unique<StaticProvider>(std::move(averages));
  // A provider's published yearly figure for the grid of one of its regions is
  // more specific than the national average of Ember.
  // The first region listed for a zone speaks for it.
  std::set<std::string> zones_with_average;
  for (const auto& r : app->catalogue_.regions()) {
    if (r.grid_intensity_g_per_kwh && zones_with_average.insert(r.zone).second) {
      std::string year = r.grid_intensity_year ? std::to_string(*r.grid_intensity_year) + " " : "";
      app->averages_->SetZoneAverage(r.zone, *r.grid_intensity_g_per_kwh,
                                     year + "yearly average published for " + r.id + " (" + r.grid_intensity_source + ")");
    }
  }
  app->chain_ = std::make_unique<ChainProvider>(std::vector<IntensityProvider*>{app->traces_.get(), app->averages_.get()});

  // Live providers, when the config (or the environment) names any, go in
  // front as the config's chain says; otherwise the offline chain above.
  SUNWIND_ASSIGN_OR_RETURN(ProvidersConfig providers, LoadProvidersConfig(config, ProcessEnv()));
  if (providers.AnyLive()) {
    SUNWIND_ASSIGN_OR_RETURN(app->live_, LiveProviders::Build(providers, clock));
    std::vector<IntensityProvider*> order;
    for (const auto& name : providers.chain) {
      if (name == "trace") order.push_back(app->traces_.get());
      else if (name == "static") order.push_back(app->averages_.get());
      else if (auto* p = app->live_->Find(name)) order.push_back(p);
    }
    app->fallback_ = std::make_unique<FallbackProvider>(std::move(order));
  }
  return app;
}

Result<std::vector<const Region*>> App::ResolveRegions(const std::vector<std::string>& ids) const {
  std::vector<const Region*> out;
  for (const auto& id : ids) {
    auto r = catalogue_.Get(id);
    if (!r.ok()) return r.status().WithContext("--regions");
    if (std::find(out.begin(), out.end(), *r) == out.end()) out.push_back(*r);
  }
  return out;
}

Result<RegionSeries> App::Fetch(const Region* region, TimePoint from, TimePoint to, Duration step) {
  IntensityQuery q{region->zone, from, to, step, factor_};
  auto s = intensity().Intensity(q);
  if (!s.ok()) return s.status().WithContext(region->id);
  return RegionSeries{region, std::move(s).value()};
}

}  // namespace sunwind
