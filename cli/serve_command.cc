// `sunwind serve`: the daemon. The scheduler core (service/) ticks on the
// main thread; HttpServer's threads answer the API (server/api.h). SIGTERM or
// SIGINT stops it gracefully: the API closes, running jobs keep running under
// their supervisors, and the next start re-adopts them.
//
// `sunwind demo`: the same daemon in-process on an accelerated clock and a
// throw-away state directory, fed with a few example jobs over its own HTTP
// API, printing each job's plan and outcome. It is what the README runs.
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "cli/api_client.h"
#include "cli/app.h"
#include "cli/commands.h"
#include "executors/posix_process_runner.h"
#include "providers/http_transport.h"
#include "server/api.h"
#include "server/http_server.h"
#include "service/job_metering.h"
#include "service/service.h"
#include "storage/database.h"

#ifndef SUNWIND_VERSION
#define SUNWIND_VERSION "0.1.0"
#endif

namespace sunwind {
namespace {

// Tells this daemon's Slurm jobs from another's on a shared cluster (job ids
// restart at j-000001 in every database): a short hash of the database's
// absolute path, stable across restarts of the same daemon.
std::string SlurmNamePrefix(const std::string& db_path) {
  std::error_code ec;
  const std::string path = std::filesystem::absolute(db_path, ec).lexically_normal().string();
  uint32_t h = 2166136261u;  // FNV-1a 32
  for (unsigned char c : path) h = (h ^ c) * 16777619u;
  char out[16];
  std::snprintf(out, sizeof out, "%06x-", h & 0xffffffu);
  return out;
}

using nlohmann::json;
// Keeps the server's key order, as the CLI's API client returns it.
using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

const std::vector<FlagSpec>& ServeFlags() {
  static const std::vector<FlagSpec> specs = [] {
    auto s = CommonDataFlags();
    std::vector<FlagSpec> own = {
        {"listen", true, "HOST:PORT to answer on (default 127.0.0.1:8787; the config's server.listen)"},
        {"db", true, "the SQLite file of jobs (default <state dir>/sunwind.db)"},
        {"token-file", true, "file holding the API's bearer token, 16 characters or more (default <state dir>/token, made if missing)"},
        {"state-dir", true, "where the database, token and job logs live ($SUNWIND_HOME, else ~/.local/share/sunwind)"},
        {"clock-speed", true, "run the scheduler's clock N times faster than real time (a demo; default 1)"},
        {"tick", true, "how often the scheduler looks at the queue, in real time (default 1s; 200ms when accelerated)"},
        {"help", false, "show this help"},
    };
    s.insert(s.end(), own.begin(), own.end());
    return s;
  }();
  return specs;
}

struct ServerConfig {
  std::string listen = "127.0.0.1:8787";
  std::string db;
  std::string token_file;
  std::string jobs_dir;
  std::string default_region = "local:host";
  bool open_reads = false;
};

// The config's `server:` section, when there is one.
Result<ServerConfig> LoadServerConfig(const std::string& path) {
  ServerConfig c;
  if (path.empty()) return c;
  try {
    YAML::Node root = YAML::LoadFile(path);
    YAML::Node s = root["server"];
    if (!s) return c;
    for (const auto& kv : s) {
      const std::string key = kv.first.as<std::string>();
      const auto& v = kv.second;
      if (key == "listen") c.listen = v.as<std::string>();
      else if (key == "db") c.db = v.as<std::string>();
      else if (key == "token_file") c.token_file = v.as<std::string>();
      else if (key == "jobs_dir") c.jobs_dir = v.as<std::string>();
      else if (key == "default_region") c.default_region = v.as<std::string>();
      else if (key == "open_reads") c.open_reads = v.as<bool>();
      else return Status::InvalidArgument(path + ": server." + key + ": unknown field");
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ": server: " + e.what());
  }
  return c;
}

std::string DefaultStateDir() {
  if (const char* home = std::getenv("SUNWIND_HOME"); home && *home) return home;
  const char* home = std::getenv("HOME");
  if (!home || !*home) {
    if (const passwd* pw = getpwuid(getuid())) home = pw->pw_dir;
  }
  return std::string(home ? home : ".") + "/.local/share/sunwind";
}

// Reads the token, or makes one (256 random bits, hex) readable by the owner
// only. The token itself is never printed.
Result<std::string> LoadOrMakeToken(const std::string& path) {
  std::ifstream in(path);
  if (in) {
    std::string token;
    std::getline(in, token);
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    if (token.size() < 16) return Status::InvalidArgument("--token-file: " + path + " holds fewer than 16 characters");
    return token;
  }
  std::random_device rd;
  std::ostringstream hex;
  for (int i = 0; i < 8; ++i) hex << std::hex << std::setw(8) << std::setfill('0') << rd();
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) return Status::Unavailable("--token-file: cannot write " + path);
    out << hex.str() << "\n";
  }
  ::chmod(tmp.c_str(), 0600);
  fs::rename(tmp, path, ec);
  if (ec) return Status::Unavailable("--token-file: cannot write " + path + ": " + ec.message());
  return hex.str();
}

Result<std::pair<std::string, uint16_t>> ParseListen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("--listen: expected HOST:PORT, got '" + listen + "'");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = -1;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (...) {
  }
  if (port < 0 || port > 65535) return Status::InvalidArgument("--listen: port must be 0-65535 in '" + listen + "'");
  return std::make_pair(host, static_cast<uint16_t>(port));
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// A running daemon: everything `serve` and `demo` share.
struct Daemon {
  std::unique_ptr<App> app;
  std::unique_ptr<Clock> clock;
  std::unique_ptr<Database> db;
  std::unique_ptr<PosixProcessRunner> runner;
  std::unique_ptr<Service> service;
  std::unique_ptr<Database> meter_db;  // the meter's own connection (sampler thread, audit routes)
  std::unique_ptr<MeterStore> meter_store;
  std::unique_ptr<Api> api;
  std::unique_ptr<HttpServer> http;
  std::string token;
  std::string token_file;
  std::string db_path;
  std::chrono::milliseconds tick{1000};
  std::unique_ptr<SteadyPacer> pacer;
  DaemonMeterSetup meters;                // NVML and the shared GPU meter, used by `metering`
  std::unique_ptr<JobMetering> metering;  // declared last: stopped first
};

Result<std::unique_ptr<Daemon>> StartDaemon(const Flags& flags, const std::string& config_path, std::ostream& log) {
  auto d = std::make_unique<Daemon>();
  SUNWIND_ASSIGN_OR_RETURN(ServerConfig config, LoadServerConfig(config_path));
  const std::string state_dir = flags.GetOr("state-dir", DefaultStateDir());
  double speed = 1;
  if (auto s = flags.Get("clock-speed")) {
    try {
      speed = std::stod(*s);
    } catch (...) {
      speed = -1;
    }
    if (!(speed >= 1) || speed > 1e6) return Status::InvalidArgument("--clock-speed: must be a number from 1 to 1000000");
  }
  SystemClock system;
  if (speed == 1) {
    d->clock = std::make_unique<SystemClock>();
  } else {
    d->clock = std::make_unique<ScaledClock>(system.Now(), speed);
  }
  d->tick = speed > 1 ? std::chrono::milliseconds(200) : std::chrono::milliseconds(1000);
  if (auto t = flags.Get("tick")) {
    auto parsed = ParseMilliseconds(*t);
    if (!parsed.ok()) return Status::InvalidArgument("--tick: " + parsed.status().message());
    d->tick = *parsed;
  }

  SUNWIND_ASSIGN_OR_RETURN(d->app, App::Open(flags, *d->clock));
  d->db_path = flags.GetOr("db", config.db.empty() ? state_dir + "/sunwind.db" : config.db);
  SUNWIND_ASSIGN_OR_RETURN(d->db, Database::Open(d->db_path));
  d->token_file = flags.GetOr("token-file", config.token_file.empty() ? state_dir + "/token" : config.token_file);
  SUNWIND_ASSIGN_OR_RETURN(d->token, LoadOrMakeToken(d->token_file));

  d->runner = std::make_unique<PosixProcessRunner>(*d->clock);
  ServiceOptions options;
  options.jobs_dir = config.jobs_dir.empty() ? state_dir + "/jobs" : config.jobs_dir;
  options.default_region = config.default_region;
  options.slurm_name_prefix = SlurmNamePrefix(d->db_path);
  // On an accelerated clock one tick spans minutes of scheduler time: the
  // core must decide in steps of that length, or a job that must start now
  // to meet its deadline could start a tick late.
  if (auto* scaled = dynamic_cast<ScaledClock*>(d->clock.get())) {
    options.step = std::max(options.step, scaled->Scaled(d->tick));
  }
  App* app = d->app.get();
  FetchIntensity fetch = [app](const Region* r, TimePoint from, TimePoint to, Duration step) {
    return app->Fetch(r, from, to, step);
  };
  SUNWIND_ASSIGN_OR_RETURN(d->service, Service::Open(*d->db, *d->clock, app->catalogue(), fetch, *d->runner, options));
  for (const auto& note : d->service->recovery_notes()) log << "sunwind serve: recovered " << note << "\n";

  SUNWIND_ASSIGN_OR_RETURN(auto hp, ParseListen(flags.GetOr("listen", config.listen)));
  ApiOptions api_options;
  api_options.token = d->token;
  api_options.reads_need_token = !IsLoopback(hp.first) && !config.open_reads;
  api_options.version = SUNWIND_VERSION;
  api_options.clock_speed = speed;
  SUNWIND_ASSIGN_OR_RETURN(JobMeteringOptions metering, LoadMeteringConfig(config_path));
  SUNWIND_ASSIGN_OR_RETURN(d->meter_db, Database::Open(d->db_path));
  d->meter_store = std::make_unique<MeterStore>(*d->meter_db);
  api_options.meter_store = d->meter_store.get();
  d->meters = DaemonMeterSources(app->data_dir() + "/hardware/cpu_power.csv", "/proc",
                                 speed == 1 ? metering.nvml_library : std::string("none"));
  const DaemonMeterSetup& meters = d->meters;
  // Slurm's CPU time × each region's cpu_model/cpu_w_per_core, else this machine's (server/audit_routes.h).
  SUNWIND_ASSIGN_OR_RETURN(api_options.slurm_cpu,
                           SlurmCpuPowersFromConfig(app->catalogue(), app->data_dir() + "/hardware/cpu_power.csv",
                                                    MachineCpuPower(meters.cpu_model, meters.sources.cpu_tdp_w,
                                                                    meters.sources.cpu_tdp_note, meters.logical_cores)));
  if (speed == 1) {  // on an accelerated clock real watts and scaled hours would not match: no meter
    metering.logical_cores = meters.logical_cores;
    d->pacer = std::make_unique<SteadyPacer>();
    Service* service = d->service.get();
    d->metering = std::make_unique<JobMetering>(
        *d->clock, *d->pacer, *d->meter_store, [service] { return service->Running(); },
        [sources = meters.sources](const RunningJob&) { return sources; }, metering,
        [&log](const std::string& m) { log << "sunwind serve: " << m << "\n"; });
    d->metering->UseGpus(meters.gpus.get());
    log << "sunwind serve: metering CPU by the TDP model, RAM by its model, GPUs: "
        << (meters.gpus ? std::to_string(meters.gpus->gpus().size()) + " through NVML" : meters.sources.gpu_note) << "\n";
    api_options.metering = d->metering.get();
  }
  d->api = std::make_unique<Api>(*d->service, app->catalogue(), fetch, *d->clock, api_options);
  HttpServerOptions http;
  http.host = hp.first;
  http.port = hp.second;
  Api* api = d->api.get();
  SUNWIND_ASSIGN_OR_RETURN(d->http, HttpServer::Start(http, [api](const ApiRequest& r) { return api->Handle(r); }));
  log << "sunwind serve: listening on " << d->http->url() << " (API: /v1/...), jobs in " << d->db_path
      << ", token in " << d->token_file << (speed > 1 ? ", clock x" + std::to_string(static_cast<long long>(speed)) : "")
      << "\n";
  if (d->metering) d->metering->Start();
  return d;
}

// Blocks SIGTERM and SIGINT in this thread and the threads it starts after,
// so the main loop takes them with sigtimedwait.
void BlockStopSignals(sigset_t* set) {
  sigemptyset(set);
  sigaddset(set, SIGTERM);
  sigaddset(set, SIGINT);
  pthread_sigmask(SIG_BLOCK, set, nullptr);
}

// Waits up to `d` for a stop signal; true when one came.
bool StopRequested(const sigset_t& set, std::chrono::milliseconds d) {
  timespec ts{static_cast<time_t>(d.count() / 1000), static_cast<long>((d.count() % 1000) * 1000000)};
  return sigtimedwait(&set, nullptr, &ts) > 0;
}

std::string ConfigPath(const Flags& flags) {
  if (auto c = flags.Get("config")) return *c;
  if (const char* env = std::getenv("SUNWIND_CONFIG"); env && *env) return env;
  return "";
}

}  // namespace

int ServeCommand(const Args& args, CommandContext& ctx) {
  const auto& specs = ServeFlags();
  auto flags = Flags::Parse(args, specs);
  if (!flags.ok()) return ReportError(ctx, "serve", flags.status());
  if (flags->Has("help")) {
    ctx.out << "usage: sunwind serve [--config config/sunwind.yaml] [--listen 127.0.0.1:8787] [--db PATH]\n"
               "                     [--token-file PATH] [--state-dir DIR] [--clock-speed N]\n\n"
               "Runs the daemon: a persistent queue of jobs, planned into their cleanest slots and run by\n"
               "the executor each region is bound to in the config (local processes, or a Slurm partition),\n"
               "with the HTTP API of docs/api.md. SIGTERM stops it and leaves running jobs running; the\n"
               "next start re-adopts them (from Slurm's queue and accounting for Slurm jobs).\n\n"
            << FlagsHelp(specs);
    return 0;
  }
  // Without a config the shipped one applies: it defines local:host, the
  // region jobs run in by default.
  if (ConfigPath(*flags).empty() && fs::exists(DefaultConfigDir() + "/sunwind.yaml")) {
    ::setenv("SUNWIND_CONFIG", (DefaultConfigDir() + "/sunwind.yaml").c_str(), 0);
  }
  sigset_t stop;
  BlockStopSignals(&stop);
  auto daemon = StartDaemon(*flags, ConfigPath(*flags), ctx.err);
  if (!daemon.ok()) return ReportError(ctx, "serve", daemon.status());
  Daemon& d = **daemon;
  std::string last_error;
  while (!StopRequested(stop, d.tick)) {
    Status st = d.service->Tick();
    if (!st.ok() && st.message() != last_error) ctx.err << "sunwind serve: tick: " << st.message() << "\n";
    last_error = st.ok() ? "" : st.message();
  }
  ctx.err << "sunwind serve: stopping; running jobs keep running and are re-adopted on the next start\n";
  d.http->Stop();
  return 0;
}

int DemoCommand(const Args& args, CommandContext& ctx);

}  // namespace sunwind

namespace sunwind {
namespace {

const std::vector<FlagSpec>& DemoFlags() {
  static const std::vector<FlagSpec> specs = [] {
    auto s = CommonDataFlags();
    std::vector<FlagSpec> own = {
        {"clock-speed", true, "how much faster than real time the demo's clock runs (default 3600: an hour a second)"},
        {"state-dir", true, "keep the demo's database and logs here (default: a temporary directory)"},
        {"timeout", true, "give up after this much real time (default 100s)"},
        {"help", false, "show this help"},
    };
    s.insert(s.end(), own.begin(), own.end());
    return s;
  }();
  return specs;
}

// A job that honours sunwind's checkpoint contract in plain sh: it works
// in 0.1 s steps, saves its progress on SIGTERM and exits 0, and carries on
// from it when relaunched with SUNWIND_RESUME=1.
std::string CountingJob(int steps) {
  return "n=0; if [ \"$SUNWIND_RESUME\" = 1 ] && [ -f progress ]; then n=$(cat progress); echo \"resumed at step $n\"; "
         "fi; trap 'echo $n > progress; echo \"checkpointed at step $n\"; exit 0' TERM; while [ $n -lt " +
         std::to_string(steps) + " ]; do sleep 0.1; n=$((n+1)); done; echo \"done after " + std::to_string(steps) +
         " steps\"";
}

std::string Hours(double seconds) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(1) << seconds / 3600 << " h";
  return o.str();
}

}  // namespace

int DemoCommand(const Args& args, CommandContext& ctx) {
  const auto& specs = DemoFlags();
  auto flags = Flags::Parse(args, specs);
  if (!flags.ok()) return ReportError(ctx, "demo", flags.status());
  if (flags->Has("help")) {
    ctx.out << "usage: sunwind demo [--clock-speed 3600] [--state-dir DIR]\n\n"
               "Starts the daemon in-process on an accelerated clock (an hour of the grid per second) with\n"
               "the bundled traces, submits four example jobs over its HTTP API, and prints each job's plan\n"
               "and what happened to it. The regions bound to the local executor in config/demo.yaml stand\n"
               "in for cloud regions: this is a demonstration, every job runs on this machine.\n\n"
            << FlagsHelp(specs);
    return 0;
  }
  std::string state_dir = flags->GetOr("state-dir", "");
  if (state_dir.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "sunwind-demo-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) return ReportError(ctx, "demo", Status::Unavailable("cannot make a temporary directory"));
    state_dir = tmpl;
  }
  Args daemon_args = {"--config", DefaultConfigDir() + "/demo.yaml", "--state-dir", state_dir,
                      "--listen", "127.0.0.1:0", "--clock-speed", flags->GetOr("clock-speed", "3600")};
  for (const char* pass : {"data-dir", "trace"}) {
    for (const auto& v : flags->GetList(pass)) {
      daemon_args.push_back(std::string("--") + pass);
      daemon_args.push_back(v);
    }
  }
  auto dflags = Flags::Parse(daemon_args, ServeFlags());
  if (!dflags.ok()) return ReportError(ctx, "demo", dflags.status());
  auto started = StartDaemon(*dflags, DefaultConfigDir() + "/demo.yaml", ctx.err);
  if (!started.ok()) return ReportError(ctx, "demo", started.status());
  Daemon& d = **started;
  std::atomic<bool> stop{false};
  std::thread ticker([&] {
    while (!stop) {
      (void)d.service->Tick();
      std::this_thread::sleep_for(d.tick);
    }
  });

  // The demo is a client of its own daemon, through the CLI's API client.
  auto http = MakeCurlTransport();
  ApiClient client(d.http->url(), d.token, *http);
  auto call = [&](const std::string& method, const std::string& path, const Json& body) {
    return client.Call(method, path, body);
  };

  // The ranking the scheduler starts from (and the traces loaded once, before
  // the clock matters).
  if (auto rank = call("GET", "/v1/regions/rank?duration_s=3600", nullptr); rank.ok()) {
    ctx.out << "regions bound to an executor, cleanest first for the next hour (g CO2eq/kWh x PUE):\n";
    for (const auto& r : (*rank)["regions"]) {
      ctx.out << "  " << std::left << std::setw(18) << r["region"].get<std::string>() << std::right << std::fixed
              << std::setprecision(0) << std::setw(5) << r["mean_effective_g_per_kwh"].get<double>() << "  ("
              << r["zone"].get<std::string>() << ", " << r["kind"].get<std::string>() << ")\n";
    }
    ctx.out << "\n";
  }
  const TimePoint now = d.clock->Now();
  const double h = 3600;
  auto at = [&](double hours) { return FormatTime(now + Duration(static_cast<long long>(hours * h))); };
  const std::string work = state_dir + "/work";
  fs::create_directories(work);
  std::vector<Json> jobs = {
      {{"name", "urgent-report"}, {"project", "finance"}, {"command", {"/bin/sh", "-c", CountingJob(10)}},
       {"duration_s", 1 * h}, {"power_w", 300}, {"deadline", at(1.5)}, {"working_dir", work}},
      {{"name", "nightly-etl"}, {"project", "data"}, {"command", {"/bin/sh", "-c", CountingJob(20)}},
       {"duration_s", 2 * h}, {"power_w", 800}, {"deadline", at(20)}, {"working_dir", work}},
      {{"name", "finetune-bert"}, {"project", "nlp"}, {"command", {"/bin/sh", "-c", CountingJob(100)}},
       {"duration_s", 10 * h}, {"power_w", 2400}, {"deadline", at(40)}, {"interruptible", true},
       {"allowed_regions", {"demo:california"}}, {"working_dir", work + "/bert"}},
      {{"name", "render-batch"}, {"project", "media"}, {"command", {"/bin/sh", "-c", CountingJob(30)}},
       {"duration_s", 3 * h}, {"power_w", 1500}, {"deadline", at(12)},
       {"allowed_regions", {"local:host", "demo:norway", "demo:california"}}, {"working_dir", work}},
  };
  fs::create_directories(work + "/bert");
  ctx.out << "sunwind demo: the clock runs x" << flags->GetOr("clock-speed", "3600")
          << " (an hour a second); all jobs run on this machine; regions other than local:host are stand-ins\n"
          << "state in " << state_dir << "\n\n";
  std::vector<std::string> ids;
  for (const auto& j : jobs) {
    auto r = call("POST", "/v1/jobs", j);
    if (!r.ok()) {
      stop = true;
      ticker.join();
      return ReportError(ctx, "demo", r.status());
    }
    ids.push_back((*r)["id"]);
    ctx.out << "submitted " << (*r)["id"].get<std::string>() << " " << j["name"].get<std::string>() << ": "
            << Hours(j["duration_s"]) << " at " << j["power_w"] << " W, deadline " << j["deadline"].get<std::string>()
            << (j.value("interruptible", false) ? ", interruptible" : "") << "\n";
  }
  ctx.out << "\n";

  // Follow the event log until every job has ended.
  std::map<std::string, size_t> seen;
  std::map<std::string, Json> first_plan;
  const auto give_up = std::chrono::steady_clock::now() +
                       std::chrono::seconds(std::atoi(flags->GetOr("timeout", "100").c_str()));
  bool all_final = false;
  while (!all_final && std::chrono::steady_clock::now() < give_up) {
    all_final = true;
    for (const auto& id : ids) {
      auto j = call("GET", "/v1/jobs/" + id, nullptr);
      if (!j.ok()) continue;
      const auto& events = (*j)["events"];
      for (size_t i = seen[id]; i < events.size(); ++i) {
        const auto& e = events[i];
        ctx.out << e["at"].get<std::string>() << "  " << id << " " << std::left << std::setw(14)
                << (*j)["name"].get<std::string>() << " " << e["to"].get<std::string>() << ": "
                << e["reason"].get<std::string>() << "\n";
      }
      seen[id] = events.size();
      // The plan made at submission: the one its counterfactual belongs to.
      if ((*j)["plan"].is_object() && !first_plan.count(id)) first_plan[id] = (*j)["plan"];
      const std::string state = (*j)["state"];
      all_final = all_final && (state == "done" || state == "failed" || state == "cancelled");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }

  ctx.out << "\nplans made at submission, and outcomes (intensities replayed from the bundled Electricity Maps\n"
             "traces, x PUE; emissions expected from the plan, not metered):\n";
  double planned = 0, run_now = 0;
  for (const auto& id : ids) {
    auto j = call("GET", "/v1/jobs/" + id, nullptr);
    if (!j.ok()) continue;
    ctx.out << "  " << id << " " << std::left << std::setw(14) << (*j)["name"].get<std::string>() << " "
            << (*j)["state"].get<std::string>() << " in " << (*j)["region"].get<std::string>() << " after "
            << Hours((*j)["ran_s"].get<double>()) << " running, " << (*j)["plan"].value("version", 0)
            << " plan versions";
    if (auto it = first_plan.find(id); it != first_plan.end()) {
      const Json& p = it->second;
      const double e = p["expected_emissions_g"];
      const double rn = p.contains("run_now") ? p["run_now"].value("emissions_g", e) : e;
      planned += e;
      run_now += rn;
      ctx.out << "; planned ";
      for (const auto& iv : p["intervals"]) {
        ctx.out << iv["region"].get<std::string>() << " " << iv["start"].get<std::string>().substr(11, 5) << "-"
                << iv["end"].get<std::string>().substr(11, 5) << " ";
      }
      ctx.out << std::fixed << std::setprecision(0) << e << " g CO2eq vs " << rn << " g at once";
    }
    ctx.out << "\n";
  }
  if (run_now > 0) {
    ctx.out << std::fixed << std::setprecision(1) << "  total: " << planned / 1000 << " kg CO2eq planned vs "
            << run_now / 1000 << " kg running each job at once in its home region ("
            << 100 * (run_now - planned) / run_now << " % less)\n";
  }
  stop = true;
  ticker.join();
  d.http->Stop();
  if (!all_final) {
    ctx.err << "sunwind demo: error: not every job ended within the time limit\n";
    return 1;
  }
  return 0;
}

}  // namespace sunwind
