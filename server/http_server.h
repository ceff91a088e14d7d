// The daemon's HTTP/1.1 transport: accepts connections, parses requests, hands
// each one to a RequestHandler (a plain function, request -> response) and
// writes the answer back. It knows nothing of jobs or routes, so it is tested
// with a trivial handler and the API routing is tested without sockets.
//
// Boost.Beast and Asio live in http_server.cc only (this header hides them
// behind a pimpl), so the daemon and the CLI compile without them.
//
// What the transport does on its own, before or instead of the handler:
//   - persistent connections (HTTP/1.1 keep-alive; `Connection: close` and
//     HTTP/1.0 without keep-alive end the connection after the answer);
//   - a body over max_body_bytes: 413, the handler is not called, the
//     connection is closed;
//   - a request that is not valid HTTP: 400, connection closed;
//   - headers over 8 KiB: 431, connection closed;
//   - `Expect: 100-continue`: answered before the body is read;
//   - a handler that throws: 500 {"error":"internal error"}; the exception's
//     text is never sent nor logged (it might hold a token);
//   - an idle connection (no complete request within idle_timeout) is closed.
// Every error body the transport writes is JSON: {"error": "..."}.
#ifndef SUNWIND_SERVER_HTTP_SERVER_H_
#define SUNWIND_SERVER_HTTP_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace sunwind {

struct ApiRequest {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // path and query, as sent ("/v1/jobs?state=queued")
  std::string path;    // the target before '?', not decoded
  // The query's parameters, names and values percent-decoded ('+' is a
  // space); for a repeated name the last value wins.
  std::map<std::string, std::string> query;
  // Header names in lower case; repeated headers joined with ", ". Values may
  // hold secrets (authorization): handlers must not log them.
  std::map<std::string, std::string> headers;
  std::string body;
  std::string remote_address;  // the peer's IP ("127.0.0.1", "::1")
  // The peer is on a loopback address (127.0.0.0/8, ::1, or ::ffff:127.x.y.z).
  bool remote_is_loopback = false;

  // The header's value, or "" (name in lower case).
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers (Location, Retry-After, WWW-Authenticate, ...).
  // Content-Length, Content-Type, Connection and Server are set by the
  // transport.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Called for each complete request. May be called concurrently from several
// of the server's threads (one call per connection at a time), so it must be
// thread-safe. It runs on an I/O thread: a slow handler holds that thread, so
// `threads` bounds how many requests are handled at once. It may throw (the
// client gets a 500) but should not. It must not call HttpServer::Stop().
using RequestHandler = std::function<ApiResponse(const ApiRequest&)>;

struct HttpServerOptions {
  // A literal IPv4/IPv6 address or a host name resolved once at Start.
  // "0.0.0.0" and "::" listen on every interface ("::" also takes IPv4).
  std::string host = "127.0.0.1";
  uint16_t port = 8787;  // 0: any free port (see HttpServer::port())
  int threads = 2;       // I/O threads, each may run the handler
  size_t max_body_bytes = 1 << 20;
  // A connection that sends no complete request for this long is closed; it
  // also bounds how long writing one answer may take.
  std::chrono::seconds idle_timeout{30};
  // Optional: one line per answered request, "METHOD /path STATUS 123us"
  // (the path without its query, no header values, so no secrets). Called
  // from I/O threads, concurrently.
  std::function<void(const std::string& line)> access_log;
  // Optional: the transport's own troubles (a handler that threw, an accept
  // failure), one generic line each, never request data. Unset: stderr.
  std::function<void(const std::string& line)> error_log;
};

class HttpServer {
 public:
  // Binds, listens and starts the I/O threads. kUnavailable naming host:port
  // when the address cannot be bound (port in use, address not local);
  // kInvalidArgument for an unresolvable host or threads < 1.
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   RequestHandler handler);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port actually bound (the chosen one when options.port was 0).
  uint16_t port() const;
  // "http://host:port" ("http://[::1]:8787" for IPv6; a wildcard host is
  // given as the loopback address, the one a local client can reach).
  std::string url() const;

  // Graceful stop: stops accepting, closes idle connections, lets requests in
  // the handler finish and their answers be written (with Connection: close),
  // then joins the I/O threads. Connections still busy after
  // idle_timeout + 5 s are cut. Idempotent; thread-safe; never from a handler.
  void Stop();

  // Connections accepted since Start (for tests of keep-alive).
  uint64_t connections_accepted() const;
  // Requests answered (by the handler or with a transport error), counted
  // once the answer is written, so possibly after the client has read it.
  uint64_t requests_answered() const;

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Percent-decodes a query component ('+' becomes a space); malformed escapes
// are kept as they are.
std::string PercentDecode(const std::string& s);
// "a=1&b=x%20y" -> {a: "1", b: "x y"}.
std::map<std::string, std::string> ParseQuery(const std::string& query);

}  // namespace sunwind

#endif  // SUNWIND_SERVER_HTTP_SERVER_H_
