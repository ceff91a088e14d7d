#include "providers/fallback_provider.h"

#include <cmath>
#include <optional>

namespace sunwind {

bool FallsThrough(StatusCode code) {
  return code == StatusCode::kNotFound || code == StatusCode::kUnavailable || code == StatusCode::kRateLimited ||
         code == StatusCode::kUnauthenticated;
}

std::string FallbackProvider::Name() const {
  std::string name;
  for (auto* p : providers_) name += (name.empty() ? "" : " > ") + p->Name();
  return name;
}

Result<IntensitySeries> FallbackProvider::Intensity(const IntensityQuery& query) {
  failures_.clear();
  std::optional<IntensitySeries> merged;
  std::string why;  // the failures so far, for the notes of later answers
  for (auto* p : providers_) {
    auto r = p->Intensity(query);
    if (!r.ok()) {
      if (!FallsThrough(r.status().code())) return r.status();
      failures_.push_back(p->Name() + ": " + r.status().message());
      why += (why.empty() ? "" : "; ") + p->Name() + " failed: " + r.status().message();
      continue;
    }
    const IntensitySeries& s = *r;
    if (!merged) {
      if (why.empty()) {
        merged = s;
      } else {
        IntensitySeries labelled;
        labelled.start = s.start;
        labelled.step = s.step;
        labelled.signal = s.signal;
        for (size_t i = 0; i < s.size(); ++i) {
          const auto& pv = s.ProvenanceAt(i);
          labelled.Append(s.values[i], pv.kind, pv.source,
                          "fallback (" + why + ")" + (pv.note.empty() ? "" : "; " + pv.note));
        }
        merged = std::move(labelled);
      }
    } else if (s.size() == merged->size() && s.signal == merged->signal) {
      // Fill the gaps of what we have from this provider.
      IntensitySeries filled;
      filled.start = merged->start;
      filled.step = merged->step;
      filled.signal = merged->signal;
      for (size_t i = 0; i < merged->size(); ++i) {
        if (merged->IsMissing(i) && !s.IsMissing(i)) {
          const auto& pv = s.ProvenanceAt(i);
          filled.Append(s.values[i], pv.kind, pv.source,
                        "gap in " + merged->ProvenanceAt(i).source + " filled" + (pv.note.empty() ? "" : "; " + pv.note));
        } else {
          const auto& pv = merged->ProvenanceAt(i);
          filled.Append(merged->values[i], pv.kind, pv.source, pv.note);
        }
      }
      merged = std::move(filled);
    }
    bool gaps = false;
    for (size_t i = 0; i < merged->size() && !gaps; ++i) gaps = merged->IsMissing(i);
    if (!gaps) break;
  }
  if (!merged) return Status::NotFound("no intensity data for zone '" + query.zone + "' (" + why + ")");
  return std::move(*merged);
}

}  // namespace sunwind
