#include "providers/intensity_provider.h"

namespace sunwind {

const char* EmissionFactorName(EmissionFactor f) {
  return f == EmissionFactor::kDirect ? "direct" : "lifecycle";
}

Result<EmissionFactor> ParseEmissionFactor(const std::string& text) {
  if (text == "lifecycle" || text == "lca" || text == "LCA") return EmissionFactor::kLifecycle;
  if (text == "direct") return EmissionFactor::kDirect;
  return Status::InvalidArgument("--emission-factor: expected 'lifecycle' or 'direct', got '" + text + "'");
}

std::string ChainProvider::Name() const {
  std::string name;
  for (auto* p : providers_) name += (name.empty() ? "" : " > ") + p->Name();
  return name;
}

Result<IntensitySeries> ChainProvider::Intensity(const IntensityQuery& query) {
  std::string tried;
  for (auto* p : providers_) {
    auto r = p->Intensity(query);
    if (r.ok()) return r;
    StatusCode c = r.status().code();
    if (c != StatusCode::kNotFound && c != StatusCode::kUnavailable && c != StatusCode::kRateLimited) {
      return r.status();
    }
    tried += (tried.empty() ? "" : "; ") + p->Name() + ": " + r.status().message();
  }
  return Status::NotFound("no intensity data for zone '" + query.zone + "' (" + tried + ")");
}

}  // namespace sunwind
