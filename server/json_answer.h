// The JSON answers every route of the daemon's API gives, in one place so
// that every error body has the same shape: {"error": "<what was wrong>"}.
#ifndef SUNWIND_SERVER_JSON_ANSWER_H_
#define SUNWIND_SERVER_JSON_ANSWER_H_

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "server/http_server.h"
#include "service/service.h"

namespace sunwind {

inline ApiResponse JsonAnswer(int status, const nlohmann::json& body) {
  ApiResponse a;
  a.status = status;
  a.body = body.dump();
  return a;
}

inline ApiResponse ErrorAnswer(int status, const std::string& message) {
  return JsonAnswer(status, nlohmann::json{{"error", message}});
}

// The status a service error maps to (HttpStatusFor), with its message.
inline ApiResponse ErrorAnswer(const Status& st) { return ErrorAnswer(HttpStatusFor(st), st.message()); }

}  // namespace sunwind

#endif  // SUNWIND_SERVER_JSON_ANSWER_H_
