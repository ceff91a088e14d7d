// TraceProvider on the bundled traces (data/traces/manifest.yaml) and on user
// trace files: recorded values, replay into other years, parent zones, gaps.
#include "providers/trace_provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/providers/test_files.h"

namespace sunwind {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kManifest = SUNWIND_TEST_DATA_DIR "/traces/manifest.yaml";
const std::string kEmDir = SUNWIND_TEST_DATA_DIR "/traces/electricitymaps/";

TimePoint Utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0) {
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi};
}

// "YYYY-MM-DD HH:MM:SS", the time text of the bundled files, built without FormatTime.
std::string FileKey(TimePoint t) {
  sys_days d = floor<days>(t);
  year_month_day ymd{d};
  hh_mm_ss<seconds> hms{t - d};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

// ISO week number by the ordinal-date rule, (ordinal - weekday + 10) / 7: a
// different route from the product's Thursday rule. Valid when the answer is
// 1..52, which holds for the mid-year dates it is used on.
int IsoWeekByOrdinal(sys_days d) {
  year_month_day ymd{d};
  int ordinal = static_cast<int>((d - sys_days{ymd.year() / January / 1}).count()) + 1;
  int wd = static_cast<int>(weekday{d}.iso_encoding());
  return (ordinal - wd + 10) / 7;
}

IntensityQuery Query(const std::string& zone, TimePoint from, Duration length,
                     EmissionFactor factor = EmissionFactor::kLifecycle) {
  IntensityQuery q;
  q.zone = zone;
  q.from = from;
  q.to = from + length;
  q.step = 1h;
  q.factor = factor;
  return q;
}

class TraceProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = TraceProvider::FromManifest(kManifest);
    ASSERT_TRUE(p.ok()) << p.status().message();
    provider_ = std::move(p).value();
  }

  // Lifecycle values of a bundled Electricity Maps file at the given hours.
  static std::vector<double> EmLifecycle(const std::string& file, const std::vector<TimePoint>& hours) {
    auto rows = testutil::ReadEmFile(kEmDir + file);
    std::vector<double> out;
    for (TimePoint t : hours) {
      auto it = rows.find(FileKey(t));
      EXPECT_NE(rows.end(), it) << file << " has no row " << FileKey(t);
      out.push_back(it == rows.end() ? kNoValue : it->second.lifecycle);
    }
    return out;
  }

  static std::vector<TimePoint> Hours(TimePoint from, int n) {
    std::vector<TimePoint> out;
    for (int i = 0; i < n; ++i) out.push_back(from + hours{i});
    return out;
  }

  std::unique_ptr<TraceProvider> provider_;
};

TEST_F(TraceProviderTest, ReturnsRecordedLifecycleValuesForDe2022) {
  // Given DE on 2022-06-01 12:00..16:00 UTC, inside the bundled 2022 trace,
  // we should return the file's LCA column for those hours, as measured, from Electricity Maps.
  auto s = provider_->Intensity(Query("DE", Utc(2022, 6, 1, 12), 4h));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(Utc(2022, 6, 1, 12), s->start);
  EXPECT_EQ(Duration{3600}, s->step);
  EXPECT_EQ(EmLifecycle("DE_2022_hourly.csv", Hours(Utc(2022, 6, 1, 12), 4)), s->values);
  ASSERT_EQ(1u, s->provenance.size());
  EXPECT_EQ(PointKind::kMeasured, s->provenance[0].kind);
  EXPECT_EQ("Electricity Maps, DE 2022 hourly (lifecycle)", s->provenance[0].source);
  EXPECT_EQ("", s->provenance[0].note);
}

TEST_F(TraceProviderTest, DirectEmissionFactorGivesTheDirectColumn) {
  // Given the same DE window asked with --emission-factor direct,
  // we should return the file's direct column instead.
  auto s = provider_->Intensity(Query("DE", Utc(2022, 6, 1, 12), 4h, EmissionFactor::kDirect));
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto rows = testutil::ReadEmFile(kEmDir + "DE_2022_hourly.csv");
  std::vector<double> expected;
  for (TimePoint t : Hours(Utc(2022, 6, 1, 12), 4)) expected.push_back(rows.at(FileKey(t)).direct);
  EXPECT_EQ(expected, s->values);
  EXPECT_NE(EmLifecycle("DE_2022_hourly.csv", Hours(Utc(2022, 6, 1, 12), 4)), s->values);
  EXPECT_EQ("Electricity Maps, DE 2022 hourly (direct)", s->provenance[0].source);
}

TEST_F(TraceProviderTest, ReplaysAFutureTimeFromTheSameIsoWeekWeekdayAndHourOf2022) {
  // Given DE on Wednesday 2025-06-04 10:00..14:00 (ISO week 23), after the traces end,
  // we should replay Wednesday 2022-06-08 10:00..14:00 (also ISO week 23) and say so.
  const sys_days asked = sys_days{2025y / June / 4}, replayed = sys_days{2022y / June / 8};
  ASSERT_EQ(Wednesday, weekday{asked});
  ASSERT_EQ(Wednesday, weekday{replayed});
  ASSERT_EQ(23, IsoWeekByOrdinal(asked));
  ASSERT_EQ(23, IsoWeekByOrdinal(replayed));

  auto s = provider_->Intensity(Query("DE", asked + 10h, 4h));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(EmLifecycle("DE_2022_hourly.csv", Hours(replayed + 10h, 4)), s->values);
  ASSERT_EQ(1u, s->provenance.size());
  EXPECT_EQ(PointKind::kReplayed, s->provenance[0].kind);
  EXPECT_THAT(s->provenance[0].note, HasSubstr("replayed from 2022"));
  EXPECT_EQ("Electricity Maps, DE 2022 hourly (lifecycle)", s->provenance[0].source);
}

TEST_F(TraceProviderTest, ReplaysNewYearsDay2026FromTheFirstIsoWeekOf2022) {
  // Given DE on Thursday 2026-01-01 00:00..03:00 (ISO 2026-W01-4),
  // we should replay Thursday 2022-01-06 (2022-W01-4; 2022-W01 begins Monday 2022-01-03), inside 2022.
  ASSERT_EQ(Thursday, weekday{sys_days{2026y / January / 1}});
  ASSERT_EQ(Monday, weekday{sys_days{2022y / January / 3}});
  auto s = provider_->Intensity(Query("DE", Utc(2026, 1, 1, 0), 3h));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(EmLifecycle("DE_2022_hourly.csv", Hours(Utc(2022, 1, 6, 0), 3)), s->values);
  EXPECT_EQ(PointKind::kReplayed, s->ProvenanceAt(0).kind);
}

TEST_F(TraceProviderTest, ReplaysIsoWeek53IntoWeek52Of2022) {
  // Given DE on Friday 2027-01-01, which is in ISO week 53 of 2026 (2026 begins on a Thursday),
  // we should replay Friday of week 52 of 2022, which has no week 53: 2022-12-30.
  ASSERT_EQ(Friday, weekday{sys_days{2027y / January / 1}});
  ASSERT_EQ(Thursday, weekday{sys_days{2026y / January / 1}});
  ASSERT_EQ(Friday, weekday{sys_days{2022y / December / 30}});
  auto s = provider_->Intensity(Query("DE", Utc(2027, 1, 1, 0), 3h));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(EmLifecycle("DE_2022_hourly.csv", Hours(Utc(2022, 12, 30, 0), 3)), s->values);
  EXPECT_EQ(PointKind::kReplayed, s->ProvenanceAt(0).kind);
}

TEST_F(TraceProviderTest, KeepsReplayInsideTheYearAcrossAnIsoYearBoundary) {
  // Given DE from Sunday 2025-12-28 22:00 to Monday 2025-12-29 02:00: the Sunday is 2025-W52-7,
  // whose 2022 twin (2022-W52-7) is 2023-01-01, outside 2022; the Monday is 2026-W01-1,
  // we should replay the Sunday from the last Sunday inside 2022 (2022-12-25) and the Monday
  // from 2022-W01-1 (2022-01-03), all replayed, none missing.
  ASSERT_EQ(Sunday, weekday{sys_days{2025y / December / 28}});
  ASSERT_EQ(Sunday, weekday{sys_days{2022y / December / 25}});
  ASSERT_EQ(Monday, weekday{sys_days{2025y / December / 29}});
  auto s = provider_->Intensity(Query("DE", Utc(2025, 12, 28, 22), 4h));
  ASSERT_TRUE(s.ok()) << s.status().message();
  std::vector<double> expected = EmLifecycle("DE_2022_hourly.csv", Hours(Utc(2022, 12, 25, 22), 2));
  for (double v : EmLifecycle("DE_2022_hourly.csv", Hours(Utc(2022, 1, 3, 0), 2))) expected.push_back(v);
  EXPECT_EQ(expected, s->values);
  for (size_t i = 0; i < s->size(); ++i) EXPECT_EQ(PointKind::kReplayed, s->ProvenanceAt(i).kind) << i;
}

TEST_F(TraceProviderTest, ChildZoneFallsBackToItsParentWithANote) {
  // Given NO-NO1, which has no trace of its own, on 2022-06-01 12:00..15:00,
  // we should answer with Norway's 2022 trace and a note naming the enclosing zone NO.
  auto s = provider_->Intensity(Query("NO-NO1", Utc(2022, 6, 1, 12), 3h));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(EmLifecycle("NO_2022_hourly.csv", Hours(Utc(2022, 6, 1, 12), 3)), s->values);
  ASSERT_EQ(1u, s->provenance.size());
  EXPECT_EQ(PointKind::kMeasured, s->provenance[0].kind);
  EXPECT_EQ("trace of the enclosing zone NO", s->provenance[0].note);
}

TEST_F(TraceProviderTest, ChildZoneReplayNamesBothTheYearAndTheParent) {
  // Given NO-NO1 in 2025, after Norway's traces (2021..2023) end,
  // we should replay the latest year, 2023, and the note should name it and the parent zone.
  auto s = provider_->Intensity(Query("NO-NO1", Utc(2025, 6, 4, 10), 2h));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(PointKind::kReplayed, s->provenance[0].kind);
  EXPECT_THAT(s->provenance[0].note, HasSubstr("replayed from 2023"));
  EXPECT_THAT(s->provenance[0].note, HasSubstr("enclosing zone NO"));
  // 2025-06-04 is Wednesday of ISO week 23; so is 2023-06-07.
  ASSERT_EQ(23, IsoWeekByOrdinal(sys_days{2023y / June / 7}));
  EXPECT_EQ(EmLifecycle("NO_2023_hourly.csv", Hours(Utc(2023, 6, 7, 10), 2)), s->values);
}

TEST_F(TraceProviderTest, UnknownZoneIsNotFound) {
  // Given a zone with no trace, and no parent with one,
  // we should answer NotFound so a chain can ask the next provider.
  auto s = provider_->Intensity(Query("XX-YY", Utc(2022, 6, 1, 12), 1h));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(StatusCode::kNotFound, s.status().code());
  EXPECT_EQ("no trace for zone 'XX-YY'", s.status().message());
}

TEST_F(TraceProviderTest, RefusesAnEmptyOrReversedRange) {
  // Given a query whose end is not after its start,
  // we should refuse it as invalid.
  IntensityQuery q = Query("DE", Utc(2022, 6, 1, 12), 0h);
  auto s = provider_->Intensity(q);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(StatusCode::kInvalidArgument, s.status().code());
  EXPECT_EQ("empty or reversed time range for zone 'DE'", s.status().message());
}

TEST_F(TraceProviderTest, UserTraceTakesPrecedenceOverBundledData) {
  // Given a user trace for DE covering 2022-06-01 12:00..16:00 with values 1..4,
  // we should answer those values for DE, labelled as the user's file.
  testutil::TempDir dir;
  std::string path = dir.Write("de.csv",
                               "datetime,carbon_intensity\n"
                               "2022-06-01T12:00:00Z,1\n2022-06-01T13:00:00Z,2\n"
                               "2022-06-01T14:00:00Z,3\n2022-06-01T15:00:00Z,4\n");
  ASSERT_TRUE(provider_->AddUserTrace(path, "DE").ok());
  auto s = provider_->Intensity(Query("DE", Utc(2022, 6, 1, 12), 4h));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(std::vector<double>({1, 2, 3, 4}), s->values);
  EXPECT_EQ(PointKind::kMeasured, s->provenance[0].kind);
  EXPECT_EQ("trace file " + path + " (emission factor as given in the file)", s->provenance[0].source);
}

TEST_F(TraceProviderTest, UserTraceReplacesBundledTracesOfItsZone) {
  // Given a user trace for DE covering only 2022-06-01 12:00..14:00,
  // we should not fill the next hours from the bundled DE trace: they are missing.
  testutil::TempDir dir;
  std::string path =
      dir.Write("de.csv", "datetime,carbon_intensity\n2022-06-01T12:00:00Z,1\n2022-06-01T13:00:00Z,2\n");
  ASSERT_TRUE(provider_->AddUserTrace(path, "DE").ok());
  auto s = provider_->Intensity(Query("DE", Utc(2022, 6, 1, 12), 4h));
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(4u, s->size());
  EXPECT_EQ(1, s->values[0]);
  EXPECT_EQ(2, s->values[1]);
  EXPECT_TRUE(s->IsMissing(2));
  EXPECT_TRUE(s->IsMissing(3));
  EXPECT_EQ(PointKind::kMissing, s->ProvenanceAt(3).kind);
}

TEST_F(TraceProviderTest, UserTraceForAZoneWithoutBundledData) {
  // Given a user trace for zone XX (a file with a zone column),
  // we should answer for XX and list XX among the zones.
  testutil::TempDir dir;
  std::string path = dir.Write("xx.csv", "datetime,zone,carbon_intensity\n2022-06-01T12:00:00Z,XX,42\n"
                                         "2022-06-01T13:00:00Z,XX,43\n");
  ASSERT_TRUE(provider_->AddUserTrace(path, "").ok());
  auto s = provider_->Intensity(Query("XX", Utc(2022, 6, 1, 12), 2h));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(std::vector<double>({42, 43}), s->values);
  EXPECT_THAT(provider_->Zones(), ::testing::Contains("XX"));
}

TEST_F(TraceProviderTest, AddUserTraceReportsAnUnreadableFile) {
  // Given a user trace with a bad value,
  // we should refuse it with the parser's message and add nothing.
  testutil::TempDir dir;
  std::string path = dir.Write("bad.csv", "datetime,carbon_intensity\n2022-06-01T12:00:00Z,lots\n");
  Status st = provider_->AddUserTrace(path, "DE");
  EXPECT_EQ(StatusCode::kInvalidArgument, st.code());
  EXPECT_EQ(path + ":2: column 'carbon_intensity': not a number: 'lots'", st.message());
  auto s = provider_->Intensity(Query("DE", Utc(2022, 6, 1, 12), 1h));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(EmLifecycle("DE_2022_hourly.csv", Hours(Utc(2022, 6, 1, 12), 1)), s->values);
}

TEST_F(TraceProviderTest, AveragesFrHalfHourlyTraceToTheHour) {
  // Given FR, whose only trace is the 30-minute Let's Wait Awhile series of 2020,
  // we should give each hour of 2020-06-01 12:00..15:00 the mean of its two half-hours.
  auto rows = testutil::ReadLwaFile(SUNWIND_TEST_DATA_DIR "/traces/lets_wait_awhile/fr_ci.csv");
  std::vector<double> expected;
  for (int h = 12; h < 15; ++h) {
    TimePoint t = Utc(2020, 6, 1, h);
    ASSERT_TRUE(rows.count(FileKey(t)) && rows.count(FileKey(t + 30min))) << FileKey(t);
    expected.push_back((rows.at(FileKey(t)) + rows.at(FileKey(t + 30min))) / 2);
  }
  auto s = provider_->Intensity(Query("FR", Utc(2020, 6, 1, 12), 3h));
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(3u, s->size());
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(expected[i], s->values[i], 1e-9) << i;
  EXPECT_EQ(PointKind::kMeasured, s->provenance[0].kind);
  EXPECT_THAT(s->provenance[0].source, HasSubstr("FR 2020"));
  EXPECT_THAT(s->provenance[0].source, HasSubstr("(emission factor as given in the file)"));
}

TEST_F(TraceProviderTest, YearsWithDataCountsYearsCoveredAtLeastHalf) {
  // Given the bundled traces,
  // we should count DE's 2020 (Let's Wait Awhile) and 2022 but not the few days of 2019 and 2021
  // that the 2020 file spills into, and Norway's three years.
  EXPECT_EQ(std::set<int>({2020, 2022}), provider_->YearsWithData("DE", EmissionFactor::kLifecycle));
  EXPECT_EQ(std::set<int>({2021, 2022, 2023}), provider_->YearsWithData("NO", EmissionFactor::kLifecycle));
  EXPECT_TRUE(provider_->YearsWithData("XX", EmissionFactor::kLifecycle).empty());
}

TEST_F(TraceProviderTest, ListsTheBundledZones) {
  // Given the manifest,
  // we should list each zone once, sorted.
  EXPECT_EQ(std::vector<std::string>({"BR", "DE", "ES", "FR", "GB", "NO", "US-CAL-CISO"}), provider_->Zones());
}

// A year-long hourly user trace for zone XX over 2021 and 2022 whose value at
// hour i (counted from 2021-01-01 00:00 UTC) is 100 + (i % 500) / 2, with one
// hour left out: 2021-03-10 05:00.
class TraceProviderGapTest : public TraceProviderTest {
 protected:
  static constexpr int kHours = (365 + 365) * 24;
  static TimePoint Start() { return Utc(2021, 1, 1); }
  static TimePoint Hole() { return Utc(2021, 3, 10, 5); }
  static double ValueAt(TimePoint t) {
    long long i = duration_cast<hours>(t - Start()).count();
    return 100 + static_cast<double>(i % 500) / 2;
  }

  void SetUp() override {
    TraceProviderTest::SetUp();
    std::string text = "datetime,carbon_intensity\n";
    for (int i = 0; i < kHours; ++i) {
      TimePoint t = Start() + hours{i};
      if (t == Hole()) continue;
      char value[32];
      std::snprintf(value, sizeof value, "%.1f", ValueAt(t));
      text += FileKey(t) + "," + value + "\n";
    }
    path_ = dir_.Write("xx.csv", text);
    Status st = provider_->AddUserTrace(path_, "XX");
    ASSERT_TRUE(st.ok()) << st.message();
  }

  testutil::TempDir dir_;
  std::string path_;
};

TEST_F(TraceProviderGapTest, GapInsideACoveredYearStaysMissing) {
  // Given a missing hour inside 2021, a year the trace covers,
  // we should return it as missing (NaN, kind missing), not replayed from 2022 and not zero,
  // and the hours around it as measured.
  auto s = provider_->Intensity(Query("XX", Hole() - 2h, 5h));
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(5u, s->size());
  EXPECT_EQ(ValueAt(Hole() - 2h), s->values[0]);
  EXPECT_EQ(ValueAt(Hole() - 1h), s->values[1]);
  EXPECT_TRUE(s->IsMissing(2)) << s->values[2];
  EXPECT_EQ(PointKind::kMissing, s->ProvenanceAt(2).kind);
  EXPECT_EQ("no recorded value", s->ProvenanceAt(2).note);
  EXPECT_EQ(ValueAt(Hole() + 1h), s->values[3]);
  EXPECT_EQ(ValueAt(Hole() + 2h), s->values[4]);
  EXPECT_EQ(PointKind::kMeasured, s->ProvenanceAt(0).kind);
  EXPECT_EQ(PointKind::kMeasured, s->ProvenanceAt(4).kind);
  EXPECT_EQ(std::set<int>({2021, 2022}), provider_->YearsWithData("XX", EmissionFactor::kLifecycle));
}

TEST_F(TraceProviderGapTest, YearAfterTheUserTraceIsReplayedFromItsLatestYear) {
  // Given Wednesday 2023-06-07 (ISO week 23), after the user trace ends,
  // we should replay Wednesday 2022-06-08 of the same trace.
  ASSERT_EQ(23, IsoWeekByOrdinal(sys_days{2023y / June / 7}));
  auto s = provider_->Intensity(Query("XX", Utc(2023, 6, 7, 10), 2h));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(std::vector<double>({ValueAt(Utc(2022, 6, 8, 10)), ValueAt(Utc(2022, 6, 8, 11))}), s->values);
  EXPECT_EQ(PointKind::kReplayed, s->provenance[0].kind);
  EXPECT_THAT(s->provenance[0].note, HasSubstr("replayed from 2022"));
}

class TraceManifestTest : public ::testing::Test {};

TEST_F(TraceManifestTest, MissingManifestIsNotFound) {
  // Given a manifest path that does not exist,
  // we should answer NotFound naming it.
  auto p = TraceProvider::FromManifest("/nonexistent/sunwind/manifest.yaml");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(StatusCode::kNotFound, p.status().code());
  EXPECT_EQ("cannot open '/nonexistent/sunwind/manifest.yaml'", p.status().message());
}

TEST_F(TraceManifestTest, ManifestWithoutTracesListIsRefused) {
  // Given a YAML manifest without a top-level traces list,
  // we should refuse it and say what was expected.
  testutil::TempDir dir;
  std::string path = dir.Write("manifest.yaml", "files:\n  - a.csv\n");
  auto p = TraceProvider::FromManifest(path);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(path + ": expected a top-level 'traces:' list", p.status().message());
}

TEST_F(TraceManifestTest, ManifestEntryWithoutLabelNamesItsLineAndField) {
  // Given a second entry (starting on line 5) without a label,
  // we should refuse the manifest, naming line 5 and the field.
  testutil::TempDir dir;
  std::string path = dir.Write("manifest.yaml",
                               "traces:\n"
                               "  - file: a.csv\n"
                               "    zone: DE\n"
                               "    label: A\n"
                               "  - file: b.csv\n"
                               "    zone: FR\n");
  auto p = TraceProvider::FromManifest(path);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(StatusCode::kInvalidArgument, p.status().code());
  EXPECT_EQ(path + ":5: field 'label': missing", p.status().message());
}

TEST_F(TraceManifestTest, BundledFileThatCannotBeReadIsReportedOnFirstUse) {
  // Given a manifest naming a file that does not exist,
  // we should load the manifest, and fail the first query for that zone naming the file.
  testutil::TempDir dir;
  std::string path = dir.Write("manifest.yaml", "traces:\n  - file: gone.csv\n    zone: DE\n    label: Gone\n");
  auto p = TraceProvider::FromManifest(path);
  ASSERT_TRUE(p.ok()) << p.status().message();
  auto s = (*p)->Intensity(Query("DE", Utc(2022, 6, 1), 1h));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(StatusCode::kNotFound, s.status().code());
  EXPECT_EQ("bundled trace: cannot open '" + dir.path().string() + "/gone.csv'", s.status().message());
}

}  // namespace
}  // namespace sunwind
