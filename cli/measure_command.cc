// sunwind measure: run any command, meter what it draws, and say what it
// emitted from the grid's intensity during each hour it ran. No daemon.
#include <ostream>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/metered_command.h"

namespace sunwind {

int MeasureCommand(const Args& args, CommandContext& ctx) {
  static const std::vector<FlagSpec> specs = WithMeterFlags({
      {"region", true, "where the command runs, for grid intensity and PUE (default local:host, from your config)"},
  });
  auto flags = Flags::Parse(args, specs);
  if (!flags.ok()) return ReportError(ctx, "measure", flags.status());
  if (flags->Has("help")) {
    ctx.out << "usage: sunwind measure [--region R] [--output emissions.csv] [--interval 1s] [--project P] -- COMMAND "
               "ARGS...\n\n"
               "Runs COMMAND, meters the energy of its whole process tree (CPU by RAPL or the TDP model, GPUs by\n"
               "NVML, RAM by a W/GB model), and computes its emissions from the region's grid intensity for each\n"
               "hour it ran, times the region's PUE. The summary goes to stderr (JSON to stdout with --json).\n"
               "Exits with COMMAND's exit code (128 + signal if it was killed).\n\n"
            << FlagsHelp(specs);
    return 0;
  }
  auto fail = [&](const Status& s) { return ReportError(ctx, "measure", s); };
  if (!flags->positional().empty()) {
    return fail(Status::InvalidArgument("unexpected argument '" + flags->positional()[0] + "' (put the command after --)"));
  }
  if (flags->command().empty()) return fail(Status::InvalidArgument("no command: sunwind measure [flags] -- COMMAND ARGS..."));
  auto options = MeterOptionsFrom(*flags);
  if (!options.ok()) return fail(options.status());

  auto app = App::Open(*flags, ctx.clock);
  if (!app.ok()) return fail(app.status());
  auto region = RunRegion(**app, flags->Get("region"));
  if (!region.ok()) return fail(region.status());

  auto run = RunMetered(*options, **app, **region, ctx.clock, ctx);
  if (!run.ok()) return fail(run.status());

  Status write_status;
  std::string output = flags->GetOr("output", "");
  if (!output.empty()) {
    write_status = AppendCodeCarbonRow(
        output, MeteredRow(*run, **region, flags->GetOr("project", "sunwind"), flags->GetOr("experiment", "")));
  }
  if (flags->Has("json")) {
    Json j = MeteredJson(*run, **region, (*app)->factor());
    if (!output.empty()) j["output"] = output;
    ctx.out << j.dump(2) << "\n";
  } else {
    PrintMetered(ctx.err, "measure", *run, **region, (*app)->factor());
    if (!output.empty() && write_status.ok()) ctx.err << "  Wrote a CodeCarbon row to " << output << "\n";
  }
  if (!write_status.ok()) ReportError(ctx, "measure", write_status.WithContext("--output"));
  return run->exit_code;
}

}  // namespace sunwind
