// GET /v1/grid (server/grid_routes.h) as a pure function over a fake
// provider: the hours asked for, intensity x PUE, each point's kind and
// source, the 80 % band ahead from the forecast library, and every refusal.
#include "server/grid_routes.h"

#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "regions/zones.h"
#include "tests/support/test_regions.h"

namespace sunwind {
namespace {

using namespace std::chrono;
using nlohmann::json;

// A daily shape with a deterministic wobble, so forecasts err and the band
// has width: g CO2eq/kWh at hour t.
double Shape(TimePoint t) {
  const long long h = t.time_since_epoch().count() / 3600;
  const double wobble = static_cast<double>((h * 7919) % 41) - 20;  // -20..20
  return 300 + 100 * std::sin(2 * M_PI * static_cast<double>(h % 24) / 24) + wobble;
}

class GridApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status loaded = testing::LoadTestRegions("- {id: 'local:host', zone: DE, pue: 1.0, executor: {kind: local}}\n"
                                             "- {id: 'demo:norway', zone: NO, pue: 1.5, executor: {kind: local}}\n"
                                             "- {id: 'demo:france', zone: FR, pue: 1.2, executor: {kind: local}}",
                                             zones_, catalogue_);
    ASSERT_TRUE(loaded.ok()) << loaded.message();
  }

  // DE and NO: the shape, replayed; FR: nothing at all. `fail_` makes every
  // fetch unavailable.
  FetchIntensity Fetch() {
    return [this](const Region* r, TimePoint from, TimePoint to, Duration step) -> Result<RegionSeries> {
      ++fetches_;
      if (fail_) return Status::Unavailable("provider down");
      IntensitySeries s;
      s.start = from;
      s.step = step;
      for (TimePoint t = from; t < to; t += step) {
        if (r->zone == "FR") {
          s.Append(kNoValue, PointKind::kMissing, "none");
        } else {
          s.Append(Shape(t) / (r->zone == "NO" ? 10 : 1), PointKind::kReplayed, "test " + r->zone + " 2022");
        }
      }
      return RegionSeries{r, s};
    };
  }

  ApiRequest Get(const std::string& query) {
    ApiRequest r;
    r.method = "GET";
    r.target = "/v1/grid" + (query.empty() ? "" : "?" + query);
    r.path = "/v1/grid";
    r.query = ParseQuery(query);
    r.remote_is_loopback = true;
    return r;
  }

  json Call(GridRoutes& grid, const std::string& query, int want_status = 200) {
    ApiResponse a = grid.Handle(Get(query));
    EXPECT_EQ(a.status, want_status) << a.body;
    return json::parse(a.body);
  }

  const json* RegionIn(const json& body, const std::string& id) {
    for (const auto& r : body["regions"]) {
      if (r["region"] == id) return &r;
    }
    return nullptr;
  }

  // 10:30 UTC, mid-hour: the current hour began at 10:00.
  ManualClock clock_{TimePoint(hours(24 * 20780) + hours(10) + minutes(30))};
  ZoneTable zones_;
  RegionCatalogue catalogue_;
  bool fail_ = false;
  int fetches_ = 0;
};

TEST_F(GridApiTest, GivesEveryRunnableRegionHourByHourTimesItsPue) {
  // Given three regions bound to an executor (and the catalogue's advisory
  // ones), we should answer for the three only, with 24 hours back and 48
  // ahead from the current hour, each point the intensity times the PUE.
  GridRoutes grid(catalogue_, Fetch(), clock_);
  json body = Call(grid, "");
  ASSERT_EQ(body["regions"].size(), 3u);
  const TimePoint origin = TimePoint(hours(24 * 20780) + hours(10));
  EXPECT_EQ(body["now"], FormatTime(clock_.Now()));
  EXPECT_EQ(body["origin"], FormatTime(origin));
  EXPECT_EQ(body["from"], FormatTime(origin - hours(24)));
  EXPECT_EQ(body["to"], FormatTime(origin + hours(48)));
  const json* norway = RegionIn(body, "demo:norway");
  ASSERT_NE(norway, nullptr);
  EXPECT_EQ((*norway)["zone"], "NO");
  EXPECT_EQ((*norway)["pue"], 1.5);
  const json& points = (*norway)["points"];
  ASSERT_EQ(points.size(), 72u);
  for (size_t i = 0; i < points.size(); ++i) {
    const TimePoint t = origin - hours(24) + hours(i);
    SCOPED_TRACE(FormatTime(t));
    EXPECT_EQ(points[i]["start"], FormatTime(t));
    EXPECT_NEAR(points[i]["intensity_g_per_kwh"].get<double>(), Shape(t) / 10, 1e-9);
    EXPECT_NEAR(points[i]["effective_g_per_kwh"].get<double>(), Shape(t) / 10 * 1.5, 1e-9);
    EXPECT_EQ(points[i]["kind"], "replayed");
    EXPECT_EQ(points[i]["source"], "test NO 2022");
    EXPECT_EQ(points[i]["ahead"], t >= origin);
  }
}

TEST_F(GridApiTest, PutsTheForecastModelsErrorBandAroundEachValueAhead) {
  // Given 28 days of history before now, we should give every hour ahead a
  // band from the forecast library's backtest (low <= value <= high, not all
  // of zero width), the model that made it, and none for the hours past.
  GridRoutes grid(catalogue_, Fetch(), clock_);
  json body = Call(grid, "regions=local:host&hours_back=6&hours_ahead=24");
  const json& de = body["regions"][0];
  EXPECT_FALSE(de["band_model"].is_null());
  EXPECT_EQ(de["band_calibration_origins"], 28);
  EXPECT_NE(de["band_note"].get<std::string>().find("28 days before"), std::string::npos) << de["band_note"];
  double widest = 0;
  for (const auto& p : de["points"]) {
    SCOPED_TRACE(p.dump());
    if (!p["ahead"].get<bool>()) {
      EXPECT_FALSE(p.contains("low_effective_g_per_kwh"));
      continue;
    }
    const double low = p["low_effective_g_per_kwh"], high = p["high_effective_g_per_kwh"];
    EXPECT_LE(low, high);
    EXPECT_GE(low, 0);
    EXPECT_TRUE(p["forecast_effective_g_per_kwh"].is_number());
    widest = std::max(widest, high - low);
  }
  EXPECT_GT(widest, 5.0);
}

TEST_F(GridApiTest, ComputesEachBandOncePerHour) {
  // Given the same question twice within the hour, we should run the
  // backtest once (two fetches for the grid, one for the history), and again
  // once the hour has turned.
  GridRoutes grid(catalogue_, Fetch(), clock_);
  Call(grid, "regions=local:host");
  EXPECT_EQ(fetches_, 2);
  Call(grid, "regions=local:host");
  EXPECT_EQ(fetches_, 3);
  clock_.Advance(hours(1));
  Call(grid, "regions=local:host");
  EXPECT_EQ(fetches_, 5);
}

TEST_F(GridApiTest, ShowsAGapAsMissingNeverAsZero) {
  // Given a region whose zone has no data, we should give every point as
  // missing with null values, and no band, saying why.
  GridRoutes grid(catalogue_, Fetch(), clock_);
  json body = Call(grid, "regions=demo:france&hours_back=2&hours_ahead=2");
  const json& fr = body["regions"][0];
  ASSERT_EQ(fr["points"].size(), 4u);
  for (const auto& p : fr["points"]) {
    EXPECT_EQ(p["kind"], "missing");
    EXPECT_TRUE(p["effective_g_per_kwh"].is_null());
    EXPECT_FALSE(p.contains("low_effective_g_per_kwh"));
  }
  EXPECT_TRUE(fr["band_model"].is_null());
  EXPECT_EQ(fr["band_note"].get<std::string>().rfind("no band: ", 0), 0u) << fr["band_note"];
}

TEST_F(GridApiTest, RefusesBadQueriesNamingTheParameter) {
  // Given a bad parameter, we should answer 400 naming it; given a provider
  // that is down, 503 naming the region.
  GridRoutes grid(catalogue_, Fetch(), clock_);
  EXPECT_EQ(Call(grid, "hours_back=abc", 400)["error"],
            "hours_back: must be a whole number of hours from 0 to 168");
  EXPECT_EQ(Call(grid, "hours_ahead=1000", 400)["error"],
            "hours_ahead: must be a whole number of hours from 0 to 168");
  EXPECT_EQ(Call(grid, "hours_ahead=-1", 400)["error"],
            "hours_ahead: must be a whole number of hours from 0 to 168");
  EXPECT_EQ(Call(grid, "hours_back=0&hours_ahead=0", 400)["error"],
            "hours_ahead: hours_back + hours_ahead must be at least 1");
  EXPECT_EQ(Call(grid, "regions=mars:olympus", 400)["error"].get<std::string>().rfind("regions: ", 0), 0u);
  fail_ = true;
  EXPECT_EQ(Call(grid, "regions=local:host", 503)["error"], "local:host: provider down");
}

}  // namespace
}  // namespace sunwind
