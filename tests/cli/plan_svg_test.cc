// `sunwind plan --svg FILE`, run as a user would: the chart it writes plots
// the same intensity the plan was made on and shades the plan's own slots.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/time.h"
#include "tests/cli/mini_xml.h"
#include "tests/support/cli_runner.h"
#include "tests/support/temp_dir.h"

namespace {

using sunwind::testing::MiniXmlParser;
using sunwind::testing::PlottedValues;
using sunwind::testing::ReadLca;
using sunwind::testing::Sunwind;
using sunwind::testing::TempDir;
using sunwind::testing::XmlElement;

constexpr const char* kPlanArgs =
    "plan --regions aws:eu-central-1,aws:eu-west-3 --duration 3h --at 2022-06-01T00:00Z "
    "--deadline 2022-06-03T00:00Z --power 2kW";

sunwind::TimePoint T(const std::string& iso) { return *sunwind::ParseTime(iso); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The time-weighted mean of hourly plotted values over [from, to).
double MeanOver(const std::map<std::string, double>& values, const std::string& from, const std::string& to) {
  double sum = 0;
  int n = 0;
  for (auto t = T(from); t < T(to); t += std::chrono::hours(1)) {
    auto it = values.find(sunwind::FormatTime(t));
    if (it == values.end()) return std::nan("");
    sum += it->second;
    ++n;
  }
  return sum / n;
}

const XmlElement* Only(const std::vector<const XmlElement*>& found) { return found.size() == 1 ? found[0] : nullptr; }

TEST(PlanSvgTest, ChartPlotsWhatThePlanWasMadeOnAndShadesItsSlots) {
  // Given a 3h job over two days in DE (measured 2022) and FR (replayed),
  // planned with --json --svg, we should write a well-formed chart whose
  // chosen region's plotted values average, over the planned interval, to
  // the plan's mean intensity × PUE, whose shaded span is exactly the plan's
  // start and end at the x those times map to, whose run-now span is the
  // plan's run-now window, and whose DE values are the bundled CSV's × PUE.
  TempDir dir;
  const std::string path = dir.File("plan.svg");
  auto r = Sunwind(std::string(kPlanArgs) + " --json --svg " + path);
  ASSERT_EQ(0, r.exit_code) << r.err;
  EXPECT_NE(std::string::npos, r.err.find("wrote " + path)) << r.err;
  auto plan = nlohmann::json::parse(r.out);
  ASSERT_EQ(1u, plan["intervals"].size());
  const auto& iv = plan["intervals"][0];

  MiniXmlParser parser(ReadFile(path));
  auto root = parser.Parse();
  ASSERT_NE(nullptr, root) << parser.error();
  ASSERT_EQ("svg", root->name);
  EXPECT_EQ("http://www.w3.org/2000/svg", root->Attr("xmlns"));

  auto series = [&](const std::string& region) {
    return Only(root->FindAll([&](const XmlElement& e) {
      return e.HasClass("series") && !e.HasClass("forecast") && e.Attr("data-region") == region;
    }));
  };
  const XmlElement* chosen_line = series(iv["region"].get<std::string>());
  ASSERT_NE(nullptr, chosen_line);
  EXPECT_DOUBLE_EQ(iv["pue"].get<double>(), std::stod(chosen_line->Attr("data-scale")));
  double plotted_mean = MeanOver(PlottedValues(*chosen_line), iv["start"], iv["end"]);
  EXPECT_NEAR(iv["mean_intensity_g_per_kwh"].get<double>() * iv["pue"].get<double>(), plotted_mean, 1e-6);
  // emissions = power × hours × effective intensity, all read off the chart.
  double hours = (T(iv["end"]) - T(iv["start"])).count() / 3600.0;
  EXPECT_NEAR(iv["emissions_g"].get<double>(), 2.0 * hours * plotted_mean, 1e-6);

  // The shaded span is the plan's interval, at the x its times map to.
  const XmlElement* span = Only(root->FindAll([](const XmlElement& e) { return e.HasClass("chosen"); }));
  ASSERT_NE(nullptr, span);
  EXPECT_EQ(iv["region"], span->Attr("data-region"));
  EXPECT_EQ(iv["start"], span->Attr("data-start"));
  EXPECT_EQ(iv["end"], span->Attr("data-end"));
  const auto from = T(root->Attr("data-from")), to = T(root->Attr("data-to"));
  const double x0 = std::stod(root->Attr("data-plot-x0")), x1 = std::stod(root->Attr("data-plot-x1"));
  auto x_of = [&](const std::string& t) {
    return x0 + double((T(t) - from).count()) / double((to - from).count()) * (x1 - x0);
  };
  const XmlElement* band = Only(span->FindAll([](const XmlElement& e) { return e.name == "rect"; }));
  ASSERT_NE(nullptr, band);
  EXPECT_NEAR(x_of(iv["start"]), std::stod(band->Attr("x")), 0.006);
  EXPECT_NEAR(x_of(iv["end"]), std::stod(band->Attr("x")) + std::stod(band->Attr("width")), 0.011);

  // The run-now span and its curve agree with the plan's counterfactual.
  const auto& now = plan["run_now"];
  const XmlElement* run_now = Only(root->FindAll([](const XmlElement& e) { return e.HasClass("run-now"); }));
  ASSERT_NE(nullptr, run_now);
  EXPECT_EQ(now["region"], run_now->Attr("data-region"));
  EXPECT_EQ(now["start"], run_now->Attr("data-start"));
  EXPECT_EQ(now["end"], run_now->Attr("data-end"));
  const XmlElement* home = series(now["region"].get<std::string>());
  ASSERT_NE(nullptr, home);
  double home_pue = std::stod(home->Attr("data-scale"));
  EXPECT_NEAR(now["mean_intensity_g_per_kwh"].get<double>() * home_pue, MeanOver(PlottedValues(*home), now["start"], now["end"]),
              1e-6);

  // DE is measured: every plotted hour is the bundled CSV's value × PUE, the
  // PUE being the catalogue's.
  auto regions = nlohmann::json::parse(Sunwind("regions list --json").out);
  double de_pue = 0;
  for (const auto& reg : regions)
    if (reg["id"] == "aws:eu-central-1") de_pue = reg["pue"].get<double>();
  ASSERT_GT(de_pue, 1.0);
  const XmlElement* de = series("aws:eu-central-1");
  ASSERT_NE(nullptr, de);
  EXPECT_DOUBLE_EQ(de_pue, std::stod(de->Attr("data-scale")));
  auto lca = ReadLca("DE_2022");
  auto de_values = PlottedValues(*de);
  ASSERT_EQ(48u, de_values.size());
  for (const auto& [time, value] : de_values) {
    std::string key = time.substr(0, 10) + " " + time.substr(11, 8);
    EXPECT_NEAR(lca.at(key) * de_pue, value, 1e-9) << time;
  }
  EXPECT_FALSE(root->FindAll([](const XmlElement& e) { return e.HasClass("kind-measured"); }).empty());
  EXPECT_FALSE(root->FindAll([](const XmlElement& e) { return e.HasClass("kind-replayed"); }).empty());
}

TEST(PlanSvgTest, TheFlagLeavesThePlanOutputAsItWas) {
  // Given the same plan with and without --svg, we should print the same
  // table on stdout: the chart is an extra file, not a different plan.
  TempDir dir;
  auto plain = Sunwind(kPlanArgs);
  auto charted = Sunwind(std::string(kPlanArgs) + " --svg " + dir.File("c.svg"));
  ASSERT_EQ(0, plain.exit_code) << plain.err;
  ASSERT_EQ(0, charted.exit_code) << charted.err;
  EXPECT_EQ(plain.out, charted.out);
  EXPECT_TRUE(std::filesystem::exists(dir.File("c.svg")));
}

TEST(PlanSvgTest, AnUnwritablePathFailsNamingThePath) {
  // Given --svg into a folder that does not exist, we should fail with exit
  // code 1, name the path and why in the error, and print no plan.
  TempDir dir;
  const std::string path = dir.File("no-such-folder/plan.svg");
  auto r = Sunwind(std::string(kPlanArgs) + " --json --svg " + path);
  EXPECT_EQ(1, r.exit_code);
  EXPECT_NE(std::string::npos, r.err.find("--svg: cannot write " + path + ": No such file or directory")) << r.err;
  EXPECT_EQ("", r.out);
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace

namespace {

TEST(PlanSvgTest, AForecastPlanDrawsTheForecastItWasMadeOnBesideTheRecord) {
  // Given plan --forecast with --svg, we should draw one forecast line per
  // candidate region beside its recorded line, covering the same hours, and
  // the forecast is not a copy of what the grid did.
  TempDir dir;
  const std::string path = dir.File("forecast.svg");
  // Both zones have 2022 recorded (the forecast learns from the weeks before --at).
  auto r = Sunwind(
      "plan --regions aws:eu-central-1,aws:eu-west-2 --duration 3h --at 2022-06-01T00:00Z "
      "--deadline 2022-06-03T00:00Z --power 2kW --forecast seasonal-naive --svg " + path);
  ASSERT_EQ(0, r.exit_code) << r.err;
  MiniXmlParser parser(ReadFile(path));
  auto root = parser.Parse();
  ASSERT_NE(nullptr, root) << parser.error();
  for (const std::string region : {"aws:eu-central-1", "aws:eu-west-2"}) {
    SCOPED_TRACE(region);
    auto lines = [&](bool forecast) {
      return Only(root->FindAll([&](const XmlElement& e) {
        return e.HasClass("series") && e.HasClass("forecast") == forecast && e.Attr("data-region") == region;
      }));
    };
    const XmlElement* recorded = lines(false);
    const XmlElement* forecast = lines(true);
    ASSERT_NE(nullptr, recorded);
    ASSERT_NE(nullptr, forecast);
    auto fv = PlottedValues(*forecast), rv = PlottedValues(*recorded);
    ASSERT_FALSE(fv.empty());
    int differ = 0;
    for (const auto& [t, v] : fv) {
      ASSERT_TRUE(rv.count(t)) << t;
      differ += std::isnan(v) || std::fabs(v - rv[t]) > 1e-9;
    }
    EXPECT_GT(differ, 0);
  }
}

}  // namespace
