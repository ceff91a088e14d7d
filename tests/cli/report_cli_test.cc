// `sunwind report` in-process against a real local HTTP server standing in
// for the daemon: the request it sends and the table, CSV and JSON it prints.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "tests/support/test_http_server.h"

namespace sunwind {
namespace {

using testing::TestHttpServer;
using testing::TestReply;

const char* kReport = R"({"rows": [
  {"project": "nlp", "region": "local:host", "month": "2026-11", "jobs": 2, "energy_kwh": 0.9, "it_energy_kwh": 0.9,
   "emissions_g": 360.5, "water_l": null, "saving_g": 12.25, "embodied_g": 0.0036},
  {"project": "a,b", "region": "aws:eu-central-1", "month": "2026-12", "jobs": 1, "energy_kwh": 1.15, "it_energy_kwh": 1.0,
   "emissions_g": null, "water_l": 0.15, "saving_g": null, "embodied_g": 0.0018}],
 "totals": {"jobs": 3, "energy_kwh": 2.05, "it_energy_kwh": 1.9, "emissions_g": 360.5, "water_l": 0.15,
            "saving_g": 12.25, "embodied_g": 0.0054},
 "notes": ["1 of 3 jobs have no known emissions: left out of the sums"]})";

class ReportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "SUNWIND_URL"}) unsetenv(v);
    setenv("SUNWIND_TOKEN", "s3cret-token-value", 1);
    server_.Serve("/v1/report", TestReply(200, kReport));
  }
  void TearDown() override { unsetenv("SUNWIND_TOKEN"); }

  int Run(Args args) {
    out_.str("");
    err_.str("");
    args.insert(args.begin(), {"--url", server_.url()});
    CommandContext ctx{out_, err_, clock_};
    return ReportCommand(args, ctx);
  }

  TestHttpServer server_;
  ManualClock clock_{*ParseTime("2026-11-22T10:00:00Z")};
  std::ostringstream out_, err_;
};

TEST_F(ReportCliTest, SendsTheFiltersAsRfc3339WithTheToken) {
  // Given --from with an offset, --to and --project, we should GET
  // /v1/report with both times in UTC RFC 3339, the project encoded, and the
  // bearer token.
  ASSERT_EQ(0, Run({"--from", "2026-11-01T01:00:00+01:00", "--to", "2026-12-01T00:00:00Z", "--project", "a b"}))
      << err_.str();
  auto requests = server_.requests();
  ASSERT_EQ(1u, requests.size());
  EXPECT_EQ("/v1/report?from=2026-11-01T00%3A00%3A00Z&to=2026-12-01T00%3A00%3A00Z&project=a%20b", requests[0].target);
  EXPECT_EQ("Bearer s3cret-token-value", requests[0].Header("authorization"));
}

TEST_F(ReportCliTest, CsvHasOneRowPerGroupThenTotalWithUnknownsEmpty) {
  // Given the answer above, --csv should write the header, each row (a
  // project holding a comma quoted, unknown figures empty, never 0) and a
  // TOTAL row.
  ASSERT_EQ(0, Run({"--csv"})) << err_.str();
  EXPECT_EQ(
      "project,region,month,jobs,energy_kwh,it_energy_kwh,emissions_g,water_l,saving_g,embodied_g\n"
      "nlp,local:host,2026-11,2,0.9,0.9,360.5,,12.25,0.0036\n"
      "\"a,b\",aws:eu-central-1,2026-12,1,1.15,1,,0.15,,0.0018\n"
      "TOTAL,,,3,2.05,1.9,360.5,0.15,12.25,0.0054\n",
      out_.str());
}

TEST_F(ReportCliTest, TablePrintsUnitsUnknownsAndNotes) {
  // Given the answer above, the table should carry units in its header, '-'
  // for unknown figures, a TOTAL row and the daemon's notes.
  ASSERT_EQ(0, Run({})) << err_.str();
  const std::string out = out_.str();
  EXPECT_NE(out.find("ENERGY kWh"), std::string::npos) << out;
  EXPECT_NE(out.find("CO2eq g"), std::string::npos);
  EXPECT_NE(out.find("EMBODIED g"), std::string::npos);
  EXPECT_NE(out.find("360.50"), std::string::npos) << out;
  EXPECT_NE(out.find("TOTAL"), std::string::npos);
  EXPECT_NE(out.find("Note: 1 of 3 jobs have no known emissions"), std::string::npos);
}

TEST_F(ReportCliTest, RefusesBadFlagsBeforeSendingAnything) {
  // Given a bad --from, both --json and --csv, or an unknown flag, we should
  // exit 2 naming the flag and send no request.
  EXPECT_EQ(2, Run({"--from", "last week"}));
  EXPECT_NE(err_.str().find("--from"), std::string::npos) << err_.str();
  EXPECT_EQ(2, Run({"--json", "--csv"}));
  EXPECT_NE(err_.str().find("--csv"), std::string::npos) << err_.str();
  EXPECT_EQ(2, Run({"--month", "11"}));
  EXPECT_NE(err_.str().find("--month"), std::string::npos) << err_.str();
  EXPECT_TRUE(server_.requests().empty());
  // And --json passes the daemon's answer through.
  ASSERT_EQ(0, Run({"--json"}));
  EXPECT_EQ(nlohmann::json::parse(out_.str()), nlohmann::json::parse(kReport));
}

}  // namespace
}  // namespace sunwind
