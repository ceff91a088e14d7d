// An SVG chart of carbon-intensity curves with the slots a job runs in: what
// `sunwind plan --svg FILE` writes (and `sunwind audit JOB --svg` is to write).
//
// Pure: builds a string, does no I/O and reads no clock. The chart is a
// picture for people and a record for programs: every plotted point is also
// carried as data on its series' <g> element, so a test (or a user's script)
// can read back exactly what was drawn:
//
//   <svg ... data-from="T0" data-to="T1" data-plot-x0="X0" data-plot-x1="X1">
//     <g class="series" data-region="aws:eu-west-3" data-scale="1.15"
//        data-values="2022-06-01T12:00:00Z=41.2 2022-06-01T13:00:00Z=missing ...">
//       <path class="kind-measured" d="M... L..."/>   one path per unbroken run
//     </g>
//     <rect class="span chosen" data-region=".." data-start="T" data-end="T" x=.. width=../>
//
// Times in data attributes are ISO 8601 UTC ("2022-06-01T12:00:00Z"); values
// are the plotted (effective) intensity in gCO2eq/kWh, written so they read
// back to the same double; a missing point is the word "missing". The x of a
// time t is X0 + (t - T0) / (T1 - T0) × (X1 - X0) (ChartXOf), so spans can be
// checked against the times they stand for.
#ifndef SUNWIND_CLI_SVG_CHART_H_
#define SUNWIND_CLI_SVG_CHART_H_

#include <string>
#include <vector>

#include "core/series.h"
#include "core/time.h"
#include "scheduler/planner.h"

namespace sunwind {

// One curve: a region's intensity, drawn as a step line (each value holds over
// its slot [t, t + step), as the series defines it). Missing points (NaN) break
// the line and are shaded as "no data"; they are never drawn as zero. Runs of
// replayed, estimated or forecast points are dashed or dotted so they are not
// mistaken for measured ones.
struct ChartLine {
  std::string id;     // data-region and the legend's first word, e.g. "aws:eu-west-3"
  std::string label;  // the rest of the legend entry, e.g. "FR, PUE 1.15" (may be empty)
  IntensitySeries series;
  // Plotted value = series value × scale: the PUE, so the curve is the
  // effective intensity the planner minimises. 1 to plot the grid's own.
  double scale = 1.0;
  // A forecast of another line (same id): drawn thinner and dotted, its own
  // legend entry says "forecast", and its <g> has class "series forecast".
  bool forecast = false;
};

// A stretch of time marked on one line's curve.
struct ChartSpan {
  enum class Kind {
    kChosen,  // where the job runs: shaded under the curve, in the line's colour
    kRunNow,  // the counterfactual: outlined, hatched, not filled
  };
  Kind kind = Kind::kChosen;
  std::string region;  // the id of the line it belongs to
  TimePoint start;
  TimePoint end;
};

struct ChartSpec {
  std::string title;     // first line, e.g. the job
  std::string subtitle;  // up to two lines split at '\n', e.g. the plan and the saving (may be empty)
  TimePoint from;        // the x axis covers [from, to); to > from
  TimePoint to;
  std::vector<ChartLine> lines;  // drawn in order, coloured by index
  std::vector<ChartSpan> spans;
};

// Fixed canvas (the viewBox), in SVG user units.
inline constexpr double kChartWidth = 960;
inline constexpr double kChartHeight = 540;

// The plot area's left and right x: where `from` and `to` sit.
inline constexpr double kChartPlotX0 = 78;
inline constexpr double kChartPlotX1 = 700;

// The x coordinate of t on a chart of [from, to) (clamped to the plot area).
double ChartXOf(TimePoint t, TimePoint from, TimePoint to);

// The chart as a standalone SVG 1.1 document (UTF-8, SVG namespace, fixed
// size and viewBox, no scripts or external resources). Text and attribute
// values are XML-escaped.
std::string RenderIntensityChart(const ChartSpec& spec);

// "06-01 12:00Z": the axis label of a UTC time.
std::string ChartTimeLabel(TimePoint t);

// Escapes & < > " ' for XML text and attribute values.
std::string XmlEscape(const std::string& text);

// The chart of a plan: one line per candidate region (effective intensity,
// grid × PUE), the home region's too when it is not a candidate (it carries
// the run-now counterfactual), each planned interval shaded as kChosen and the
// run-now window marked as kRunNow. `home` covers the run-now window, which
// may run past the deadline; the chart's x axis covers both. The title names
// the job, the subtitle the saving. `forecasts`, if given, are the series the
// plan was made on (plan --forecast), drawn as forecast lines beside the
// recorded ones.
ChartSpec PlanChartSpec(const Plan& plan, const PlanRequest& request, const std::vector<RegionSeries>& candidates,
                        const RegionSeries& home, const std::vector<RegionSeries>& forecasts = {});

}  // namespace sunwind

#endif  // SUNWIND_CLI_SVG_CHART_H_
