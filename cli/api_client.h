// The client side of sunwind's HTTP API (issue 6): what `sunwind submit`,
// `jobs`, `show`, `pause`, `resume`, `cancel` and `logs` send to the daemon.
// It keeps the HTTP details (URL joining, the bearer token, JSON bodies, how
// an error answer becomes a Status) out of the commands.
//
// Error mapping, so the commands' exit codes follow cli/commands.h:
//   400, 409 -> kInvalidArgument (exit 2), 404 -> kNotFound (exit 2),
//   401, 403 -> kUnauthenticated (exit 1; the message says how to set a token),
//   other non-2xx -> kInternal (exit 1),
//   no answer at all -> kUnavailable (exit 1; names the URL, suggests `sunwind serve`).
// Each error message is "<the server's error field> (HTTP <status>)".
// The token is never part of a message.
//
// Thread safety: one thread at a time (the transport's contract).
#ifndef SUNWIND_CLI_API_CLIENT_H_
#define SUNWIND_CLI_API_CLIENT_H_

#include <nlohmann/json.hpp>

#include <string>

#include "core/status.h"
#include "providers/http_transport.h"

namespace sunwind {

class ApiClient {
 public:
  // `base_url` is the daemon's origin ("http://127.0.0.1:8787"); trailing
  // slashes are dropped. An empty `token` sends no Authorization header.
  // `transport` must outlive the client.
  ApiClient(std::string base_url, std::string token, HttpTransport& transport);

  // Sends `method` to base_url + `path` (which starts with "/" and carries
  // any query), with `body` as JSON unless it is null, and parses the 2xx
  // answer as JSON (an empty body reads as null). Keys keep the server's order.
  Result<nlohmann::ordered_json> Call(const std::string& method, const std::string& path,
                                      const nlohmann::ordered_json& body = nullptr);

  // As Call, but returns the raw 2xx answer (for text/plain logs).
  Result<HttpResponse> CallRaw(const std::string& method, const std::string& path, const std::string& body = "");

  const std::string& base_url() const { return base_url_; }

 private:
  Status ErrorFor(const HttpResponse& response) const;

  std::string base_url_;
  std::string token_;
  HttpTransport& transport_;
};

}  // namespace sunwind

#endif  // SUNWIND_CLI_API_CLIENT_H_
