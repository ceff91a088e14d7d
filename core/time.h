// Time inside sunwind: UTC instants at one-second resolution. Inputs with an
// offset are converted on the way in; naive timestamps are taken as UTC.
#ifndef SUNWIND_CORE_TIME_H_
#define SUNWIND_CORE_TIME_H_

#include <chrono>
#include <string>
#include <string_view>

#include "core/status.h"

namespace sunwind {

using TimePoint = std::chrono::sys_seconds;
using Duration = std::chrono::seconds;

// Parses ISO 8601 / RFC 3339 instants: "2022-06-01", "2022-06-01T12:00Z",
// "2022-06-01T12:00:00.000+02:00", "2022-06-01 12:00:00" (naive = UTC),
// offsets as Z, +HH, +HHMM or +HH:MM. Fractional seconds are truncated.
Result<TimePoint> ParseTime(std::string_view text);

// "2022-06-01T12:00:00Z".
std::string FormatTime(TimePoint t);

// Parses "4h", "90m", "1h30m", "45s", "2d", "1.5h", "3600" (seconds). The
// result must be positive unless allow_zero.
Result<Duration> ParseDuration(std::string_view text, bool allow_zero = false);
// As ParseDuration, and also below a second, for sampling and tick
// intervals: "100ms", "0.5s", "2" (seconds), "1m". Must be positive.
Result<std::chrono::milliseconds> ParseMilliseconds(std::string_view text);

// "6h", "1h30m", "45s", "2d3h".
std::string FormatDuration(Duration d);

// Floor of t to a multiple of step since the Unix epoch.
TimePoint FloorTo(TimePoint t, Duration step);

// Calendar facts used by replay: ISO 8601 week-based year, week (1..53) and
// weekday (1 = Monday .. 7 = Sunday).
struct IsoWeekDate {
  int year;
  unsigned week;
  unsigned weekday;
};
IsoWeekDate ToIsoWeekDate(std::chrono::sys_days day);
// The day with that ISO week date; week 53 in a year that has only 52 weeks
// maps to the Monday..Sunday of week 52.
std::chrono::sys_days FromIsoWeekDate(int iso_year, unsigned week, unsigned weekday);
int CalendarYear(TimePoint t);
TimePoint StartOfYear(int year);

// The only seam to the wall clock. SystemClock is the one implementation that
// reads it; simulations and tests drive ManualClock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
};

// Time that runs `speed` times faster than real time from `origin`, for
// `sunwind serve --clock-speed N`: a demo lives a day of the grid in minutes
// while its jobs run as real processes. Reads the monotonic clock (in
// time.cc, beside SystemClock), so a change of the wall clock cannot move it.
class ScaledClock final : public Clock {
 public:
  ScaledClock(TimePoint origin, double speed);
  TimePoint Now() const override;
  double speed() const { return speed_; }
  // How long `real` lasts on this clock.
  Duration Scaled(std::chrono::milliseconds real) const;

 private:
  TimePoint origin_;
  double speed_;
  std::chrono::steady_clock::time_point start_;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint now) : now_(now) {}
  TimePoint Now() const override { return now_; }
  void Set(TimePoint t) { now_ = t; }
  void Advance(Duration d) { now_ += d; }

 private:
  TimePoint now_;
};

}  // namespace sunwind

#endif  // SUNWIND_CORE_TIME_H_
