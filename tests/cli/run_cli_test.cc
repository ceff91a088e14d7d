// `sunwind run` end to end through the built binary: planned on the bundled
// DE 2022 trace from --at, the wait run through an accelerated clock, a real
// short command metered, its audit, CSV row and run history checked.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <map>

#include "core/csv.h"
#include "tests/support/cli_runner.h"
#include "tests/support/temp_dir.h"

namespace sunwind {
namespace {

using nlohmann::json;
using testing::Sunwind;
using testing::TempDir;

// 2022-06-01 from 00:00 UTC, 1-hour job, deadline +8h, DE (aws:eu-central-1).
constexpr const char* kPlanFlags =
    "--at 2022-06-01T00:00:00Z --clock-speed 1000000 --deadline +8h --region aws:eu-central-1";

class RunCliTest : public ::testing::Test {
 protected:
  std::string Flags() { return std::string(kPlanFlags) + " --history " + dir_.File("runs.json"); }
  TempDir dir_;
};

TEST_F(RunCliTest, WaitsForTheCleanestHourRunsTheCommandAndAuditsIt) {
  // Given a 1 h job due within 8 h of 2022-06-01 00:00Z in DE, we should wait
  // (on the accelerated clock) for the hour with the least DE 2022 lifecycle
  // intensity among 00:00..07:00, read independently from the bundled file,
  // run the command there with its exit code (3) passed on, audit it with
  // that hour's measured intensity, show the embodied estimate apart, and
  // write one CodeCarbon row and one history entry.
  std::string csv = dir_.File("emissions.csv");
  auto r = Sunwind("run " + Flags() + " --duration 1h --output " + csv + " --json -- /bin/sh -c 'exit 3'");
  ASSERT_EQ(3, r.exit_code) << r.err << r.out;
  auto lca = testing::ReadLca("DE_2022");
  std::string best;
  double best_g = 1e9;
  for (int h = 0; h < 8; ++h) {
    char key[32];
    std::snprintf(key, sizeof key, "2022-06-01 %02d:00:00", h);
    if (lca.at(key) < best_g) best_g = lca.at(key), best = key;
  }
  std::string best_rfc = best.substr(0, 10) + "T" + best.substr(11) + "Z";
  json j = json::parse(r.out);
  EXPECT_EQ(j["plan"]["intervals"][0]["start"], best_rfc) << j["plan"].dump(2);
  EXPECT_NEAR(j["plan"]["intervals"][0]["mean_intensity_g_per_kwh"].get<double>(), best_g, 1e-9);
  EXPECT_NE(r.err.find("waiting until " + best_rfc), std::string::npos) << r.err;
  EXPECT_EQ(j["run"]["start"], best_rfc);
  EXPECT_EQ(j["run"]["exit_code"], 3);
  const json& audit = j["audit"];
  EXPECT_EQ(audit["state"], "failed");
  ASSERT_FALSE(audit["intervals"].empty());
  EXPECT_NEAR(audit["intervals"][0]["intensity_g_per_kwh"].get<double>(), best_g, 1e-9);
  EXPECT_EQ(audit["intervals"][0]["intensity_kind"], "measured");
  EXPECT_TRUE(audit["planned_emissions_g"].is_number());
  EXPECT_EQ(audit["counterfactual"]["region"], "aws:eu-central-1");
  // Embodied: apart, and never inside the operational figure.
  ASSERT_TRUE(j["embodied"]["emissions_g"].is_number()) << j["embodied"].dump();
  EXPECT_GE(j["embodied"]["emissions_g"].get<double>(), 0);
  EXPECT_NE(j["embodied"]["note"].get<std::string>().find("apart"), std::string::npos);

  auto text = ReadFile(csv);
  ASSERT_TRUE(text.ok());
  auto rows = ParseCsv(*text);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(2u, rows->size());
  EXPECT_EQ(38u, (*rows)[1].fields.size());
  EXPECT_EQ("aws:eu-central-1", (*rows)[1].fields[17]);  // region

  auto history = json::parse(*ReadFile(dir_.File("runs.json")));
  ASSERT_EQ(history["runs"].size(), 1u);
  EXPECT_EQ(history["runs"][0]["exit_code"], 3);
}

TEST_F(RunCliTest, WithoutDurationUsesTheMedianOfEarlierRunsElseRefuses) {
  // Given no earlier run of the command, we should refuse naming --duration
  // (exit 2) and run nothing; after one successful run, we should plan on
  // its measured duration and say so.
  std::string marker = dir_.File("ran");
  std::string cmd = " -- /bin/sh -c 'touch " + marker + "'";
  auto refused = Sunwind("run " + Flags() + cmd);
  EXPECT_EQ(2, refused.exit_code) << refused.err;
  EXPECT_NE(refused.err.find("--duration: required"), std::string::npos) << refused.err;
  EXPECT_FALSE(std::filesystem::exists(marker));

  ASSERT_EQ(0, Sunwind("run " + Flags() + " --duration 30m" + cmd).exit_code);
  std::filesystem::remove(marker);
  auto again = Sunwind("run " + Flags() + cmd);
  ASSERT_EQ(0, again.exit_code) << again.err;
  EXPECT_TRUE(std::filesystem::exists(marker));
  EXPECT_NE(again.err.find("the median of 1 earlier run(s) of this command"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("Embodied"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("Saving"), std::string::npos) << again.err;
}

TEST_F(RunCliTest, RefusesBadFlagsNamingThemAndAnImpossibleDeadline) {
  // Given an unknown flag, a bad --clock-speed, no --deadline, or a deadline
  // the job cannot meet, we should refuse naming the flag (exit 2), or exit 3
  // for the deadline, without running the command.
  std::string marker = dir_.File("ran");
  std::string cmd = " -- /bin/sh -c 'touch " + marker + "'";
  auto r = Sunwind("run --bogus 1 --deadline +8h" + cmd);
  EXPECT_EQ(2, r.exit_code);
  EXPECT_NE(r.err.find("--bogus"), std::string::npos) << r.err;
  r = Sunwind("run " + Flags() + " --duration 1h --clock-speed fast" + cmd);
  EXPECT_EQ(2, r.exit_code);
  EXPECT_NE(r.err.find("--clock-speed"), std::string::npos) << r.err;
  r = Sunwind("run --duration 1h" + cmd);
  EXPECT_EQ(2, r.exit_code);
  EXPECT_NE(r.err.find("--deadline: required"), std::string::npos) << r.err;
  r = Sunwind("run --at 2022-06-01T00:00:00Z --deadline +30m --duration 1h --region aws:eu-central-1 --history " +
              dir_.File("runs.json") + cmd);
  EXPECT_EQ(3, r.exit_code) << r.err;
  EXPECT_FALSE(std::filesystem::exists(marker));
}

}  // namespace
}  // namespace sunwind
