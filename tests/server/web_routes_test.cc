// The dashboard's embedded files (server/web_routes.h): served at / and
// /web/<name> with their types and validators, nothing else, no traversal.
#include "server/web_routes.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace sunwind {
namespace {

ApiRequest Get(const std::string& path, const std::string& if_none_match = "") {
  ApiRequest r;
  r.method = "GET";
  r.target = path;
  r.path = path;
  if (!if_none_match.empty()) r.headers["if-none-match"] = if_none_match;
  return r;
}

std::string Header(const ApiResponse& a, const std::string& name) {
  for (const auto& [k, v] : a.headers) {
    if (k == name) return v;
  }
  return "";
}

std::string SourceFile(const std::string& path) {
  std::ifstream in(std::string(SUNWIND_SOURCE_DIR) + "/" + path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(WebRoutesTest, ServesTheEmbeddedFilesAsTheyAreInWeb) {
  // Given the page's three files, we should serve each byte for byte as in
  // web/ with its content type, an ETag and a revalidate-each-time policy.
  struct Case {
    std::string path, file, type;
  };
  for (const Case& c : {Case{"/", "web/index.html", "text/html; charset=utf-8"},
                        Case{"/web/index.html", "web/index.html", "text/html; charset=utf-8"},
                        Case{"/web/app.js", "web/app.js", "text/javascript; charset=utf-8"},
                        Case{"/web/style.css", "web/style.css", "text/css; charset=utf-8"}}) {
    SCOPED_TRACE(c.path);
    auto a = HandleWebRequest(Get(c.path));
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->status, 200);
    EXPECT_EQ(a->content_type, c.type);
    EXPECT_EQ(a->body, SourceFile(c.file));
    EXPECT_EQ(Header(*a, "Cache-Control"), "no-cache");
    EXPECT_EQ(Header(*a, "ETag").size(), 18u);
  }
}

TEST(WebRoutesTest, AnswersNotModifiedToAMatchingEtag) {
  // Given the ETag of the last answer, we should answer 304 with no body;
  // given a stale one, the file.
  auto first = HandleWebRequest(Get("/web/app.js"));
  ASSERT_TRUE(first.has_value());
  auto again = HandleWebRequest(Get("/web/app.js", Header(*first, "ETag")));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  auto stale = HandleWebRequest(Get("/web/app.js", "\"0000000000000000\""));
  EXPECT_EQ(stale->status, 200);
  EXPECT_EQ(stale->body, first->body);
}

TEST(WebRoutesTest, RefusesEveryOtherNameUnderWebWithoutTouchingTheDisk) {
  // Given names that are not embedded files, traversal attempts among them,
  // we should answer 404 JSON without echoing the name.
  for (const char* path : {"/web/", "/web/../CMakeLists.txt", "/web/%2e%2e/CMakeLists.txt", "/web/%2E%2E%2FREADME.md",
                           "/web/..%2fCMakeLists.txt", "/web/./app.js", "/web//app.js", "/web/embed_assets.cmake",
                           "/web/app.js/", "/web/APP.JS", "/web/index.html%00"}) {
    SCOPED_TRACE(path);
    auto a = HandleWebRequest(Get(path));
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->status, 404);
    EXPECT_EQ(a->content_type, "application/json");
    EXPECT_EQ(a->body, "{\"error\":\"no such file of the dashboard\"}");
  }
}

TEST(WebRoutesTest, LeavesOtherPathsToTheApiAndReadsOnlyWithGet) {
  // Given a path outside the dashboard, we should leave it to the API's
  // routing; given a POST to a page, 405 with Allow.
  for (const char* path : {"/v1/jobs", "/webx", "/favicon.ico", "/../etc/passwd", "/web"}) {
    EXPECT_FALSE(HandleWebRequest(Get(path)).has_value()) << path;
  }
  ApiRequest post = Get("/");
  post.method = "POST";
  auto a = HandleWebRequest(post);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->status, 405);
  EXPECT_EQ(Header(*a, "Allow"), "GET");
}

TEST(WebRoutesTest, NamesTheContentTypeByExtension) {
  // Given a file name, we should name its type, octet-stream when unknown.
  EXPECT_EQ(WebContentType("chart.svg"), "image/svg+xml");
  EXPECT_EQ(WebContentType("notes.txt"), "application/octet-stream");
}

}  // namespace
}  // namespace sunwind
