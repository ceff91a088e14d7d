// The daemon's meter overhead (issue 8): CPU time JobMetering itself uses per
// second of metering while it meters N real jobs at once, each a process tree
// (`sh` with two `sleep` children, in a process group of its own), one sample
// per job per interval stored in batches in MeterStore on a real SQLite file.
//
// What runs per round is what `sunwind serve` runs: the RunningFn lists each
// job's tree the way the local executor's ProcessTree does (ListProcessTree by
// parentage and process group: one scan of every process on the machine per
// job), then JobMetering reads each member's stat and statm, applies the TDP
// model (DaemonMeterSources on the bundled CodeCarbon table) and the RAM
// model, and flushes a batch when 64 samples wait (the daemon's defaults).
// Not included: Service::Running's own job-store queries (the real daemon
// reads its running jobs from SQLite each round before listing the trees).
//
// CPU time is getrusage(RUSAGE_SELF) of this process from Start to Stop (the
// final flush included) while the main thread sleeps, minus a baseline: the
// same sleep without metering. With --tree-once the trees are listed once
// before the run and RunningFn returns that list, which isolates the cost of
// the per-job /proc scans (the difference between the two).
//
// Prints one JSON object per line and per (jobs, interval); results and the
// command in benchmarks/results/metering.md. With --append ROWS it measures
// MeterStore::Append alone instead: ROWS samples of 50 jobs in batches of 64
// (the daemon's batch) into a fresh file, CPU and wall time per row.
//
//   daemon_meter_bench [--seconds 10] [--jobs 1,10,50] [--intervals 1,0.1]
//                      [--tree-once] [--scan-per-job] [--data-dir DIR]
//   daemon_meter_bench --append 100000
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/proc_stat.h"
#include "core/time.h"
#include "executors/posix_process_runner.h"
#include "service/job_metering.h"
#include "storage/database.h"
#include "storage/meter_store.h"

namespace {

using namespace sunwind;

// User + system CPU seconds of this whole process (every thread).
double ProcessCpuS() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec * 1e-6;
}

double SteadyS() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Comma-separated numbers ("1,10,50").
std::vector<double> ParseList(const std::string& text) {
  std::vector<double> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::atof(item.c_str()));
  return out;
}

// Numeric entries of /proc: what every per-job tree listing scans.
size_t ProcessesOnMachine() {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    n += !name.empty() && name[0] >= '1' && name[0] <= '9';
  }
  return n;
}

// A job as the local executor starts it: a process group of its own (its
// leader's pid names the group), here a shell waiting on two sleepers.
pid_t StartJob() {
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", "sleep 600 & sleep 600 & wait", static_cast<char*>(nullptr));
    _exit(127);
  }
  if (pid > 0) setpgid(pid, pid);  // also from here, so the group exists before we list it
  return pid;
}

// The job's tree, as the daemon asks for it: PosixProcessRunner::ProcessTree
// (LocalJobExecutor's), which answers every job of a round from one /proc
// scan (a snapshot at most 50 ms old). With --scan-per-job, a scan per job
// (ListProcessTree, what it did before).
bool scan_per_job = false;
std::vector<pid_t> JobTree(pid_t leader) {
  static SystemClock clock;
  static PosixProcessRunner runner(clock);
  if (scan_per_job) {
    auto tree = ListProcessTree("/proc", leader, leader);
    return tree.ok() ? std::move(tree).value() : std::vector<pid_t>{};
  }
  ProcessHandle handle;  // no supervisor: the leader is the tree's root
  handle.job_pid = leader;
  ProcStat stat;
  if (ReadProcStat("/proc", leader, &stat)) handle.job_start_ticks = stat.start_ticks;
  auto tree = runner.ProcessTree(handle);
  return tree.ok() ? std::move(tree).value() : std::vector<pid_t>{};
}

void EndJobs(const std::vector<pid_t>& leaders) {
  for (pid_t p : leaders) kill(-p, SIGKILL);
  for (pid_t p : leaders) {
    int status = 0;
    waitpid(p, &status, 0);
  }
}

struct Run {
  size_t jobs = 0;
  double interval_s = 0;
  size_t tree_size = 0;  // processes in all the jobs' trees
  size_t processes_on_machine = 0;
  int64_t samples_stored = 0;
  double wall_s = 0;
  double cpu_s = 0;  // this process over the run, baseline subtracted
  uint64_t db_bytes = 0;
};

Result<Run> MeasureOne(size_t jobs, double interval_s, double seconds, bool tree_once, double baseline_cpu_per_s,
                       const DaemonMeterSetup& setup, const std::filesystem::path& dir) {
  Run run;
  run.jobs = jobs;
  run.interval_s = interval_s;
  std::vector<pid_t> leaders;
  for (size_t i = 0; i < jobs; ++i) leaders.push_back(StartJob());
  // Wait until every tree holds its shell and both sleepers.
  for (int tries = 0; tries < 100; ++tries) {
    size_t ready = 0;
    for (pid_t p : leaders) ready += JobTree(p).size() >= 3;
    if (ready == leaders.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::vector<RunningJob> listed;
  for (size_t i = 0; i < jobs; ++i) {
    listed.push_back({"j-" + std::to_string(i + 1), "local:host", "local", JobTree(leaders[i])});
    run.tree_size += listed.back().pids.size();
  }
  run.processes_on_machine = ProcessesOnMachine();

  const std::string db_path = (dir / ("meter-" + std::to_string(jobs) + "-" + std::to_string(interval_s) + ".db")).string();
  auto db = Database::Open(db_path);
  if (!db.ok()) {
    EndJobs(leaders);
    return db.status();
  }
  MeterStore store(**db);
  JobMeteringOptions options;  // the daemon's batch and flush defaults
  options.interval = std::chrono::milliseconds(static_cast<int64_t>(interval_s * 1000 + 0.5));
  options.logical_cores = setup.logical_cores;
  JobMetering::RunningFn running = [&]() -> Result<std::vector<RunningJob>> {
    if (tree_once) return listed;
    std::vector<RunningJob> out = listed;
    for (size_t i = 0; i < out.size(); ++i) out[i].pids = JobTree(leaders[i]);
    return out;
  };
  SystemClock clock;
  SteadyPacer pacer;
  std::string errors;
  {
    JobMetering metering(clock, pacer, store, running, [&](const RunningJob&) { return setup.sources; }, options,
                         [&](const std::string& m) { errors += m + "; "; });
    const double cpu0 = ProcessCpuS();
    const double t0 = SteadyS();
    metering.Start();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    metering.Stop();
    run.wall_s = SteadyS() - t0;
    run.cpu_s = ProcessCpuS() - cpu0 - baseline_cpu_per_s * run.wall_s;
  }
  EndJobs(leaders);
  if (!errors.empty()) return Status::Internal("metering logged: " + errors);
  auto count = (*db)->Query("SELECT COUNT(*) FROM meter_samples");
  if (!count.ok()) return count.status();
  run.samples_stored = std::get<int64_t>(count->at(0).at(0));
  db->reset();  // closes it: SQLite checkpoints the WAL into the file
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const auto size = std::filesystem::file_size(db_path + suffix, ec);
    if (!ec) run.db_bytes += size;
  }
  return run;
}

// MeterStore::Append on its own: rows shaped as the daemon stores them.
int MeasureAppend(int64_t rows, const std::filesystem::path& dir) {
  const std::string db_path = (dir / "append.db").string();
  auto db = Database::Open(db_path);
  if (!db.ok()) {
    std::fprintf(stderr, "daemon_meter_bench: %s\n", db.status().message().c_str());
    return 1;
  }
  MeterStore store(**db);
  constexpr size_t kBatch = 64;  // JobMeteringOptions' default
  constexpr int kJobs = 50;
  std::vector<StoredMeterSample> batch;
  const double cpu0 = ProcessCpuS(), t0 = SteadyS();
  for (int64_t i = 0; i < rows; ++i) {
    StoredMeterSample s;
    s.job_id = "j-" + std::to_string(i % kJobs + 1);
    s.at_unix_s = 1.8e9 + static_cast<double>(i / kJobs);
    s.interval_s = 1;
    s.cpu_w = 2.5 + static_cast<double>(i % 7);
    s.ram_w = 0.4;
    s.cpu_uj = ToMicrojoules(s.cpu_w);
    s.ram_uj = ToMicrojoules(s.ram_w);
    s.cpu_method = "tdp-model";
    s.gpu_method = "none";
    s.ram_method = "ram-model";
    batch.push_back(std::move(s));
    if (batch.size() == kBatch || i + 1 == rows) {
      if (Status st = store.Append(batch); !st.ok()) {
        std::fprintf(stderr, "daemon_meter_bench: append: %s\n", st.message().c_str());
        return 1;
      }
      batch.clear();
    }
  }
  const double cpu_s = ProcessCpuS() - cpu0, wall_s = SteadyS() - t0;
  db->reset();
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(db_path, ec);
  std::printf("{\"append_rows\": %lld, \"batch_rows\": %zu, \"cpu_s\": %.3f, \"wall_s\": %.3f, "
              "\"cpu_us_per_row\": %.2f, \"wall_us_per_row\": %.2f, \"db_bytes\": %llu}\n",
              static_cast<long long>(rows), kBatch, cpu_s, wall_s, 1e6 * cpu_s / static_cast<double>(rows),
              1e6 * wall_s / static_cast<double>(rows), static_cast<unsigned long long>(ec ? 0 : bytes));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 10;
  std::vector<double> job_counts = {1, 10, 50};
  std::vector<double> intervals = {1, 0.1};
  bool tree_once = false;
  int64_t append_rows = 0;
  std::string data_dir = SUNWIND_DATA_DIR;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : "";
    if (flag == "--scan-per-job") {
      scan_per_job = true;
      continue;
    }
    if (flag == "--tree-once") {
      tree_once = true;
      continue;
    }
    if (flag == "--seconds") seconds = std::atof(value);
    else if (flag == "--jobs") job_counts = ParseList(value);
    else if (flag == "--intervals") intervals = ParseList(value);
    else if (flag == "--data-dir") data_dir = value;
    else if (flag == "--append") append_rows = std::atoll(value);
    else {
      std::fprintf(stderr, "daemon_meter_bench: unknown flag %s (expected --seconds, --jobs, --intervals, "
                   "--tree-once, --scan-per-job, --data-dir, --append)\n", flag.c_str());
      return 2;
    }
    ++i;
  }
  const DaemonMeterSetup setup = DaemonMeterSources(data_dir + "/hardware/cpu_power.csv");
  const auto dir = std::filesystem::temp_directory_path() / ("sunwind_daemon_meter_bench_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  if (append_rows > 0) {
    const int rc = MeasureAppend(append_rows, dir);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return rc;
  }

  // The baseline: this process's CPU time over the same sleep, no metering.
  const double base_cpu0 = ProcessCpuS(), base_t0 = SteadyS();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const double baseline_cpu_per_s = (ProcessCpuS() - base_cpu0) / (SteadyS() - base_t0);

  int rc = 0;
  for (double n : job_counts) {
    for (double interval : intervals) {
      auto run = MeasureOne(static_cast<size_t>(n), interval, seconds, tree_once, baseline_cpu_per_s, setup, dir);
      if (!run.ok()) {
        std::fprintf(stderr, "daemon_meter_bench: %zu jobs at %.3g s: %s\n", static_cast<size_t>(n), interval,
                     run.status().message().c_str());
        rc = 1;
        continue;
      }
      const double cpu_ms = 1000 * run->cpu_s;
      std::printf("{\"jobs\": %zu, \"interval_s\": %.3g, \"tree\": \"%s\", \"tree_size\": %zu, "
                  "\"processes_on_machine\": %zu, \"samples_stored\": %lld, \"wall_s\": %.3f, "
                  "\"meter_cpu_ms\": %.1f, \"meter_cpu_ms_per_s\": %.3f, \"meter_cpu_percent_of_one_core\": %.3f, "
                  "\"cpu_ms_per_job_sample\": %.4f, \"db_bytes\": %llu, \"baseline_cpu_ms_per_s\": %.4f, "
                  "\"cpu_model\": \"%s\", \"tdp_w\": %.0f}\n",
                  run->jobs, run->interval_s, tree_once ? "listed once" : scan_per_job ? "a /proc scan per job" : "one /proc scan per round (runner snapshot)", run->tree_size,
                  run->processes_on_machine, static_cast<long long>(run->samples_stored), run->wall_s, cpu_ms,
                  cpu_ms / run->wall_s, 100 * run->cpu_s / run->wall_s,
                  run->samples_stored > 0 ? cpu_ms / static_cast<double>(run->samples_stored) : 0.0,
                  static_cast<unsigned long long>(run->db_bytes), 1000 * baseline_cpu_per_s, setup.cpu_model.c_str(),
                  setup.sources.cpu_tdp_w);
      std::fflush(stdout);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return rc;
}
