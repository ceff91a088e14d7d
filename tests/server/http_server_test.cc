// The daemon's HTTP transport against real clients over loopback: libcurl
// (CurlTransport, as the CLI uses it) and a raw Beast/Asio client for what
// curl hides (connection reuse, malformed requests, idle connections).
#include "server/http_server.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "providers/http_transport.h"

namespace sunwind {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// Answers 200 with "method path" in the body; records every request.
class Recorder {
 public:
  RequestHandler Handler() {
    return [this](const ApiRequest& r) {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(r);
      return ApiResponse{200, "application/json", "{\"seen\":\"" + r.method + " " + r.path + "\"}", {}};
    };
  }
  std::vector<ApiRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  std::mutex mu_;
  std::vector<ApiRequest> requests_;
};

HttpServerOptions LocalOptions() {
  HttpServerOptions o;
  o.port = 0;
  return o;
}

std::unique_ptr<HttpServer> MustStart(const HttpServerOptions& options, RequestHandler handler) {
  auto server = HttpServer::Start(options, std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status().message();
  return server.ok() ? std::move(server).value() : nullptr;
}

HttpRequest Get(const std::string& url) {
  HttpRequest r;
  r.url = url;
  r.timeout = 10s;
  return r;
}

// Sends raw bytes on a fresh connection and reads until the server closes it.
std::string RawExchange(uint16_t port, const std::string& bytes) {
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(socket, asio::buffer(bytes));
  std::string out;
  beast::error_code ec;
  asio::read(socket, asio::dynamic_buffer(out), ec);  // until EOF
  return out;
}

TEST(HttpServerTest, HandlerSeesMethodPathQueryHeadersAndBody) {
  // Given a POST with a percent-encoded query, a custom header and a JSON
  // body, we should hand the handler each part, decoded, and send back its
  // answer with its status, type and extra headers.
  Recorder recorder;
  auto server = MustStart(LocalOptions(), [&](const ApiRequest& r) {
    recorder.Handler()(r);
    return ApiResponse{201, "application/json", "{\"id\":\"j1\"}", {{"Location", "/v1/jobs/j1"}}};
  });
  ASSERT_TRUE(server);
  auto transport = MakeCurlTransport();
  HttpRequest req = Get(server->url() + "/v1/jobs?state=queued&name=fine%20tune&tag=a+b&flag");
  req.method = "POST";
  req.headers = {{"Content-Type", "application/json"}, {"X-Sunwind-Test", "yes"}};
  req.body = "{\"name\":\"bert\"}";
  auto resp = transport->Send(req);
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  EXPECT_EQ(resp->status, 201);
  EXPECT_EQ(resp->body, "{\"id\":\"j1\"}");
  EXPECT_EQ(resp->Header("location").value_or(""), "/v1/jobs/j1");
  EXPECT_EQ(resp->Header("content-type").value_or(""), "application/json");

  auto seen = recorder.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].path, "/v1/jobs");
  EXPECT_EQ(seen[0].target, "/v1/jobs?state=queued&name=fine%20tune&tag=a+b&flag");
  EXPECT_EQ(seen[0].query, (std::map<std::string, std::string>{
                               {"state", "queued"}, {"name", "fine tune"}, {"tag", "a b"}, {"flag", ""}}));
  EXPECT_EQ(seen[0].Header("x-sunwind-test"), "yes");
  EXPECT_EQ(seen[0].Header("content-type"), "application/json");
  EXPECT_EQ(seen[0].body, "{\"name\":\"bert\"}");
}

TEST(HttpServerTest, PeerOnLoopbackIsMarkedLoopback) {
  // Given a client on 127.0.0.1, we should tell the handler its address and
  // that it is on loopback (the daemon opens GETs to loopback only).
  Recorder recorder;
  auto server = MustStart(LocalOptions(), recorder.Handler());
  ASSERT_TRUE(server);
  ASSERT_TRUE(MakeCurlTransport()->Send(Get(server->url() + "/v1/healthz")).ok());
  auto seen = recorder.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].remote_address, "127.0.0.1");
  EXPECT_TRUE(seen[0].remote_is_loopback);
}

TEST(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  // Given a client that sends three requests on one connection and then one
  // with "Connection: close", we should answer all four over a single
  // accepted connection and close it after the last.
  Recorder recorder;
  auto server = MustStart(LocalOptions(), recorder.Handler());
  ASSERT_TRUE(server);
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server->port()));
  beast::flat_buffer buffer;
  for (int i = 0; i < 4; ++i) {
    http::request<http::string_body> req{http::verb::get, "/n/" + std::to_string(i), 11};
    req.set(http::field::host, "127.0.0.1");
    if (i == 3) req.keep_alive(false);
    http::write(stream, req);
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(res.body(), "{\"seen\":\"GET /n/" + std::to_string(i) + "\"}");
    EXPECT_EQ(res.keep_alive(), i < 3);
  }
  // The server closed its end: the next read sees end of stream.
  beast::error_code ec;
  http::response<http::string_body> res;
  http::read(stream, buffer, res, ec);
  EXPECT_EQ(ec, http::error::end_of_stream);
  EXPECT_EQ(server->connections_accepted(), 1u);
  EXPECT_EQ(recorder.requests().size(), 4u);
}

TEST(HttpServerTest, OversizedBodyIs413AndNeverReachesTheHandler) {
  // Given a 1 KiB body limit and a 4 KiB POST, we should answer 413 with a
  // JSON error and not call the handler.
  Recorder recorder;
  HttpServerOptions options = LocalOptions();
  options.max_body_bytes = 1024;
  auto server = MustStart(options, recorder.Handler());
  ASSERT_TRUE(server);
  HttpRequest req = Get(server->url() + "/v1/jobs");
  req.method = "POST";
  req.headers = {{"Content-Type", "application/json"}};
  req.body = std::string(4096, 'x');
  auto resp = MakeCurlTransport()->Send(req);
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  EXPECT_EQ(resp->status, 413);
  EXPECT_EQ(resp->body, "{\"error\":\"request body over 1024 bytes\"}");
  EXPECT_TRUE(recorder.requests().empty());

  // A body at the limit is accepted.
  req.body = std::string(1024, 'y');
  resp = MakeCurlTransport()->Send(req);
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  EXPECT_EQ(resp->status, 200);
  ASSERT_EQ(recorder.requests().size(), 1u);
  EXPECT_EQ(recorder.requests()[0].body.size(), 1024u);
}

TEST(HttpServerTest, OversizedBodyWithoutExpectStillGets413) {
  // Given a client that sends a too-large body at once (no 100-continue),
  // we should still deliver the 413 rather than reset the connection.
  Recorder recorder;
  HttpServerOptions options = LocalOptions();
  options.max_body_bytes = 1024;
  auto server = MustStart(options, recorder.Handler());
  ASSERT_TRUE(server);
  std::string body(200 * 1024, 'x');
  std::string answer = RawExchange(server->port(), "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                                       std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer.substr(0, 200);
  EXPECT_TRUE(recorder.requests().empty());
}

TEST(HttpServerTest, ExpectContinueIsAnsweredBeforeTheBody) {
  // Given a client that announces its body with "Expect: 100-continue" and
  // waits, we should send "100 Continue" first, then take the body and
  // answer as usual.
  Recorder recorder;
  auto server = MustStart(LocalOptions(), recorder.Handler());
  ASSERT_TRUE(server);
  asio::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server->port()));
  asio::write(socket, asio::buffer(std::string("POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                               "Expect: 100-continue\r\nConnection: close\r\n\r\n")));
  std::string interim;
  asio::read_until(socket, asio::dynamic_buffer(interim), "\r\n\r\n");
  EXPECT_EQ(interim.rfind("HTTP/1.1 100 Continue\r\n", 0), 0u) << interim;
  EXPECT_TRUE(recorder.requests().empty());
  asio::write(socket, asio::buffer(std::string("hello")));
  std::string rest;
  beast::error_code ec;
  asio::read(socket, asio::dynamic_buffer(rest), ec);
  EXPECT_NE((interim + rest).find("HTTP/1.1 200 OK"), std::string::npos) << rest;
  ASSERT_EQ(recorder.requests().size(), 1u);
  EXPECT_EQ(recorder.requests()[0].body, "hello");
}

TEST(HttpServerTest, DualStackWildcardSeesIpv4LoopbackAsLoopback) {
  // Given a server on "::" and a client on 127.0.0.1 (seen as the
  // v4-mapped ::ffff:127.0.0.1), we should still mark the peer loopback.
  Recorder recorder;
  HttpServerOptions options = LocalOptions();
  options.host = "::";
  auto server = HttpServer::Start(options, recorder.Handler());
  if (!server.ok()) GTEST_SKIP() << "no IPv6 here: " << server.status().message();
  EXPECT_EQ((*server)->url(), "http://[::1]:" + std::to_string((*server)->port()));
  auto resp = MakeCurlTransport()->Send(Get("http://127.0.0.1:" + std::to_string((*server)->port()) + "/x"));
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  auto seen = recorder.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].remote_is_loopback) << seen[0].remote_address;
}

TEST(HttpServerTest, MalformedRequestIs400AndClosed) {
  // Given bytes that are not an HTTP request, we should answer 400 with a
  // JSON error and close the connection.
  Recorder recorder;
  auto server = MustStart(LocalOptions(), recorder.Handler());
  ASSERT_TRUE(server);
  std::string answer = RawExchange(server->port(), "this is not http\r\n\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
  EXPECT_NE(answer.find("{\"error\":\"malformed HTTP request\"}"), std::string::npos) << answer;
  EXPECT_TRUE(recorder.requests().empty());
}

TEST(HttpServerTest, OversizedHeadersAre431) {
  // Given a request whose headers exceed 8 KiB, we should answer 431 with a
  // JSON error and not call the handler.
  Recorder recorder;
  auto server = MustStart(LocalOptions(), recorder.Handler());
  ASSERT_TRUE(server);
  std::string answer = RawExchange(
      server->port(), "GET /x HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n");
  EXPECT_EQ(answer.rfind("HTTP/1.1 431", 0), 0u) << answer.substr(0, 200);
  EXPECT_NE(answer.find("{\"error\":\"request headers too large\"}"), std::string::npos);
  EXPECT_TRUE(recorder.requests().empty());
}

TEST(HttpServerTest, ConcurrentClientsAreAllAnswered) {
  // Given 8 client threads sending 25 requests each, we should answer every
  // one of them correctly.
  Recorder recorder;
  HttpServerOptions options = LocalOptions();
  options.threads = 4;
  auto server = MustStart(options, recorder.Handler());
  ASSERT_TRUE(server);
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      auto transport = MakeCurlTransport();
      for (int i = 0; i < 25; ++i) {
        std::string path = "/c/" + std::to_string(t) + "/" + std::to_string(i);
        auto resp = transport->Send(Get(server->url() + path));
        if (resp.ok() && resp->status == 200 && resp->body == "{\"seen\":\"GET " + path + "\"}") ok++;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(recorder.requests().size(), 200u);
  server->Stop();  // the counter moves after the write completes; Stop joins
  EXPECT_EQ(server->requests_answered(), 200u);
}

TEST(HttpServerTest, HandlerExceptionIs500WithoutItsText) {
  // Given a handler that throws with a secret in the message, we should
  // answer 500 {"error":"internal error"} and keep the secret out of both
  // the answer and the log.
  std::mutex mu;
  std::vector<std::string> log;
  HttpServerOptions options = LocalOptions();
  options.error_log = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(mu);
    log.push_back(line);
  };
  auto server = MustStart(options, [](const ApiRequest&) -> ApiResponse {
    throw std::runtime_error("token s3cr3t-value leaked");
  });
  ASSERT_TRUE(server);
  auto resp = MakeCurlTransport()->Send(Get(server->url() + "/boom?x=1"));
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  EXPECT_EQ(resp->status, 500);
  EXPECT_EQ(resp->body, "{\"error\":\"internal error\"}");
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0], "handler threw on GET /boom; answered 500");
}

TEST(HttpServerTest, AccessLogHasNoQueryNorHeaderValues) {
  // Given a request with a secret in its Authorization header and query, we
  // should log one line with method, path, status and time, and no secret.
  std::mutex mu;
  std::vector<std::string> lines;
  HttpServerOptions options = LocalOptions();
  options.access_log = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(mu);
    lines.push_back(line);
  };
  Recorder recorder;
  auto server = MustStart(options, recorder.Handler());
  ASSERT_TRUE(server);
  HttpRequest req = Get(server->url() + "/v1/jobs?token=qs-secret");
  req.headers = {{"Authorization", "Bearer hdr-secret"}};
  ASSERT_TRUE(MakeCurlTransport()->Send(req).ok());
  ASSERT_EQ(recorder.requests().size(), 1u);
  EXPECT_EQ(recorder.requests()[0].Header("authorization"), "Bearer hdr-secret");
  server->Stop();  // the line is written after the answer; Stop joins
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("GET /v1/jobs 200 ", 0), 0u) << lines[0];
  EXPECT_EQ(lines[0].back(), 's');
  EXPECT_EQ(lines[0].find("secret"), std::string::npos);
}

TEST(HttpServerTest, StopLetsARunningHandlerFinish) {
  // Given a handler still working when Stop() is called, we should let it
  // finish and deliver its answer, then stop accepting connections.
  std::promise<void> entered;
  std::atomic<bool> finished{false};
  auto server = MustStart(LocalOptions(), [&](const ApiRequest&) {
    entered.set_value();
    std::this_thread::sleep_for(500ms);
    finished = true;
    return ApiResponse{200, "application/json", "{\"slow\":true}", {}};
  });
  ASSERT_TRUE(server);
  std::string url = server->url();
  auto answer = std::async(std::launch::async, [&] { return MakeCurlTransport()->Send(Get(url + "/slow")); });
  entered.get_future().wait();
  server->Stop();
  EXPECT_TRUE(finished);
  auto resp = answer.get();
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "{\"slow\":true}");
  EXPECT_EQ(resp->Header("connection").value_or(""), "close");
  // Nobody listens any more.
  EXPECT_FALSE(MakeCurlTransport()->Send(Get(url + "/after")).ok());
  server->Stop();  // idempotent
}

TEST(HttpServerTest, StopDoesNotWaitForIdleKeepAliveConnections) {
  // Given a client holding an idle keep-alive connection and a 30 s idle
  // timeout, we should stop at once, closing that connection.
  Recorder recorder;
  auto server = MustStart(LocalOptions(), recorder.Handler());
  ASSERT_TRUE(server);
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server->port()));
  http::request<http::string_body> req{http::verb::get, "/idle", 11};
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  ASSERT_TRUE(res.keep_alive());
  auto start = std::chrono::steady_clock::now();
  server->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  beast::error_code ec;
  http::read(stream, buffer, res, ec);
  EXPECT_EQ(ec, http::error::end_of_stream);
}

TEST(HttpServerTest, StopIsPromptRightAfterClientsLeave) {
  // Given clients that have just closed their keep-alive connections (the
  // server may still be tearing them down), we should stop promptly every
  // time, not wait out the idle timeout. (A race here once left Stop()
  // waiting 35 s about one run in six.)
  for (int round = 0; round < 40; ++round) {
    Recorder recorder;
    auto server = MustStart(LocalOptions(), recorder.Handler());
    ASSERT_TRUE(server);
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([port = server->port()] {
        asio::io_context ioc;
        beast::tcp_stream stream(ioc);
        stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        beast::flat_buffer buffer;
        for (int i = 0; i < 20; ++i) {
          http::request<http::string_body> req{http::verb::get, "/r", 11};
          http::write(stream, req);
          http::response<http::string_body> res;
          http::read(stream, buffer, res);
        }
      });
    }
    for (auto& c : clients) c.join();
    auto start = std::chrono::steady_clock::now();
    server->Stop();
    ASSERT_LT(std::chrono::steady_clock::now() - start, 5s) << "round " << round;
    EXPECT_EQ(recorder.requests().size(), 80u);
  }
}

TEST(HttpServerTest, IdleConnectionIsClosedAfterTimeout) {
  // Given a 1 s idle timeout and a client that connects and sends nothing,
  // we should close the connection (the read sees end of stream, not a hang).
  Recorder recorder;
  HttpServerOptions options = LocalOptions();
  options.idle_timeout = 1s;
  auto server = MustStart(options, recorder.Handler());
  ASSERT_TRUE(server);
  auto start = std::chrono::steady_clock::now();
  std::string answer = RawExchange(server->port(), "");
  EXPECT_EQ(answer, "");
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(HttpServerTest, PortInUseIsUnavailableNamingTheAddress) {
  // Given a port another server holds, we should refuse to start with
  // kUnavailable naming host:port.
  Recorder recorder;
  auto first = MustStart(LocalOptions(), recorder.Handler());
  ASSERT_TRUE(first);
  HttpServerOptions options = LocalOptions();
  options.port = first->port();
  auto second = HttpServer::Start(options, recorder.Handler());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("127.0.0.1:" + std::to_string(first->port())), std::string::npos)
      << second.status().message();
}

TEST(HttpServerTest, BadOptionsAreRefused) {
  // Given no threads or an unresolvable host, we should refuse with
  // kInvalidArgument rather than start a server that cannot serve.
  Recorder recorder;
  HttpServerOptions options = LocalOptions();
  options.threads = 0;
  EXPECT_EQ(HttpServer::Start(options, recorder.Handler()).status().code(), StatusCode::kInvalidArgument);
  options = LocalOptions();
  options.host = "no-such-host.invalid";
  EXPECT_EQ(HttpServer::Start(options, recorder.Handler()).status().code(), StatusCode::kInvalidArgument);
}

TEST(HttpServerTest, WildcardHostGivesALoopbackUrl) {
  // Given host "0.0.0.0", we should listen everywhere and give a URL a local
  // client can reach.
  Recorder recorder;
  HttpServerOptions options = LocalOptions();
  options.host = "0.0.0.0";
  auto server = MustStart(options, recorder.Handler());
  ASSERT_TRUE(server);
  EXPECT_EQ(server->url(), "http://127.0.0.1:" + std::to_string(server->port()));
  auto resp = MakeCurlTransport()->Send(Get(server->url() + "/x"));
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  EXPECT_EQ(resp->status, 200);
}

TEST(ParseQueryTest, DecodesNamesAndValues) {
  // Given escapes, '+', empty and valueless pairs and a broken escape, we
  // should decode what is valid and keep the rest as sent.
  EXPECT_EQ(ParseQuery("a=1&b=x%20y&c=1+2&&d&e=%zz&f=%41%42&a=2"),
            (std::map<std::string, std::string>{
                {"a", "2"}, {"b", "x y"}, {"c", "1 2"}, {"d", ""}, {"e", "%zz"}, {"f", "AB"}}));
  EXPECT_TRUE(ParseQuery("").empty());
  EXPECT_EQ(PercentDecode("%2"), "%2");
}

}  // namespace
}  // namespace sunwind
