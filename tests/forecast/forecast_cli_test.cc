// Runs the built sunwind binary's forecast commands on the bundled data and
// checks their answers against values read independently from the CSVs.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/cli_runner.h"

namespace {

using sunwind::testing::BundledCsv;
using sunwind::testing::ReadLca;
using sunwind::testing::RunResult;
using sunwind::testing::Sunwind;

std::string Key(int month, int day, int hour) {  // 2022
  char buf[32];
  std::snprintf(buf, sizeof buf, "2022-%02d-%02d %02d:00:00", month, day, hour);
  return buf;
}

TEST(ForecastCliTest, ForecastHasAPointPerHourInsideItsBand) {
  // Given DE at 2022-03-01 and 48 h, we should print 48 hourly points from
  // the origin, each inside its band, made by the model auto chose after
  // backtesting every model over the 28 days before.
  auto r = Sunwind("forecast --zone DE --at 2022-03-01T00:00Z --horizon 48h --json");
  ASSERT_EQ(0, r.exit_code) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ("DE", j["zone"]);
  EXPECT_EQ("2022-03-01T00:00:00Z", j["origin"]);
  EXPECT_EQ("auto", j["model_requested"]);
  EXPECT_EQ(28, j["measured_error"]["origins"]);
  ASSERT_EQ(6u, j["candidates"].size());
  double least_mae = 1e18;
  for (const auto& c : j["candidates"]) least_mae = std::min(least_mae, c["mae_g_per_kwh"].get<double>());
  EXPECT_EQ(least_mae, j["measured_error"]["mae_g_per_kwh"].get<double>());
  ASSERT_EQ(48u, j["points"].size());
  EXPECT_EQ("2022-03-01T00:00:00Z", j["points"][0]["time"]);
  EXPECT_EQ("2022-03-02T23:00:00Z", j["points"][47]["time"]);
  for (const auto& p : j["points"]) {
    double v = p["intensity_g_per_kwh"].get<double>();
    EXPECT_LE(p["lower_g_per_kwh"].get<double>(), v) << p.dump();
    EXPECT_GE(p["upper_g_per_kwh"].get<double>(), v) << p.dump();
  }
}

TEST(ForecastCliTest, ForecastIgnoresWhatTheTraceHoldsAfterTheOrigin) {
  // Given the DE 2022 trace as a --trace file, and a copy whose rows from the
  // origin on are tripled, we should print the same forecast from both.
  const std::string dir = std::filesystem::temp_directory_path() / ("sunwind_fc_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ifstream in(BundledCsv("DE_2022"));
  std::ofstream same(dir + "/same.csv"), changed(dir + "/changed.csv");
  std::string line;
  std::getline(in, line);
  same << line << "\n";
  changed << line << "\n";
  while (std::getline(in, line)) {
    same << line << "\n";
    if (line.compare(0, 10, "2022-03-01") >= 0) {
      std::vector<std::string> f;
      std::stringstream ss(line);
      std::string cell;
      while (std::getline(ss, cell, ',')) f.push_back(cell);
      f[4] = std::to_string(3 * std::stod(f[4]));
      f[5] = std::to_string(3 * std::stod(f[5]));
      line.clear();
      for (size_t i = 0; i < f.size(); ++i) line += (i ? "," : "") + f[i];
      if (f.size() < 11) line += ",";  // keep the empty last column
    }
    changed << line << "\n";
  }
  same.close();
  changed.close();
  auto a = Sunwind("forecast --zone DE --at 2022-03-01T00:00Z --horizon 24h --json --trace " + dir + "/same.csv");
  auto b = Sunwind("forecast --zone DE --at 2022-03-01T00:00Z --horizon 24h --json --trace " + dir + "/changed.csv");
  std::filesystem::remove_all(dir);
  ASSERT_EQ(0, a.exit_code) << a.err;
  ASSERT_EQ(0, b.exit_code) << b.err;
  EXPECT_EQ(nlohmann::json::parse(a.out)["points"], nlohmann::json::parse(b.out)["points"]);
}

TEST(ForecastCliTest, EvalPrintsExactlyTheDocumentedFieldsAndPersistenceMatchesTheCsv) {
  // Given NO in June 2022 and horizons 24 h and 48 h, we should print one
  // row per model and horizon with exactly the documented fields, and the
  // persistence row at 24 h should equal a hand computation on the CSV: from
  // each midnight, hold the 23:00 value of the day before for 24 hours.
  auto r = Sunwind("forecast eval --zone NO --from 2022-06-01T00:00Z --to 2022-07-01T00:00Z --horizons 24h,48h --json");
  ASSERT_EQ(0, r.exit_code) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(12u, j.size());
  const std::set<std::string> fields = {"zone", "model", "horizon_h", "mape_pct", "mae_g_per_kwh", "bias_g_per_kwh", "n"};
  for (const auto& row : j) {
    std::set<std::string> keys;
    for (const auto& [k, v] : row.items()) keys.insert(k);
    EXPECT_EQ(fields, keys) << row.dump();
  }
  auto no = ReadLca("NO_2022");
  double abs_sum = 0, signed_sum = 0, pct_sum = 0;
  int n = 0;
  for (int day = 1; day <= 30; ++day) {
    double last = day == 1 ? no.at(Key(5, 31, 23)) : no.at(Key(6, day - 1, 23));
    for (int h = 0; h < 24; ++h) {
      double actual = no.at(Key(6, day, h));
      abs_sum += std::abs(last - actual);
      signed_sum += last - actual;
      pct_sum += std::abs(last - actual) / actual;  // June NO lifecycle stays above 10 g/kWh
      ++n;
    }
  }
  const auto& p = j[0];
  ASSERT_EQ("persistence", p["model"]);
  ASSERT_EQ(24, p["horizon_h"]);
  EXPECT_EQ(n, p["n"]);
  EXPECT_NEAR(abs_sum / n, p["mae_g_per_kwh"].get<double>(), 1e-5);
  EXPECT_NEAR(signed_sum / n, p["bias_g_per_kwh"].get<double>(), 1e-5);
  EXPECT_NEAR(100 * pct_sum / n, p["mape_pct"].get<double>(), 1e-5);
  EXPECT_EQ(29 * 48, j[1]["n"]);  // the 48 h horizon of June 30 runs past --to
}

TEST(ForecastCliTest, PlanOnASeasonalNaiveForecastIsScoredOnTheTrace) {
  // Given a 6h job in DE between 2022-06-01 and 06-03 planned on the
  // seasonal-naive forecast (May 31 repeated twice), we should pick a
  // cheapest window of that repeated day (it is there twice: either is
  // right), report its emissions on the real June values, and the
  // perfect-knowledge plan's beside it.
  auto de = ReadLca("DE_2022");
  std::vector<double> forecast, actual;
  for (int d = 0; d < 2; ++d) {
    for (int h = 0; h < 24; ++h) {
      forecast.push_back(de.at(Key(5, 31, h)));
      actual.push_back(de.at(Key(6, 1 + d, h)));
    }
  }
  auto window_sum = [](const std::vector<double>& v, size_t s) {
    double sum = 0;
    for (size_t i = s; i < s + 6; ++i) sum += v[i];
    return sum;
  };
  double best_sum = 1e18;
  for (size_t s = 0; s + 6 <= forecast.size(); ++s) best_sum = std::min(best_sum, window_sum(forecast, s));

  const std::string args = "plan --regions aws:eu-central-1 --duration 6h --at 2022-06-01T00:00Z --deadline +48h --json";
  auto perfect = Sunwind(args);
  auto r = Sunwind(args + " --forecast seasonal-naive");
  ASSERT_EQ(0, perfect.exit_code) << perfect.err;
  ASSERT_EQ(0, r.exit_code) << r.err;
  auto p = nlohmann::json::parse(perfect.out);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(p.contains("forecast"));
  const auto& iv = j["intervals"][0];
  const std::string start = iv["start"];  // 2022-06-DDTHH:00:00Z
  const size_t chosen = static_cast<size_t>(24 * (std::stoi(start.substr(8, 2)) - 1) + std::stoi(start.substr(11, 2)));
  ASSERT_LE(chosen + 6, forecast.size()) << start;
  EXPECT_NEAR(best_sum, window_sum(forecast, chosen), 1e-6) << start;
  const double actual_sum = window_sum(actual, chosen);
  EXPECT_EQ("forecast", iv["kind"]);
  const double pue = iv["pue"].get<double>();
  EXPECT_NEAR(best_sum * pue, j["expected"]["emissions_g"].get<double>(), 1e-2);
  EXPECT_EQ("seasonal-naive", j["forecast"]["model"]);
  EXPECT_EQ("seasonal-naive", j["forecast"]["regions"][0]["model"]);
  EXPECT_NEAR(actual_sum * pue, j["forecast"]["plan_emissions_actual_g"].get<double>(), 1e-2);
  EXPECT_EQ(p["expected"]["emissions_g"], j["forecast"]["perfect_knowledge_emissions_g"]);
  EXPECT_EQ(p["run_now"]["emissions_g"], j["forecast"]["run_now_actual_g"]);
  EXPECT_GE(j["forecast"]["plan_emissions_actual_g"].get<double>(),
            j["forecast"]["perfect_knowledge_emissions_g"].get<double>());
}

TEST(ForecastCliTest, BadRequestsSayWhatIsWrong) {
  // Given requests sunwind cannot serve, we should exit 2 naming the flag.
  auto no_zone = Sunwind("forecast --at 2022-03-01T00:00Z");
  EXPECT_EQ(2, no_zone.exit_code);
  EXPECT_EQ("sunwind forecast: error: --zone: required, e.g. --zone DE\n", no_zone.err);
  auto bad_model = Sunwind("forecast --zone DE --at 2022-03-01T00:00Z --model prophet");
  EXPECT_EQ(2, bad_model.exit_code);
  EXPECT_EQ("sunwind forecast: error: --model: unknown forecast model 'prophet' (known: persistence, seasonal-naive, "
            "seasonal-naive-weekly, regression, anomaly-ar, blend, auto)\n",
            bad_model.err);
  auto bad_horizon = Sunwind("forecast eval --zone DE --horizons 90m");
  EXPECT_EQ(2, bad_horizon.exit_code);
  EXPECT_EQ("sunwind forecast eval: error: --horizons: 90m is not a whole number of hours\n", bad_horizon.err);
}

TEST(ForecastCliTest, EvalScoresAPublishedForecastBesideTheModels) {
  // Given the real UK pt24h answer, which carries forecast and actual for 48
  // half-hours but not when the forecasts were made, we should print one row
  // for it with horizon_h null and n 48.
  auto r = Sunwind("forecast eval --published " + std::string(SUNWIND_SOURCE_DIR) +
                   "/tests/fixtures/forecasts/uk_national_pt24h_2023-03-14T1201Z.json --json");
  ASSERT_EQ(0, r.exit_code) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(1u, j.size());
  EXPECT_EQ("published:uk_national_pt24h_2023-03-14T1201Z.json", j[0]["model"]);
  EXPECT_TRUE(j[0]["horizon_h"].is_null());
  EXPECT_EQ(48, j[0]["n"]);
  EXPECT_GT(j[0]["mae_g_per_kwh"].get<double>(), 0.0);
}

}  // namespace
