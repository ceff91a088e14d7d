// metrics_bench: the time of GET /metrics and GET /v1/report on a daemon with
// --jobs finished jobs, without and with the Api's cache of finished jobs'
// audits (AuditCache, server/audit_routes.h). Prints one JSON object.
//
//   build/benchmarks/metrics_bench [--jobs 200] [--scrapes 20] [--samples 30]
//
// The daemon as `sunwind serve` builds it, in process and without sockets:
// the bundled data and config/sunwind.yaml (local:host in DE, the DE traces
// replayed for 2026), a real Service on SQLite in a temp dir, real /bin/true
// processes, and --samples meter rows per job in the MeterStore (1 min each),
// so every audit reads its samples and fetches its hours as the daemon's do.
// The clock is a ManualClock at 2026-11-23T00:00Z: each job runs 30 min of it.
// Times are the steady clock's around Api::Handle; "cold" is the first request
// of an Api (nothing cached), then --scrapes requests give the mean, median and
// min. Both Apis' answers are compared byte for byte.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/flags.h"
#include "executors/posix_process_runner.h"
#include "server/api.h"
#include "storage/meter_store.h"

namespace {

using namespace sunwind;
using Steady = std::chrono::steady_clock;

template <typename T>
T Must(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "metrics_bench: %s: %s\n", what, r.status().message().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

void Must(const Status& st, const char* what) {
  if (!st.ok()) {
    std::fprintf(stderr, "metrics_bench: %s: %s\n", what, st.message().c_str());
    std::exit(1);
  }
}

ApiRequest Get(const std::string& path) {
  ApiRequest r;
  r.method = "GET";
  r.target = path;
  r.path = path;
  r.remote_address = "127.0.0.1";
  r.remote_is_loopback = true;
  return r;
}

struct Timing {
  double cold_ms = 0, mean_ms = 0, median_ms = 0, min_ms = 0;
  std::string body;  // the last answer
};

Timing Time(Api& api, const std::string& path, int n) {
  Timing t;
  auto once = [&] {
    const auto t0 = Steady::now();
    ApiResponse a = api.Handle(Get(path));
    const double ms = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
    if (a.status != 200) {
      std::fprintf(stderr, "metrics_bench: %s answered %d: %s\n", path.c_str(), a.status, a.body.c_str());
      std::exit(1);
    }
    t.body = std::move(a.body);
    return ms;
  };
  t.cold_ms = once();
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) ms.push_back(once());
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double m : ms) sum += m;
  t.mean_ms = sum / n;
  t.median_ms = ms[ms.size() / 2];
  t.min_ms = ms.front();
  return t;
}

nlohmann::json Json(const Timing& t) {
  return {{"cold_ms", t.cold_ms}, {"mean_ms", t.mean_ms}, {"median_ms", t.median_ms}, {"min_ms", t.min_ms}};
}

}  // namespace

int main(int argc, char** argv) {
  int jobs = 200, scrapes = 20, samples = 30;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (a == "--jobs") jobs = v;
    else if (a == "--scrapes") scrapes = v;
    else if (a == "--samples") samples = v;
    else {
      std::fprintf(stderr, "usage: metrics_bench [--jobs N] [--scrapes N] [--samples N]\n");
      return 2;
    }
  }
  if (jobs < 1 || scrapes < 1 || samples < 0) {
    std::fprintf(stderr, "metrics_bench: --jobs and --scrapes must be at least 1, --samples at least 0\n");
    return 2;
  }
  char tmpl[] = "/tmp/metrics_bench.XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::perror("metrics_bench: mkdtemp");
    return 1;
  }
  const std::string dir = tmpl;

  ManualClock clock(Must(ParseTime("2026-11-23T00:00:00Z"), "time"));
  Flags flags = Must(
      Flags::Parse({"--data-dir", SUNWIND_DATA_DIR, "--config", SUNWIND_SOURCE_DIR "/config/sunwind.yaml"},
                   CommonDataFlags()),
      "flags");
  auto app = Must(App::Open(flags, clock), "data");
  App* a = app.get();
  FetchIntensity fetch = [a](const Region* r, TimePoint from, TimePoint to, Duration step) {
    return a->Fetch(r, from, to, step);
  };
  auto db = Must(Database::Open(dir + "/sunwind.db"), "database");
  PosixProcessRunner runner(clock);
  ServiceOptions options;
  options.jobs_dir = dir + "/jobs";
  options.default_region = "local:host";
  auto service = Must(Service::Open(*db, clock, a->catalogue(), fetch, runner, options), "service");
  auto meter_db = Must(Database::Open(dir + "/sunwind.db"), "meter database");
  MeterStore meters(*meter_db);

  // --jobs jobs due now (deadline = duration: no room to wait), run 30 min.
  const TimePoint start = clock.Now();
  std::vector<std::string> ids;
  for (int i = 0; i < jobs; ++i) {
    JobSubmission s;
    s.name = "bench-" + std::to_string(i);
    s.project = i % 2 ? "nlp" : "vision";
    s.command = {"/bin/true"};
    s.duration = std::chrono::hours(1);
    s.power_w = 300;
    s.earliest_start = start;
    s.deadline = start + std::chrono::hours(1);
    ids.push_back(Must(service->Submit(s), "submit").id);
  }
  Must(service->Tick(), "tick");
  clock.Advance(std::chrono::minutes(30));
  const auto give_up = Steady::now() + std::chrono::seconds(60);
  for (;;) {
    Must(service->Tick(), "tick");
    auto running = Must(service->List(JobFilter{JobPhase::kRunning, std::nullopt}), "list");
    auto queued = Must(service->List(JobFilter{JobPhase::kQueued, std::nullopt}), "list");
    if (running.empty() && queued.empty()) break;
    if (Steady::now() > give_up) {
      std::fprintf(stderr, "metrics_bench: %zu jobs still running, %zu queued after 60 s\n", running.size(),
                   queued.size());
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  clock.Advance(std::chrono::hours(2));  // the scrapes come later
  std::vector<StoredMeterSample> rows;
  for (const auto& id : ids) {
    for (int k = 1; k <= samples; ++k) {
      StoredMeterSample s;
      s.job_id = id;
      s.at_unix_s = static_cast<double>(start.time_since_epoch().count()) + 60.0 * k;
      s.interval_s = 60;
      s.cpu_w = 250;
      s.ram_w = 10;
      s.cpu_uj = ToMicrojoules(250 * 60);
      s.ram_uj = ToMicrojoules(10 * 60);
      s.cpu_method = "tdp-model";
      s.gpu_method = "none";
      s.ram_method = "ram-model";
      rows.push_back(s);
    }
  }
  if (!rows.empty()) Must(meters.Append(rows), "meter samples");

  ApiOptions base;
  base.meter_store = &meters;
  ApiOptions off = base;
  off.audit_cache_entries = 0;
  Api uncached(*service, a->catalogue(), fetch, clock, off);
  Api cached(*service, a->catalogue(), fetch, clock, base);
  const Timing metrics_off = Time(uncached, "/metrics", scrapes);
  const Timing metrics_on = Time(cached, "/metrics", scrapes);
  const Timing report_off = Time(uncached, "/v1/report", scrapes);
  const Timing report_on = Time(cached, "/v1/report", scrapes);

  nlohmann::json out = {
      {"jobs", jobs},
      {"samples_per_job", samples},
      {"scrapes", scrapes},
      {"hardware_threads", std::thread::hardware_concurrency()},
      {"metrics", {{"uncached", Json(metrics_off)}, {"cached", Json(metrics_on)},
                   {"same_body", metrics_off.body == metrics_on.body},
                   {"speedup_median", metrics_off.median_ms / metrics_on.median_ms}}},
      {"report", {{"uncached", Json(report_off)}, {"cached", Json(report_on)},
                  {"same_body", report_off.body == report_on.body},
                  {"speedup_median", report_off.median_ms / report_on.median_ms}}},
      {"source", "steady clock around Api::Handle, in process; see benchmarks/metrics_bench.cc"}};
  std::printf("%s\n", out.dump(2).c_str());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
