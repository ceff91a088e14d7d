// ParseTime, FormatTime, durations, flooring, ISO week dates and ManualClock.
#include "core/time.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace sunwind {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

// A UTC instant built from calendar fields, independently of ParseTime.
TimePoint Utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

sys_days Day(int y, unsigned mo, unsigned d) { return sys_days{year{y} / month{mo} / day{d}}; }

class TimeTest : public ::testing::Test {};

TEST_F(TimeTest, ParsesUtcWithZ) {
  // Given an RFC 3339 instant ending in Z,
  // we should read it as that UTC instant.
  auto t = ParseTime("2022-06-01T12:34:56Z");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(Utc(2022, 6, 1, 12, 34, 56), *t);
}

TEST_F(TimeTest, ParsesHoursAndMinutesWithoutSeconds) {
  // Given "2022-06-01T12:00Z" (no seconds), the form the error text suggests,
  // we should read 12:00:00 UTC.
  auto t = ParseTime("2022-06-01T12:00Z");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(Utc(2022, 6, 1, 12), *t);
}

TEST_F(TimeTest, ConvertsColonOffsetToUtc) {
  // Given a local time two hours ahead of UTC,
  // we should subtract the offset.
  auto t = ParseTime("2022-06-01T12:00:00+02:00");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(Utc(2022, 6, 1, 10), *t);
}

TEST_F(TimeTest, ConvertsCompactOffsetWithMinutesToUtc) {
  // Given an offset written +HHMM with minutes (India, +05:30),
  // we should subtract five and a half hours.
  auto t = ParseTime("2022-06-01T12:00:00+0530");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(Utc(2022, 6, 1, 6, 30), *t);
}

TEST_F(TimeTest, ConvertsNegativeHourOnlyOffsetToUtc) {
  // Given an offset written -HH (five hours behind UTC),
  // we should add five hours, crossing into the next day.
  auto t = ParseTime("2022-06-01T22:00:00-05");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(Utc(2022, 6, 2, 3), *t);
}

TEST_F(TimeTest, TakesNaiveTimestampAsUtc) {
  // Given the Electricity Maps form "YYYY-MM-DD HH:MM:SS" with no zone,
  // we should take it as UTC.
  auto t = ParseTime("2022-06-01 12:00:00");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(Utc(2022, 6, 1, 12), *t);
}

TEST_F(TimeTest, TakesDateOnlyAsMidnightUtc) {
  // Given a date alone,
  // we should read midnight UTC of that day.
  auto t = ParseTime("2022-06-01");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(Utc(2022, 6, 1), *t);
}

TEST_F(TimeTest, TruncatesFractionalSeconds) {
  // Given fractional seconds and an offset,
  // we should drop the fraction (not round it up) and apply the offset.
  auto t = ParseTime("2022-06-01T12:00:05.999+02:00");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(Utc(2022, 6, 1, 10, 0, 5), *t);
}

TEST_F(TimeTest, AcceptsLeapDayOfLeapYear) {
  // Given 29 February of 2024, a leap year,
  // we should accept it.
  auto t = ParseTime("2024-02-29T06:00Z");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(Utc(2024, 2, 29, 6), *t);
}

TEST_F(TimeTest, RejectsLeapDayOfCommonYear) {
  // Given 29 February of 2023, which is not a leap year,
  // we should refuse it as no such date, naming the input.
  auto t = ParseTime("2023-02-29");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(StatusCode::kInvalidArgument, t.status().code());
  EXPECT_EQ("invalid time '2023-02-29': no such calendar date (expected ISO 8601 such as 2022-06-01T12:00Z)",
            t.status().message());
}

TEST_F(TimeTest, RejectsGarbageNamingTheInput) {
  // Given text that is not a time at all,
  // we should refuse it with a message that quotes the input.
  auto t = ParseTime("next tuesday");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(StatusCode::kInvalidArgument, t.status().code());
  EXPECT_EQ("invalid time 'next tuesday': the date must be YYYY-MM-DD (expected ISO 8601 such as 2022-06-01T12:00Z)",
            t.status().message());
}

TEST_F(TimeTest, RejectsTrailingText) {
  // Given a valid instant followed by junk,
  // we should refuse it and say which text was unexpected.
  auto t = ParseTime("2022-06-01T12:00Zulu");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ("invalid time '2022-06-01T12:00Zulu': unexpected text 'Zulu' (expected ISO 8601 such as 2022-06-01T12:00Z)",
            t.status().message());
}

TEST_F(TimeTest, RejectsOutOfRangeHour) {
  // Given hour 25,
  // we should refuse it.
  auto t = ParseTime("2022-06-01T25:00Z");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ("invalid time '2022-06-01T25:00Z': hour, minute or second out of range (expected ISO 8601 such as "
            "2022-06-01T12:00Z)",
            t.status().message());
}

// Fails today: the offset reader skips a ':' and then accepts the end of the
// text in place of the minutes, so "+02:" is read as "+02:00".
TEST_F(TimeTest, RejectsOffsetWithDanglingColon) {
  // Given an offset cut off after its colon,
  // we should refuse it rather than guess ":00".
  auto t = ParseTime("2022-06-01T12:00+02:");
  ASSERT_FALSE(t.ok()) << FormatTime(*t);
  EXPECT_EQ("invalid time '2022-06-01T12:00+02:': the UTC offset minutes must be two digits (expected ISO 8601 "
            "such as 2022-06-01T12:00Z)",
            t.status().message());
}

TEST_F(TimeTest, FormatsAsRfc3339Utc) {
  // Given an instant,
  // we should format it as YYYY-MM-DDTHH:MM:SSZ with zero padding.
  EXPECT_EQ("2022-06-01T09:05:07Z", FormatTime(Utc(2022, 6, 1, 9, 5, 7)));
}

TEST_F(TimeTest, FormatTimeRoundTripsThroughParseTime) {
  // Given instants including one before the Unix epoch and a leap day,
  // we should get each back from ParseTime(FormatTime(t)).
  for (TimePoint t : {Utc(2022, 6, 1, 12), Utc(2024, 2, 29, 23, 59, 59), Utc(1969, 12, 31, 23, 59, 59),
                      Utc(2030, 1, 1)}) {
    auto back = ParseTime(FormatTime(t));
    ASSERT_TRUE(back.ok()) << FormatTime(t) << ": " << back.status().message();
    EXPECT_EQ(t, *back) << FormatTime(t);
  }
  EXPECT_EQ("1969-12-31T23:59:59Z", FormatTime(Utc(1969, 12, 31, 23, 59, 59)));
}

TEST_F(TimeTest, ParsesMinutesDuration) {
  // Given "90m",
  // we should read 5400 seconds.
  auto d = ParseDuration("90m");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(Duration{5400}, *d);
}

TEST_F(TimeTest, ParsesCompoundDuration) {
  // Given "1h30m",
  // we should add the parts: 5400 seconds.
  auto d = ParseDuration("1h30m");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(Duration{5400}, *d);
}

TEST_F(TimeTest, ParsesDaysDuration) {
  // Given "2d",
  // we should read two days.
  auto d = ParseDuration("2d");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(Duration{2 * 86400}, *d);
}

TEST_F(TimeTest, ParsesFractionalHoursDuration) {
  // Given "1.5h",
  // we should read an hour and a half.
  auto d = ParseDuration("1.5h");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(Duration{5400}, *d);
}

TEST_F(TimeTest, ParsesBareNumberAsSeconds) {
  // Given "3600" with no unit,
  // we should read seconds.
  auto d = ParseDuration("3600");
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(Duration{3600}, *d);
}

TEST_F(TimeTest, RejectsZeroDurationUnlessAllowed) {
  // Given "0",
  // we should refuse it by default and accept it when zero is allowed.
  auto d = ParseDuration("0");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(StatusCode::kInvalidArgument, d.status().code());
  EXPECT_EQ("invalid duration '0': must be positive (expected e.g. 90m, 4h, 1h30m, 2d)", d.status().message());

  auto z = ParseDuration("0", /*allow_zero=*/true);
  ASSERT_TRUE(z.ok()) << z.status().message();
  EXPECT_EQ(Duration{0}, *z);
}

TEST_F(TimeTest, RejectsUnknownDurationUnit) {
  // Given "5x",
  // we should refuse it and name the unit.
  auto d = ParseDuration("5x");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ("invalid duration '5x': unknown unit 'x' (expected e.g. 90m, 4h, 1h30m, 2d)", d.status().message());
}

TEST_F(TimeTest, RejectsNumberWithoutUnitAfterAUnit) {
  // Given "1h30" (minutes unit forgotten),
  // we should refuse it rather than read 30 seconds.
  auto d = ParseDuration("1h30");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ("invalid duration '1h30': a number without a unit after a unit (expected e.g. 90m, 4h, 1h30m, 2d)",
            d.status().message());
}

// Fails today: std::stod reads "1.2" out of "1.2.3" and the rest is dropped,
// so "1.2.3h" is taken as 1.2 hours (4320 s).
TEST_F(TimeTest, RejectsDurationNumberWithTwoDecimalPoints) {
  // Given "1.2.3h", a typo,
  // we should refuse it rather than read 1.2 hours.
  auto d = ParseDuration("1.2.3h");
  ASSERT_FALSE(d.ok()) << d->count() << " s";
  EXPECT_EQ("invalid duration '1.2.3h': not a number (expected e.g. 90m, 4h, 1h30m, 2d)", d.status().message());
}

TEST_F(TimeTest, FormatsDurationsInLargestUnits) {
  // Given durations,
  // we should print them as days, hours, minutes and seconds, omitting zero parts.
  EXPECT_EQ("1h30m", FormatDuration(Duration{5400}));
  EXPECT_EQ("2d3h", FormatDuration(Duration{2 * 86400 + 3 * 3600}));
  EXPECT_EQ("45s", FormatDuration(Duration{45}));
  EXPECT_EQ("0s", FormatDuration(Duration{0}));
}

TEST_F(TimeTest, FloorsToStepSinceEpoch) {
  // Given 12:34:56,
  // we should floor to 12:00 on an hourly step and to 12:30 on a 15-minute step.
  EXPECT_EQ(Utc(2022, 6, 1, 12), FloorTo(Utc(2022, 6, 1, 12, 34, 56), 1h));
  EXPECT_EQ(Utc(2022, 6, 1, 12, 30), FloorTo(Utc(2022, 6, 1, 12, 34, 56), 15min));
  EXPECT_EQ(Utc(2022, 6, 1, 12), FloorTo(Utc(2022, 6, 1, 12), 1h));  // already aligned
}

TEST_F(TimeTest, FloorsDownBeforeTheEpoch) {
  // Given an instant before 1970 (negative seconds),
  // we should still floor towards the past, not towards zero.
  EXPECT_EQ(Utc(1969, 12, 31, 23), FloorTo(Utc(1969, 12, 31, 23, 30), 1h));
}

TEST_F(TimeTest, IsoWeekDateOfSundayInWeek53OfPreviousYear) {
  // Given 2021-01-03, a Sunday that belongs to the last ISO week of 2020,
  // we should report 2020-W53-7.
  IsoWeekDate w = ToIsoWeekDate(Day(2021, 1, 3));
  EXPECT_EQ(2020, w.year);
  EXPECT_EQ(53u, w.week);
  EXPECT_EQ(7u, w.weekday);
}

TEST_F(TimeTest, IsoWeekDateOfFirstMondayOf2022) {
  // Given 2022-01-03, the first Monday of 2022,
  // we should report 2022-W01-1.
  IsoWeekDate w = ToIsoWeekDate(Day(2022, 1, 3));
  EXPECT_EQ(2022, w.year);
  EXPECT_EQ(1u, w.week);
  EXPECT_EQ(1u, w.weekday);
}

TEST_F(TimeTest, IsoWeekDateOfNewYearsEve2020) {
  // Given 2020-12-31, a Thursday,
  // we should report 2020-W53-4.
  IsoWeekDate w = ToIsoWeekDate(Day(2020, 12, 31));
  EXPECT_EQ(2020, w.year);
  EXPECT_EQ(53u, w.week);
  EXPECT_EQ(4u, w.weekday);
}

TEST_F(TimeTest, IsoWeekDateOfLateDecemberInNextIsoYear) {
  // Given 2019-12-30, a Monday in the week holding 2020-01-04,
  // we should report 2020-W01-1.
  IsoWeekDate w = ToIsoWeekDate(Day(2019, 12, 30));
  EXPECT_EQ(2020, w.year);
  EXPECT_EQ(1u, w.week);
  EXPECT_EQ(1u, w.weekday);
}

TEST_F(TimeTest, FromIsoWeekDateInvertsKnownDates) {
  // Given the ISO week dates of known days,
  // we should get those days back.
  EXPECT_EQ(Day(2021, 1, 3), FromIsoWeekDate(2020, 53, 7));
  EXPECT_EQ(Day(2022, 1, 3), FromIsoWeekDate(2022, 1, 1));
  EXPECT_EQ(Day(2020, 12, 31), FromIsoWeekDate(2020, 53, 4));
  EXPECT_EQ(Day(2022, 6, 8), FromIsoWeekDate(2022, 23, 3));
}

TEST_F(TimeTest, FromIsoWeekDateClampsWeek53ToWeek52) {
  // Given week 53 of 2022, a year with only 52 ISO weeks,
  // we should give the same weekday of week 52 (Monday 2022-12-26).
  EXPECT_EQ(Day(2022, 12, 26), FromIsoWeekDate(2022, 53, 1));
  EXPECT_EQ(FromIsoWeekDate(2022, 52, 5), FromIsoWeekDate(2022, 53, 5));
}

TEST_F(TimeTest, CalendarYearAndStartOfYear) {
  // Given the last second of 2022 and the first of 2023,
  // we should place them in their calendar years, and StartOfYear should be midnight of 1 January.
  EXPECT_EQ(2022, CalendarYear(Utc(2022, 12, 31, 23, 59, 59)));
  EXPECT_EQ(2023, CalendarYear(Utc(2023, 1, 1)));
  EXPECT_EQ(Utc(2024, 1, 1), StartOfYear(2024));
}

TEST_F(TimeTest, ManualClockIsSetAndAdvancedOnlyByTheTest) {
  // Given a ManualClock at a fixed time,
  // we should read that time until the test sets or advances it.
  ManualClock clock(Utc(2022, 6, 1, 12));
  const Clock& c = clock;
  EXPECT_EQ(Utc(2022, 6, 1, 12), c.Now());
  EXPECT_EQ(Utc(2022, 6, 1, 12), c.Now());
  clock.Advance(90min);
  EXPECT_EQ(Utc(2022, 6, 1, 13, 30), c.Now());
  clock.Set(Utc(2030, 1, 1));
  EXPECT_EQ(Utc(2030, 1, 1), c.Now());
}

}  // namespace
TEST(ParseMillisecondsTest, TakesSubsecondAndWholeDurations) {
  EXPECT_EQ(*ParseMilliseconds("100ms"), std::chrono::milliseconds(100));
  EXPECT_EQ(*ParseMilliseconds("0.5s"), std::chrono::milliseconds(500));
  EXPECT_EQ(*ParseMilliseconds("2"), std::chrono::milliseconds(2000));
  EXPECT_EQ(*ParseMilliseconds("1h30m"), std::chrono::milliseconds(5400000));
  for (const char* bad : {"", "0ms", "-5ms", "fast", "0.0001s", "10x"}) {
    auto r = ParseMilliseconds(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace sunwind
