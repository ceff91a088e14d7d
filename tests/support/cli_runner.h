// Shared by the integration tests that run the built `sunwind` as a user
// would, and check it against the bundled trace files read independently.
#ifndef SUNWIND_TESTS_SUPPORT_CLI_RUNNER_H_
#define SUNWIND_TESTS_SUPPORT_CLI_RUNNER_H_

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace sunwind::testing {

struct RunResult {
  int exit_code;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `sunwind <args>` through the shell; the caller quotes args. `env`
// prefixes the command, e.g. "env -u SUNWIND_CONFIG KEY=value".
inline RunResult Sunwind(const std::string& args, const std::string& env = "") {
  static int counter = 0;
  std::string err_path = (std::filesystem::temp_directory_path() /
                          ("sunwind_cli_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".err"))
                             .string();
  std::string cmd = env + (env.empty() ? "" : " ") + SUNWIND_BINARY + " " + args + " 2>" + err_path;
  RunResult r;
  FILE* pipe = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  std::stringstream ss;
  ss << err.rdbuf();
  r.err = ss.str();
  std::filesystem::remove(err_path);
  return r;
}

// The path of a bundled Electricity Maps file, e.g. "DE_2022".
inline std::string BundledCsv(const std::string& zone_year) {
  return std::string(SUNWIND_TEST_DATA_DIR) + "/traces/electricitymaps/" + zone_year + "_hourly.csv";
}

// Hourly lifecycle intensity of a bundled Electricity Maps file keyed by
// "YYYY-MM-DD HH:MM:SS", read by plain string splitting (the bundled files
// have no quoted fields) so the tests do not share the product's parser.
inline std::map<std::string, double> ReadLca(const std::string& zone_year) {
  std::ifstream in(BundledCsv(zone_year));
  std::map<std::string, double> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    out[f[0]] = std::stod(f[5]);
  }
  return out;
}

}  // namespace sunwind::testing

#endif  // SUNWIND_TESTS_SUPPORT_CLI_RUNNER_H_
