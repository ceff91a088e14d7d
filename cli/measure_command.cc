// sunwind measure: run any command, meter what it draws, and say what it
// emitted from the grid's intensity during each hour it ran. No daemon.
#include <signal.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ostream>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "core/units.h"
#include "metering/codecarbon_csv.h"
#include "metering/emissions.h"
#include "metering/meter.h"

namespace sunwind {
namespace {

const std::vector<FlagSpec>& MeasureFlags() {
  static const std::vector<FlagSpec> specs = [] {
    auto s = CommonDataFlags();
    std::vector<FlagSpec> own = {
        {"region", true, "where the command runs, for grid intensity and PUE (default local:host, from your config)"},
        {"output", true, "append a CodeCarbon-compatible row to this CSV (header written when the file is new)"},
        {"interval", true, "sampling interval, e.g. 1s (default) or 0.1s"},
        {"project", true, "project_name in the CSV row (default sunwind)"},
        {"experiment", true, "experiment_id in the CSV row (default empty)"},
        {"rapl-root", true, "powercap sysfs root (default /sys/class/powercap)"},
        {"nvml-library", true, "NVML library to dlopen (default libnvidia-ml.so.1)"},
        {"help", false, "show this help"},
    };
    s.insert(s.end(), own.begin(), own.end());
    return s;
  }();
  return specs;
}

// "0.5s", "100ms", "2" (seconds): the interval may be below a second.
Result<double> ParseIntervalS(const std::string& text) {
  auto ms = ParseMilliseconds(text);
  if (!ms.ok()) {
    return Status::InvalidArgument("--interval: '" + text + "' is not a positive duration like 1s or 100ms");
  }
  const double v = static_cast<double>(ms->count()) / 1000.0;
  if (v < 0.01 || v > 3600) return Status::InvalidArgument("--interval: must lie between 10ms and 1h");
  return v;
}

std::string Kwh(double kwh) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g kWh", kwh);
  return buf;
}

std::string OsName() {
  utsname u;
  if (uname(&u) != 0) return "";
  return std::string(u.sysname) + "-" + u.release + "-" + u.machine;
}

// Full precision: JsonNumber rounds to 6 decimals, and a short job's energy
// is a few millionths of a kWh.
Json Exact(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

struct Child {
  pid_t pid = -1;
  bool done = false;
  int status = 0;
  rusage usage{};
};

// Non-blocking reap; true while the child runs.
bool StillRunning(Child& c) {
  if (c.done) return false;
  pid_t r = wait4(c.pid, &c.status, WNOHANG, &c.usage);
  if (r == c.pid || (r < 0 && errno == ECHILD)) c.done = true;
  return !c.done;
}

}  // namespace

int MeasureCommand(const Args& args, CommandContext& ctx) {
  const auto& specs = MeasureFlags();
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
  const auto& command = flags->command();
  if (command.empty()) return fail(Status::InvalidArgument("no command: sunwind measure [flags] -- COMMAND ARGS..."));
  auto interval = ParseIntervalS(flags->GetOr("interval", "1s"));
  if (!interval.ok()) return fail(interval.status());

  auto app = App::Open(*flags, ctx.clock);
  if (!app.ok()) return fail(app.status());
  std::string region_id = flags->GetOr("region", "local:host");
  auto region_or = (*app)->catalogue().Get(region_id);
  if (!region_or.ok()) {
    Status s = region_or.status();
    if (!flags->Has("region")) {
      s = Status::NotFound(s.message() +
                           " (the default region local:host comes from your config: see config/sunwind.yaml, or pass "
                           "--region)");
    }
    return fail(s.WithContext("--region"));
  }
  const Region* region = *region_or;

  // Choose a source per component before the command starts.
  MeterSources sources;
  std::vector<std::string> setup_notes;
  auto rapl = RaplReader::Open(flags->GetOr("rapl-root", kDefaultPowercapRoot));
  if (rapl.ok()) {
    sources.rapl = &*rapl;
  } else {
    sources.cpu_note = rapl.status().message() + ", so the CPU figure is the TDP model";
  }
  auto cpuinfo = ReadCpuInfo("/proc");
  std::string cpu_model = cpuinfo.ok() ? cpuinfo->model_name : "";
  int cores = cpuinfo.ok() && cpuinfo->logical_cores > 0 ? cpuinfo->logical_cores
                                                         : static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  auto table = TdpTable::LoadFromFile((*app)->data_dir() + "/hardware/cpu_power.csv");
  if (table.ok()) {
    auto m = table->Lookup(cpu_model);
    sources.cpu_tdp_w = m.tdp_w;
    sources.cpu_tdp_note = m.note;
  } else {
    sources.cpu_tdp_note = table.status().message() + "; default TDP " +
                           std::to_string(static_cast<int>(kDefaultCpuTdpW)) + " W (CodeCarbon's default)";
  }
  std::unique_ptr<Nvml> nvml;
  auto loaded = Nvml::Load(flags->GetOr("nvml-library", kNvmlLibrary));
  if (loaded.ok()) {
    nvml = std::move(loaded).value();
    auto all = nvml->Devices();
    if (all.ok()) {
      const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
      auto mine = SelectGpus(*all, visible ? std::optional<std::string>(visible) : std::nullopt);
      if (mine.ok()) {
        sources.gpus = *mine;
      } else {
        sources.gpu_note = mine.status().message() + "; no GPU metered";
      }
      sources.nvml = nvml.get();
      if (sources.gpus.empty() && sources.gpu_note.empty()) sources.gpu_note = "no GPU given to the job";
    } else {
      sources.gpu_note = all.status().message();
    }
  } else {
    sources.gpu_note = loaded.status().message();
  }

  // Run the command. sunwind ignores Ctrl-C while it runs (the command gets
  // it, being in the same process group) so the row is still written.
  struct sigaction ignore{}, old_int{}, old_term{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGINT, &ignore, &old_int);
  sigaction(SIGTERM, &ignore, &old_term);
  std::vector<char*> argv;
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ctx.out.flush();
  ctx.err.flush();

  SteadyPacer pacer;
  Child child;
  MeterOptions options;
  options.interval_s = *interval;
  options.logical_cores = cores;
  JobMeter meter(ctx.clock, pacer, sources, [&] {
    return child.done ? std::vector<pid_t>{} : ListDescendants(options.proc_root, child.pid);
  }, options);
  meter.Start();
  child.pid = fork();
  if (child.pid < 0) {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    return fail(Status::Internal(std::string("fork: ") + std::strerror(errno)));
  }
  if (child.pid == 0) {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    execvp(argv[0], argv.data());
    std::fprintf(stderr, "sunwind measure: cannot run '%s': %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  meter.Run([&] { return StillRunning(child); });
  while (!child.done) {  // Run only returns once the child is reaped
    if (wait4(child.pid, &child.status, 0, &child.usage) == child.pid) child.done = true;
  }
  double child_cpu_s = child.usage.ru_utime.tv_sec + child.usage.ru_utime.tv_usec * 1e-6 +
                       child.usage.ru_stime.tv_sec + child.usage.ru_stime.tv_usec * 1e-6;
  meter.Finish(child_cpu_s, static_cast<uint64_t>(child.usage.ru_maxrss) * 1024);  // ru_maxrss is in KiB
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  int exit_code = WIFEXITED(child.status) ? WEXITSTATUS(child.status)
                  : WIFSIGNALED(child.status) ? 128 + WTERMSIG(child.status) : 1;
  TimePoint start = meter.start();
  TimePoint end = start + Duration{static_cast<long long>(std::ceil(meter.duration_s()))};

  // The grid's intensity for each hour the command ran.
  std::vector<HourlyEnergy> hours = meter.hourly();
  EmissionsAudit audit;
  TimePoint from = FloorTo(start, Duration{3600});
  TimePoint to = FloorTo(end, Duration{3600}) + Duration{3600};
  auto series = (*app)->Fetch(region, from, to, Duration{3600});
  if (series.ok()) {
    audit = AuditEmissions(hours, series->series, region->pue, region->wue_l_per_kwh);
  } else {
    audit = AuditEmissions(hours, IntensitySeries{from, Duration{3600}, {}, {}}, region->pue, region->wue_l_per_kwh);
    audit.notes.insert(audit.notes.begin(), "grid intensity unavailable: " + series.status().message());
  }

  ComponentEnergy cpu = meter.cpu(), gpu = meter.gpu(), ram = meter.ram();
  std::vector<std::string> notes = meter.notes();
  notes.insert(notes.end(), audit.notes.begin(), audit.notes.end());
  bool emissions_known = std::isfinite(audit.emissions_g);

  Status write_status;
  std::string output = flags->GetOr("output", "");
  if (!output.empty()) {
    CodeCarbonRow row;
    row.timestamp = end;
    row.project_name = flags->GetOr("project", "sunwind");
    row.run_id = RandomUuid();
    row.experiment_id = flags->GetOr("experiment", "");
    row.duration_s = meter.duration_s();
    if (emissions_known) {
      row.emissions_kg = audit.emissions_g / 1000;
      if (meter.duration_s() > 0) row.emissions_rate_kg_per_s = audit.emissions_g / 1000 / meter.duration_s();
    }
    row.cpu_power_w = meter.mean_cpu_w();
    row.ram_power_w = meter.mean_ram_w();
    row.cpu_energy_kwh = cpu.energy_kwh;
    row.ram_energy_kwh = ram.energy_kwh;
    if (!sources.gpus.empty()) {
      row.gpu_power_w = meter.mean_gpu_w();
      row.gpu_energy_kwh = gpu.energy_kwh;
      row.gpu_count = static_cast<int>(sources.gpus.size());
      row.gpu_model = std::to_string(sources.gpus.size()) + " x " + sources.gpus.front().name;
    }
    row.energy_consumed_kwh = audit.it_energy_kwh;
    row.water_consumed_l = audit.water_l;
    row.country_name = region->country;
    row.region = region->id;
    bool cloud = region->provider == "gcp" || region->provider == "aws" || region->provider == "azure";
    if (cloud) {
      row.cloud_provider = region->provider;
      row.cloud_region = region->name;
    }
    row.on_cloud = cloud ? "Y" : "N";
    row.os = OsName();
    row.cpu_count = cores;
    row.cpu_model = cpu_model;
    row.longitude = region->lon;
    row.latitude = region->lat;
    auto mem = ReadMemTotalBytes("/proc");
    if (mem.ok()) {
      row.ram_total_size_gb = BytesToGb(*mem);
      if (*mem > 0) row.ram_utilization_percent = 100.0 * meter.mean_ram_used_gb() / BytesToGb(*mem);
    }
    row.tracking_mode = "process";
    row.cpu_utilization_percent = meter.mean_cpu_utilization_percent();
    row.ram_used_gb = meter.mean_ram_used_gb();
    row.pue = region->pue;
    row.wue = region->wue_l_per_kwh;
    write_status = AppendCodeCarbonRow(output, row);
  }

  if (flags->Has("json")) {
    auto component = [](const ComponentEnergy& c, double mean_w) {
      return Json{{"energy_kwh", Exact(c.energy_kwh)}, {"mean_power_w", Exact(mean_w)},
                  {"method", c.method}, {"note", c.note}};
    };
    Json j;
    j["command"] = command;
    j["exit_code"] = exit_code;
    j["start"] = FormatTime(start);
    j["duration_s"] = Exact(meter.duration_s());
    j["job_cpu_s"] = Exact(meter.job_cpu_s());
    j["region"] = region->id;
    j["zone"] = region->zone;
    j["pue"] = Exact(region->pue);
    j["cpu"] = component(cpu, meter.mean_cpu_w());
    j["gpu"] = component(gpu, meter.mean_gpu_w());
    j["ram"] = component(ram, meter.mean_ram_w());
    j["it_energy_kwh"] = Exact(audit.it_energy_kwh);
    j["facility_energy_kwh"] = Exact(audit.facility_energy_kwh);
    j["emissions_g"] = emissions_known ? Exact(audit.emissions_g) : Json(nullptr);
    j["water_l"] = audit.water_l ? Exact(*audit.water_l) : Json(nullptr);
    j["emission_factor"] = EmissionFactorName((*app)->factor());
    Json intervals = Json::array();
    for (const auto& iv : audit.intervals) {
      intervals.push_back({{"hour", FormatTime(iv.start)},
                           {"it_energy_kwh", Exact(iv.it_energy_kwh)},
                           {"intensity_g_per_kwh", std::isfinite(iv.intensity_g_per_kwh) ? Exact(iv.intensity_g_per_kwh) : Json(nullptr)},
                           {"emissions_g", std::isfinite(iv.emissions_g) ? Exact(iv.emissions_g) : Json(nullptr)},
                           {"kind", iv.kind},
                           {"source", iv.source}});
    }
    j["intervals"] = intervals;
    j["notes"] = notes;
    if (!output.empty()) j["output"] = output;
    ctx.out << j.dump(2) << "\n";
  } else {
    std::ostream& o = ctx.err;
    char head[128];
    std::snprintf(head, sizeof head, "%.2f s (wall), %.2f s of CPU", meter.duration_s(), meter.job_cpu_s());
    o << "\nsunwind measure: '" << command[0] << "' ran " << head << ", exit code " << exit_code << "\n";
    auto line = [&](const char* name, const ComponentEnergy& c, double mean_w) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "  %-4s %-14s mean %8.2f W  ", name, Kwh(c.energy_kwh).c_str(), mean_w);
      o << buf << c.method << ": " << c.note << "\n";
    };
    line("CPU", cpu, meter.mean_cpu_w());
    line("GPU", gpu, meter.mean_gpu_w());
    line("RAM", ram, meter.mean_ram_w());
    o << "  IT energy " << Kwh(audit.it_energy_kwh) << "; facility energy " << Kwh(audit.facility_energy_kwh) << " (PUE "
      << FormatNumber(region->pue, 3) << (region->pue_source.empty() ? "" : ", " + region->pue_source) << ")\n";
    for (const auto& iv : audit.intervals) {
      o << "  grid " << region->id << " (zone " << region->zone << ") hour " << FormatTime(iv.start) << ": ";
      if (std::isfinite(iv.intensity_g_per_kwh)) {
        o << FormatNumber(iv.intensity_g_per_kwh, 1) << " gCO2eq/kWh, " << iv.kind << " (" << iv.source << ")\n";
      } else {
        o << "unknown\n";
      }
    }
    if (emissions_known) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.4g g", audit.emissions_g);
      o << "  Emissions " << buf << " CO2eq (" << EmissionFactorName((*app)->factor())
        << "; each hour's energy × PUE × that hour's grid intensity)\n";
    } else {
      o << "  Emissions unknown (no grid intensity for every hour)\n";
    }
    if (audit.water_l) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.3g L", *audit.water_l);
      o << "  Water " << buf << " (WUE " << FormatNumber(*region->wue_l_per_kwh, 2) << " L/kWh × IT energy; "
        << region->wue_source << ")\n";
    }
    for (const auto& n : notes) o << "  Note: " << n << "\n";
    if (!output.empty() && write_status.ok()) o << "  Wrote a CodeCarbon row to " << output << "\n";
  }
  if (!write_status.ok()) ReportError(ctx, "measure", write_status.WithContext("--output"));
  return exit_code;
}

}  // namespace sunwind
