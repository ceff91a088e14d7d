// sunwind forecast: a zone's intensity forecast with its uncertainty band, and
// sunwind forecast eval: every model backtested on recorded data.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <ostream>
#include <set>

#include "cli/app.h"
#include "cli/commands.h"
#include "cli/forecast_plan.h"
#include "cli/output.h"
#include "core/csv.h"
#include "core/units.h"
#include "forecast/backtest.h"
#include "forecast/forecaster.h"
#include "forecast/published.h"

namespace sunwind {
namespace {

constexpr Duration kDay{86400};

std::vector<FlagSpec> With(std::vector<FlagSpec> extra) {
  auto specs = CommonDataFlags();
  specs.insert(specs.end(), extra.begin(), extra.end());
  specs.push_back({"help", false, "show this help"});
  return specs;
}

std::string ModelList() {
  std::string out = "auto";
  for (const auto& m : ForecastModelNames()) out += "|" + m;
  return out;
}

Result<int> WholeHours(const std::string& flag, const std::string& text) {
  auto d = ParseDuration(text);
  if (!d.ok()) return d.status().WithContext(flag);
  if (*d % kForecastStep != Duration{0}) {
    return Status::InvalidArgument(flag + ": " + text + " is not a whole number of hours");
  }
  return static_cast<int>(*d / kForecastStep);
}

Json ErrorsJson(const ForecastErrors& e) {
  return {{"model", e.model},
          {"horizon_h", e.horizon_h},
          {"mape_pct", JsonNumber(e.mape_pct)},
          {"mae_g_per_kwh", JsonNumber(e.mae_g_per_kwh)},
          {"bias_g_per_kwh", JsonNumber(e.bias_g_per_kwh)},
          {"n", e.n}};
}

int Forecast(const Args& args, CommandContext& ctx) {
  auto specs = With({{"zone", true, "the grid zone, e.g. DE (required)"},
                     {"horizon", true, "how far ahead, whole hours, e.g. 48h (default 24h)"},
                     {"model", true, ModelList() + " (default auto: the least error before --at)"}});
  auto flags = Flags::Parse(args, specs);
  auto fail = [&](const Status& s) { return ReportError(ctx, "forecast", s); };
  if (!flags.ok()) return fail(flags.status());
  if (flags->Has("help")) {
    ctx.out << "usage: sunwind forecast --zone Z [--at T] [--horizon 48h] [--model " << ModelList() << "] [--json]\n"
            << "       sunwind forecast eval [--trace FILE...] [--zone Z] [--from T --to T] [--horizons 24h,48h]\n"
            << "                             [--published FILE [--published-zone Z]] [--json]\n\n"
            << "Forecasts the zone's hourly intensity from --at, knowing only its recorded past, with the\n"
            << "range 80 % of the model's errors fell in over the 28 days before --at.\n\n"
            << FlagsHelp(specs);
    return 0;
  }
  if (!flags->positional().empty()) {
    return fail(Status::InvalidArgument("unexpected argument '" + flags->positional()[0] + "' (eval?)"));
  }
  auto zone = flags->Get("zone");
  if (!zone) return fail(Status::InvalidArgument("--zone: required, e.g. --zone DE"));
  auto horizon_h = WholeHours("--horizon", flags->GetOr("horizon", "24h"));
  if (!horizon_h.ok()) return fail(horizon_h.status());
  const std::string model = flags->GetOr("model", "auto");
  if (model != "auto") {
    auto m = MakeForecaster(model);
    if (!m.ok()) return fail(m.status().WithContext("--model"));
  }
  auto app = App::Open(*flags, ctx.clock);
  if (!app.ok()) return fail(app.status());
  // From the clock, forecast from the start of the current hour.
  const TimePoint origin = (*app)->at_from_clock() ? FloorTo((*app)->at(), kForecastStep) : (*app)->at();
  if (FloorTo(origin, kForecastStep) != origin) {
    return fail(Status::InvalidArgument("--at: forecasts start on the hour; " + FormatTime(origin) + " is not"));
  }
  const Duration horizon = kForecastStep * *horizon_h;
  const BandOptions band;
  std::string source;
  auto history = RecordedHistory(**app, *zone, origin - ForecastLookback(horizon, band), origin, &source);
  if (!history.ok()) return fail(history.status().WithContext("--zone"));
  auto f = ForecastWithBand(model, *history, origin, horizon, band);
  if (!f.ok()) return fail(f.status().WithContext("--zone " + *zone));

  if (flags->Has("json")) {
    Json j;
    j["zone"] = *zone;
    j["origin"] = FormatTime(origin);
    j["horizon_h"] = *horizon_h;
    j["model"] = f->model;
    j["model_requested"] = model;
    j["emission_factor"] = EmissionFactorName((*app)->factor());
    j["signal"] = SignalName(f->forecast.signal);
    j["history_source"] = source;
    j["band_coverage"] = f->coverage;
    Json measured = ErrorsJson(f->measured);
    measured["origins"] = f->calibration_origins;
    j["measured_error"] = measured;
    Json candidates = Json::array();
    for (const auto& e : f->candidates) candidates.push_back(ErrorsJson(e));
    j["candidates"] = candidates;
    Json points = Json::array();
    for (size_t i = 0; i < f->forecast.size(); ++i) {
      points.push_back({{"time", FormatTime(f->forecast.TimeAt(i))},
                        {"intensity_g_per_kwh", JsonNumber(f->forecast.values[i])},
                        {"lower_g_per_kwh", JsonNumber(f->lower_g_per_kwh[i])},
                        {"upper_g_per_kwh", JsonNumber(f->upper_g_per_kwh[i])}});
    }
    j["points"] = points;
    ctx.out << j.dump(2) << "\n";
    return 0;
  }

  ctx.out << "Forecast for " << *zone << " from " << FormatTime(origin) << ", " << *horizon_h << " h, "
          << EmissionFactorName((*app)->factor()) << " gCO2eq/kWh, model " << f->model
          << (f->chosen_by_auto ? " (chosen by auto: least MAE)" : "") << ":\n\n";
  Table t({"TIME (UTC)", "FORECAST g/kWh", std::to_string(static_cast<int>(f->coverage * 100)) + " % BAND g/kWh"});
  for (size_t i = 0; i < f->forecast.size(); ++i) {
    t.Add({FormatTime(f->forecast.TimeAt(i)), FormatNumber(f->forecast.values[i], 1),
           FormatNumber(f->lower_g_per_kwh[i], 1) + " - " + FormatNumber(f->upper_g_per_kwh[i], 1)});
  }
  ctx.out << t.Render() << "\n";
  ctx.out << "Measured error of " << f->model << " at " << *horizon_h << " h over " << f->calibration_origins
          << " daily origins before " << FormatTime(origin) << ": MAE " << FormatNumber(f->measured.mae_g_per_kwh, 1)
          << " g/kWh, MAPE " << FormatNumber(f->measured.mape_pct, 1) << " %, bias "
          << FormatNumber(f->measured.bias_g_per_kwh, 1) << " g/kWh.\n";
  if (f->chosen_by_auto) {
    ctx.out << "Candidates (MAE g/kWh):";
    for (const auto& e : f->candidates) ctx.out << " " << e.model << " " << FormatNumber(e.mae_g_per_kwh, 1);
    ctx.out << "\n";
  }
  ctx.out << "History: " << source << " (recorded hours only).\n";
  return 0;
}

// The zones the --trace files hold, in the order first seen.
// The period a zone's data covers: the calendar years its traces record. A
// shorter --trace file needs --from and --to.
Result<std::pair<TimePoint, TimePoint>> DataPeriod(App& app, const std::string& zone) {
  std::set<int> years = app.traces().YearsWithData(zone, app.factor());
  if (!years.empty()) return std::make_pair(StartOfYear(*years.begin()), StartOfYear(*years.rbegin() + 1));
  return Status::InvalidArgument("--zone " + zone + ": its traces cover no half year; give --from and --to");
}

int Eval(const Args& args, CommandContext& ctx) {
  auto specs = With({{"zone", true, "zones to evaluate (default: every zone of the --trace files, else every bundled zone)"},
                     {"from", true, "first forecast origin (default: the start of the zone's data); one a day after it"},
                     {"to", true, "end of the scored data (default: the end of the zone's data)"},
                     {"horizons", true, "forecast lengths scored, whole hours (default 24h,48h)"},
                     {"published", true, "a provider's published forecasts to score beside the models (CSV or UK API JSON; repeatable)"},
                     {"published-zone", true, "the zone whose recorded intensity --published forecasts are scored on"}});
  auto flags = Flags::Parse(args, specs);
  auto fail = [&](const Status& s) { return ReportError(ctx, "forecast eval", s); };
  if (!flags.ok()) return fail(flags.status());
  if (flags->Has("help")) {
    ctx.out << "usage: sunwind forecast eval [--trace FILE...] [--zone Z] [--from T --to T] [--horizons 24h,48h,96h] [--json]\n\n"
            << "Backtests every model on recorded data: one forecast a day, each from the hours before it only,\n"
            << "scored over leads 1..h of each horizon h against what the grid did. MAPE leaves out actuals below\n"
            << FormatNumber(kMapeFloorGPerKwh, 0) << " g/kWh; rank by MAE where intensity is low (Norway).\n\n"
            << FlagsHelp(specs);
    return 0;
  }
  std::vector<int> horizons;
  for (const auto& h : flags->GetList("horizons")) {
    auto hours = WholeHours("--horizons", h);
    if (!hours.ok()) return fail(hours.status());
    horizons.push_back(*hours);
  }
  if (horizons.empty()) horizons = {24, 48};
  std::optional<TimePoint> from, to;
  for (const char* name : {"from", "to"}) {
    if (auto v = flags->Get(name)) {
      auto t = ParseTime(*v);
      if (!t.ok()) return fail(t.status().WithContext(std::string("--") + name));
      (std::string(name) == "from" ? from : to) = *t;
    }
  }
  if (from && FloorTo(*from, kForecastStep) != *from) {
    return fail(Status::InvalidArgument("--from: forecast origins are on the hour; " + FormatTime(*from) + " is not"));
  }
  auto app = App::Open(*flags, ctx.clock);
  if (!app.ok()) return fail(app.status());

  std::vector<std::string> zones = flags->GetList("zone");
  const bool published_only = flags->Has("published") && zones.empty() && !flags->Has("trace");
  if (zones.empty() && !published_only) {
    auto from_traces = (*app)->traces().UserZones();
    zones = from_traces.empty() ? (*app)->traces().Zones() : from_traces;
  }
  std::vector<std::unique_ptr<Forecaster>> owned;
  std::vector<const Forecaster*> models;
  for (const auto& name : ForecastModelNames()) {
    owned.push_back(std::move(MakeForecaster(name)).value());
    models.push_back(owned.back().get());
  }

  struct ZoneResult {
    std::string zone;
    TimePoint from, to;
    size_t origins;
    std::string source;
    std::vector<ForecastErrors> errors;
  };
  std::vector<ZoneResult> results;
  const int max_h = *std::max_element(horizons.begin(), horizons.end());
  for (const auto& zone : zones) {
    ZoneResult r{zone, {}, {}, 0, "", {}};
    if (from && to) {
      r.from = *from;
      r.to = *to;
    } else {
      auto period = DataPeriod(**app, zone);
      if (!period.ok()) return fail(period.status());
      r.from = from.value_or(period->first);
      r.to = to.value_or(period->second);
    }
    if (r.to <= r.from) return fail(Status::InvalidArgument("--to: " + FormatTime(r.to) + " is not after --from " + FormatTime(r.from)));
    // The first origins get the models' full look-back where the data has it.
    BandOptions lookback;
    lookback.calibration_days = 0;
    const TimePoint history_from = r.from - ForecastLookback(kForecastStep * max_h, lookback);
    auto series = RecordedHistory(**app, zone, history_from, r.to, &r.source);
    if (!series.ok()) return fail(series.status().WithContext("--zone " + zone));
    BacktestOptions options;
    options.first_origin = r.from;
    options.to = r.to;
    options.horizons_h = horizons;
    auto bt = RunBacktest(models, *series, options);
    if (!bt.ok()) return fail(bt.status().WithContext("zone " + zone));
    r.origins = bt->origins.size();
    r.errors = Summarize(*bt, horizons);
    results.push_back(std::move(r));
  }

  // A provider's own forecasts, scored on the same kind of data.
  struct PublishedResult {
    std::string zone, path;
    size_t points;
    std::vector<ForecastErrors> errors;
  };
  std::vector<PublishedResult> published;
  for (const auto& path : flags->GetList("published")) {
    auto text = ReadFile(path);
    if (!text.ok()) return fail(text.status().WithContext("--published"));
    auto points = ParsePublishedForecast(*text, path);
    if (!points.ok()) return fail(points.status().WithContext("--published"));
    std::string zone = flags->GetOr("published-zone", zones.size() == 1 ? zones[0] : "");
    IntensitySeries actual;
    bool need_actual = std::any_of(points->begin(), points->end(), [](const PublishedPoint& p) { return std::isnan(p.actual_g_per_kwh); });
    if (need_actual && !points->empty()) {
      if (zone.empty()) return fail(Status::InvalidArgument("--published-zone: required to score " + path + ", which carries no actuals"));
      // The actuals on the forecasts' own resolution: their closest spacing.
      std::vector<TimePoint> times;
      for (const auto& p : *points) times.push_back(p.time);
      std::sort(times.begin(), times.end());
      times.erase(std::unique(times.begin(), times.end()), times.end());
      Duration step = kForecastStep;
      for (size_t i = 1; i < times.size(); ++i) step = std::min(step, times[i] - times[i - 1]);
      IntensityQuery q{zone, times.front(), times.back() + step, step, (*app)->factor()};
      auto series = (*app)->traces().Intensity(q);
      if (!series.ok()) return fail(series.status().WithContext("--published-zone"));
      actual = std::move(series).value();
    }
    std::string name = std::filesystem::path(path).filename().string();
    published.push_back({zone.empty() ? "-" : zone, path, points->size(), ScorePublished(*points, actual, horizons, "published:" + name)});
  }

  if (flags->Has("json")) {
    Json arr = Json::array();
    for (const auto& p : published) {
      for (const auto& e : p.errors) {
        arr.push_back({{"zone", p.zone},
                       {"model", e.model},
                       {"horizon_h", e.horizon_h > 0 ? Json(e.horizon_h) : Json(nullptr)},
                       {"mape_pct", JsonNumber(e.mape_pct)},
                       {"mae_g_per_kwh", JsonNumber(e.mae_g_per_kwh)},
                       {"bias_g_per_kwh", JsonNumber(e.bias_g_per_kwh)},
                       {"n", e.n}});
      }
    }
    for (const auto& r : results) {
      for (const auto& e : r.errors) {
        arr.push_back({{"zone", r.zone},
                       {"model", e.model},
                       {"horizon_h", e.horizon_h},
                       {"mape_pct", JsonNumber(e.mape_pct)},
                       {"mae_g_per_kwh", JsonNumber(e.mae_g_per_kwh)},
                       {"bias_g_per_kwh", JsonNumber(e.bias_g_per_kwh)},
                       {"n", e.n}});
      }
    }
    ctx.out << arr.dump(2) << "\n";
    return 0;
  }
  for (const auto& r : results) {
    ctx.out << "Zone " << r.zone << ": " << r.origins << " daily forecast origins from " << FormatTime(r.from)
            << ", scored to " << FormatTime(r.to) << " (" << r.source << ", recorded hours only):\n\n";
    Table t({"HORIZON", "MODEL", "MAPE %", "MAE g/kWh", "BIAS g/kWh", "N"});
    for (int h : horizons) {
      for (const auto& e : r.errors) {
        if (e.horizon_h != h) continue;
        t.Add({std::to_string(h) + " h", e.model, std::isnan(e.mape_pct) ? "-" : FormatNumber(e.mape_pct, 2),
               FormatNumber(e.mae_g_per_kwh, 2), FormatNumber(e.bias_g_per_kwh, 2), std::to_string(e.n)});
      }
    }
    ctx.out << t.Render();
    for (int h : horizons) {
      auto pick = PickModel(r.errors, h);
      if (pick.ok()) ctx.out << "auto at " << h << " h: " << pick->model << " (least MAE)\n";
    }
    ctx.out << "\n";
  }
  for (const auto& p : published) {
    ctx.out << "Published forecasts " << p.path << " (" << p.points << " points), scored on "
            << (p.zone == "-" ? std::string("the actuals the file carries") : "zone " + p.zone + "'s recorded intensity")
            << ":\n\n";
    Table t({"LEAD", "MODEL", "MAPE %", "MAE g/kWh", "BIAS g/kWh", "N"});
    for (const auto& e : p.errors) {
      t.Add({e.horizon_h > 0 ? "<= " + std::to_string(e.horizon_h) + " h" : "unknown", e.model,
             std::isnan(e.mape_pct) ? "-" : FormatNumber(e.mape_pct, 2),
             std::isnan(e.mae_g_per_kwh) ? "-" : FormatNumber(e.mae_g_per_kwh, 2),
             std::isnan(e.bias_g_per_kwh) ? "-" : FormatNumber(e.bias_g_per_kwh, 2), std::to_string(e.n)});
    }
    ctx.out << t.Render() << "\n";
  }
  ctx.out << "MAPE leaves out actuals below " << FormatNumber(kMapeFloorGPerKwh, 0)
          << " g/kWh; bias is forecast - actual.\n";
  return 0;
}

}  // namespace

int ForecastCommand(const Args& args, CommandContext& ctx) {
  if (!args.empty() && args[0] == "eval") return Eval(Args(args.begin() + 1, args.end()), ctx);
  return Forecast(args, ctx);
}

}  // namespace sunwind
