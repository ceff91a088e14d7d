// What the scheduler knows of the grid. Policies decide on an IntensityView:
// the grid's future as known at the decision time (a forecast), or, for the
// perfect-foresight oracle, as it really was. The simulator accounts on what
// really was (GridData), always.
#ifndef SUNWIND_SCHEDULER_GRID_H_
#define SUNWIND_SCHEDULER_GRID_H_

#include <map>
#include <memory>
#include <string>

#include "core/series.h"
#include "core/status.h"
#include "core/time.h"
#include "forecast/forecaster.h"
#include "scheduler/planner.h"

namespace sunwind {

// Hourly intensity of each zone a simulation touches, held in memory.
class GridData {
 public:
  // Adds a zone's series (hourly, as a provider answered it). Gaps are bridged
  // with the last known value (the first known one at the start) for
  // accounting, and counted. The history a forecast may learn from is the
  // simulated world's own past: measured and replayed points (a simulation
  // of 2021 on 2022's replayed values lives in that replay), never bridged
  // gaps or yearly-average estimates. InvalidArgument unless hourly and on
  // the hour; FailedPrecondition when the series holds no value at all.
  Status Add(const std::string& zone, const IntensitySeries& fetched);

  // The series of the zone, gaps bridged; nullptr if not added.
  const IntensitySeries* Actual(const std::string& zone) const;
  // The zone's measured and replayed points, NaN elsewhere (estimated, gaps).
  const IntensitySeries* Recorded(const std::string& zone) const;
  // The actual intensity of the zone in the hour that holds t; NaN outside.
  double At(const std::string& zone, TimePoint t) const;
  // Hours bridged in the zone.
  int BridgedHours(const std::string& zone) const;

 private:
  struct Zone {
    IntensitySeries actual;
    IntensitySeries recorded;
    int bridged_hours = 0;
  };
  std::map<std::string, Zone> zones_;
};

// Abstract so policies do not know whether they see a forecast or the truth.
class IntensityView {
 public:
  virtual ~IntensityView() = default;
  // "oracle", or the forecast model's name.
  virtual std::string Name() const = 0;
  // The region's grid intensity over [now, to) on the hourly grid as known
  // at `now` (which is on the hour). The series may end early where the data
  // does; the planner treats points past its end as missing.
  virtual Result<RegionSeries> Ahead(const Region* region, TimePoint now, TimePoint to) = 0;
  // The mean absolute error (g/kWh) this view's values have shown for the
  // region's zone so far: 0 for the truth, the measured error of the
  // forecasts already made for a model, the error model's for noise.
  virtual double MeanAbsError(const Region* region) const { return 0; }
};

// Perfect foresight: what the grid really did.
class ActualView final : public IntensityView {
 public:
  explicit ActualView(const GridData& grid) : grid_(grid) {}
  std::string Name() const override { return "oracle"; }
  Result<RegionSeries> Ahead(const Region* region, TimePoint now, TimePoint to) override;

 private:
  const GridData& grid_;
};

// A forecast made at `now` by a model from the zone's recorded history
// (GridData::Recorded) before `now` only, at least `horizon` long. One
// forecast per zone and hour is made and reused by every decision in that
// hour. A zone without any recorded history (a yearly average stands in) is
// seen as it is: a flat estimate that no model improves.
//
// With several models it is `auto`: per zone it uses the model with the
// least 24 h MAE over the 28 days before (the same backtest and choice as
// `sunwind forecast --model auto`), chosen again every week, so a year's
// simulation runs 52 backtests per zone rather than one per decision.
class ForecastView final : public IntensityView {
 public:
  ForecastView(const GridData& grid, std::unique_ptr<Forecaster> model, Duration horizon)
      : grid_(grid), horizon_(horizon) {
    models_.push_back(std::move(model));
  }
  // `auto` over `models` (at least one).
  ForecastView(const GridData& grid, std::vector<std::unique_ptr<Forecaster>> models, Duration horizon)
      : grid_(grid), models_(std::move(models)), horizon_(horizon), auto_(true) {}
  std::string Name() const override { return auto_ ? "auto" : models_.front()->Name(); }
  Result<RegionSeries> Ahead(const Region* region, TimePoint now, TimePoint to) override;
  // Per zone, the model `auto` chose last and when (empty for one model).
  std::map<std::string, std::string> Choices() const;
  // Over every hour a forecast made here covered that has since passed
  // (leads up to the next forecast's origin).
  double MeanAbsError(const Region* region) const override;

  // How far back a forecast looks: enough for the models' training windows.
  static constexpr Duration kLookback{56LL * 24 * 3600};
  static constexpr Duration kRechooseEvery{7LL * 24 * 3600};
  static constexpr int kChoiceDays = 28;

 private:
  struct Made {
    TimePoint origin{};
    std::vector<double> values;
    size_t model = 0;           // index into models_
    TimePoint chosen_at{};      // auto: when `model` was chosen
    bool chosen = false;
    double abs_error_sum = 0;   // |forecast - actual| over the hours scored
    long scored = 0;
  };
  // auto: the zone's model at `now`, chosen again when its choice is a week old.
  Status Choose(const std::string& zone, const IntensitySeries& recorded, TimePoint now, Made& made);

  const GridData& grid_;
  std::vector<std::unique_ptr<Forecaster>> models_;
  Duration horizon_;
  bool auto_ = false;
  std::map<std::string, Made> last_;  // per zone
};

// The forecast error model of Wiesner et al. (Middleware '21): the true value
// plus N(0, error × the zone's mean intensity), drawn once per zone and hour
// from `seed`, so every decision sees the same forecast of an hour.
class NoisyView final : public IntensityView {
 public:
  NoisyView(const GridData& grid, double error, unsigned seed) : grid_(grid), error_(error), seed_(seed) {}
  std::string Name() const override;
  Result<RegionSeries> Ahead(const Region* region, TimePoint now, TimePoint to) override;
  // E|N(0, σ)| = σ √(2/π), with σ = error × the zone's mean.
  double MeanAbsError(const Region* region) const override;

 private:
  const GridData& grid_;
  double error_;
  unsigned seed_;
  std::map<std::string, IntensitySeries> noisy_;  // per zone, made on first use
};

// "oracle", "noise:5%" (or "noise:0.05"), or a forecast model's name.
// `horizon` is the longest look ahead any decision needs.
Result<std::unique_ptr<IntensityView>> MakeView(const std::string& forecast, const GridData& grid, Duration horizon,
                                                unsigned seed);

}  // namespace sunwind

#endif  // SUNWIND_SCHEDULER_GRID_H_
