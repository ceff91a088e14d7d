// `sunwind serve` as users run it: the built binary on a free port, real
// HTTP, real processes, a SQLite file; killed with SIGKILL while jobs are
// queued, running and paused, restarted, and every job accounted for.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/time.h"
#include "providers/http_transport.h"
#include "tests/support/daemon_process.h"
#include "tests/support/temp_dir.h"

namespace sunwind {
namespace {

using namespace std::chrono;
using nlohmann::json;

class Daemon {
 public:
  // Starts `sunwind serve` on a free port with its state in `dir`.
  explicit Daemon(const std::string& dir) : process_(std::make_unique<testing::DaemonProcess>(dir)) {
    url_ = process_->url();
    token_ = process_->token();
  }
  ~Daemon() {
    if (process_) Kill(SIGKILL);
  }

  int Kill(int signal) {
    const int status = process_->Kill(signal);
    process_.reset();
    return status;
  }

  json Call(const std::string& method, const std::string& path, const json& body = nullptr, int* status = nullptr,
            bool with_token = true) {
    HttpRequest r;
    r.method = method;
    r.url = url_ + path;
    r.headers = {{"Content-Type", "application/json"}};
    if (with_token) r.headers.push_back({"Authorization", "Bearer " + token_});
    if (!body.is_null()) r.body = body.dump();
    auto a = http_->Send(r);
    EXPECT_TRUE(a.ok()) << (a.ok() ? "" : a.status().message());
    if (!a.ok()) return nullptr;
    if (status) *status = a->status;
    return json::parse(a->body, nullptr, false);
  }

  std::string State(const std::string& id) { return Call("GET", "/v1/jobs/" + id).value("state", ""); }

  // Polls until the job leaves `state` or `limit` passes.
  std::string WaitWhile(const std::string& id, const std::string& state, milliseconds limit = milliseconds(8000)) {
    auto give_up = steady_clock::now() + limit;
    std::string now = State(id);
    while (now == state && steady_clock::now() < give_up) {
      std::this_thread::sleep_for(milliseconds(100));
      now = State(id);
    }
    return now;
  }

 private:
  std::unique_ptr<testing::DaemonProcess> process_;
  std::string url_;
  std::string token_;
  std::unique_ptr<HttpTransport> http_ = MakeCurlTransport();
};

json Job(const std::string& name, const std::string& script, int duration_s, int deadline_in_s) {
  SystemClock clock;
  return json{{"name", name},
              {"project", "e2e"},
              {"command", {"/bin/sh", "-c", script}},
              {"duration_s", duration_s},
              {"power_w", 500},
              {"deadline", FormatTime(clock.Now() + seconds(deadline_in_s))}};
}

TEST(DaemonTest, SurvivesKill9WithEveryJobAccountedFor) {
  // Given jobs running (one ending while the daemon is down), one held by a
  // user and one queued far ahead, a SIGKILLed daemon restarted on the same
  // state should re-adopt the live job, record how the other ended, keep the
  // held one paused and the queued one queued, and lose or duplicate none.
  testing::TempDir dir;
  std::string ends, runs, held;
  {
    Daemon d(dir.path().string());
    int status = 0;
    // Deadlines that leave no room to wait: they start at the next tick.
    ends = d.Call("POST", "/v1/jobs", Job("ends", "sleep 1; exit 0", 3600, 3660), &status)["id"];
    ASSERT_EQ(status, 201);
    runs = d.Call("POST", "/v1/jobs", Job("runs", "sleep 20", 3600, 3660))["id"];
    held = d.Call("POST", "/v1/jobs", Job("held", "sleep 20", 3600, 48 * 3600))["id"];
    EXPECT_EQ(d.Call("POST", "/v1/jobs/" + held + ":pause")["state"], "paused");
    EXPECT_EQ(d.WaitWhile(ends, "queued"), "running");
    EXPECT_EQ(d.WaitWhile(runs, "queued"), "running");
    d.Kill(SIGKILL);
  }
  std::this_thread::sleep_for(milliseconds(1500));  // "ends" finishes meanwhile
  Daemon d(dir.path().string());
  json jobs = d.Call("GET", "/v1/jobs");
  ASSERT_EQ(jobs["jobs"].size(), 3u);
  json e = d.Call("GET", "/v1/jobs/" + ends);
  EXPECT_EQ(e["state"], "done");
  EXPECT_EQ(e["events"].back()["reason"], "ended while the daemon was down");
  EXPECT_EQ(e["events"].back()["detail"]["exit_code"], 0);
  EXPECT_EQ(d.State(runs), "running");
  EXPECT_EQ(d.State(held), "paused");
  EXPECT_EQ(d.Call("POST", "/v1/jobs/" + runs + ":cancel")["state"], "cancelled");
  // SIGTERM stops the daemon cleanly (exit 0).
  int status = d.Kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(DaemonTest, RefusesBadInputAndAnswers401WithoutTheToken) {
  testing::TempDir dir;
  Daemon d(dir.path().string());
  int status = 0;
  json bad = Job("bad", "true", 3600, 60);  // deadline before duration allows
  json answer = d.Call("POST", "/v1/jobs", bad, &status);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(answer["error"].get<std::string>().rfind("deadline: ", 0), 0u);
  answer = d.Call("POST", "/v1/jobs", Job("ok", "true", 60, 3600), &status, /*with_token=*/false);
  EXPECT_EQ(status, 401);
  EXPECT_EQ(d.Call("GET", "/v1/jobs")["jobs"].size(), 0u);
  EXPECT_EQ(d.Call("GET", "/v1/healthz")["status"], "ok");
}

TEST(DemoTest, RunsEveryExampleJobToItsEndOverTheApi) {
  // Given the README's demo (the daemon in-process on a clock x3600, four
  // jobs submitted over its HTTP API), we should see all four submitted,
  // started and done, and a total compared with running at once.
  testing::TempDir dir;
  const std::string cmd = std::string(SUNWIND_BINARY) + " demo --state-dir " + dir.path().string() + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = ::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int status = ::pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  auto count = [&](const std::string& what) {
    size_t c = 0;
    for (size_t at = out.find(what); at != std::string::npos; at = out.find(what, at + 1)) ++c;
    return c;
  };
  EXPECT_EQ(count("\nsubmitted j-00000"), 4u) << out;
  EXPECT_EQ(count(" done: its process ended"), 4u) << out;
  EXPECT_GE(count(" running: "), 4u) << out;
  EXPECT_NE(out.find("  total: "), std::string::npos) << out;
  EXPECT_NE(out.find("kg CO2eq planned vs"), std::string::npos) << out;
}

}  // namespace
}  // namespace sunwind
