// api_load: an HTTP/1.1 load client for sunwind's API (issue 6's load
// benchmark). Opens --connections persistent connections, one thread each,
// and sends --requests requests in total over them, each waiting for its
// answer before the next on the same connection (closed loop). Prints one
// JSON object: counts by status, wall time, throughput and latency
// percentiles, all measured here on the client's steady clock.
//
//   api_load --url http://127.0.0.1:8787 --path /v1/jobs --method POST
//            --body-file job.json --header 'Authorization: Bearer X'
//            --requests 10000 --connections 8
//   api_load --self-test [--requests N --connections C --server-threads T]
//
// "{{n}}" in the body (and path) is replaced by the request's number
// (0-based), so each submission is distinct. --self-test starts sunwind's own
// HttpServer in this process with a handler that answers 201 at once: the
// transport's ceiling, with client and server sharing the machine's cores.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "server/http_server.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string url;
  std::string path = "/v1/healthz";
  std::string method = "GET";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  long requests = 10000;
  int connections = 8;
  bool self_test = false;
  int server_threads = 2;
};

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "api_load: %s\n"
               "usage: api_load (--url http://HOST:PORT | --self-test) [--path P] [--method M]\n"
               "                [--body JSON | --body-file F] [--header 'Name: value']...\n"
               "                [--requests N] [--connections C] [--server-threads T]\n",
               why.c_str());
  return 2;
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

// "http://host:port" -> host, port. Only plain HTTP: the daemon listens on
// loopback without TLS.
bool ParseUrl(const std::string& url, std::string* host, std::string* port) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return false;
  std::string rest = url.substr(scheme.size());
  rest = rest.substr(0, rest.find('/'));
  if (!rest.empty() && rest[0] == '[') {  // [::1]:8787
    size_t close = rest.find(']');
    if (close == std::string::npos) return false;
    *host = rest.substr(1, close - 1);
    *port = close + 1 < rest.size() && rest[close + 1] == ':' ? rest.substr(close + 2) : "80";
  } else {
    size_t colon = rest.rfind(':');
    *host = rest.substr(0, colon);
    *port = colon == std::string::npos ? "80" : rest.substr(colon + 1);
  }
  return !host->empty() && !port->empty();
}

struct WorkerResult {
  std::vector<double> latencies_ms;
  std::map<std::string, long> by_status;  // "201", "409", "connection"
  long connections_opened = 0;
};

// One connection's loop: take the next request number, send, wait for the
// whole answer. A failed exchange counts as "connection" and reconnects.
void Worker(const Options& options, const std::string& host, const std::string& port,
            std::atomic<long>* next, WorkerResult* out) {
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  const http::verb verb = http::string_to_verb(options.method);
  for (;;) {
    long n = next->fetch_add(1);
    if (n >= options.requests) break;
    beast::error_code ec;
    if (!stream) {
      stream.emplace(ioc);
      auto endpoints = resolver.resolve(host, port, ec);
      if (!ec) stream->connect(endpoints, ec);
      if (ec) {
        out->by_status["connection"]++;
        stream.reset();
        continue;
      }
      out->connections_opened++;
      buffer.clear();
    }
    const std::string number = std::to_string(n);
    http::request<http::string_body> req;
    if (verb == http::verb::unknown) {
      req.method_string(options.method);
    } else {
      req.method(verb);
    }
    req.target(ReplaceAll(options.path, "{{n}}", number));
    req.version(11);
    req.set(http::field::host, host + ":" + port);
    req.set(http::field::user_agent, "sunwind-api-load");
    for (const auto& [name, value] : options.headers) req.set(name, value);
    if (!options.body.empty()) {
      if (req[http::field::content_type].empty()) req.set(http::field::content_type, "application/json");
      req.body() = ReplaceAll(options.body, "{{n}}", number);
    }
    req.keep_alive(true);
    req.prepare_payload();

    http::response<http::string_body> res;
    auto start = Clock::now();
    http::write(*stream, req, ec);
    if (!ec) http::read(*stream, buffer, res, ec);
    auto elapsed = Clock::now() - start;
    if (ec) {
      out->by_status["connection"]++;
      stream.reset();
      continue;
    }
    out->latencies_ms.push_back(std::chrono::duration<double, std::milli>(elapsed).count());
    out->by_status[std::to_string(res.result_int())]++;
    if (!res.keep_alive()) {
      beast::error_code ignored;
      stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream.reset();
    }
  }
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p / 100.0 * (sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

double Round3(double v) { return static_cast<long long>(v * 1000 + 0.5) / 1000.0; }

}  // namespace

int main(int argc, char** argv) {
  Options options;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) {
        Usage(a + " needs a value");
        std::exit(2);
      }
      return args[++i];
    };
    if (a == "--url") {
      options.url = value();
    } else if (a == "--path") {
      options.path = value();
    } else if (a == "--method") {
      options.method = value();
    } else if (a == "--body") {
      options.body = value();
    } else if (a == "--body-file") {
      std::string file = value();
      std::ifstream in(file, std::ios::binary);
      if (!in) return Usage("cannot read --body-file " + file);
      std::stringstream ss;
      ss << in.rdbuf();
      options.body = ss.str();
    } else if (a == "--header") {
      std::string h = value();
      size_t colon = h.find(':');
      if (colon == std::string::npos) return Usage("--header wants 'Name: value'");
      std::string v = h.substr(colon + 1);
      v.erase(0, v.find_first_not_of(' '));
      options.headers.emplace_back(h.substr(0, colon), v);
    } else if (a == "--requests") {
      options.requests = std::atol(value().c_str());
    } else if (a == "--connections") {
      options.connections = std::atoi(value().c_str());
    } else if (a == "--server-threads") {
      options.server_threads = std::atoi(value().c_str());
    } else if (a == "--self-test") {
      options.self_test = true;
    } else if (a == "--help" || a == "-h") {
      Usage("an HTTP/1.1 load client for sunwind's API");
      return 0;
    } else {
      return Usage("unknown argument " + a);
    }
  }
  if (options.requests < 1 || options.connections < 1) return Usage("--requests and --connections must be >= 1");

  std::unique_ptr<sunwind::HttpServer> server;
  if (options.self_test) {
    sunwind::HttpServerOptions so;
    so.port = 0;
    so.threads = options.server_threads;
    std::atomic<long> handled{0};
    auto started = sunwind::HttpServer::Start(so, [&handled](const sunwind::ApiRequest& r) {
      long n = handled.fetch_add(1);
      return sunwind::ApiResponse{201, "application/json", "{\"id\":\"job-" + std::to_string(n) + "\"}", {}};
    });
    if (!started.ok()) {
      std::fprintf(stderr, "api_load: self-test server: %s\n", started.status().message().c_str());
      return 1;
    }
    server = std::move(started).value();
    options.url = server->url();
  }
  if (options.url.empty()) return Usage("give --url or --self-test");
  std::string host, port;
  if (!ParseUrl(options.url, &host, &port)) return Usage("--url must be http://HOST:PORT, not " + options.url);

  std::atomic<long> next{0};
  std::vector<WorkerResult> results(options.connections);
  std::vector<std::thread> workers;
  auto start = Clock::now();
  for (int c = 0; c < options.connections; ++c) {
    workers.emplace_back(Worker, std::cref(options), std::cref(host), std::cref(port), &next, &results[c]);
  }
  for (auto& w : workers) w.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  uint64_t server_connections = server ? server->connections_accepted() : 0;
  if (server) server->Stop();

  std::vector<double> latencies;
  std::map<std::string, long> by_status;
  long ok_2xx = 0;
  long connections_opened = 0;
  for (auto& r : results) {
    latencies.insert(latencies.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    connections_opened += r.connections_opened;
    for (auto& [status, count] : r.by_status) {
      if (status.size() == 3 && status[0] == '2') {
        ok_2xx += count;
      } else {
        by_status[status] += count;
      }
    }
  }
  std::sort(latencies.begin(), latencies.end());

  nlohmann::ordered_json out;
  out["tool"] = "api_load";
  out["url"] = options.url;
  out["method"] = options.method;
  out["path"] = options.path;
  out["self_test"] = options.self_test;
  if (options.self_test) {
    out["server_threads"] = options.server_threads;
    out["server_connections_accepted"] = server_connections;
  }
  out["connections"] = options.connections;
  out["connections_opened"] = connections_opened;
  out["requests"] = options.requests;
  out["ok_2xx"] = ok_2xx;
  out["errors_by_status"] = by_status;
  out["seconds"] = Round3(seconds);
  out["throughput_rps"] = Round3(options.requests / seconds);
  out["latency_ms"] = {{"p50", Round3(Percentile(latencies, 50))},
                       {"p90", Round3(Percentile(latencies, 90))},
                       {"p99", Round3(Percentile(latencies, 99))},
                       {"max", Round3(latencies.empty() ? 0 : latencies.back())}};
  out["client_cpus"] = std::thread::hardware_concurrency();
  out["measured_by"] = "client steady clock, send of request to end of answer, per request";
  std::cout << out.dump(2) << "\n";
  return ok_2xx == options.requests ? 0 : 1;
}
