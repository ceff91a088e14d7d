#include "core/status.h"

namespace sunwind {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kInfeasible: return "infeasible";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kRateLimited: return "rate_limited";
    case StatusCode::kUnauthenticated: return "unauthenticated";
    case StatusCode::kFailedPrecondition: return "failed_precondition";
    case StatusCode::kInternal: return "internal";
  }
  return "unknown";
}

}  // namespace sunwind
