#include "core/time.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace sunwind {
namespace {

using namespace std::chrono;

// Reads exactly n digits at s[pos]; advances pos.
bool ReadDigits(std::string_view s, size_t& pos, int n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  pos += n;
  return true;
}

Status BadTime(std::string_view text, const std::string& why) {
  return Status::InvalidArgument("invalid time '" + std::string(text) + "': " + why +
                                 " (expected ISO 8601 such as 2022-06-01T12:00Z)");
}

}  // namespace

Result<TimePoint> ParseTime(std::string_view text) {
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  size_t pos = 0;
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!ReadDigits(s, pos, 4, y) || pos >= s.size() || s[pos++] != '-' ||
      !ReadDigits(s, pos, 2, mo) || pos >= s.size() || s[pos++] != '-' ||
      !ReadDigits(s, pos, 2, d)) {
    return BadTime(text, "the date must be YYYY-MM-DD");
  }
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return BadTime(text, "no such calendar date");
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return BadTime(text, "expected 'T' after the date");
    ++pos;
    if (!ReadDigits(s, pos, 2, h)) return BadTime(text, "the hour must be two digits");
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      if (!ReadDigits(s, pos, 2, mi)) return BadTime(text, "the minute must be two digits");
      if (pos < s.size() && s[pos] == ':') {
        ++pos;
        if (!ReadDigits(s, pos, 2, sec)) return BadTime(text, "the second must be two digits");
        if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
          ++pos;
          size_t start = pos;
          while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
          if (pos == start) return BadTime(text, "empty fraction of a second");
        }
      }
    }
    if (h > 24 || mi > 59 || sec > 60) return BadTime(text, "hour, minute or second out of range");
    if (h == 24 && (mi != 0 || sec != 0)) return BadTime(text, "24:xx is only valid as 24:00");
  }
  int offset_s = 0;
  if (pos < s.size()) {
    char c = s[pos];
    if ((c == 'Z' || c == 'z') && pos + 1 == s.size()) {
      ++pos;
    } else if (c == '+' || c == '-') {
      ++pos;
      int oh = 0, om = 0;
      if (!ReadDigits(s, pos, 2, oh)) return BadTime(text, "the UTC offset must be +HH, +HHMM or +HH:MM");
      bool colon = pos < s.size() && s[pos] == ':';
      if (colon) ++pos;
      if ((colon || pos < s.size()) && !ReadDigits(s, pos, 2, om)) {
        return BadTime(text, "the UTC offset minutes must be two digits");
      }
      if (oh > 23 || om > 59) return BadTime(text, "UTC offset out of range");
      offset_s = (oh * 3600 + om * 60) * (c == '+' ? 1 : -1);
    }
  }
  if (pos != s.size()) return BadTime(text, "unexpected text '" + std::string(s.substr(pos)) + "'");
  // A leap second (":60") is folded onto the next second, as POSIX time does.
  TimePoint t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec};
  return t - seconds{offset_s};
}

std::string FormatTime(TimePoint t) {
  sys_days day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss<seconds> hms{t - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long>(hms.seconds().count()));
  return buf;
}

Result<milliseconds> ParseMilliseconds(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("invalid duration '" + std::string(text) +
                                   "': expected a positive time like 100ms, 0.5s or 2m");
  };
  std::string t(text);
  double scale_ms = 0;
  if (t.size() > 2 && t.compare(t.size() - 2, 2, "ms") == 0) {
    scale_ms = 1;
    t.resize(t.size() - 2);
  } else if (!t.empty() && t.back() == 's') {
    scale_ms = 1000;
    t.pop_back();
  } else if (!t.empty() && std::isdigit(static_cast<unsigned char>(t.back()))) {
    scale_ms = 1000;
  }
  if (scale_ms > 0) {
    char* end = nullptr;
    const double v = std::strtod(t.c_str(), &end);
    if (t.empty() || end != t.c_str() + t.size() || !(v > 0) || v * scale_ms > 1e12) return bad();
    const auto ms = milliseconds(std::llround(v * scale_ms));
    if (ms.count() <= 0) return bad();
    return ms;
  }
  auto whole = ParseDuration(text);
  if (!whole.ok()) return bad();
  return duration_cast<milliseconds>(*whole);
}

Result<Duration> ParseDuration(std::string_view text, bool allow_zero) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("invalid duration '" + std::string(text) + "': " + why +
                                   " (expected e.g. 90m, 4h, 1h30m, 2d)");
  };
  if (text.empty()) return bad("empty");
  double total_s = 0;
  size_t pos = 0;
  bool any_unit = false;
  while (pos < text.size()) {
    size_t start = pos;
    while (pos < text.size() && (std::isdigit(static_cast<unsigned char>(text[pos])) || text[pos] == '.')) ++pos;
    if (pos == start) return bad("expected a number at '" + std::string(text.substr(start)) + "'");
    double v;
    try {
      size_t used = 0;
      v = std::stod(std::string(text.substr(start, pos - start)), &used);
      if (used != pos - start) return bad("not a number");
    } catch (...) {
      return bad("not a number");
    }
    if (pos == text.size()) {
      if (any_unit) return bad("a number without a unit after a unit");
      total_s += v;  // plain seconds
      break;
    }
    any_unit = true;
    char unit = text[pos++];
    switch (unit) {
      case 'd': total_s += v * 86400; break;
      case 'h': total_s += v * 3600; break;
      case 'm': total_s += v * 60; break;
      case 's': total_s += v; break;
      default: return bad(std::string("unknown unit '") + unit + "'");
    }
  }
  if (!std::isfinite(total_s) || total_s > 1e10) return bad("too large");
  auto d = Duration{static_cast<long long>(std::llround(total_s))};
  if (d.count() < 0 || (d.count() == 0 && !allow_zero)) return bad("must be positive");
  return d;
}

std::string FormatDuration(Duration d) {
  long long s = d.count();
  if (s == 0) return "0s";
  std::string out;
  if (s < 0) {
    out = "-";
    s = -s;
  }
  long long days_ = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, sec = s % 60;
  if (days_) out += std::to_string(days_) + "d";
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (sec) out += std::to_string(sec) + "s";
  return out;
}

TimePoint FloorTo(TimePoint t, Duration step) {
  long long s = t.time_since_epoch().count(), k = step.count();
  long long q = s / k;
  if (s % k < 0) --q;
  return TimePoint{Duration{q * k}};
}

IsoWeekDate ToIsoWeekDate(sys_days day) {
  weekday wd{day};
  unsigned iso_wd = wd.iso_encoding();
  // The Thursday of this ISO week decides the ISO year.
  sys_days thursday = day + days{4 - static_cast<int>(iso_wd)};
  int iso_year = static_cast<int>(year_month_day{thursday}.year());
  sys_days jan1 = sys_days{year{iso_year} / January / 1};
  unsigned week = static_cast<unsigned>((thursday - jan1).count() / 7 + 1);
  return {iso_year, week, iso_wd};
}

sys_days FromIsoWeekDate(int iso_year, unsigned week, unsigned weekday_iso) {
  // Week 1 holds January 4th.
  sys_days jan4 = sys_days{year{iso_year} / January / 4};
  sys_days week1_monday = jan4 - days{weekday{jan4}.iso_encoding() - 1};
  unsigned weeks_in_year = ToIsoWeekDate(sys_days{year{iso_year} / December / 28}).week;
  if (week > weeks_in_year) week = weeks_in_year;
  return week1_monday + days{7 * (week - 1) + (weekday_iso - 1)};
}

int CalendarYear(TimePoint t) { return static_cast<int>(year_month_day{floor<days>(t)}.year()); }

TimePoint StartOfYear(int y) { return sys_days{year{y} / January / 1}; }

TimePoint SystemClock::Now() const { return floor<seconds>(system_clock::now()); }

ScaledClock::ScaledClock(TimePoint origin, double speed)
    : origin_(origin), speed_(speed), start_(steady_clock::now()) {}

TimePoint ScaledClock::Now() const {
  const double real_s = duration<double>(steady_clock::now() - start_).count();
  return origin_ + seconds(static_cast<long long>(real_s * speed_));
}

Duration ScaledClock::Scaled(milliseconds real) const {
  return seconds(static_cast<long long>(static_cast<double>(real.count()) / 1000.0 * speed_));
}

}  // namespace sunwind
