// Running a command under the meter, shared by `sunwind measure` (meter it
// now) and `sunwind run` (wait for the cleanest window, then meter it): the
// choice of meters (RAPL or the TDP model, NVML, the RAM model), the child
// process and its whole tree, each hour's emissions, and the CodeCarbon row,
// JSON and text views of the result.
#ifndef SUNWIND_CLI_METERED_COMMAND_H_
#define SUNWIND_CLI_METERED_COMMAND_H_

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "metering/codecarbon_csv.h"
#include "metering/emissions.h"
#include "metering/meter.h"

namespace sunwind {

struct MeteredCommandOptions {
  std::vector<std::string> command;  // argv, argv[0] looked up in PATH
  double interval_s = 1.0;
  std::string rapl_root = kDefaultPowercapRoot;
  std::string nvml_library = kNvmlLibrary;
};

// What one metered run drew and emitted.
struct MeteredRun {
  std::vector<std::string> command;
  int exit_code = 0;  // the command's; 128 + signal when killed; 127 when it could not start
  TimePoint start{};  // on the clock passed to RunMetered
  TimePoint end{};    // start + the run's length, rounded up to a second
  double duration_s = 0;  // wall time
  double job_cpu_s = 0;   // CPU time of its whole tree
  ComponentEnergy cpu, gpu, ram;
  double mean_cpu_w = 0, mean_gpu_w = 0, mean_ram_w = 0;
  double mean_cpu_utilization_percent = 0, mean_ram_used_gb = 0;
  std::vector<GpuInfo> gpus;  // the GPUs metered
  std::vector<HourlyEnergy> hours;
  std::vector<MeterSample> samples;
  std::string cpu_model;
  int logical_cores = 1;
  EmissionsAudit audit;            // each hour's energy × PUE × that hour's intensity in `region`
  std::vector<std::string> notes;  // the meter's, then the audit's
};

// "--flag" names measure and run share, appended to `own`.
std::vector<FlagSpec> WithMeterFlags(std::vector<FlagSpec> own);
// The meter options from those flags; InvalidArgument naming the flag.
Result<MeteredCommandOptions> MeterOptionsFrom(const Flags& flags);

// The region the command runs in: `id`, else local:host from the config
// (NotFound saying where that default comes from).
Result<const Region*> RunRegion(App& app, const std::optional<std::string>& id);

// Runs the command to its end with sunwind ignoring SIGINT/SIGTERM (the
// command gets them, being in the same process group, so the result is still
// written), metering it every interval, then audits each hour it ran against
// `region`'s intensity (a fetch failure leaves emissions unknown, with a
// note). Internal only when fork fails; a command that cannot be executed
// exits 127 like a shell's.
Result<MeteredRun> RunMetered(const MeteredCommandOptions& options, App& app, const Region& region,
                              const Clock& clock, CommandContext& ctx);

// The CodeCarbon row of the run (project_name, experiment_id as given).
CodeCarbonRow MeteredRow(const MeteredRun& run, const Region& region, const std::string& project,
                         const std::string& experiment);
// {command, exit_code, start, duration_s, job_cpu_s, region, zone, pue, cpu,
//  gpu, ram, it_energy_kwh, facility_energy_kwh, emissions_g, water_l,
//  emission_factor, intervals, notes} as `measure --json` prints it.
Json MeteredJson(const MeteredRun& run, const Region& region, EmissionFactor factor);
// The human summary `measure` prints (to stderr: stdout is the command's).
void PrintMetered(std::ostream& o, const std::string& verb, const MeteredRun& run, const Region& region,
                  EmissionFactor factor);

// Full precision for JSON: JsonNumber rounds to 6 decimals, and a short job's
// energy is a few millionths of a kWh. Non-finite is null.
Json Exact(double v);
// "1.23e-05 kWh"
std::string Kwh(double kwh);

}  // namespace sunwind

#endif  // SUNWIND_CLI_METERED_COMMAND_H_
