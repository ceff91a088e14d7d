#include "cli/daemon_connection.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sunwind {

std::vector<FlagSpec> WithDaemonFlags(std::vector<FlagSpec> own) {
  own.push_back({"url", true, "the daemon's URL (default: $SUNWIND_URL, else " + std::string(kDefaultDaemonUrl) + ")"});
  own.push_back({"token-file", true, "read the API token from this file (default: $SUNWIND_TOKEN)"});
  own.push_back({"help", false, "show this help"});
  return own;
}

Result<DaemonConnection> DaemonConnection::FromFlags(const Flags& flags) {
  const char* env_url = std::getenv("SUNWIND_URL");
  const std::string url = flags.GetOr("url", env_url && *env_url ? env_url : kDefaultDaemonUrl);
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument("--url: expected http://HOST:PORT, got '" + url + "'");
  }
  std::string token;
  if (auto path = flags.Get("token-file")) {
    std::ifstream f(*path, std::ios::binary);
    if (!f) return Status::InvalidArgument("--token-file: cannot read " + *path);
    std::stringstream ss;
    ss << f.rdbuf();
    token = ss.str();
  } else if (const char* env_token = std::getenv("SUNWIND_TOKEN")) {
    token = env_token;
  }
  // A token file usually ends with a newline.
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) token.erase(0, 1);
  DaemonConnection c;
  c.transport_ = MakeCurlTransport();
  c.client_ = std::make_unique<ApiClient>(url, token, *c.transport_);
  return c;
}

}  // namespace sunwind
