// The sunwind subcommands. Each takes its arguments (after the subcommand
// name) and returns the process exit code:
//   0 success, 1 runtime failure, 2 bad usage or invalid input,
//   3 no plan can meet the deadline.
#ifndef SUNWIND_CLI_COMMANDS_H_
#define SUNWIND_CLI_COMMANDS_H_

#include <iosfwd>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace sunwind {

struct CommandContext {
  std::ostream& out;
  std::ostream& err;
  const Clock& clock;
};

using Args = std::vector<std::string>;

int RegionsCommand(const Args& args, CommandContext& ctx);
int PlanCommand(const Args& args, CommandContext& ctx);
int ZonesCommand(const Args& args, CommandContext& ctx);
int ForecastCommand(const Args& args, CommandContext& ctx);
int IntensityCommand(const Args& args, CommandContext& ctx);
int SimulateCommand(const Args& args, CommandContext& ctx);
int ServeCommand(const Args& args, CommandContext& ctx);
int DemoCommand(const Args& args, CommandContext& ctx);
int MeasureCommand(const Args& args, CommandContext& ctx);
int RunCommand(const Args& args, CommandContext& ctx);     // plan, wait, run, meter (issue 8)
int ReportCommand(const Args& args, CommandContext& ctx);  // per project, region and month (issue 8)
int AuditCommand(const Args& args, CommandContext& ctx);   // one job's emissions audit (issue 8)
// The daemon's client (issue 6, cli/client_commands.cc).
int SubmitCommand(const Args& args, CommandContext& ctx);
int JobsCommand(const Args& args, CommandContext& ctx);
int ShowCommand(const Args& args, CommandContext& ctx);
int PauseCommand(const Args& args, CommandContext& ctx);
int ResumeCommand(const Args& args, CommandContext& ctx);
int CancelCommand(const Args& args, CommandContext& ctx);
int LogsCommand(const Args& args, CommandContext& ctx);

// One place maps status codes to exit codes.
int ExitCodeFor(const Status& status);
// Prints "sunwind <command>: error: <message>" and returns the exit code.
int ReportError(CommandContext& ctx, const std::string& command, const Status& status);

}  // namespace sunwind

#endif  // SUNWIND_CLI_COMMANDS_H_
