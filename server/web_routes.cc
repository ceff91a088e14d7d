#include "server/web_routes.h"

#include <cstdint>
#include <cstdio>

#include "server/json_answer.h"

namespace sunwind {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A strong validator: FNV-1a over the bytes. Not a security hash; it only has
// to change when the file does.
std::string ETagOf(std::string_view bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char out[24];
  std::snprintf(out, sizeof out, "\"%016llx\"", static_cast<unsigned long long>(h));
  return out;
}

}  // namespace

std::string WebContentType(std::string_view name) {
  if (EndsWith(name, ".html")) return "text/html; charset=utf-8";
  if (EndsWith(name, ".js")) return "text/javascript; charset=utf-8";
  if (EndsWith(name, ".css")) return "text/css; charset=utf-8";
  if (EndsWith(name, ".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

std::optional<ApiResponse> HandleWebRequest(const ApiRequest& r) {
  std::string name;
  if (r.path == "/" || r.path == "/index.html") {
    name = "index.html";
  } else if (r.path.rfind("/web/", 0) == 0) {
    name = r.path.substr(5);
  } else {
    return std::nullopt;
  }
  if (r.method != "GET") {
    ApiResponse a = ErrorAnswer(405, "the dashboard's files are read with GET");
    a.headers.push_back({"Allow", "GET"});
    return a;
  }
  // Names are matched exactly against the embedded table: "..", "%2e%2e",
  // sub-folders and the empty name all fall through to 404 without touching
  // the file system.
  for (const WebAsset& asset : EmbeddedWebAssets()) {
    if (name != asset.name) continue;
    const std::string etag = ETagOf(asset.bytes);
    ApiResponse a;
    a.content_type = WebContentType(asset.name);
    a.headers.push_back({"ETag", etag});
    a.headers.push_back({"Cache-Control", "no-cache"});
    a.headers.push_back({"X-Content-Type-Options", "nosniff"});
    if (r.Header("if-none-match") == etag) {
      a.status = 304;
      return a;
    }
    a.body = std::string(asset.bytes);
    return a;
  }
  return ErrorAnswer(404, "no such file of the dashboard");
}

}  // namespace sunwind
