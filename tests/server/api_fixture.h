// An Api over a real Service (SQLite file, real processes) on a ManualClock,
// for the API's tests: local:host is in DE at 400 g/kWh, the other zones at
// 100 g/kWh, FR unknown (nothing can be planned there).
#ifndef SUNWIND_TESTS_SERVER_API_FIXTURE_H_
#define SUNWIND_TESTS_SERVER_API_FIXTURE_H_

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "executors/posix_process_runner.h"
#include "regions/zones.h"
#include "server/api.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_regions.h"

namespace sunwind::testing {

class ApiFixture : public ::testing::Test {
 protected:
  static constexpr const char* kToken = "0123456789abcdef0123456789abcdef";

  void SetUp() override {
    Status loaded =
        LoadTestRegions("- {id: 'local:host', zone: DE, pue: 1.0, executor: {kind: local}}", zones_, catalogue_);
    ASSERT_TRUE(loaded.ok()) << loaded.message();
    auto db = Database::Open(dir_.File("sunwind.db"));
    ASSERT_TRUE(db.ok());
    db_ = std::move(db).value();
    ServiceOptions o;
    o.jobs_dir = dir_.File("jobs");
    auto s = Service::Open(*db_, clock_, catalogue_, Fetch(), runner_, o);
    ASSERT_TRUE(s.ok()) << s.status().message();
    service_ = std::move(s).value();
    ApiOptions a;
    a.token = kToken;
    a.version = "test";
    api_ = std::make_unique<Api>(*service_, catalogue_, Fetch(), clock_, a);
  }

  static FetchIntensity Fetch() {
    return [](const Region* r, TimePoint from, TimePoint to, Duration step) -> Result<RegionSeries> {
      IntensitySeries s;
      s.start = from;
      s.step = step;
      for (TimePoint t = from; t < to; t += step) {
        s.Append(r->zone == "FR" ? kNoValue : r->zone == "DE" ? 400 : 100, PointKind::kReplayed, "test");
      }
      return RegionSeries{r, s};
    };
  }

  // A request with the token (or without), over loopback (or not); the
  // query is not percent-decoded (tests pass plain values).
  ApiRequest Request(const std::string& method, const std::string& target, const std::string& body = "",
                     bool with_token = true, bool loopback = true) {
    ApiRequest r;
    r.method = method;
    r.target = target;
    r.path = target.substr(0, target.find('?'));
    if (auto q = target.find('?'); q != std::string::npos) {
      std::string rest = target.substr(q + 1);
      size_t pos = 0;
      while (pos <= rest.size()) {
        size_t amp = rest.find('&', pos);
        std::string kv = rest.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
        if (auto eq = kv.find('='); eq != std::string::npos) r.query[kv.substr(0, eq)] = kv.substr(eq + 1);
        if (amp == std::string::npos) break;
        pos = amp + 1;
      }
    }
    r.body = body;
    r.remote_address = loopback ? "127.0.0.1" : "192.0.2.7";
    r.remote_is_loopback = loopback;
    if (with_token) r.headers["authorization"] = std::string("Bearer ") + kToken;
    return r;
  }
  ApiRequest Get(const std::string& target, bool with_token = true, bool loopback = true) {
    return Request("GET", target, "", with_token, loopback);
  }

  // Submits a job of `project` running `command`, starts it at once (the
  // grid is flat), lets the clock run `ran` while it runs, and waits for it
  // to end. Returns its id.
  std::string RunJob(const std::string& project, const std::vector<std::string>& command, Duration ran,
                     double power_w = 900) {
    JobSubmission s;
    s.name = "job";
    s.project = project;
    s.command = command;
    s.duration = Duration{3600};
    s.power_w = power_w;
    s.earliest_start = clock_.Now();
    s.deadline = clock_.Now() + Duration{24 * 3600};
    auto job = service_->Submit(s);
    EXPECT_TRUE(job.ok()) << job.status().message();
    if (!job.ok()) return "";
    // The clock holds still until the job runs, so its run lasts `ran`.
    for (int i = 0; i < 5 && service_->Show(job->id)->job.state == JobPhase::kQueued; ++i) {
      EXPECT_TRUE(service_->Tick().ok());
    }
    EXPECT_EQ(service_->Show(job->id)->job.state, JobPhase::kRunning);
    clock_.Advance(ran);
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < give_up) {
      EXPECT_TRUE(service_->Tick().ok());
      auto d = service_->Show(job->id);
      if (d.ok() && d->job.state != JobPhase::kRunning && d->job.state != JobPhase::kQueued) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return job->id;
  }

  TempDir dir_;
  // 2026-11-23T00:00:00Z
  ManualClock clock_{TimePoint(std::chrono::hours(24 * 20780))};
  PosixProcessRunner runner_{clock_};
  ZoneTable zones_;
  RegionCatalogue catalogue_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<Api> api_;
};

}  // namespace sunwind::testing

#endif  // SUNWIND_TESTS_SERVER_API_FIXTURE_H_
