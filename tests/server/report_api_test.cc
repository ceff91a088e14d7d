// GET /v1/report over a real Service: each job's audit summed per project,
// region and month, with totals, filters and the embodied column apart.
#include <nlohmann/json.hpp>

#include <thread>

#include "tests/server/api_fixture.h"

namespace sunwind {
namespace {

using nlohmann::json;
using namespace std::chrono;

class ReportApiTest : public testing::ApiFixture {
 protected:
  json Report(const std::string& query = "") {
    auto a = api_->Handle(Get("/v1/report" + query));
    EXPECT_EQ(a.status, 200) << a.body;
    return json::parse(a.body);
  }
  static double Cores() { return std::max(1u, std::thread::hardware_concurrency()); }
};

TEST_F(ReportApiTest, SumsEachProjectsJobsPerRegionAndMonth) {
  // Given two 'nlp' jobs and one 'vision' job that each ran 30 min at 900 W
  // on local:host (DE at 400 g/kWh, PUE 1, no meter samples so the audit
  // takes power × time), we should report 0.45 kWh and 180 g per job,
  // grouped per project in month 2026-11, totals over all three, and the
  // embodied estimate apart: 1000 kg × 0.5 h / 35040 h × 1 vCPU / cores.
  RunJob("nlp", {"/bin/true"}, minutes(30));
  RunJob("nlp", {"/bin/true"}, minutes(30));
  RunJob("vision", {"/bin/true"}, minutes(30));
  json r = Report();
  ASSERT_EQ(r["rows"].size(), 2u) << r.dump(2);
  const json& nlp = r["rows"][0];
  EXPECT_EQ(nlp["project"], "nlp");
  EXPECT_EQ(nlp["region"], "local:host");
  EXPECT_EQ(nlp["month"], "2026-11");
  EXPECT_EQ(nlp["jobs"], 2);
  EXPECT_NEAR(nlp["energy_kwh"].get<double>(), 0.9, 1e-9);
  EXPECT_NEAR(nlp["emissions_g"].get<double>(), 360, 1e-6);
  const double embodied_one = 1000.0 * 1000 * 0.5 / 35040 / Cores();
  EXPECT_NEAR(nlp["embodied_g"].get<double>(), 2 * embodied_one, 1e-9);
  EXPECT_EQ(r["rows"][1]["project"], "vision");
  EXPECT_EQ(r["totals"]["jobs"], 3);
  EXPECT_NEAR(r["totals"]["emissions_g"].get<double>(), 540, 1e-6);
  EXPECT_NEAR(r["totals"]["energy_kwh"].get<double>(), 1.35, 1e-9);
  // Embodied is never part of the operational figure.
  EXPECT_NEAR(r["totals"]["embodied_g"].get<double>(), 3 * embodied_one, 1e-9);
  bool says_apart = false;
  for (const auto& n : r["notes"]) says_apart |= n.get<std::string>().find("apart from emissions_g") != std::string::npos;
  EXPECT_TRUE(says_apart) << r["notes"].dump();
}

TEST_F(ReportApiTest, FiltersByProjectAndByWhenTheJobFirstRan) {
  // Given a job that ran on 23 November and one on 25 November, we should
  // keep only the project asked for, and only jobs whose first run started
  // in [from, to).
  RunJob("nlp", {"/bin/true"}, minutes(10));
  clock_.Advance(hours(48));
  RunJob("vision", {"/bin/true"}, minutes(10));
  EXPECT_EQ(Report("?project=vision")["totals"]["jobs"], 1);
  EXPECT_EQ(Report("?project=nobody")["rows"].size(), 0u);
  json early = Report("?from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z");
  ASSERT_EQ(early["rows"].size(), 1u);
  EXPECT_EQ(early["rows"][0]["project"], "nlp");
  EXPECT_EQ(Report("?from=2026-11-24T00:00:00Z")["rows"][0]["project"], "vision");
}

TEST_F(ReportApiTest, NoJobsGivesEmptyRowsAndNullSums) {
  // Given no job has run, we should answer empty rows and totals whose sums
  // are null (unknown), not zero, with 0 jobs.
  json r = Report();
  EXPECT_TRUE(r["rows"].empty());
  EXPECT_EQ(r["totals"]["jobs"], 0);
  EXPECT_TRUE(r["totals"]["emissions_g"].is_null());
}

TEST_F(ReportApiTest, RefusesABadTimeNamingTheParameter) {
  // Given a from that is not RFC 3339, or a to before from, we should answer
  // 400 naming the parameter.
  auto a = api_->Handle(Get("/v1/report?from=yesterday"));
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(json::parse(a.body)["error"].get<std::string>().rfind("from: ", 0), 0u) << a.body;
  a = api_->Handle(Get("/v1/report?from=2026-11-24T00:00:00Z&to=2026-11-23T00:00:00Z"));
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(json::parse(a.body)["error"], "to: must be after from");
  // And, like every read, it needs the token from beyond loopback.
  EXPECT_EQ(api_->Handle(Get("/v1/report", /*with_token=*/false, /*loopback=*/false)).status, 401);
}

}  // namespace
}  // namespace sunwind
