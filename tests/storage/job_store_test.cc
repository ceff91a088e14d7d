#include "storage/job_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>
#include <utility>


namespace sunwind {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

constexpr JobPhase kAllPhases[] = {JobPhase::kQueued, JobPhase::kRunning, JobPhase::kPaused,
                                   JobPhase::kDone,   JobPhase::kFailed,  JobPhase::kCancelled};

class JobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sunwind_job_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path() const { return (dir_ / "state" / "sunwind.sqlite").string(); }

  std::unique_ptr<Database> OpenDb() {
    auto db = Database::Open(Path());
    EXPECT_TRUE(db.ok()) << db.status().message();
    return db.ok() ? std::move(*db) : nullptr;
  }

  // A job that fits: 3 h at 900 W, due a day after it may start.
  JobSubmission Finetune() const {
    JobSubmission s;
    s.name = "finetune-bert";
    s.project = "nlp";
    s.command = {"python3", "train.py", "--epochs", "5"};
    s.working_dir = "/home/ada/bert";
    s.env = {{"CUDA_VISIBLE_DEVICES", "0"}, {"HF_HOME", "/scratch/hf"}};
    s.duration = hours(3);
    s.power_w = 900;
    s.earliest_start = t0_;
    s.deadline = t0_ + hours(24);
    s.interruptible = true;
    s.min_chunk = minutes(30);
    s.checkpoint_overhead = minutes(5);
    s.allowed_regions = {"local:host", "aws:eu-central-1"};
    s.home_region = "local:host";
    return s;
  }

  std::string CreateOrDie(JobStore& store, JobSubmission s) {
    auto id = store.Create(s);
    EXPECT_TRUE(id.ok()) << id.status().message();
    return id.ok() ? *id : "";
  }

  // Brings a fresh job to `phase` through allowed transitions.
  std::string JobIn(JobStore& store, JobPhase phase) {
    std::string id = CreateOrDie(store, Finetune());
    auto go = [&](JobPhase to) {
      Status st = store.Transition(id, to, "setup", to == JobPhase::kPaused ? PausedBy::kScheduler : PausedBy::kNobody);
      EXPECT_TRUE(st.ok()) << st.message();
    };
    switch (phase) {
      case JobPhase::kQueued: break;
      case JobPhase::kRunning: go(JobPhase::kRunning); break;
      case JobPhase::kPaused: go(JobPhase::kRunning); go(JobPhase::kPaused); break;
      case JobPhase::kDone: go(JobPhase::kRunning); go(JobPhase::kDone); break;
      case JobPhase::kFailed: go(JobPhase::kRunning); go(JobPhase::kFailed); break;
      case JobPhase::kCancelled: go(JobPhase::kCancelled); break;
    }
    return id;
  }

  std::filesystem::path dir_;
  const TimePoint t0_ = *ParseTime("2026-11-22T18:00Z");
  ManualClock clock_{t0_};
};

TEST_F(JobStoreTest, CreatedJobComesBackFieldByFieldWithItsFirstEvent) {
  // Given a valid submission, we should store it as a queued job with the
  // next id and log its submission.
  auto db = OpenDb();
  JobStore store(*db, clock_);
  auto id = store.Create(Finetune());
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_EQ(*id, "j-000001");

  auto job = store.Get(*id);
  ASSERT_TRUE(job.ok()) << job.status().message();
  const JobSubmission& s = job->submission;
  EXPECT_EQ(job->id, "j-000001");
  EXPECT_EQ(s.name, "finetune-bert");
  EXPECT_EQ(s.project, "nlp");
  EXPECT_EQ(s.command, (std::vector<std::string>{"python3", "train.py", "--epochs", "5"}));
  EXPECT_EQ(s.working_dir, "/home/ada/bert");
  EXPECT_EQ(s.env, (std::map<std::string, std::string>{{"CUDA_VISIBLE_DEVICES", "0"}, {"HF_HOME", "/scratch/hf"}}));
  EXPECT_EQ(s.duration, hours(3));
  EXPECT_DOUBLE_EQ(s.power_w, 900);
  EXPECT_EQ(s.earliest_start, t0_);
  EXPECT_EQ(s.deadline, t0_ + hours(24));
  EXPECT_TRUE(s.interruptible);
  EXPECT_EQ(s.min_chunk, minutes(30));
  EXPECT_EQ(s.checkpoint_overhead, minutes(5));
  EXPECT_EQ(s.allowed_regions, (std::vector<std::string>{"local:host", "aws:eu-central-1"}));
  EXPECT_EQ(s.home_region, "local:host");
  EXPECT_EQ(s.pause_mode, "checkpoint");
  EXPECT_EQ(job->state, JobPhase::kQueued);
  EXPECT_EQ(job->paused_by, PausedBy::kNobody);
  EXPECT_EQ(job->created_at, t0_);
  EXPECT_EQ(job->updated_at, t0_);

  auto events = store.Events(*id);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_FALSE((*events)[0].from_state.has_value());
  EXPECT_EQ((*events)[0].to_state, JobPhase::kQueued);
  EXPECT_EQ((*events)[0].reason, "submitted");
  EXPECT_EQ((*events)[0].at, t0_);

  EXPECT_EQ(*store.Create(Finetune()), "j-000002");
  JobSubmission stop = Finetune();
  stop.pause_mode = "stop";
  EXPECT_EQ(store.Get(*store.Create(stop))->submission.pause_mode, "stop");
}

TEST_F(JobStoreTest, ArgvAndEnvKeepQuotesSpacesAndUnicode) {
  // Given argv and env with characters JSON must escape, we should give
  // back exactly what was submitted.
  auto db = OpenDb();
  JobStore store(*db, clock_);
  JobSubmission s = Finetune();
  s.command = {"sh", "-c", "echo \"a b\" 'c' \\ $HOME\n", "ünïcødé ☀"};
  s.env = {{"A", "x=y"}, {"QUOTE", "\"'"}, {"EMPTY", ""}};
  auto id = store.Create(s);
  ASSERT_TRUE(id.ok());
  auto job = store.Get(*id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->submission.command, s.command);
  EXPECT_EQ(job->submission.env, s.env);
}

TEST_F(JobStoreTest, UnknownJobIsNotFoundEverywhere) {
  auto db = OpenDb();
  JobStore store(*db, clock_);
  auto job = store.Get("j-999999");
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(job.status().message(), "job j-999999: no such job");
  EXPECT_EQ(store.Transition("j-999999", JobPhase::kRunning, "x").code(), StatusCode::kNotFound);
  EXPECT_EQ(store.Events("j-999999").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store.SavePlan("j-999999", "[]", 1, 1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store.GetPlan("j-999999").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store.SaveHandle("j-999999", "local", "{}").code(), StatusCode::kNotFound);
  EXPECT_EQ(store.GetHandle("j-999999").status().code(), StatusCode::kNotFound);
}

TEST_F(JobStoreTest, ListsInOrderOfSubmissionFilteredByStateAndProject) {
  // Given jobs in two projects and several states, we should list them in
  // the order they came, narrowed by each filter and by both.
  auto db = OpenDb();
  JobStore store(*db, clock_);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    JobSubmission s = Finetune();
    s.project = i % 2 == 0 ? "nlp" : "vision";
    ids.push_back(CreateOrDie(store, s));
  }
  ASSERT_TRUE(store.Transition(ids[0], JobPhase::kRunning, "slot").ok());
  ASSERT_TRUE(store.Transition(ids[3], JobPhase::kRunning, "slot").ok());

  auto ids_of = [](const Result<std::vector<JobRecord>>& r) {
    std::vector<std::string> out;
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (r.ok()) {
      for (const auto& j : *r) out.push_back(j.id);
    }
    return out;
  };
  EXPECT_EQ(ids_of(store.List()), ids);
  EXPECT_EQ(ids_of(store.List({JobPhase::kRunning, std::nullopt})), (std::vector<std::string>{ids[0], ids[3]}));
  EXPECT_EQ(ids_of(store.List({std::nullopt, "vision"})), (std::vector<std::string>{ids[1], ids[3]}));
  EXPECT_EQ(ids_of(store.List({JobPhase::kQueued, "nlp"})), (std::vector<std::string>{ids[2], ids[4]}));
  EXPECT_TRUE(ids_of(store.List({JobPhase::kDone, std::nullopt})).empty());
  EXPECT_TRUE(ids_of(store.List({std::nullopt, "nobody"})).empty());
}

TEST_F(JobStoreTest, IdsPastSixDigitsStillListInOrderOfSubmission) {
  // Given the millionth job, "j-1000000" should list after "j-999999"
  // although it sorts before it as text.
  auto db = OpenDb();
  JobStore store(*db, clock_);
  ASSERT_TRUE(db->Exec("INSERT INTO id_counters (name, last) VALUES ('job', 999998)").ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(CreateOrDie(store, Finetune()));
  EXPECT_EQ(ids, (std::vector<std::string>{"j-999999", "j-1000000", "j-1000001"}));
  auto jobs = store.List();  // held: a range-for over *store.List() would dangle
  ASSERT_TRUE(jobs.ok());
  std::vector<std::string> listed;
  for (const auto& j : *jobs) listed.push_back(j.id);
  EXPECT_EQ(listed, ids);
}

TEST_F(JobStoreTest, EachBadFieldIsRefusedByNameAndNothingIsStored) {
  // Given a submission with one bad field, we should refuse it with
  // InvalidArgument naming that field, and store nothing (not even an id).
  struct Case {
    std::string field;
    std::function<void(JobSubmission&)> spoil;
  };
  const std::vector<Case> cases = {
      {"name", [](JobSubmission& s) { s.name = ""; }},
      {"command", [](JobSubmission& s) { s.command.clear(); }},
      {"command", [](JobSubmission& s) { s.command = {"", "x"}; }},
      {"env", [](JobSubmission& s) { s.env["A=B"] = "c"; }},
      {"duration_s", [](JobSubmission& s) { s.duration = Duration(0); }},
      {"duration_s", [](JobSubmission& s) { s.duration = Duration(-60); }},
      {"duration_s", [](JobSubmission& s) {
         s.duration = hours(24 * 366) + Duration(1);
         s.deadline = s.earliest_start + hours(24 * 400);
       }},
      {"power_w", [](JobSubmission& s) { s.power_w = 0; }},
      {"power_w", [](JobSubmission& s) { s.power_w = -900; }},
      {"power_w", [](JobSubmission& s) { s.power_w = 1e6 + 1; }},
      {"power_w", [](JobSubmission& s) { s.power_w = std::nan(""); }},
      {"deadline", [](JobSubmission& s) { s.deadline = s.earliest_start + hours(3) - Duration(1); }},
      {"deadline", [](JobSubmission& s) { s.deadline = s.earliest_start - hours(1); }},
      {"min_chunk_s", [](JobSubmission& s) { s.min_chunk = Duration(-1); }},
      {"min_chunk_s", [](JobSubmission& s) { s.min_chunk = hours(4); }},
      {"checkpoint_overhead_s", [](JobSubmission& s) { s.checkpoint_overhead = Duration(-1); }},
      {"pause_mode", [](JobSubmission& s) { s.pause_mode = "freeze"; }},
      {"allowed_regions", [](JobSubmission& s) { s.allowed_regions.push_back(""); }},
      {"home_region", [](JobSubmission& s) { s.home_region = "gcp:europe-west1"; }},
      {"command", [](JobSubmission& s) { s.command.push_back("\xff\xfe"); }},
  };
  auto db = OpenDb();
  JobStore store(*db, clock_);
  for (const auto& c : cases) {
    JobSubmission s = Finetune();
    c.spoil(s);
    auto id = store.Create(s);
    ASSERT_FALSE(id.ok()) << c.field;
    EXPECT_EQ(id.status().code(), StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(id.status().message().rfind(c.field + ": ", 0), 0u) << id.status().message();
  }
  EXPECT_TRUE(store.List()->empty());
  // No id was drawn for a refused submission.
  EXPECT_EQ(*store.Create(Finetune()), "j-000001");

  // Exact text for the two a user meets most.
  JobSubmission zero = Finetune();
  zero.duration = Duration(0);
  EXPECT_EQ(store.Create(zero).status().message(), "duration_s: must be positive, got 0");
  JobSubmission late = Finetune();
  late.deadline = t0_ + hours(2);
  EXPECT_EQ(store.Create(late).status().message(),
            "deadline: 2026-11-22T20:00:00Z is before earliest_start + duration_s (2026-11-22T21:00:00Z)");
}

TEST_F(JobStoreTest, BoundaryValuesAreAccepted) {
  // Given exactly 366 days, exactly 1 MW and a deadline that leaves no
  // slack, we should accept the job.
  auto db = OpenDb();
  JobStore store(*db, clock_);
  JobSubmission s = Finetune();
  s.duration = hours(24 * 366);
  s.power_w = 1e6;
  s.deadline = s.earliest_start + s.duration;
  s.allowed_regions.clear();
  EXPECT_TRUE(store.Create(s).ok());
}

TEST_F(JobStoreTest, UnknownStateNameIsRefusedNamingTheField) {
  auto phase = ParseJobPhase("sleeping");
  ASSERT_FALSE(phase.ok());
  EXPECT_EQ(phase.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(phase.status().message(),
            "state: unknown state \"sleeping\" (queued, running, paused, done, failed, cancelled)");
  for (JobPhase p : kAllPhases) EXPECT_EQ(*ParseJobPhase(JobPhaseName(p)), p);
}

TEST_F(JobStoreTest, EveryTransitionIsAllowedOrRefusedAsTheStateMachineSays) {
  // Given a job in each state and each target state, we should move it and
  // log the move exactly for the allowed pairs, and otherwise refuse saying
  // which transition it was and change nothing.
  const std::set<std::pair<JobPhase, JobPhase>> allowed = {
      {JobPhase::kQueued, JobPhase::kRunning},  {JobPhase::kQueued, JobPhase::kCancelled},
      {JobPhase::kRunning, JobPhase::kPaused},  {JobPhase::kRunning, JobPhase::kDone},
      {JobPhase::kRunning, JobPhase::kFailed},  {JobPhase::kRunning, JobPhase::kCancelled},
      {JobPhase::kPaused, JobPhase::kRunning},  {JobPhase::kPaused, JobPhase::kCancelled},
      {JobPhase::kPaused, JobPhase::kQueued},   {JobPhase::kQueued, JobPhase::kPaused},
      {JobPhase::kRunning, JobPhase::kQueued},  {JobPhase::kPaused, JobPhase::kPaused},
  };
  auto db = OpenDb();
  JobStore store(*db, clock_);
  int allowed_seen = 0;
  for (JobPhase from : kAllPhases) {
    for (JobPhase to : kAllPhases) {
      SCOPED_TRACE(std::string(JobPhaseName(from)) + " -> " + JobPhaseName(to));
      std::string id = JobIn(store, from);
      auto before = store.Get(id);
      size_t events_before = store.Events(id)->size();
      clock_.Advance(minutes(1));
      PausedBy who = to == JobPhase::kPaused ? PausedBy::kUser : PausedBy::kNobody;
      Status st = store.Transition(id, to, "test", who, R"({"note":"table"})");
      auto after = store.Get(id);
      auto events = store.Events(id);
      ASSERT_TRUE(after.ok() && events.ok());
      EXPECT_EQ(TransitionAllowed(from, to), allowed.count({from, to}) == 1);
      if (allowed.count({from, to})) {
        ++allowed_seen;
        ASSERT_TRUE(st.ok()) << st.message();
        EXPECT_EQ(after->state, to);
        EXPECT_EQ(after->paused_by, who);
        EXPECT_EQ(after->updated_at, clock_.Now());
        ASSERT_EQ(events->size(), events_before + 1);
        const JobEvent& e = events->back();
        EXPECT_EQ(e.from_state, from);
        EXPECT_EQ(e.to_state, to);
        EXPECT_EQ(e.paused_by, who);
        EXPECT_EQ(e.reason, "test");
        EXPECT_EQ(e.detail_json, R"({"note":"table"})");
        EXPECT_EQ(e.at, clock_.Now());
      } else {
        EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition);
        EXPECT_EQ(st.message(), "job " + id + ": cannot go from " + JobPhaseName(from) + " to " + JobPhaseName(to));
        EXPECT_EQ(after->state, from);
        EXPECT_EQ(after->paused_by, before->paused_by);
        EXPECT_EQ(after->updated_at, before->updated_at);
        EXPECT_EQ(events->size(), events_before);
      }
    }
  }
  EXPECT_EQ(allowed_seen, 12);
}

TEST_F(JobStoreTest, RefusedTransitionSaysWhichOneInPlainWords) {
  auto db = OpenDb();
  JobStore store(*db, clock_);
  std::string done = JobIn(store, JobPhase::kDone);
  EXPECT_EQ(store.Transition(done, JobPhase::kRunning, "resume").message(), "job j-000001: cannot go from done to running");
  std::string cancelled = JobIn(store, JobPhase::kCancelled);
  EXPECT_EQ(store.Transition(cancelled, JobPhase::kQueued, "retry").message(),
            "job j-000002: cannot go from cancelled to queued");
}

TEST_F(JobStoreTest, PausedByIsRequiredForAPauseAndClearedWhenItEnds) {
  // Given a running job, a pause must say who paused it; resuming clears it.
  auto db = OpenDb();
  JobStore store(*db, clock_);
  std::string id = JobIn(store, JobPhase::kRunning);
  Status st = store.Transition(id, JobPhase::kPaused, "dirty hour");
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "paused_by: a pause needs one (scheduler or user)");
  EXPECT_EQ(store.Get(id)->state, JobPhase::kRunning);
  EXPECT_EQ(store.Transition(id, JobPhase::kDone, "x", PausedBy::kUser).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Transition(id, JobPhase::kDone, "x", PausedBy::kNobody, "[1]").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Get(id)->state, JobPhase::kRunning);

  ASSERT_TRUE(store.Transition(id, JobPhase::kPaused, "sunwind pause", PausedBy::kUser).ok());
  EXPECT_EQ(store.Get(id)->paused_by, PausedBy::kUser);
  ASSERT_TRUE(store.Transition(id, JobPhase::kRunning, "sunwind resume").ok());
  EXPECT_EQ(store.Get(id)->paused_by, PausedBy::kNobody);
  // The history keeps who paused it after the job itself forgets.
  auto events = store.Events(id);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 4u);
  EXPECT_EQ((*events)[2].to_state, JobPhase::kPaused);
  EXPECT_EQ((*events)[2].paused_by, PausedBy::kUser);
  EXPECT_EQ((*events)[3].paused_by, PausedBy::kNobody);
}

TEST_F(JobStoreTest, EventsAreOrderedAndTheDatabaseRefusesToEditThem) {
  // Given a job's life from submission to done, its events should come back
  // in order with increasing seq, and no UPDATE or DELETE may touch them.
  auto db = OpenDb();
  JobStore store(*db, clock_);
  std::string a = CreateOrDie(store, Finetune());
  const std::vector<std::pair<JobPhase, PausedBy>> life = {{JobPhase::kRunning, PausedBy::kNobody},
                                                           {JobPhase::kPaused, PausedBy::kScheduler},
                                                           {JobPhase::kQueued, PausedBy::kNobody},
                                                           {JobPhase::kRunning, PausedBy::kNobody},
                                                           {JobPhase::kDone, PausedBy::kNobody}};
  for (const auto& [to, who] : life) {
    clock_.Advance(hours(1));
    ASSERT_TRUE(store.Transition(a, to, std::string("to ") + JobPhaseName(to), who).ok());
    CreateOrDie(store, Finetune());  // another job's event in between
  }
  auto events = store.Events(a);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), life.size() + 1);
  std::optional<JobPhase> prev;
  for (size_t i = 0; i < events->size(); ++i) {
    const JobEvent& e = (*events)[i];
    if (i > 0) {
      EXPECT_GT(e.seq, (*events)[i - 1].seq);
      EXPECT_GT(e.at, (*events)[i - 1].at);
    }
    EXPECT_EQ(e.from_state, prev);
    EXPECT_EQ(e.job_id, a);
    prev = e.to_state;
  }
  EXPECT_EQ(events->back().to_state, JobPhase::kDone);
  EXPECT_EQ(events->back().reason, "to done");

  Status update = db->Exec("UPDATE job_events SET reason = 'rewritten'");
  EXPECT_FALSE(update.ok());
  EXPECT_NE(update.message().find("job_events is append-only"), std::string::npos) << update.message();
  EXPECT_FALSE(db->Exec("DELETE FROM job_events").ok());
  EXPECT_EQ(store.Events(a)->size(), life.size() + 1);
}

TEST_F(JobStoreTest, PlansGetVersionsAndTheLatestWins) {
  auto db = OpenDb();
  JobStore store(*db, clock_);
  std::string id = CreateOrDie(store, Finetune());
  EXPECT_FALSE(store.GetPlan(id)->has_value());
  EXPECT_EQ(*store.SavePlan(id, R"([{"region":"local:host","start":"2026-11-23T02:00:00Z"}])", 812.5, 2.7), 1);
  clock_.Advance(hours(1));
  EXPECT_EQ(*store.SavePlan(id, R"([{"region":"aws:eu-central-1"}])", 640, 2.7, R"({"saving_g":172.5})"), 2);
  auto plan = store.GetPlan(id);
  ASSERT_TRUE(plan.ok() && plan->has_value());
  EXPECT_EQ((*plan)->version, 2);
  EXPECT_EQ((*plan)->intervals_json, R"([{"region":"aws:eu-central-1"}])");
  EXPECT_DOUBLE_EQ((*plan)->expected_emissions_g, 640);
  EXPECT_DOUBLE_EQ((*plan)->expected_energy_kwh, 2.7);
  EXPECT_EQ((*plan)->created_at, t0_ + hours(1));
  EXPECT_EQ((*plan)->summary_json, R"({"saving_g":172.5})");

  EXPECT_EQ(store.SavePlan(id, "{}", 1, 1).status().message(), "intervals: must be a JSON array");
  EXPECT_EQ(store.SavePlan(id, "[]", -1, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.SavePlan(id, "[]", 1, 1, "[1]").status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store.Transition(id, JobPhase::kCancelled, "user").ok());
  EXPECT_EQ(store.SavePlan(id, "[]", 1, 1).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*store.GetPlan(id))->version, 2);
}

TEST_F(JobStoreTest, HandleIsReplacedOnEachLaunch) {
  auto db = OpenDb();
  JobStore store(*db, clock_);
  std::string id = JobIn(store, JobPhase::kRunning);
  EXPECT_FALSE(store.GetHandle(id)->has_value());
  ASSERT_TRUE(store.SaveHandle(id, "local", R"({"pid":4242,"start_time":1000})").ok());
  clock_.Advance(hours(2));
  ASSERT_TRUE(store.SaveHandle(id, "local", R"({"pid":5151,"start_time":8200})").ok());
  auto h = store.GetHandle(id);
  ASSERT_TRUE(h.ok() && h->has_value());
  EXPECT_EQ((*h)->executor_kind, "local");
  EXPECT_EQ((*h)->handle_json, R"({"pid":5151,"start_time":8200})");
  EXPECT_EQ((*h)->updated_at, t0_ + hours(2));
  EXPECT_EQ(store.SaveHandle(id, "local", "4242").message(), "handle: must be a JSON object");
  EXPECT_EQ(store.SaveHandle(id, "", "{}").message(), "executor_kind: must not be empty");
}

TEST_F(JobStoreTest, EverythingSurvivesARestart) {
  // Given jobs, plans, events and handles written by one daemon, a later
  // open of the same file should find all of them, and keep numbering ids.
  std::string queued, running, paused;
  {
    auto db = OpenDb();
    JobStore store(*db, clock_);
    queued = JobIn(store, JobPhase::kQueued);
    running = JobIn(store, JobPhase::kRunning);
    paused = JobIn(store, JobPhase::kPaused);
    ASSERT_TRUE(store.SavePlan(queued, "[1]", 10, 1).ok());
    ASSERT_TRUE(store.SavePlan(queued, "[2]", 9, 1).ok());
    ASSERT_TRUE(store.SaveHandle(running, "local", R"({"pid":77})").ok());
  }
  auto db = OpenDb();
  JobStore store(*db, clock_);
  EXPECT_EQ(store.List()->size(), 3u);
  EXPECT_EQ(store.Get(queued)->state, JobPhase::kQueued);
  EXPECT_EQ(store.Get(running)->state, JobPhase::kRunning);
  EXPECT_EQ(store.Get(paused)->state, JobPhase::kPaused);
  EXPECT_EQ(store.Get(paused)->paused_by, PausedBy::kScheduler);
  EXPECT_EQ(store.Get(running)->submission.command, Finetune().command);
  auto plan = store.GetPlan(queued);
  ASSERT_TRUE(plan.ok() && plan->has_value());
  EXPECT_EQ((*plan)->version, 2);
  EXPECT_EQ((*plan)->intervals_json, "[2]");
  EXPECT_EQ((*store.GetHandle(running))->handle_json, R"({"pid":77})");
  EXPECT_EQ(store.Events(paused)->size(), 3u);
  EXPECT_EQ(*store.Create(Finetune()), "j-000004");
}

TEST_F(JobStoreTest, RecoverReturnsTheRunningAndPausedJobsWithWhatReadoptionNeeds) {
  // Given a daemon that stopped with jobs in every state, a restarted one
  // should get back exactly the running and paused ones, in order, with
  // their handles and current plans.
  std::map<JobPhase, std::string> ids;
  {
    auto db = OpenDb();
    JobStore store(*db, clock_);
    for (JobPhase p : kAllPhases) ids[p] = JobIn(store, p);
    ASSERT_TRUE(store.SaveHandle(ids[JobPhase::kRunning], "local", R"({"pid":4242})").ok());
    ASSERT_TRUE(store.SavePlan(ids[JobPhase::kPaused], "[]", 5, 0.5).ok());
  }
  auto db = OpenDb();
  JobStore store(*db, clock_);
  auto recovered = store.Recover();
  ASSERT_TRUE(recovered.ok()) << recovered.status().message();
  ASSERT_EQ(recovered->size(), 2u);
  const RecoveredJob& running = (*recovered)[0];
  const RecoveredJob& paused = (*recovered)[1];
  EXPECT_EQ(running.job.id, ids[JobPhase::kRunning]);
  EXPECT_EQ(running.job.state, JobPhase::kRunning);
  ASSERT_TRUE(running.handle.has_value());
  EXPECT_EQ(running.handle->handle_json, R"({"pid":4242})");
  EXPECT_FALSE(running.plan.has_value());
  EXPECT_EQ(paused.job.id, ids[JobPhase::kPaused]);
  EXPECT_EQ(paused.job.paused_by, PausedBy::kScheduler);
  EXPECT_FALSE(paused.handle.has_value());
  ASSERT_TRUE(paused.plan.has_value());
  EXPECT_EQ(paused.plan->version, 1);
}

TEST_F(JobStoreTest, AFileFromBeforeTheJobStoreIsUpgradedInPlace) {
  // Given a file at schema version 2 (the answer cache only) holding a
  // cached answer, opening it should add the job tables and keep the answer.
  {
    auto db = OpenDb();
    for (const char* table : {"jobs", "plans", "job_events", "executor_handles", "id_counters"}) {
      ASSERT_TRUE(db->Exec(std::string("DROP TABLE ") + table).ok()) << table;
    }
    ASSERT_TRUE(db->Exec("INSERT INTO provider_answers VALUES ('p', 'k', 'latest', 'body', 0, NULL)").ok());
    ASSERT_TRUE(db->Exec("UPDATE schema_version SET version = 2").ok());
  }
  auto db = OpenDb();
  EXPECT_EQ(db->schema_version(), static_cast<int>(Migrations().size()));
  EXPECT_EQ(db->Query("SELECT body FROM provider_answers")->size(), 1u);
  JobStore store(*db, clock_);
  EXPECT_EQ(*store.Create(Finetune()), "j-000001");
}

TEST_F(JobStoreTest, NewerSchemaThanThisBinaryKnowsIsRefusedClearly) {
  // Given a file a newer sunwind migrated further, we should refuse to open
  // it, say both versions, and leave it as it was.
  const int known = static_cast<int>(Migrations().size());
  {
    auto db = OpenDb();
    ASSERT_TRUE(db->Exec("UPDATE schema_version SET version = ?", {static_cast<int64_t>(known + 1)}).ok());
  }
  auto refused = Database::Open(Path());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(), "database " + Path() + ": schema version " + std::to_string(known + 1) +
                                            " is newer than this sunwind knows (" + std::to_string(known) + ")");
}

TEST_F(JobStoreTest, TwoConnectionsOnOneFileAWriterAndAReaderBothWork) {
  // Given two Database objects on one file (as two processes would have),
  // a reader in the middle of a read should not block the writer, should see
  // its snapshot until it ends, and then see every committed job.
  auto writer_db = OpenDb();
  auto reader_db = OpenDb();
  JobStore writer(*writer_db, clock_);
  JobStore reader(*reader_db, clock_);
  std::string first = CreateOrDie(writer, Finetune());
  EXPECT_EQ(reader.Get(first)->id, first);

  ASSERT_TRUE(reader_db->Exec("BEGIN").ok());
  ASSERT_EQ(reader_db->Query("SELECT COUNT(*) FROM jobs")->size(), 1u);  // the snapshot starts here
  std::string second = CreateOrDie(writer, Finetune());                  // WAL: not blocked by the reader
  EXPECT_EQ(std::get<int64_t>((*reader_db->Query("SELECT COUNT(*) FROM jobs"))[0][0]), 1);
  ASSERT_TRUE(reader_db->Exec("COMMIT").ok());
  EXPECT_EQ(reader.Get(second)->id, second);

  // Concurrently: one thread writes while another keeps reading.
  constexpr int kJobs = 40;
  std::atomic<bool> writing{true};
  std::atomic<int> read_failures{0};
  std::thread read_thread([&] {
    while (writing) {
      auto jobs = reader.List();
      if (!jobs.ok()) ++read_failures;
    }
  });
  for (int i = 0; i < kJobs; ++i) {
    auto id = writer.Create(Finetune());
    ASSERT_TRUE(id.ok()) << id.status().message();
    ASSERT_TRUE(writer.Transition(*id, JobPhase::kRunning, "slot").ok());
  }
  writing = false;
  read_thread.join();
  EXPECT_EQ(read_failures, 0);
  auto all = reader.List();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), static_cast<size_t>(kJobs + 2));
  std::set<std::string> unique;
  for (const auto& j : *all) unique.insert(j.id);
  EXPECT_EQ(unique.size(), all->size());

  // Both connections create: ids never collide.
  std::string from_reader = CreateOrDie(reader, Finetune());
  std::string from_writer = CreateOrDie(writer, Finetune());
  EXPECT_NE(from_reader, from_writer);
}

TEST_F(JobStoreTest, AProcessKilledMidTransactionLeavesNothingHalfWritten) {
  // Given a process that began a transaction, wrote a job row and its event
  // and died without committing (no close, no rollback), a later open should
  // find neither, and the file should work as before.
  { auto db = OpenDb(); }  // migrate first, so the child only writes jobs
  pid_t child = ::fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    auto db = Database::Open(Path());
    if (!db.ok()) ::_exit(2);
    ManualClock clock(t0_);
    // A one-page cache makes SQLite spill the uncommitted pages into the
    // WAL file, so the reader below meets real uncommitted frames on disk.
    if (!(*db)->Exec("PRAGMA cache_size = 1").ok()) ::_exit(6);
    if (!(*db)->Exec("BEGIN IMMEDIATE").ok()) ::_exit(3);
    if (!(*db)->Exec("INSERT INTO jobs SELECT 'j-000001', 'half', 'p', '[\"x\"]', '', '{}', 60, 1, 0, 60, 0, 0, 0, "
                     "'[]', '', 'queued', NULL, 0, 0, 'checkpoint'")
             .ok()) {
      ::_exit(4);
    }
    for (int i = 0; i < 200; ++i) {
      if (!(*db)->Exec("INSERT INTO job_events (job_id, at, to_state, reason, detail_json) "
                       "VALUES ('j-000001', 0, 'queued', 'submitted', ?)",
                       {std::string("{\"pad\":\"") + std::string(2000, 'x') + "\"}"})
               .ok()) {
        ::_exit(5);
      }
    }
    std::error_code ec;
    if (std::filesystem::file_size(Path() + "-wal", ec) < 100000 || ec) ::_exit(7);
    ::_exit(0);  // the "kill -9": no COMMIT, no destructor, no close
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  ASSERT_EQ(WEXITSTATUS(wstatus), 0);

  auto db = OpenDb();
  JobStore store(*db, clock_);
  EXPECT_TRUE(store.List()->empty());
  EXPECT_TRUE(db->Query("SELECT * FROM job_events")->empty());
  EXPECT_EQ(*store.Create(Finetune()), "j-000001");
  EXPECT_EQ(store.Events("j-000001")->size(), 1u);
}

TEST_F(JobStoreTest, ClosingMidTransactionRollsBack) {
  // Given a connection closed with a transaction open, nothing of it stays.
  {
    auto db = OpenDb();
    JobStore store(*db, clock_);
    CreateOrDie(store, Finetune());
    ASSERT_TRUE(db->Exec("BEGIN IMMEDIATE").ok());
    ASSERT_TRUE(db->Exec("UPDATE jobs SET state = 'done'").ok());
  }
  auto db = OpenDb();
  JobStore store(*db, clock_);
  EXPECT_EQ(store.Get("j-000001")->state, JobPhase::kQueued);
}

TEST_F(JobStoreTest, AFailedEventWriteUndoesTheJobOrStateChangeWithIt) {
  // Given an event log that refuses a write (a trigger stands in for a full
  // disk), neither Create nor Transition may leave a job or state without
  // its event.
  auto db = OpenDb();
  JobStore store(*db, clock_);
  std::string id = CreateOrDie(store, Finetune());
  ASSERT_TRUE(db->Exec("CREATE TEMP TRIGGER refuse_events BEFORE INSERT ON job_events "
                       "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
                  .ok());
  auto second = store.Create(Finetune());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("disk full"), std::string::npos);
  Status st = store.Transition(id, JobPhase::kRunning, "slot");
  EXPECT_FALSE(st.ok());
  ASSERT_TRUE(db->Exec("DROP TRIGGER refuse_events").ok());

  EXPECT_EQ(store.List()->size(), 1u);
  EXPECT_EQ(store.Get(id)->state, JobPhase::kQueued);
  EXPECT_EQ(store.Events(id)->size(), 1u);
  EXPECT_EQ(*store.Create(Finetune()), "j-000002");  // the refused Create drew no id
  EXPECT_TRUE(store.Transition(id, JobPhase::kRunning, "slot").ok());
}

}  // namespace
}  // namespace sunwind

namespace sunwind {
namespace {

TEST(DatabaseTest, ReferencesAreEnforcedAndRefusedDataIsNotAnOutage) {
  // Given a fresh database, an event for a job that does not exist should be
  // refused by the foreign key (SQLite ignores REFERENCES unless told), as
  // kFailedPrecondition: bad data, not a passing outage (kUnavailable).
  auto dir = std::filesystem::temp_directory_path() / ("sunwind_db_fk_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto db = Database::Open((dir / "db.sqlite").string());
  ASSERT_TRUE(db.ok()) << db.status().message();
  Status st = (*db)->Exec(
      "INSERT INTO job_events (job_id, at, from_state, to_state, reason, detail_json) "
      "VALUES ('j-999999', 0, NULL, 'queued', 'x', '{}')");
  EXPECT_EQ(StatusCode::kFailedPrecondition, st.code()) << st.message();
  EXPECT_NE(std::string::npos, st.message().find("FOREIGN KEY constraint failed")) << st.message();
  // And a second statement in one Query is refused, not skipped.
  Status two = (*db)->Exec("SELECT 1; SELECT 2");
  EXPECT_EQ(StatusCode::kInternal, two.code());
  db->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sunwind
