// Runs the built `sunwind simulate` as a user would, on the bundled 2020
// traces of Let's Wait Awhile and on a user's --trace file.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/cli_runner.h"

namespace {

using sunwind::testing::RunResult;
using sunwind::testing::Sunwind;

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("sunwind_simulate_test_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

std::string Example(const std::string& name) {
  return std::string(SUNWIND_SOURCE_DIR) + "/examples/workloads/" + name;
}

nlohmann::json ByPolicy(const nlohmann::json& j, const std::string& policy) {
  for (const auto& p : j["policies"]) {
    if (p["policy"] == policy) return p;
  }
  ADD_FAILURE() << "no policy " << policy;
  return {};
}

TEST(SimulateCliTest, JsonListsEveryPolicyWithTheDocumentedFields) {
  // Given the nightly workload over two weeks of 2020, we should get one
  // entry per policy with exactly the documented fields, no missed deadline,
  // run-now saving nothing, the oracle reaching its own optimum, and
  // oracle <= sunwind <= run-now.
  auto r = Sunwind("simulate --workload " + Example("nightly.yaml") + " --from 2020-03-01 --to 2020-03-15 --json");
  ASSERT_EQ(0, r.exit_code) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j["wall_s"].is_number());
  ASSERT_EQ(6u, j["policies"].size());
  std::vector<std::string> names;
  for (const auto& p : j["policies"]) {
    names.push_back(p["policy"]);
    std::vector<std::string> keys;
    for (auto it = p.begin(); it != p.end(); ++it) keys.push_back(it.key());
    std::sort(keys.begin(), keys.end());
    EXPECT_EQ(std::vector<std::string>({"deadlines_missed", "emissions_g", "energy_kwh", "jobs", "mean_delay_h",
                                        "optimum_fraction", "pauses", "policy", "saving_pct"}),
              keys);
    EXPECT_EQ(14, p["jobs"]);
    EXPECT_EQ(0, p["deadlines_missed"]) << p["policy"];
  }
  EXPECT_EQ(std::vector<std::string>({"run-now", "best-region-now", "best-window", "threshold", "sunwind", "oracle"}),
            names);
  EXPECT_DOUBLE_EQ(0.0, ByPolicy(j, "run-now")["saving_pct"].get<double>());
  EXPECT_DOUBLE_EQ(1.0, ByPolicy(j, "oracle")["optimum_fraction"].get<double>());
  const double oracle = ByPolicy(j, "oracle")["emissions_g"], sunwind = ByPolicy(j, "sunwind")["emissions_g"],
               run_now = ByPolicy(j, "run-now")["emissions_g"];
  EXPECT_LE(oracle, sunwind);
  EXPECT_LE(sunwind, run_now);
}

TEST(SimulateCliTest, MlTrainingMonthKeepsEveryDeadlineAndOrdersThePolicies) {
  // Given a month of the ML-training workload (DE home; GB and FR allowed),
  // we should see no policy miss a deadline and oracle <= sunwind <= run-now.
  auto r = Sunwind("simulate --workload " + Example("ml-training.yaml") +
                   " --from 2020-06-01 --to 2020-07-01 --policy run-now --policy sunwind --policy oracle --json");
  ASSERT_EQ(0, r.exit_code) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(3u, j["policies"].size());
  for (const auto& p : j["policies"]) EXPECT_EQ(0, p["deadlines_missed"]) << p["policy"];
  EXPECT_LE(ByPolicy(j, "oracle")["emissions_g"].get<double>(), ByPolicy(j, "sunwind")["emissions_g"].get<double>());
  EXPECT_LE(ByPolicy(j, "sunwind")["emissions_g"].get<double>(), ByPolicy(j, "run-now")["emissions_g"].get<double>());
  EXPECT_GT(ByPolicy(j, "run-now")["jobs"].get<int>(), 200);
}

TEST(SimulateCliTest, ATraceFileTakesPrecedenceOverBundledData) {
  // Given a user's trace that holds DE at a flat 200 g/kWh and one 3 h job
  // at 1 kW in aws:eu-central-1 (PUE 1.15), we should account exactly
  // 3 kWh and 3 × 1.15 × 200 = 690 g for every policy.
  const std::string trace = TempPath("de.csv"), workload = TempPath("one.yaml");
  {
    std::ofstream t(trace);
    t << "datetime,zone,carbon_intensity\n";
    for (int h = 0; h < 24 * 40; ++h) {
      char buf[64];
      std::time_t secs = 1577836800 - 20 * 86400 + h * 3600;  // from 2019-12-12
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&secs));
      t << buf << ",DE,200\n";
    }
    std::ofstream w(workload);
    w << "jobs:\n  - id: one\n    submit: 2020-01-05T10:00Z\n    duration: 3h\n    power: 1kW\n"
         "    deadline: +12h\n    interruptible: true\n    home_region: aws:eu-central-1\n";
  }
  auto r = Sunwind("simulate --workload " + workload + " --trace " + trace +
                   " --from 2020-01-05 --to 2020-01-06 --json");
  std::filesystem::remove(trace);
  std::filesystem::remove(workload);
  ASSERT_EQ(0, r.exit_code) << r.err;
  auto j = nlohmann::json::parse(r.out);
  for (const auto& p : j["policies"]) {
    EXPECT_DOUBLE_EQ(3.0, p["energy_kwh"].get<double>()) << p["policy"];
    EXPECT_NEAR(690.0, p["emissions_g"].get<double>(), 1e-9) << p["policy"];
    EXPECT_TRUE(p["optimum_fraction"].is_null()) << "nothing to save, nothing to reach";
  }
}

TEST(SimulateCliTest, TableNamesThePoliciesAndTheData) {
  auto r = Sunwind("simulate --workload " + Example("nightly.yaml") +
                   " --from 2020-03-01 --to 2020-03-08 --policy run-now --policy sunwind");
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_NE(std::string::npos, r.out.find("POLICY")) << r.out;
  EXPECT_NE(std::string::npos, r.out.find("\nsunwind ")) << r.out;
  EXPECT_EQ(std::string::npos, r.out.find("\noracle ")) << "only the policies asked for are listed";
  EXPECT_NE(std::string::npos, r.out.find("Let's Wait Awhile")) << r.out;
}

TEST(SimulateCliTest, UnknownPolicyIsBadUsage) {
  auto r = Sunwind("simulate --workload " + Example("nightly.yaml") + " --from 2020-03-01 --to 2020-03-08 --policy greedy");
  EXPECT_EQ(2, r.exit_code);
  EXPECT_EQ(
      "sunwind simulate: error: --policy: unknown policy 'greedy' (known: run-now, best-region-now, best-window, "
      "threshold, sunwind, oracle)\n",
      r.err);
}

}  // namespace
