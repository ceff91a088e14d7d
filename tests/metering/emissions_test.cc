// The audit arithmetic: emissions = Σ energy × PUE × each hour's intensity,
// water = WUE × IT energy, checked against values computed by hand.
#include "metering/emissions.h"

#include <gtest/gtest.h>

#include <cmath>

namespace sunwind {
namespace {

IntensitySeries Hourly(TimePoint start, std::vector<double> values) {
  IntensitySeries s;
  s.start = start;
  s.step = Duration{3600};
  for (double v : values) s.Append(v, std::isnan(v) ? PointKind::kMissing : PointKind::kMeasured, "test grid");
  return s;
}

TEST(EmissionsTest, EachHourUsesItsOwnIntensity) {
  // Given 0.5 kWh in hour 0 (200 g/kWh) and 0.25 kWh in hour 1 (400 g/kWh)
  // at PUE 1.2 and WUE 1.8 L/kWh, we should get by hand:
  //   facility 0.75 × 1.2 = 0.9 kWh
  //   emissions 0.5×1.2×200 + 0.25×1.2×400 = 120 + 120 = 240 g
  //   water 1.8 × 0.75 = 1.35 L (IT energy, not facility)
  TimePoint t0{Duration{1700002800}};
  HourlyEnergy h0{t0, 0.3, 0.15, 0.05};
  HourlyEnergy h1{t0 + Duration{3600}, 0.2, 0, 0.05};
  auto a = AuditEmissions({h0, h1}, Hourly(t0, {200, 400, 999}), 1.2, 1.8);
  ASSERT_EQ(2u, a.intervals.size());
  EXPECT_NEAR(0.75, a.it_energy_kwh, 1e-12);
  EXPECT_NEAR(0.9, a.facility_energy_kwh, 1e-12);
  EXPECT_NEAR(120.0, a.intervals[0].emissions_g, 1e-9);
  EXPECT_NEAR(120.0, a.intervals[1].emissions_g, 1e-9);
  EXPECT_NEAR(240.0, a.emissions_g, 1e-9);
  ASSERT_TRUE(a.water_l.has_value());
  EXPECT_NEAR(1.35, *a.water_l, 1e-12);
  EXPECT_EQ("measured", a.intervals[0].kind);
  EXPECT_EQ(std::vector<std::string>{"test grid"}, a.sources);
  EXPECT_TRUE(a.notes.empty());
}

TEST(EmissionsTest, AMissingHourIsAGapNotZero) {
  // Given no intensity for the second hour, we should report emissions as
  // unknown (NaN) with a note, not count that hour as clean.
  TimePoint t0{Duration{1700002800}};
  auto a = AuditEmissions({{t0, 1, 0, 0}, {t0 + Duration{3600}, 1, 0, 0}}, Hourly(t0, {100, NAN}), 1.0, std::nullopt);
  EXPECT_NEAR(100.0, a.intervals[0].emissions_g, 1e-9);
  EXPECT_TRUE(std::isnan(a.intervals[1].emissions_g));
  EXPECT_TRUE(std::isnan(a.emissions_g));
  EXPECT_FALSE(a.water_l.has_value());
  ASSERT_EQ(1u, a.notes.size());
  EXPECT_NE(std::string::npos, a.notes[0].find("2023-11-15T00:00:00Z")) << a.notes[0];
}

}  // namespace
}  // namespace sunwind
