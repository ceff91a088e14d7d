#include "metering/codecarbon_csv.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

namespace sunwind {
namespace {

std::string Num(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? FormatCsvNumber(*v) : std::string();
}
std::string Int(const std::optional<int>& v) { return v ? std::to_string(*v) : std::string(); }

std::string Quote(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

const std::vector<std::string>& CodeCarbonColumns() {
  static const std::vector<std::string> columns = {
      "timestamp",       "project_name",     "run_id",         "experiment_id",
      "duration",        "emissions",        "emissions_rate", "cpu_power",
      "gpu_power",       "ram_power",        "cpu_energy",     "gpu_energy",
      "ram_energy",      "energy_consumed",  "water_consumed", "country_name",
      "country_iso_code", "region",          "cloud_provider", "cloud_region",
      "os",              "python_version",   "codecarbon_version", "cpu_count",
      "cpu_model",       "gpu_count",        "gpu_model",      "longitude",
      "latitude",        "ram_total_size",   "tracking_mode",  "cpu_utilization_percent",
      "gpu_utilization_percent", "ram_utilization_percent", "ram_used_gb", "on_cloud",
      "pue",             "wue"};
  return columns;
}

std::string CodeCarbonHeader() {
  std::string out;
  for (const auto& c : CodeCarbonColumns()) out += (out.empty() ? "" : ",") + c;
  return out + "\n";
}

std::string FormatCsvNumber(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::vector<std::string> CodeCarbonFields(const CodeCarbonRow& r) {
  std::string ts = FormatTime(r.timestamp);
  if (!ts.empty() && ts.back() == 'Z') ts.pop_back();
  return {ts,
          r.project_name,
          r.run_id,
          r.experiment_id,
          Num(r.duration_s),
          Num(r.emissions_kg),
          Num(r.emissions_rate_kg_per_s),
          Num(r.cpu_power_w),
          Num(r.gpu_power_w),
          Num(r.ram_power_w),
          Num(r.cpu_energy_kwh),
          Num(r.gpu_energy_kwh),
          Num(r.ram_energy_kwh),
          Num(r.energy_consumed_kwh),
          Num(r.water_consumed_l),
          r.country_name,
          r.country_iso_code,
          r.region,
          r.cloud_provider,
          r.cloud_region,
          r.os,
          r.python_version,
          r.codecarbon_version,
          Int(r.cpu_count),
          r.cpu_model,
          Int(r.gpu_count),
          r.gpu_model,
          Num(r.longitude),
          Num(r.latitude),
          Num(r.ram_total_size_gb),
          r.tracking_mode,
          Num(r.cpu_utilization_percent),
          Num(r.gpu_utilization_percent),
          Num(r.ram_utilization_percent),
          Num(r.ram_used_gb),
          r.on_cloud,
          Num(r.pue),
          Num(r.wue)};
}

std::string FormatCodeCarbonRow(const CodeCarbonRow& row) {
  std::string out;
  bool first = true;
  for (const auto& f : CodeCarbonFields(row)) {
    if (!first) out += ',';
    first = false;
    out += Quote(f);
  }
  return out + "\n";
}

Status AppendCodeCarbonRow(const std::string& path, const CodeCarbonRow& row) {
  std::error_code ec;
  bool fresh = !std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0;
  if (!fresh) {
    std::ifstream in(path, std::ios::binary);
    std::string first;
    std::getline(in, first);
    if (!first.empty() && first.back() == '\r') first.pop_back();
    if (first + "\n" != CodeCarbonHeader()) {
      return Status(StatusCode::kFailedPrecondition,
                    path + ": its header is not CodeCarbon's 38-column header; refusing to append a row of another layout");
    }
  }
  std::ofstream out(path, std::ios::binary | std::ios::app);
  if (!out) return Status::Unavailable("cannot open " + path + " for appending");
  if (fresh) out << CodeCarbonHeader();
  out << FormatCodeCarbonRow(row);
  out.flush();
  if (!out) return Status::Unavailable("cannot write " + path);
  return Status::Ok();
}

std::string RandomUuid() {
  unsigned char b[16];
  bool ok = false;
  if (FILE* f = std::fopen("/dev/urandom", "rb")) {
    ok = std::fread(b, 1, sizeof b, f) == sizeof b;
    std::fclose(f);
  }
  if (!ok) {
    std::random_device rd;
    for (auto& x : b) x = static_cast<unsigned char>(rd());
  }
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
                b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

}  // namespace sunwind
