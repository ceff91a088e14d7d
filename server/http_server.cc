#include "server/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

namespace sunwind {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kHeaderLimitBytes = 8 * 1024;
// After an error answer the rest of the request is read and dropped for at
// most this long, so the close does not reset the connection before the
// client has read the answer.
constexpr std::chrono::seconds kDrainTime{2};
constexpr size_t kDrainLimitBytes = 64u << 20;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string ErrorBody(const std::string& message) {
  return "{\"error\":\"" + JsonEscape(message) + "\"}";
}

std::string ToLower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool IsLoopback(const asio::ip::address& a) {
  if (a.is_loopback()) return true;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback();
  }
  return false;
}

std::string HostPort(const std::string& host, uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

std::string PercentDecode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(const std::string& query) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string pair = query.substr(start, end - start);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      if (eq == std::string::npos) {
        out[PercentDecode(pair)] = "";
      } else {
        out[PercentDecode(pair.substr(0, eq))] = PercentDecode(pair.substr(eq + 1));
      }
    }
    start = end + 1;
  }
  return out;
}

class Session;

// The server's state, shared by the sessions (HttpServer::Impl is this; the
// sessions cannot name a private nested type).
struct ServerState {
  ServerState(const HttpServerOptions& o, RequestHandler h) : options(o), handler(std::move(h)) {}

  void Log(const std::string& line) {
    if (options.error_log) {
      options.error_log(line);
    } else {
      std::fprintf(stderr, "sunwind http: %s\n", line.c_str());
    }
  }

  // False once stopping: the caller closes the connection instead.
  bool Register(Session* s, std::weak_ptr<Session> w) {
    std::lock_guard<std::mutex> lock(mu);
    if (stopping) return false;
    sessions[s] = std::move(w);
    return true;
  }
  void Unregister(Session* s) {
    std::lock_guard<std::mutex> lock(mu);
    sessions.erase(s);
    cv.notify_all();
  }

  void DoAccept();

  HttpServerOptions options;
  RequestHandler handler;
  uint16_t port = 0;
  std::string url;
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> answered{0};

  // Guards sessions and stopping (set under it, read without it too).
  std::mutex mu;
  std::condition_variable cv;
  std::map<Session*, std::weak_ptr<Session>> sessions;
  std::atomic<bool> stopping{false};

  std::mutex stop_mu;  // serialises Stop()
  bool stopped = false;

  // Declared after the registry: ~io_context destroys pending handlers, which
  // may own the last reference to a Session that unregisters itself.
  asio::io_context ioc;
  // Keeps the I/O threads in run() until Stop() is done with them, even when
  // no connection is open: Stop() posts work (closing idle sessions) that
  // must not land on an io_context that already ran out of work.
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  tcp::acceptor acceptor{asio::make_strand(ioc)};
  asio::steady_timer accept_retry{acceptor.get_executor()};
  std::vector<std::thread> threads;
};

struct HttpServer::Impl : ServerState {
  using ServerState::ServerState;
};

// One connection: read a request, answer it, repeat while keep-alive. All of
// its work runs on its own strand, so no locking inside.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, ServerState* impl) : stream_(std::move(socket)), impl_(impl) {
    beast::error_code ec;
    tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
    if (!ec) {
      remote_address_ = peer.address().to_string();
      remote_is_loopback_ = IsLoopback(peer.address());
    }
  }
  ~Session() { impl_->Unregister(this); }

  void Start() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::ReadHeader, shared_from_this()));
  }

  // From Stop(): a connection waiting for a new request is closed; one whose
  // request is being read or handled finishes it first.
  void CloseIfIdle() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->waiting_for_request_) self->stream_.cancel();
    });
  }

 private:
  void ReadHeader() {
    if (impl_->stopping) return Close();
    parser_.emplace();
    parser_->body_limit(impl_->options.max_body_bytes);
    parser_->header_limit(kHeaderLimitBytes);
    waiting_for_request_ = true;
    stream_.expires_after(impl_->options.idle_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    waiting_for_request_ = false;
    if (ec) return OnReadError(ec);
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue") && !parser_->is_done()) {
      continue_.emplace(http::status::continue_, parser_->get().version());
      stream_.expires_after(impl_->options.idle_timeout);
      http::async_write(stream_, *continue_, [self = shared_from_this()](beast::error_code ec, size_t) {
        if (ec) return self->Close();
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    if (parser_->is_done()) return OnBody({}, 0);
    stream_.expires_after(impl_->options.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnReadError(beast::error_code ec) {
    started_ = std::chrono::steady_clock::now();
    if (ec == http::error::body_limit) {
      return WriteError(413, "request body over " + std::to_string(impl_->options.max_body_bytes) + " bytes");
    }
    if (ec == http::error::header_limit) return WriteError(431, "request headers too large");
    // A parse error (not a clean end of stream, a timeout, a reset or our
    // own cancel) means the peer sent something that is not HTTP/1.1.
    bool parse_error = ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
                       ec != http::error::end_of_stream && ec != http::error::partial_message;
    if (parse_error) return WriteError(400, "malformed HTTP request");
    Close();
  }

  void OnBody(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    started_ = std::chrono::steady_clock::now();
    http::request<http::string_body> req = parser_->release();

    ApiRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    size_t q = request.target.find('?');
    request.path = request.target.substr(0, q);
    if (q != std::string::npos) request.query = ParseQuery(request.target.substr(q + 1));
    for (const auto& field : req) {
      std::string name = ToLower(std::string(field.name_string()));
      auto [it, inserted] = request.headers.emplace(name, std::string(field.value()));
      if (!inserted) it->second += ", " + std::string(field.value());
    }
    request.body = std::move(req.body());
    request.remote_address = remote_address_;
    request.remote_is_loopback = remote_is_loopback_;

    ApiResponse answer;
    try {
      answer = impl_->handler(request);
    } catch (...) {
      // Never the exception's text: it may quote a token or a request body.
      impl_->Log("handler threw on " + request.method + " " + request.path + "; answered 500");
      answer = ApiResponse{500, "application/json", ErrorBody("internal error"), {}};
    }
    if (answer.status < 100 || answer.status > 599) {
      impl_->Log("handler gave status " + std::to_string(answer.status) + " on " + request.method +
                 " " + request.path + "; answered 500");
      answer = ApiResponse{500, "application/json", ErrorBody("internal error"), {}};
    }
    bool keep_alive = req.keep_alive() && !impl_->stopping;
    Write(request.method, request.path, req.version(), std::move(answer), keep_alive,
          request.method == "HEAD");
  }

  void WriteError(int status, const std::string& message) {
    std::string method = "-";
    std::string path = "-";
    unsigned version = 11;
    if (parser_ && parser_->is_header_done()) {
      const auto& req = parser_->get();
      method = std::string(req.method_string());
      std::string target(req.target());
      path = target.substr(0, target.find('?'));
      version = req.version();
    }
    Write(method, path, version, ApiResponse{status, "application/json", ErrorBody(message), {}},
          /*keep_alive=*/false, /*head=*/false, /*drain=*/true);
  }

  void Write(const std::string& method, const std::string& path, unsigned version, ApiResponse answer,
             bool keep_alive, bool head, bool drain = false) {
    response_.emplace();
    response_->version(version);
    response_->result(static_cast<unsigned>(answer.status));
    response_->set(http::field::server, "sunwind");
    response_->set(http::field::content_type, answer.content_type);
    for (auto& [name, value] : answer.headers) {
      std::string lower = ToLower(name);
      if (lower == "content-length" || lower == "connection" || lower == "transfer-encoding") continue;
      response_->insert(name, value);
    }
    response_->keep_alive(keep_alive);
    size_t size = answer.body.size();
    if (!head) response_->body() = std::move(answer.body);
    response_->content_length(size);
    log_line_ = method + " " + path + " " + std::to_string(answer.status);

    stream_.expires_after(impl_->options.idle_timeout);
    http::async_write(stream_, *response_,
                      [self = shared_from_this(), keep_alive, drain](beast::error_code ec, size_t) {
                        self->OnWrite(ec, keep_alive, drain);
                      });
  }

  void OnWrite(beast::error_code ec, bool keep_alive, bool drain) {
    impl_->answered++;
    if (impl_->options.access_log) {
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                      started_);
      impl_->options.access_log(log_line_ + " " + std::to_string(us.count()) + "us");
    }
    response_.reset();
    if (ec) return Close();
    if (drain) return LingeringClose();
    if (!keep_alive) return Close();
    ReadHeader();
  }

  void LingeringClose() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kDrainTime);
    Drain();
  }

  void Drain() {
    stream_.async_read_some(asio::buffer(drain_buffer_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kDrainLimitBytes) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  ServerState* impl_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::empty_body>> continue_;
  std::optional<http::response<http::string_body>> response_;
  std::string remote_address_;
  bool remote_is_loopback_ = false;
  bool waiting_for_request_ = false;
  std::chrono::steady_clock::time_point started_;
  std::string log_line_;
  std::array<char, 16 * 1024> drain_buffer_;
  size_t drained_ = 0;
};

void ServerState::DoAccept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || stopping) return;
    if (ec) {
      // Out of file descriptors, most likely: try again shortly rather than
      // spinning or giving up on serving.
      Log("accept failed (" + ec.message() + "); retrying in 100 ms");
      accept_retry.expires_after(std::chrono::milliseconds(100));
      accept_retry.async_wait([this](beast::error_code ec) {
        if (!ec && !stopping) DoAccept();
      });
      return;
    }
    accepted++;
    auto session = std::make_shared<Session>(std::move(socket), this);
    if (Register(session.get(), session)) session->Start();
    DoAccept();
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                     RequestHandler handler) {
  if (options.threads < 1) {
    return Status::InvalidArgument("http server: threads must be at least 1, not " +
                                   std::to_string(options.threads));
  }
  if (!handler) return Status::InvalidArgument("http server: no request handler");
  auto impl = std::make_unique<Impl>(options, std::move(handler));
  const std::string where = HostPort(options.host, options.port);

  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(options.host, ec);
  if (ec) {
    tcp::resolver resolver(impl->ioc);
    auto results = resolver.resolve(options.host, std::to_string(options.port), ec);
    if (ec || results.empty()) {
      return Status::InvalidArgument("http server: cannot resolve host '" + options.host + "'" +
                                     (ec ? ": " + ec.message() : ""));
    }
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, options.port);
  auto& acceptor = impl->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec && address.is_v6()) acceptor.set_option(asio::ip::v6_only(false), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return Status::Unavailable("http server: cannot open a socket for " + where + ": " + ec.message());
  acceptor.bind(endpoint, ec);
  if (ec) return Status::Unavailable("http server: cannot listen on " + where + ": " + ec.message());
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("http server: cannot listen on " + where + ": " + ec.message());

  impl->port = acceptor.local_endpoint().port();
  std::string url_host = options.host;
  if (address.is_unspecified()) url_host = address.is_v6() ? "::1" : "127.0.0.1";
  if (url_host.find(':') != std::string::npos) url_host = "[" + url_host + "]";
  impl->url = "http://" + url_host + ":" + std::to_string(impl->port);

  impl->DoAccept();
  Impl* raw = impl.get();
  for (int i = 0; i < options.threads; ++i) {
    impl->threads.emplace_back([raw] {
      for (;;) {
        try {
          raw->ioc.run();
          return;
        } catch (...) {
          // Asio rethrows a completion handler's exception; ours catch their
          // own, so this is a bug somewhere: keep serving.
          raw->Log("I/O thread caught an exception; continuing");
        }
      }
    });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->port; }
std::string HttpServer::url() const { return impl_->url; }
uint64_t HttpServer::connections_accepted() const { return impl_->accepted; }
uint64_t HttpServer::requests_answered() const { return impl_->answered; }

void HttpServer::Stop() {
  std::lock_guard<std::mutex> stop_lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;

  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
    for (auto& [raw, weak] : impl_->sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  asio::dispatch(impl_->acceptor.get_executor(), [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->accept_retry.cancel();
  });
  for (auto& s : live) s->CloseIfIdle();
  live.clear();  // our references must not keep the sessions alive

  {
    std::unique_lock<std::mutex> lock(impl_->mu);
    impl_->cv.wait_for(lock, impl_->options.idle_timeout + std::chrono::seconds(5),
                       [&] { return impl_->sessions.empty(); });
  }
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
}

}  // namespace sunwind
