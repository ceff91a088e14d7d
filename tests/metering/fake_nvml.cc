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

}  // extern "C"
