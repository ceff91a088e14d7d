// CurlTransport against a real local server: answers, status codes, headers,
// timeouts, refused connections, TLS failure, bodies cut short, proxies from
// the environment, and secrets kept out of errors.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <optional>

#include "providers/http_transport.h"
#include "tests/support/test_http_server.h"

namespace sunwind {
namespace {

using sunwind::testing::TestHttpServer;
using sunwind::testing::TestReply;

// Sets an environment variable for the life of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) ::setenv(name, value, 1); else ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1); else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class HttpTransportTest : public ::testing::Test {
 protected:
  HttpRequest Get(const std::string& path) {
    HttpRequest r;
    r.url = server_.url() + path;
    r.timeout = std::chrono::milliseconds(2000);
    return r;
  }
  // No proxy from the developer's environment may intercept 127.0.0.1.
  ScopedEnv no_http_proxy_{"http_proxy", nullptr};
  ScopedEnv no_all_proxy_{"all_proxy", nullptr};
  ScopedEnv no_all_proxy_upper_{"ALL_PROXY", nullptr};
  TestHttpServer server_;
  std::unique_ptr<HttpTransport> http_ = MakeCurlTransport();
};

TEST_F(HttpTransportTest, ReturnsStatusBodyAndHeadersAndSendsOurs) {
  // Given a route answering a body and a header, we should get both back, and
  // the server should see our headers and a User-Agent naming sunwind.
  TestReply reply;
  reply.body = "{\"ok\":true}";
  reply.headers = {{"X-Answer", "42"}};
  server_.Serve("/v3/thing", reply);
  HttpRequest req = Get("/v3/thing?zone=DE");
  req.headers = {{"auth-token", "k"}, {"Accept", "application/json"}};
  auto r = http_->Send(req);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{\"ok\":true}");
  EXPECT_EQ(r->Header("X-Answer").value_or(""), "42");
  EXPECT_EQ(r->Header("content-type").value_or(""), "application/json");
  auto seen = server_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].target, "/v3/thing?zone=DE");
  EXPECT_EQ(seen[0].Header("auth-token"), "k");
  EXPECT_EQ(seen[0].Header("accept"), "application/json");
  EXPECT_EQ(seen[0].Header("user-agent"), "sunwind/0.1.0");
  EXPECT_EQ(SunwindUserAgent(), "sunwind/0.1.0");
}

TEST_F(HttpTransportTest, PostsTheBody) {
  // Given a POST with a JSON body, the server should get the method, the
  // body byte for byte and our Content-Type.
  server_.Serve("/v1/jobs", TestReply(201, "{\"id\":\"j-000001\"}"));
  HttpRequest req = Get("/v1/jobs");
  req.method = "POST";
  req.body = "{\"name\":\"a\",\"power_w\":900}";
  req.headers = {{"Content-Type", "application/json"}};
  auto r = http_->Send(req);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 201);
  auto seen = server_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].body, req.body);
  EXPECT_EQ(seen[0].Header("content-type"), "application/json");
}

TEST_F(HttpTransportTest, ErrorStatusesAreAnswersNotFailures) {
  // Given 401, 429 with Retry-After and 500, we should get each status with
  // its body and headers: what they mean is the provider's business.
  server_.Serve("/401", {401, "{\"error\":\"Invalid auth-token\"}"});
  TestReply limited{429, "{}"};
  limited.headers = {{"Retry-After", "7"}};
  server_.Serve("/429", limited);
  server_.Serve("/500", {500, "oops", "text/plain"});
  auto a = http_->Send(Get("/401"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->status, 401);
  EXPECT_EQ(a->body, "{\"error\":\"Invalid auth-token\"}");
  auto b = http_->Send(Get("/429"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->status, 429);
  EXPECT_EQ(b->Header("retry-after").value_or(""), "7");
  auto c = http_->Send(Get("/500"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->status, 500);
  EXPECT_EQ(c->body, "oops");
  auto d = http_->Send(Get("/no-such-route"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->status, 404);
}

TEST_F(HttpTransportTest, AnswerSlowerThanTheTimeoutIsUnavailable) {
  // Given a server that waits 2 s and a 200 ms timeout, we should give up
  // after about 200 ms with kUnavailable saying it timed out.
  TestReply slow{200, "{}"};
  slow.delay = std::chrono::milliseconds(2000);
  server_.Serve("/slow", slow);
  HttpRequest req = Get("/slow");
  req.timeout = std::chrono::milliseconds(200);
  auto start = std::chrono::steady_clock::now();
  auto r = http_->Send(req);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("timed out"), std::string::npos) << r.status().message();
  EXPECT_LT(took, std::chrono::milliseconds(1500));
}

TEST_F(HttpTransportTest, RefusedConnectionIsUnavailable) {
  // Given a port nobody listens on any more, we should fail at once with
  // kUnavailable naming the refusal and the host.
  std::string url;
  {
    TestHttpServer gone;
    url = gone.url() + "/x";
  }
  HttpRequest req;
  req.url = url;
  auto r = http_->Send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("connection refused"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("127.0.0.1"), std::string::npos);
}

TEST_F(HttpTransportTest, BodyCutShortIsUnavailable) {
  // Given an answer that promises more bytes than it sends, we should not
  // hand half a body on as if it were whole.
  TestReply cut{200, "{\"zone\":\"DE\",\"carbonIntensity\":428}"};
  cut.cut_short = true;
  server_.Serve("/cut", cut);
  auto r = http_->Send(Get("/cut"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("cut short"), std::string::npos) << r.status().message();
}

TEST_F(HttpTransportTest, TlsVerificationFailureIsUnavailable) {
  // Given https:// to a server that speaks no TLS, we should fail the
  // handshake with kUnavailable (and never fall back to plain HTTP).
  server_.Serve("/x", {200, "{}"});
  HttpRequest req;
  req.url = "https://127.0.0.1:" + std::to_string(server_.port()) + "/x";
  req.timeout = std::chrono::milliseconds(2000);
  auto r = http_->Send(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("https://127.0.0.1"), std::string::npos) << r.status().message();
}

TEST_F(HttpTransportTest, UsesTheProxyFromTheEnvironment) {
  // Given http_proxy pointing at our server, a request for another host
  // should reach our server in proxy (absolute) form.
  server_.Serve("http://api.example.invalid/v3/carbon-intensity/latest", {200, "{\"via\":\"proxy\"}"});
  ScopedEnv proxy("http_proxy", server_.url().c_str());
  ScopedEnv no_proxy("no_proxy", nullptr);
  ScopedEnv no_proxy_upper("NO_PROXY", nullptr);
  HttpRequest req;
  req.url = "http://api.example.invalid/v3/carbon-intensity/latest?zone=DE";
  auto r = http_->Send(req);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->body, "{\"via\":\"proxy\"}");
  ASSERT_EQ(server_.requests().size(), 1u);
  EXPECT_EQ(server_.requests()[0].Header("host"), "api.example.invalid");
}

TEST_F(HttpTransportTest, SecretsNeverAppearInErrors) {
  // Given a key in a header, Basic credentials, and a token in the query,
  // a failure's message should carry none of them.
  TestReply slow{200, "{}"};
  slow.delay = std::chrono::milliseconds(1000);
  server_.Serve("/slow", slow);
  HttpRequest req = Get("/slow?token=SECRET-QUERY");
  req.timeout = std::chrono::milliseconds(100);
  req.headers = {{"auth-token", "SECRET-KEY"}};
  req.basic_auth = std::make_pair("user", "SECRET-PASSWORD");
  auto r = http_->Send(req);
  ASSERT_FALSE(r.ok());
  for (const char* secret : {"SECRET-QUERY", "SECRET-KEY", "SECRET-PASSWORD", "token="}) {
    EXPECT_EQ(r.status().message().find(secret), std::string::npos) << r.status().message();
  }
  EXPECT_EQ(UrlOrigin("https://user:pw@api.example.com:8443/v3/x?k=1"), "https://api.example.com:8443");
}

TEST_F(HttpTransportTest, SendsBasicAuth) {
  server_.Serve("/login", {200, "{\"token\":\"t\"}"});
  HttpRequest req = Get("/login");
  req.basic_auth = std::make_pair("alice", "pw");
  ASSERT_TRUE(http_->Send(req).ok());
  EXPECT_EQ(server_.requests()[0].Header("authorization"), "Basic YWxpY2U6cHc=");
}

}  // namespace
}  // namespace sunwind
