// StaticProvider: Ember's yearly country averages standing in for hourly data.
#include "providers/static_provider.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include "tests/providers/test_files.h"

namespace sunwind {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

const std::string kEmber = SUNWIND_TEST_DATA_DIR "/intensity/co2-intensities-ember-2021.csv";

IntensityQuery Query(const std::string& zone, Duration length) {
  IntensityQuery q;
  q.zone = zone;
  q.from = sys_days{2022y / June / 1} + 12h;
  q.to = q.from + length;
  q.step = 1h;
  return q;
}

class StaticProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = StaticProvider::FromEmberCsv(kEmber);
    ASSERT_TRUE(p.ok()) << p.status().message();
    provider_ = std::make_unique<StaticProvider>(std::move(p).value());
  }
  std::unique_ptr<StaticProvider> provider_;
};

TEST_F(StaticProviderTest, GivesFranceItsCountryAverageAsEstimated) {
  // Given zone FR (France: 67.781 gCO2eq/kWh in Ember 2021),
  // we should answer that value for every hour, each point estimated, in one provenance run.
  auto s = provider_->Intensity(Query("FR", 4h));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(std::vector<double>({67.781, 67.781, 67.781, 67.781}), s->values);
  EXPECT_EQ(sys_days{2022y / June / 1} + 12h, s->start);
  ASSERT_EQ(1u, s->provenance.size());
  EXPECT_EQ(PointKind::kEstimated, s->provenance[0].kind);
  EXPECT_EQ("Ember 2021 yearly average for FR", s->provenance[0].source);
  EXPECT_EQ("yearly average, no hourly data", s->provenance[0].note);
}

TEST_F(StaticProviderTest, GivesASubZoneItsCountryAverage) {
  // Given zone US-CAL-CISO, which Ember does not list,
  // we should answer the United States' average (378.625).
  auto s = provider_->Intensity(Query("US-CAL-CISO", 2h));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(std::vector<double>({378.625, 378.625}), s->values);
  EXPECT_EQ("Ember 2021 yearly average for US", s->provenance[0].source);
  EXPECT_EQ(PointKind::kEstimated, s->provenance[0].kind);
}

TEST_F(StaticProviderTest, ZoneAverageOverridesTheCountryAverage) {
  // Given a zone average set for US-CAL-CISO,
  // we should use it for that zone only; other US zones keep the country's value.
  provider_->SetZoneAverage("US-CAL-CISO", 250.5, "cloud provider's grid figure");
  auto s = provider_->Intensity(Query("US-CAL-CISO", 2h));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(std::vector<double>({250.5, 250.5}), s->values);
  EXPECT_EQ("cloud provider's grid figure", s->provenance[0].source);
  EXPECT_EQ(PointKind::kEstimated, s->provenance[0].kind);

  auto other = provider_->Intensity(Query("US-TEX-ERCO", 1h));
  ASSERT_TRUE(other.ok()) << other.status().message();
  EXPECT_EQ(std::vector<double>({378.625}), other->values);
}

TEST_F(StaticProviderTest, UnknownZoneIsNotFound) {
  // Given a zone whose country Ember does not list,
  // we should answer NotFound so a chain can ask the next provider.
  auto s = provider_->Intensity(Query("XX", 1h));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(StatusCode::kNotFound, s.status().code());
  EXPECT_EQ("no yearly average for zone 'XX'", s.status().message());
  EXPECT_EQ(nullptr, provider_->Find("XX-YY"));
}

TEST_F(StaticProviderTest, AggregateRowsWithoutACountryCodeAreNotZones) {
  // Given Ember's aggregate rows ("Africa", with an empty country code),
  // we should not make them answer for any zone, not even the empty one.
  EXPECT_EQ(nullptr, provider_->Find(""));
  EXPECT_EQ(nullptr, provider_->Find("Africa"));
}

TEST_F(StaticProviderTest, CoversAPartialLastHour) {
  // Given a 90-minute window,
  // we should answer two hourly points (the last one covering the half hour).
  auto s = provider_->Intensity(Query("FR", 90min));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(2u, s->size());
}

// Runs provider.Intensity(q) in a child process with its address space capped
// and passes when the child sees InvalidArgument with `message`. Before the
// range check, a reversed window made (to - from + step - 1) / step negative,
// which as a size_t is ~2^64 points: appended until memory ran out. The cap
// turns such a regression into a quick failure instead of a hung suite.
void ExpectInvalidArgumentInCappedChild(StaticProvider& provider, const IntensityQuery& q,
                                        const std::string& message) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto run_capped = [&] {
    rlimit limit;
    limit.rlim_cur = limit.rlim_max = rlim_t{1} << 28;
    setrlimit(RLIMIT_AS, &limit);
    auto s = provider.Intensity(q);
    bool as_expected = !s.ok() && s.status().code() == StatusCode::kInvalidArgument && s.status().message() == message;
    std::exit(as_expected ? 0 : 1);
  };
  EXPECT_EXIT(run_capped(), ::testing::ExitedWithCode(0), "");
}

TEST_F(StaticProviderTest, RefusesAReversedRange) {
  // Given a query whose end is two hours before its start,
  // we should refuse it as invalid, as TraceProvider does.
  IntensityQuery q = Query("FR", 1h);
  q.to = q.from - 2h;
  ExpectInvalidArgumentInCappedChild(*provider_, q, "empty or reversed time range for zone 'FR'");
}

TEST_F(StaticProviderTest, RefusesAZeroStep) {
  // Given a query with a zero step (which would divide by zero),
  // we should refuse it as invalid.
  IntensityQuery q = Query("FR", 1h);
  q.step = Duration{0};
  ExpectInvalidArgumentInCappedChild(*provider_, q, "empty or reversed time range for zone 'FR'");
}

TEST_F(StaticProviderTest, RefusesAFileWithoutTheExpectedColumns) {
  // Given a CSV that lacks Ember's columns,
  // we should refuse it at line 1, naming the columns it needs.
  testutil::TempDir dir;
  std::string path = dir.Write("ember.csv", "country,value\nFR,60\n");
  auto p = StaticProvider::FromEmberCsv(path);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(StatusCode::kInvalidArgument, p.status().code());
  EXPECT_EQ(path + ":1: expected columns country_code_iso_2, year, emissions_intensity_gco2_per_kwh",
            p.status().message());
}

TEST_F(StaticProviderTest, RefusesANonNumericAverageNamingItsLine) {
  // Given a row whose intensity is not a number,
  // we should refuse the file, naming the line and the column.
  testutil::TempDir dir;
  std::string path = dir.Write("ember.csv",
                               "country_code_iso_2,year,emissions_intensity_gco2_per_kwh\n"
                               "FR,2021,60\n"
                               "DE,2021,n/a\n");
  auto p = StaticProvider::FromEmberCsv(path);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(path + ":3: column 'emissions_intensity_gco2_per_kwh': not a number", p.status().message());
}

TEST_F(StaticProviderTest, MissingFileIsNotFound) {
  // Given a path that does not exist,
  // we should answer NotFound.
  auto p = StaticProvider::FromEmberCsv("/nonexistent/sunwind/ember.csv");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(StatusCode::kNotFound, p.status().code());
}

}  // namespace
}  // namespace sunwind
