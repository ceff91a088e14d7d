// Recorded hourly (or finer) grid traces, replayed. The offline default.
//
// For a time inside the years a zone's traces cover, the recorded value is
// returned (kind "measured": planning then has perfect knowledge of what the
// grid did). For a time outside them, the value recorded at the same ISO week,
// weekday and time of day in the latest year with data is returned (kind
// "replayed"), and the provenance says so. A gap inside a covered year stays
// a gap.
#ifndef SUNWIND_PROVIDERS_TRACE_PROVIDER_H_
#define SUNWIND_PROVIDERS_TRACE_PROVIDER_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "providers/intensity_provider.h"
#include "providers/trace_file.h"

namespace sunwind {

// One file's worth of one zone, ready to query.
struct TraceSource {
  std::string zone;
  std::string label;   // "Electricity Maps, DE 2022" or "trace file x.csv"
  std::string origin;  // path
  bool factor_known = false;
  std::vector<Sample> lifecycle;
  std::vector<Sample> direct;
  const std::vector<Sample>& Samples(EmissionFactor f) const {
    return f == EmissionFactor::kDirect ? direct : lifecycle;
  }
};

// An entry of data/traces/manifest.yaml: the bundled traces and what they are.
struct BundledTrace {
  std::string file;   // relative to the manifest's folder
  std::string zone;
  std::string label;
};

class TraceProvider final : public IntensityProvider {
 public:
  TraceProvider() = default;

  // Reads the manifest of bundled traces; the files themselves are read
  // lazily, the first time their zone is asked for.
  static Result<std::unique_ptr<TraceProvider>> FromManifest(const std::string& manifest_path);

  // Adds a user's trace file (--trace). For every zone it holds, it replaces
  // the bundled traces of that zone. default_zone serves files without a zone
  // column (--trace-zone); value_column names the intensity column when
  // its name is not one sunwind knows (--trace-column).
  Status AddUserTrace(const std::string& path, const std::string& default_zone, const std::string& value_column = "");

  std::string Name() const override { return "trace"; }
  Result<IntensitySeries> Intensity(const IntensityQuery& query) override;

  // Zones with a trace (bundled or user), for listings.
  std::vector<std::string> Zones() const;
  // Zones of the user's --trace files only.
  std::vector<std::string> UserZones() const;
  // Calendar years of the zone that its traces cover for at least half the year.
  std::set<int> YearsWithData(const std::string& zone, EmissionFactor factor);

 private:
  // The sources for zone, loading bundled files on first use. The zone that
  // actually has data may be a parent (NO for NO-NO1); it is returned in *used_zone.
  Result<std::vector<const TraceSource*>> SourcesFor(const std::string& zone, std::string* used_zone);
  Status LoadBundledZone(const std::string& zone);

  std::string manifest_dir_;
  std::vector<BundledTrace> bundled_;
  std::set<std::string> loaded_zones_;
  std::map<std::string, std::vector<std::unique_ptr<TraceSource>>> bundled_sources_;
  std::map<std::string, std::vector<std::unique_ptr<TraceSource>>> user_sources_;
};

}  // namespace sunwind

#endif  // SUNWIND_PROVIDERS_TRACE_PROVIDER_H_
