// Physical quantities as they come in on the command line and go out in
// reports. Units are in the names: power_w, energy_kwh, intensity_g_per_kwh.
#ifndef SUNWIND_CORE_UNITS_H_
#define SUNWIND_CORE_UNITS_H_

#include <string>
#include <string_view>

#include "core/status.h"

namespace sunwind {

// Parses "900W", "1.2kW", "0.9 kw", "2MW" into watts. A bare number is watts.
Result<double> ParsePowerW(std::string_view text);

// Formats watts as "900 W" or "1.2 kW".
std::string FormatPower(double power_w);
// Formats grams as "850 g", "12.30 kg" or "4.560 t" (the caller adds "CO2eq").
std::string FormatMass(double grams);
// printf's "%.*f".
std::string FormatNumber(double v, int decimals);

// energy_kWh = power_W × seconds / 3.6e6
inline double EnergyKwh(double power_w, double seconds) { return power_w * seconds / 3.6e6; }

}  // namespace sunwind

#endif  // SUNWIND_CORE_UNITS_H_
