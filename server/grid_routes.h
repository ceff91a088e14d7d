// GET /v1/grid: the grid each runnable region draws from, hour by hour, for
// the dashboard's Grid view (docs/api.md, docs/dashboard.md).
//
// For each region bound to an executor (or those named by `regions=a,b`), the
// effective intensity (grid intensity x the region's PUE, g CO2eq/kWh) of
// every hour from `hours_back` before the current hour to `hours_ahead` after
// it, each point with the kind and source its provider gave (measured,
// forecast, replayed, estimated, missing).
//
// The 80 % band ahead. The daemon's providers answer the hours ahead with
// what they have: for the bundled traces that is a *replay* of a past year,
// not a forecast, so there is no forecast error of the provider's own to
// show. The band is therefore the forecast library's (forecast/backtest.h,
// ForecastWithBand with model `auto`): each model's forecasts are replayed
// from the 28 days before the current hour on the same series, the one with
// the least error is kept, and its central 80 % error at each lead is placed
// around the value shown, floored at zero. The model's own forecast is given
// beside it (`forecast_effective_g_per_kwh`). When too little history is at
// hand the region's band is null and `band_note` says why.
#ifndef SUNWIND_SERVER_GRID_ROUTES_H_
#define SUNWIND_SERVER_GRID_ROUTES_H_

#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/time.h"
#include "regions/catalogue.h"
#include "server/http_server.h"
#include "service/service.h"

namespace sunwind {

class GridRoutes {
 public:
  // Limits of the query, in hours.
  static constexpr int kMaxHoursBack = 7 * 24;
  static constexpr int kMaxHoursAhead = 7 * 24;

  // References must outlive this. `fetch` is the Api's (the daemon's
  // providers).
  GridRoutes(const RegionCatalogue& regions, FetchIntensity fetch, const Clock& clock);

  // GET /v1/grid?hours_back=24&hours_ahead=48&regions=a,b. 400 naming the
  // parameter for a bad value or an unknown region; 503 when a region's
  // intensity cannot be fetched. Thread-safe.
  ApiResponse Handle(const ApiRequest& request);

 private:
  struct Band {
    std::vector<double> low_offset_g_per_kwh;   // lower - forecast, per lead
    std::vector<double> high_offset_g_per_kwh;  // upper - forecast, per lead
    std::vector<double> forecast_g_per_kwh;
    std::string model;
    std::string note;  // why there is none, when empty
    int calibration_origins = 0;
  };
  // The band of `region` from `origin` over `hours_ahead` hours, computed once
  // per (region, origin, hours_ahead): a backtest is tens of milliseconds.
  Band BandFor(const Region& region, TimePoint origin, int hours_ahead);
  nlohmann::json RegionJson(const Region& region, const IntensitySeries& series, TimePoint origin,
                            int hours_ahead);

  const RegionCatalogue& regions_;
  FetchIntensity fetch_;
  const Clock& clock_;
  std::mutex mu_;                                // guards cache_
  std::map<std::string, Band> cache_;            // key: region|origin|hours
};

}  // namespace sunwind

#endif  // SUNWIND_SERVER_GRID_ROUTES_H_
