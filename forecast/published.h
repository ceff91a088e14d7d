// Forecasts that a provider published (WattTime's MOER forecasts, the UK
// Carbon Intensity API's), scored like sunwind's own models so the two can be
// compared on the same data.
#ifndef SUNWIND_FORECAST_PUBLISHED_H_
#define SUNWIND_FORECAST_PUBLISHED_H_

#include <optional>
#include <string>
#include <vector>

#include "core/series.h"
#include "core/status.h"
#include "core/time.h"
#include "forecast/backtest.h"

namespace sunwind {

struct PublishedPoint {
  std::optional<TimePoint> issued;  // when the forecast was made, where the data says
  TimePoint time;                   // the start of the interval forecast
  double forecast_g_per_kwh;
  double actual_g_per_kwh = kNoValue;  // where the same answer carries it (UK)
};

// Reads published forecasts from text:
//  - CSV with an issue-time column (request_time, issued, generated_at), a
//    target-time column (forecast_time, point_time, time, datetime) and one
//    value column in gCO2eq/kWh (vessim's WattTime extract:
//    request_time,forecast_time,Caiso_North);
//  - a UK Carbon Intensity API answer ({"data": [{"from", "intensity":
//    {"forecast", "actual"}}]}): the issue time is not in the answer.
// Errors name the origin and the line or field.
Result<std::vector<PublishedPoint>> ParsePublishedForecast(const std::string& text, const std::string& origin);

// Scores the points against their own actuals or, where they have none, the
// actual intensity `actual` holds for their time (NaN there: not scored). For
// each horizon h, the points whose lead (time - issued) is in (0, h hours];
// points without an issue time are scored once, with horizon_h 0 ("lead
// unknown"). `model` names the rows, e.g. "published:watttime".
std::vector<ForecastErrors> ScorePublished(const std::vector<PublishedPoint>& points, const IntensitySeries& actual,
                                           const std::vector<int>& horizons_h, const std::string& model);

}  // namespace sunwind

#endif  // SUNWIND_FORECAST_PUBLISHED_H_
