// A real HTTP/1.1 server on 127.0.0.1 for tests (Boost.Beast), answering with
// recorded bodies and with the faults live APIs show: delays past a client's
// timeout, 429 with Retry-After, 5xx, 401, bodies cut short, invalid JSON.
//
// Routing is by path (the target without its query). A route answers with a
// fixed reply, or with a sequence (one reply per request; the last repeats),
// or with a handler. Every request is recorded for assertions. One thread
// accepts; each connection is served on its own thread, one request per
// connection. Stop() (also run by the destructor) joins them all.
#ifndef SUNWIND_TESTS_SUPPORT_TEST_HTTP_SERVER_H_
#define SUNWIND_TESTS_SUPPORT_TEST_HTTP_SERVER_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace sunwind::testing {

struct TestReply {
  TestReply() = default;
  TestReply(int s, std::string b, std::string type = "application/json")
      : status(s), body(std::move(b)), content_type(std::move(type)) {}

  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // Wait this long before answering.
  std::chrono::milliseconds delay{0};
  // Announce the full Content-Length, send half the body, close.
  bool cut_short = false;
};

struct RecordedRequest {
  std::string method;
  std::string target;  // path and query
  std::string path;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
  // The decoded value of a query parameter, or "".
  std::string Query(const std::string& name) const;
};

class TestHttpServer {
 public:
  using Handler = std::function<TestReply(const RecordedRequest&)>;

  // Listens on 127.0.0.1 on a free port.
  TestHttpServer();
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  // "http://127.0.0.1:<port>"
  std::string url() const;
  unsigned short port() const { return port_; }

  void Serve(const std::string& path, TestReply reply);
  void ServeSequence(const std::string& path, std::vector<TestReply> replies);
  void ServeHandler(const std::string& path, Handler handler);

  std::vector<RecordedRequest> requests() const;
  size_t RequestCount(const std::string& path) const;

  void Stop();

  // A reply with a file's content (tests/fixtures/...), or a 500 naming the
  // file when it cannot be read.
  static TestReply FileReply(const std::string& path, int status = 200);

 private:
  struct Impl;
  TestReply Answer(const RecordedRequest& request);
  void AcceptLoop();

  std::unique_ptr<Impl> impl_;
  unsigned short port_ = 0;
  mutable std::mutex mu_;
  std::map<std::string, Handler> routes_;
  std::vector<RecordedRequest> requests_;
};

// The text of a file, or "" when it cannot be read.
std::string ReadFileText(const std::string& path);

}  // namespace sunwind::testing

#endif  // SUNWIND_TESTS_SUPPORT_TEST_HTTP_SERVER_H_
