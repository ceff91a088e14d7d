// `sunwind audit` as users run it: the built `sunwind serve` on a free port
// runs a real job burning CPU while its meter samples it, and the built
// `sunwind audit` reads the audit back as text, JSON, CodeCarbon CSV and SVG.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/time.h"
#include "tests/cli/mini_xml.h"
#include "tests/support/cli_runner.h"
#include "tests/support/daemon_process.h"
#include "tests/support/temp_dir.h"

namespace sunwind {
namespace {

using namespace std::chrono;
using nlohmann::json;
using testing::MiniXmlParser;
using testing::PlottedValues;
using testing::Sunwind;
using testing::XmlElement;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class AuditCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    serve_ = std::make_unique<testing::DaemonProcess>(dir_.path().string());
    // A deadline that leaves no room to wait: it starts at the next tick and
    // burns CPU for 4 s (its shell and the `date` children it waits for).
    auto r = Sunwind("submit --json --name burn --project audit --duration 1h --deadline +61m --power 100W -- "
                     "/bin/sh -c 'end=$(($(date +%s)+4)); while [ $(date +%s) -lt $end ]; do :; done'",
                     serve_->env());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    id_ = json::parse(r.out)["id"];
    auto give_up = steady_clock::now() + seconds(20);
    std::string state;
    while (steady_clock::now() < give_up) {
      auto show = Sunwind("show --json " + id_, serve_->env());
      state = json::parse(show.out, nullptr, false).value("state", "");
      if (state == "done" || state == "failed") break;
      std::this_thread::sleep_for(milliseconds(200));
    }
    ASSERT_EQ(state, "done");
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::DaemonProcess> serve_;
  std::string id_;
};

TEST_F(AuditCliTest, AuditsAFinishedJobAsJsonTextCsvAndSvg) {
  // Given a job the daemon ran and metered, we should get its audit: the CPU
  // metered by the TDP model, emissions the sum of its intervals', the text
  // naming each figure's unit and method, CodeCarbon's 38 columns under
  // CodeCarbon's own header, and a chart whose plotted values are the
  // audit's intensity and whose shaded spans are its intervals.
  auto r = Sunwind("audit " + id_ + " --json", serve_->env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json a = json::parse(r.out);
  EXPECT_EQ(a["job_id"], id_);
  EXPECT_EQ(a["state"], "done");
  EXPECT_EQ(a["energy"]["methods"]["cpu"], "tdp-model");
  EXPECT_EQ(a["energy"]["methods"]["ram"], "ram-model");
  EXPECT_GT(a["energy"]["cpu_kwh"].get<double>(), 0);
  EXPECT_LT(a["energy"]["cpu_kwh"].get<double>(), 1e-3);  // seconds of one CPU, not the 100 W plan
  ASSERT_GE(a["intervals"].size(), 1u);
  double sum_g = 0;
  for (const auto& iv : a["intervals"]) sum_g += iv["emissions_g"].get<double>();
  EXPECT_DOUBLE_EQ(a["emissions_g"].get<double>(), sum_g);
  EXPECT_EQ(a["intervals"][0]["region"], "local:host");

  auto text = Sunwind("audit " + id_, serve_->env());
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("Energy, CPU:"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("kWh (tdp-model)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("g CO2eq (each hour's energy x PUE x the grid intensity it had then)"), std::string::npos)
      << text.out;

  auto csv = Sunwind("audit " + id_ + " --csv", serve_->env());
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  std::istringstream lines(csv.out);
  std::string header, row;
  std::getline(lines, header);
  std::ifstream fixture(SUNWIND_SOURCE_DIR "/tests/fixtures/codecarbon/emissions_valid_headers.csv");
  std::string expected;
  std::getline(fixture, expected);
  EXPECT_EQ(header, expected);
  ASSERT_TRUE(std::getline(lines, row));
  EXPECT_EQ(std::count(row.begin(), row.end(), ','), 37) << row;
  EXPECT_NE(row.find("," + id_ + ","), std::string::npos) << row;  // run_id
  const std::string file = dir_.File("emissions.csv");
  ASSERT_EQ(Sunwind("audit " + id_ + " --csv " + file, serve_->env()).exit_code, 0);
  ASSERT_EQ(Sunwind("audit " + id_ + " --csv " + file, serve_->env()).exit_code, 0);
  std::string written = ReadFile(file);
  EXPECT_EQ(written.rfind(expected + "\n", 0), 0u);
  EXPECT_EQ(written.find(expected, 1), std::string::npos) << "the header once";

  const std::string svg_path = dir_.File("audit.svg");
  ASSERT_EQ(Sunwind("audit " + id_ + " --svg " + svg_path, serve_->env()).exit_code, 0);
  MiniXmlParser parser(ReadFile(svg_path));
  auto doc = parser.Parse();
  ASSERT_NE(doc, nullptr);
  auto groups = doc->FindAll([](const XmlElement& e) { return e.name == "g" && e.HasClass("series"); });
  auto spans = doc->FindAll([](const XmlElement& e) { return e.HasClass("span") && e.HasClass("chosen"); });
  ASSERT_EQ(groups.size(), a["intensity"].size());
  auto values = PlottedValues(*groups[0]);
  EXPECT_EQ(groups[0]->Attr("data-region"), a["intensity"][0]["region"]);
  ASSERT_EQ(values.size(), a["intensity"][0]["points"].size());
  for (const auto& p : a["intensity"][0]["points"]) {
    ASSERT_TRUE(values.count(p["start"]));
    EXPECT_DOUBLE_EQ(values[p["start"]], p["intensity_g_per_kwh"].get<double>());
  }
  ASSERT_EQ(spans.size(), a["intervals"].size());
  EXPECT_EQ(spans[0]->Attr("data-start"), a["intervals"][0]["start"]);
  EXPECT_EQ(spans[0]->Attr("data-end"), a["intervals"][0]["end"]);
}

TEST(GpuAuditCliTest, TheDaemonMetersTheGpusAJobWasGivenThroughNvml) {
  // Given `sunwind serve` whose config points the meter at the fake
  // libnvidia-ml (two GPUs whose counters advance 1 J a read), and a job
  // submitted with CUDA_VISIBLE_DEVICES=1 that sleeps 3 s, we should audit
  // its GPU energy by NVML's energy counter: whole joules, one per round
  // (each round reads each GPU once), GPU 0's never charged to it.
  testing::TempDir dir;
  setenv("FAKE_NVML_COUNT", "2", 1);
  setenv("FAKE_NVML_ENERGY_STEP_MJ", "1000", 1);
  const std::string config = dir.Write("sunwind.yaml", ReadFile(SUNWIND_SOURCE_DIR "/config/sunwind.yaml") +
                                                           "metering:\n  nvml_library: " FAKE_NVML_PATH "\n");
  testing::DaemonProcess serve(dir.File("state"), config);
  unsetenv("FAKE_NVML_COUNT");
  unsetenv("FAKE_NVML_ENERGY_STEP_MJ");
  auto r = Sunwind("submit --json --name gpu --duration 1h --deadline +61m --power 300W --env CUDA_VISIBLE_DEVICES=1 "
                   "-- /bin/sleep 3",
                   serve.env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string id = json::parse(r.out)["id"];
  std::string state;
  for (auto give_up = steady_clock::now() + seconds(20); steady_clock::now() < give_up;) {
    state = json::parse(Sunwind("show --json " + id, serve.env()).out, nullptr, false).value("state", "");
    if (state == "done" || state == "failed") break;
    std::this_thread::sleep_for(milliseconds(200));
  }
  ASSERT_EQ(state, "done");
  auto audit = Sunwind("audit " + id + " --json", serve.env());
  ASSERT_EQ(audit.exit_code, 0) << audit.err;
  json a = json::parse(audit.out);
  EXPECT_EQ(a["energy"]["methods"]["gpu"], "nvml-energy-counter") << a["energy"].dump();
  const double gpu_j = a["energy"]["gpu_kwh"].get<double>() * 3.6e6;
  EXPECT_GE(gpu_j, 1.0 - 1e-6) << a["energy"].dump();
  EXPECT_LE(gpu_j, 4.0 + 1e-6) << "a 3 s job sampled every second";
  EXPECT_NEAR(gpu_j, std::round(gpu_j), 1e-6) << "GPU 1's whole joules only, none of GPU 0's";
}

TEST_F(AuditCliTest, AnUnknownJobExits2) {
  // Given a job id the daemon does not know, we should exit 2 naming it.
  auto r = Sunwind("audit j-999999", serve_->env());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("j-999999"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sunwind
