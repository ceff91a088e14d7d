// The daemon's client commands (submit, jobs, show, pause, resume, cancel,
// logs), run in-process with a fixed clock against a real local HTTP server
// standing in for `sunwind serve`: the requests they send and what they print.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include "cli/commands.h"
#include "tests/support/test_http_server.h"

namespace sunwind {
namespace {

using testing::RecordedRequest;
using testing::TestHttpServer;
using testing::TestReply;

const char* kJob = R"({"id": "j-000001", "name": "finetune-bert", "project": "nlp", "state": "queued", "paused_by": null,
  "command": ["python3", "train.py"], "working_dir": "/tmp", "env_names": [], "duration_s": 10800, "power_w": 900,
  "earliest_start": null, "deadline": "2026-11-23T10:00:00Z", "interruptible": true, "pause_mode": "checkpoint",
  "min_chunk_s": 1800, "checkpoint_overhead_s": 300, "allowed_regions": ["local:host"], "home_region": "local:host",
  "created_at": "2026-11-22T10:00:00Z", "updated_at": "2026-11-22T10:00:00Z"})";

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The test server is on loopback; a proxy from the environment must not
    // stand in between.
    for (const char* v : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "SUNWIND_URL"}) unsetenv(v);
    setenv("SUNWIND_TOKEN", "s3cret-token-value", 1);
  }
  void TearDown() override { unsetenv("SUNWIND_TOKEN"); }

  // Runs a command in-process; "--url <server>" is added unless url is empty.
  int Run(int (*command)(const Args&, CommandContext&), Args args, const std::string& url) {
    out_.str("");
    err_.str("");
    if (!url.empty()) args.insert(args.begin(), {"--url", url});
    CommandContext ctx{out_, err_, clock_};
    return command(args, ctx);
  }

  TestHttpServer server_;
  ManualClock clock_{*ParseTime("2026-11-22T10:00:00Z")};
  std::ostringstream out_, err_;
};

TEST_F(ClientTest, SubmitSendsTheJobWithAnAbsoluteDeadlineAndTheBearerToken) {
  // Given a fixed clock at 2026-11-22T10:00Z and `--deadline +24h`, we should
  // POST /v1/jobs with the deadline 24 h later as RFC 3339 UTC, every flag in
  // its API field (with units converted to s and W), the token as a bearer
  // header, and print the new id with the next step.
  server_.Serve("/v1/jobs", TestReply(201, kJob));
  int code = Run(SubmitCommand,
                 {"--name", "finetune-bert", "--project", "nlp", "--deadline", "+24h", "--duration", "3h", "--power",
                  "0.9kW", "--regions", "local:host,aws:eu-central-1", "--home-region", "local:host", "--interruptible",
                  "--pause-mode", "stop", "--min-chunk", "30m", "--checkpoint-overhead", "5m", "--earliest-start", "+2h",
                  "--workdir", "/tmp", "--env", "A=1,2", "--env=B=x", "--", "python3", "train.py", "--epochs", "5"},
                 server_.url());
  ASSERT_EQ(0, code) << err_.str();
  auto requests = server_.requests();
  ASSERT_EQ(1u, requests.size());
  const RecordedRequest& r = requests[0];
  EXPECT_EQ("POST", r.method);
  EXPECT_EQ("/v1/jobs", r.target);
  EXPECT_EQ("Bearer s3cret-token-value", r.Header("authorization"));
  EXPECT_NE(std::string::npos, r.Header("content-type").find("application/json"));
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ("finetune-bert", body["name"]);
  EXPECT_EQ("nlp", body["project"]);
  EXPECT_EQ(nlohmann::json({"python3", "train.py", "--epochs", "5"}), body["command"]);
  EXPECT_EQ("/tmp", body["working_dir"]);
  EXPECT_EQ(nlohmann::json({{"A", "1,2"}, {"B", "x"}}), body["env"]);
  EXPECT_EQ(10800, body["duration_s"]);
  EXPECT_DOUBLE_EQ(900.0, body["power_w"].get<double>());
  EXPECT_EQ("2026-11-23T10:00:00Z", body["deadline"]);
  EXPECT_EQ("2026-11-22T12:00:00Z", body["earliest_start"]);
  EXPECT_EQ(true, body["interruptible"]);
  EXPECT_EQ("stop", body["pause_mode"]);
  EXPECT_EQ(1800, body["min_chunk_s"]);
  EXPECT_EQ(300, body["checkpoint_overhead_s"]);
  EXPECT_EQ(nlohmann::json({"local:host", "aws:eu-central-1"}), body["allowed_regions"]);
  EXPECT_EQ("local:host", body["home_region"]);
  EXPECT_EQ("submitted j-000001 (queued)\nnext: sunwind show j-000001   (its plan, state and logs)\n", out_.str());
}

TEST_F(ClientTest, SubmitOmitsOptionalFieldsItWasNotGiven) {
  // Given only the required flags, we should send no earliest_start,
  // home_region, allowed_regions, pause_mode or chunk fields (the daemon's
  // defaults apply) and the current directory as working_dir.
  server_.Serve("/v1/jobs", TestReply(201, kJob));
  ASSERT_EQ(0, Run(SubmitCommand, {"--deadline", "2026-11-23T00:00Z", "--duration", "90m", "--power", "250W", "--",
                                   "/usr/bin/make", "all"},
                   server_.url()))
      << err_.str();
  auto body = nlohmann::json::parse(server_.requests().at(0).body);
  for (const char* absent : {"earliest_start", "home_region", "allowed_regions", "pause_mode", "min_chunk_s",
                             "checkpoint_overhead_s", "project"}) {
    EXPECT_FALSE(body.contains(absent)) << absent;
  }
  EXPECT_EQ("make", body["name"]);
  EXPECT_EQ(5400, body["duration_s"]);
  EXPECT_EQ("2026-11-23T00:00:00Z", body["deadline"]);
  EXPECT_EQ(false, body["interruptible"]);
  EXPECT_EQ(std::filesystem::current_path().string(), body["working_dir"]);
}

TEST_F(ClientTest, SubmitRefusesBadInputLocallyNamingTheFlag) {
  // Given a --pause-mode the API does not know, or a --min-chunk without
  // --interruptible, we should exit 2 naming the flag and send nothing.
  EXPECT_EQ(2, Run(SubmitCommand, {"--deadline", "+1h", "--duration", "1h", "--power", "1kW", "--pause-mode", "freeze",
                                   "--", "true"},
                   server_.url()));
  EXPECT_NE(std::string::npos, err_.str().find("--pause-mode")) << err_.str();
  EXPECT_EQ(2, Run(SubmitCommand, {"--deadline", "+1h", "--duration", "1h", "--power", "1kW", "--min-chunk", "10m", "--",
                                   "true"},
                   server_.url()));
  EXPECT_NE(std::string::npos, err_.str().find("--min-chunk")) << err_.str();
  EXPECT_EQ(2, Run(SubmitCommand, {"--deadline", "+1h", "--duration", "1h", "--power", "1kW"}, server_.url()));
  EXPECT_NE(std::string::npos, err_.str().find("after --")) << err_.str();
  EXPECT_EQ(0u, server_.requests().size());
}

TEST_F(ClientTest, UnauthorisedSaysHowToSetTheTokenAndNeverPrintsIt) {
  // Given a daemon that refuses the token with 401, we should exit 1 with the
  // server's message, the HTTP status and how to set a token, and print the
  // token nowhere.
  server_.Serve("/v1/jobs", TestReply(401, R"({"error": "Authorization: missing or wrong bearer token"})"));
  int code = Run(SubmitCommand, {"--deadline", "+1h", "--duration", "1h", "--power", "1kW", "--", "true"}, server_.url());
  EXPECT_EQ(1, code);
  EXPECT_NE(std::string::npos, err_.str().find("sunwind submit: error: Authorization: missing or wrong bearer token (HTTP 401)"))
      << err_.str();
  EXPECT_NE(std::string::npos, err_.str().find("set SUNWIND_TOKEN or --token-file")) << err_.str();
  EXPECT_EQ(std::string::npos, err_.str().find("s3cret"));
  EXPECT_EQ(std::string::npos, out_.str().find("s3cret"));
}

TEST_F(ClientTest, TokenFileWinsOverTheEnvironmentAndLosesItsNewline) {
  // Given --token-file with "file-token\n" and SUNWIND_TOKEN also set, we
  // should send the file's token, trimmed.
  auto path = std::filesystem::temp_directory_path() / ("sunwind-client-token-" + std::to_string(getpid()));
  std::ofstream(path) << "file-token\n";
  server_.Serve("/v1/jobs", TestReply(200, R"({"jobs": []})"));
  EXPECT_EQ(0, Run(JobsCommand, {"--token-file", path.string()}, server_.url())) << err_.str();
  std::filesystem::remove(path);
  EXPECT_EQ("Bearer file-token", server_.requests().at(0).Header("authorization"));
  EXPECT_EQ(2, Run(JobsCommand, {"--token-file", "/nonexistent/token"}, server_.url()));
  EXPECT_NE(std::string::npos, err_.str().find("--token-file: cannot read /nonexistent/token")) << err_.str();
}

TEST_F(ClientTest, JobsRefusesAnUnknownStateLocally) {
  // Given --state bogus, we should exit 2 naming --state and the valid
  // states, without asking the daemon.
  EXPECT_EQ(2, Run(JobsCommand, {"--state", "bogus"}, server_.url()));
  EXPECT_NE(std::string::npos, err_.str().find("--state: expected queued, running, paused, done, failed or cancelled, got 'bogus'"))
      << err_.str();
  EXPECT_EQ(0u, server_.requests().size());
}

TEST_F(ClientTest, JobsFiltersAndPrintsATable) {
  // Given --state paused --project nlp, we should send both as query
  // parameters and print one row per job with its state (and who paused it),
  // region or home, deadline and duration.
  auto job = nlohmann::json::parse(kJob);
  job["state"] = "paused";
  job["paused_by"] = "user";
  server_.Serve("/v1/jobs", TestReply(200, nlohmann::json({{"jobs", {job}}}).dump()));
  ASSERT_EQ(0, Run(JobsCommand, {"--state", "paused", "--project", "nlp"}, server_.url())) << err_.str();
  auto r = server_.requests().at(0);
  EXPECT_EQ("GET", r.method);
  EXPECT_EQ("paused", r.Query("state"));
  EXPECT_EQ("nlp", r.Query("project"));
  std::string out = out_.str();
  EXPECT_NE(std::string::npos, out.find("ID")) << out;
  EXPECT_NE(std::string::npos, out.find("REGION/HOME")) << out;
  EXPECT_NE(std::string::npos, out.find("j-000001")) << out;
  EXPECT_NE(std::string::npos, out.find("paused (by user)")) << out;
  EXPECT_NE(std::string::npos, out.find("2026-11-23T10:00:00Z")) << out;
  EXPECT_NE(std::string::npos, out.find("3h")) << out;
}

const char* kDetail = R"json({"id": "j-000007", "name": "train", "project": "nlp", "state": "done", "paused_by": null,
  "command": ["python3", "train.py", "--epochs", "5"], "working_dir": "/srv/train", "env_names": ["HF_HOME"],
  "duration_s": 7200, "power_w": 1500, "earliest_start": null, "deadline": "2026-11-23T10:00:00Z",
  "interruptible": true, "pause_mode": "checkpoint", "min_chunk_s": 1800, "checkpoint_overhead_s": 300,
  "allowed_regions": ["local:host", "aws:eu-central-1"], "home_region": "local:host",
  "created_at": "2026-11-22T10:00:00Z", "updated_at": "2026-11-22T16:10:00Z",
  "plan": {"version": 2, "intervals": [
      {"region": "aws:eu-central-1", "start": "2026-11-22T13:00:00Z", "end": "2026-11-22T14:00:00Z",
       "mean_intensity_g_per_kwh": 123.45, "energy_kwh": 1.5, "emissions_g": 185.2, "kind": "forecast",
       "source": "bundled trace DE 2022 (Electricity Maps, ODbL)"},
      {"region": "aws:eu-central-1", "start": "2026-11-22T15:00:00Z", "end": "2026-11-22T16:00:00Z",
       "mean_intensity_g_per_kwh": 130.0, "energy_kwh": 1.5, "emissions_g": 195.0, "kind": "forecast",
       "source": "bundled trace DE 2022 (Electricity Maps, ODbL)"}],
    "expected_emissions_g": 380.2, "expected_energy_kwh": 3.0,
    "run_now": {"region": "local:host", "start": "2026-11-22T10:00:00Z", "end": "2026-11-22T12:00:00Z",
                "mean_intensity_g_per_kwh": 410.0, "emissions_g": 1230.0},
    "saving_g": 849.8, "saving_pct": 69.1, "notes": ["split into 2 chunks"], "created_at": "2026-11-22T11:00:00Z"},
  "events": [
    {"seq": 1, "at": "2026-11-22T10:00:00Z", "from": null, "to": "queued", "paused_by": null, "reason": "submitted", "detail": {}},
    {"seq": 2, "at": "2026-11-22T13:00:00Z", "from": "queued", "to": "running", "paused_by": null, "reason": "slot start", "detail": {"pid": 4242}},
    {"seq": 3, "at": "2026-11-22T14:00:00Z", "from": "running", "to": "paused", "paused_by": "scheduler", "reason": "slot end", "detail": {}},
    {"seq": 4, "at": "2026-11-22T16:10:00Z", "from": "running", "to": "done", "paused_by": null, "reason": "exit 0", "detail": {"exit_code": 0}}],
  "region": "aws:eu-central-1", "ran_s": 7800, "overrun": true, "deadline_missed": false,
  "stdout_path": "/var/lib/sunwind/jobs/j-000007/stdout.log", "stderr_path": "/var/lib/sunwind/jobs/j-000007/stderr.log"})json";

TEST_F(ClientTest, ShowRendersSpecPlanHistoryAndLogsWithUnits) {
  // Given a detail answer with a two-slot plan, four events and an overrun,
  // we should print each interval's region, UTC times, g/kWh, energy and
  // mass with units and data kind, the run-now counterfactual and saving, the
  // data source, one line per event, the ran time with the overrun flag and
  // both log paths.
  server_.Serve("/v1/jobs/j-000007", TestReply(200, kDetail));
  ASSERT_EQ(0, Run(ShowCommand, {"j-000007"}, server_.url())) << err_.str();
  EXPECT_EQ("/v1/jobs/j-000007", server_.requests().at(0).target);
  std::string out = out_.str();
  for (const char* want : {"j-000007  train  (project nlp)", "State:     done", "python3 train.py --epochs 5",
                           "HF_HOME (values not shown)", "2h at 1.50 kW = 3.00 kWh", "Deadline:  2026-11-23T10:00:00Z",
                           "checkpoint mode, min chunk 30m, checkpoint overhead 5m", "Plan (version 2",
                           "GRID g/kWh", "2026-11-22T13:00:00Z", "2026-11-22T14:00:00Z", "123.5", "185 g", "forecast",
                           "Expected:  3.00 kWh IT energy, 380 g CO2eq", "Run now:   local:host from 2026-11-22T10:00:00Z",
                           "1.23 kg CO2eq (mean 410.0 g/kWh)", "Saving:    850 g CO2eq (69.1 % less than running now)",
                           "Note:      split into 2 chunks", "aws:eu-central-1 (forecast): bundled trace DE 2022",
                           "2026-11-22T10:00:00Z  - -> queued  submitted",
                           "2026-11-22T14:00:00Z  running -> paused (by scheduler)  slot end",
                           "queued -> running  slot start  {\"pid\":4242}", "Ran:       2h10m of 2h",
                           "OVERRUN", "stdout /var/lib/sunwind/jobs/j-000007/stdout.log",
                           "stderr /var/lib/sunwind/jobs/j-000007/stderr.log"}) {
    EXPECT_NE(std::string::npos, out.find(want)) << "missing '" << want << "' in:\n" << out;
  }
  EXPECT_EQ(std::string::npos, out.find("DEADLINE MISSED")) << out;
}

TEST_F(ClientTest, ShowJsonPrintsTheServersJsonAsReceived) {
  // Given --json, we should print the answer itself, keys in the server's
  // order, pretty-printed.
  server_.Serve("/v1/jobs/j-000007", TestReply(200, kDetail));
  ASSERT_EQ(0, Run(ShowCommand, {"j-000007", "--json"}, server_.url())) << err_.str();
  EXPECT_EQ(nlohmann::ordered_json::parse(kDetail).dump(2) + "\n", out_.str());
}

TEST_F(ClientTest, ConflictExitsTwoWithTheServersMessage) {
  // Given a pause the daemon refuses with 409, we should exit 2 and print its
  // message and the status.
  server_.Serve("/v1/jobs/j-000001:pause", TestReply(409, R"({"error": "state: job j-000001 is done"})"));
  EXPECT_EQ(2, Run(PauseCommand, {"j-000001"}, server_.url()));
  EXPECT_EQ("sunwind pause: error: state: job j-000001 is done (HTTP 409)\n", err_.str());
  auto r = server_.requests().at(0);
  EXPECT_EQ("POST", r.method);
  EXPECT_EQ("/v1/jobs/j-000001:pause", r.target);
}

TEST_F(ClientTest, ActionsPostAndReportTheNewState) {
  // Given resume and cancel accepted, we should POST to :resume and :cancel
  // and print the job's new state; an unknown job is exit 2 (404).
  auto job = nlohmann::json::parse(kJob);
  job["state"] = "cancelled";
  server_.Serve("/v1/jobs/j-000001:cancel", TestReply(200, job.dump()));
  ASSERT_EQ(0, Run(CancelCommand, {"j-000001"}, server_.url())) << err_.str();
  EXPECT_EQ("cancelled j-000001 (now cancelled)\n", out_.str());
  server_.Serve("/v1/jobs/j-000009:resume", TestReply(404, R"({"error": "job: no job j-000009"})"));
  EXPECT_EQ(2, Run(ResumeCommand, {"j-000009"}, server_.url()));
  EXPECT_EQ("sunwind resume: error: job: no job j-000009 (HTTP 404)\n", err_.str());
  EXPECT_EQ(2, Run(ResumeCommand, {}, server_.url()));
  EXPECT_NE(std::string::npos, err_.str().find("JOB: required")) << err_.str();
}

TEST_F(ClientTest, UnreachableDaemonNamesTheUrlAndSuggestsServe) {
  // Given a URL where nothing listens (a server started and stopped), we
  // should exit 1 naming that URL and suggesting `sunwind serve`.
  std::string url;
  {
    TestHttpServer gone;
    url = gone.url();
    gone.Stop();
  }
  EXPECT_EQ(1, Run(JobsCommand, {}, url));
  EXPECT_NE(std::string::npos, err_.str().find("cannot reach the sunwind daemon at " + url)) << err_.str();
  EXPECT_NE(std::string::npos, err_.str().find("sunwind serve")) << err_.str();
  // And SUNWIND_URL is used when --url is not given.
  setenv("SUNWIND_URL", url.c_str(), 1);
  EXPECT_EQ(1, Run(JobsCommand, {}, ""));
  EXPECT_NE(std::string::npos, err_.str().find(url)) << err_.str();
  unsetenv("SUNWIND_URL");
}

TEST_F(ClientTest, LogsFollowPrintsEveryByteInOrderAndStopsWhenTheJobEnds) {
  // Given a job whose log grows by one line each time its state is read and
  // which is done on the third read, `logs --follow` should print the three
  // lines in order, each once, and return.
  const std::string full = "epoch 1 loss 0.9\nepoch 2 loss 0.5\nepoch 3 loss 0.2\n";
  std::atomic<int> state_reads{0};
  server_.ServeHandler("/v1/jobs/j-000003", [&](const RecordedRequest&) {
    int n = ++state_reads;
    auto job = nlohmann::json::parse(kJob);
    job["id"] = "j-000003";
    job["state"] = n >= 3 ? "done" : "running";
    return TestReply(200, job.dump());
  });
  server_.ServeHandler("/v1/jobs/j-000003/logs", [&](const RecordedRequest& r) {
    size_t available = 0;
    for (int i = 0, pos = 0; i < state_reads && pos != static_cast<int>(std::string::npos); ++i) {
      pos = static_cast<int>(full.find('\n', pos)) + 1;
      available = pos;
    }
    size_t offset = std::stoul(r.Query("offset"));
    std::string bytes = offset < available ? full.substr(offset, available - offset) : "";
    TestReply reply(200, bytes, "text/plain");
    reply.headers.push_back({"X-Next-Offset", std::to_string(offset + bytes.size())});
    return reply;
  });
  ASSERT_EQ(0, Run(LogsCommand, {"j-000003", "--follow"}, server_.url())) << err_.str();
  EXPECT_EQ(full, out_.str());
  EXPECT_EQ(3, state_reads.load());
  for (const auto& r : server_.requests()) {
    if (r.path == "/v1/jobs/j-000003/logs") {
      EXPECT_EQ("stdout", r.Query("stream"));
    }
  }
}

TEST_F(ClientTest, LogsStderrWithoutFollowPrintsWhatIsThere) {
  // Given --stderr, we should ask for stream=stderr from offset 0 and print
  // the bytes once, without polling the job's state.
  server_.ServeHandler("/v1/jobs/j-000004/logs", [](const RecordedRequest& r) {
    std::string bytes = r.Query("offset") == "0" ? "Traceback: oops\n" : "";
    TestReply reply(200, bytes, "text/plain");
    reply.headers.push_back({"X-Next-Offset", bytes.empty() ? r.Query("offset") : "16"});
    return reply;
  });
  ASSERT_EQ(0, Run(LogsCommand, {"j-000004", "--stderr"}, server_.url())) << err_.str();
  EXPECT_EQ("Traceback: oops\n", out_.str());
  EXPECT_EQ("stderr", server_.requests().at(0).Query("stream"));
  EXPECT_EQ(0u, server_.RequestCount("/v1/jobs/j-000004"));
}

}  // namespace
}  // namespace sunwind
