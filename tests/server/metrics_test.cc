// GET /metrics: the Prometheus text exposition format 0.0.4, checked by a
// strict parser written here from the format's grammar (not the product's
// writer), then the values against the jobs that ran.
#include <cmath>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "server/metrics_routes.h"
#include "tests/server/api_fixture.h"

namespace sunwind {
namespace {

using namespace std::chrono;

struct ParsedSample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped
  double value = 0;
};

struct Parsed {
  std::map<std::string, std::string> types;  // family -> type
  std::vector<ParsedSample> samples;
  std::string error;  // first violation, empty when the text is valid
};

// The grammar of https://prometheus.io/docs/instrumenting/exposition_formats/
// (text format 0.0.4), strictly: every line ends in \n; comments are HELP,
// TYPE or free text; HELP and TYPE come at most once per family and before
// its first sample; a family's samples are contiguous; label values use only
// the \\, \" and \n escapes; values are Go floats (NaN, +Inf, -Inf allowed).
Parsed ParseExposition(const std::string& text) {
  Parsed p;
  const std::regex name_re("[a-zA-Z_:][a-zA-Z0-9_:]*");
  const std::regex label_re("[a-zA-Z_][a-zA-Z0-9_]*");
  std::set<std::string> helped, finished;
  std::string current;  // the family whose samples are being read
  if (!text.empty() && text.back() != '\n') p.error = "last line has no line feed";
  std::istringstream in(text);
  std::string line;
  int n = 0;
  auto fail = [&](const std::string& why) {
    if (p.error.empty()) p.error = "line " + std::to_string(n) + ": " + why + ": " + line;
  };
  while (std::getline(in, line) && p.error.empty()) {
    ++n;
    if (line.empty()) {
      fail("empty line");
      break;
    }
    if (line[0] == '#') {
      std::istringstream ls(line.substr(1));
      std::string word, name;
      ls >> word >> name;
      if (word != "HELP" && word != "TYPE") continue;  // a free comment
      if (!std::regex_match(name, name_re)) fail("bad metric name");
      if (finished.count(name) || current == name) fail(word + " after the family's samples");
      if (word == "HELP") {
        if (!helped.insert(name).second) fail("second HELP");
      } else {
        std::string type, extra;
        ls >> type >> extra;
        static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary", "untyped"};
        if (!kTypes.count(type) || !extra.empty()) fail("bad TYPE");
        if (!p.types.emplace(name, type).second) fail("second TYPE");
      }
      continue;
    }
    ParsedSample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    if (!std::regex_match(s.name, name_re)) fail("bad metric name");
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t eq = line.find('=', i);
        if (eq == std::string::npos) {
          fail("label without =");
          break;
        }
        std::string label = line.substr(i, eq - i);
        if (!std::regex_match(label, label_re)) fail("bad label name '" + label + "'");
        i = eq + 1;
        if (i >= line.size() || line[i] != '"') {
          fail("label value not quoted");
          break;
        }
        ++i;
        std::string value;
        bool closed = false;
        while (i < line.size()) {
          char c = line[i++];
          if (c == '"') {
            closed = true;
            break;
          }
          if (c == '\\') {
            if (i >= line.size()) break;
            char e = line[i++];
            if (e == '\\') value += '\\';
            else if (e == '"') value += '"';
            else if (e == 'n') value += '\n';
            else fail("bad escape");
          } else {
            value += c;
          }
        }
        if (!closed) fail("unterminated label value");
        if (!s.labels.emplace(label, value).second) fail("repeated label");
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) {
        fail("no closing brace");
        continue;
      }
      ++i;  // '}'
    }
    if (i >= line.size() || line[i] != ' ') {
      fail("no space before the value");
      continue;
    }
    std::string value = line.substr(i + 1);
    if (auto sp = value.find(' '); sp != std::string::npos) value = value.substr(0, sp);  // a timestamp may follow
    if (value == "NaN") {
      s.value = NAN;
    } else if (value == "+Inf" || value == "-Inf") {
      s.value = value[0] == '+' ? INFINITY : -INFINITY;
    } else {
      char* end = nullptr;
      s.value = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || value.find_first_of("xXpP") != std::string::npos) fail("bad value");
    }
    if (s.name != current) {
      if (!current.empty()) finished.insert(current);
      if (finished.count(s.name)) fail("family's samples not contiguous");
      current = s.name;
    }
    if (!p.types.count(s.name)) fail("sample before its TYPE");
    if (p.types[s.name] == "counter" && s.name.size() > 6 && s.name.substr(s.name.size() - 6) != "_total") {
      fail("counter not named *_total");
    }
    p.samples.push_back(s);
  }
  return p;
}

const ParsedSample* Find(const Parsed& p, const std::string& name, const std::map<std::string, std::string>& labels) {
  for (const auto& s : p.samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) match &= s.labels.count(k) && s.labels.at(k) == v;
    if (match) return &s;
  }
  return nullptr;
}

class MetricsTest : public testing::ApiFixture {};

TEST(MetricsParserTest, RejectsWhatTheFormatForbids) {
  // Given lines that break the grammar, the test's own parser should refuse
  // each (so a pass below means something).
  EXPECT_NE(ParseExposition("a 1\n").error, "");                                     // no TYPE
  EXPECT_NE(ParseExposition("# TYPE a gauge\na{x=\"q\\t\"} 1\n").error, "");          // bad escape
  EXPECT_NE(ParseExposition("# TYPE a gauge\na{x=\"q\"} one\n").error, "");           // bad value
  EXPECT_NE(ParseExposition("# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n").error, "");  // not contiguous
  EXPECT_NE(ParseExposition("# TYPE a_count counter\na_count 1\n").error, "");       // counter without _total
  EXPECT_EQ(ParseExposition("# HELP a x\n# TYPE a gauge\na{x=\"\\\"\\\\\\n\"} +Inf\n").error, "");
}

TEST_F(MetricsTest, ExposesJobsEnergyEmissionsAndGridInStrictTextFormat) {
  // Given two jobs of project 'nlp' that ran 30 min at 900 W on local:host
  // (DE, 400 g/kWh, PUE 1) and one queued job, we should expose, in valid
  // text format, 2 done and 1 queued, 2 × 0.45 kWh = 3.24e6 J, 360 g CO2eq,
  // and DE's grid at 400 g/kWh, with HELP and TYPE for every family.
  RunJob("nlp", {"/bin/true"}, minutes(30));
  RunJob("nlp", {"/bin/true"}, minutes(30));
  JobSubmission later;
  later.name = "later";
  later.project = "nlp";
  later.command = {"/bin/true"};
  later.duration = hours(1);
  later.power_w = 100;
  later.earliest_start = clock_.Now() + hours(5);
  later.deadline = clock_.Now() + hours(20);
  ASSERT_TRUE(service_->Submit(later).ok());

  auto a = api_->Handle(Get("/metrics"));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.content_type, "text/plain; version=0.0.4; charset=utf-8");
  Parsed p = ParseExposition(a.body);
  ASSERT_EQ(p.error, "") << a.body;
  EXPECT_EQ(p.types["sunwind_jobs"], "gauge");
  EXPECT_EQ(p.types["sunwind_emissions_grams_total"], "counter");
  ASSERT_NE(Find(p, "sunwind_jobs", {{"state", "done"}}), nullptr) << a.body;
  EXPECT_EQ(Find(p, "sunwind_jobs", {{"state", "done"}})->value, 2);
  EXPECT_EQ(Find(p, "sunwind_jobs", {{"state", "queued"}})->value, 1);
  EXPECT_EQ(Find(p, "sunwind_jobs", {{"state", "failed"}})->value, 0);
  const auto* energy = Find(p, "sunwind_energy_joules_total", {{"project", "nlp"}, {"region", "local:host"}});
  ASSERT_NE(energy, nullptr) << a.body;
  EXPECT_NEAR(energy->value, 3.24e6, 1e-3);
  const auto* co2 = Find(p, "sunwind_emissions_grams_total", {{"project", "nlp"}, {"region", "local:host"}});
  ASSERT_NE(co2, nullptr);
  EXPECT_NEAR(co2->value, 360, 1e-6);
  const auto* grid =
      Find(p, "sunwind_grid_intensity_grams_per_kwh", {{"region", "local:host"}, {"zone", "DE"}, {"kind", "replayed"}});
  ASSERT_NE(grid, nullptr) << a.body;
  EXPECT_EQ(grid->value, 400);
}

TEST_F(MetricsTest, EscapesLabelValuesSoTheyReadBackExactly) {
  // Given a project whose name holds a quote, a backslash and a line feed,
  // we should escape it in the label so that a parser reads it back as is.
  const std::string odd = "a\"b\\c\nd";
  RunJob(odd, {"/bin/true"}, minutes(6));
  auto a = api_->Handle(Get("/metrics"));
  Parsed p = ParseExposition(a.body);
  ASSERT_EQ(p.error, "") << a.body;
  EXPECT_NE(Find(p, "sunwind_energy_joules_total", {{"project", odd}}), nullptr) << a.body;
  EXPECT_EQ(EscapeLabelValue(odd), "a\\\"b\\\\c\\nd");
}

TEST_F(MetricsTest, NeedsTheTokenFromBeyondLoopback) {
  // Given a scrape from another host without the token, we should answer
  // 401, as for every read; over loopback it is open.
  EXPECT_EQ(api_->Handle(Get("/metrics", /*with_token=*/false, /*loopback=*/false)).status, 401);
  EXPECT_EQ(api_->Handle(Get("/metrics", /*with_token=*/false, /*loopback=*/true)).status, 200);
  EXPECT_EQ(api_->Handle(Get("/metricsz")).status, 404);
}

TEST_F(MetricsTest, RepeatedScrapesAgreeWithAnUncachedApiAndSeeNewJobs) {
  // Given a finished job, we should answer a second scrape (its audit now
  // from the Api's cache) exactly as the first and as an Api without a
  // cache; once a second job has run, the next scrape counts both.
  RunJob("nlp", {"/bin/true"}, minutes(30));
  ApiOptions uncached_options;
  uncached_options.token = kToken;
  uncached_options.audit_cache_entries = 0;
  Api uncached(*service_, catalogue_, Fetch(), clock_, uncached_options);
  const std::string first = api_->Handle(Get("/metrics")).body;
  EXPECT_EQ(api_->Handle(Get("/metrics")).body, first);
  EXPECT_EQ(uncached.Handle(Get("/metrics")).body, first);

  RunJob("nlp", {"/bin/true"}, minutes(30));
  auto a = api_->Handle(Get("/metrics"));
  EXPECT_EQ(a.body, uncached.Handle(Get("/metrics")).body);
  Parsed p = ParseExposition(a.body);
  ASSERT_EQ(p.error, "") << a.body;
  EXPECT_EQ(Find(p, "sunwind_jobs", {{"state", "done"}})->value, 2);
  const auto* energy = Find(p, "sunwind_energy_joules_total", {{"project", "nlp"}, {"region", "local:host"}});
  ASSERT_NE(energy, nullptr) << a.body;
  EXPECT_NEAR(energy->value, 3.24e6, 1e-3);
}

}  // namespace
}  // namespace sunwind
