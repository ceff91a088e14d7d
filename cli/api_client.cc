#include "cli/api_client.h"

#include <utility>

namespace sunwind {

ApiClient::ApiClient(std::string base_url, std::string token, HttpTransport& transport)
    : base_url_(WithoutTrailingSlash(std::move(base_url))), token_(std::move(token)), transport_(transport) {}

Result<HttpResponse> ApiClient::CallRaw(const std::string& method, const std::string& path, const std::string& body) {
  HttpRequest request;
  request.method = method;
  request.url = base_url_ + path;
  request.headers.push_back({"Accept", "application/json"});
  if (!token_.empty()) request.headers.push_back({"Authorization", "Bearer " + token_});
  if (!body.empty()) {
    request.headers.push_back({"Content-Type", "application/json"});
    request.body = body;
  }
  auto response = transport_.Send(request);
  if (!response.ok()) {
    // The transport's own message names the host and the failure, never
    // headers; the user needs the URL they configured and what to do.
    return Status::Unavailable("cannot reach the sunwind daemon at " + base_url_ + " (" +
                               response.status().message() +
                               "); start it with `sunwind serve`, or point --url / SUNWIND_URL at it");
  }
  if (response->status < 200 || response->status >= 300) return ErrorFor(*response);
  return std::move(response).value();
}

Result<nlohmann::ordered_json> ApiClient::Call(const std::string& method, const std::string& path,
                                               const nlohmann::ordered_json& body) {
  SUNWIND_ASSIGN_OR_RETURN(HttpResponse response, CallRaw(method, path, body.is_null() ? "" : body.dump()));
  if (response.body.empty()) return nlohmann::ordered_json(nullptr);
  auto parsed = nlohmann::ordered_json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Status::Internal("the daemon at " + base_url_ + " answered " + method + " " + path +
                            " with invalid JSON (HTTP " + std::to_string(response.status) + ")");
  }
  return parsed;
}

Status ApiClient::ErrorFor(const HttpResponse& response) const {
  std::string error;
  auto parsed = nlohmann::ordered_json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded() && parsed.is_object() && parsed.contains("error") && parsed["error"].is_string()) {
    error = parsed["error"].get<std::string>();
  } else {
    error = response.body.size() > 200 ? response.body.substr(0, 200) + "..." : response.body;
    if (error.empty()) error = "no error message";
  }
  std::string message = error + " (HTTP " + std::to_string(response.status) + ")";
  switch (response.status) {
    case 400:
    case 409: return Status::InvalidArgument(message);
    case 404: return Status::NotFound(message);
    case 401:
    case 403:
      return Status(StatusCode::kUnauthenticated, message + "; set SUNWIND_TOKEN or --token-file to the daemon's token");
    default: return Status::Internal(message);
  }
}

}  // namespace sunwind
