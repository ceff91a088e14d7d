// The SVG chart of `plan --svg`: well-formed, and what it plots is what it was
// given, read back from the document rather than trusted.
#include "cli/svg_chart.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/series.h"
#include "core/time.h"
#include "core/units.h"
#include "scheduler/planner.h"
#include "tests/cli/mini_xml.h"

namespace sunwind {
namespace {

using testing::MiniXmlParser;
using testing::XmlElement;

TimePoint T(const char* iso) { return *ParseTime(iso); }

IntensitySeries Hourly(TimePoint start, const std::vector<double>& values, PointKind kind = PointKind::kMeasured) {
  IntensitySeries s;
  s.start = start;
  s.step = Duration{3600};
  for (double v : values) s.Append(v, std::isnan(v) ? PointKind::kMissing : kind, "test data");
  return s;
}

std::unique_ptr<XmlElement> ParseOrFail(const std::string& svg) {
  MiniXmlParser p(svg);
  auto root = p.Parse();
  EXPECT_NE(nullptr, root) << p.error();
  return root;
}

// "T1=v1 T2=missing ..." as (time, value) pairs; missing reads as NaN.
std::vector<std::pair<std::string, double>> DataValues(const XmlElement& g) {
  std::vector<std::pair<std::string, double>> out;
  std::istringstream in(g.Attr("data-values"));
  std::string item;
  while (in >> item) {
    auto eq = item.find('=');
    std::string v = item.substr(eq + 1);
    out.emplace_back(item.substr(0, eq), v == "missing" ? std::nan("") : std::stod(v));
  }
  return out;
}

const XmlElement* Series(const XmlElement& root, const std::string& region, bool forecast = false) {
  auto all = root.FindAll([&](const XmlElement& e) {
    return e.name == "g" && e.HasClass("series") && e.HasClass("forecast") == forecast &&
           e.Attr("data-region") == region;
  });
  return all.size() == 1 ? all[0] : nullptr;
}

// The (x, y) points of a path made of M and L commands.
std::vector<std::vector<std::pair<double, double>>> Subpaths(const std::string& d) {
  std::vector<std::vector<std::pair<double, double>>> out;
  std::istringstream in(d);
  std::string tok;
  while (in >> tok) {
    char cmd = tok[0];
    if (cmd == 'Z') continue;
    auto comma = tok.find(',');
    double x = std::stod(tok.substr(1, comma - 1)), y = std::stod(tok.substr(comma + 1));
    if (cmd == 'M') out.emplace_back();
    out.back().emplace_back(x, y);
  }
  return out;
}

ChartSpec TwoRegionSpec() {
  ChartSpec spec;
  spec.title = "a 3h job";
  spec.subtitle = "saving 12 g CO2eq (40.0 %)";
  spec.from = T("2022-06-01T00:00Z");
  spec.to = T("2022-06-02T00:00Z");
  std::vector<double> a, b;
  for (int h = 0; h < 24; ++h) {
    a.push_back(300 + 10 * h + 0.123456789);
    b.push_back(90 + h * 1.5);
  }
  spec.lines.push_back({"aws:eu-central-1", "DE, PUE 1.135", Hourly(spec.from, a), 1.135, false});
  spec.lines.push_back({"aws:eu-west-3", "FR, PUE 1.15", Hourly(spec.from, b, PointKind::kReplayed), 1.15, false});
  spec.spans.push_back({ChartSpan::Kind::kChosen, "aws:eu-west-3", T("2022-06-01T02:00Z"), T("2022-06-01T05:00Z")});
  spec.spans.push_back({ChartSpan::Kind::kRunNow, "aws:eu-central-1", spec.from, T("2022-06-01T03:00Z")});
  return spec;
}

TEST(SvgChartTest, IsAWellFormedStandaloneSvgDocument) {
  // Given a chart of two regions with a chosen and a run-now span, we should
  // write one well-formed SVG element in the SVG namespace with a fixed size
  // and viewBox, and nothing that loads from outside (no href, no script).
  std::string svg = RenderIntensityChart(TwoRegionSpec());
  auto root = ParseOrFail(svg);
  ASSERT_NE(nullptr, root);
  EXPECT_EQ("svg", root->name);
  EXPECT_EQ("http://www.w3.org/2000/svg", root->Attr("xmlns"));
  EXPECT_EQ("0 0 960 540", root->Attr("viewBox"));
  EXPECT_EQ("960", root->Attr("width"));
  EXPECT_EQ("540", root->Attr("height"));
  EXPECT_EQ(std::string::npos, svg.find("href"));
  EXPECT_EQ(std::string::npos, svg.find("<script"));
  EXPECT_EQ(std::string::npos, svg.find("<image"));
  EXPECT_EQ(std::string::npos, svg.find("nan")) << "a NaN leaked into a coordinate";
}

TEST(SvgChartTest, TheCheckerRejectsBrokenXml) {
  // Given documents with the faults an SVG writer makes (a raw '&', a tag
  // left open, a crossed end tag, a duplicate attribute), we should reject
  // each, so the well-formedness tests can fail.
  for (const char* bad : {"<svg><text>a & b</text></svg>", "<svg><g></svg>", "<svg><g><a></g></a></svg>",
                          "<svg x=\"1\" x=\"2\"/>", "<svg a=\"<\"/>", "<svg/><svg/>", "<svg a=b/>"}) {
    MiniXmlParser p(bad);
    EXPECT_EQ(nullptr, p.Parse()) << bad;
  }
}

TEST(SvgChartTest, PlottedValuesAreTheSeriesTimesItsScale) {
  // Given two regions' hourly series and their PUEs, we should carry every
  // plotted point as data on its region's series group, each value exactly
  // series value × PUE at the point's own time.
  ChartSpec spec = TwoRegionSpec();
  auto root = ParseOrFail(RenderIntensityChart(spec));
  ASSERT_NE(nullptr, root);
  for (const auto& line : spec.lines) {
    const XmlElement* g = Series(*root, line.id);
    ASSERT_NE(nullptr, g) << line.id;
    auto values = DataValues(*g);
    ASSERT_EQ(line.series.size(), values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(FormatTime(line.series.TimeAt(i)), values[i].first);
      EXPECT_EQ(line.series.values[i] * line.scale, values[i].second) << line.id << " point " << i;
    }
    EXPECT_EQ(std::to_string(line.series.step.count()), g->Attr("data-step-s"));
  }
}

TEST(SvgChartTest, CurvesAreDrawnWhereTheirValuesSay) {
  // Given a region's series, we should draw it as steps: each value's
  // horizontal segment runs from its slot's start to its end, at a height
  // proportional to the value on the y axis.
  ChartSpec spec = TwoRegionSpec();
  auto root = ParseOrFail(RenderIntensityChart(spec));
  ASSERT_NE(nullptr, root);
  const XmlElement* g = Series(*root, "aws:eu-central-1");
  ASSERT_NE(nullptr, g);
  ASSERT_EQ(1u, g->FindAll([](const XmlElement& e) { return e.name == "path"; }).size());
  auto paths = Subpaths(g->FindAll([](const XmlElement& e) { return e.name == "path"; })[0]->Attr("d"));
  ASSERT_EQ(1u, paths.size());
  ASSERT_EQ(48u, paths[0].size());
  // Two points per slot; y is linear in the value.
  const auto& line = spec.lines[0];
  auto y_of = [&](size_t i) { return paths[0][2 * i].second; };
  double per_unit = (y_of(0) - y_of(23)) / ((line.series.values[23] - line.series.values[0]) * line.scale);
  for (size_t i = 0; i < 24; ++i) {
    EXPECT_NEAR(ChartXOf(line.series.TimeAt(i), spec.from, spec.to), paths[0][2 * i].first, 0.006);
    EXPECT_NEAR(ChartXOf(line.series.TimeAt(i + 1), spec.from, spec.to), paths[0][2 * i + 1].first, 0.006);
    EXPECT_NEAR(y_of(0) - (line.series.values[i] - line.series.values[0]) * line.scale * per_unit, y_of(i), 0.02);
  }
}

TEST(SvgChartTest, ShadingCoversExactlyTheChosenAndRunNowIntervals) {
  // Given a chosen interval 02:00-05:00 and a run-now window 00:00-03:00,
  // we should shade each over exactly the x range its times map to, and say
  // the times and the region on the span.
  ChartSpec spec = TwoRegionSpec();
  auto root = ParseOrFail(RenderIntensityChart(spec));
  ASSERT_NE(nullptr, root);
  auto spans = root->FindAll([](const XmlElement& e) { return e.name == "g" && e.HasClass("span"); });
  ASSERT_EQ(2u, spans.size());
  for (size_t k = 0; k < 2; ++k) {
    const ChartSpan& want = spec.spans[k];
    const XmlElement& got = *spans[k];
    EXPECT_EQ(want.kind == ChartSpan::Kind::kChosen, got.HasClass("chosen"));
    EXPECT_EQ(want.kind == ChartSpan::Kind::kRunNow, got.HasClass("run-now"));
    EXPECT_EQ(want.region, got.Attr("data-region"));
    EXPECT_EQ(FormatTime(want.start), got.Attr("data-start"));
    EXPECT_EQ(FormatTime(want.end), got.Attr("data-end"));
    auto rects = got.FindAll([](const XmlElement& e) { return e.name == "rect"; });
    ASSERT_EQ(1u, rects.size());
    double x = std::stod(rects[0]->Attr("x")), w = std::stod(rects[0]->Attr("width"));
    EXPECT_NEAR(ChartXOf(want.start, spec.from, spec.to), x, 0.006);
    EXPECT_NEAR(ChartXOf(want.end, spec.from, spec.to), x + w, 0.011);
  }
  // The chosen slots' area lies under the chosen region's curve: its x
  // extent is the interval's, one block per slot.
  auto area = spans[0]->FindAll([](const XmlElement& e) { return e.HasClass("area"); });
  ASSERT_EQ(1u, area.size());
  auto blocks = Subpaths(area[0]->Attr("d"));
  ASSERT_EQ(3u, blocks.size());
  EXPECT_NEAR(ChartXOf(T("2022-06-01T02:00Z"), spec.from, spec.to), blocks.front().front().first, 0.006);
  EXPECT_NEAR(ChartXOf(T("2022-06-01T05:00Z"), spec.from, spec.to), blocks.back().back().first, 0.006);
}

TEST(SvgChartTest, TheXMappingIsPublishedOnTheRoot) {
  // Given a chart, we should publish the time range and the plot's x extent on
  // the root, so a reader can map times to x without this library.
  ChartSpec spec = TwoRegionSpec();
  auto root = ParseOrFail(RenderIntensityChart(spec));
  ASSERT_NE(nullptr, root);
  EXPECT_EQ("2022-06-01T00:00:00Z", root->Attr("data-from"));
  EXPECT_EQ("2022-06-02T00:00:00Z", root->Attr("data-to"));
  double x0 = std::stod(root->Attr("data-plot-x0")), x1 = std::stod(root->Attr("data-plot-x1"));
  EXPECT_DOUBLE_EQ(x0, ChartXOf(spec.from, spec.from, spec.to));
  EXPECT_DOUBLE_EQ(x1, ChartXOf(spec.to, spec.from, spec.to));
  EXPECT_DOUBLE_EQ((x0 + x1) / 2, ChartXOf(T("2022-06-01T12:00Z"), spec.from, spec.to));
}

TEST(SvgChartTest, GapsBreakTheLineAndAreNeverDrawnAsZero) {
  // Given a series with a 3-hour gap (NaN) in the middle, we should draw two
  // separate runs with nothing between them, record the points as missing,
  // mark the gap as "no data", and never draw a point at zero.
  ChartSpec spec;
  spec.title = "gap";
  spec.from = T("2022-06-01T00:00Z");
  spec.to = T("2022-06-01T10:00Z");
  const double nan = std::nan("");
  spec.lines.push_back({"x:gappy", "", Hourly(spec.from, {200, 210, 220, nan, nan, nan, 240, 250, 260, 270}), 1.0, false});
  auto root = ParseOrFail(RenderIntensityChart(spec));
  ASSERT_NE(nullptr, root);
  const XmlElement* g = Series(*root, "x:gappy");
  ASSERT_NE(nullptr, g);
  auto values = DataValues(*g);
  ASSERT_EQ(10u, values.size());
  for (size_t i = 3; i < 6; ++i) EXPECT_TRUE(std::isnan(values[i].second)) << i;
  std::vector<std::vector<std::pair<double, double>>> runs;
  for (const auto* p : g->FindAll([](const XmlElement& e) { return e.name == "path"; })) {
    for (auto& sub : Subpaths(p->Attr("d"))) runs.push_back(sub);
  }
  ASSERT_EQ(2u, runs.size());
  EXPECT_NEAR(ChartXOf(T("2022-06-01T03:00Z"), spec.from, spec.to), runs[0].back().first, 0.006);
  EXPECT_NEAR(ChartXOf(T("2022-06-01T06:00Z"), spec.from, spec.to), runs[1].front().first, 0.006);
  // The y of zero is the plot's bottom; the lowest value plotted is 200.
  double lowest_y = 0;
  for (const auto& run : runs)
    for (const auto& [x, y] : run) lowest_y = std::max(lowest_y, y);
  auto gaps = root->FindAll([](const XmlElement& e) { return e.HasClass("gap"); });
  ASSERT_EQ(1u, gaps.size());
  double bottom = std::stod(gaps[0]->Attr("y")) + std::stod(gaps[0]->Attr("height"));
  EXPECT_LT(lowest_y, bottom - 1) << "a point was drawn at zero";
  EXPECT_EQ("2022-06-01T03:00:00Z", gaps[0]->Attr("data-start"));
  EXPECT_EQ("2022-06-01T06:00:00Z", gaps[0]->Attr("data-end"));
}

TEST(SvgChartTest, ProvenanceRunsAreDrawnApart) {
  // Given a series measured for 3 hours then replayed for 3, we should draw
  // two runs, the replayed one dashed and the measured one solid, joined at
  // the change (the line is not broken, only its style changes), and the
  // legend should name both kinds.
  ChartSpec spec;
  spec.title = "kinds";
  spec.from = T("2022-06-01T00:00Z");
  spec.to = T("2022-06-01T06:00Z");
  IntensitySeries s = Hourly(spec.from, {100, 110, 120});
  for (double v : {130, 140, 150}) s.Append(v, PointKind::kReplayed, "older year");
  spec.lines.push_back({"x:mixed", "", s, 1.0, false});
  auto root = ParseOrFail(RenderIntensityChart(spec));
  ASSERT_NE(nullptr, root);
  const XmlElement* g = Series(*root, "x:mixed");
  ASSERT_NE(nullptr, g);
  auto measured = g->FindAll([](const XmlElement& e) { return e.HasClass("kind-measured"); });
  auto replayed = g->FindAll([](const XmlElement& e) { return e.HasClass("kind-replayed"); });
  ASSERT_EQ(1u, measured.size());
  ASSERT_EQ(1u, replayed.size());
  EXPECT_EQ("", measured[0]->Attr("stroke-dasharray"));
  EXPECT_NE("", replayed[0]->Attr("stroke-dasharray"));
  auto m = Subpaths(measured[0]->Attr("d"))[0], r = Subpaths(replayed[0]->Attr("d"))[0];
  EXPECT_DOUBLE_EQ(m.back().first, r.front().first);
  EXPECT_DOUBLE_EQ(m.back().second, r.front().second) << "the replayed run should start from the measured level";
  auto legend = root->FindAll([](const XmlElement& e) { return e.HasClass("legend"); });
  ASSERT_EQ(1u, legend.size());
  std::string texts;
  for (const auto* t : legend[0]->FindAll([](const XmlElement& e) { return e.name == "text"; })) texts += t->text + "|";
  EXPECT_NE(std::string::npos, texts.find("measured|")) << texts;
  EXPECT_NE(std::string::npos, texts.find("replayed|")) << texts;
  EXPECT_EQ(std::string::npos, texts.find("estimated|")) << texts;
}

TEST(SvgChartTest, EscapesXmlSpecialCharactersInNamesAndTitles) {
  // Given a region id and a title full of XML's special characters, we should
  // still write well-formed XML whose attributes and text read back to the
  // original strings.
  const std::string id = "my<dc>:\"a&b\" 'c'";
  ChartSpec spec;
  spec.title = "job <&> \"x\"";
  spec.from = T("2022-06-01T00:00Z");
  spec.to = T("2022-06-01T03:00Z");
  spec.lines.push_back({id, "zone <Z>", Hourly(spec.from, {1, 2, 3}), 1.0, false});
  spec.spans.push_back({ChartSpan::Kind::kChosen, id, spec.from, spec.to});
  std::string svg = RenderIntensityChart(spec);
  EXPECT_EQ(std::string::npos, svg.find("my<dc>"));
  auto root = ParseOrFail(svg);
  ASSERT_NE(nullptr, root);
  EXPECT_NE(nullptr, Series(*root, id));
  auto titles = root->FindAll([](const XmlElement& e) { return e.name == "title"; });
  ASSERT_FALSE(titles.empty());
  EXPECT_EQ(spec.title, titles[0]->text);
  auto span = root->FindAll([](const XmlElement& e) { return e.HasClass("chosen"); });
  ASSERT_EQ(1u, span.size());
  EXPECT_EQ(id, span[0]->Attr("data-region"));
  EXPECT_EQ("a&amp;b&lt;", XmlEscape("a&b<"));
  EXPECT_EQ("&quot;&apos;&gt;", XmlEscape("\"'>"));
}

TEST(SvgChartTest, AxesHaveRoundIntensityTicksAndUtcTimeLabels) {
  // Given values up to 300 + 230 = 530.12 × 1.135 ≈ 602 g/kWh over one day,
  // we should label the y axis from 0 in equal round steps up to at least the
  // highest value, and the x axis with "MM-DD HH:MMZ" labels on whole hours.
  auto root = ParseOrFail(RenderIntensityChart(TwoRegionSpec()));
  ASSERT_NE(nullptr, root);
  auto y_axis = root->FindAll([](const XmlElement& e) { return e.HasClass("axis") && e.HasClass("y"); });
  ASSERT_EQ(1u, y_axis.size());
  std::vector<double> ticks;
  for (const auto* t : y_axis[0]->FindAll([](const XmlElement& e) { return e.name == "text" && !e.attrs.count("transform"); })) {
    ticks.push_back(std::stod(t->text));
  }
  ASSERT_GE(ticks.size(), 3u);
  EXPECT_EQ(0, ticks.front());
  EXPECT_GE(ticks.back(), 530.123456789 * 1.135);
  double step = ticks[1] - ticks[0];
  for (size_t i = 1; i < ticks.size(); ++i) EXPECT_DOUBLE_EQ(step, ticks[i] - ticks[i - 1]);
  double mantissa = step / std::pow(10, std::floor(std::log10(step)));
  EXPECT_TRUE(mantissa == 1 || mantissa == 2 || mantissa == 2.5 || mantissa == 5) << step;

  auto x_axis = root->FindAll([](const XmlElement& e) { return e.HasClass("axis") && e.HasClass("x"); });
  ASSERT_EQ(1u, x_axis.size());
  auto labels = x_axis[0]->FindAll([](const XmlElement& e) { return e.name == "text" && e.attrs.count("data-time"); });
  ASSERT_GE(labels.size(), 3u);
  ASSERT_LE(labels.size(), 9u);
  EXPECT_EQ("06-01 00:00Z", labels[0]->text);
  for (const auto* l : labels) {
    TimePoint t = T(l->Attr("data-time").c_str());
    EXPECT_EQ(ChartTimeLabel(t), l->text);
    EXPECT_EQ(FloorTo(t, Duration{3600}), t);
    EXPECT_NEAR(ChartXOf(t, T("2022-06-01T00:00Z"), T("2022-06-02T00:00Z")), std::stod(l->Attr("x")), 0.006);
  }
  EXPECT_EQ("12-31 23:30Z", ChartTimeLabel(T("2022-12-31T23:30:00Z")));
}

TEST(SvgChartTest, PlanChartShowsEveryCandidateAndThePlansSpans) {
  // Given a plan made by PlanJob over two candidate regions with a home
  // region that is not a candidate, we should chart all three regions'
  // effective intensity (grid × PUE), shade exactly the plan's interval on
  // the chosen region, mark the run-now window on home, and name the saving.
  auto region = [](const char* id, const char* zone, double pue) {
    Region r;
    r.id = id;
    r.zone = zone;
    r.pue = pue;
    return r;
  };
  const Region de = region("aws:eu-central-1", "DE", 1.135), fr = region("aws:eu-west-3", "FR", 1.15),
               pl = region("x:home", "PL", 1.5);
  const TimePoint at = T("2022-06-01T00:00Z");
  std::vector<double> dv, fv, pv;
  for (int h = 0; h < 12; ++h) {
    dv.push_back(400 - 5 * h);
    fv.push_back(h >= 6 && h < 9 ? 40 : 90);
    pv.push_back(700);
  }
  std::vector<RegionSeries> candidates = {{&de, Hourly(at, dv)}, {&fr, Hourly(at, fv)}};
  RegionSeries home{&pl, Hourly(at, pv)};
  PlanRequest q;
  q.at = at;
  q.deadline = T("2022-06-01T12:00Z");
  q.duration = Duration{3 * 3600};
  auto plan = PlanJob(candidates, home, q);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ASSERT_EQ(1u, plan->intervals.size());
  ASSERT_EQ(&fr, plan->intervals[0].region);

  ChartSpec spec = PlanChartSpec(*plan, q, candidates, home);
  EXPECT_EQ(at, spec.from);
  EXPECT_EQ(q.deadline, spec.to);
  ASSERT_EQ(3u, spec.lines.size());
  EXPECT_NE(std::string::npos, spec.subtitle.find("(" + FormatNumber(plan->saving_pct, 1) + " %)")) << spec.subtitle;
  EXPECT_NE(std::string::npos, spec.title.find("3h job")) << spec.title;

  auto root = ParseOrFail(RenderIntensityChart(spec));
  ASSERT_NE(nullptr, root);
  for (const auto& [region, values] :
       std::vector<std::pair<const Region*, std::vector<double>>>{{&de, dv}, {&fr, fv}, {&pl, pv}}) {
    const XmlElement* g = Series(*root, region->id);
    ASSERT_NE(nullptr, g) << region->id;
    auto got = DataValues(*g);
    ASSERT_EQ(values.size(), got.size());
    for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(values[i] * region->pue, got[i].second);
  }
  auto chosen = root->FindAll([](const XmlElement& e) { return e.HasClass("chosen"); });
  ASSERT_EQ(1u, chosen.size());
  EXPECT_EQ("aws:eu-west-3", chosen[0]->Attr("data-region"));
  EXPECT_EQ("2022-06-01T06:00:00Z", chosen[0]->Attr("data-start"));
  EXPECT_EQ("2022-06-01T09:00:00Z", chosen[0]->Attr("data-end"));
  auto run_now = root->FindAll([](const XmlElement& e) { return e.HasClass("run-now"); });
  ASSERT_EQ(1u, run_now.size());
  EXPECT_EQ("x:home", run_now[0]->Attr("data-region"));
  EXPECT_EQ("2022-06-01T03:00:00Z", run_now[0]->Attr("data-end"));
}

TEST(SvgChartTest, PlanChartDrawsOnlyRealForecasts) {
  // Given the series a plan was made on with --forecast, one region's a
  // forecast and the other's its yearly estimate (which is not forecast), we
  // should add a forecast line for the first only, in the first's colour.
  Region de;
  de.id = "aws:eu-central-1";
  de.zone = "DE";
  de.pue = 1.1;
  Region be;
  be.id = "gcp:europe-west1";
  be.zone = "BE";
  be.pue = 1.09;
  const TimePoint at = T("2022-06-01T00:00Z");
  std::vector<RegionSeries> recorded = {{&de, Hourly(at, {300, 200, 100, 150})},
                                        {&be, Hourly(at, {120, 120, 120, 120}, PointKind::kEstimated)}};
  std::vector<RegionSeries> forecasts = {{&de, Hourly(at, {280, 210, 120, 140}, PointKind::kForecast)}, recorded[1]};
  PlanRequest q;
  q.at = at;
  q.deadline = T("2022-06-01T04:00Z");
  q.duration = Duration{3600};
  auto plan = PlanJob(forecasts, forecasts[0], q);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  ChartSpec spec = PlanChartSpec(*plan, q, recorded, recorded[0], forecasts);
  ASSERT_EQ(3u, spec.lines.size());
  EXPECT_TRUE(spec.lines[2].forecast);
  EXPECT_EQ("aws:eu-central-1", spec.lines[2].id);
  auto root = ParseOrFail(RenderIntensityChart(spec));
  ASSERT_NE(nullptr, root);
  const XmlElement* fc = Series(*root, "aws:eu-central-1", /*forecast=*/true);
  ASSERT_NE(nullptr, fc);
  EXPECT_EQ(120 * 1.1, DataValues(*fc)[2].second);
  EXPECT_EQ(nullptr, Series(*root, "gcp:europe-west1", /*forecast=*/true));
}

TEST(SvgChartTest, ForecastLinesAreDrawnBesideTheRecordedOnes) {
  // Given a recorded line and a forecast of the same region, we should draw
  // both, the forecast in its own group (class "forecast"), dotted, in the
  // recorded line's colour, and list it in the legend as a forecast.
  ChartSpec spec;
  spec.title = "forecast";
  spec.from = T("2022-06-01T00:00Z");
  spec.to = T("2022-06-01T04:00Z");
  spec.lines.push_back({"x:r", "", Hourly(spec.from, {100, 120, 140, 160}), 1.0, false});
  spec.lines.push_back({"x:r", "forecast", Hourly(spec.from, {110, 115, 150, 170}, PointKind::kForecast), 1.0, true});
  auto root = ParseOrFail(RenderIntensityChart(spec));
  ASSERT_NE(nullptr, root);
  const XmlElement* rec = Series(*root, "x:r");
  const XmlElement* fc = Series(*root, "x:r", /*forecast=*/true);
  ASSERT_NE(nullptr, rec);
  ASSERT_NE(nullptr, fc);
  EXPECT_EQ(rec->Attr("stroke"), fc->Attr("stroke"));
  EXPECT_EQ(150, DataValues(*fc)[2].second);
  auto paths = fc->FindAll([](const XmlElement& e) { return e.name == "path"; });
  ASSERT_EQ(1u, paths.size());
  EXPECT_NE("", paths[0]->Attr("stroke-dasharray"));
  auto entries = root->FindAll([](const XmlElement& e) { return e.HasClass("legend-entry"); });
  ASSERT_EQ(2u, entries.size());
  EXPECT_EQ("x:r forecast", entries[1]->FindAll([](const XmlElement& e) { return e.name == "text"; })[0]->text);
}

TEST(SvgChartTest, ALongLegendStaysOnTheCanvas) {
  // Given 30 regions, more than the legend has room for, we should keep every
  // legend entry inside the canvas and say how many lines it leaves out,
  // while still plotting (and carrying the data of) all 30.
  ChartSpec spec;
  spec.title = "many";
  spec.from = T("2022-06-01T00:00Z");
  spec.to = T("2022-06-01T02:00Z");
  for (int k = 0; k < 30; ++k) {
    spec.lines.push_back({"r:" + std::to_string(k), "zone", Hourly(spec.from, {1.0 + k, 2.0 + k}), 1.0, false});
  }
  auto root = ParseOrFail(RenderIntensityChart(spec));
  ASSERT_NE(nullptr, root);
  EXPECT_EQ(30u, root->FindAll([](const XmlElement& e) { return e.HasClass("series"); }).size());
  auto legend = root->FindAll([](const XmlElement& e) { return e.HasClass("legend"); });
  ASSERT_EQ(1u, legend.size());
  size_t entries = legend[0]->FindAll([](const XmlElement& e) { return e.HasClass("legend-entry"); }).size();
  EXPECT_LT(entries, 30u);
  bool said_more = false;
  for (const auto* t : legend[0]->FindAll([](const XmlElement& e) { return e.name == "text" || e.name == "rect"; })) {
    EXPECT_LE(std::stod(t->Attr("y")), 540) << t->text;
    said_more |= t->text == "and " + std::to_string(30 - entries) + " more lines";
  }
  EXPECT_TRUE(said_more);
}

}  // namespace
}  // namespace sunwind
