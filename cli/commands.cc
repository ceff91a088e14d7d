#include "cli/commands.h"

#include <ostream>

namespace sunwind {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound: return 2;
    case StatusCode::kInfeasible: return 3;
    default: return 1;
  }
}

int ReportError(CommandContext& ctx, const std::string& command, const Status& status) {
  ctx.err << "sunwind " << command << ": error: " << status.message() << "\n";
  return ExitCodeFor(status);
}

}  // namespace sunwind
