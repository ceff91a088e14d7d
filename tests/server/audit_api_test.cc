// GET /v1/jobs/{id}/audit and /v1/jobs/{id}/samples over a real Service and a
// real meter store: the audit of a finished job from its samples, the audit
// so far of a running one, the samples since a time, and every 4xx.
#include "server/audit_routes.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <thread>
#include <tuple>

#include "executors/command_runner.h"
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

  // Starts a job of 100 W that sleeps 30 s (planned for 1 h) at once and
  // returns its id; the caller cancels it.
  std::string StartLongJob() {
    JobSubmission s;
    s.name = "long";
    s.command = {"/bin/sleep", "30"};
    s.duration = hours(1);
    s.power_w = 100;
    s.earliest_start = clock_.Now();
    s.deadline = clock_.Now() + hours(24);
    auto job = service_->Submit(s);
    EXPECT_TRUE(job.ok()) << job.status().message();
    if (!job.ok()) return "";
    for (int i = 0; i < 5 && service_->Show(job->id)->job.state == JobPhase::kQueued; ++i) {
      EXPECT_TRUE(service_->Tick().ok());
    }
    return job->id;
  }

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
  const std::string id = StartLongJob();
  ASSERT_EQ(service_->Show(id)->job.state, JobPhase::kRunning);
  clock_.Advance(minutes(10));
  ApiResponse r = api_->Handle(Get("/v1/jobs/" + id + "/audit"));
  ASSERT_EQ(r.status, 200) << r.body;
  json a = Body(r);
  EXPECT_EQ(a["state"], "running");
  EXPECT_EQ(a["in_progress"], true);
  EXPECT_DOUBLE_EQ(a["duration_s"].get<double>(), 600);
  EXPECT_EQ(a["notes"][0], "the job is still running: this audit covers its run so far");
  ASSERT_TRUE(service_->Cancel(id).ok());
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
  MeteredEnergy modelled = EnergyFromAccounting(none, runs, {10.0, "region slurm:east's cpu_w_per_core"});
  ASSERT_EQ(modelled.samples.size(), 2u);
  EXPECT_NEAR(modelled.samples[0].cpu_j, 425.0 * 2 / 3, 1e-9);
  EXPECT_NEAR(modelled.samples[1].cpu_j, 425.0 / 3, 1e-9);
  EXPECT_EQ(modelled.cpu_method, "tdp-model");
  ASSERT_EQ(modelled.notes.size(), 1u);
  EXPECT_NE(modelled.notes[0].find("42.5 s of CPU time"), std::string::npos) << modelled.notes[0];
  EXPECT_NE(modelled.notes[0].find("× 10.00 W per busy logical core (region slurm:east's cpu_w_per_core)"),
            std::string::npos)
      << modelled.notes[0];
  // Neither: nothing metered, and a note saying why.
  MeteredEnergy e = EnergyFromAccounting(none, runs);
  EXPECT_TRUE(e.samples.empty());
  EXPECT_TRUE(e.cpu_method.empty());
  ASSERT_EQ(e.notes.size(), 1u);
  EXPECT_NE(e.notes[0].find("no ConsumedEnergy"), std::string::npos);
  EXPECT_NE(e.notes[0].find("42.5 s of CPU time"), std::string::npos) << e.notes[0];
}

TEST(EnergyFromAccountingTest, SpreadsOverTheRunsSlurmAccountedNotTheTimeSpentPending) {
  // Given a job submitted at t0 that pended 2 h in Slurm's queue (the event
  // log counts it as running from submission) and then ran 1 h, and a
  // requeued second run still going, we should spread Slurm's ConsumedEnergy
  // over Slurm's own Start/End spans, 3:1 by length, the open span cut at
  // the event log's latest end (now), each span in the region of the
  // event-log run it overlaps, and say so in the note.
  const TimePoint t0 = TimePoint(hours(24 * 20780));
  std::vector<RunInterval> runs = {{t0, t0 + hours(3), "slurm:east"},
                                   {t0 + hours(4), t0 + hours(4) + minutes(30), "slurm:west"}};
  SlurmAccounting a;
  a.consumed_energy_j = 8000;
  a.runs = 2;
  a.source = "sacct";
  a.run_spans = {{t0 + hours(4) + minutes(10), std::nullopt}, {t0 + hours(2), t0 + hours(3)}};
  std::vector<RunInterval> spans = SlurmRunIntervals(a, runs);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].start, t0 + hours(2));  // oldest first
  EXPECT_EQ(spans[0].end, t0 + hours(3));
  EXPECT_EQ(spans[0].region, "slurm:east");
  EXPECT_EQ(spans[1].end, t0 + hours(4) + minutes(30));
  EXPECT_EQ(spans[1].region, "slurm:west");

  MeteredEnergy m = EnergyFromAccounting(a, runs);
  ASSERT_EQ(m.samples.size(), 2u);
  // 1 h and 20 min: 6,000 J over hour 2 only, none over the hours pending.
  EXPECT_DOUBLE_EQ(m.samples[0].interval_s, 3600);
  EXPECT_DOUBLE_EQ(m.samples[0].end_unix_s, std::chrono::duration<double>((t0 + hours(3)).time_since_epoch()).count());
  EXPECT_DOUBLE_EQ(m.samples[0].cpu_j, 6000);
  EXPECT_DOUBLE_EQ(m.samples[1].interval_s, 1200);
  EXPECT_DOUBLE_EQ(m.samples[1].cpu_j, 2000);
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_NE(m.notes[0].find("over the 2 run(s) Slurm accounted, from its Start/End"), std::string::npos) << m.notes[0];

  // Given spans of under a second only, we should fall back to the event
  // log's runs, and say so.
  a.run_spans = {{t0 + hours(2), t0 + hours(2)}};
  EXPECT_TRUE(SlurmRunIntervals(a, runs).empty());
  MeteredEnergy fallback = EnergyFromAccounting(a, runs);
  ASSERT_EQ(fallback.samples.size(), 2u);
  EXPECT_DOUBLE_EQ(fallback.samples[0].interval_s, 3 * 3600);
  ASSERT_EQ(fallback.notes.size(), 1u);
  EXPECT_NE(fallback.notes[0].find("the event log's run intervals"), std::string::npos) << fallback.notes[0];
}

// --- each Slurm region's CPU power (its executor block) ----------------------

const char* const kCpuPowerCsv = SUNWIND_TEST_DATA_DIR "/hardware/cpu_power.csv";

TEST(SlurmCpuPowersTest, ReadsEachSlurmRegionsCpuElseTheDaemonMachines) {
  // Given a Slurm region naming its nodes' CPU model (Xeon Gold 6248, 150 W
  // in CodeCarbon's table, 40 logical cores per socket), one giving W per
  // core, and one naming nothing, we should charge 3.75 W and 7.5 W per busy
  // logical core, and the daemon machine's figure for the third, each saying
  // where it came from.
  ZoneTable zones;
  RegionCatalogue catalogue;
  ASSERT_TRUE(testing::LoadTestRegions(
                  "- {id: 'slurm:a', zone: DE, pue: 1.0, executor: {kind: slurm, partition: a, "
                  "cpu_model: 'Intel Xeon Gold 6248', cpu_cores: 40}}\n"
                  "- {id: 'slurm:b', zone: DE, pue: 1.0, executor: {kind: slurm, partition: b, cpu_w_per_core: 7.5}}\n"
                  "- {id: 'slurm:c', zone: DE, pue: 1.0, executor: {kind: slurm, partition: c}}\n",
                  zones, catalogue)
                  .ok());
  const SlurmCpuPower machine = MachineCpuPower("AMD EPYC 7763 64-Core Processor", 280, "matched AMD EPYC 7763", 128);
  EXPECT_DOUBLE_EQ(machine.w_per_core, 280.0 / 128);
  auto powers = SlurmCpuPowersFromConfig(catalogue, kCpuPowerCsv, machine);
  ASSERT_TRUE(powers.ok()) << powers.status().message();
  EXPECT_DOUBLE_EQ(powers->For("slurm:a").w_per_core, 3.75);
  EXPECT_EQ(powers->For("slurm:a").source,
            "region slurm:a's cpu_model Intel Xeon Gold 6248: TDP 150 W (CodeCarbon's table) over 40 logical "
            "cores (cpu_cores)");
  EXPECT_DOUBLE_EQ(powers->For("slurm:b").w_per_core, 7.5);
  EXPECT_EQ(powers->For("slurm:b").source, "region slurm:b's cpu_w_per_core");
  EXPECT_DOUBLE_EQ(powers->For("slurm:c").w_per_core, 280.0 / 128);
  EXPECT_EQ(powers->For("slurm:c").source,
            "the daemon machine's CPU (AMD EPYC 7763 64-Core Processor): TDP 280 W (matched AMD EPYC 7763) over its "
            "128 logical cores; region slurm:c names no cpu_model or cpu_w_per_core in its executor block, so its "
            "nodes are taken to be like this machine");
  EXPECT_EQ(powers->by_region.size(), 2u);
}

TEST(SlurmCpuPowersTest, RefusesBadValuesNamingTheRegionAndTheField) {
  // Given each kind of bad CPU option in a Slurm region's executor block, we
  // should refuse the config with InvalidArgument naming the region and the
  // field, and why.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"cpu_w_per_core: -3",
       "region 'slurm:x': executor.cpu_w_per_core: '-3' is not a positive number of W per busy logical core"},
      {"cpu_w_per_core: 0",
       "region 'slurm:x': executor.cpu_w_per_core: '0' is not a positive number of W per busy logical core"},
      {"cpu_w_per_core: lots",
       "region 'slurm:x': executor.cpu_w_per_core: 'lots' is not a positive number of W per busy logical core"},
      {"cpu_model: 'Intel Xeon Gold 6248'",
       "region 'slurm:x': executor.cpu_cores: missing: cpu_model needs the logical cores per socket its TDP is shared "
       "by (hardware threads: 40 for a 20-core CPU with hyper-threading on)"},
      {"cpu_cores: 40", "region 'slurm:x': executor.cpu_cores: given without cpu_model (the CPU whose TDP it divides)"},
      {"cpu_model: 'Intel Xeon Gold 6248', cpu_cores: -40",
       "region 'slurm:x': executor.cpu_cores: '-40' is not a positive whole number of logical cores"},
      {"cpu_model: 'Intel Xeon Gold 6248', cpu_cores: 2.5",
       "region 'slurm:x': executor.cpu_cores: '2.5' is not a positive whole number of logical cores"},
      {"cpu_model: 'Intel Xeon Gold 6248', cpu_cores: 40, cpu_w_per_core: 3",
       "region 'slurm:x': executor.cpu_model: give either cpu_model with cpu_cores, or cpu_w_per_core, not both"},
  };
  for (const auto& [options, want] : cases) {
    ZoneTable zones;
    RegionCatalogue catalogue;
    const std::string config =
        "- {id: 'slurm:x', zone: DE, pue: 1.0, executor: {kind: slurm, partition: x, " + options + "}}";
    ASSERT_TRUE(testing::LoadTestRegions(config, zones, catalogue).ok());
    auto powers = SlurmCpuPowersFromConfig(catalogue, kCpuPowerCsv, {});
    ASSERT_FALSE(powers.ok()) << options;
    EXPECT_EQ(powers.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(powers.status().message(), want) << options;
  }
  // A model the table does not know: refused, naming it.
  ZoneTable zones;
  RegionCatalogue catalogue;
  ASSERT_TRUE(testing::LoadTestRegions(
                  "- {id: 'slurm:x', zone: DE, pue: 1.0, executor: {kind: slurm, partition: x, cpu_model: 'Zorg 9000', "
                  "cpu_cores: 8}}",
                  zones, catalogue)
                  .ok());
  auto unknown = SlurmCpuPowersFromConfig(catalogue, kCpuPowerCsv, {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message().rfind("region 'slurm:x': executor.cpu_model: 'Zorg 9000' is not in "
                                             "CodeCarbon's TDP table",
                                             0),
            0u)
      << unknown.status().message();
  EXPECT_NE(unknown.status().message().find("give cpu_w_per_core"), std::string::npos);
}

class SlurmAuditTest : public testing::ApiFixture {};

TEST_F(SlurmAuditTest, ServiceRefusesCpuOptionsOutsideASlurmBlockAndUnknownOnes) {
  // Given a local region naming a CPU model, or a Slurm region with a
  // misspelt option, we should refuse to open, naming the region and field.
  for (const auto& [config, want] : std::vector<std::pair<std::string, std::string>>{
           {"- {id: 'local:x', zone: DE, pue: 1.0, executor: {kind: local, cpu_w_per_core: 3}}",
            "region 'local:x': executor.cpu_w_per_core: not an option of the local executor"},
           {"- {id: 'slurm:x', zone: DE, pue: 1.0, executor: {kind: slurm, partition: x, cpu_watts: 3}}",
            "region 'slurm:x': executor.cpu_watts: not an option of the slurm executor"}}) {
    ZoneTable zones;
    RegionCatalogue catalogue;
    ASSERT_TRUE(testing::LoadTestRegions(config, zones, catalogue).ok());
    auto db = Database::Open(dir_.File(std::to_string(std::hash<std::string>()(config)) + ".db"));
    ASSERT_TRUE(db.ok());
    ScriptedCommandRunner slurm;
    ServiceOptions o;
    o.jobs_dir = dir_.File("jobs");
    o.default_region = catalogue.regions().back().id;
    o.commands = &slurm;
    auto s = Service::Open(**db, clock_, catalogue, Fetch(), runner_, o);
    ASSERT_FALSE(s.ok()) << config;
    EXPECT_EQ(s.status().message(), want);
  }
}

TEST_F(SlurmAuditTest, ASlurmJobsAuditUsesItsRegionsCpuPowerElseTheMachines) {
  // Given two jobs submitted 10 min ago on a cluster without an energy
  // plugin, that pended 2 min and have run 8 since (sacct's Start, End still
  // Unknown), one in a region of 7.5 W per logical core and one in a region
  // that names no CPU, each with 300 s of CPU time in sacct, we should charge
  // 2,250 J and 300 s × the daemon machine's 2 W, each note saying which
  // figure it used, over the 8 min Slurm ran it, not the 2 min it pended.
  ZoneTable zones;
  RegionCatalogue catalogue;
  ASSERT_TRUE(testing::LoadTestRegions(
                  "- {id: 'slurm:east', zone: DE, pue: 1.0, executor: {kind: slurm, partition: east, "
                  "cpu_w_per_core: 7.5}}\n"
                  "- {id: 'slurm:west', zone: DE, pue: 1.0, executor: {kind: slurm, partition: west}}\n",
                  zones, catalogue)
                  .ok());
  auto db = Database::Open(dir_.File("slurm.db"));
  ASSERT_TRUE(db.ok());
  ScriptedCommandRunner slurm;
  ServiceOptions o;
  o.jobs_dir = dir_.File("slurm-jobs");
  o.default_region = "slurm:east";
  o.commands = &slurm;
  auto service = Service::Open(**db, clock_, catalogue, Fetch(), runner_, o);
  ASSERT_TRUE(service.ok()) << service.status().message();
  ApiOptions a;
  a.token = kToken;
  auto powers = SlurmCpuPowersFromConfig(catalogue, kCpuPowerCsv, {2.0, "the daemon machine's CPU"});
  ASSERT_TRUE(powers.ok()) << powers.status().message();
  a.slurm_cpu = *powers;
  Api api(**service, catalogue, Fetch(), clock_, a);

  std::map<std::string, std::string> job_in;  // region -> job id
  for (const char* region : {"slurm:east", "slurm:west"}) {
    JobSubmission j;
    j.name = "train";
    j.command = {"/bin/true"};
    j.duration = hours(1);
    j.power_w = 900;
    j.earliest_start = clock_.Now();
    j.deadline = clock_.Now() + hours(1);  // due now
    j.allowed_regions = {region};
    auto job = (*service)->Submit(j);
    ASSERT_TRUE(job.ok()) << job.status().message();
    job_in[region] = job->id;
  }
  for (const char* id : {"42\n", "43\n"}) {
    slurm.ExpectOutput("");  // squeue: not submitted before
    slurm.ExpectOutput(id);  // sbatch --parsable
  }
  ASSERT_TRUE((*service)->Tick().ok());
  ASSERT_EQ((*service)->Show(job_in["slurm:east"])->launch, "slurm job 42");
  ASSERT_EQ((*service)->Show(job_in["slurm:west"])->launch, "slurm job 43");
  const TimePoint slurm_start = clock_.Now() + minutes(2);
  clock_.Advance(minutes(10));
  // sacct prints local time.
  const time_t start_s = static_cast<time_t>(slurm_start.time_since_epoch().count());
  struct tm local;
  localtime_r(&start_s, &local);
  char start_text[32];
  strftime(start_text, sizeof start_text, "%Y-%m-%dT%H:%M:%S", &local);

  for (const auto& [region, slurm_id, w_per_core, said] :
       std::vector<std::tuple<std::string, std::string, double, std::string>>{
           {"slurm:east", "42", 7.5, "× 7.50 W per busy logical core (region slurm:east's cpu_w_per_core)"},
           {"slurm:west", "43", 2.0,
            "× 2.00 W per busy logical core (the daemon machine's CPU; region slurm:west names no cpu_model or "
            "cpu_w_per_core in its executor block, so its nodes are taken to be like this machine)"}}) {
    slurm.ExpectOutput(slurm_id + "|RUNNING|480||billing=1,cpu=1,mem=1G,node=1|0|" + start_text + "|Unknown\n" +
                       slurm_id + ".batch|RUNNING|480|00:05:00||0|" + start_text +
                       "|Unknown\n");  // sacct: no energy plugin, 300 s CPU
    ApiResponse r = api.Handle(Get("/v1/jobs/" + job_in[region] + "/audit"));
    ASSERT_EQ(r.status, 200) << r.body;
    json audit = json::parse(r.body);
    EXPECT_EQ(audit["energy"]["methods"]["cpu"], "tdp-model") << r.body;
    EXPECT_NEAR(audit["energy"]["cpu_kwh"].get<double>(), 300 * w_per_core / 3.6e6, 1e-15) << region;
    EXPECT_NE(audit["notes"].dump().find(said), std::string::npos) << audit["notes"].dump();
    EXPECT_NE(audit["notes"].dump().find("over the 1 run(s) Slurm accounted, from its Start/End"), std::string::npos)
        << audit["notes"].dump();
    // The intervals shown are Slurm's run so far, not the event log's.
    EXPECT_DOUBLE_EQ(audit["duration_s"].get<double>(), 480) << r.body;
    ASSERT_EQ(audit["intervals"].size(), 1u) << r.body;
    EXPECT_EQ(audit["intervals"][0]["start"], FormatTime(slurm_start)) << r.body;
    EXPECT_EQ(audit["intervals"][0]["end"], FormatTime(clock_.Now())) << r.body;
  }
  EXPECT_EQ(slurm.pending(), 0u);  // every answer scripted was asked for
}

// --- the cache of finished jobs' audits ---------------------------------------

class AuditCacheTest : public AuditApiTest {
 protected:
  AuditForJob Audits(AuditCache* cache) {
    return MeteredAudits(meters_.get(), nullptr, catalogue_, fetch_, clock_, "local:host", service_.get(), {}, cache);
  }
  json AuditOf(const AuditForJob& audit_for, const std::string& id) {
    auto d = service_->Show(id);
    EXPECT_TRUE(d.ok());
    auto a = audit_for(*d);
    EXPECT_TRUE(a.ok()) << a.status().message();
    return a.ok() ? AuditJson(*a) : json();
  }
  FetchIntensity fetch_ = Fetch();
};

TEST_F(AuditCacheTest, AFinishedJobsCachedAuditEqualsAFreshOne) {
  // Given a finished job with samples, we should build its audit once and
  // serve the second ask from the cache, equal to an audit built afresh.
  const TimePoint start = clock_.Now();
  const std::string id = RunJob("nlp", {"/bin/true"}, minutes(30));
  Store(id, start, 30, 60, 100, 10);
  AuditCache cache(16, hours(1));
  AuditForJob cached = Audits(&cache);
  const json first = AuditOf(cached, id);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.hits(), 0);
  const json second = AuditOf(cached, id);
  EXPECT_EQ(cache.hits(), 1);
  EXPECT_EQ(second, first);
  EXPECT_EQ(second, AuditOf(Audits(nullptr), id));
  EXPECT_NEAR(second["energy_kwh"].get<double>(), 0.055, 1e-12);
}

TEST_F(AuditCacheTest, AJobThatChangesIsNeverServedStale) {
  // Given a running job audited twice 10 min apart, we should rebuild it
  // each time (never cached); once it is cancelled, its audit says so; a new
  // event or an entry older than max_age is a miss, rebuilt.
  AuditCache cache(16, hours(1));
  AuditForJob cached = Audits(&cache);
  const std::string id = StartLongJob();
  ASSERT_EQ(service_->Show(id)->job.state, JobPhase::kRunning);
  clock_.Advance(minutes(5));
  EXPECT_DOUBLE_EQ(AuditOf(cached, id)["duration_s"].get<double>(), 300);
  clock_.Advance(minutes(5));
  EXPECT_DOUBLE_EQ(AuditOf(cached, id)["duration_s"].get<double>(), 600);
  EXPECT_EQ(cache.size(), 0u);

  ASSERT_TRUE(service_->Cancel(id).ok());
  const json ended = AuditOf(cached, id);
  EXPECT_EQ(ended["state"], "cancelled");
  EXPECT_EQ(ended["in_progress"], false);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(AuditOf(cached, id), ended);
  EXPECT_EQ(cache.hits(), 1);

  // The same job with one more event (its version moved on): a miss.
  JobDetail moved = *service_->Show(id);
  JobEvent e = moved.events.back();
  e.seq += 1000;
  moved.events.push_back(e);
  EXPECT_FALSE(cache.Find(moved, clock_.Now()).has_value());
  // Past max_age: a miss, rebuilt and stored again.
  ASSERT_TRUE(cached(*service_->Show(id)).ok());
  clock_.Advance(hours(1) + seconds(1));
  EXPECT_FALSE(cache.Find(*service_->Show(id), clock_.Now()).has_value());
  EXPECT_EQ(cache.hits(), 1);
}

TEST_F(AuditCacheTest, AJobTheMeterStillHoldsIsNotCachedUntilItLetsGo) {
  // Given a job that has ended in the store while the daemon's meter still
  // holds it (its last sample may still come), we should rebuild its audit
  // on every ask; once the meter has let it go, keep it.
  const std::string id = RunJob("nlp", {"/bin/true"}, minutes(6));
  bool held = true;
  SteadyPacer pacer;
  JobMetering metering(
      clock_, pacer, *meters_,
      [&]() -> Result<std::vector<RunningJob>> {
        if (!held) return std::vector<RunningJob>{};
        return std::vector<RunningJob>{{id, "local:host", "local", {::getpid()}}};  // any live process
      },
      [](const RunningJob&) { return MeterSources{}; }, JobMeteringOptions{});
  ASSERT_TRUE(metering.SampleOnce().ok());
  ASSERT_EQ(metering.MeteredJobs(), std::vector<std::string>{id});
  AuditCache cache(16, hours(1));
  AuditForJob cached =
      MeteredAudits(meters_.get(), &metering, catalogue_, fetch_, clock_, "local:host", service_.get(), {}, &cache);
  AuditOf(cached, id);
  EXPECT_EQ(cache.size(), 0u);
  held = false;
  ASSERT_TRUE(metering.SampleOnce().ok());
  ASSERT_TRUE(metering.MeteredJobs().empty());
  AuditOf(cached, id);
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(AuditCacheTest, KeepsAtMostItsCapacityDroppingTheLeastRecentlyUsed) {
  // Given a cache of two and three finished jobs audited in turn, with the
  // first asked again before the third, we should keep two: the first and
  // the third.
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(RunJob("nlp", {"/bin/true"}, minutes(6)));
  AuditCache cache(2, hours(1));
  AuditForJob cached = Audits(&cache);
  AuditOf(cached, ids[0]);
  AuditOf(cached, ids[1]);
  AuditOf(cached, ids[0]);  // a hit: now the most recently used
  AuditOf(cached, ids[2]);  // evicts ids[1]
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.Find(*service_->Show(ids[0]), clock_.Now()).has_value());
  EXPECT_FALSE(cache.Find(*service_->Show(ids[1]), clock_.Now()).has_value());
  EXPECT_TRUE(cache.Find(*service_->Show(ids[2]), clock_.Now()).has_value());
}

TEST_F(AuditCacheTest, ServesConcurrentRequestsTheSameAnswers) {
  // Given four threads asking for the audits of three finished jobs 25 times
  // each through one cache (the HTTP server's threads share the Api), we
  // should answer every ask with the fresh audit.
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(RunJob("nlp", {"/bin/true"}, minutes(6 * (i + 1))));
  std::map<std::string, json> fresh;
  for (const auto& id : ids) fresh[id] = AuditOf(Audits(nullptr), id);
  std::vector<JobDetail> details;
  for (const auto& id : ids) details.push_back(*service_->Show(id));
  AuditCache cache(2, hours(1));  // smaller than the jobs: evictions race with hits
  AuditForJob cached = Audits(&cache);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const JobDetail& d = details[(t + i / 2) % details.size()];  // each twice in a row
        auto a = cached(d);
        if (!a.ok() || AuditJson(*a) != fresh.at(d.job.id)) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(cache.hits(), 0);
  EXPECT_LE(cache.size(), 2u);
}

}  // namespace
}  // namespace sunwind
