// The configured chain of providers (e.g. electricitymaps -> trace -> static),
// with the fall-through live sources need. Unlike ChainProvider it also falls
// through on refused credentials (kUnauthenticated): a bad key must not stop
// sunwind from planning on offline data; the error stays visible in the notes
// of the values that replaced the live ones and in failures().
//
// A provider's answer with gaps is completed point by point from the next
// providers (a 24 h forecast inside a 48 h plan), and every point keeps the
// source and note of whoever gave it.
#ifndef SUNWIND_PROVIDERS_FALLBACK_PROVIDER_H_
#define SUNWIND_PROVIDERS_FALLBACK_PROVIDER_H_

#include <string>
#include <vector>

#include "providers/intensity_provider.h"

namespace sunwind {

class FallbackProvider final : public IntensityProvider {
 public:
  // Providers must outlive this one.
  explicit FallbackProvider(std::vector<IntensityProvider*> providers) : providers_(std::move(providers)) {}
  std::string Name() const override;
  Result<IntensitySeries> Intensity(const IntensityQuery& query) override;

  // "electricitymaps: <why>" for each provider that failed in the last call.
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  std::vector<IntensityProvider*> providers_;
  std::vector<std::string> failures_;
};

// Codes on which a chain moves to its next provider.
bool FallsThrough(StatusCode code);

}  // namespace sunwind

#endif  // SUNWIND_PROVIDERS_FALLBACK_PROVIDER_H_
