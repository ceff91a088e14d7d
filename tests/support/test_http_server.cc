#include "tests/support/test_http_server.h"

#include "server/http_server.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

namespace sunwind::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string RecordedRequest::Query(const std::string& name) const {
  size_t q = target.find('?');
  if (q == std::string::npos) return "";
  auto params = ParseQuery(target.substr(q + 1));
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

struct TestHttpServer::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread accept_thread;
  std::mutex threads_mu;
  std::vector<std::thread> connection_threads;
  std::atomic<bool> stopping{false};
};

TestHttpServer::TestHttpServer() : impl_(std::make_unique<Impl>()) {
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->accept_thread = std::thread([this] { AcceptLoop(); });
}

TestHttpServer::~TestHttpServer() { Stop(); }

std::string TestHttpServer::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

void TestHttpServer::Serve(const std::string& path, TestReply reply) {
  ServeHandler(path, [reply](const RecordedRequest&) { return reply; });
}

void TestHttpServer::ServeSequence(const std::string& path, std::vector<TestReply> replies) {
  auto next = std::make_shared<size_t>(0);
  ServeHandler(path, [replies, next](const RecordedRequest&) {
    size_t i = std::min(*next, replies.size() - 1);
    ++*next;
    return replies[i];
  });
}

void TestHttpServer::ServeHandler(const std::string& path, Handler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  routes_[path] = std::move(handler);
}

std::vector<RecordedRequest> TestHttpServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

size_t TestHttpServer::RequestCount(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::count_if(requests_.begin(), requests_.end(), [&](const RecordedRequest& r) { return r.path == path; });
}

TestReply TestHttpServer::FileReply(const std::string& path, int status) {
  TestReply r;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    r.status = 500;
    r.body = "{\"error\":\"test fixture not readable: " + path + "\"}";
    return r;
  }
  r.status = status;
  r.body = ReadFileText(path);
  return r;
}

TestReply TestHttpServer::Answer(const RecordedRequest& request) {
  Handler handler;
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    auto it = routes_.find(request.path);
    if (it != routes_.end()) handler = it->second;
  }
  if (!handler) {
    TestReply r;
    r.status = 404;
    r.body = "{\"error\":\"no route for " + request.path + "\"}";
    return r;
  }
  return handler(request);
}

namespace {

void ServeConnection(tcp::socket socket, const std::function<TestReply(const RecordedRequest&)>& answer,
                     const std::atomic<bool>& stopping) {
  beast::error_code ec;
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  http::read(socket, buffer, req, ec);
  if (ec) return;
  RecordedRequest rec;
  rec.method = std::string(req.method_string());
  rec.target = std::string(req.target());
  rec.path = rec.target.substr(0, rec.target.find('?'));
  rec.body = req.body();
  for (const auto& field : req) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    rec.headers[name] = std::string(field.value());
  }
  TestReply reply = answer(rec);
  // Sleep in small steps so Stop() is not held up by a long delay.
  auto until = std::chrono::steady_clock::now() + reply.delay;
  while (std::chrono::steady_clock::now() < until && !stopping) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (reply.cut_short) {
    std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\nContent-Type: " + reply.content_type +
                       "\r\nContent-Length: " + std::to_string(reply.body.size()) + "\r\nConnection: close\r\n\r\n";
    asio::write(socket, asio::buffer(head + reply.body.substr(0, reply.body.size() / 2)), ec);
  } else {
    http::response<http::string_body> res{static_cast<http::status>(reply.status), req.version()};
    res.set(http::field::server, "sunwind-test-server");
    res.set(http::field::content_type, reply.content_type);
    for (const auto& [k, v] : reply.headers) res.set(k, v);
    res.keep_alive(false);
    res.body() = reply.body;
    res.prepare_payload();
    http::write(socket, res, ec);
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.close(ec);
}

}  // namespace

void TestHttpServer::AcceptLoop() {
  while (!impl_->stopping) {
    tcp::socket socket(impl_->io);
    beast::error_code ec;
    impl_->acceptor.accept(socket, ec);
    if (ec || impl_->stopping) break;
    std::lock_guard<std::mutex> lock(impl_->threads_mu);
    impl_->connection_threads.emplace_back(
        [this, s = std::move(socket)]() mutable {
          ServeConnection(std::move(s), [this](const RecordedRequest& r) { return Answer(r); }, impl_->stopping);
        });
  }
}

void TestHttpServer::Stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  {
    // Wake the blocking accept with a connection of our own.
    asio::io_context io;
    tcp::socket s(io);
    beast::error_code ec;
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
  }
  if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
  beast::error_code ec;
  impl_->acceptor.close(ec);
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(impl_->threads_mu);
    threads.swap(impl_->connection_threads);
  }
  for (auto& t : threads) t.join();
}

}  // namespace sunwind::testing
