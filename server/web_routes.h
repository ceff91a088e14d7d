// The dashboard's static files (web/index.html, app.js, style.css), served by
// the daemon at `/` and `/web/<name>` (docs/dashboard.md).
//
// The files are embedded in the binary at build time (web/embed_assets.cmake
// writes them into a generated .cc), rather than read from a directory like
// data/ and config/: an installed or copied `sunwind` then serves the page
// that matches its own API, with no path to configure and no file system
// path ever derived from a request, so no traversal is possible.
//
// The files hold no data (the page's JavaScript asks /v1/... for that, with
// the user's token where one is needed), so they are served without a token.
#ifndef SUNWIND_SERVER_WEB_ROUTES_H_
#define SUNWIND_SERVER_WEB_ROUTES_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "server/http_server.h"

namespace sunwind {

struct WebAsset {
  const char* name;       // "index.html": the file's name in web/
  std::string_view bytes;  // static storage
};

// Every file of web/ that is served, as embedded at build time.
std::span<const WebAsset> EmbeddedWebAssets();

// The answer to a request for the dashboard: `/` (index.html) and
// `/web/<name>` for an embedded file, with its Content-Type, an ETag (304 when
// If-None-Match names it) and `Cache-Control: no-cache` (revalidate each
// time, so a rebuilt daemon's page is never stale); 404 JSON for any other
// name under /web/ (`..`, encoded or not, included); 405 for a method other
// than GET. nullopt when the path is not the dashboard's, so the
// caller routes it on. Pure and thread-safe.
std::optional<ApiResponse> HandleWebRequest(const ApiRequest& request);

// "text/html; charset=utf-8" for index.html, by the name's extension;
// "application/octet-stream" when unknown.
std::string WebContentType(std::string_view name);

}  // namespace sunwind

#endif  // SUNWIND_SERVER_WEB_ROUTES_H_
