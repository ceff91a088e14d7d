// `sunwind measure` end to end through the built binary: a real command that
// burns CPU, metered, with a CodeCarbon row written and checked.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cmath>
#include <map>

#include "core/csv.h"
#include "tests/support/cli_runner.h"
#include "tests/support/temp_dir.h"

namespace sunwind {
namespace {

using testing::Sunwind;
using testing::TempDir;

TEST(MeasureCliTest, MetersACommandAndWritesACodeCarbonRow) {
  // Given a shell loop burning about a second of CPU, measured in
  // aws:eu-central-1 (grid DE, the catalogue's PUE) into a new CSV, we should
  // forward its exit code (3), count its CPU time, charge
  // CPU by RAPL or the TDP model, and write a header plus one 38-field row
  // whose energies add up and whose emissions are energy × PUE × intensity.
  TempDir dir;
  std::string csv = dir.File("emissions.csv");
  auto r = Sunwind("measure --region aws:eu-central-1 --output " + csv +
                   " --interval 0.2s --project itest --json -- /bin/sh -c "
                   "'i=0; while [ $i -lt 150000 ]; do i=$((i+1)); done; exit 3'");
  ASSERT_EQ(3, r.exit_code) << r.err << r.out;
  auto j = nlohmann::json::parse(r.out);
  double duration = j["duration_s"].get<double>();
  EXPECT_GT(duration, 0.1);
  // The loop is all CPU, but on a loaded machine it gets only part of a
  // core: its CPU time must be real and can never exceed wall time × cores.
  double cpu_s = j["job_cpu_s"].get<double>();
  EXPECT_GT(cpu_s, 0.05);
  EXPECT_LE(cpu_s, duration * sysconf(_SC_NPROCESSORS_ONLN) + 0.05);
  std::string method = j["cpu"]["method"];
  EXPECT_TRUE(method == "rapl" || method == "tdp-model") << method;
  EXPECT_EQ("ram-model", j["ram"]["method"]);
  ASSERT_FALSE(j["intervals"].empty());
  double expected_g = 0;
  for (const auto& iv : j["intervals"]) {
    expected_g += iv["it_energy_kwh"].get<double>() * j["pue"].get<double>() * iv["intensity_g_per_kwh"].get<double>();
  }
  EXPECT_NEAR(expected_g, j["emissions_g"].get<double>(), 1e-12);

  auto text = ReadFile(csv);
  ASSERT_TRUE(text.ok());
  auto rows = ParseCsv(*text);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(2u, rows->size());
  ASSERT_EQ(38u, (*rows)[1].fields.size());
  std::map<std::string, std::string> by;
  for (size_t i = 0; i < 38; ++i) by[(*rows)[0].fields[i]] = (*rows)[1].fields[i];
  EXPECT_EQ("itest", by["project_name"]);
  EXPECT_EQ("aws:eu-central-1", by["region"]);
  EXPECT_EQ("aws", by["cloud_provider"]);
  EXPECT_EQ("Y", by["on_cloud"]);
  EXPECT_EQ("process", by["tracking_mode"]);
  EXPECT_EQ("", by["gpu_energy"]) << "no GPU given to this job";
  double cpu = std::stod(by["cpu_energy"]), ram = std::stod(by["ram_energy"]);
  EXPECT_GT(cpu, 0);
  EXPECT_NEAR(cpu + ram, std::stod(by["energy_consumed"]), 1e-15);
  EXPECT_NEAR(j["emissions_g"].get<double>() / 1000, std::stod(by["emissions"]), 1e-15);
  EXPECT_NEAR(std::stod(by["emissions"]) / std::stod(by["duration"]), std::stod(by["emissions_rate"]), 1e-15);
  EXPECT_NEAR(j["pue"].get<double>(), std::stod(by["pue"]), 1e-12);
}

TEST(MeasureCliTest, NoCommandIsAUsageError) {
  // Given no command after --, we should exit 2 and say how to call it.
  auto r = Sunwind("measure --region aws:eu-central-1");
  EXPECT_EQ(2, r.exit_code);
  EXPECT_NE(std::string::npos, r.err.find("no command")) << r.err;
}

}  // namespace
}  // namespace sunwind
