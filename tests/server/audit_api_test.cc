// GET /v1/jobs/{id}/audit and /v1/jobs/{id}/samples over a real Service and a
// real meter store: the audit of a finished job from its samples, the audit
// so far of a running one, the samples since a time, and every 4xx.
#include "server/audit_routes.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/server/api_fixture.h"

namespace sunwind {
namespace {

using nlohmann::json;
using namespace std::chrono;

class AuditApiTest : public testing::ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    auto db = Database::Open(dir_.File("sunwind.db"));
    ASSERT_TRUE(db.ok());
    meter_db_ = std::move(db).value();
    meters_ = std::make_unique<MeterStore>(*meter_db_);
    ApiOptions a;
    a.token = kToken;
    a.version = "test";
    a.meter_store = meters_.get();
    api_ = std::make_unique<Api>(*service_, catalogue_, Fetch(), clock_, a);
  }

  // `n` samples of `interval_s` each from `from`, drawing cpu_w and ram_w.
  void Store(const std::string& id, TimePoint from, int n, double interval_s, double cpu_w, double ram_w) {
    std::vector<StoredMeterSample> batch;
    const double t0 = static_cast<double>(from.time_since_epoch().count());
    for (int i = 1; i <= n; ++i) {
      StoredMeterSample s;
      s.job_id = id;
      s.at_unix_s = t0 + i * interval_s;
      s.interval_s = interval_s;
      s.cpu_w = cpu_w;
      s.ram_w = ram_w;
      s.cpu_uj = ToMicrojoules(cpu_w * interval_s);
      s.ram_uj = ToMicrojoules(ram_w * interval_s);
      s.cpu_method = "tdp-model";
      s.gpu_method = "none";
      s.ram_method = "ram-model";
      batch.push_back(s);
    }
    ASSERT_TRUE(meters_->Append(batch).ok());
  }

  json Body(const ApiResponse& r) { return json::parse(r.body); }

  std::unique_ptr<Database> meter_db_;
  std::unique_ptr<MeterStore> meters_;
};

TEST_F(AuditApiTest, AuditsAFinishedJobFromItsSamples) {
  // Given a job that ran 30 min in local:host (DE, 400 g/kWh, PUE 1) and
  // samples of 100 W CPU + 10 W RAM over its run, we should answer 200 with
  // 0.055 kWh, 22 g, the methods of the samples, and the same energy in the
  // interval; planned figures side by side.
  const TimePoint start = clock_.Now();
  const std::string id = RunJob("nlp", {"/bin/true"}, minutes(30));
  Store(id, start, 30, 60, 100, 10);
  ApiResponse r = api_->Handle(Get("/v1/jobs/" + id + "/audit"));
  ASSERT_EQ(r.status, 200) << r.body;
  json a = Body(r);
  EXPECT_EQ(a["job_id"], id);
  EXPECT_EQ(a["state"], "done");
  EXPECT_EQ(a["in_progress"], false);
  EXPECT_NEAR(a["energy"]["cpu_kwh"].get<double>(), 0.05, 1e-12);
  EXPECT_NEAR(a["energy"]["ram_kwh"].get<double>(), 0.005, 1e-12);
  EXPECT_NEAR(a["energy_kwh"].get<double>(), 0.055, 1e-12);
  EXPECT_EQ(a["energy"]["methods"]["cpu"], "tdp-model");
  EXPECT_EQ(a["energy"]["methods"]["gpu"], "none");
  EXPECT_NEAR(a["emissions_g"].get<double>(), 0.055 * 400, 1e-9);
  ASSERT_EQ(a["intervals"].size(), 1u);
  EXPECT_EQ(a["intervals"][0]["start"], FormatTime(start));
  EXPECT_EQ(a["intervals"][0]["end"], FormatTime(start + minutes(30)));
  EXPECT_EQ(a["intervals"][0]["intensity_kind"], "replayed");
  EXPECT_DOUBLE_EQ(a["intervals"][0]["intensity_g_per_kwh"].get<double>(), 400);
  EXPECT_TRUE(a["planned_emissions_g"].is_number());
  EXPECT_EQ(a["counterfactual"]["region"], "local:host");
  EXPECT_TRUE(a["water_l"].is_null());  // local:host publishes no WUE
}

TEST_F(AuditApiTest, AJobWithoutSamplesIsEstimatedFromItsPlan) {
  // Given a finished job the meter never saw, we should still answer 200,
  // its energy the submission's 900 W x 30 min, every method saying so.
  const std::string id = RunJob("nlp", {"/bin/true"}, minutes(30));
  ApiResponse r = api_->Handle(Get("/v1/jobs/" + id + "/audit"));
  ASSERT_EQ(r.status, 200) << r.body;
  json a = Body(r);
  EXPECT_NEAR(a["energy"]["it_kwh"].get<double>(), 0.45, 1e-12);
  EXPECT_EQ(a["energy"]["methods"]["cpu"], "estimated-from-plan");
}

TEST_F(AuditApiTest, ARunningJobGetsTheAuditSoFar) {
  // Given a job running for 10 min, we should answer its audit so far,
  // marked in progress with a note, covering the 10 minutes.
  JobSubmission s;
  s.name = "long";
  s.command = {"/bin/sleep", "30"};
  s.duration = hours(1);
  s.power_w = 100;
  s.earliest_start = clock_.Now();
  s.deadline = clock_.Now() + hours(24);
  auto job = service_->Submit(s);
  ASSERT_TRUE(job.ok());
  for (int i = 0; i < 5 && service_->Show(job->id)->job.state == JobPhase::kQueued; ++i) ASSERT_TRUE(service_->Tick().ok());
  ASSERT_EQ(service_->Show(job->id)->job.state, JobPhase::kRunning);
  clock_.Advance(minutes(10));
  ApiResponse r = api_->Handle(Get("/v1/jobs/" + job->id + "/audit"));
  ASSERT_EQ(r.status, 200) << r.body;
  json a = Body(r);
  EXPECT_EQ(a["state"], "running");
  EXPECT_EQ(a["in_progress"], true);
  EXPECT_DOUBLE_EQ(a["duration_s"].get<double>(), 600);
  EXPECT_EQ(a["notes"][0], "the job is still running: this audit covers its run so far");
  ASSERT_TRUE(service_->Cancel(job->id).ok());
}

TEST_F(AuditApiTest, SamplesSinceATime) {
  // Given a job with three stored samples, we should list them all, only
  // those ending after `since` when given, and refuse a bad `since`.
  const TimePoint start = clock_.Now();
  const std::string id = RunJob("nlp", {"/bin/true"}, minutes(3));
  Store(id, start, 3, 60, 50, 5);
  ApiResponse all = api_->Handle(Get("/v1/jobs/" + id + "/samples"));
  ASSERT_EQ(all.status, 200) << all.body;
  json rows = Body(all);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["at"], FormatTime(start + minutes(1)));
  EXPECT_DOUBLE_EQ(rows[0]["cpu_w"].get<double>(), 50);
  EXPECT_DOUBLE_EQ(rows[0]["ram_w"].get<double>(), 5);
  EXPECT_DOUBLE_EQ(rows[0]["gpu_w"].get<double>(), 0);
  ApiResponse later = api_->Handle(Get("/v1/jobs/" + id + "/samples?since=" + FormatTime(start + minutes(1))));
  ASSERT_EQ(later.status, 200);
  EXPECT_EQ(Body(later).size(), 2u);
  ApiResponse bad = api_->Handle(Get("/v1/jobs/" + id + "/samples?since=yesterday"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Body(bad)["error"], "since: \"yesterday\" is not an RFC 3339 time (e.g. 2026-11-23T10:00:00Z)");
}

TEST_F(AuditApiTest, UnknownJobsAndMissingTokens) {
  // Given an unknown job, we should answer 404 on both routes; a request
  // from beyond loopback without the token gets 401.
  EXPECT_EQ(api_->Handle(Get("/v1/jobs/j-999999/audit")).status, 404);
  EXPECT_EQ(api_->Handle(Get("/v1/jobs/j-999999/samples")).status, 404);
  EXPECT_EQ(api_->Handle(Get("/v1/jobs/j-999999/audit", false, false)).status, 401);
}

TEST(EnergyFromAccountingTest, SpreadsSlurmsConsumedEnergyOverTheRunsAndSaysWhenThereIsNone) {
  // Given 9,000 J of ConsumedEnergy over two runs of 20 and 10 minutes, we
  // should get 6,000 J and 3,000 J at their ends, method
  // slurm-consumed-energy; given no energy plugin, Slurm's CPU time × the
  // TDP model's W per core spread the same way, or, without a model, no
  // samples and a note with the CPU time Slurm accounted.
  const TimePoint t0 = TimePoint(hours(24 * 20780));
  std::vector<RunInterval> runs = {{t0, t0 + minutes(20), "slurm:east"}, {t0 + hours(1), t0 + hours(1) + minutes(10), "slurm:east"}};
  SlurmAccounting a;
  a.consumed_energy_j = 9000;
  a.runs = 2;
  a.source = "sacct";
  MeteredEnergy m = EnergyFromAccounting(a, runs);
  ASSERT_EQ(m.samples.size(), 2u);
  EXPECT_DOUBLE_EQ(m.samples[0].cpu_j, 6000);
  EXPECT_DOUBLE_EQ(m.samples[1].cpu_j, 3000);
  EXPECT_DOUBLE_EQ(m.samples[1].interval_s, 600);
  EXPECT_DOUBLE_EQ(m.samples[1].end_unix_s, std::chrono::duration<double>((t0 + hours(1) + minutes(10)).time_since_epoch()).count());
  EXPECT_EQ(m.cpu_method, "slurm-consumed-energy");

  SlurmAccounting none;
  none.cpu_time_s = 42.5;
  none.runs = 1;
  none.source = "sacct";
  // No energy plugin, a TDP model of 10 W per busy core: 425 J, 2:1 over the runs.
  MeteredEnergy modelled = EnergyFromAccounting(none, runs, 10.0);
  ASSERT_EQ(modelled.samples.size(), 2u);
  EXPECT_NEAR(modelled.samples[0].cpu_j, 425.0 * 2 / 3, 1e-9);
  EXPECT_NEAR(modelled.samples[1].cpu_j, 425.0 / 3, 1e-9);
  EXPECT_EQ(modelled.cpu_method, "tdp-model");
  ASSERT_EQ(modelled.notes.size(), 1u);
  EXPECT_NE(modelled.notes[0].find("42.5 s of CPU time"), std::string::npos) << modelled.notes[0];
  // Neither: nothing metered, and a note saying why.
  MeteredEnergy e = EnergyFromAccounting(none, runs);
  EXPECT_TRUE(e.samples.empty());
  EXPECT_TRUE(e.cpu_method.empty());
  ASSERT_EQ(e.notes.size(), 1u);
  EXPECT_NE(e.notes[0].find("no ConsumedEnergy"), std::string::npos);
  EXPECT_NE(e.notes[0].find("42.5 s of CPU time"), std::string::npos) << e.notes[0];
}

}  // namespace
}  // namespace sunwind
