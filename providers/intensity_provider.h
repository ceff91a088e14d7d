// The one interface every carbon-intensity source implements: recorded traces,
// yearly averages, and (later) the live APIs.
#ifndef SUNWIND_PROVIDERS_INTENSITY_PROVIDER_H_
#define SUNWIND_PROVIDERS_INTENSITY_PROVIDER_H_

#include <memory>
#include <string>
#include <vector>

#include "core/series.h"
#include "core/status.h"
#include "core/time.h"

namespace sunwind {

// Lifecycle (LCA) factors count the emissions of building and fuelling power
// plants too; direct factors count combustion only. Electricity Maps' API
// answers lifecycle by default, and so does sunwind.
enum class EmissionFactor { kLifecycle, kDirect };
const char* EmissionFactorName(EmissionFactor f);
Result<EmissionFactor> ParseEmissionFactor(const std::string& text);

struct IntensityQuery {
  std::string zone;
  TimePoint from;
  TimePoint to;
  Duration step{3600};
  EmissionFactor factor = EmissionFactor::kLifecycle;
};

class IntensityProvider {
 public:
  virtual ~IntensityProvider() = default;
  virtual std::string Name() const = 0;
  // The zone's intensity over [from, to) at the step. Points the provider has
  // no value for are kMissing (a gap), never zero. NotFound when the provider
  // knows nothing of the zone, so a chain can ask the next one.
  virtual Result<IntensitySeries> Intensity(const IntensityQuery& query) = 0;
};

// Asks each provider in turn; the first that answers wins. A provider that
// does not know the zone (NotFound) or cannot answer now (Unavailable, rate
// limited) passes to the next; any other error stops the chain.
class ChainProvider final : public IntensityProvider {
 public:
  explicit ChainProvider(std::vector<IntensityProvider*> providers) : providers_(std::move(providers)) {}
  std::string Name() const override;
  Result<IntensitySeries> Intensity(const IntensityQuery& query) override;

 private:
  std::vector<IntensityProvider*> providers_;
};

}  // namespace sunwind

#endif  // SUNWIND_PROVIDERS_INTENSITY_PROVIDER_H_
