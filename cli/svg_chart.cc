#include "cli/svg_chart.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/units.h"

namespace sunwind {
namespace {

// Layout of the fixed canvas (kChartWidth × kChartHeight): title on top, the
// plot in the middle, the legend on the right, time labels underneath.
constexpr double kPlotY0 = 84;   // top of the plot area
constexpr double kPlotY1 = 462;  // bottom (the y axis' lowest tick)
constexpr double kLegendX = 718;

// Okabe & Ito's colour-blind-safe palette, then two neutrals.
constexpr const char* kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#8C564B", "#555555"};

const char* ColourOf(size_t index) { return kPalette[index % (sizeof kPalette / sizeof kPalette[0])]; }

// A coordinate with two decimals, trailing zeros dropped ("78", "412.5").
std::string Coord(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

// The shortest text that reads back to the same double.
std::string ExactNumber(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// The dash pattern of a run of points of this kind ("" = solid).
const char* DashOf(PointKind kind) {
  switch (kind) {
    case PointKind::kMeasured: return "";
    case PointKind::kReplayed: return "7 4";
    case PointKind::kEstimated: return "2 4";
    case PointKind::kForecast: return "1 3";
    case PointKind::kMissing: return "";
  }
  return "";
}

// A 1-2-5 step that splits `range` into about `target` parts.
double NiceStep(double range, int target) {
  if (!(range > 0)) return 1;
  double raw = range / target;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * mag >= raw) return m * mag;
  }
  return 10 * mag;
}

// Tick spacing on the time axis: the smallest of these that gives at most
// six ticks (a label is about 90 units wide); beyond them, whole weeks.
Duration TimeTickStep(Duration range) {
  static const long long kSteps[] = {900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400};
  for (long long s : kSteps) {
    if (range.count() / s <= 6) return Duration{s};
  }
  long long weeks = range.count() / (6 * 7 * 86400LL) + 1;
  return Duration{weeks * 7 * 86400LL};
}

class Scale {
 public:
  Scale(TimePoint from, TimePoint to, double y_lo, double y_hi) : from_(from), to_(to), y_lo_(y_lo), y_hi_(y_hi) {}
  double X(TimePoint t) const { return ChartXOf(t, from_, to_); }
  double Y(double v) const { return kPlotY1 - (v - y_lo_) / (y_hi_ - y_lo_) * (kPlotY1 - kPlotY0); }
  double YBase() const { return Y(std::max(0.0, y_lo_)); }

 private:
  TimePoint from_, to_;
  double y_lo_, y_hi_;
};

// The chart's time range [from, to).
struct Window {
  TimePoint from;
  TimePoint to;
};

// Whether point i of the series lies (at least partly) on the chart.
bool OnChart(const IntensitySeries& s, size_t i, const Window& w) {
  return s.TimeAt(i + 1) > w.from && s.TimeAt(i) < w.to;
}

double Plotted(const ChartLine& line, size_t i) { return line.series.values[i] * line.scale; }

// The colour index of a line: a forecast takes the colour of the recorded
// line with its id.
size_t ColourIndex(const ChartSpec& spec, size_t k) {
  for (size_t j = 0; j < spec.lines.size(); ++j) {
    if (!spec.lines[j].forecast && spec.lines[j].id == spec.lines[k].id) return j;
  }
  return k;
}

const ChartLine* LineOf(const ChartSpec& spec, const std::string& id) {
  for (const auto& l : spec.lines) {
    if (!l.forecast && l.id == id) return &l;
  }
  return nullptr;
}

// The step line of one unbroken run [a, b) of points, as path data. When the
// point before the run is drawn (a change of kind, not a gap), the run opens
// with the vertical step from it so the curve stays joined.
std::string RunPath(const ChartLine& line, size_t a, size_t b, const Scale& sc, const Window& w) {
  const IntensitySeries& s = line.series;
  auto clamp = [&](TimePoint t) { return std::clamp(t, w.from, w.to); };
  std::string d;
  if (a > 0 && !s.IsMissing(a - 1) && OnChart(s, a - 1, w)) {
    d += "M" + Coord(sc.X(clamp(s.TimeAt(a)))) + "," + Coord(sc.Y(Plotted(line, a - 1)));
  }
  for (size_t i = a; i < b; ++i) {
    double y = sc.Y(Plotted(line, i));
    d += (d.empty() ? "M" : " L") + Coord(sc.X(clamp(s.TimeAt(i)))) + "," + Coord(y);
    d += " L" + Coord(sc.X(clamp(s.TimeAt(i + 1)))) + "," + Coord(y);
  }
  return d;
}

// The area under a line's step curve over [start, end), down to the baseline.
std::string AreaPath(const ChartLine& line, TimePoint start, TimePoint end, const Scale& sc) {
  const IntensitySeries& s = line.series;
  std::string d;
  for (size_t i = 0; i < s.size(); ++i) {
    TimePoint lo = std::max(start, s.TimeAt(i)), hi = std::min(end, s.TimeAt(i + 1));
    if (hi <= lo || s.IsMissing(i)) continue;
    double y = sc.Y(Plotted(line, i));
    d += (d.empty() ? "" : " ") + std::string("M") + Coord(sc.X(lo)) + "," + Coord(sc.YBase()) + " L" +
         Coord(sc.X(lo)) + "," + Coord(y) + " L" + Coord(sc.X(hi)) + "," + Coord(y) + " L" + Coord(sc.X(hi)) + "," +
         Coord(sc.YBase()) + " Z";
  }
  return d;
}

}  // namespace

std::string XmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // Control characters other than tab and newline are not allowed in
        // XML 1.0 at all; they cannot come from a legitimate id.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

double ChartXOf(TimePoint t, TimePoint from, TimePoint to) {
  if (to <= from) return kChartPlotX0;
  t = std::clamp(t, from, to);
  double frac = static_cast<double>((t - from).count()) / static_cast<double>((to - from).count());
  return kChartPlotX0 + frac * (kChartPlotX1 - kChartPlotX0);
}

std::string ChartTimeLabel(TimePoint t) {
  // FormatTime gives "2022-06-01T12:00:00Z"; the label is "06-01 12:00Z".
  std::string iso = FormatTime(t);
  return iso.substr(5, 5) + " " + iso.substr(11, 5) + "Z";
}

std::string RenderIntensityChart(const ChartSpec& spec) {
  const TimePoint to = spec.to > spec.from ? spec.to : spec.from + Duration{3600};
  const Window range{spec.from, to};

  // The y range: from zero (or below, for a negative value) to a round number
  // above the highest plotted value.
  double lo = 0, hi = 0;
  bool any = false;
  for (const auto& line : spec.lines) {
    for (size_t i = 0; i < line.series.size(); ++i) {
      if (line.series.IsMissing(i) || !OnChart(line.series, i, range)) continue;
      lo = std::min(lo, Plotted(line, i));
      hi = std::max(hi, Plotted(line, i));
      any = true;
    }
  }
  if (!any || hi <= lo) hi = lo + 100;
  const double y_step = NiceStep(hi - lo, 5);
  const double y_lo = std::floor(lo / y_step) * y_step;
  const double y_hi = std::ceil(hi / y_step) * y_step;
  const Scale sc(spec.from, to, y_lo, y_hi);

  std::ostringstream o;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" << kChartWidth << "\" height=\""
    << kChartHeight << "\" viewBox=\"0 0 " << kChartWidth << " " << kChartHeight << "\""
    << " font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\""
    << " data-from=\"" << FormatTime(spec.from) << "\" data-to=\"" << FormatTime(to) << "\" data-plot-x0=\""
    << Coord(kChartPlotX0) << "\" data-plot-x1=\"" << Coord(kChartPlotX1) << "\" data-unit=\"gCO2eq/kWh\">\n";
  o << "<title>" << XmlEscape(spec.title) << "</title>\n";
  o << "<defs>\n"
    << "<pattern id=\"nodata\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
       "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#ffffff\"/>"
       "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#bbbbbb\" stroke-width=\"2\"/></pattern>\n"
    << "<pattern id=\"runnow\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" "
       "patternTransform=\"rotate(-45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#777777\" "
       "stroke-width=\"1\" stroke-opacity=\"0.5\"/></pattern>\n"
    << "</defs>\n";
  o << "<rect width=\"" << kChartWidth << "\" height=\"" << kChartHeight << "\" fill=\"#ffffff\"/>\n";
  o << "<text x=\"" << Coord(kChartPlotX0) << "\" y=\"28\" font-size=\"17\" font-weight=\"bold\">"
    << XmlEscape(spec.title) << "</text>\n";
  // The subtitle: up to two lines, split at '\n'.
  double sub_y = 48;
  for (size_t b = 0; b < spec.subtitle.size() && sub_y < 70;) {
    size_t e = spec.subtitle.find('\n', b);
    if (e == std::string::npos) e = spec.subtitle.size();
    o << "<text x=\"" << Coord(kChartPlotX0) << "\" y=\"" << Coord(sub_y) << "\" font-size=\"13\" fill=\"#333333\">"
      << XmlEscape(spec.subtitle.substr(b, e - b)) << "</text>\n";
    b = e + 1;
    sub_y += 17;
  }

  // Axes, grid lines and ticks.
  o << "<g class=\"axis y\" stroke=\"#dddddd\">\n";
  const int y_ticks = static_cast<int>(std::lround((y_hi - y_lo) / y_step));
  for (int k = 0; k <= y_ticks; ++k) {
    const double v = y_lo + k * y_step;
    double y = sc.Y(v);
    o << "<line x1=\"" << Coord(kChartPlotX0) << "\" y1=\"" << Coord(y) << "\" x2=\"" << Coord(kChartPlotX1)
      << "\" y2=\"" << Coord(y) << "\"/>"
      << "<text x=\"" << Coord(kChartPlotX0 - 6) << "\" y=\"" << Coord(y + 4)
      << "\" text-anchor=\"end\" stroke=\"none\" fill=\"#333333\">" << ExactNumber(std::round(v * 1e6) / 1e6)
      << "</text>\n";
  }
  o << "<text transform=\"translate(22," << Coord((kPlotY0 + kPlotY1) / 2)
    << ") rotate(-90)\" text-anchor=\"middle\" stroke=\"none\" fill=\"#333333\">"
       "effective intensity, g CO2eq/kWh (grid × PUE)</text>\n";
  o << "</g>\n";
  const Duration t_step = TimeTickStep(to - spec.from);
  o << "<g class=\"axis x\" stroke=\"#dddddd\">\n";
  TimePoint tick = FloorTo(spec.from, t_step);
  if (tick < spec.from) tick += t_step;
  for (; tick <= to; tick += t_step) {
    double x = sc.X(tick);
    o << "<line x1=\"" << Coord(x) << "\" y1=\"" << Coord(kPlotY0) << "\" x2=\"" << Coord(x) << "\" y2=\""
      << Coord(kPlotY1 + 4) << "\"/>"
      << "<text x=\"" << Coord(x) << "\" y=\"" << Coord(kPlotY1 + 18)
      << "\" text-anchor=\"middle\" stroke=\"none\" fill=\"#333333\" data-time=\"" << FormatTime(tick) << "\">"
      << ChartTimeLabel(tick) << "</text>\n";
  }
  o << "<text x=\"" << Coord((kChartPlotX0 + kChartPlotX1) / 2) << "\" y=\"" << Coord(kPlotY1 + 40)
    << "\" text-anchor=\"middle\" stroke=\"none\" fill=\"#333333\">time (UTC); each value holds for its slot</text>\n";
  o << "</g>\n";
  o << "<rect x=\"" << Coord(kChartPlotX0) << "\" y=\"" << Coord(kPlotY0) << "\" width=\""
    << Coord(kChartPlotX1 - kChartPlotX0) << "\" height=\"" << Coord(kPlotY1 - kPlotY0)
    << "\" fill=\"none\" stroke=\"#999999\"/>\n";

  // Gaps first, so the curves and spans sit on top of them. A gap is one
  // line's: it is outlined and labelled in that line's colour.
  for (size_t k = 0; k < spec.lines.size(); ++k) {
    const ChartLine& line = spec.lines[k];
    const IntensitySeries& s = line.series;
    for (size_t i = 0; i < s.size();) {
      if (!s.IsMissing(i) || !OnChart(s, i, range)) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < s.size() && s.IsMissing(j) && OnChart(s, j, range)) ++j;
      TimePoint a = std::max(s.TimeAt(i), spec.from), b = std::min(s.TimeAt(j), to);
      o << "<rect class=\"gap\" data-region=\"" << XmlEscape(line.id) << "\" data-start=\"" << FormatTime(a)
        << "\" data-end=\"" << FormatTime(b) << "\" x=\"" << Coord(sc.X(a)) << "\" y=\"" << Coord(kPlotY0)
        << "\" width=\"" << Coord(sc.X(b) - sc.X(a)) << "\" height=\"" << Coord(kPlotY1 - kPlotY0)
        << "\" fill=\"url(#nodata)\" fill-opacity=\"0.6\" stroke=\"" << ColourOf(ColourIndex(spec, k))
        << "\" stroke-opacity=\"0.5\" stroke-dasharray=\"2 3\"><title>" << XmlEscape(line.id) << ": no data from "
        << ChartTimeLabel(a) << " to " << ChartTimeLabel(b) << "</title></rect>\n";
      if (sc.X(b) - sc.X(a) >= 44) {
        o << "<text x=\"" << Coord((sc.X(a) + sc.X(b)) / 2) << "\" y=\"" << Coord(kPlotY1 - 8)
          << "\" text-anchor=\"middle\" font-size=\"10\" fill=\"" << ColourOf(ColourIndex(spec, k)) << "\">no data</text>\n";
      }
      i = j;
    }
  }

  // Spans under the curves: the chosen slots shaded under their curve, the
  // run-now window hatched and outlined.
  double last_run_label_x = -1e9;  // labels of close stretches would collide
  for (const auto& span : spec.spans) {
    const ChartLine* line = LineOf(spec, span.region);
    size_t colour = line ? ColourIndex(spec, static_cast<size_t>(line - spec.lines.data())) : 7;
    TimePoint a = std::clamp(span.start, spec.from, to), b = std::clamp(span.end, spec.from, to);
    double xa = sc.X(a), xb = sc.X(b);
    bool chosen = span.kind == ChartSpan::Kind::kChosen;
    o << "<g class=\"span " << (chosen ? "chosen" : "run-now") << "\" data-region=\"" << XmlEscape(span.region)
      << "\" data-start=\"" << FormatTime(span.start) << "\" data-end=\"" << FormatTime(span.end) << "\">";
    o << "<title>" << (chosen ? "runs in " : "run now in ") << XmlEscape(span.region) << " from "
      << ChartTimeLabel(span.start) << " to " << ChartTimeLabel(span.end) << "</title>";
    if (chosen) {
      o << "<rect x=\"" << Coord(xa) << "\" y=\"" << Coord(kPlotY0) << "\" width=\"" << Coord(xb - xa)
        << "\" height=\"" << Coord(kPlotY1 - kPlotY0) << "\" fill=\"" << ColourOf(colour)
        << "\" fill-opacity=\"0.08\"/>";
      if (line) {
        o << "<path class=\"area\" d=\"" << AreaPath(*line, span.start, span.end, sc) << "\" fill=\""
          << ColourOf(colour) << "\" fill-opacity=\"0.35\"/>";
      }
      if (xa - last_run_label_x >= 32) {
        o << "<text x=\"" << Coord(xa + 3) << "\" y=\"" << Coord(kPlotY0 + 13) << "\" fill=\"" << ColourOf(colour)
          << "\" font-weight=\"bold\">run</text>";
        last_run_label_x = xa;
      }
    } else {
      o << "<rect x=\"" << Coord(xa) << "\" y=\"" << Coord(kPlotY0) << "\" width=\"" << Coord(xb - xa)
        << "\" height=\"" << Coord(kPlotY1 - kPlotY0)
        << "\" fill=\"url(#runnow)\" stroke=\"#555555\" stroke-dasharray=\"4 3\"/>";
      o << "<text x=\"" << Coord(xa + 3) << "\" y=\"" << Coord(kPlotY0 + 28) << "\" fill=\"#555555\">run now</text>";
    }
    o << "</g>\n";
  }

  // The curves: one <g> per line carrying every plotted value, one <path>
  // per unbroken run of points of one kind.
  for (size_t k = 0; k < spec.lines.size(); ++k) {
    const ChartLine& line = spec.lines[k];
    const IntensitySeries& s = line.series;
    std::string values;
    for (size_t i = 0; i < s.size(); ++i) {
      if (!OnChart(s, i, range)) continue;
      values += (values.empty() ? "" : " ") + FormatTime(s.TimeAt(i)) + "=" +
                (s.IsMissing(i) ? std::string("missing") : ExactNumber(Plotted(line, i)));
    }
    o << "<g class=\"series" << (line.forecast ? " forecast" : "") << "\" data-region=\"" << XmlEscape(line.id)
      << "\" data-scale=\"" << ExactNumber(line.scale) << "\" data-step-s=\"" << s.step.count()
      << "\" data-values=\"" << values << "\" fill=\"none\" stroke=\"" << ColourOf(ColourIndex(spec, k))
      << "\" stroke-width=\"" << (line.forecast ? "1.6" : "2.2") << "\" stroke-linejoin=\"round\">\n";
    o << "<title>" << XmlEscape(line.id) << (line.forecast ? " (forecast)" : "")
      << ": effective intensity, g CO2eq/kWh</title>\n";
    for (size_t i = 0; i < s.size();) {
      if (s.IsMissing(i) || !OnChart(s, i, range)) {
        ++i;
        continue;
      }
      PointKind kind = s.ProvenanceAt(i).kind;
      size_t j = i;
      while (j < s.size() && !s.IsMissing(j) && OnChart(s, j, range) && s.ProvenanceAt(j).kind == kind) ++j;
      o << "<path class=\"kind-" << PointKindName(kind) << "\" d=\"" << RunPath(line, i, j, sc, range) << "\"";
      const char* dash = line.forecast ? DashOf(PointKind::kForecast) : DashOf(kind);
      if (*dash) o << " stroke-dasharray=\"" << dash << "\"";
      if (line.forecast || kind == PointKind::kForecast) o << " stroke-linecap=\"round\"";
      o << "/>\n";
      i = j;
    }
    o << "</g>\n";
  }

  // The legend: one entry per line, then a key to the line styles shown.
  // Room for the entries above the key (at most 7 rows of 18): with their
  // second lines while they fit, else without; past that, a count.
  double y = kPlotY0 + 4;
  const double room = kChartHeight - 10 - 7 * 18 - 6 - y;
  const bool sublabels = spec.lines.size() * 36.0 <= room;
  const size_t fit = static_cast<size_t>(room / (sublabels ? 36 : 22));
  const size_t shown = spec.lines.size() <= fit ? spec.lines.size() : fit - 1;
  o << "<g class=\"legend\">\n";
  for (size_t k = 0; k < spec.lines.size(); ++k) {
    const ChartLine& line = spec.lines[k];
    if (k == shown) {
      o << "<text x=\"" << Coord(kLegendX) << "\" y=\"" << Coord(y + 4) << "\" font-size=\"11\">and "
        << spec.lines.size() - shown << " more lines</text>\n";
      y += 22;
      break;
    }
    o << "<g class=\"legend-entry\" data-region=\"" << XmlEscape(line.id) << "\">"
      << "<line x1=\"" << Coord(kLegendX) << "\" y1=\"" << Coord(y) << "\" x2=\"" << Coord(kLegendX + 22)
      << "\" y2=\"" << Coord(y) << "\" stroke=\"" << ColourOf(ColourIndex(spec, k)) << "\" stroke-width=\""
      << (line.forecast ? "1.6" : "2.2") << "\"" << (line.forecast ? " stroke-dasharray=\"1 3\" stroke-linecap=\"round\"" : "")
      << "/><text x=\"" << Coord(kLegendX + 28) << "\" y=\"" << Coord(y + 4) << "\">" << XmlEscape(line.id)
      << (line.forecast ? " forecast" : "") << "</text>";
    if (sublabels && !line.label.empty()) {
      o << "<text x=\"" << Coord(kLegendX + 28) << "\" y=\"" << Coord(y + 18) << "\" font-size=\"10\" fill=\"#555555\">"
        << XmlEscape(line.label) << "</text>";
      y += 14;
    }
    o << "</g>\n";
    y += 22;
  }
  // Which kinds and marks appear, so the key lists only those.
  bool kinds[5] = {};
  bool gaps = false;
  for (const auto& line : spec.lines) {
    for (size_t i = 0; i < line.series.size(); ++i) {
      if (!OnChart(line.series, i, range)) continue;
      if (line.series.IsMissing(i)) {
        gaps = true;
      } else {
        kinds[static_cast<int>(line.forecast ? PointKind::kForecast : line.series.ProvenanceAt(i).kind)] = true;
      }
    }
  }
  y += 6;
  for (PointKind kind : {PointKind::kMeasured, PointKind::kReplayed, PointKind::kEstimated, PointKind::kForecast}) {
    if (!kinds[static_cast<int>(kind)]) continue;
    o << "<line x1=\"" << Coord(kLegendX) << "\" y1=\"" << Coord(y) << "\" x2=\"" << Coord(kLegendX + 22)
      << "\" y2=\"" << Coord(y) << "\" stroke=\"#333333\" stroke-width=\"2\"";
    if (*DashOf(kind)) o << " stroke-dasharray=\"" << DashOf(kind) << "\"";
    o << "/><text x=\"" << Coord(kLegendX + 28) << "\" y=\"" << Coord(y + 4) << "\" font-size=\"11\">"
      << PointKindName(kind) << "</text>\n";
    y += 18;
  }
  auto swatch = [&](const std::string& fill, const std::string& extra, const std::string& text) {
    o << "<rect x=\"" << Coord(kLegendX) << "\" y=\"" << Coord(y - 6) << "\" width=\"22\" height=\"12\" fill=\""
      << fill << "\"" << extra << "/><text x=\"" << Coord(kLegendX + 28) << "\" y=\"" << Coord(y + 4)
      << "\" font-size=\"11\">" << text << "</text>\n";
    y += 18;
  };
  if (gaps) swatch("url(#nodata)", " stroke=\"#bbbbbb\"", "no data (a gap, not zero)");
  bool chosen = false, run_now = false;
  for (const auto& span : spec.spans) (span.kind == ChartSpan::Kind::kChosen ? chosen : run_now) = true;
  if (chosen) swatch("#777777", " fill-opacity=\"0.35\"", "run: the planned slots");
  if (run_now) swatch("url(#runnow)", " stroke=\"#555555\" stroke-dasharray=\"4 3\"", "run now (counterfactual)");
  o << "</g>\n";
  o << "</svg>\n";
  return o.str();
}

ChartSpec PlanChartSpec(const Plan& plan, const PlanRequest& q, const std::vector<RegionSeries>& candidates,
                        const RegionSeries& home, const std::vector<RegionSeries>& forecasts) {
  ChartSpec spec;
  spec.from = q.at;
  spec.to = std::max(q.deadline, plan.run_now.end);
  for (const auto& iv : plan.intervals) spec.to = std::max(spec.to, iv.end);

  spec.title = "sunwind plan: " + FormatDuration(q.duration) + " job at " + FormatPower(q.power_w) +
               (q.interruptible ? ", interruptible" : "") + ", deadline " + ChartTimeLabel(q.deadline);
  if (!plan.intervals.empty()) {
    const PlannedInterval& first = plan.intervals.front();
    spec.subtitle = "Runs in " + first.region->id + " from " + ChartTimeLabel(first.start) +
                    (plan.intervals.size() > 1 ? " (" + std::to_string(plan.intervals.size()) + " stretches)" : "") +
                    ": " + FormatMass(plan.emissions_g) + " CO2eq (expected).\n";
  }
  if (plan.run_now.region != nullptr) {
    if (std::isnan(plan.run_now.emissions_g)) {
      spec.subtitle += "Run now in " + plan.run_now.region->id + ": unknown (gap in data).";
    } else {
      spec.subtitle += "Run now in " + plan.run_now.region->id + ": " + FormatMass(plan.run_now.emissions_g) +
                       ". Saving " + FormatMass(plan.saving_g) + " CO2eq (" + FormatNumber(plan.saving_pct, 1) +
                       " %).";
    }
  }

  auto label = [&](const Region* r) {
    return r->zone + ", PUE " + FormatNumber(r->pue, 3) + (r == home.region ? ", home (run now)" : "");
  };
  bool home_is_candidate = false;
  for (const auto& rs : candidates) {
    // The home series reaches past the deadline to cover the run-now window;
    // where the region is also a candidate, it is the same data, longer.
    const bool is_home = rs.region == home.region;
    home_is_candidate |= is_home;
    spec.lines.push_back({rs.region->id, label(rs.region), is_home ? home.series : rs.series, rs.region->pue, false});
  }
  if (!home_is_candidate && home.region != nullptr) {
    spec.lines.push_back({home.region->id, label(home.region), home.series, home.region->pue, false});
  }
  for (const auto& rs : forecasts) {
    // A region with no recorded past keeps its estimate, unforecast: its
    // "forecast" would only repeat the line already drawn.
    const bool forecast = std::any_of(rs.series.provenance.begin(), rs.series.provenance.end(),
                                      [](const Provenance& p) { return p.kind == PointKind::kForecast; });
    if (!forecast) continue;
    spec.lines.push_back({rs.region->id, "forecast made at " + ChartTimeLabel(q.at), rs.series, rs.region->pue, true});
  }
  for (const auto& iv : plan.intervals) {
    spec.spans.push_back({ChartSpan::Kind::kChosen, iv.region->id, iv.start, iv.end});
  }
  if (plan.run_now.region != nullptr) {
    spec.spans.push_back({ChartSpan::Kind::kRunNow, plan.run_now.region->id, plan.run_now.start, plan.run_now.end});
  }
  return spec;
}

}  // namespace sunwind
