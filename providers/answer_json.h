// What the live clients share in reading a provider's JSON answer: one shape
// of error for an answer that cannot be used (kUnavailable, so the chain
// falls through to the next source), and parsing into an object.
// Internal to providers/ (nlohmann is a private dependency).
#ifndef SUNWIND_PROVIDERS_ANSWER_JSON_H_
#define SUNWIND_PROVIDERS_ANSWER_JSON_H_

#include <nlohmann/json.hpp>

#include <string>

#include "core/status.h"

namespace sunwind {

inline Status MalformedAnswer(const char* provider, const std::string& what) {
  return Status::Unavailable(std::string(provider) + ": malformed answer: " + what);
}

// The body as a JSON object; a body that is empty, cut short or not an
// object is a malformed answer.
inline Result<nlohmann::ordered_json> ParseAnswerObject(const char* provider, const std::string& body) {
  auto j = nlohmann::ordered_json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return MalformedAnswer(provider, body.empty() ? "empty body"
                                                  : "not valid JSON (" + std::to_string(body.size()) +
                                                        " bytes, cut short or corrupt)");
  }
  if (!j.is_object()) return MalformedAnswer(provider, "expected a JSON object");
  return j;
}

}  // namespace sunwind

#endif  // SUNWIND_PROVIDERS_ANSWER_JSON_H_
