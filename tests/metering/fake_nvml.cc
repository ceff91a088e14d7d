// Compiled as C++ with C linkage (the project enables only CXX).
/* A stand-in for libnvidia-ml.so.1, built by the tests and loaded through the
 * real dlopen path. It exports the NVML functions sunwind uses with NVML's C
 * signatures and scripted answers, set through the environment before
 * nvmlInit_v2:
 *   FAKE_NVML_COUNT            number of GPUs (default 1)
 *   FAKE_NVML_ENERGY_STEP_MJ   the energy counter advances by this much at
 *                              every read (default 1000 mJ); -1: the counter is
 *                              not supported (NVML_ERROR_NOT_SUPPORTED)
 *   FAKE_NVML_POWER_MW         constant power reading (default 250000 mW)
 *   FAKE_NVML_INIT_FAILS       if set, nvmlInit_v2 returns NVML_ERROR_DRIVER_NOT_LOADED
 *   FAKE_NVML_PROCESS_UTIL_FILE  a file read at every
 *                              nvmlDeviceGetProcessUtilization call, one
 *                              "<gpu> <pid> <sm%>" per line: each call answers
 *                              one new sample per line for that GPU (tests
 *                              write real pids into it while they run)
 *   FAKE_NVML_NO_PROCESS_UTIL  if set, per-process utilisation is
 *                              NVML_ERROR_NOT_SUPPORTED
 * Devices are named "Fake GPU <i>" with UUIDs "GPU-fake-<i>". */
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" {

typedef int nvmlReturn_t;
typedef struct fake_device* nvmlDevice_t;
struct fake_device {
  unsigned index;
  unsigned long long energy_mj;
};

#define NVML_SUCCESS 0
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_NOT_FOUND 6
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_DRIVER_NOT_LOADED 9
#define MAX_DEVICES 8

static struct fake_device devices[MAX_DEVICES];
static unsigned count = 1;
static long long step_mj = 1000;
static unsigned power_mw = 250000;

static long long env_or(const char* name, long long fallback) {
  const char* v = getenv(name);
  return v && *v ? atoll(v) : fallback;
}

nvmlReturn_t nvmlInit_v2(void) {
  if (getenv("FAKE_NVML_INIT_FAILS")) return NVML_ERROR_DRIVER_NOT_LOADED;
  count = (unsigned)env_or("FAKE_NVML_COUNT", 1);
  if (count > MAX_DEVICES) count = MAX_DEVICES;
  step_mj = env_or("FAKE_NVML_ENERGY_STEP_MJ", 1000);
  power_mw = (unsigned)env_or("FAKE_NVML_POWER_MW", 250000);
  for (unsigned i = 0; i < MAX_DEVICES; ++i) {
    devices[i].index = i;
    devices[i].energy_mj = 5000000ULL * (i + 1); /* since "driver load" */
  }
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlShutdown(void) { return NVML_SUCCESS; }

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* n) {
  *n = count;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* device) {
  if (index >= count) return NVML_ERROR_INVALID_ARGUMENT;
  *device = &devices[index];
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long* energy) {
  if (step_mj < 0) return NVML_ERROR_NOT_SUPPORTED;
  device->energy_mj += (unsigned long long)step_mj;
  *energy = device->energy_mj;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int* power) {
  (void)device;
  *power = power_mw;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char* name, unsigned int length) {
  snprintf(name, length, "Fake GPU %u", device->index);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid, unsigned int length) {
  snprintf(uuid, length, "GPU-fake-%u", device->index);
  return NVML_SUCCESS;
}

typedef struct {
  unsigned int pid;
  unsigned long long timeStamp;
  unsigned int smUtil, memUtil, encUtil, decUtil;
} nvmlProcessUtilizationSample_t;

static unsigned long long utilization_clock_us = 1000000;

nvmlReturn_t nvmlDeviceGetProcessUtilization(nvmlDevice_t device, nvmlProcessUtilizationSample_t* utilization,
                                             unsigned int* count, unsigned long long last_seen) {
  if (getenv("FAKE_NVML_NO_PROCESS_UTIL")) return NVML_ERROR_NOT_SUPPORTED;
  nvmlProcessUtilizationSample_t found[64];
  unsigned n = 0;
  const char* path = getenv("FAKE_NVML_PROCESS_UTIL_FILE");
  FILE* f = path ? fopen(path, "r") : NULL;
  if (f != NULL) {
    unsigned gpu, pid, sm;
    while (n < 64 && fscanf(f, "%u %u %u", &gpu, &pid, &sm) == 3) {
      if (gpu != device->index) continue;
      memset(&found[n], 0, sizeof found[n]);
      found[n].pid = pid;
      found[n].smUtil = sm;
      found[n].timeStamp = utilization_clock_us + 1;
      ++n;
    }
    fclose(f);
  }
  if (utilization == NULL) {  /* a size query, as NVML answers it */
    *count = n;
    return n == 0 ? NVML_ERROR_NOT_FOUND : NVML_ERROR_INSUFFICIENT_SIZE;
  }
  if (n == 0 || found[0].timeStamp <= last_seen) return NVML_ERROR_NOT_FOUND;
  if (*count < n) {
    *count = n;
    return NVML_ERROR_INSUFFICIENT_SIZE;
  }
  memcpy(utilization, found, n * sizeof found[0]);
  *count = n;
  utilization_clock_us += 100000; /* the next call's samples are newer */
  return NVML_SUCCESS;
}

}  // extern "C"
