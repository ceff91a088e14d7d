// Meter overhead: CPU time the JobMeter itself uses per second of metering, at
// 1 s and 0.1 s sampling, metering a real child process tree (a shell with
// `sleep` children) through /proc the way `sunwind measure` does: listing the
// tree, reading each process's stat and statm, RAPL when readable, and NVML
// when the driver (or --nvml LIB) is there. Prints JSON; the results and the
// command are in benchmarks/results/metering.md.
//
//   meter_bench [--seconds 10] [--nvml /path/libnvidia-ml.so.1]
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/time.h"
#include "metering/meter.h"

namespace {

double SelfCpuS() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec * 1e-6;
}

// Processes on the machine: the tree listing scans every one of them.
int ProcessCount() {
  int n = 0;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] >= '1' && e->d_name[0] <= '9';
    closedir(d);
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 10;
  std::string nvml_path = sunwind::kNvmlLibrary;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--nvml") == 0) nvml_path = argv[i + 1];
  }
  sunwind::SystemClock clock;
  auto rapl = sunwind::RaplReader::Open();
  auto nvml = sunwind::Nvml::Load(nvml_path);
  std::vector<sunwind::GpuInfo> gpus;
  if (nvml.ok()) {
    auto d = (*nvml)->Devices();
    if (d.ok()) gpus = *d;
  }
  std::printf("{\n  \"seconds_per_run\": %.1f,\n  \"processes_on_machine\": %d,\n  \"rapl\": \"%s\",\n  \"gpus\": %zu,\n  \"runs\": [\n",
              seconds, ProcessCount(), rapl.ok() ? rapl->Describe().c_str() : "unavailable", gpus.size());
  bool first = true;
  for (double interval : {1.0, 0.1}) {
    // A job: a shell with three sleeping children, alive for the whole run.
    pid_t child = fork();
    if (child == 0) {
      setpgid(0, 0);  // its own group, so the benchmark can end the whole tree
      execl("/bin/sh", "sh", "-c", "sleep 3600 & sleep 3600 & sleep 3600 & wait", static_cast<char*>(nullptr));
      _exit(127);
    }
    usleep(200000);
    sunwind::MeterSources sources;
    if (rapl.ok()) sources.rapl = &*rapl;
    if (nvml.ok()) {
      sources.nvml = nvml->get();
      sources.gpus = gpus;
    }
    sunwind::MeterOptions options;
    options.interval_s = interval;
    options.logical_cores = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
    sunwind::SteadyPacer pacer;
    sunwind::JobMeter meter(clock, pacer, sources,
                            [&] { return sunwind::ListDescendants("/proc", child); }, options);
    double cpu0 = SelfCpuS();
    double t0 = pacer.ElapsedS();
    meter.Start();
    meter.Run([&] { return pacer.ElapsedS() - t0 < seconds; });
    meter.Finish(std::nullopt);
    double wall = pacer.ElapsedS() - t0;
    double cpu = SelfCpuS() - cpu0;
    size_t tree_size = sunwind::ListDescendants("/proc", child).size();
    kill(-child, SIGKILL);
    kill(child, SIGKILL);
    int st;
    waitpid(child, &st, 0);
    std::printf("%s    {\"interval_s\": %.1f, \"samples\": %zu, \"tree_size\": %zu, \"wall_s\": %.3f, "
                "\"meter_cpu_s\": %.4f, \"meter_cpu_ms_per_s\": %.3f, \"meter_cpu_percent_of_one_core\": %.4f}",
                first ? "" : ",\n", interval, meter.samples().size(),
                tree_size, wall, cpu, 1000 * cpu / wall, 100 * cpu / wall);
    first = false;
  }
  std::printf("\n  ]\n}\n");
  return 0;
}
