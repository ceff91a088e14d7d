// The API as a pure function over a real Service (SQLite file, real
// processes): routing, auth, and the bad-input table, each refused with its
// status and a body naming the field, the store unchanged.
#include "server/api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <set>

#include "executors/posix_process_runner.h"
#include "regions/zones.h"
#include "tests/server/api_fixture.h"
#include "tests/support/temp_dir.h"

namespace sunwind {
namespace {

using namespace std::chrono;
using nlohmann::json;

class ApiTest : public testing::ApiFixture {
 protected:
  json Body(const ApiResponse& a) { return json::parse(a.body); }

  json Valid() {
    return json{{"name", "finetune"},
                {"project", "nlp"},
                {"command", {"/bin/true"}},
                {"duration_s", 3600},
                {"power_w", 900},
                {"deadline", FormatTime(clock_.Now() + hours(24))},
                {"env", {{"HF_TOKEN", "secret-value"}}}};
  }
};

TEST_F(ApiTest, SubmitAnswers201WithTheJobAndItsLocation) {
  auto a = api_->Handle(Request("POST", "/v1/jobs", Valid().dump()));
  ASSERT_EQ(a.status, 201) << a.body;
  json j = Body(a);
  EXPECT_EQ(j["id"], "j-000001");
  EXPECT_EQ(j["state"], "queued");
  EXPECT_EQ(j["duration_s"], 3600);
  EXPECT_EQ(j["deadline"], FormatTime(clock_.Now() + hours(24)));
  EXPECT_EQ(j["env_names"], json::array({"HF_TOKEN"}));
  EXPECT_EQ(a.body.find("secret-value"), std::string::npos);  // env values are not echoed
  ASSERT_EQ(a.headers.size(), 1u);
  EXPECT_EQ(a.headers[0], std::make_pair(std::string("Location"), std::string("/v1/jobs/j-000001")));

  ASSERT_TRUE(service_->Tick().ok());
  auto show = api_->Handle(Request("GET", "/v1/jobs/j-000001"));
  ASSERT_EQ(show.status, 200);
  json d = Body(show);
  EXPECT_EQ(d["plan"]["version"], 1);
  EXPECT_EQ(d["plan"]["intervals"][0]["region"], "local:host");
  EXPECT_EQ(d["events"][0]["reason"], "submitted");
  auto list = api_->Handle(Request("GET", "/v1/jobs?project=nlp"));
  EXPECT_EQ(Body(list)["jobs"].size(), 1u);
  EXPECT_EQ(Body(api_->Handle(Request("GET", "/v1/jobs?project=other")))["jobs"].size(), 0u);
}

TEST_F(ApiTest, EachBadSubmissionIs400NamingTheFieldAndStoresNothing) {
  struct Case {
    std::string body;
    std::string error_starts;
  };
  json unknown = Valid();
  unknown["gpus"] = 2;
  json past = Valid();
  past["deadline"] = FormatTime(clock_.Now() - hours(1));
  json too_soon = Valid();
  too_soon["deadline"] = FormatTime(clock_.Now() + minutes(30));
  json negative = Valid();
  negative["duration_s"] = -60;
  json absurd = Valid();
  absurd["power_w"] = 5e6;
  json region = Valid();
  region["allowed_regions"] = {"local:host", "mars:olympus"};
  json advisory = Valid();
  advisory["home_region"] = "aws:eu-central-1";
  json text_duration = Valid();
  text_duration["duration_s"] = "3h";
  json missing = Valid();
  missing.erase("command");
  json bad_time = Valid();
  bad_time["deadline"] = "tomorrow";
  json mode = Valid();
  mode["pause_mode"] = "freeze";
  const std::vector<Case> cases = {
      {"{not json", "body: not valid JSON"},
      {"[1,2]", "body: must be a JSON object"},
      {unknown.dump(), "gpus: unknown field"},
      {past.dump(), "deadline: " + FormatTime(clock_.Now() - hours(1)) + " is in the past"},
      {too_soon.dump(), "deadline: "},
      {negative.dump(), "duration_s: must be positive"},
      {absurd.dump(), "power_w: "},
      {region.dump(), "allowed_regions: unknown region 'mars:olympus'"},
      {advisory.dump(), "home_region: region 'aws:eu-central-1' is advisory"},
      {text_duration.dump(), "duration_s: must be a number of seconds"},
      {missing.dump(), "command: is required"},
      {bad_time.dump(), "deadline: \"tomorrow\" is not an RFC 3339 time"},
      {mode.dump(), "pause_mode: "},
  };
  for (const auto& c : cases) {
    auto a = api_->Handle(Request("POST", "/v1/jobs", c.body));
    EXPECT_EQ(a.status, 400) << c.body;
    std::string error = Body(a).value("error", "");
    EXPECT_EQ(error.rfind(c.error_starts, 0), 0u) << error;
  }
  EXPECT_TRUE(service_->List()->empty());
}

TEST_F(ApiTest, ChangesNeedTheTokenAndReadsFromLoopbackDoNot) {
  auto no_token = api_->Handle(Request("POST", "/v1/jobs", Valid().dump(), /*with_token=*/false));
  EXPECT_EQ(no_token.status, 401);
  EXPECT_EQ(Body(no_token)["error"], "missing or wrong bearer token (Authorization: Bearer <token>)");
  auto wrong = Request("POST", "/v1/jobs", Valid().dump(), false);
  wrong.headers["authorization"] = "Bearer 0123456789abcdef0123456789abcdeX";
  EXPECT_EQ(api_->Handle(wrong).status, 401);
  EXPECT_EQ(api_->Handle(wrong).body.find("0123456789"), std::string::npos);
  EXPECT_TRUE(service_->List()->empty());

  EXPECT_EQ(api_->Handle(Request("GET", "/v1/jobs", "", false)).status, 200);
  auto remote = Request("GET", "/v1/jobs", "", false);
  remote.remote_is_loopback = false;
  remote.remote_address = "10.0.0.2";
  EXPECT_EQ(api_->Handle(remote).status, 401);
  EXPECT_EQ(api_->Handle(Request("GET", "/v1/healthz", "", false)).status, 200);
}

TEST_F(ApiTest, ActionsAnswerTheJobOr409Or404) {
  ASSERT_EQ(api_->Handle(Request("POST", "/v1/jobs", Valid().dump())).status, 201);
  auto pause = api_->Handle(Request("POST", "/v1/jobs/j-000001:pause"));
  ASSERT_EQ(pause.status, 200) << pause.body;
  EXPECT_EQ(Body(pause)["state"], "paused");
  EXPECT_EQ(Body(pause)["paused_by"], "user");
  EXPECT_EQ(api_->Handle(Request("POST", "/v1/jobs/j-000001:pause")).status, 409);
  EXPECT_EQ(Body(api_->Handle(Request("POST", "/v1/jobs/j-000001:resume")))["state"], "queued");
  EXPECT_EQ(Body(api_->Handle(Request("POST", "/v1/jobs/j-000001:cancel")))["state"], "cancelled");
  auto again = api_->Handle(Request("POST", "/v1/jobs/j-000001:cancel"));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(Body(again)["error"], "job j-000001: has ended (cancelled)");
  EXPECT_EQ(api_->Handle(Request("POST", "/v1/jobs/j-000009:cancel")).status, 404);
  EXPECT_EQ(api_->Handle(Request("POST", "/v1/jobs/j-000001:explode")).status, 404);
  EXPECT_EQ(api_->Handle(Request("GET", "/v1/nothing")).status, 404);
  EXPECT_EQ(api_->Handle(Request("GET", "/v1/jobs?state=sleeping")).status, 400);
}

TEST_F(ApiTest, RankAndPlanAnswerWithoutStoringAJob) {
  auto rank = api_->Handle(Request("GET", "/v1/regions/rank?regions=local:host,gcp:europe-north1&duration_s=7200"));
  ASSERT_EQ(rank.status, 200) << rank.body;
  json r = Body(rank);
  ASSERT_EQ(r["regions"].size(), 2u);
  EXPECT_EQ(r["regions"][0]["region"], "gcp:europe-north1");  // 100 g/kWh beats DE's 400
  EXPECT_EQ(r["regions"][0]["runnable"], false);
  json plan_body{{"duration_s", 3600}, {"power_w", 1000}, {"deadline", FormatTime(clock_.Now() + hours(6))},
                 {"regions", {"local:host", "gcp:europe-north1"}}};
  auto plan = api_->Handle(Request("POST", "/v1/plan", plan_body.dump()));
  ASSERT_EQ(plan.status, 200) << plan.body;
  EXPECT_EQ(Body(plan)["intervals"][0]["region"], "gcp:europe-north1");
  EXPECT_TRUE(service_->List()->empty());
  EXPECT_EQ(api_->Handle(Request("POST", "/v1/plan", R"({"duration_s":3600})")).status, 400);
}

// Checks a JSON value against an OpenAPI 3.0 schema: $ref, allOf, type,
// nullable, enum, required, properties, items. Enough for docs/openapi.yaml.
void Validate(const YAML::Node& root, YAML::Node schema, const json& v, const std::string& at,
              std::vector<std::string>* errors) {
  if (schema["$ref"]) {
    const std::string ref = schema["$ref"].as<std::string>();
    const std::string name = ref.substr(ref.rfind('/') + 1);
    const bool nullable = schema["nullable"] && schema["nullable"].as<bool>();
    if (nullable && v.is_null()) return;
    Validate(root, root["components"]["schemas"][name], v, at, errors);
    return;
  }
  if (v.is_null()) {
    if (!(schema["nullable"] && schema["nullable"].as<bool>())) errors->push_back(at + ": null where not nullable");
    return;
  }
  if (schema["allOf"]) {
    for (const auto& part : schema["allOf"]) Validate(root, part, v, at, errors);
  }
  if (schema["type"]) {
    const std::string type = schema["type"].as<std::string>();
    const bool ok = (type == "object" && v.is_object()) || (type == "array" && v.is_array()) ||
                    (type == "string" && v.is_string()) || (type == "boolean" && v.is_boolean()) ||
                    (type == "integer" && v.is_number_integer()) || (type == "number" && v.is_number());
    if (!ok) {
      errors->push_back(at + ": not " + type + ": " + v.dump());
      return;
    }
  }
  if (schema["enum"]) {
    bool found = false;
    for (const auto& e : schema["enum"]) found = found || (v.is_string() && e.as<std::string>() == v.get<std::string>());
    if (!found) errors->push_back(at + ": " + v.dump() + " not in its enum");
  }
  if (schema["required"]) {
    for (const auto& r : schema["required"]) {
      if (!v.contains(r.as<std::string>())) errors->push_back(at + ": missing " + r.as<std::string>());
    }
  }
  if (schema["properties"] && v.is_object()) {
    for (const auto& kv : schema["properties"]) {
      const std::string name = kv.first.as<std::string>();
      if (v.contains(name)) Validate(root, kv.second, v[name], at + "." + name, errors);
    }
  }
  if (schema["items"] && v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) Validate(root, schema["items"], v[i], at + "[" + std::to_string(i) + "]", errors);
  }
}

TEST_F(ApiTest, EveryDocumentedJsonAnswerMatchesDocsOpenapi) {
  // Given docs/openapi.yaml, we should produce each documented JSON answer
  // (path, method, status) for real and find it matches its schema, and
  // leave none of them unexercised.
  YAML::Node doc = YAML::LoadFile(SUNWIND_SOURCE_DIR "/docs/openapi.yaml");
  std::set<std::string> documented;
  for (const auto& path : doc["paths"]) {
    for (const auto& method : path.second) {
      for (const auto& answer : method.second["responses"]) {
        if (answer.second["content"]["application/json"]) {
          documented.insert(path.first.as<std::string>() + " " + method.first.as<std::string>() + " " +
                            answer.first.as<std::string>());
        }
      }
    }
  }
  std::set<std::string> checked;
  auto check = [&](const std::string& doc_path, const std::string& method, const ApiResponse& a) {
    const std::string key = doc_path + " " + method + " " + std::to_string(a.status);
    SCOPED_TRACE(key + ": " + a.body);
    YAML::Node schema = doc["paths"][doc_path][method]["responses"][std::to_string(a.status)]["content"]
                           ["application/json"]["schema"];
    ASSERT_TRUE(schema.IsDefined()) << "undocumented answer";
    std::vector<std::string> errors;
    Validate(doc, schema, json::parse(a.body), "$", &errors);
    EXPECT_TRUE(errors.empty()) << ::testing::PrintToString(errors);
    checked.insert(key);
  };
  json plan_body{{"duration_s", 3600}, {"power_w", 1000}, {"deadline", FormatTime(clock_.Now() + hours(6))},
                 {"regions", {"local:host"}}};
  json late_plan = plan_body;
  late_plan["regions"] = {"gcp:europe-west9"};
  check("/v1/healthz", "get", api_->Handle(Request("GET", "/v1/healthz")));
  check("/v1/jobs", "post", api_->Handle(Request("POST", "/v1/jobs", Valid().dump())));
  check("/v1/jobs", "post", api_->Handle(Request("POST", "/v1/jobs", "{}")));
  check("/v1/jobs", "post", api_->Handle(Request("POST", "/v1/jobs", Valid().dump(), false)));
  json later = Valid();
  later["deadline"] = FormatTime(clock_.Now() + hours(48));
  check("/v1/jobs", "post", api_->Handle(Request("POST", "/v1/jobs", later.dump())));
  check("/v1/jobs/{id}:pause", "post", api_->Handle(Request("POST", "/v1/jobs/j-000002:pause")));
  ASSERT_TRUE(service_->Tick().ok());
  check("/v1/jobs", "get", api_->Handle(Request("GET", "/v1/jobs")));
  check("/v1/jobs", "get", api_->Handle(Request("GET", "/v1/jobs?state=nap")));
  check("/v1/jobs/{id}", "get", api_->Handle(Request("GET", "/v1/jobs/j-000001")));
  check("/v1/jobs/{id}", "get", api_->Handle(Request("GET", "/v1/jobs/j-000404")));
  check("/v1/jobs/{id}:pause", "post", api_->Handle(Request("POST", "/v1/jobs/j-000002:pause")));
  check("/v1/jobs/{id}:resume", "post", api_->Handle(Request("POST", "/v1/jobs/j-000002:resume")));
  check("/v1/jobs/{id}:resume", "post", api_->Handle(Request("POST", "/v1/jobs/j-000002:resume")));
  check("/v1/jobs/{id}:cancel", "post", api_->Handle(Request("POST", "/v1/jobs/j-000002:cancel")));
  check("/v1/jobs/{id}:cancel", "post", api_->Handle(Request("POST", "/v1/jobs/j-000002:cancel")));
  check("/v1/regions/rank", "get", api_->Handle(Request("GET", "/v1/regions/rank?regions=local:host")));
  check("/v1/grid", "get", api_->Handle(Request("GET", "/v1/grid?regions=local:host&hours_back=2&hours_ahead=3")));
  check("/v1/grid", "get", api_->Handle(Request("GET", "/v1/grid?hours_back=x")));
  check("/v1/plan", "post", api_->Handle(Request("POST", "/v1/plan", plan_body.dump())));
  check("/v1/report", "get", api_->Handle(Request("GET", "/v1/report?project=nlp")));
  check("/v1/report", "get", api_->Handle(Request("GET", "/v1/report?from=soon")));
  check("/v1/plan", "post", api_->Handle(Request("POST", "/v1/plan", late_plan.dump())));
  check("/v1/jobs/{id}/audit", "get", api_->Handle(Request("GET", "/v1/jobs/j-000001/audit")));
  check("/v1/jobs/{id}/audit", "get", api_->Handle(Request("GET", "/v1/jobs/j-000404/audit")));
  check("/v1/jobs/{id}/samples", "get", api_->Handle(Request("GET", "/v1/jobs/j-000001/samples")));
  check("/v1/jobs/{id}/samples", "get", api_->Handle(Request("GET", "/v1/jobs/j-000001/samples?since=x")));
  check("/v1/jobs/{id}/samples", "get", api_->Handle(Request("GET", "/v1/jobs/j-000404/samples")));
  // A shown job with a plan: the nested schemas too.
  json shown = json::parse(api_->Handle(Request("GET", "/v1/jobs/j-000001")).body);
  ASSERT_TRUE(shown["plan"].is_object());
  EXPECT_EQ(checked, documented);
}

}  // namespace
}  // namespace sunwind
