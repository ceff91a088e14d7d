// How a client command reaches the daemon: the --url and --token-file flags
// (with $SUNWIND_URL and $SUNWIND_TOKEN) and an ApiClient over curl, for
// every client command (submit, jobs, show, pause, resume, cancel, logs,
// audit, report). The token is never printed: errors name the file, not its
// content.
#ifndef SUNWIND_CLI_DAEMON_CONNECTION_H_
#define SUNWIND_CLI_DAEMON_CONNECTION_H_

#include <memory>
#include <vector>

#include "cli/api_client.h"
#include "cli/flags.h"
#include "core/status.h"
#include "providers/http_transport.h"

namespace sunwind {

inline constexpr const char* kDefaultDaemonUrl = "http://127.0.0.1:8787";

// `own` followed by --url, --token-file and --help.
std::vector<FlagSpec> WithDaemonFlags(std::vector<FlagSpec> own);

// A client of the daemon the flags name; the transport lives inside it.
class DaemonConnection {
 public:
  // InvalidArgument naming --url (not http(s)://) or --token-file (unreadable).
  static Result<DaemonConnection> FromFlags(const Flags& flags);
  ApiClient& client() { return *client_; }

 private:
  std::unique_ptr<HttpTransport> transport_;
  std::unique_ptr<ApiClient> client_;
};

}  // namespace sunwind

#endif  // SUNWIND_CLI_DAEMON_CONNECTION_H_
