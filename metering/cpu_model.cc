#include "metering/cpu_model.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/csv.h"

namespace sunwind {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

bool HasDigit(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

Result<CpuInfo> ReadCpuInfo(const std::string& proc_root) {
  std::ifstream in(proc_root + "/cpuinfo");
  if (!in) return Status::NotFound("cannot read " + proc_root + "/cpuinfo");
  CpuInfo info;
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = Trim(line.substr(0, colon));
    if (key == "processor") ++info.logical_cores;
    if (key == "model name" && info.model_name.empty()) info.model_name = Trim(line.substr(colon + 1));
  }
  return info;
}

std::vector<std::string> CpuModelTokens(const std::string& model_name) {
  std::string s = model_name;
  for (const char* noise : {"(R)", "(r)", "(TM)", "(tm)"}) {
    for (size_t p; (p = s.find(noise)) != std::string::npos;) s.replace(p, std::string(noise).size(), " ");
  }
  static const std::regex kClock(R"(@\s*[0-9.]+\s*[GM]Hz)", std::regex::icase);
  static const std::regex kCores(R"(\b[0-9]+-Core\b)", std::regex::icase);
  s = std::regex_replace(s, kClock, " ");
  s = std::regex_replace(s, kCores, " ");
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  std::vector<std::string> tokens;
  std::istringstream ss(s);
  std::string t;
  while (ss >> t) {
    if (t == "cpu" || t == "processor") continue;
    tokens.push_back(t);
  }
  return tokens;
}

Result<TdpTable> TdpTable::LoadFromString(const std::string& csv, const std::string& origin) {
  SUNWIND_ASSIGN_OR_RETURN(auto rows, ParseCsv(csv));
  if (rows.empty() || rows[0].fields.size() < 2 || rows[0].fields[0] != "Name" || rows[0].fields[1] != "TDP") {
    return Status::InvalidArgument(origin + ": expected a 'Name,TDP' header");
  }
  TdpTable table;
  for (size_t i = 1; i < rows.size(); ++i) {
    const auto& f = rows[i].fields;
    if (f.size() < 2) return Status::InvalidArgument(origin + ":" + std::to_string(rows[i].line) + ": expected Name,TDP");
    char* end = nullptr;
    double tdp = std::strtod(f[1].c_str(), &end);
    if (end == f[1].c_str() || tdp < 0) {
      return Status::InvalidArgument(origin + ":" + std::to_string(rows[i].line) + ": field 'TDP': not a number >= 0");
    }
    // CodeCarbon lists a microcontroller at 0 W; charging a job nothing is
    // never the right answer, so such rows are not matched.
    if (tdp == 0) continue;
    table.entries_.push_back({f[0], tdp, CpuModelTokens(f[0])});
  }
  return table;
}

Result<TdpTable> TdpTable::LoadFromFile(const std::string& path) {
  SUNWIND_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return LoadFromString(text, path);
}

TdpTable::Match TdpTable::Lookup(const std::string& model_name) const {
  Match m;
  std::vector<std::string> tokens = CpuModelTokens(model_name);
  if (tokens.empty()) {
    m.note = "no CPU model name; default TDP " + std::to_string(static_cast<int>(kDefaultCpuTdpW)) + " W";
    return m;
  }
  for (const auto& e : entries_) {
    if (e.tokens == tokens) {
      m.found = true;
      m.entry = e.name;
      m.tdp_w = e.tdp_w;
      m.note = "exact match '" + e.name + "'";
      return m;
    }
  }
  size_t best_size = 0;
  std::vector<const TdpEntry*> best;
  for (const auto& e : entries_) {
    const auto& et = e.tokens;
    if (et.empty() || !std::any_of(et.begin(), et.end(), HasDigit)) continue;
    bool subset = std::all_of(et.begin(), et.end(), [&](const std::string& t) {
      return std::find(tokens.begin(), tokens.end(), t) != tokens.end();
    });
    if (!subset) continue;
    if (et.size() > best_size) {
      best_size = et.size();
      best.clear();
    }
    if (et.size() == best_size) best.push_back(&e);
  }
  bool ambiguous = false;
  for (const auto* e : best) ambiguous |= e->tdp_w != best.front()->tdp_w;
  std::string fallback = "default TDP " + std::to_string(static_cast<int>(kDefaultCpuTdpW)) + " W (CodeCarbon's default)";
  if (best.empty()) {
    m.note = "CPU '" + model_name + "' not in the TDP table; " + fallback;
  } else if (ambiguous) {
    m.note = "CPU '" + model_name + "' matches several TDP table rows with different TDPs ('" + best[0]->name + "', '" +
             best[1]->name + "'); " + fallback;
  } else {
    m.found = true;
    m.entry = best.front()->name;
    m.tdp_w = best.front()->tdp_w;
    m.note = "matched '" + m.entry + "' by model tokens";
  }
  return m;
}

double TdpModelPowerW(double tdp_w, double job_cpu_s, double wall_s, int logical_cores) {
  if (wall_s <= 0 || logical_cores <= 0 || job_cpu_s <= 0) return 0;
  return tdp_w * std::min(1.0, job_cpu_s / (wall_s * logical_cores));
}

}  // namespace sunwind
