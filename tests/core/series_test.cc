// AlignToGrid (resampling irregular samples), gaps, and provenance runs.
#include "core/series.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <vector>

namespace sunwind {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

// 2022-06-01 00:00 UTC plus an offset: every test works on that day.
const TimePoint kDay = sys_days{year{2022} / June / 1};
TimePoint At(minutes m) { return kDay + m; }

// Compares aligned values cell by cell, NaN matching NaN.
void ExpectValues(const std::vector<double>& expected, const std::vector<double>& actual) {
  ASSERT_EQ(expected.size(), actual.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(actual[i])) << "cell " << i << " should be missing, is " << actual[i];
    } else {
      EXPECT_DOUBLE_EQ(expected[i], actual[i]) << "cell " << i;
    }
  }
}

IntensitySeries SeriesOf(TimePoint start, Duration step, const std::vector<double>& values) {
  IntensitySeries s;
  s.start = start;
  s.step = step;
  for (double v : values) s.Append(v, PointKind::kMeasured, "test");
  return s;
}

class SeriesTest : public ::testing::Test {};

TEST_F(SeriesTest, AlignsHourlySamplesOntoHourlyGridUnchanged) {
  // Given hourly samples and an hourly grid on the same hours,
  // we should return the samples' values unchanged.
  std::vector<Sample> s = {{At(0h), 10}, {At(1h), 20}, {At(2h), 30}, {At(3h), 40}};
  ExpectValues({10, 20, 30, 40}, AlignToGrid(s, At(0h), At(4h), 1h));
}

TEST_F(SeriesTest, KeepsAMissingHourMissing) {
  // Given an hourly series with 03:00 absent,
  // we should leave that cell NaN (not stretch 02:00 over it) and report exactly [03:00, 04:00) as a gap.
  std::vector<Sample> s = {{At(0h), 10}, {At(1h), 20}, {At(2h), 30}, {At(4h), 50}, {At(5h), 60}};
  std::vector<double> v = AlignToGrid(s, At(0h), At(6h), 1h);
  ExpectValues({10, 20, 30, kNoValue, 50, 60}, v);

  std::vector<Gap> gaps = FindGaps(SeriesOf(At(0h), 1h, v));
  ASSERT_EQ(1u, gaps.size());
  EXPECT_EQ(At(3h), gaps[0].from);
  EXPECT_EQ(At(4h), gaps[0].to);
}

TEST_F(SeriesTest, FindsNoGapsInACompleteSeriesAndMergesAdjacentMissingCells) {
  // Given a complete series, and one with two separate runs of missing cells,
  // we should find no gap in the first and exactly two maximal gaps in the second.
  EXPECT_TRUE(FindGaps(SeriesOf(At(0h), 1h, {1, 2, 3})).empty());
  std::vector<Gap> gaps = FindGaps(SeriesOf(At(0h), 1h, {kNoValue, 1, kNoValue, kNoValue, 2}));
  ASSERT_EQ(2u, gaps.size());
  EXPECT_EQ(At(0h), gaps[0].from);
  EXPECT_EQ(At(1h), gaps[0].to);
  EXPECT_EQ(At(2h), gaps[1].from);
  EXPECT_EQ(At(4h), gaps[1].to);
}

TEST_F(SeriesTest, AveragesHalfHourThenQuarterHourSamplesByTime) {
  // Given 30-minute samples that turn into 15-minute samples at 01:30,
  // we should give each hour the time-weighted mean, with no false gap at the switch:
  // [00,01) = (100+200)/2 = 150; [01,02) = (300*30 + 10*15 + 30*15)/60 = 160;
  // [02,03) = (50+70+90+110)/4 = 80.
  std::vector<Sample> s = {{At(0min), 100},  {At(30min), 200}, {At(60min), 300},
                           {At(90min), 10},  {At(105min), 30}, {At(120min), 50},
                           {At(135min), 70}, {At(150min), 90}, {At(165min), 110}};
  ExpectValues({150, 160, 80}, AlignToGrid(s, At(0h), At(3h), 1h));
}

TEST_F(SeriesTest, AveragesQuarterHourThenHourlySamplesByTime) {
  // Given 15-minute samples up to 00:45, then hourly from 01:00,
  // we should give [00,01) the mean of the four quarters (25) and later hours their own value,
  // with the hourly points covering a whole hour each, not 15 minutes.
  std::vector<Sample> s = {{At(0min), 10}, {At(15min), 20}, {At(30min), 30}, {At(45min), 40},
                           {At(1h), 100},  {At(2h), 200},   {At(3h), 300}};
  ExpectValues({25, 100, 200, 300}, AlignToGrid(s, At(0h), At(4h), 1h));
  // And onto a 30-minute grid: pairs of quarters, then each hour split in two.
  ExpectValues({15, 35, 100, 100, 200, 200, 300, 300}, AlignToGrid(s, At(0h), At(4h), 30min));
}

TEST_F(SeriesTest, AveragesQuarterHourThenHourlySwitchMidHour) {
  // Given 15-minute samples at 00:00 and 00:15 and hourly ones from 00:30,
  // we should weight each by the time it covers: [00,01) = (10*15 + 20*15 + 30*30)/60 = 22.5,
  // [01,02) = (30+130)/2 = 80, [02,03) = (130+230)/2 = 180, and [03,04) is only half
  // covered by the last point, so missing.
  std::vector<Sample> s = {{At(0min), 10}, {At(15min), 20}, {At(30min), 30}, {At(90min), 130}, {At(150min), 230}};
  ExpectValues({22.5, 80, 180, kNoValue}, AlignToGrid(s, At(0h), At(4h), 1h));
}

TEST_F(SeriesTest, AlignsOntoGridStartingAtAnUnalignedTime) {
  // Given hourly samples and an hourly grid starting at 08:17,
  // we should mix 43 minutes of one hour with 17 of the next:
  // (60*43 + 120*17)/60 = 77 and (120*43 + 180*17)/60 = 137.
  std::vector<Sample> s = {{At(8h), 60}, {At(9h), 120}, {At(10h), 180}, {At(11h), 240}};
  ExpectValues({77, 137}, AlignToGrid(s, At(8h + 17min), At(10h + 17min), 1h));
}

TEST_F(SeriesTest, LeavesCellsBeyondTheDataMissing) {
  // Given hourly samples 00:00..03:00 and a grid to 06:00,
  // we should cover [03,04) with the last sample and leave the two hours after it missing.
  std::vector<Sample> s = {{At(0h), 10}, {At(1h), 20}, {At(2h), 30}, {At(3h), 40}};
  ExpectValues({10, 20, 30, 40, kNoValue, kNoValue}, AlignToGrid(s, At(0h), At(6h), 1h));
}

TEST_F(SeriesTest, LeavesCellsBeforeTheDataMissing) {
  // Given hourly samples from 00:00 and a grid from 22:00 the day before,
  // we should leave the two cells before the first sample missing.
  std::vector<Sample> s = {{At(0h), 10}, {At(1h), 20}};
  ExpectValues({kNoValue, kNoValue, 10, 20}, AlignToGrid(s, At(-2h), At(2h), 1h));
}

TEST_F(SeriesTest, ShortensTheLastCellToTheGridEnd) {
  // Given a grid [00:00, 02:30) with an hourly step,
  // we should make three cells, the last one [02:00, 02:30) holding the 02:00 value.
  std::vector<Sample> s = {{At(0h), 10}, {At(1h), 20}, {At(2h), 30}, {At(3h), 40}};
  ExpectValues({10, 20, 30}, AlignToGrid(s, At(0h), At(2h + 30min), 1h));
}

TEST_F(SeriesTest, AveragesFinerSamplesOntoACoarserGridWindowInTheMiddle) {
  // Given a full day of 30-minute samples whose value is the minute of the day,
  // we should average each hour of a window in the middle of the data: (60h + 60h+30)/2.
  std::vector<Sample> s;
  for (int m = 0; m < 24 * 60; m += 30) s.push_back({At(minutes{m}), static_cast<double>(m)});
  ExpectValues({600 + 15, 660 + 15, 720 + 15}, AlignToGrid(s, At(10h), At(13h), 1h));
}

TEST_F(SeriesTest, ReturnsNothingForAnEmptyOrReversedGrid) {
  // Given a grid whose end is not after its start,
  // we should return no cells.
  std::vector<Sample> s = {{At(0h), 10}, {At(1h), 20}};
  EXPECT_TRUE(AlignToGrid(s, At(1h), At(1h), 1h).empty());
  EXPECT_TRUE(AlignToGrid(s, At(2h), At(1h), 1h).empty());
}

TEST_F(SeriesTest, SampleReachFollowsTheLocalResolution) {
  // Given hourly points with 03:00 missing,
  // we should let 02:00 reach one hour (not two), and the last point as far as the one before it.
  std::vector<Sample> s = {{At(0h), 1}, {At(1h), 1}, {At(2h), 1}, {At(4h), 1}, {At(5h), 1}};
  std::vector<Duration> reach = SampleReach(s);
  EXPECT_EQ(std::vector<Duration>({1h, 1h, 1h, 1h, 1h}), reach);
}

TEST_F(SeriesTest, AppendMergesConsecutivePointsIntoProvenanceRuns) {
  // Given points appended with changing kind, source and note (and a NaN),
  // we should open a new run exactly where one of them changes, and mark the NaN missing.
  IntensitySeries s;
  s.start = At(0h);
  s.Append(100, PointKind::kMeasured, "EM DE 2022");
  s.Append(110, PointKind::kMeasured, "EM DE 2022");
  s.Append(kNoValue, PointKind::kMeasured, "EM DE 2022");  // a gap: kind becomes missing
  s.Append(120, PointKind::kMeasured, "EM DE 2022");
  s.Append(130, PointKind::kReplayed, "EM DE 2022", "replayed from 2022");
  s.Append(140, PointKind::kReplayed, "EM DE 2022", "replayed from 2022");
  s.Append(150, PointKind::kReplayed, "EM DE 2022", "other note");
  s.Append(160, PointKind::kReplayed, "LWA DE 2020", "other note");

  ASSERT_EQ(8u, s.size());
  ASSERT_EQ(6u, s.provenance.size());
  EXPECT_EQ(0u, s.provenance[0].begin);
  EXPECT_EQ(PointKind::kMeasured, s.provenance[0].kind);
  EXPECT_EQ(2u, s.provenance[1].begin);
  EXPECT_EQ(PointKind::kMissing, s.provenance[1].kind);
  EXPECT_EQ(3u, s.provenance[2].begin);
  EXPECT_EQ(PointKind::kMeasured, s.provenance[2].kind);
  EXPECT_EQ(4u, s.provenance[3].begin);
  EXPECT_EQ(PointKind::kReplayed, s.provenance[3].kind);
  EXPECT_EQ("replayed from 2022", s.provenance[3].note);
  EXPECT_EQ(6u, s.provenance[4].begin);
  EXPECT_EQ("other note", s.provenance[4].note);
  EXPECT_EQ(7u, s.provenance[5].begin);
  EXPECT_EQ("LWA DE 2020", s.provenance[5].source);
  EXPECT_TRUE(s.IsMissing(2));
  EXPECT_FALSE(s.IsMissing(3));
  EXPECT_EQ(At(8h), s.end());
}

TEST_F(SeriesTest, ProvenanceAtFindsTheRunHoldingEachPoint) {
  // Given runs starting at 0, 2 and 5,
  // we should find for each point the run that holds it, including the runs' first and last points.
  IntensitySeries s;
  s.start = At(0h);
  for (int i = 0; i < 2; ++i) s.Append(1, PointKind::kMeasured, "a");
  for (int i = 0; i < 3; ++i) s.Append(1, PointKind::kReplayed, "b");
  for (int i = 0; i < 2; ++i) s.Append(1, PointKind::kEstimated, "c");
  const char* expected[] = {"a", "a", "b", "b", "b", "c", "c"};
  for (size_t i = 0; i < s.size(); ++i) {
    EXPECT_EQ(expected[i], s.ProvenanceAt(i).source) << "point " << i;
  }
  EXPECT_EQ(PointKind::kReplayed, s.ProvenanceAt(4).kind);
  EXPECT_EQ(PointKind::kEstimated, s.ProvenanceAt(5).kind);
}

TEST_F(SeriesTest, TimeAtStepsFromStart) {
  // Given a 15-minute series starting at 08:17,
  // we should place point 3 at 09:02 and the end after the last point.
  IntensitySeries s = SeriesOf(At(8h + 17min), 15min, {1, 2, 3, 4});
  EXPECT_EQ(At(9h + 2min), s.TimeAt(3));
  EXPECT_EQ(At(9h + 17min), s.end());
}

TEST_F(SeriesTest, NamesPointKindsAndSignals) {
  // Given each kind and signal,
  // we should print the word the reports use.
  EXPECT_STREQ("measured", PointKindName(PointKind::kMeasured));
  EXPECT_STREQ("forecast", PointKindName(PointKind::kForecast));
  EXPECT_STREQ("estimated", PointKindName(PointKind::kEstimated));
  EXPECT_STREQ("replayed", PointKindName(PointKind::kReplayed));
  EXPECT_STREQ("missing", PointKindName(PointKind::kMissing));
  EXPECT_STREQ("average", SignalName(Signal::kAverage));
  EXPECT_STREQ("marginal", SignalName(Signal::kMarginal));
}

}  // namespace
}  // namespace sunwind

namespace sunwind {
namespace {

TEST(HeadTest, KeepsTheFirstPointsAndTheirProvenanceRuns) {
  // Given a series of measured then replayed points, we should cut it to its
  // first n points with only the provenance runs that begin inside them.
  IntensitySeries s;
  s.start = TimePoint(std::chrono::hours(10));
  for (int i = 0; i < 3; ++i) s.Append(100 + i, PointKind::kMeasured, "a");
  for (int i = 0; i < 3; ++i) s.Append(200 + i, PointKind::kReplayed, "b");
  IntensitySeries two = Head(s, 2);
  EXPECT_EQ(two.values, (std::vector<double>{100, 101}));
  ASSERT_EQ(two.provenance.size(), 1u);
  EXPECT_EQ(two.provenance[0].source, "a");
  EXPECT_EQ(two.start, s.start);
  IntensitySeries four = Head(s, 4);
  ASSERT_EQ(four.provenance.size(), 2u);
  EXPECT_EQ(four.ProvenanceAt(3).kind, PointKind::kReplayed);
  EXPECT_EQ(Head(s, 99).values.size(), 6u);
}

}  // namespace
}  // namespace sunwind
