// sunwind: a carbon-aware job scheduler. One executable; each subcommand is a
// row of the table below.
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace {

struct Tool {
  const char* name;
  const char* description;
  int (*run)(const sunwind::Args&, sunwind::CommandContext&);
};

const Tool kTools[] = {
    {"regions", "list the region catalogue, or rank regions by effective carbon intensity", sunwind::RegionsCommand},
    {"plan", "find the cleanest region and time window for a job before its deadline", sunwind::PlanCommand},
    {"zones", "list the grid zones and which have bundled hourly traces", sunwind::ZonesCommand},
    {"intensity", "the grid's carbon intensity now (with the power breakdown) or over a range, with its source", sunwind::IntensityCommand},
    {"forecast", "forecast a zone's intensity with its error band, or backtest the models (eval)", sunwind::ForecastCommand},
    {"simulate", "replay a workload under each scheduling policy on recorded grid data", sunwind::SimulateCommand},
    {"serve", "run the daemon: a persistent queue of jobs run in their cleanest slots, with an HTTP API", sunwind::ServeCommand},
    {"demo", "run the daemon on an accelerated clock with example jobs and show what it does", sunwind::DemoCommand},
    {"measure", "run a command, meter its energy (CPU, GPU, RAM) and emissions, write a CodeCarbon CSV row", sunwind::MeasureCommand},
    {"run", "plan a command, wait for its cleanest window before --deadline, run and meter it, print its audit", sunwind::RunCommand},
    {"report", "the daemon's energy, emissions, water and savings per project, region and month", sunwind::ReportCommand},
    {"audit", "a job's energy per component, its emissions hour by hour, water and saving", sunwind::AuditCommand},
    {"submit", "queue a job with the sunwind daemon; it runs in the cleanest window before its deadline", sunwind::SubmitCommand},
    {"jobs", "list the daemon's jobs (--state, --project)", sunwind::JobsCommand},
    {"show", "a job's spec, plan with expected emissions, state history and logs", sunwind::ShowCommand},
    {"pause", "pause a job (the scheduler will not resume it)", sunwind::PauseCommand},
    {"resume", "resume a job you paused", sunwind::ResumeCommand},
    {"cancel", "cancel a job", sunwind::CancelCommand},
    {"logs", "print a job's stdout or stderr (--follow until it ends)", sunwind::LogsCommand},
};

int Usage(std::ostream& out, int code) {
  out << "usage: sunwind <command> [flags]   (sunwind <command> --help for its flags)\n\ncommands:\n";
  for (const auto& t : kTools) out << "  " << t.name << std::string(11 - std::string(t.name).size(), ' ') << t.description << "\n";
  out << "  version    print the version\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return Usage(std::cerr, 2);
  if (args[0] == "--help" || args[0] == "help" || args[0] == "-h") return Usage(std::cout, 0);
  if (args[0] == "version" || args[0] == "--version") {
    std::cout << "sunwind " << SUNWIND_VERSION << "\n";
    return 0;
  }
  sunwind::SystemClock clock;
  sunwind::CommandContext ctx{std::cout, std::cerr, clock};
  for (const auto& t : kTools) {
    if (args[0] == t.name) return t.run(sunwind::Args(args.begin() + 1, args.end()), ctx);
  }
  std::cerr << "sunwind: unknown command '" << args[0] << "'\n";
  return Usage(std::cerr, 2);
}
