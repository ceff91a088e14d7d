// What every command needs, wired once: bundled data, the region catalogue
// (with the user's config merged), and the chain of intensity providers.
#ifndef SUNWIND_CLI_APP_H_
#define SUNWIND_CLI_APP_H_

#include <memory>
#include <string>
#include <vector>

#include "cli/flags.h"
#include "core/time.h"
#include "providers/fallback_provider.h"
#include "providers/intensity_provider.h"
#include "providers/provider_config.h"
#include "providers/static_provider.h"
#include "providers/trace_provider.h"
#include "regions/catalogue.h"
#include "scheduler/planner.h"

namespace sunwind {

// Flags every data-reading command takes.
const std::vector<FlagSpec>& CommonDataFlags();

class App {
 public:
  // Loads everything the flags point at. The clock answers --at's default.
  static Result<std::unique_ptr<App>> Open(const Flags& flags, const Clock& clock);

  const RegionCatalogue& catalogue() const { return catalogue_; }
  const ZoneTable& zones() const { return zones_; }
  TraceProvider& traces() { return *traces_; }
  EmissionFactor factor() const { return factor_; }
  const std::string& data_dir() const { return data_dir_; }

  // "now" for this invocation: --at, else the clock.
  TimePoint at() const { return at_; }
  bool at_from_clock() const { return at_from_clock_; }

  // Resolves "aws:eu-west-1,gcp:europe-west1" (repeatable --regions).
  Result<std::vector<const Region*>> ResolveRegions(const std::vector<std::string>& ids) const;

  // The region's grid intensity on the grid [from, to) at step.
  Result<RegionSeries> Fetch(const Region* region, TimePoint from, TimePoint to, Duration step);

  // Live providers from the config's `providers:` section (or the
  // environment); null when none is configured and sunwind stays offline.
  LiveProviders* live() { return live_.get(); }
  // What answers intensity questions: the configured chain with the live
  // providers in front, else trace then yearly average.
  IntensityProvider& intensity() { return fallback_ ? static_cast<IntensityProvider&>(*fallback_) : *chain_; }
  // The failures behind the last answer of a configured chain.
  std::vector<std::string> fallback_failures() const {
    return fallback_ ? fallback_->failures() : std::vector<std::string>{};
  }

 private:
  std::string data_dir_;
  ZoneTable zones_;
  RegionCatalogue catalogue_;
  std::unique_ptr<TraceProvider> traces_;
  std::unique_ptr<StaticProvider> averages_;
  std::unique_ptr<ChainProvider> chain_;
  std::unique_ptr<LiveProviders> live_;
  std::unique_ptr<FallbackProvider> fallback_;
  EmissionFactor factor_ = EmissionFactor::kLifecycle;
  TimePoint at_{};
  bool at_from_clock_ = true;
};

// Where bundled data lives: --data-dir, $SUNWIND_DATA_DIR, or the build's default.
std::string ResolveDataDir(const Flags& flags);
// Where the shipped configs (sunwind.yaml, demo.yaml) are: the source tree's
// config/ for a build in place, else share/sunwind/config beside an
// installed binary.
std::string DefaultConfigDir();

}  // namespace sunwind

#endif  // SUNWIND_CLI_APP_H_
