#include "core/units.h"

#include <cctype>
#include <cmath>
#include <cstdio>

namespace sunwind {

Result<double> ParsePowerW(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("invalid power '" + std::string(text) + "': " + why +
                                   " (expected e.g. 900W or 1.2kW)");
  };
  size_t pos = 0;
  while (pos < text.size() && (std::isdigit(static_cast<unsigned char>(text[pos])) || text[pos] == '.')) ++pos;
  if (pos == 0) return bad("expected a number");
  double v;
  try {
    size_t used = 0;
    v = std::stod(std::string(text.substr(0, pos)), &used);
    if (used != pos) return bad("not a number");
  } catch (...) {
    return bad("not a number");
  }
  std::string unit;
  for (char c : text.substr(pos)) {
    if (c != ' ') unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  double scale;
  if (unit.empty() || unit == "w") scale = 1;
  else if (unit == "kw") scale = 1e3;
  else if (unit == "mw") scale = 1e6;
  else return bad("unknown unit '" + unit + "'");
  double w = v * scale;
  if (!std::isfinite(w) || w <= 0) return bad("must be positive");
  return w;
}

std::string FormatNumber(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string FormatPower(double power_w) {
  if (power_w >= 1000) return FormatNumber(power_w / 1000, power_w >= 1e4 ? 1 : 2) + " kW";
  return FormatNumber(power_w, 0) + " W";
}

std::string FormatMass(double grams) {
  double a = std::fabs(grams);
  if (a >= 1e6) return FormatNumber(grams / 1e6, 3) + " t";
  if (a >= 1e3) return FormatNumber(grams / 1e3, 2) + " kg";
  return FormatNumber(grams, a >= 100 ? 0 : 1) + " g";
}

}  // namespace sunwind
