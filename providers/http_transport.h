// The one seam between sunwind and the network: a blocking HTTP client behind
// a small interface, so providers can be tested against a real local server
// and a test can stand in where no server can run.
//
// The real implementation is CurlTransport (curl_transport.cc, the only file
// that includes libcurl). HTTP error statuses (401, 429, 500, ...) are answers,
// not failures: Send returns them in HttpResponse and the provider decides
// what they mean. Send fails (kUnavailable) only when no answer arrived: a
// timeout, a refused or reset connection, a TLS failure, a body cut short.
#ifndef SUNWIND_PROVIDERS_HTTP_TRANSPORT_H_
#define SUNWIND_PROVIDERS_HTTP_TRANSPORT_H_

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace sunwind {

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute: scheme, host, path and query
  // Request headers, in order. Values may hold secrets (auth-token,
  // Authorization): transports never log them nor put them in errors.
  std::vector<std::pair<std::string, std::string>> headers;
  // HTTP Basic credentials, when set (WattTime's login). Secret like headers.
  std::optional<std::pair<std::string, std::string>> basic_auth;
  // Sent as the request body when not empty (POST to sunwind's own API); set
  // Content-Type in `headers`.
  std::string body;
  // Whole-request limit (connect + send + receive).
  std::chrono::milliseconds timeout{10000};
};

struct HttpResponse {
  int status = 0;
  // Header names in lower case; the last value wins for repeated names.
  std::map<std::string, std::string> headers;
  std::string body;

  // The header's value, if present (name in any case).
  std::optional<std::string> Header(const std::string& name) const;
};

// Abstract so providers can be tested; the real one is CurlTransport.
// Implementations must be usable from one thread at a time.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends the request and waits for the whole answer. Errors are kUnavailable
  // with a message naming the host and what failed (never credentials).
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

struct CurlTransportOptions {
  // Limit on establishing the TCP + TLS connection; the request's own timeout
  // bounds the whole exchange.
  std::chrono::milliseconds connect_timeout{5000};
  // "sunwind/<version>" unless set.
  std::string user_agent;
  // TLS peer and host verification stay on; a CA bundle path may be given.
  std::string ca_bundle;
};

// The real transport on libcurl: TLS verification on, proxies from the usual
// environment variables (http_proxy, https_proxy, all_proxy, no_proxy, as
// libcurl reads them), redirects not followed.
std::unique_ptr<HttpTransport> MakeCurlTransport(const CurlTransportOptions& options = {});

// "sunwind/0.1.0".
std::string SunwindUserAgent();

// Percent-encodes everything but RFC 3986's unreserved characters, for query
// values.
std::string UrlEncode(const std::string& s);
// A configured base URL without its trailing slashes, ready for "/path".
std::string WithoutTrailingSlash(std::string url);

// "https://api.example.com:8443" from a URL, for messages that must not carry
// a path or query (which could hold secrets).
std::string UrlOrigin(const std::string& url);

}  // namespace sunwind

#endif  // SUNWIND_PROVIDERS_HTTP_TRANSPORT_H_
