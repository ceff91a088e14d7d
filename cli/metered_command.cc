#include "cli/metered_command.h"

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
#include <memory>
#include <ostream>

#include "core/units.h"

namespace sunwind {
namespace {

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

std::string OsName() {
  utsname u;
  if (uname(&u) != 0) return "";
  return std::string(u.sysname) + "-" + u.release + "-" + u.machine;
}

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

// SIGINT and SIGTERM ignored while it lives, restored after.
class IgnoreTerminalSignals {
 public:
  IgnoreTerminalSignals() {
    struct sigaction ignore{};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ignore, &old_int_);
    sigaction(SIGTERM, &ignore, &old_term_);
  }
  ~IgnoreTerminalSignals() { Restore(); }
  void Restore() const {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_{}, old_term_{};
};

}  // namespace

Json Exact(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

std::string Kwh(double kwh) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g kWh", kwh);
  return buf;
}

std::vector<FlagSpec> WithMeterFlags(std::vector<FlagSpec> own) {
  std::vector<FlagSpec> s = CommonDataFlags();
  s.insert(s.end(), own.begin(), own.end());
  std::vector<FlagSpec> meter = {
      {"output", true, "append a CodeCarbon-compatible row to this CSV (header written when the file is new)"},
      {"interval", true, "sampling interval, e.g. 1s (default) or 0.1s"},
      {"project", true, "project_name in the CSV row (default sunwind)"},
      {"experiment", true, "experiment_id in the CSV row (default empty)"},
      {"rapl-root", true, "powercap sysfs root (default /sys/class/powercap)"},
      {"nvml-library", true, "NVML library to dlopen (default libnvidia-ml.so.1)"},
      {"help", false, "show this help"},
  };
  s.insert(s.end(), meter.begin(), meter.end());
  return s;
}

Result<MeteredCommandOptions> MeterOptionsFrom(const Flags& flags) {
  MeteredCommandOptions o;
  o.command = flags.command();
  SUNWIND_ASSIGN_OR_RETURN(o.interval_s, ParseIntervalS(flags.GetOr("interval", "1s")));
  o.rapl_root = flags.GetOr("rapl-root", kDefaultPowercapRoot);
  o.nvml_library = flags.GetOr("nvml-library", kNvmlLibrary);
  return o;
}

Result<const Region*> RunRegion(App& app, const std::optional<std::string>& id) {
  auto region = app.catalogue().Get(id.value_or("local:host"));
  if (region.ok()) return *region;
  Status s = region.status();
  if (!id) {
    s = Status::NotFound(s.message() +
                         " (the default region local:host comes from your config: see config/sunwind.yaml, or pass "
                         "--region)");
  }
  return s.WithContext("--region");
}

Result<MeteredRun> RunMetered(const MeteredCommandOptions& options, App& app, const Region& region,
                              const Clock& clock, CommandContext& ctx) {
  MeteredRun run;
  run.command = options.command;
  // Choose a source per component before the command starts.
  MeterSources sources;
  auto rapl = RaplReader::Open(options.rapl_root);
  if (rapl.ok()) {
    sources.rapl = &*rapl;
  } else {
    sources.cpu_note = rapl.status().message() + ", so the CPU figure is the TDP model";
  }
  auto cpuinfo = ReadCpuInfo("/proc");
  run.cpu_model = cpuinfo.ok() ? cpuinfo->model_name : "";
  run.logical_cores = cpuinfo.ok() && cpuinfo->logical_cores > 0 ? cpuinfo->logical_cores
                                                                 : static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  auto table = TdpTable::LoadFromFile(app.data_dir() + "/hardware/cpu_power.csv");
  if (table.ok()) {
    auto m = table->Lookup(run.cpu_model);
    sources.cpu_tdp_w = m.tdp_w;
    sources.cpu_tdp_note = m.note;
  } else {
    sources.cpu_tdp_note = table.status().message() + "; default TDP " +
                           std::to_string(static_cast<int>(kDefaultCpuTdpW)) + " W (CodeCarbon's default)";
  }
  std::unique_ptr<Nvml> nvml;
  auto loaded = Nvml::Load(options.nvml_library);
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
  run.gpus = sources.gpus;

  // Run the command. sunwind ignores Ctrl-C while it runs (the command gets
  // it, being in the same process group) so the result is still written.
  IgnoreTerminalSignals ignoring;
  std::vector<char*> argv;
  for (const auto& a : options.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ctx.out.flush();
  ctx.err.flush();

  SteadyPacer pacer;
  Child child;
  MeterOptions meter_options;
  meter_options.interval_s = options.interval_s;
  meter_options.logical_cores = run.logical_cores;
  JobMeter meter(clock, pacer, sources, [&] {
    return child.done ? std::vector<pid_t>{} : ListDescendants(meter_options.proc_root, child.pid);
  }, meter_options);
  meter.Start();
  child.pid = fork();
  if (child.pid < 0) return Status::Internal(std::string("fork: ") + std::strerror(errno));
  if (child.pid == 0) {
    ignoring.Restore();
    execvp(argv[0], argv.data());
    std::fprintf(stderr, "sunwind: cannot run '%s': %s\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  meter.Run([&] { return StillRunning(child); });
  while (!child.done) {  // Run only returns once the child is reaped
    if (wait4(child.pid, &child.status, 0, &child.usage) == child.pid) child.done = true;
  }
  double child_cpu_s = child.usage.ru_utime.tv_sec + child.usage.ru_utime.tv_usec * 1e-6 +
                       child.usage.ru_stime.tv_sec + child.usage.ru_stime.tv_usec * 1e-6;
  meter.Finish(child_cpu_s, static_cast<uint64_t>(child.usage.ru_maxrss) * 1024);  // ru_maxrss is in KiB
  ignoring.Restore();
  run.exit_code = WIFEXITED(child.status)   ? WEXITSTATUS(child.status)
                  : WIFSIGNALED(child.status) ? 128 + WTERMSIG(child.status)
                                              : 1;
  run.start = meter.start();
  run.duration_s = meter.duration_s();
  run.end = run.start + Duration{static_cast<long long>(std::ceil(run.duration_s))};
  run.job_cpu_s = meter.job_cpu_s();
  run.cpu = meter.cpu();
  run.gpu = meter.gpu();
  run.ram = meter.ram();
  run.mean_cpu_w = meter.mean_cpu_w();
  run.mean_gpu_w = meter.mean_gpu_w();
  run.mean_ram_w = meter.mean_ram_w();
  run.mean_cpu_utilization_percent = meter.mean_cpu_utilization_percent();
  run.mean_ram_used_gb = meter.mean_ram_used_gb();
  run.hours = meter.hourly();
  run.samples = meter.samples();

  // The grid's intensity for each hour the command ran.
  TimePoint from = FloorTo(run.start, Duration{3600});
  TimePoint to = FloorTo(run.end, Duration{3600}) + Duration{3600};
  auto series = app.Fetch(&region, from, to, Duration{3600});
  if (series.ok()) {
    run.audit = AuditEmissions(run.hours, series->series, region.pue, region.wue_l_per_kwh);
  } else {
    run.audit = AuditEmissions(run.hours, IntensitySeries{from, Duration{3600}, {}, {}}, region.pue,
                               region.wue_l_per_kwh);
    run.audit.notes.insert(run.audit.notes.begin(), "grid intensity unavailable: " + series.status().message());
  }
  run.notes = meter.notes();
  run.notes.insert(run.notes.end(), run.audit.notes.begin(), run.audit.notes.end());
  return run;
}

CodeCarbonRow MeteredRow(const MeteredRun& run, const Region& region, const std::string& project,
                         const std::string& experiment) {
  CodeCarbonRow row;
  row.timestamp = run.end;
  row.project_name = project;
  row.run_id = RandomUuid();
  row.experiment_id = experiment;
  row.duration_s = run.duration_s;
  if (std::isfinite(run.audit.emissions_g)) {
    row.emissions_kg = run.audit.emissions_g / 1000;
    if (run.duration_s > 0) row.emissions_rate_kg_per_s = run.audit.emissions_g / 1000 / run.duration_s;
  }
  row.cpu_power_w = run.mean_cpu_w;
  row.ram_power_w = run.mean_ram_w;
  row.cpu_energy_kwh = run.cpu.energy_kwh;
  row.ram_energy_kwh = run.ram.energy_kwh;
  if (!run.gpus.empty()) {
    row.gpu_power_w = run.mean_gpu_w;
    row.gpu_energy_kwh = run.gpu.energy_kwh;
    row.gpu_count = static_cast<int>(run.gpus.size());
    row.gpu_model = std::to_string(run.gpus.size()) + " x " + run.gpus.front().name;
  }
  row.energy_consumed_kwh = run.audit.it_energy_kwh;
  row.water_consumed_l = run.audit.water_l;
  row.country_name = region.country;
  row.region = region.id;
  bool cloud = region.provider == "gcp" || region.provider == "aws" || region.provider == "azure";
  if (cloud) {
    row.cloud_provider = region.provider;
    row.cloud_region = region.name;
  }
  row.on_cloud = cloud ? "Y" : "N";
  row.os = OsName();
  row.cpu_count = run.logical_cores;
  row.cpu_model = run.cpu_model;
  row.longitude = region.lon;
  row.latitude = region.lat;
  auto mem = ReadMemTotalBytes("/proc");
  if (mem.ok()) {
    row.ram_total_size_gb = BytesToGb(*mem);
    if (*mem > 0) row.ram_utilization_percent = 100.0 * run.mean_ram_used_gb / BytesToGb(*mem);
  }
  row.tracking_mode = "process";
  row.cpu_utilization_percent = run.mean_cpu_utilization_percent;
  row.ram_used_gb = run.mean_ram_used_gb;
  row.pue = region.pue;
  row.wue = region.wue_l_per_kwh;
  return row;
}

Json MeteredJson(const MeteredRun& run, const Region& region, EmissionFactor factor) {
  auto component = [](const ComponentEnergy& c, double mean_w) {
    return Json{{"energy_kwh", Exact(c.energy_kwh)}, {"mean_power_w", Exact(mean_w)}, {"method", c.method},
                {"note", c.note}};
  };
  const EmissionsAudit& audit = run.audit;
  Json j;
  j["command"] = run.command;
  j["exit_code"] = run.exit_code;
  j["start"] = FormatTime(run.start);
  j["duration_s"] = Exact(run.duration_s);
  j["job_cpu_s"] = Exact(run.job_cpu_s);
  j["region"] = region.id;
  j["zone"] = region.zone;
  j["pue"] = Exact(region.pue);
  j["cpu"] = component(run.cpu, run.mean_cpu_w);
  j["gpu"] = component(run.gpu, run.mean_gpu_w);
  j["ram"] = component(run.ram, run.mean_ram_w);
  j["it_energy_kwh"] = Exact(audit.it_energy_kwh);
  j["facility_energy_kwh"] = Exact(audit.facility_energy_kwh);
  j["emissions_g"] = Exact(audit.emissions_g);
  j["water_l"] = audit.water_l ? Exact(*audit.water_l) : Json(nullptr);
  j["emission_factor"] = EmissionFactorName(factor);
  Json intervals = Json::array();
  for (const auto& iv : audit.intervals) {
    intervals.push_back({{"hour", FormatTime(iv.start)},
                         {"it_energy_kwh", Exact(iv.it_energy_kwh)},
                         {"intensity_g_per_kwh", Exact(iv.intensity_g_per_kwh)},
                         {"emissions_g", Exact(iv.emissions_g)},
                         {"kind", iv.kind},
                         {"source", iv.source}});
  }
  j["intervals"] = intervals;
  j["notes"] = run.notes;
  return j;
}

void PrintMetered(std::ostream& o, const std::string& verb, const MeteredRun& run, const Region& region,
                  EmissionFactor factor) {
  const EmissionsAudit& audit = run.audit;
  char head[128];
  std::snprintf(head, sizeof head, "%.2f s (wall), %.2f s of CPU", run.duration_s, run.job_cpu_s);
  o << "\nsunwind " << verb << ": '" << run.command.front() << "' ran " << head << ", exit code " << run.exit_code << "\n";
  auto line = [&](const char* name, const ComponentEnergy& c, double mean_w) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "  %-4s %-14s mean %8.2f W  ", name, Kwh(c.energy_kwh).c_str(), mean_w);
    o << buf << c.method << ": " << c.note << "\n";
  };
  line("CPU", run.cpu, run.mean_cpu_w);
  line("GPU", run.gpu, run.mean_gpu_w);
  line("RAM", run.ram, run.mean_ram_w);
  o << "  IT energy " << Kwh(audit.it_energy_kwh) << "; facility energy " << Kwh(audit.facility_energy_kwh)
    << " (PUE " << FormatNumber(region.pue, 3) << (region.pue_source.empty() ? "" : ", " + region.pue_source)
    << ")\n";
  for (const auto& iv : audit.intervals) {
    o << "  grid " << region.id << " (zone " << region.zone << ") hour " << FormatTime(iv.start) << ": ";
    if (std::isfinite(iv.intensity_g_per_kwh)) {
      o << FormatNumber(iv.intensity_g_per_kwh, 1) << " gCO2eq/kWh, " << iv.kind << " (" << iv.source << ")\n";
    } else {
      o << "unknown\n";
    }
  }
  if (std::isfinite(audit.emissions_g)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4g g", audit.emissions_g);
    o << "  Emissions " << buf << " CO2eq (" << EmissionFactorName(factor)
      << "; each hour's energy × PUE × that hour's grid intensity)\n";
  } else {
    o << "  Emissions unknown (no grid intensity for every hour)\n";
  }
  if (audit.water_l) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3g L", *audit.water_l);
    o << "  Water " << buf << " (WUE " << FormatNumber(*region.wue_l_per_kwh, 2) << " L/kWh × IT energy; "
      << region.wue_source << ")\n";
  }
  for (const auto& n : run.notes) o << "  Note: " << n << "\n";
}

}  // namespace sunwind
