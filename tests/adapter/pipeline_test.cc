#include "pipeline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "bonewatch/mappings/default_dir.h"
#include "bonewatch/mappings/mapping_set.h"
#include "pipeline_fake_fhir.h"
#include "scheduler.h"
#include "store.h"

namespace bonewatch::adapter {
namespace {

using fhir::Json;
using testing::FakeClient;
using testing::FakeFhir;

constexpr char kFlagSystem[] = "http://bonewatch.example/fhir/identifier/flag";

std::chrono::system_clock::time_point At(const char* date) {
  return std::chrono::system_clock::time_point(
      std::chrono::hours(24 * rules::Date::Parse(date)->days()) + std::chrono::hours(12));
}

Json Meta(const std::string& version, const std::string& last_updated) {
  return Json::Object().Set("versionId", version).Set("lastUpdated", last_updated);
}

Json AiStatement(const std::string& status = "active", const std::string& version = "1",
                 const std::string& updated = "2026-01-10T10:00:00.000Z") {
  return Json::
      Parse(R"({"resourceType":"MedicationStatement","id":"ai1","status":")" + status +
            R"(","medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"84857"}]},
      "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-01-10"})")
          ->Set("meta", Meta(version, updated));
}

Json TScore(double value, const std::string& version = "1",
            const std::string& updated = "2026-01-05T10:00:00.000Z",
            const char* unit = "{T-score}") {
  return Json::Parse(std::string(R"({"resourceType":"Observation","id":"t1","status":"final",
      "code":{"coding":[{"system":"http://loinc.org","code":"38267-1"}]},
      "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-01-05",
      "valueQuantity":{"value":)") +
                     std::to_string(value) + R"(,"system":"http://unitsofmeasure.org","code":")" +
                     unit + R"("}})")
      ->Set("meta", Meta(version, updated));
}

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() : PipelineTest(mappings::MapperOptions{}) {}
  explicit PipelineTest(const mappings::MapperOptions& mapper_options)
      : clock_(At("2026-03-01")),
        logger_(LogFormat::kText, LogLevel::kDebug, clock_, &log_),
        store_(NewMemoryStore()),
        client_(fake_),
        mapper_(LoadDefaultMappings(), mapper_options) {
    config_.max_inbox_attempts = 3;
  }

  static mappings::MappingSet LoadDefaultMappings() {
    mappings::LoadOptions options;
    options.default_dir = mappings::DefaultMappingsDir(BONEWATCH_SOURCE_DIR);
    return *mappings::LoadMappings(options);
  }

  Pipeline& pipeline() {
    if (!pipeline_) {
      pipeline_ = std::make_unique<Pipeline>(PipelineDeps{config_, *store_, client_.client, mapper_,
                                                          ruleset_, metrics_, logger_, clock_,
                                                          history_, [this] { ++polls_; }});
    }
    return *pipeline_;
  }

  void Enqueue(const std::string& body, const std::string& hint = "") {
    InboxItem item;
    item.origin = "poll";
    item.received_at = "2026-03-01T12:00:00.000Z";
    item.headers_json = "{}";
    item.body = body;
    item.hint = hint;
    ASSERT_TRUE(store_->Enqueue(item).ok());
  }
  void EnqueueResource(const Json& resource) { Enqueue(resource.Serialize()); }

  void RunAll() {
    auto processed = pipeline().ProcessInbox(100);
    ASSERT_TRUE(processed.ok()) << processed.status().ToString();
    auto evaluated = pipeline().EvaluateDirty(100);
    ASSERT_TRUE(evaluated.ok()) << evaluated.status().ToString();
  }
  std::string FlagStatus(const std::string& value) const {
    const Json* flag = fake_.FindByIdentifier("Flag", kFlagSystem, value);
    return flag ? flag->GetString("status").value_or("") : "<none>";
  }
  std::vector<std::string> DirtyIds() {
    std::vector<std::string> ids;
    auto marks = store_->PeekDirty(100);
    EXPECT_TRUE(marks.ok()) << marks.status().ToString();
    for (const DirtyMark& mark : marks.value_or({})) ids.push_back(mark.patient_id);
    return ids;
  }
  double Resources(const char* type, const char* result) const {
    return metrics_.Value("bonewatch_resources_total", {{"type", type}, {"result", result}});
  }

  Config config_;
  ManualClock clock_;
  std::ostringstream log_;
  Logger logger_;
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  FakeFhir fake_;
  FakeClient client_;
  mappings::Mapper mapper_;
  rules::RuleSet ruleset_;
  HistoryFetch history_;
  int polls_ = 0;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(PipelineTest, ResourcesBecomeFlagsAndTheCarePlan) {
  EnqueueResource(AiStatement());
  EnqueueResource(TScore(-2.7));
  RunAll();
  EXPECT_EQ(FlagStatus("p1.osteoporosis.2026-01-10"), "active");
  EXPECT_EQ(fake_.CountType("CarePlan"), 1u);
  EXPECT_EQ(*store_->InboxDepth(), 0u);
  EXPECT_EQ(Resources("Observation", "mapped"), 1);
  EXPECT_EQ(metrics_.Value("bonewatch_evaluations_total"), 1);
  EXPECT_EQ(metrics_.Value("bonewatch_active_findings", {{"rule", "osteoporosis"}}), 1);
  EXPECT_GT(metrics_.Value("bonewatch_facts"), 0);
}

TEST_F(PipelineTest, TheSameNotificationTwiceChangesAndWritesOnce) {
  EnqueueResource(AiStatement());
  EnqueueResource(TScore(-2.7));
  RunAll();
  const size_t requests = fake_.requests.size();
  EnqueueResource(TScore(-2.7));
  EnqueueResource(AiStatement());
  RunAll();
  EXPECT_EQ(fake_.requests.size(), requests);
  EXPECT_EQ(metrics_.Value("bonewatch_evaluations_total"), 1);
  EXPECT_EQ(Resources("Observation", "mapped"), 2);
}

TEST_F(PipelineTest, AnOlderVersionChangesNothing) {
  EnqueueResource(AiStatement());
  EnqueueResource(TScore(-2.7, "v-b", "2026-02-01T00:00:00.000Z"));
  RunAll();
  EnqueueResource(TScore(-1.5, "v-a", "2026-01-05T10:00:00.000Z"));  // arrives late, is older
  RunAll();
  EXPECT_EQ(metrics_.Value("bonewatch_evaluations_total"), 1);
  EXPECT_EQ(FlagStatus("p1.osteoporosis.2026-01-10"), "active");
  EXPECT_EQ(FlagStatus("p1.osteopenia.2026-01-10"), "<none>");
}

TEST_F(PipelineTest, RetractedCourseMakesTheFlagsEnteredInError) {
  EnqueueResource(AiStatement());
  EnqueueResource(TScore(-2.7));
  RunAll();
  EnqueueResource(AiStatement("entered-in-error", "2", "2026-02-20T00:00:00.000Z"));
  RunAll();
  EXPECT_EQ(FlagStatus("p1.osteoporosis.2026-01-10"), "entered-in-error");
  const Json* careplan = fake_.FindByIdentifier(
      "CarePlan", "http://bonewatch.example/fhir/identifier/careplan", "p1.2026-01-10");
  ASSERT_NE(careplan, nullptr);
  EXPECT_EQ(careplan->GetString("status"), "entered-in-error");
  // The gauge follows: no active finding left (the patient's entry is dropped).
  EXPECT_EQ(metrics_.Value("bonewatch_active_findings", {{"rule", "osteoporosis"}}), 0);
  EXPECT_EQ(metrics_.Value("bonewatch_active_findings", {{"rule", "osteopenia"}}), 0);
}

TEST_F(PipelineTest, ADeletedSourceIsRetracted) {
  EnqueueResource(AiStatement());
  EnqueueResource(TScore(-2.7));
  RunAll();
  // A HAPI-style id-only notification; the server answers 404 to the read.
  Enqueue("", "Observation/t1");
  RunAll();
  // The episode no longer exists: its Flag is withdrawn, never left active.
  EXPECT_EQ(FlagStatus("p1.osteoporosis.2026-01-10"), "entered-in-error");
}

// The configured zone dates both the facts (the Mapper) and "today" (the
// Pipeline's clock): a T-score taken at 00:30 summer time on July 1st in
// Berlin (22:30Z on June 30th) is seen by an evaluation at 00:45 that day,
// and the osteoporosis finding dates from July 1st. Were "today" taken in
// UTC (June 30th), the T-score would lie in the future and give no finding.
class PipelineBerlinTest : public PipelineTest {
 protected:
  PipelineBerlinTest() : PipelineTest(Options()) { config_.time_zone = Berlin(); }
  static fhir::TimeZone Berlin() { return *fhir::TimeZone::Named("Europe/Berlin"); }
  static mappings::MapperOptions Options() {
    mappings::MapperOptions options;
    options.time_zone = Berlin();
    return options;
  }
};

TEST_F(PipelineBerlinTest, FactsAndTodayAreCalendarDatesInTheNamedZone) {
  Json tscore = TScore(-2.7);
  tscore.Set("effectiveDateTime", "2026-06-30T22:30:00Z");
  clock_.Set(At("2026-06-30") + std::chrono::minutes(10 * 60 + 45));  // 22:45Z, 00:45 CEST
  ASSERT_EQ(TodayAt(clock_.Now(), config_.time_zone), *rules::Date::Parse("2026-07-01"));
  EnqueueResource(AiStatement());
  EnqueueResource(tscore);
  RunAll();
  // The finding dates from the session: July 1st (at a fixed +01:00 it would be June 30th).
  EXPECT_EQ(FlagStatus("p1.osteoporosis.2026-07-01"), "active");
  EXPECT_EQ(metrics_.Value("bonewatch_active_findings", {{"rule", "osteoporosis"}}), 1);
}

TEST_F(PipelineTest, RejectedResourceIsADeadLetterAndCounted) {
  EnqueueResource(TScore(-2.7, "1", "2026-01-05T10:00:00.000Z", "kg"));
  RunAll();
  EXPECT_EQ(Resources("Observation", "rejected"), 1);
  auto letters = store_->ListDeadLetters(10);
  ASSERT_TRUE(letters.ok());
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ((*letters)[0].resource, "Observation/t1");
  EXPECT_EQ((*letters)[0].reason_code.rfind("rejected:", 0), 0u);
  EXPECT_NE((*letters)[0].reason.find("Observation"), std::string::npos);
  EXPECT_EQ(metrics_.Value("bonewatch_dead_letters"), 1);
  EXPECT_EQ(*store_->InboxDepth(), 0u);
}

TEST_F(PipelineTest, ARejectedVersionReadAgainIsStillOneDeadLetter) {
  const Json bad = TScore(-2.7, "1", "2026-01-05T10:00:00.000Z", "kg");
  for (int poll = 0; poll < 5; ++poll) {  // overlapping polls, history reads: the same version
    EnqueueResource(bad);
    RunAll();
  }
  EXPECT_EQ(Resources("Observation", "rejected"), 5);
  const std::string reason = (*store_->ListDeadLetters(1))[0].reason_code;
  EXPECT_EQ(metrics_.Value("bonewatch_rejections_total", {{"reason", reason}}), 5);
  EXPECT_EQ(metrics_.Value("bonewatch_dead_lettered_total", {{"reason", reason}}), 1);
  pipeline().UpdateGauges();
  EXPECT_EQ(metrics_.Value("bonewatch_dead_letters"), 1);
  auto letters = store_->ListDeadLetters(10);
  ASSERT_TRUE(letters.ok());
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ((*letters)[0].key, "Observation/t1/_history/1");
  EXPECT_EQ((*letters)[0].times_seen, 5);

  // A newer version that is still bad is a letter of its own.
  EnqueueResource(TScore(-2.7, "2", "2026-01-06T10:00:00.000Z", "kg"));
  RunAll();
  EXPECT_EQ(*store_->DeadLetterDepth(), 2u);
}

TEST_F(PipelineTest, ARejectedResourceWithoutVersionIsKeyedByItsContent) {
  Json bad = TScore(-2.7, "1", "2026-01-05T10:00:00.000Z", "kg");
  bad.Set("meta", Json::Object());
  EnqueueResource(bad);
  EnqueueResource(bad);
  RunAll();
  EXPECT_EQ(*store_->DeadLetterDepth(), 1u);
  EXPECT_EQ((*store_->ListDeadLetters(1))[0].key.rfind("Observation/t1#sha1:", 0), 0u);
  bad.Set("valueQuantity", Json::Object().Set("value", -2.9).Set("unit", "kg"));
  EnqueueResource(bad);  // other content: another letter
  RunAll();
  EXPECT_EQ(*store_->DeadLetterDepth(), 2u);
}

TEST_F(PipelineTest, AReplayThatFailsTheSameWayLeavesOneLetterAndOneThatWorksLeavesNone) {
  EnqueueResource(TScore(-2.7, "1", "2026-01-05T10:00:00.000Z", "kg"));
  RunAll();
  // `bonewatch dead-letters replay`: take the letter, enqueue its payload.
  auto letter = store_->TakeDeadLetter((*store_->ListDeadLetters(1))[0].id);
  ASSERT_TRUE(letter.ok());
  for (int replay = 0; replay < 2; ++replay) {
    Enqueue(letter->payload, letter->resource);
    RunAll();
  }
  EXPECT_EQ(*store_->DeadLetterDepth(), 1u);
  // Fixed at the source (a unit that maps): the replay works and no letter is left.
  auto again = store_->TakeDeadLetter((*store_->ListDeadLetters(1))[0].id);
  ASSERT_TRUE(again.ok());
  EnqueueResource(TScore(-2.7, "1", "2026-01-05T10:00:00.000Z"));
  RunAll();
  EXPECT_EQ(*store_->DeadLetterDepth(), 0u);
}

TEST_F(PipelineTest, TheSameMalformedBodyIsOneDeadLetter) {
  Enqueue("{not json");
  Enqueue("{not json");
  RunAll();
  Enqueue("{not json either");
  RunAll();
  EXPECT_EQ(*store_->DeadLetterDepth(), 2u);
  EXPECT_EQ(metrics_.Value("bonewatch_rejections_total", {{"reason", "malformed"}}), 3);
  EXPECT_EQ(metrics_.Value("bonewatch_dead_lettered_total", {{"reason", "malformed"}}), 2);
}

TEST_F(PipelineTest, MalformedItemIsADeadLetterAtOnce) {
  Enqueue("{not json");
  RunAll();
  auto letters = store_->ListDeadLetters(10);
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ((*letters)[0].reason_code, "malformed");
  EXPECT_EQ((*letters)[0].payload, "{not json");
  EXPECT_EQ(*store_->InboxDepth(), 0u);
}

TEST_F(PipelineTest, InfrastructureFailureIsRetriedThenDeadLettered) {
  fake_.fail_next = 100;  // the server is down
  Enqueue("", "Observation/t1");
  EXPECT_FALSE(pipeline().ProcessInbox(10).ok());
  EXPECT_EQ(*store_->InboxDepth(), 1u);
  EXPECT_EQ((*store_->PeekInbox(1))[0].attempts, 1);
  EXPECT_FALSE(pipeline().ProcessInbox(10).ok());
  EXPECT_EQ(*store_->InboxDepth(), 1u);
  auto third = pipeline().ProcessInbox(10);  // max_inbox_attempts = 3
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(*third, 1u);
  EXPECT_EQ(*store_->InboxDepth(), 0u);
  auto letters = store_->ListDeadLetters(10);
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ((*letters)[0].reason_code, "retries-exhausted");
}

TEST_F(PipelineTest, FirstSeenPatientHasHistoryFetchedOnce) {
  int fetches = 0;
  history_ = [&](const std::string& patient_id) -> StatusOr<std::vector<Json>> {
    ++fetches;
    EXPECT_EQ(patient_id, "p1");
    return std::vector<Json>{AiStatement()};
  };
  EnqueueResource(TScore(-2.7));
  EnqueueResource(TScore(-2.7, "2", "2026-01-06T10:00:00.000Z"));
  RunAll();
  EXPECT_EQ(fetches, 1);
  EXPECT_EQ(FlagStatus("p1.osteoporosis.2026-01-10"), "active");
}

TEST_F(PipelineTest, EmptyNotificationRunsThePoller) {
  Enqueue("");
  RunAll();
  EXPECT_EQ(polls_, 1);
}

TEST_F(PipelineTest, FailedWriteLeavesThePatientDirtyForALaterPass) {
  EnqueueResource(AiStatement());
  EnqueueResource(TScore(-2.7));
  ASSERT_TRUE(pipeline().ProcessInbox(10).ok());
  fake_.fail_next = 100;
  EXPECT_FALSE(pipeline().EvaluateDirty(10).ok());
  EXPECT_EQ(DirtyIds(), std::vector<std::string>{"p1"});
  EXPECT_EQ(FlagStatus("p1.osteoporosis.2026-01-10"), "<none>");
  fake_.fail_next = 0;
  auto evaluated = pipeline().EvaluateDirty(10);
  ASSERT_TRUE(evaluated.ok());
  EXPECT_EQ(*evaluated, 1u);
  EXPECT_EQ(FlagStatus("p1.osteoporosis.2026-01-10"), "active");
  EXPECT_TRUE(DirtyIds().empty());
}

TEST_F(PipelineTest, AFailingPatientIsRetriedBehindTheOthers) {
  ASSERT_TRUE(store_->MarkDirty("p1").ok());
  ASSERT_TRUE(store_->MarkDirty("p2").ok());
  fake_.fail_next = 0;
  // p1 and p2 have no data: nothing to write, both succeed and are cleared.
  ASSERT_EQ(*pipeline().EvaluateDirty(10), 2u);
  EnqueueResource(AiStatement());
  ASSERT_TRUE(pipeline().ProcessInbox(10).ok());
  ASSERT_TRUE(store_->MarkDirty("p2").ok());
  fake_.fail_next = 100;
  EXPECT_FALSE(pipeline().EvaluateDirty(1).ok());                 // p1 fails ...
  EXPECT_EQ(DirtyIds(), (std::vector<std::string>{"p2", "p1"}));  // ... and waits behind p2
}

TEST_F(PipelineTest, DataArrivingDuringTheWriteKeepsThePatientDirty) {
  EnqueueResource(AiStatement());
  EnqueueResource(TScore(-2.7));
  ASSERT_TRUE(pipeline().ProcessInbox(10).ok());
  int marked = 0;
  fake_.on_request = [&](const fhir::HttpRequest& request) {
    // The ingest thread stores newer data while the transaction is in flight.
    if (request.method == "POST" && request.url == FakeFhir::kBase && marked++ == 0) {
      ASSERT_TRUE(store_->MarkDirty("p1").ok());
    }
  };
  ASSERT_EQ(*pipeline().EvaluateDirty(10), 1u);
  EXPECT_EQ(FlagStatus("p1.osteoporosis.2026-01-10"), "active");
  EXPECT_EQ(DirtyIds(), std::vector<std::string>{"p1"});  // the newer mark survived
  ASSERT_EQ(*pipeline().EvaluateDirty(10), 1u);
  EXPECT_TRUE(DirtyIds().empty());
}

// A crash between reading the dirty marks and writing: the next process finds
// the patient still dirty and writes it (no start-up re-evaluation involved).
TEST_F(PipelineTest, ACrashAfterReadingTheMarksAndBeforeTheWriteLosesNothing) {
  const std::string path =
      ::testing::TempDir() + "/pipeline-crash-" + std::to_string(::getpid()) + ".db";
  std::remove(path.c_str());
  {
    store_ = std::move(*OpenSqliteStore(path));
    EnqueueResource(AiStatement());
    EnqueueResource(TScore(-2.7));
    ASSERT_TRUE(pipeline().ProcessInbox(10).ok());
    ASSERT_EQ(DirtyIds(), std::vector<std::string>{"p1"});  // what EvaluateDirty reads first
    pipeline_.reset();  // the process dies before Evaluate/Write
    store_.reset();
  }
  EXPECT_EQ(fake_.CountType("Flag"), 0u);
  store_ = std::move(*OpenSqliteStore(path));
  ASSERT_EQ(DirtyIds(), std::vector<std::string>{"p1"});
  auto evaluated = pipeline().EvaluateDirty(10);
  ASSERT_TRUE(evaluated.ok()) << evaluated.status().ToString();
  EXPECT_EQ(*evaluated, 1u);
  EXPECT_EQ(FlagStatus("p1.osteoporosis.2026-01-10"), "active");
  EXPECT_TRUE(DirtyIds().empty());
  pipeline_.reset();
  store_.reset();
  std::remove(path.c_str());
  for (const char* suffix : {"-wal", "-shm"}) std::remove((path + suffix).c_str());
}

// Write-back runs on Config::worker_threads threads: every patient's writes
// are recorded for that patient, and a failing patient alone stays dirty.
TEST_F(PipelineTest, ConcurrentWriteBackRecordsEachPatientAndKeepsAFailedOneDirty) {
  config_.worker_threads = 3;
  auto for_patient = [](const Json& resource, int n) {
    std::string text = resource.Serialize();
    const std::string p = "p" + std::to_string(n);
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"Patient/p1", "Patient/" + p},
             {R"("id":"ai1")", R"("id":"ai)" + p + '"'},
             {R"("id":"t1")", R"("id":"t)" + p + '"'}}) {
      for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
        text.replace(at, from.size(), to);
        at += to.size();
      }
    }
    return text;
  };
  constexpr int kPatients = 5;
  for (int n = 1; n <= kPatients; ++n) {
    Enqueue(for_patient(AiStatement(), n));
    Enqueue(for_patient(TScore(-2.7), n));
  }
  ASSERT_TRUE(pipeline().ProcessInbox(100).ok());
  ASSERT_EQ(DirtyIds().size(), static_cast<size_t>(kPatients));
  fake_.fail_body_containing = "Patient/p3";
  EXPECT_FALSE(pipeline().EvaluateDirty(10).ok());
  EXPECT_EQ(DirtyIds(), std::vector<std::string>{"p3"});
  EXPECT_EQ(FlagStatus("p3.osteoporosis.2026-01-10"), "<none>");
  for (int n = 1; n <= kPatients; ++n) {
    if (n == 3) continue;
    const std::string p = "p" + std::to_string(n);
    EXPECT_EQ(FlagStatus(p + ".osteoporosis.2026-01-10"), "active") << p;
    const std::vector<WrittenResource> written = store_->WrittenForPatient(p).value_or({});
    ASSERT_FALSE(written.empty()) << p;
    for (const WrittenResource& w : written) {
      EXPECT_EQ(w.patient_id, p);
      EXPECT_NE(w.identifier.find(p + "."), std::string::npos) << w.identifier;
      EXPECT_TRUE(fake_.resources.count(w.resource_type + "/" + w.server_id)) << w.identifier;
    }
  }
  EXPECT_TRUE(store_->WrittenForPatient("p3").value_or({}).empty());
  // Nothing changed for the others: the next pass writes p3 only.
  fake_.fail_body_containing.clear();
  const size_t puts_before = fake_.requests.size();
  auto evaluated = pipeline().EvaluateDirty(10);
  ASSERT_TRUE(evaluated.ok()) << evaluated.status().ToString();
  EXPECT_EQ(*evaluated, 1u);
  EXPECT_EQ(FlagStatus("p3.osteoporosis.2026-01-10"), "active");
  EXPECT_TRUE(DirtyIds().empty());
  for (size_t i = puts_before; i < fake_.requests.size(); ++i) {
    EXPECT_NE(fake_.requests[i].body.find("Patient/p3"), std::string::npos);
  }
}

TEST_F(PipelineTest, SchedulerMarksDuePatientsDirty) {
  Scheduler scheduler({config_, *store_, metrics_, logger_, clock_});
  ASSERT_TRUE(store_->SetNextEvaluation("p1", rules::Date::Parse("2026-03-05")).ok());
  EXPECT_EQ(*scheduler.RunOnce(*rules::Date::Parse("2026-03-04")), 0u);
  EXPECT_TRUE(DirtyIds().empty());
  clock_.Set(At("2026-03-05"));
  EXPECT_EQ(scheduler.Today(), *rules::Date::Parse("2026-03-05"));
  EXPECT_EQ(*scheduler.RunOnce(), 1u);
  EXPECT_EQ(DirtyIds(), std::vector<std::string>{"p1"});
}

// An R4B notification: event `n` of Subscription/s1, full resource `resource`.
std::string R4bNotification(int n, const Json& resource) {
  const std::string number = std::to_string(n);
  Json bundle = *Json::Parse(R"({"resourceType":"Bundle","type":"subscription-notification",
    "entry":[{"resource":{"resourceType":"SubscriptionStatus","status":"active",
      "type":"event-notification","eventsSinceSubscriptionStart":")" +
                             number + R"(","notificationEvent":[{"eventNumber":")" + number +
                             R"("}],"subscription":{"reference":"Subscription/s1"}}}]})");
  Json entry = Json::Object();
  entry.Set("fullUrl", Json("http://ehr/fhir/Observation/" + *resource.GetString("id")));
  entry.Set("resource", resource);
  bundle.Find("entry")->Push(std::move(entry));
  return bundle.Serialize();
}

TEST_F(PipelineTest, AnEventNumberGapRunsThePollerAlsoAfterARestart) {
  const std::string path =
      ::testing::TempDir() + "/pipeline-events-" + std::to_string(::getpid()) + ".db";
  std::remove(path.c_str());
  store_ = std::move(*OpenSqliteStore(path));
  Enqueue(R4bNotification(1, TScore(-2.7, "1")));
  Enqueue(R4bNotification(2, TScore(-2.7, "2", "2026-01-05T11:00:00.000Z")));
  RunAll();
  EXPECT_EQ(polls_, 0);
  EXPECT_EQ(store_->GetCursor("events:Subscription/s1")->value_or(""), "2");
  pipeline_.reset();  // restart: the numbers are in the store
  store_.reset();
  store_ = std::move(*OpenSqliteStore(path));
  // 3 never arrived (lost while we were down): the poller must look for it.
  Enqueue(R4bNotification(4, TScore(-2.7, "4", "2026-01-05T12:00:00.000Z")));
  RunAll();
  EXPECT_EQ(polls_, 1);
  Enqueue(R4bNotification(5, TScore(-2.7, "5", "2026-01-05T13:00:00.000Z")));
  RunAll();
  EXPECT_EQ(polls_, 1);
  EXPECT_EQ(store_->GetCursor("events:Subscription/s1")->value_or(""), "5");
  EXPECT_EQ(Resources("Observation", "mapped"), 4);
  pipeline_.reset();
  store_.reset();
  std::remove(path.c_str());
  for (const char* suffix : {"-wal", "-shm"}) std::remove((path + suffix).c_str());
}

Json Tagged(Json resource, const std::string& tag_system) {
  Json meta = resource.Find("meta") != nullptr ? *resource.Find("meta") : Json::Object();
  meta.Set("tag",
           Json::Array().Push(
               Json::Object().Set("system", Json(tag_system)).Set("code", Json("bonewatch"))));
  resource.Set("meta", std::move(meta));
  return resource;
}

TEST_F(PipelineTest, OwnWritesUnderAConfiguredCanonicalBaseAreNeverInput) {
  config_.canonical_base = "https://bw.hospital.example/fhir/";  // trailing '/' as typed
  const std::string own_tag = "https://bw.hospital.example/fhir/CodeSystem/tag";
  // Tagged as ours: in a poll page / rest-hook body, read by id, in a history.
  EnqueueResource(Tagged(AiStatement(), own_tag));
  fake_.Put("Observation", "t1", Tagged(TScore(-2.7), own_tag));
  Enqueue("", "Observation/t1");
  history_ = [&](const std::string&) -> StatusOr<std::vector<Json>> {
    return std::vector<Json>{Tagged(TScore(-2.7), own_tag)};
  };
  RunAll();
  EXPECT_EQ(*store_->FactCount(), 0u);
  EXPECT_TRUE(DirtyIds().empty());
  EXPECT_EQ(fake_.CountType("Flag"), 0u);
  // The default base's tag is not ours under this configuration: that one is input.
  EnqueueResource(Tagged(AiStatement(), "http://bonewatch.example/fhir/CodeSystem/tag"));
  RunAll();
  EXPECT_GT(*store_->FactCount(), 0u);
  const std::string flags = "https://bw.hospital.example/fhir/identifier/flag";
  const Json* missing = fake_.FindByIdentifier("Flag", flags, "p1.baseline-dxa-missing.2026-01-10");
  ASSERT_NE(missing, nullptr);  // the T-score in the history was ours: no DXA
  EXPECT_EQ(fake_.FindByIdentifier("Flag", flags, "p1.osteoporosis.2026-01-10"), nullptr);
  const Json* tag = missing->At({"meta", "tag"});
  ASSERT_NE(tag, nullptr);
  EXPECT_EQ((*tag)[0].GetString("system"), own_tag);  // what we write is what we recognise
}

TEST(PipelineOwnTag, FollowsTheCanonicalBaseLikeTheWriter) {
  EXPECT_EQ(OwnTagSystem("http://bonewatch.example/fhir"),
            "http://bonewatch.example/fhir/CodeSystem/tag");
  EXPECT_EQ(OwnTagSystem("https://x.example/bw//"), "https://x.example/bw/CodeSystem/tag");
}

TEST(PipelineToday, UsesTheConfiguredOffset) {
  const auto late_evening_utc = At("2026-03-01") + std::chrono::hours(11);  // 23:00Z
  EXPECT_EQ(TodayAt(late_evening_utc, fhir::TimeZone()), *rules::Date::Parse("2026-03-01"));
  EXPECT_EQ(TodayAt(late_evening_utc, fhir::TimeZone::FixedOffset(120)),
            *rules::Date::Parse("2026-03-02"));
  EXPECT_EQ(TodayAt(late_evening_utc, fhir::TimeZone::FixedOffset(-60)),
            *rules::Date::Parse("2026-03-01"));
}

TEST(PipelineToday, UsesTheNamedZonesOffsetAtThatInstant) {
  StatusOr<fhir::TimeZone> berlin = fhir::TimeZone::Named("Europe/Berlin");
  ASSERT_TRUE(berlin.ok()) << berlin.status().message();
  // 22:30Z: 23:30 CET in winter (same day), 00:30 CEST in summer (next day).
  const auto winter = At("2026-01-10") + std::chrono::hours(10) + std::chrono::minutes(30);
  const auto summer = At("2026-06-30") + std::chrono::hours(10) + std::chrono::minutes(30);
  EXPECT_EQ(TodayAt(winter, *berlin), *rules::Date::Parse("2026-01-10"));
  EXPECT_EQ(TodayAt(summer, *berlin), *rules::Date::Parse("2026-07-01"));
  EXPECT_EQ(TodayAt(summer, fhir::TimeZone::FixedOffset(60)), *rules::Date::Parse("2026-06-30"));
}

}  // namespace
}  // namespace bonewatch::adapter
