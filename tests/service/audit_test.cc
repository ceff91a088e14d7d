// The emissions audit as a pure function: hand-computed energy, emissions,
// water, counterfactual and saving; unknown hours stay unknown; the event
// log's run intervals; the JSON's shape and CodeCarbon rows.
#include "service/audit.h"

#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "regions/zones.h"
#include "tests/support/test_regions.h"

namespace sunwind {
namespace {

using nlohmann::json;
using namespace std::chrono;

constexpr const char* kConfig = R"(
- id: local:home
  zone: DE
  pue: 1.5
  wue_l_per_kwh: 2.0
  executor: {kind: local}
- id: local:north
  zone: NO
  pue: 1.2
  executor: {kind: local}
)";

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status loaded = testing::LoadTestRegions(kConfig, zones_, catalogue_);
    ASSERT_TRUE(loaded.ok()) << loaded.message();
  }

  // home: 100 g/kWh in hour t0, 300 in t0+1h, 500 later; north: 50 always.
  // `gap` (if set) is an hour with no value at home.
  FetchIntensity Fetch(std::optional<TimePoint> gap = std::nullopt) {
    return [this, gap](const Region* r, TimePoint from, TimePoint to, Duration step) -> Result<RegionSeries> {
      ++fetches_;
      IntensitySeries s;
      s.start = from;
      s.step = step;
      for (TimePoint t = from; t < to; t += step) {
        if (gap && t == *gap) {
          s.Append(kNoValue, PointKind::kMissing, "");
          continue;
        }
        double v = r->id == "local:north" ? 50 : (t == t0_ ? 100 : t == t0_ + hours(1) ? 300 : 500);
        s.Append(v, PointKind::kMeasured, "test-grid");
      }
      return RegionSeries{r, s};
    };
  }

  AuditInput Input() {
    AuditInput in;
    in.job.id = "j-000001";
    in.job.state = JobPhase::kDone;
    in.job.submission.power_w = 1000;
    in.job.submission.project = "p";
    in.job.submission.home_region = "local:home";
    in.job.created_at = t0_ - hours(2);
    return in;
  }

  // A sample every second over [from, to) drawing the given watts.
  static std::vector<EnergySample> Samples(TimePoint from, TimePoint to, double cpu_w, double gpu_w, double ram_w) {
    std::vector<EnergySample> out;
    for (TimePoint t = from + seconds(1); t <= to; t += seconds(1))
      out.push_back({static_cast<double>(t.time_since_epoch().count()), 1.0, cpu_w, gpu_w, ram_w});
    return out;
  }

  ZoneTable zones_;
  RegionCatalogue catalogue_;
  TimePoint t0_ = TimePoint{seconds(1'700'000'000 - 1'700'000'000 % 3600)};
  int fetches_ = 0;
};

TEST_F(AuditTest, ChargesEachHourItsOwnIntensityTimesPue) {
  // Given a job that ran 30 min across an hour boundary at home drawing 600 W
  // CPU + 300 W GPU + 100 W RAM, we should charge 15 min at 100 g/kWh and
  // 15 min at 300 g/kWh, times PUE 1.5, and water = WUE x IT energy.
  AuditInput in = Input();
  const TimePoint s = t0_ + minutes(45), e = t0_ + minutes(75);
  in.runs = {{s, e, "local:home"}};
  in.metered.samples = Samples(s, e, 600, 300, 100);
  in.metered.cpu_method = "rapl";
  in.metered.gpu_method = "nvml-energy-counter";
  in.metered.ram_method = "ram-model";
  auto a = BuildAudit(in, catalogue_, Fetch());
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_EQ(a->intervals.size(), 2u);
  EXPECT_NEAR(a->cpu_kwh, 0.3, 1e-12);
  EXPECT_NEAR(a->gpu_kwh, 0.15, 1e-12);
  EXPECT_NEAR(a->ram_kwh, 0.05, 1e-12);
  EXPECT_NEAR(a->it_kwh, 0.5, 1e-12);
  EXPECT_NEAR(a->facility_kwh, 0.75, 1e-12);
  EXPECT_NEAR(*a->intervals[0].emissions_g, 0.25 * 1.5 * 100, 1e-9);
  EXPECT_NEAR(*a->intervals[1].emissions_g, 0.25 * 1.5 * 300, 1e-9);
  EXPECT_NEAR(*a->emissions_g, 0.25 * 1.5 * 400, 1e-9);
  ASSERT_TRUE(a->water_l.has_value());
  EXPECT_NEAR(*a->water_l, 2.0 * 0.5, 1e-12);
  EXPECT_EQ(a->intervals[0].intensity_kind, "measured");
  EXPECT_EQ(a->intervals[0].intensity_source, "test-grid");
  EXPECT_EQ(a->cpu_method, "rapl");
  EXPECT_EQ(a->gpu_method, "nvml-energy-counter");
  EXPECT_DOUBLE_EQ(a->duration_s, 1800);
}

TEST_F(AuditTest, AnHourWithoutIntensityIsUnknownNeverZero) {
  // Given a job whose second hour has no intensity, we should leave that
  // piece's emissions null, count only the known hour, say how much energy
  // is left out, and claim no saving.
  AuditInput in = Input();
  const TimePoint s = t0_ + minutes(30), e = t0_ + minutes(90);
  in.runs = {{s, e, "local:home"}};
  in.metered.samples = Samples(s, e, 1000, 0, 0);
  in.metered.cpu_method = "tdp-model";
  auto a = BuildAudit(in, catalogue_, Fetch(t0_ + hours(1)));
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->intervals.size(), 2u);
  EXPECT_FALSE(a->intervals[1].emissions_g.has_value());
  EXPECT_NEAR(*a->emissions_g, 0.5 * 1.5 * 100, 1e-9);
  EXPECT_FALSE(a->saving_g.has_value());
  json j = AuditJson(*a);
  EXPECT_TRUE(j["intervals"][1]["emissions_g"].is_null());
  EXPECT_TRUE(j["intervals"][1]["intensity_g_per_kwh"].is_null());
  bool said = false;
  for (const auto& n : a->notes) said |= n.find("500.000 Wh") != std::string::npos && n.find("not counted as zero") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST_F(AuditTest, CounterfactualRunsTheSameEnergyAtSubmissionAtHome) {
  // Given a job submitted at t0 in its home region that ran later in the
  // north (50 g/kWh, PUE 1.2), we should compute the counterfactual as the
  // same 1 kWh run from t0 at home (0.5 kWh at 100 and 0.5 at 300, x 1.5)
  // and the saving against the actual 1 kWh x 1.2 x 50.
  AuditInput in = Input();
  in.job.created_at = t0_ + minutes(30);
  in.runs = {{t0_ + hours(5), t0_ + hours(6), "local:north"}};
  in.metered.samples = Samples(t0_ + hours(5), t0_ + hours(6), 1000, 0, 0);
  in.metered.cpu_method = "tdp-model";
  auto a = BuildAudit(in, catalogue_, Fetch());
  ASSERT_TRUE(a.ok());
  EXPECT_NEAR(*a->emissions_g, 60, 1e-9);
  ASSERT_TRUE(a->counterfactual.emissions_g.has_value());
  EXPECT_NEAR(*a->counterfactual.emissions_g, 0.5 * 1.5 * 100 + 0.5 * 1.5 * 300, 1e-9);
  EXPECT_EQ(a->counterfactual.region, "local:home");
  EXPECT_EQ(a->counterfactual.start, t0_ + minutes(30));
  EXPECT_NEAR(*a->saving_g, 300 - 60, 1e-9);
  EXPECT_NEAR(*a->saving_pct, 80, 1e-9);
  // No WUE for the north: water unknown, not zero.
  EXPECT_FALSE(a->water_l.has_value());
  EXPECT_TRUE(AuditJson(*a)["water_l"].is_null());
}

TEST_F(AuditTest, NothingMeteredEstimatesFromThePlanPowerAndSaysSo) {
  // Given a job with no meter samples that ran 2 h at 1000 W, we should
  // estimate 2 kWh with every method "estimated-from-plan", and show the
  // plan's forecast and expected emissions side by side.
  AuditInput in = Input();
  in.runs = {{t0_, t0_ + hours(2), "local:home"}};
  StoredPlan plan;
  plan.version = 2;
  plan.expected_emissions_g = 555;
  plan.expected_energy_kwh = 2;
  plan.intervals_json = json::array({{{"region", "local:home"},
                                      {"start", FormatTime(t0_)},
                                      {"end", FormatTime(t0_ + hours(2))},
                                      {"mean_intensity_g_per_kwh", 180.0}}})
                            .dump();
  in.plan = plan;
  auto a = BuildAudit(in, catalogue_, Fetch());
  ASSERT_TRUE(a.ok());
  EXPECT_NEAR(a->it_kwh, 2, 1e-12);
  EXPECT_EQ(a->cpu_method, "estimated-from-plan");
  EXPECT_EQ(a->ram_method, "estimated-from-plan");
  EXPECT_NEAR(*a->emissions_g, 1.5 * (100 + 300), 1e-9);
  EXPECT_DOUBLE_EQ(*a->planned_emissions_g, 555);
  EXPECT_DOUBLE_EQ(*a->intervals[0].forecast_g_per_kwh, 180);
  json j = AuditJson(*a);
  EXPECT_EQ(j["energy"]["methods"]["gpu"], "estimated-from-plan");
  EXPECT_DOUBLE_EQ(j["planned_emissions_g"].get<double>(), 555);
}

TEST_F(AuditTest, RunIntervalsComeFromTheEventLog) {
  // Given running, paused, running, done events, we should get two run
  // intervals in the region the events name; a running job's last one ends now.
  std::vector<JobEvent> ev(5);
  ev[0].to_state = JobPhase::kQueued, ev[0].at = t0_;
  ev[1].from_state = JobPhase::kQueued, ev[1].to_state = JobPhase::kRunning, ev[1].at = t0_ + minutes(10);
  ev[1].detail_json = R"({"region":"local:north","pid":1})";
  ev[2].from_state = JobPhase::kRunning, ev[2].to_state = JobPhase::kPaused, ev[2].at = t0_ + minutes(20);
  ev[3].from_state = JobPhase::kPaused, ev[3].to_state = JobPhase::kRunning, ev[3].at = t0_ + minutes(40);
  ev[4].from_state = JobPhase::kRunning, ev[4].to_state = JobPhase::kDone, ev[4].at = t0_ + minutes(45);
  auto runs = RunIntervalsFromEvents(ev, t0_ + hours(5), "local:home");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].start, t0_ + minutes(10));
  EXPECT_EQ(runs[0].end, t0_ + minutes(20));
  EXPECT_EQ(runs[1].region, "local:north");
  EXPECT_EQ(runs[1].end, t0_ + minutes(45));
  ev.pop_back();
  runs = RunIntervalsFromEvents(ev, t0_ + hours(1), "local:home");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].end, t0_ + hours(1));
}

TEST_F(AuditTest, SamplesAreSplitAcrossPiecesAndTotalsKeptExactly) {
  // Given one 10-minute sample straddling an hour boundary (and one sample
  // outside any run), we should split the first by overlap and keep the
  // total energy exactly.
  AuditInput in = Input();
  in.runs = {{t0_ + minutes(55), t0_ + minutes(65), "local:home"}};
  double end = static_cast<double>((t0_ + minutes(65)).time_since_epoch().count());
  in.metered.samples = {{end, 600, 3.6e6, 0, 0}, {end + 3600, 1, 3.6e6, 0, 0}};
  in.metered.cpu_method = "rapl";
  auto a = BuildAudit(in, catalogue_, Fetch());
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->intervals.size(), 2u);
  EXPECT_NEAR(a->intervals[0].cpu_kwh, 0.5, 1e-12);
  EXPECT_NEAR(a->intervals[1].cpu_kwh, 1.5, 1e-12);
  EXPECT_NEAR(a->cpu_kwh, 2.0, 1e-12);
}

TEST_F(AuditTest, JsonHasTheDocumentedShapeAndUnroundedNumbers) {
  // Given an audit, we should emit every documented top-level field with
  // full-precision numbers and RFC 3339 times, and one CodeCarbon row in kg.
  AuditInput in = Input();
  const TimePoint s = t0_ + seconds(7), e = t0_ + seconds(10);
  in.runs = {{s, e, "local:home"}};
  in.metered.samples = Samples(s, e, 1.2345678912, 0, 0);
  in.metered.cpu_method = "tdp-model";
  auto a = BuildAudit(in, catalogue_, Fetch());
  ASSERT_TRUE(a.ok());
  json j = AuditJson(*a);
  for (const char* k : {"job_id", "state", "intervals", "energy", "energy_kwh", "emissions_g", "planned_emissions_g",
                        "water_l", "counterfactual", "saving_g", "saving_pct", "notes"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["intervals"][0]["start"], FormatTime(s));
  const double it_kwh = 3 * 1.2345678912 / 3.6e6;
  EXPECT_DOUBLE_EQ(j["energy"]["it_kwh"].get<double>(), a->it_kwh);
  EXPECT_NEAR(j["energy"]["it_kwh"].get<double>(), it_kwh, 1e-18);
  EXPECT_GT(j["energy"]["it_kwh"].get<double>(), 0);  // not rounded away at 6 decimals
  auto rows = AuditCodeCarbonRows(*a);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].run_id, "j-000001");
  EXPECT_NEAR(*rows[0].emissions_kg, *a->emissions_g / 1000, 1e-18);
  EXPECT_DOUBLE_EQ(*rows[0].duration_s, 3);
  EXPECT_FALSE(rows[0].gpu_energy_kwh.has_value());
  EXPECT_EQ(CodeCarbonFields(rows[0]).size(), CodeCarbonColumns().size());
}

TEST_F(AuditTest, TheJsonReadsBackIntoTheSameAuditAndRows) {
  // Given an audit with two regions' curves, read back from its JSON, we
  // should get the same figures, intervals, curves and CodeCarbon fields,
  // and a JSON without "energy" should be refused naming it.
  AuditInput in = Input();
  in.runs = {{t0_ + minutes(50), t0_ + minutes(70), "local:home"}, {t0_ + hours(3), t0_ + hours(4), "local:north"}};
  in.metered.samples = Samples(t0_ + minutes(50), t0_ + minutes(70), 300, 50, 7);
  auto more = Samples(t0_ + hours(3), t0_ + hours(4), 100, 0, 7);
  in.metered.samples.insert(in.metered.samples.end(), more.begin(), more.end());
  in.metered.cpu_method = "rapl";
  in.metered.gpu_method = "nvml-power-sampling";
  in.metered.ram_method = "ram-model";
  auto a = BuildAudit(in, catalogue_, Fetch());
  ASSERT_TRUE(a.ok());
  json j = AuditJson(*a);
  auto back = JobAuditFromJson(json::parse(j.dump()));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(AuditJson(*back), j);
  ASSERT_EQ(back->curves.size(), 2u);
  EXPECT_EQ(back->curves[0].series.step, hours(1));
  EXPECT_DOUBLE_EQ(back->curves[0].series.values[1], 300);
  EXPECT_EQ(CodeCarbonFields(AuditCodeCarbonRows(*back)[0]), CodeCarbonFields(AuditCodeCarbonRows(*a)[0]));
  j.erase("energy");
  EXPECT_EQ(JobAuditFromJson(j).status().message(), "energy: missing");
}

}  // namespace
}  // namespace sunwind
