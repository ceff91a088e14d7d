#include "metering/nvml.h"

#include <dlfcn.h>

#include <sstream>
#include <type_traits>

namespace sunwind {
namespace {

// NVML's ABI, as nvml.h declares it (we do not include nvml.h: no build-time
// dependency). nvmlReturn_t is an int-sized enum; nvmlDevice_t an opaque pointer.
using NvmlReturn = int;
using NvmlDevice = void*;
constexpr NvmlReturn kNvmlSuccess = 0;
constexpr NvmlReturn kNvmlErrorNotSupported = 3;
constexpr NvmlReturn kNvmlErrorNotFound = 6;
constexpr NvmlReturn kNvmlErrorInsufficientSize = 7;

// nvmlProcessUtilizationSample_t.
struct NvmlProcessSample {
  unsigned pid;
  unsigned long long time_stamp;
  unsigned sm_util, mem_util, enc_util, dec_util;
};

std::string NvmlError(NvmlReturn code) {
  switch (code) {
    case 1: return "NVML_ERROR_UNINITIALIZED";
    case 2: return "NVML_ERROR_INVALID_ARGUMENT";
    case 3: return "NVML_ERROR_NOT_SUPPORTED";
    case 4: return "NVML_ERROR_NO_PERMISSION";
    case 6: return "NVML_ERROR_NOT_FOUND";
    case 7: return "NVML_ERROR_INSUFFICIENT_SIZE";
    case 9: return "NVML_ERROR_DRIVER_NOT_LOADED";
    case 12: return "NVML_ERROR_LIBRARY_NOT_FOUND";
    case 15: return "NVML_ERROR_GPU_IS_LOST";
    default: return "NVML error " + std::to_string(code);
  }
}

}  // namespace

struct Nvml::Api {
  NvmlReturn (*init)();
  NvmlReturn (*shutdown)();
  NvmlReturn (*get_count)(unsigned*);
  NvmlReturn (*get_handle)(unsigned, NvmlDevice*);
  NvmlReturn (*get_total_energy)(NvmlDevice, unsigned long long*);
  NvmlReturn (*get_power)(NvmlDevice, unsigned*);
  NvmlReturn (*get_name)(NvmlDevice, char*, unsigned);
  NvmlReturn (*get_uuid)(NvmlDevice, char*, unsigned);
  // Optional: null where the library lacks it.
  NvmlReturn (*get_process_utilization)(NvmlDevice, NvmlProcessSample*, unsigned*, unsigned long long);
};

Nvml::Nvml(void* handle, std::unique_ptr<Api> api) : dl_(handle), api_(std::move(api)) {}

Nvml::~Nvml() {
  if (api_) api_->shutdown();
  if (dl_) dlclose(dl_);
}

Result<std::unique_ptr<Nvml>> Nvml::Load(const std::string& library) {
  void* dl = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (dl == nullptr) {
    const char* why = dlerror();
    return Status::NotFound(std::string("NVML not available: ") + (why ? why : library));
  }
  auto api = std::make_unique<Api>();
  bool missing = false;
  std::string missing_name;
  auto bind = [&](auto& fn, const char* name) {
    void* sym = dlsym(dl, name);
    if (sym == nullptr && !missing) {
      missing = true;
      missing_name = name;
    }
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(sym);
  };
  bind(api->init, "nvmlInit_v2");
  bind(api->shutdown, "nvmlShutdown");
  bind(api->get_count, "nvmlDeviceGetCount_v2");
  bind(api->get_handle, "nvmlDeviceGetHandleByIndex_v2");
  bind(api->get_total_energy, "nvmlDeviceGetTotalEnergyConsumption");
  bind(api->get_power, "nvmlDeviceGetPowerUsage");
  bind(api->get_name, "nvmlDeviceGetName");
  bind(api->get_uuid, "nvmlDeviceGetUUID");
  // Per-process utilisation only refines how a shared GPU is split: its
  // absence is not a reason to meter no GPU at all.
  api->get_process_utilization = reinterpret_cast<decltype(api->get_process_utilization)>(
      dlsym(dl, "nvmlDeviceGetProcessUtilization"));
  if (missing) {
    dlclose(dl);
    return Status::NotFound("NVML not available: " + library + " lacks " + missing_name);
  }
  NvmlReturn rc = api->init();
  if (rc != kNvmlSuccess) {
    dlclose(dl);
    return Status::Unavailable("NVML not available: nvmlInit_v2 failed: " + NvmlError(rc));
  }
  return std::unique_ptr<Nvml>(new Nvml(dl, std::move(api)));
}

Result<void*> Nvml::Handle(unsigned index) {
  NvmlDevice device = nullptr;
  NvmlReturn rc = api_->get_handle(index, &device);
  if (rc != kNvmlSuccess) {
    return Status::Unavailable("nvmlDeviceGetHandleByIndex_v2(" + std::to_string(index) + "): " + NvmlError(rc));
  }
  return device;
}

Result<std::vector<GpuInfo>> Nvml::Devices() {
  unsigned count = 0;
  NvmlReturn rc = api_->get_count(&count);
  if (rc != kNvmlSuccess) return Status::Unavailable("nvmlDeviceGetCount_v2: " + NvmlError(rc));
  std::vector<GpuInfo> out;
  for (unsigned i = 0; i < count; ++i) {
    SUNWIND_ASSIGN_OR_RETURN(void* device, Handle(i));
    GpuInfo info;
    info.index = i;
    char buf[128] = {0};
    if (api_->get_name(device, buf, sizeof buf) == kNvmlSuccess) info.name = buf;
    char uuid[96] = {0};
    if (api_->get_uuid(device, uuid, sizeof uuid) == kNvmlSuccess) info.uuid = uuid;
    unsigned long long energy = 0;
    info.has_energy_counter = api_->get_total_energy(device, &energy) == kNvmlSuccess;
    out.push_back(info);
  }
  return out;
}

Result<uint64_t> Nvml::TotalEnergyMj(unsigned index) {
  SUNWIND_ASSIGN_OR_RETURN(void* device, Handle(index));
  unsigned long long energy = 0;
  NvmlReturn rc = api_->get_total_energy(device, &energy);
  if (rc == kNvmlErrorNotSupported) {
    return Status(StatusCode::kFailedPrecondition, "GPU " + std::to_string(index) + " has no energy counter (pre-Volta)");
  }
  if (rc != kNvmlSuccess) return Status::Unavailable("nvmlDeviceGetTotalEnergyConsumption: " + NvmlError(rc));
  return static_cast<uint64_t>(energy);
}

Result<double> Nvml::PowerW(unsigned index) {
  SUNWIND_ASSIGN_OR_RETURN(void* device, Handle(index));
  unsigned milliwatts = 0;
  NvmlReturn rc = api_->get_power(device, &milliwatts);
  if (rc != kNvmlSuccess) return Status::Unavailable("nvmlDeviceGetPowerUsage: " + NvmlError(rc));
  return milliwatts * 1e-3;
}

Result<std::vector<ProcessUtilization>> Nvml::ProcessUtilizations(unsigned index, uint64_t since_us) {
  if (api_->get_process_utilization == nullptr) {
    return Status(StatusCode::kFailedPrecondition, "NVML lacks nvmlDeviceGetProcessUtilization");
  }
  SUNWIND_ASSIGN_OR_RETURN(void* device, Handle(index));
  std::vector<NvmlProcessSample> samples;
  unsigned count = 0;
  NvmlReturn rc = api_->get_process_utilization(device, nullptr, &count, since_us);
  // The first call asks for the size; processes may come between the two
  // calls, so ask again while the buffer is short.
  for (int attempt = 0; attempt < 3 && rc == kNvmlErrorInsufficientSize; ++attempt) {
    samples.resize(count + 8);
    count = static_cast<unsigned>(samples.size());
    rc = api_->get_process_utilization(device, samples.data(), &count, since_us);
  }
  if (rc == kNvmlErrorNotFound || (rc == kNvmlSuccess && samples.empty())) return std::vector<ProcessUtilization>{};
  if (rc == kNvmlErrorNotSupported) {
    return Status(StatusCode::kFailedPrecondition, "GPU " + std::to_string(index) + " reports no per-process utilisation");
  }
  if (rc != kNvmlSuccess) return Status::Unavailable("nvmlDeviceGetProcessUtilization: " + NvmlError(rc));
  std::vector<ProcessUtilization> out;
  for (unsigned i = 0; i < count && i < samples.size(); ++i) {
    out.push_back({samples[i].pid, samples[i].time_stamp, samples[i].sm_util});
  }
  return out;
}

Result<std::vector<GpuInfo>> SelectGpus(const std::vector<GpuInfo>& all,
                                        const std::optional<std::string>& cuda_visible_devices) {
  if (!cuda_visible_devices) return all;
  const std::string& text = *cuda_visible_devices;
  if (text.empty() || text == "NoDevFiles") return std::vector<GpuInfo>{};
  std::vector<GpuInfo> out;
  std::stringstream ss(text);
  std::string entry;
  while (std::getline(ss, entry, ',')) {
    while (!entry.empty() && entry.front() == ' ') entry.erase(entry.begin());
    while (!entry.empty() && entry.back() == ' ') entry.pop_back();
    if (entry.empty()) continue;
    // CUDA stops at the first invalid entry (e.g. -1): so do we.
    if (entry[0] == '-') break;
    const GpuInfo* match = nullptr;
    // At most 9 digits, so stoul cannot throw.
    bool numeric = entry.size() <= 9 && entry.find_first_not_of("0123456789") == std::string::npos;
    for (const auto& g : all) {
      if (numeric ? g.index == std::stoul(entry) : (g.uuid.rfind(entry, 0) == 0 || g.uuid.rfind("GPU-" + entry, 0) == 0)) {
        if (match != nullptr) return Status::InvalidArgument("CUDA_VISIBLE_DEVICES: '" + entry + "' matches more than one GPU");
        match = &g;
      }
    }
    if (match == nullptr) return Status::InvalidArgument("CUDA_VISIBLE_DEVICES: no GPU '" + entry + "'");
    out.push_back(*match);
  }
  return out;
}

}  // namespace sunwind
