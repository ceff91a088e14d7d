#include "server/api.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "server/audit_routes.h"
#include "server/json_answer.h"
#include "server/metrics_routes.h"
#include "server/web_routes.h"
#include "service/plan_json.h"

namespace sunwind {

using nlohmann::json;

namespace {

// Whether `given` is the token, in time that does not depend on where they
// differ (only on the token's length).
bool SameSecret(const std::string& given, const std::string& token) {
  if (token.empty() || given.size() != token.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < token.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ token[i]);
  return diff == 0;
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

// Typed field readers: InvalidArgument naming the field.
Status WrongType(const std::string& field, const char* want) {
  return Status::InvalidArgument(field + ": must be " + want);
}

Result<std::string> String(const json& v, const std::string& field) {
  if (!v.is_string()) return WrongType(field, "a string");
  return v.get<std::string>();
}

Result<long long> Seconds(const json& v, const std::string& field) {
  if (!v.is_number()) return WrongType(field, "a number of seconds");
  const double d = v.get<double>();
  if (d != static_cast<double>(static_cast<long long>(d))) return WrongType(field, "a whole number of seconds");
  return static_cast<long long>(d);
}

Result<TimePoint> Time(const json& v, const std::string& field) {
  SUNWIND_ASSIGN_OR_RETURN(std::string text, String(v, field));
  auto t = ParseTime(text);
  if (!t.ok()) return Status::InvalidArgument(field + ": \"" + text + "\" is not an RFC 3339 time (e.g. 2026-11-23T10:00:00Z)");
  return *t;
}

Result<std::vector<std::string>> Strings(const json& v, const std::string& field) {
  if (!v.is_array()) return WrongType(field, "an array of strings");
  std::vector<std::string> out;
  for (const auto& e : v) {
    if (!e.is_string()) return WrongType(field, "an array of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

Result<json> ParseBody(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument("body: not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument("body: must be a JSON object");
  return j;
}

// The part of a file from `offset`, at most `limit` bytes.
std::string ReadFrom(const std::string& path, long long offset, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(offset);
  std::string out(limit, '\0');
  in.read(out.data(), static_cast<std::streamsize>(limit));
  out.resize(static_cast<size_t>(std::max<std::streamsize>(0, in.gcount())));
  return out;
}

}  // namespace

json JobJson(const JobRecord& job) {
  const JobSubmission& s = job.submission;
  json env_names = json::array();
  for (const auto& [k, v] : s.env) env_names.push_back(k);
  return json{{"id", job.id},
              {"name", s.name},
              {"project", s.project},
              {"state", JobPhaseName(job.state)},
              {"paused_by", job.paused_by == PausedBy::kNobody ? json(nullptr) : json(PausedByName(job.paused_by))},
              {"command", s.command},
              {"working_dir", s.working_dir},
              {"env_names", env_names},
              {"duration_s", s.duration.count()},
              {"power_w", s.power_w},
              {"earliest_start", FormatTime(s.earliest_start)},
              {"deadline", FormatTime(s.deadline)},
              {"interruptible", s.interruptible},
              {"pause_mode", s.pause_mode},
              {"min_chunk_s", s.min_chunk.count()},
              {"checkpoint_overhead_s", s.checkpoint_overhead.count()},
              {"allowed_regions", s.allowed_regions},
              {"home_region", s.home_region},
              {"created_at", FormatTime(job.created_at)},
              {"updated_at", FormatTime(job.updated_at)}};
}

json JobDetailJson(const JobDetail& d) {
  json j = JobJson(d.job);
  if (d.plan) {
    json plan = json::parse(d.plan->summary_json, nullptr, false);
    if (!plan.is_object()) plan = json::object();
    plan["version"] = d.plan->version;
    plan["intervals"] = json::parse(d.plan->intervals_json, nullptr, false);
    plan["expected_emissions_g"] = d.plan->expected_emissions_g;
    plan["expected_energy_kwh"] = d.plan->expected_energy_kwh;
    plan["created_at"] = FormatTime(d.plan->created_at);
    j["plan"] = plan;
  } else {
    j["plan"] = nullptr;
  }
  json events = json::array();
  for (const auto& e : d.events) {
    json detail = json::parse(e.detail_json, nullptr, false);
    events.push_back({{"seq", e.seq},
                      {"at", FormatTime(e.at)},
                      {"from", e.from_state ? json(JobPhaseName(*e.from_state)) : json(nullptr)},
                      {"to", JobPhaseName(e.to_state)},
                      {"paused_by", e.paused_by == PausedBy::kNobody ? json(nullptr) : json(PausedByName(e.paused_by))},
                      {"reason", e.reason},
                      {"detail", detail.is_discarded() ? json::object() : detail}});
  }
  j["events"] = events;
  j["region"] = d.region;
  j["ran_s"] = d.ran.count();
  j["overrun"] = d.overrun;
  j["deadline_missed"] = d.deadline_missed;
  j["stdout_path"] = d.stdout_path;
  j["stderr_path"] = d.stderr_path;
  return j;
}

Result<JobSubmission> SubmissionFromJson(const json& body, TimePoint now) {
  static const std::set<std::string> kKnown = {
      "name",          "project",     "command",     "working_dir",   "env",
      "duration_s",    "power_w",     "deadline",    "earliest_start", "interruptible",
      "pause_mode",    "min_chunk_s", "checkpoint_overhead_s", "allowed_regions", "home_region"};
  for (const auto& [key, value] : body.items()) {
    if (!kKnown.count(key)) return Status::InvalidArgument(key + ": unknown field");
  }
  for (const char* required : {"name", "command", "duration_s", "power_w", "deadline"}) {
    if (!body.contains(required)) return Status::InvalidArgument(std::string(required) + ": is required");
  }
  JobSubmission s;
  SUNWIND_ASSIGN_OR_RETURN(s.name, String(body["name"], "name"));
  s.project = "default";
  if (body.contains("project")) {
    SUNWIND_ASSIGN_OR_RETURN(s.project, String(body["project"], "project"));
  }
  SUNWIND_ASSIGN_OR_RETURN(s.command, Strings(body["command"], "command"));
  if (body.contains("working_dir")) {
    SUNWIND_ASSIGN_OR_RETURN(s.working_dir, String(body["working_dir"], "working_dir"));
  }
  if (body.contains("env")) {
    if (!body["env"].is_object()) return WrongType("env", "an object of strings");
    for (const auto& [k, v] : body["env"].items()) {
      if (!v.is_string()) return WrongType("env." + k, "a string");
      s.env[k] = v.get<std::string>();
    }
  }
  SUNWIND_ASSIGN_OR_RETURN(long long duration_s, Seconds(body["duration_s"], "duration_s"));
  s.duration = Duration(duration_s);
  if (!body["power_w"].is_number()) return WrongType("power_w", "a number of watts");
  s.power_w = body["power_w"].get<double>();
  SUNWIND_ASSIGN_OR_RETURN(s.deadline, Time(body["deadline"], "deadline"));
  if (s.deadline <= now) {
    return Status::InvalidArgument("deadline: " + FormatTime(s.deadline) + " is in the past (now " + FormatTime(now) +
                                   ")");
  }
  s.earliest_start = now;
  if (body.contains("earliest_start")) {
    SUNWIND_ASSIGN_OR_RETURN(s.earliest_start, Time(body["earliest_start"], "earliest_start"));
    s.earliest_start = std::max(s.earliest_start, now);
  }
  if (body.contains("interruptible")) {
    if (!body["interruptible"].is_boolean()) return WrongType("interruptible", "true or false");
    s.interruptible = body["interruptible"].get<bool>();
  }
  if (body.contains("pause_mode")) {
    SUNWIND_ASSIGN_OR_RETURN(s.pause_mode, String(body["pause_mode"], "pause_mode"));
  }
  if (body.contains("min_chunk_s")) {
    SUNWIND_ASSIGN_OR_RETURN(long long v, Seconds(body["min_chunk_s"], "min_chunk_s"));
    s.min_chunk = Duration(v);
  }
  if (body.contains("checkpoint_overhead_s")) {
    SUNWIND_ASSIGN_OR_RETURN(long long v, Seconds(body["checkpoint_overhead_s"], "checkpoint_overhead_s"));
    s.checkpoint_overhead = Duration(v);
  }
  if (body.contains("allowed_regions")) {
    SUNWIND_ASSIGN_OR_RETURN(s.allowed_regions, Strings(body["allowed_regions"], "allowed_regions"));
  }
  if (body.contains("home_region")) {
    SUNWIND_ASSIGN_OR_RETURN(s.home_region, String(body["home_region"], "home_region"));
  }
  SUNWIND_RETURN_IF_ERROR(ValidateSubmission(s));
  return s;
}

Api::Api(Service& service, const RegionCatalogue& regions, FetchIntensity fetch, const Clock& clock,
         ApiOptions options)
    : service_(service), regions_(regions), fetch_(std::move(fetch)), clock_(clock), options_(std::move(options)),
      grid_(regions, fetch_, clock) {
  if (options_.audit_cache_entries > 0)
    audit_cache_ = std::make_unique<AuditCache>(options_.audit_cache_entries, options_.audit_cache_max_age);
}

bool Api::Authorised(const ApiRequest& r) const {
  const bool changes = r.method != "GET" && r.method != "HEAD";
  if (!changes && !options_.reads_need_token && r.remote_is_loopback) return true;
  const std::string header = r.Header("authorization");
  const std::string prefix = "Bearer ";
  if (header.compare(0, prefix.size(), prefix) != 0) return false;
  return SameSecret(header.substr(prefix.size()), options_.token);
}

AuditForJob Api::Audits() const {
  return MeteredAudits(options_.meter_store, options_.metering, regions_, fetch_, clock_,
                       service_.options().default_region, &service_, options_.slurm_cpu, audit_cache_.get());
}

ApiResponse Api::Handle(const ApiRequest& r) {
  if (r.path == "/v1/healthz" && r.method == "GET") {
    return JsonAnswer(200, {{"status", "ok"},
                            {"version", options_.version},
                            {"now", FormatTime(clock_.Now())},
                            {"clock_speed", options_.clock_speed}});
  }
  if (auto page = HandleWebRequest(r)) return *page;  // the dashboard's files hold no data: no token
  if (r.path.rfind("/v1/", 0) != 0 && r.path != "/metrics") return ErrorAnswer(404, "no such resource: " + r.path);
  if (!Authorised(r)) {
    ApiResponse a = ErrorAnswer(401, "missing or wrong bearer token (Authorization: Bearer <token>)");
    a.headers.push_back({"WWW-Authenticate", "Bearer realm=\"sunwind\""});
    return a;
  }
  if (r.path == "/v1/jobs") {
    if (r.method == "POST") return Submit(r);
    if (r.method == "GET") return ListJobs(r);
    return ErrorAnswer(405, "method " + r.method + " not allowed on /v1/jobs");
  }
  if (r.path == "/v1/regions/rank" && r.method == "GET") return Rank(r);
  if (r.path == "/v1/grid" && r.method == "GET") return grid_.Handle(r);
  if (r.path == "/v1/plan" && r.method == "POST") return PlanOnly(r);
  if (r.path == "/v1/report" && r.method == "GET") return ReportAnswer(service_, Audits(), r);
  if (r.path == "/metrics" && r.method == "GET") return MetricsAnswer(service_, Audits(), regions_, fetch_, clock_);
  if (auto audit = AuditAnswer(service_, Audits(), options_.meter_store, options_.metering, r)) return *audit;
  const std::string jobs = "/v1/jobs/";
  if (r.path.rfind(jobs, 0) == 0) {
    std::string rest = r.path.substr(jobs.size());
    if (auto colon = rest.find(':'); colon != std::string::npos) {
      if (r.method != "POST") return ErrorAnswer(405, "actions are POSTed");
      return Act(rest.substr(0, colon), rest.substr(colon + 1));
    }
    if (rest.size() > 5 && rest.compare(rest.size() - 5, 5, "/logs") == 0 && r.method == "GET") {
      return Logs(rest.substr(0, rest.size() - 5), r);
    }
    if (rest.find('/') == std::string::npos && r.method == "GET") return ShowJob(rest);
  }
  return ErrorAnswer(404, "no such resource: " + r.method + " " + r.path);
}

ApiResponse Api::Submit(const ApiRequest& r) {
  auto body = ParseBody(r.body);
  if (!body.ok()) return ErrorAnswer(body.status());
  auto submission = SubmissionFromJson(*body, clock_.Now());
  if (!submission.ok()) return ErrorAnswer(submission.status());
  auto job = service_.Submit(std::move(submission).value());
  if (!job.ok()) return ErrorAnswer(job.status());
  ApiResponse a = JsonAnswer(201, JobJson(*job));
  a.headers.push_back({"Location", "/v1/jobs/" + job->id});
  return a;
}

ApiResponse Api::ListJobs(const ApiRequest& r) {
  JobFilter filter;
  if (auto it = r.query.find("state"); it != r.query.end()) {
    auto phase = ParseJobPhase(it->second);
    if (!phase.ok()) return ErrorAnswer(phase.status());
    filter.state = *phase;
  }
  if (auto it = r.query.find("project"); it != r.query.end()) filter.project = it->second;
  auto jobs = service_.List(filter);
  if (!jobs.ok()) return ErrorAnswer(jobs.status());
  json out = json::array();
  for (const auto& j : *jobs) out.push_back(JobJson(j));
  return JsonAnswer(200, {{"jobs", out}});
}

ApiResponse Api::ShowJob(const std::string& id) {
  auto d = service_.Show(id);
  if (!d.ok()) return ErrorAnswer(d.status());
  return JsonAnswer(200, JobDetailJson(*d));
}

ApiResponse Api::Act(const std::string& id, const std::string& action) {
  Result<JobRecord> job = Status::InvalidArgument("");
  if (action == "pause") {
    job = service_.Pause(id);
  } else if (action == "resume") {
    job = service_.Resume(id);
  } else if (action == "cancel") {
    job = service_.Cancel(id);
  } else {
    return ErrorAnswer(404, "action: unknown action '" + action + "' (pause, resume, cancel)");
  }
  if (!job.ok()) return ErrorAnswer(job.status());
  return JsonAnswer(200, JobJson(*job));
}

ApiResponse Api::Logs(const std::string& id, const ApiRequest& r) {
  auto d = service_.Show(id);
  if (!d.ok()) return ErrorAnswer(d.status());
  const std::string stream = r.query.count("stream") ? r.query.at("stream") : "stdout";
  if (stream != "stdout" && stream != "stderr") return ErrorAnswer(400, "stream: must be stdout or stderr");
  long long offset = 0;
  if (auto it = r.query.find("offset"); it != r.query.end()) {
    try {
      offset = std::stoll(it->second);
    } catch (...) {
      offset = -1;
    }
    if (offset < 0) return ErrorAnswer(400, "offset: must be a byte offset >= 0");
  }
  const std::string& path = stream == "stdout" ? d->stdout_path : d->stderr_path;
  ApiResponse a;
  a.content_type = "text/plain; charset=utf-8";
  a.body = path.empty() ? "" : ReadFrom(path, offset, 1 << 20);
  a.headers.push_back({"X-Next-Offset", std::to_string(offset + static_cast<long long>(a.body.size()))});
  a.headers.push_back({"X-Job-State", JobPhaseName(d->job.state)});
  return a;
}

ApiResponse Api::Rank(const ApiRequest& r) {
  std::vector<const Region*> candidates;
  if (auto it = r.query.find("regions"); it != r.query.end()) {
    for (const auto& id : SplitComma(it->second)) {
      auto region = regions_.Get(id);
      if (!region.ok()) return ErrorAnswer(400, "regions: " + region.status().message());
      candidates.push_back(*region);
    }
  } else {
    for (const auto& region : regions_.regions()) {
      if (!region.executor_kind.empty()) candidates.push_back(&region);
    }
  }
  Duration duration{3600};
  if (auto it = r.query.find("duration_s"); it != r.query.end()) {
    auto d = ParseDuration(it->second + "s");
    if (!d.ok()) return ErrorAnswer(400, "duration_s: must be a positive number of seconds");
    duration = *d;
  }
  const TimePoint now = clock_.Now();
  std::vector<RegionSeries> series;
  for (const Region* region : candidates) {
    auto s = fetch_(region, now, now + duration + kForecastStep, kForecastStep);
    if (!s.ok()) return ErrorAnswer(503, s.status().message());
    series.push_back(std::move(s).value());
  }
  json out = json::array();
  for (const auto& rank : RankRegions(series, now, duration)) {
    out.push_back({{"region", rank.region->id},
                   {"zone", rank.region->zone},
                   {"pue", rank.region->pue},
                   {"mean_intensity_g_per_kwh", rank.mean_intensity_g_per_kwh},
                   {"mean_effective_g_per_kwh", rank.mean_effective_g_per_kwh},
                   {"kind", rank.kind},
                   {"source", rank.source},
                   {"complete", rank.complete},
                   {"runnable", !rank.region->executor_kind.empty()}});
  }
  return JsonAnswer(200, {{"at", FormatTime(now)}, {"duration_s", duration.count()}, {"regions", out}});
}

ApiResponse Api::PlanOnly(const ApiRequest& r) {
  auto body = ParseBody(r.body);
  if (!body.ok()) return ErrorAnswer(body.status());
  static const std::set<std::string> kKnown = {"duration_s", "power_w", "deadline", "regions", "interruptible",
                                               "min_chunk_s", "checkpoint_overhead_s"};
  for (const auto& [key, value] : body->items()) {
    if (!kKnown.count(key)) return ErrorAnswer(400, key + ": unknown field");
  }
  const TimePoint now = clock_.Now();
  for (const char* required : {"duration_s", "deadline", "regions"}) {
    if (!body->contains(required)) return ErrorAnswer(400, std::string(required) + ": is required");
  }
  PlanRequest q;
  q.at = now;
  auto duration = Seconds((*body)["duration_s"], "duration_s");
  if (!duration.ok()) return ErrorAnswer(duration.status());
  if (*duration <= 0) return ErrorAnswer(400, "duration_s: must be positive");
  q.duration = Duration(*duration);
  q.power_w = body->value("power_w", 1000.0);
  if (!(q.power_w > 0)) return ErrorAnswer(400, "power_w: must be positive");
  auto deadline = Time((*body)["deadline"], "deadline");
  if (!deadline.ok()) return ErrorAnswer(deadline.status());
  if (*deadline < now + q.duration) return ErrorAnswer(400, "deadline: is before now + duration_s");
  q.deadline = *deadline;
  q.interruptible = body->value("interruptible", false);
  q.min_chunk = Duration(body->value("min_chunk_s", 0LL));
  q.resume_overhead = Duration(body->value("checkpoint_overhead_s", 0LL));
  auto ids = Strings((*body)["regions"], "regions");
  if (!ids.ok()) return ErrorAnswer(ids.status());
  if (ids->empty()) return ErrorAnswer(400, "regions: must name at least one region");
  std::vector<RegionSeries> candidates;
  for (const auto& id : *ids) {
    auto region = regions_.Get(id);
    if (!region.ok()) return ErrorAnswer(400, "regions: " + region.status().message());
    auto s = fetch_(*region, now, std::max(q.deadline, now + q.duration + kForecastStep), kForecastStep);
    if (!s.ok()) return ErrorAnswer(503, s.status().message());
    candidates.push_back(std::move(s).value());
  }
  auto plan = PlanJob(candidates, candidates.front(), q);
  if (!plan.ok()) return ErrorAnswer(plan.status().code() == StatusCode::kInfeasible ? 409 : 500, plan.status().message());
  json out = PlanSummaryJson(*plan);
  out["intervals"] = PlanIntervalsJson(*plan);
  out["emissions_g"] = plan->emissions_g;
  out["energy_kwh"] = plan->energy_kwh;
  out["at"] = FormatTime(now);
  return JsonAnswer(200, out);
}

}  // namespace sunwind
