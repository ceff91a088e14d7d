// Runs the built sunwind binary on the bundled data and checks its answers
// against values read independently from the trace files.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/cli_runner.h"

namespace {

using sunwind::testing::ReadLca;
using sunwind::testing::RunResult;
using sunwind::testing::Sunwind;

std::string Key(int day, int hour) {  // June 2022
  char buf[32];
  std::snprintf(buf, sizeof buf, "2022-06-%02d %02d:00:00", day, hour);
  return buf;
}

TEST(CliTest, PlanFindsTheTrueCheapestWindowInTheTrace) {
  // Given one region (aws:eu-central-1, DE, PUE from the catalogue) and a 3h
  // job between 2022-06-01T00:00Z and 06-03T00:00Z, we should pick the same
  // window as a brute force over the raw CSV, with the same mean intensity.
  auto de = ReadLca("DE_2022");
  std::vector<double> hours;
  for (int d = 1; d <= 2; ++d)
    for (int h = 0; h < 24; ++h) hours.push_back(de.at(Key(d, h)));
  size_t best = 0;
  double best_sum = 1e18;
  for (size_t s = 0; s + 3 <= hours.size(); ++s) {
    double sum = hours[s] + hours[s + 1] + hours[s + 2];
    if (sum < best_sum) best_sum = sum, best = s;
  }
  auto r = Sunwind("plan --regions aws:eu-central-1 --duration 3h --at 2022-06-01T00:00Z --deadline 2022-06-03T00:00Z --power 2kW --json");
  ASSERT_EQ(0, r.exit_code) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(1u, j["intervals"].size());
  const auto& iv = j["intervals"][0];
  char start[64];
  std::snprintf(start, sizeof start, "2022-06-%02zuT%02zu:00:00Z", 1 + best / 24, best % 24);
  EXPECT_EQ(start, iv["start"].get<std::string>());
  EXPECT_NEAR(best_sum / 3, iv["mean_intensity_g_per_kwh"].get<double>(), 1e-3);
  EXPECT_EQ("measured", iv["kind"]);
  EXPECT_EQ("average", iv["signal"]);
  double pue = iv["pue"].get<double>();
  EXPECT_NEAR(2.0 * best_sum * pue, j["expected"]["emissions_g"].get<double>(), 1e-2);
  EXPECT_NEAR(6.0, j["expected"]["energy_kwh"].get<double>(), 1e-9);
  // Run now: 00:00-03:00 on June 1st in the same region.
  double now_sum = hours[0] + hours[1] + hours[2];
  EXPECT_NEAR(2.0 * now_sum * pue, j["run_now"]["emissions_g"].get<double>(), 1e-2);
  EXPECT_NEAR(2.0 * (now_sum - best_sum) * pue, j["saving"]["g"].get<double>(), 1e-2);
}

TEST(CliTest, InterruptiblePlanTakesTheCheapestHours) {
  // Given an interruptible 5h job with no minimum chunk, we should run in the
  // five cheapest hours before the deadline, as a sort of the raw CSV says.
  auto es = ReadLca("ES_2022");
  std::vector<double> hours;
  for (int h = 0; h < 24; ++h) hours.push_back(es.at(Key(10, h)));
  std::vector<double> sorted = hours;
  std::sort(sorted.begin(), sorted.end());
  double cheapest5 = sorted[0] + sorted[1] + sorted[2] + sorted[3] + sorted[4];
  auto r = Sunwind("plan --regions aws:eu-south-2 --duration 5h --at 2022-06-10T00:00Z --deadline +24h --interruptible --json");
  ASSERT_EQ(0, r.exit_code) << r.err;
  auto j = nlohmann::json::parse(r.out);
  double pue = j["intervals"][0]["pue"].get<double>();
  EXPECT_NEAR(cheapest5 * pue, j["expected"]["emissions_g"].get<double>(), 1e-2);
  double hours_planned = 0;
  for (const auto& iv : j["intervals"]) {
    EXPECT_EQ("aws:eu-south-2", iv["region"]);
    hours_planned += iv["energy_kwh"].get<double>();  // 1 kW default
  }
  EXPECT_NEAR(5.0, hours_planned, 1e-9);
}

TEST(CliTest, InterruptiblePlanWithMinimumChunkEqualsBruteForceOverTheTrace) {
  // Given an interruptible 4h job with chunks of at least 2h in the 12 hours
  // after 2022-06-15T06:00Z in GB, we should find the same emissions as an
  // exhaustive search over every set of 4 hours read from the raw CSV.
  auto gb = ReadLca("GB_2022");
  std::vector<double> hours;
  for (int h = 6; h < 18; ++h) hours.push_back(gb.at(Key(15, h)));
  const int n = static_cast<int>(hours.size());
  double best = 1e18;
  for (int mask = 0; mask < (1 << n); ++mask) {
    if (__builtin_popcount(mask) != 4) continue;
    bool ok = true;
    double sum = 0;
    for (int i = 0; i < n && ok;) {
      if (!(mask >> i & 1)) {
        ++i;
        continue;
      }
      int j = i;
      while (j < n && (mask >> j & 1)) sum += hours[j++];
      ok = j - i >= 2;
      i = j;
    }
    if (ok) best = std::min(best, sum);
  }
  auto r = Sunwind("plan --regions aws:eu-west-2 --duration 4h --at 2022-06-15T06:00Z --deadline +12h --interruptible --min-chunk 2h --json");
  ASSERT_EQ(0, r.exit_code) << r.err;
  auto j = nlohmann::json::parse(r.out);
  double pue = j["intervals"][0]["pue"].get<double>();
  EXPECT_NEAR(best * pue, j["expected"]["emissions_g"].get<double>(), 1e-2);
  for (const auto& iv : j["intervals"]) {
    EXPECT_TRUE(iv["energy_kwh"].get<double>() >= 2.0 - 1e-9) << iv.dump();
  }
}

TEST(CliTest, RankOrdersTheIssueExampleByEffectiveIntensity) {
  // Given the four European regions of the issue at noon on 2022-06-01, we
  // should rank them by mean grid intensity × PUE over the 4h window, Norway first.
  auto r = Sunwind("regions rank --regions aws:eu-central-1,aws:eu-west-2,aws:eu-south-2,azure:norwayeast --at 2022-06-01T12:00Z --duration 4h --json");
  ASSERT_EQ(0, r.exit_code) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(4u, j["ranking"].size());
  EXPECT_EQ("azure:norwayeast", j["ranking"][0]["region"]);
  double prev = -1;
  for (const auto& e : j["ranking"]) {
    double eff = e["effective_intensity_g_per_kwh"].get<double>();
    EXPECT_GE(eff, prev);
    EXPECT_NEAR(e["mean_intensity_g_per_kwh"].get<double>() * e["pue"].get<double>(), eff, 1e-3);
    prev = eff;
  }
  auto de = ReadLca("DE_2022");
  double mean = (de.at(Key(1, 12)) + de.at(Key(1, 13)) + de.at(Key(1, 14)) + de.at(Key(1, 15))) / 4;
  EXPECT_NEAR(mean, j["ranking"][3]["mean_intensity_g_per_kwh"].get<double>(), 1e-3);
  EXPECT_EQ("aws:eu-central-1", j["ranking"][3]["region"]);
}

TEST(CliTest, TimesOutsideTheTraceYearsAreReplayedAndSaySo) {
  // Given a time in 2025 (no bundled DE data), we should replay 2022 at the
  // same ISO week, weekday and hour (2025-06-04 is Wednesday of week 23 ->
  // 2022-06-08), and label the values "replayed".
  auto de = ReadLca("DE_2022");
  auto r = Sunwind("regions rank --regions aws:eu-central-1 --at 2025-06-04T10:00Z --duration 1h --json");
  ASSERT_EQ(0, r.exit_code) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ("replayed", j["ranking"][0]["kind"]);
  EXPECT_NE(std::string::npos, j["ranking"][0]["source"].get<std::string>().find("replayed from 2022"));
  EXPECT_NEAR(de.at(Key(8, 10)), j["ranking"][0]["mean_intensity_g_per_kwh"].get<double>(), 1e-6);
  auto human = Sunwind("regions rank --regions aws:eu-central-1 --at 2025-06-04T10:00Z --duration 1h");
  ASSERT_EQ(0, human.exit_code) << human.err;
  EXPECT_NE(std::string::npos, human.out.find("replayed from 2022, the latest year with data")) << human.out;
}

TEST(CliTest, InputsWithOffsetsAreConvertedToUtc) {
  // Given --at with a +02:00 offset, we should plan from the same UTC instant.
  auto a = Sunwind("plan --regions aws:eu-west-2 --duration 2h --at 2022-06-01T10:00+02:00 --deadline 2022-06-01T16:00Z --json");
  ASSERT_EQ(0, a.exit_code) << a.err;
  auto j = nlohmann::json::parse(a.out);
  EXPECT_EQ("2022-06-01T08:00:00Z", j["at"]);
}

TEST(CliTest, UserTraceTakesPrecedenceOverBundledData) {
  // Given a --trace file for DE with a flat 100 g/kWh except one cheap hour,
  // we should plan on it, not on the bundled trace.
  auto path = std::filesystem::temp_directory_path() / ("sunwind_trace_" + std::to_string(::getpid()) + ".csv");
  {
    std::ofstream f(path);
    f << "datetime,carbon_intensity\n";
    for (int h = 0; h < 24; ++h) f << "2022-06-01T" << (h < 10 ? "0" : "") << h << ":00:00Z," << (h == 17 ? 5 : 100) << "\n";
  }
  auto r = Sunwind("plan --regions aws:eu-central-1 --duration 1h --at 2022-06-01T00:00Z --deadline +24h --trace " +
                   path.string() + " --trace-zone DE --json");
  std::filesystem::remove(path);
  ASSERT_EQ(0, r.exit_code) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ("2022-06-01T17:00:00Z", j["intervals"][0]["start"]);
  EXPECT_NEAR(5.0, j["intervals"][0]["mean_intensity_g_per_kwh"].get<double>(), 1e-9);
  EXPECT_NE(std::string::npos, j["intervals"][0]["source"].get<std::string>().find("trace file"));
}

TEST(CliTest, ExitCodesSayWhatWentWrong) {
  // Given bad input we should exit 2 naming the field; given a deadline no
  // plan can meet, 3; never a silently late plan.
  auto unknown = Sunwind("plan --regions aws:eu-nowhere-9 --duration 1h --deadline +4h --at 2022-06-01T00:00Z");
  EXPECT_EQ(2, unknown.exit_code);
  EXPECT_NE(std::string::npos, unknown.err.find("unknown region 'aws:eu-nowhere-9'")) << unknown.err;
  auto power = Sunwind("plan --regions aws:eu-west-2 --duration 1h --deadline +4h --power 5furlongs --at 2022-06-01T00:00Z");
  EXPECT_EQ(2, power.exit_code);
  EXPECT_NE(std::string::npos, power.err.find("--power")) << power.err;
  auto late = Sunwind("plan --regions aws:eu-west-2 --duration 6h --deadline +4h --at 2022-06-01T00:00Z");
  EXPECT_EQ(3, late.exit_code);
  EXPECT_NE(std::string::npos, late.err.find("the job needs 6h but only 4h remain")) << late.err;
  auto chunk = Sunwind("plan --regions aws:eu-west-2 --duration 1h --deadline +4h --min-chunk 1h --at 2022-06-01T00:00Z");
  EXPECT_EQ(2, chunk.exit_code);
  EXPECT_NE(std::string::npos, chunk.err.find("--min-chunk: only applies with --interruptible")) << chunk.err;
}

TEST(CliTest, RegionsListJsonHasTheDocumentedFields) {
  // Given --provider gcp --json, we should list only GCP regions, each with
  // the fields other tools read.
  auto r = Sunwind("regions list --provider gcp --json");
  ASSERT_EQ(0, r.exit_code) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_GE(j.size(), 30u);
  for (const auto& e : j) {
    EXPECT_EQ("gcp", e["provider"]);
    for (const char* k : {"id", "provider", "name", "zone", "location", "pue", "pue_source", "cfe_pct", "wue_l_per_kwh"}) {
      EXPECT_TRUE(e.contains(k)) << k;
    }
    for (const char* k : {"city", "country", "lat", "lon"}) EXPECT_TRUE(e["location"].contains(k)) << k;
    EXPECT_GE(e["pue"].get<double>(), 1.0);
  }
}

TEST(CliTest, BadConfigIsRefusedWithFileLineAndField) {
  // Given a config whose region has PUE 0.8, we should refuse it, naming the
  // file, the line and the field, and exit 2.
  auto path = std::filesystem::temp_directory_path() / ("sunwind_cfg_" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream f(path);
    f << "regions:\n  - id: local:host\n    zone: DE\n    pue: 0.8\n";
  }
  auto r = Sunwind("regions list --config " + path.string());
  std::filesystem::remove(path);
  EXPECT_EQ(2, r.exit_code);
  EXPECT_NE(std::string::npos, r.err.find(path.string() + ":4: region 'local:host': field 'pue'")) << r.err;
}

}  // namespace
