#include "metering/embodied.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/csv.h"

namespace sunwind {
namespace {

Result<double> Number(const std::string& text, const std::string& where) {
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v)) {
    return Status::InvalidArgument(where + ": '" + text + "' is not a number");
  }
  return v;
}

Result<std::vector<CsvRow>> ReadTable(const std::string& path, size_t min_fields) {
  auto text = ReadFile(path);
  if (!text.ok()) return Status::NotFound(path + ": " + text.status().message());
  SUNWIND_ASSIGN_OR_RETURN(auto rows, ParseCsv(*text));
  if (rows.size() < 2) return Status::InvalidArgument(path + ": no data rows");
  for (const auto& r : rows) {
    if (r.fields.size() < min_fields) {
      return Status::InvalidArgument(path + ":" + std::to_string(r.line) + ": expected " +
                                     std::to_string(min_fields) + " fields");
    }
  }
  rows.erase(rows.begin());  // header
  return rows;
}

}  // namespace

Result<EmbodiedEstimate> EstimateEmbodied(const EmbodiedMachine& machine, const EmbodiedUse& use,
                                          double lifespan_h) {
  if (!(lifespan_h > 0)) return Status::InvalidArgument("lifespan_h: must be positive");
  if (!(machine.total_kg > 0)) return Status::InvalidArgument("total_kg: must be positive");
  if (machine.vcpus <= 0) return Status::InvalidArgument("vcpus: must be positive");
  if (!(use.hours >= 0) || !(use.vcpus_used >= 0) || use.gpus_used < 0) {
    return Status::InvalidArgument("use: hours, vCPUs and GPUs must not be negative");
  }
  double share = use.vcpus_used / machine.vcpus;
  if (machine.gpus > 0) share = std::max(share, static_cast<double>(use.gpus_used) / machine.gpus);
  share = std::min(share, 1.0);
  EmbodiedEstimate e;
  e.share = share;
  e.lifespan_h = lifespan_h;
  e.emissions_g = machine.total_kg * 1000.0 * (use.hours / lifespan_h) * share;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%.6g kg × (%.4g h / %.6g h) × share %.4g", machine.total_kg, use.hours, lifespan_h,
                share);
  e.note = std::string("embodied (CCF method, shown apart from operational emissions): ") + buf + " (" +
           machine.source + ")";
  return e;
}

Result<EmbodiedCoefficients> EmbodiedCoefficients::Load(const std::string& hardware_dir) {
  const std::string scalar_path = hardware_dir + "/ccf_scalar_coefficients.csv";
  SUNWIND_ASSIGN_OR_RETURN(auto scalars, ReadTable(scalar_path, 3));
  double lifespan_h = 0;
  for (const auto& r : scalars) {
    if (r.fields[1] != "SERVER_EXPECTED_LIFESPAN") continue;
    SUNWIND_ASSIGN_OR_RETURN(double v, Number(r.fields[2], scalar_path + ":" + std::to_string(r.line)));
    if (lifespan_h != 0 && v != lifespan_h) {
      return Status::InvalidArgument(scalar_path + ":" + std::to_string(r.line) +
                                     ": providers disagree on SERVER_EXPECTED_LIFESPAN");
    }
    lifespan_h = v;
  }
  if (!(lifespan_h > 0)) return Status::InvalidArgument(scalar_path + ": no SERVER_EXPECTED_LIFESPAN");

  // ",type,additional_memory,additional_storage,additional_cpus,additional_gpus,total"
  const std::string aws_path = hardware_dir + "/coefficients-aws-embodied.csv";
  SUNWIND_ASSIGN_OR_RETURN(auto rows, ReadTable(aws_path, 7));
  double base_kg = 0;
  for (const auto& r : rows) {
    const std::string where = aws_path + ":" + std::to_string(r.line);
    double parts = 0;
    for (size_t i = 2; i <= 5; ++i) {
      SUNWIND_ASSIGN_OR_RETURN(double v, Number(r.fields[i], where));
      parts += v;
    }
    SUNWIND_ASSIGN_OR_RETURN(double total, Number(r.fields[6], where));
    const double base = total - parts;
    if (base_kg != 0 && std::fabs(base - base_kg) > 0.01) {
      return Status::InvalidArgument(where + ": base server " + std::to_string(base) + " kg differs from " +
                                     std::to_string(base_kg) + " kg on earlier rows");
    }
    base_kg = base;
  }
  return EmbodiedCoefficients(lifespan_h, std::round(base_kg * 100) / 100);
}

EmbodiedMachine EmbodiedCoefficients::BaseServer(int logical_cpus, int gpus) const {
  EmbodiedMachine m;
  m.total_kg = base_server_kg_;
  m.vcpus = std::max(1, logical_cpus);
  m.gpus = std::max(0, gpus);
  m.source = "CCF's base server, without extra memory, storage, CPUs or GPUs: a lower bound";
  return m;
}

}  // namespace sunwind
