// The Store contract (adapter/src/store.h), run against every implementation,
// plus SQLite-only persistence, migration, WAL and concurrency tests.
#include "store.h"

#include <Poco/Data/LOB.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Exception.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store_codec.h"
#include "store_sqlite_schema.h"

namespace bonewatch::adapter {
namespace {

using rules::Date;

struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<Store>()> make;
};

std::unique_ptr<Store> MustOpenSqlite(const std::string& path) {
  auto store = OpenSqliteStore(path);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::vector<StoreFactory> Factories() {
  return {
      {"Memory", [] { return NewMemoryStore(); }},
      {"Sqlite", [] { return MustOpenSqlite(":memory:"); }},
  };
}

rules::Fact TScore(const std::string& id, const std::string& version, double value) {
  rules::Fact f;
  f.kind = rules::Concept::kDxaTScore;
  f.site = rules::Site::kLumbarSpine;
  f.value = value;
  f.effective = Date::FromYmd(2024, 3, 5);
  f.source = {"Observation", id, version, ""};
  f.status = "final";
  return f;
}

SourceFacts Observation(const std::string& id, const std::string& version,
                        const std::string& last_updated, double value,
                        const std::string& patient = "p1") {
  SourceFacts s;
  s.patient_id = patient;
  s.resource_type = "Observation";
  s.resource_id = id;
  s.version_id = version;
  s.last_updated = last_updated;
  s.facts = {TScore(id, version, value)};
  return s;
}

SourceFacts AiStatement(const std::string& id, const std::string& patient = "p1") {
  SourceFacts s;
  s.patient_id = patient;
  s.resource_type = "MedicationStatement";
  s.resource_id = id;
  s.version_id = "a1b2c3d4-0000-4000-8000-000000000001";
  s.last_updated = "2024-01-01T10:00:00Z";
  rules::MedicationUse m;
  m.medication_class = rules::MedicationClass::kAromataseInhibitor;
  m.ingredient = "anastrozole";
  m.status = rules::MedicationStatus::kActive;
  m.start = Date::FromYmd(2024, 1, 1);
  m.source = {"MedicationStatement", id, s.version_id, ""};
  s.medications = {m};
  return s;
}

class StoreContractTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().make();
    ASSERT_NE(store_, nullptr);
  }
  UpsertOutcome Upsert(const SourceFacts& s) {
    auto r = store_->UpsertSource(s);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.value_or(UpsertOutcome::kUnchanged);
  }
  rules::PatientRecord Record(const std::string& id) {
    auto r = store_->LoadRecord(id);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : rules::PatientRecord{};
  }
  std::unique_ptr<Store> store_;
};

TEST_P(StoreContractTest, SameVersionTwiceIsUnchanged) {
  EXPECT_EQ(Upsert(Observation("o1", "v-a", "2024-03-05T10:00:00Z", -2.6)),
            UpsertOutcome::kInserted);
  EXPECT_EQ(Upsert(Observation("o1", "v-a", "2024-03-05T10:00:00Z", -2.6)),
            UpsertOutcome::kUnchanged);
  EXPECT_EQ(Record("p1").facts.size(), 1u);
  EXPECT_EQ(store_->FactCount().value_or(0), 1u);
}

TEST_P(StoreContractTest, OlderVersionIsStale) {
  Upsert(Observation("o1", "v-new", "2024-03-05T10:00:00Z", -2.6));
  EXPECT_EQ(Upsert(Observation("o1", "v-old", "2024-03-05T09:00:00Z", -1.0)),
            UpsertOutcome::kStale);
  ASSERT_EQ(Record("p1").facts.size(), 1u);
  EXPECT_EQ(Record("p1").facts[0].value, -2.6);
}

TEST_P(StoreContractTest, NewerVersionReplacesAndOldFactsAreGone) {
  SourceFacts first = Observation("o1", "v1", "2024-03-05T10:00:00Z", -2.6);
  first.facts.push_back(TScore("o1", "v1", -2.0));
  first.facts.back().source.component = "hip";
  Upsert(first);
  EXPECT_EQ(Upsert(Observation("o1", "v2", "2024-03-05T10:00:01Z", -2.9)),
            UpsertOutcome::kReplaced);
  const rules::PatientRecord record = Record("p1");
  ASSERT_EQ(record.facts.size(), 1u);
  EXPECT_EQ(record.facts[0].value, -2.9);
  EXPECT_EQ(record.facts[0].source.version, "v2");
  EXPECT_EQ(store_->FactCount().value_or(0), 1u);
}

TEST_P(StoreContractTest, InstantsCompareAcrossOffsetsNotAsStrings) {
  // 11:30+02:00 is 09:30Z: older than 10:00Z although it sorts later as text.
  Upsert(Observation("o1", "v-z", "2024-03-05T10:00:00Z", -2.6));
  EXPECT_EQ(Upsert(Observation("o1", "v-plus2", "2024-03-05T11:30:00+02:00", -1.0)),
            UpsertOutcome::kStale);
  EXPECT_EQ(Upsert(Observation("o1", "v-minus5", "2024-03-05T05:30:00-05:00", -3.0)),
            UpsertOutcome::kReplaced);  // 10:30Z
}

TEST_P(StoreContractTest, OpaqueVersionIdsAreNeverNumeric) {
  // "10" > "9" numerically; with equal content and instants both are the same version.
  Upsert(Observation("o1", "9", "2024-03-05T10:00:00Z", -2.6));
  EXPECT_EQ(Upsert(Observation("o1", "10", "2024-03-05T09:00:00Z", -2.6)), UpsertOutcome::kStale);
}

// Issue 13 item 4: versions are ordered by meta.lastUpdated, never by their
// versionIds, whether those are numbers (HAPI) or UUIDs (Medplum).
TEST_P(StoreContractTest, NumericVersionIdsAreOrderedByLastUpdated) {
  Upsert(Observation("o1", "9", "2024-03-05T10:00:00Z", -2.6));
  // "10" sorts before "9" as text: still the newer version.
  EXPECT_EQ(Upsert(Observation("o1", "10", "2024-03-05T10:00:01Z", -1.0)),
            UpsertOutcome::kReplaced);
  EXPECT_EQ(Upsert(Observation("o1", "9", "2024-03-05T10:00:00Z", -2.6)), UpsertOutcome::kStale);
  EXPECT_EQ(Record("p1").facts.at(0).value, -1.0);
}

TEST_P(StoreContractTest, UuidVersionIdsAreOrderedByLastUpdated) {
  const std::string later_but_smaller = "0b6f1a9e-0000-4000-8000-000000000001";
  const std::string earlier_but_larger = "f3c2d1e0-ffff-4fff-bfff-ffffffffffff";
  Upsert(Observation("o1", earlier_but_larger, "2024-03-05T10:00:00Z", -2.6));
  EXPECT_EQ(Upsert(Observation("o1", later_but_smaller, "2024-03-05T10:05:00Z", -1.0)),
            UpsertOutcome::kReplaced);
  EXPECT_EQ(Upsert(Observation("o1", earlier_but_larger, "2024-03-05T10:00:00Z", -2.6)),
            UpsertOutcome::kStale);
  EXPECT_EQ(Record("p1").facts.at(0).value, -1.0);
}

// Equal instants (or none) and different content: nothing orders the two, so
// the one read later wins, whichever versionId is "larger". A later poll
// re-reads the server's current version, so the store converges on it.
TEST_P(StoreContractTest, WithoutAnOrderingTimestampTheReadLaterWins) {
  SourceFacts a = Observation("o1", "aaaa", "2024-03-05T10:00:00Z", -1.0);
  SourceFacts b = Observation("o1", "bbbb", "2024-03-05T10:00:00.000Z", -2.0);
  Upsert(b);
  EXPECT_EQ(Upsert(a), UpsertOutcome::kReplaced);
  EXPECT_EQ(Record("p1").facts.at(0).value, -1.0);
  EXPECT_EQ(Upsert(b), UpsertOutcome::kReplaced);
  EXPECT_EQ(Record("p1").facts.at(0).value, -2.0);
  EXPECT_EQ(Upsert(b), UpsertOutcome::kUnchanged);  // the same version again
  SourceFacts c = Observation("o2", "2", "", -1.5);
  SourceFacts d = Observation("o2", "10", "", -0.5);
  Upsert(d);
  EXPECT_EQ(Upsert(c), UpsertOutcome::kReplaced);
  EXPECT_EQ(Upsert(d), UpsertOutcome::kReplaced);
}

TEST_P(StoreContractTest, ListSourcesPagesThroughTheSourcesWithFactsInKeyOrder) {
  Upsert(Observation("o2", "1", "2024-03-05T10:00:00Z", -1.0));
  Upsert(Observation("o1", "1", "2024-03-05T10:00:00Z", -1.0));
  Upsert(Observation("o3", "1", "2024-03-05T10:00:00Z", -1.0));
  ASSERT_TRUE(store_->UpsertSource(AiStatement("m1")).ok());
  ASSERT_TRUE(store_->RetractSource("Observation", "o2").ok());  // a tombstone: not listed
  using Keys = std::vector<std::pair<std::string, std::string>>;
  auto first = store_->ListSources("", "", 2);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, (Keys{{"MedicationStatement", "m1"}, {"Observation", "o1"}}));
  auto rest = store_->ListSources("Observation", "o1", 2);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, (Keys{{"Observation", "o3"}}));
  auto none = store_->ListSources("Observation", "o3", 2);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreContractTest, InvalidLastUpdatedIsAnError) {
  auto r = store_->UpsertSource(Observation("o1", "v1", "yesterday", -1.0));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Observation/o1"), std::string::npos) << r.status().message();
}

TEST_P(StoreContractTest, RetractRemovesFactsAndKeepsTombstone) {
  Upsert(Observation("o1", "v1", "2024-03-05T10:00:00Z", -2.6));
  auto r = store_->RetractSource("Observation", "o1");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->found);
  EXPECT_EQ(r->patient_id, "p1");
  EXPECT_FALSE(r->ai_medication);
  EXPECT_TRUE(Record("p1").facts.empty());
  EXPECT_FALSE(Record("p1").ai_medication_retracted);
  // A late redelivery of the retracted version changes nothing.
  EXPECT_EQ(Upsert(Observation("o1", "v1", "2024-03-05T10:00:00Z", -2.6)),
            UpsertOutcome::kUnchanged);
  EXPECT_TRUE(Record("p1").facts.empty());
  auto again = store_->RetractSource("Observation", "o1");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->found);
  auto unknown = store_->RetractSource("Observation", "nope");
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->found);
}

TEST_P(StoreContractTest, RetractingAnAiMedicationIsRemembered) {
  Upsert(AiStatement("ms1"));
  EXPECT_EQ(Record("p1").medications.size(), 1u);
  auto r = store_->RetractSource("MedicationStatement", "ms1");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ai_medication);
  const rules::PatientRecord record = Record("p1");
  EXPECT_TRUE(record.medications.empty());
  EXPECT_TRUE(record.ai_medication_retracted);
  EXPECT_FALSE(Record("p2").ai_medication_retracted);
}

TEST_P(StoreContractTest, RecordAssemblesDemographicsAndAllKinds) {
  SourceFacts patient;
  patient.patient_id = "p1";
  patient.resource_type = "Patient";
  patient.resource_id = "p1";
  patient.version_id = "1";
  patient.demographics =
      rules::PatientDemographics{Date::FromYmd(1960, 5, 1), rules::Gender::kFemale};
  Upsert(patient);
  Upsert(AiStatement("ms1"));
  Upsert(Observation("o1", "v1", "2024-03-05T10:00:00Z", -2.6));
  Upsert(Observation("o2", "v1", "2024-03-05T10:00:00Z", 1.0, "p2"));
  SourceFacts smoker;
  smoker.patient_id = "p1";
  smoker.resource_type = "Condition";
  smoker.resource_id = "c1";
  rules::RiskFactorFact rf;
  rf.kind = rules::RiskFactorKind::kSmoker;
  rf.date = Date::FromYmd(2020, 1, 1);
  rf.clinically_active = false;
  rf.source = {"Condition", "c1", "", ""};
  smoker.risk_factors = {rf};
  Upsert(smoker);

  const rules::PatientRecord record = Record("p1");
  EXPECT_EQ(record.patient_id, "p1");
  ASSERT_TRUE(record.demographics.birth_date.has_value());
  EXPECT_EQ(*record.demographics.birth_date, Date::FromYmd(1960, 5, 1));
  EXPECT_EQ(record.demographics.gender, rules::Gender::kFemale);
  ASSERT_EQ(record.facts.size(), 1u);
  EXPECT_EQ(record.facts[0].source, (rules::SourceRef{"Observation", "o1", "v1", ""}));
  EXPECT_EQ(record.facts[0].site, rules::Site::kLumbarSpine);
  EXPECT_EQ(record.facts[0].status, "final");
  ASSERT_EQ(record.medications.size(), 1u);
  EXPECT_EQ(record.medications[0].ingredient, "anastrozole");
  ASSERT_EQ(record.risk_factors.size(), 1u);
  EXPECT_FALSE(record.risk_factors[0].clinically_active);
  EXPECT_EQ(record.risk_factors[0].source.Reference(), "Condition/c1");
  EXPECT_EQ(store_->PatientIds().value_or({}), (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(store_->FactCount().value_or(0), 4u);

  const rules::PatientRecord unknown = Record("zz");
  EXPECT_EQ(unknown.patient_id, "zz");
  EXPECT_TRUE(unknown.facts.empty());
}

TEST_P(StoreContractTest, HistoryFetched) {
  EXPECT_FALSE(store_->HistoryFetched("p1").value_or(true));
  ASSERT_TRUE(store_->SetHistoryFetched("p1").ok());
  EXPECT_TRUE(store_->HistoryFetched("p1").value_or(false));
  EXPECT_FALSE(store_->HistoryFetched("p2").value_or(true));
}

std::vector<std::string> DirtyIds(Store& store, size_t limit = 100) {
  std::vector<std::string> ids;
  for (const DirtyMark& mark : store.PeekDirty(limit).value_or({})) ids.push_back(mark.patient_id);
  return ids;
}

TEST_P(StoreContractTest, DirtyMarksQueueInOrderAndStayUntilCleared) {
  ASSERT_TRUE(store_->MarkDirty("p1").ok());
  ASSERT_TRUE(store_->MarkDirty("p2").ok());
  ASSERT_TRUE(store_->MarkDirty("p1").ok());  // already dirty: keeps its place
  ASSERT_TRUE(store_->MarkDirty("p3").ok());
  EXPECT_EQ(DirtyIds(*store_, 2), (std::vector<std::string>{"p1", "p2"}));
  // Peeking does not remove: a crash before the write-back loses nothing.
  const std::vector<DirtyMark> marks = store_->PeekDirty(10).value_or({});
  ASSERT_EQ(marks.size(), 3u);
  EXPECT_EQ(store_->DirtyCount().value_or(0), 3u);
  for (const DirtyMark& mark : marks) ASSERT_TRUE(store_->ClearDirty(mark).ok());
  EXPECT_TRUE(store_->PeekDirty(10).value_or({DirtyMark{"x", 1}}).empty());
  EXPECT_EQ(store_->DirtyCount().value_or(1), 0u);
}

TEST_P(StoreContractTest, ANewerMarkSurvivesTheClearOfTheOlderOne) {
  ASSERT_TRUE(store_->MarkDirty("p1").ok());
  const std::vector<DirtyMark> read = store_->PeekDirty(10).value_or({});
  ASSERT_EQ(read.size(), 1u);
  // New data arrives while p1 is being written.
  ASSERT_TRUE(store_->MarkDirty("p1").ok());
  ASSERT_TRUE(store_->ClearDirty(read[0]).ok());
  const std::vector<DirtyMark> after = store_->PeekDirty(10).value_or({});
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].patient_id, "p1");
  EXPECT_GT(after[0].generation, read[0].generation);
  ASSERT_TRUE(store_->ClearDirty(after[0]).ok());
  EXPECT_EQ(store_->DirtyCount().value_or(1), 0u);
}

TEST_P(StoreContractTest, GenerationsAreNeverReusedAfterTheQueueEmptied) {
  ASSERT_TRUE(store_->MarkDirty("p1").ok());
  const DirtyMark first = store_->PeekDirty(1).value_or({}).at(0);
  ASSERT_TRUE(store_->ClearDirty(first).ok());
  ASSERT_TRUE(store_->MarkDirty("p1").ok());
  const DirtyMark second = store_->PeekDirty(1).value_or({}).at(0);
  EXPECT_GT(second.generation, first.generation);
  ASSERT_TRUE(store_->ClearDirty(first).ok());  // a stale clear changes nothing
  EXPECT_EQ(DirtyIds(*store_), std::vector<std::string>{"p1"});
}

TEST_P(StoreContractTest, DeferMovesAMarkBehindTheOthersWithItsGeneration) {
  ASSERT_TRUE(store_->MarkDirty("p1").ok());
  ASSERT_TRUE(store_->MarkDirty("p2").ok());
  const DirtyMark p1 = store_->PeekDirty(1).value_or({}).at(0);
  ASSERT_TRUE(store_->DeferDirty("p1").ok());
  ASSERT_TRUE(store_->DeferDirty("unknown").ok());
  EXPECT_EQ(DirtyIds(*store_), (std::vector<std::string>{"p2", "p1"}));
  const DirtyMark deferred = store_->PeekDirty(10).value_or({}).at(1);
  EXPECT_EQ(deferred, p1);
  ASSERT_TRUE(store_->ClearDirty(deferred).ok());
  EXPECT_EQ(DirtyIds(*store_), std::vector<std::string>{"p2"});
}

TEST_P(StoreContractTest, ChangesMarkThePatientDirtyInTheSameStep) {
  EXPECT_EQ(Upsert(Observation("o1", "v-a", "2024-03-05T10:00:00Z", -2.6)),
            UpsertOutcome::kInserted);
  EXPECT_EQ(DirtyIds(*store_), std::vector<std::string>{"p1"});
  for (const DirtyMark& mark : store_->PeekDirty(10).value_or({})) {
    ASSERT_TRUE(store_->ClearDirty(mark).ok());
  }
  // A duplicate or an older version is no change: no mark.
  Upsert(Observation("o1", "v-a", "2024-03-05T10:00:00Z", -2.6));
  Upsert(Observation("o1", "v-old", "2024-03-05T09:00:00Z", -1.0));
  EXPECT_TRUE(DirtyIds(*store_).empty());
  Upsert(Observation("o1", "v-b", "2024-03-06T10:00:00Z", -2.7, "p1"));
  EXPECT_EQ(DirtyIds(*store_), std::vector<std::string>{"p1"});
  for (const DirtyMark& mark : store_->PeekDirty(10).value_or({})) {
    ASSERT_TRUE(store_->ClearDirty(mark).ok());
  }
  ASSERT_TRUE(store_->RetractSource("Observation", "o1").ok());
  EXPECT_EQ(DirtyIds(*store_), std::vector<std::string>{"p1"});
  for (const DirtyMark& mark : store_->PeekDirty(10).value_or({})) {
    ASSERT_TRUE(store_->ClearDirty(mark).ok());
  }
  ASSERT_TRUE(store_->RetractSource("Observation", "o1").ok());  // already retracted
  ASSERT_TRUE(store_->RetractSource("Observation", "never-seen").ok());
  EXPECT_TRUE(DirtyIds(*store_).empty());
}

TEST_P(StoreContractTest, ScheduleDue) {
  ASSERT_TRUE(store_->SetNextEvaluation("p1", Date::FromYmd(2025, 1, 10)).ok());
  ASSERT_TRUE(store_->SetNextEvaluation("p2", Date::FromYmd(2025, 1, 5)).ok());
  ASSERT_TRUE(store_->SetNextEvaluation("p3", Date::FromYmd(2025, 2, 1)).ok());
  ASSERT_TRUE(store_->SetNextEvaluation("p4", Date::FromYmd(2025, 1, 1)).ok());
  ASSERT_TRUE(store_->SetNextEvaluation("p4", std::nullopt).ok());
  EXPECT_TRUE(store_->DueForEvaluation(Date::FromYmd(2025, 1, 4)).value_or({"x"}).empty());
  EXPECT_EQ(store_->DueForEvaluation(Date::FromYmd(2025, 1, 10)).value_or({}),
            (std::vector<std::string>{"p2", "p1"}));
}

TEST_P(StoreContractTest, WrittenRoundTrip) {
  WrittenResource w{"http://bonewatch.example/fhir/id|flag-1",
                    "Flag",
                    "p1",
                    "srv-1",
                    "9f1c-uuid",
                    "sha256:abc",
                    "active",
                    false};
  EXPECT_FALSE(store_->GetWritten(w.identifier).value_or(w).has_value());
  ASSERT_TRUE(store_->PutWritten(w).ok());
  w.version_id = "9f1d-uuid";
  w.human_edited = true;
  ASSERT_TRUE(store_->PutWritten(w).ok());
  WrittenResource other{"sys|careplan-1", "CarePlan", "p1", "srv-2", "1", "h", "active", false};
  ASSERT_TRUE(store_->PutWritten(other).ok());
  ASSERT_TRUE(store_->PutWritten({"sys|x", "Flag", "p2", "s", "1", "h", "active", false}).ok());
  auto got = store_->GetWritten(w.identifier);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->version_id, "9f1d-uuid");
  EXPECT_TRUE((*got)->human_edited);
  EXPECT_EQ((*got)->server_id, "srv-1");
  EXPECT_EQ((*got)->content_hash, "sha256:abc");
  auto for_patient = store_->WrittenForPatient("p1");
  ASSERT_TRUE(for_patient.ok());
  EXPECT_EQ(for_patient->size(), 2u);
}

TEST_P(StoreContractTest, InboxEnqueuePeekAckFail) {
  InboxItem item{0,    "2024-03-05T10:00:00Z", "rest-hook", R"({"x-medplum-interaction":"delete"})",
                 "{}", "Observation/1",        0,           ""};
  auto id1 = store_->Enqueue(item);
  item.body = std::string("binary\0body", 11);
  auto id2 = store_->Enqueue(item);
  ASSERT_TRUE(id1.ok() && id2.ok());
  EXPECT_LT(*id1, *id2);
  EXPECT_EQ(store_->InboxDepth().value_or(0), 2u);
  auto peek = store_->PeekInbox(1);
  ASSERT_TRUE(peek.ok());
  ASSERT_EQ(peek->size(), 1u);
  EXPECT_EQ((*peek)[0].id, *id1);
  EXPECT_EQ((*peek)[0].headers_json, item.headers_json);
  EXPECT_EQ((*peek)[0].hint, "Observation/1");
  ASSERT_TRUE(store_->FailInbox(*id1, "GET Observation/1: HTTP 503").ok());
  ASSERT_TRUE(store_->FailInbox(*id1, "GET Observation/1: HTTP 503 again").ok());
  peek = store_->PeekInbox(10);
  ASSERT_TRUE(peek.ok());
  ASSERT_EQ(peek->size(), 2u);
  EXPECT_EQ((*peek)[0].attempts, 2);
  EXPECT_EQ((*peek)[0].last_error, "GET Observation/1: HTTP 503 again");
  EXPECT_EQ((*peek)[1].body, item.body);
  ASSERT_TRUE(store_->AckInbox(*id1).ok());
  ASSERT_TRUE(store_->AckInbox(*id1).ok());  // idempotent
  EXPECT_EQ(store_->InboxDepth().value_or(9), 1u);
  EXPECT_EQ(store_->FailInbox(*id1, "x").code(), StatusCode::kNotFound);
}

TEST_P(StoreContractTest, DeadLettersAddListTake) {
  DeadLetter d{0,
               "2024-03-05T10:00:00Z",
               "rest-hook",
               "Observation/9",
               "rejected:unknown-unit",
               "Observation/9: valueQuantity.unit 'furlong' is not mapped",
               R"({"resourceType":"Observation"})",
               /*key=*/"",
               /*times_seen=*/1,
               /*last_seen_at=*/""};
  auto added1 = store_->AddDeadLetter(d);
  d.resource = "Observation/10";
  auto added2 = store_->AddDeadLetter(d);  // no key: never merged
  ASSERT_TRUE(added1.ok() && added2.ok());
  EXPECT_TRUE(added1->added && added2->added);
  const std::optional<int64_t> id1 = added1->id;
  EXPECT_EQ(store_->DeadLetterDepth().value_or(0), 2u);
  auto list = store_->ListDeadLetters(10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].resource, "Observation/9");
  EXPECT_EQ((*list)[0].reason_code, "rejected:unknown-unit");
  EXPECT_EQ((*list)[0].payload, d.payload);
  auto taken = store_->TakeDeadLetter(*id1);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->id, *id1);
  EXPECT_EQ(taken->resource, "Observation/9");
  EXPECT_EQ(store_->TakeDeadLetter(*id1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeadLetterDepth().value_or(0), 1u);
}

DeadLetter RejectedVersion(const std::string& version, const std::string& at) {
  DeadLetter d;
  d.created_at = at;
  d.origin = "poll";
  d.resource = "Observation/9";
  d.reason_code = "rejected:unknown-unit";
  d.reason = "Observation/9: valueQuantity.unit 'furlong' is not mapped";
  d.payload = R"({"resourceType":"Observation","id":"9","meta":{"versionId":")" + version + "\"}}";
  d.key = "Observation/9/_history/" + version;
  return d;
}

TEST_P(StoreContractTest, TheSameKeyIsOneDeadLetterThatCountsTheRepeats) {
  auto first = store_->AddDeadLetter(RejectedVersion("3", "2024-03-05T10:00:00Z"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->added);
  for (int poll = 1; poll < 10; ++poll) {
    DeadLetter again = RejectedVersion("3", "2024-03-05T10:0" + std::to_string(poll) + ":00Z");
    again.origin = "history";
    again.reason_code = "rejected:unconvertible-unit";  // the mapping changed meanwhile
    auto added = store_->AddDeadLetter(again);
    ASSERT_TRUE(added.ok()) << added.status().ToString();
    EXPECT_FALSE(added->added);
    EXPECT_EQ(added->id, first->id);
  }
  EXPECT_EQ(store_->DeadLetterDepth().value_or(0), 1u);
  auto list = store_->ListDeadLetters(10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  const DeadLetter& kept = (*list)[0];
  EXPECT_EQ(kept.times_seen, 10);
  EXPECT_EQ(kept.created_at, "2024-03-05T10:00:00Z");
  EXPECT_EQ(kept.last_seen_at, "2024-03-05T10:09:00Z");
  EXPECT_EQ(kept.origin, "poll");                              // the first refusal's
  EXPECT_EQ(kept.reason_code, "rejected:unconvertible-unit");  // the latest reason
  EXPECT_EQ(kept.key, "Observation/9/_history/3");
  // Another version of the same resource is another letter.
  auto next = store_->AddDeadLetter(RejectedVersion("4", "2024-03-06T10:00:00Z"));
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(next->added);
  EXPECT_EQ(store_->DeadLetterDepth().value_or(0), 2u);
}

TEST_P(StoreContractTest, ATakenDeadLetterCanComeBackOnce) {
  // A replay takes the letter; when the replay fails the same way, one letter is back.
  auto first = store_->AddDeadLetter(RejectedVersion("3", "2024-03-05T10:00:00Z"));
  ASSERT_TRUE(first.ok());
  auto taken = store_->TakeDeadLetter(first->id);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->key, "Observation/9/_history/3");
  EXPECT_EQ(store_->DeadLetterDepth().value_or(9), 0u);
  for (int i = 0; i < 2; ++i) {
    DeadLetter again = RejectedVersion("3", "2024-03-05T11:00:00Z");
    again.origin = "replay";
    ASSERT_TRUE(store_->AddDeadLetter(again).ok());
  }
  auto list = store_->ListDeadLetters(10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_NE((*list)[0].id, first->id);
  EXPECT_EQ((*list)[0].origin, "replay");
  EXPECT_EQ((*list)[0].times_seen, 2);
}

TEST_P(StoreContractTest, ADeadLetterMergedInsideAnAbortedBatchIsUndone) {
  ASSERT_TRUE(store_->AddDeadLetter(RejectedVersion("3", "2024-03-05T10:00:00Z")).ok());
  ASSERT_TRUE(store_->BeginBatch().ok());
  ASSERT_TRUE(store_->AddDeadLetter(RejectedVersion("3", "2024-03-05T10:05:00Z")).ok());
  ASSERT_TRUE(store_->AddDeadLetter(RejectedVersion("4", "2024-03-05T10:05:00Z")).ok());
  store_->AbortBatch();
  auto list = store_->ListDeadLetters(10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].times_seen, 1);
  EXPECT_EQ((*list)[0].last_seen_at, "2024-03-05T10:00:00Z");
}

TEST_P(StoreContractTest, Cursors) {
  EXPECT_FALSE(store_->GetCursor("poll:Observation").value_or("x").has_value());
  ASSERT_TRUE(store_->SetCursor("poll:Observation", "2024-03-05T10:00:00Z").ok());
  ASSERT_TRUE(store_->SetCursor("poll:Observation", "2024-03-06T10:00:00Z").ok());
  auto c = store_->GetCursor("poll:Observation");
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ(**c, "2024-03-06T10:00:00Z");
}

// ---- Unit of work (Store::BeginBatch) ----

TEST_P(StoreContractTest, ABatchCommitsAllItsChangesTogether) {
  auto inbox_id = store_->Enqueue(InboxItem{0, "t", "poll", "{}", "body", "", 0, ""});
  ASSERT_TRUE(inbox_id.ok());
  StoreBatch batch(*store_);
  ASSERT_TRUE(batch.begun().ok()) << batch.begun().ToString();
  EXPECT_EQ(Upsert(Observation("o1", "v1", "2024-03-05T10:00:00Z", -2.6)),
            UpsertOutcome::kInserted);
  ASSERT_TRUE(store_->AckInbox(*inbox_id).ok());
  // Reads inside the batch see its changes; the ack waits for the commit.
  EXPECT_EQ(Record("p1").facts.size(), 1u);
  EXPECT_EQ(store_->InboxDepth().value_or(9), 1u);
  ASSERT_TRUE(batch.Commit().ok());
  EXPECT_EQ(Record("p1").facts.size(), 1u);
  EXPECT_EQ(DirtyIds(*store_), std::vector<std::string>{"p1"});
  EXPECT_EQ(store_->InboxDepth().value_or(9), 0u);
  EXPECT_EQ(store_->FactCount().value_or(0), 1u);
}

TEST_P(StoreContractTest, AnAbortedBatchLeavesNothing) {
  auto inbox_id = store_->Enqueue(InboxItem{0, "t", "poll", "{}", "body", "", 0, ""});
  ASSERT_TRUE(inbox_id.ok());
  {
    StoreBatch batch(*store_);
    ASSERT_TRUE(batch.begun().ok());
    Upsert(Observation("o1", "v1", "2024-03-05T10:00:00Z", -2.6));
    ASSERT_TRUE(store_->AckInbox(*inbox_id).ok());
    ASSERT_TRUE(store_->PutWritten({"sys|1", "Flag", "p1", "s1", "v", "h", "active", false}).ok());
    ASSERT_TRUE(store_->SetCursor("c", "x").ok());
  }  // not committed
  EXPECT_TRUE(Record("p1").facts.empty());
  EXPECT_TRUE(DirtyIds(*store_).empty());
  EXPECT_EQ(store_->InboxDepth().value_or(0), 1u);
  EXPECT_FALSE(store_->GetWritten("sys|1").value_or(std::nullopt).has_value());
  EXPECT_FALSE(store_->GetCursor("c").value_or("x").has_value());
  EXPECT_EQ(store_->FactCount().value_or(9), 0u);
  // The store goes on normally after the abort.
  EXPECT_EQ(Upsert(Observation("o1", "v1", "2024-03-05T10:00:00Z", -2.6)),
            UpsertOutcome::kInserted);
}

TEST_P(StoreContractTest, AFailedCallInsideABatchChangesNothingAndTheBatchGoesOn) {
  StoreBatch batch(*store_);
  ASSERT_TRUE(batch.begun().ok());
  Upsert(Observation("o1", "v1", "2024-03-05T10:00:00Z", -2.6));
  EXPECT_FALSE(store_->UpsertSource(Observation("o2", "v1", "not-an-instant", -2.0)).ok());
  Upsert(Observation("o3", "v1", "2024-03-05T10:00:00Z", -1.0));
  ASSERT_TRUE(batch.Commit().ok());
  EXPECT_EQ(Record("p1").facts.size(), 2u);
  EXPECT_EQ(store_->FactCount().value_or(0), 2u);
}

TEST_P(StoreContractTest, BatchesDoNotNest) {
  StoreBatch batch(*store_);
  ASSERT_TRUE(batch.begun().ok());
  StoreBatch inner(*store_);
  EXPECT_EQ(inner.begun().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(inner.Commit().ok());
  EXPECT_TRUE(batch.Commit().ok());
  EXPECT_FALSE(batch.Commit().ok());  // ended
}

TEST_P(StoreContractTest, OtherThreadsWaitForTheBatchButTheInboxDoesNot) {
  StoreBatch batch(*store_);
  ASSERT_TRUE(batch.begun().ok());
  // The batch has written: in SQLite it holds the store file's write lock.
  Upsert(Observation("o1", "v1", "2024-03-05T10:00:00Z", -2.6));
  std::atomic<bool> cursor_set{false};
  std::thread poller([&] {
    EXPECT_TRUE(store_->SetCursor("c", "x").ok());
    cursor_set = true;
  });
  // The endpoint's Enqueue (and the inbox gauge) complete while the batch is open.
  std::atomic<bool> enqueued{false};
  std::thread endpoint([&] {
    EXPECT_TRUE(store_->Enqueue(InboxItem{0, "t", "rest-hook", "{}", "b", "", 0, ""}).ok());
    EXPECT_EQ(store_->InboxDepth().value_or(0), 1u);
    enqueued = true;
  });
  endpoint.join();
  EXPECT_TRUE(enqueued.load());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(cursor_set.load());  // its own transaction waits: never part of the batch
  ASSERT_TRUE(batch.Commit().ok());
  poller.join();
  EXPECT_TRUE(cursor_set.load());
  EXPECT_EQ(store_->InboxDepth().value_or(0), 1u);
}

TEST_P(StoreContractTest, AnAckInsideABatchIsAppliedOnlyWhenTheBatchCommits) {
  auto one = store_->Enqueue(InboxItem{0, "t", "poll", "{}", "one", "", 0, ""});
  auto two = store_->Enqueue(InboxItem{0, "t", "poll", "{}", "two", "", 0, ""});
  ASSERT_TRUE(one.ok() && two.ok());
  {
    StoreBatch batch(*store_);
    ASSERT_TRUE(batch.begun().ok());
    ASSERT_TRUE(store_->AckInbox(*one).ok());
    EXPECT_EQ(store_->PeekInbox(10).value_or({}).size(), 2u);
  }  // aborted: the ack is dropped
  EXPECT_EQ(store_->InboxDepth().value_or(0), 2u);
  StoreBatch batch(*store_);
  ASSERT_TRUE(batch.begun().ok());
  ASSERT_TRUE(store_->AckInbox(*one).ok());
  ASSERT_TRUE(store_->FailInbox(*two, "HTTP 503").ok());  // not part of the batch
  ASSERT_TRUE(batch.Commit().ok());
  const std::vector<InboxItem> left = store_->PeekInbox(10).value_or({});
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].body, "two");
  EXPECT_EQ(left[0].attempts, 1);
  EXPECT_EQ(store_->InboxDepth().value_or(0), 1u);
}

TEST_P(StoreContractTest, FactCountFollowsInsertsReplacementsAndRetractions) {
  EXPECT_EQ(store_->FactCount().value_or(9), 0u);
  Upsert(Observation("o1", "v1", "2024-03-05T10:00:00Z", -2.6));
  SourceFacts two = Observation("o2", "v1", "2024-03-05T10:00:00Z", -2.0);
  two.facts.push_back(TScore("o2", "v1", -1.0));
  Upsert(two);
  EXPECT_EQ(store_->FactCount().value_or(0), 3u);
  two.version_id = "v2";
  two.last_updated = "2024-03-06T10:00:00Z";
  two.facts.pop_back();
  EXPECT_EQ(Upsert(two), UpsertOutcome::kReplaced);
  EXPECT_EQ(store_->FactCount().value_or(0), 2u);
  ASSERT_TRUE(store_->RetractSource("Observation", "o1").ok());
  EXPECT_EQ(store_->FactCount().value_or(9), 1u);
  // A retracted source that comes back with a newer version counts again.
  EXPECT_EQ(Upsert(Observation("o1", "v2", "2024-03-07T10:00:00Z", -2.6)),
            UpsertOutcome::kReplaced);
  EXPECT_EQ(store_->FactCount().value_or(0), 2u);
}

INSTANTIATE_TEST_SUITE_P(AllStores, StoreContractTest, ::testing::ValuesIn(Factories()),
                         [](const ::testing::TestParamInfo<StoreFactory>& param_info) {
                           return param_info.param.name;
                         });

TEST(StoreCodec, RoundTripsEveryField) {
  SourceFacts s = AiStatement("ms1");
  s.medications[0].end = Date::FromYmd(2024, 6, 30);
  s.medications[0].status = rules::MedicationStatus::kCompleted;
  s.facts = {TScore("ms1", "3", 0.1 + 0.2)};
  s.facts[0].source.resource_type = "MedicationStatement";
  s.facts[0].source.component = "lumbar";
  const std::string payload = EncodeSourcePayload(s);
  SourceFacts back;
  back.resource_type = s.resource_type;
  back.resource_id = s.resource_id;
  ASSERT_TRUE(DecodeSourcePayload(payload, &back).ok());
  EXPECT_EQ(EncodeSourcePayload(back), payload);
  EXPECT_EQ(back.facts[0].value, 0.1 + 0.2);
  EXPECT_EQ(back.facts[0].source, s.facts[0].source);
  EXPECT_EQ(back.medications[0].end, s.medications[0].end);
}

TEST(StoreCodec, CorruptPayloadIsDataLoss) {
  SourceFacts back;
  back.resource_type = "Observation";
  back.resource_id = "1";
  Status st = DecodeSourcePayload(R"({"f":[{"k":"nope","d":"2024-01-01"}]})", &back);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("Observation/1"), std::string::npos);
}

// ---- SQLite only ----

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bonewatch-store-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "bonewatch.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(SqliteStoreTest, PersistsAcrossReopen) {
  {
    auto store = MustOpenSqlite(path_);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->UpsertSource(Observation("o1", "v1", "2024-03-05T10:00:00Z", -2.6)).ok());
    ASSERT_TRUE(store->UpsertSource(AiStatement("ms1")).ok());
    ASSERT_TRUE(store->RetractSource("MedicationStatement", "ms1").ok());
    ASSERT_TRUE(store->MarkDirty("p1").ok());
    ASSERT_TRUE(store->SetCursor("poll:Observation", "2024-03-05T10:00:00Z").ok());
    ASSERT_TRUE(store->Enqueue(InboxItem{0, "t", "poll", "{}", "body", "", 0, ""}).ok());
    ASSERT_TRUE(store->PutWritten({"sys|1", "Flag", "p1", "s1", "v", "h", "active", false}).ok());
  }
  auto store = MustOpenSqlite(path_);
  ASSERT_NE(store, nullptr);
  const rules::PatientRecord record = store->LoadRecord("p1").value_or({});
  ASSERT_EQ(record.facts.size(), 1u);
  EXPECT_EQ(record.facts[0].value, -2.6);
  EXPECT_TRUE(record.ai_medication_retracted);
  EXPECT_EQ(store->UpsertSource(Observation("o1", "v1", "2024-03-05T10:00:00Z", -2.6))
                .value_or(UpsertOutcome::kInserted),
            UpsertOutcome::kUnchanged);
  EXPECT_EQ(DirtyIds(*store), (std::vector<std::string>{"p1"}));
  EXPECT_EQ(store->GetCursor("poll:Observation").value_or(std::nullopt).value_or(""),
            "2024-03-05T10:00:00Z");
  EXPECT_EQ(store->InboxDepth().value_or(0), 1u);
  EXPECT_TRUE(store->GetWritten("sys|1").value_or(std::nullopt).has_value());
}

TEST_F(SqliteStoreTest, AMarkReadButNotClearedSurvivesACrash) {
  DirtyMark read;
  {
    auto store = MustOpenSqlite(path_);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->UpsertSource(AiStatement("ms1")).ok());
    const std::vector<DirtyMark> marks = store->PeekDirty(10).value_or({});
    ASSERT_EQ(marks.size(), 1u);
    read = marks[0];
    // The process dies here: evaluated, maybe written, never cleared.
  }
  auto store = MustOpenSqlite(path_);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->PeekDirty(10).value_or({}), std::vector<DirtyMark>{read});
  ASSERT_TRUE(store->MarkDirty("p2").ok());  // generations go on after a reopen
  EXPECT_GT(store->PeekDirty(10).value_or({}).back().generation, read.generation);
}

TEST_F(SqliteStoreTest, MigratesVersionOneDirtyMarks) {
  {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session session("SQLite", path_);
    session << "CREATE TABLE schema_version (version INTEGER NOT NULL)", Poco::Data::Keywords::now;
    for (const std::string& sql : SqliteMigrations().at(0).statements) {
      session << sql, Poco::Data::Keywords::now;
    }
    session << "INSERT INTO schema_version (version) VALUES (1)", Poco::Data::Keywords::now;
    session << "INSERT INTO dirty (patient_id) VALUES ('old')", Poco::Data::Keywords::now;
  }
  auto store = MustOpenSqlite(path_);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->MarkDirty("new").ok());
  const std::vector<DirtyMark> marks = store->PeekDirty(10).value_or({});
  ASSERT_EQ(marks.size(), 2u);
  EXPECT_EQ(marks[0], (DirtyMark{"old", 0}));
  EXPECT_EQ(marks[1].patient_id, "new");
  EXPECT_GT(marks[1].generation, 0);
  ASSERT_TRUE(store->ClearDirty(marks[0]).ok());
  EXPECT_EQ(store->DirtyCount().value_or(0), 1u);
}

int SchemaVersion(const std::string& path) {
  Poco::Data::SQLite::Connector::registerConnector();
  Poco::Data::Session session("SQLite", path);
  int version = -1;
  session << "SELECT MAX(version) FROM schema_version", Poco::Data::Keywords::into(version),
      Poco::Data::Keywords::now;
  return version;
}

// Versions before the inbox file kept the inbox in the store file: its items
// move to "<store>.inbox" at open, ids and attempts kept, and ids go on after them.
TEST_F(SqliteStoreTest, TheStoreFilesInboxMovesToTheInboxFileAtOpen) {
  {
    auto store = MustOpenSqlite(path_);
    ASSERT_NE(store, nullptr);
  }
  std::filesystem::remove(path_ + ".inbox");
  {
    Poco::Data::Session session("SQLite", path_);
    session << "INSERT INTO inbox (id, received_at, origin, headers_json, body, hint, attempts,"
               " last_error) VALUES (41, 't', 'rest-hook', '{}', 'one', 'Observation/1', 2, 'e'),"
               " (42, 't', 'poll', '{}', 'two', '', 0, '')",
        Poco::Data::Keywords::now;
  }
  auto store = MustOpenSqlite(path_);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(std::filesystem::exists(path_ + ".inbox"));
  EXPECT_EQ(store->InboxDepth().value_or(0), 2u);
  const std::vector<InboxItem> items = store->PeekInbox(10).value_or({});
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].id, 41);
  EXPECT_EQ(items[0].body, "one");
  EXPECT_EQ(items[0].attempts, 2);
  EXPECT_EQ(items[1].id, 42);
  EXPECT_GT(store->Enqueue(InboxItem{0, "t", "poll", "{}", "three", "", 0, ""}).value_or(0), 42);
  {
    Poco::Data::Session session("SQLite", path_);
    int left = -1;
    session << "SELECT COUNT(*) FROM inbox", Poco::Data::Keywords::into(left),
        Poco::Data::Keywords::now;
    EXPECT_EQ(left, 0);
  }
  store.reset();
  auto again = MustOpenSqlite(path_);  // nothing moved twice
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->InboxDepth().value_or(0), 3u);
  again.reset();
  // A crash between the copy and the delete: the same rows are in both files, moved once.
  // A downgrade that went on writing the store file's inbox: its id 43 is taken here by
  // another item, and is kept under a new id.
  {
    Poco::Data::Session session("SQLite", path_);
    session << "INSERT INTO inbox (id, received_at, origin, headers_json, body, hint, attempts,"
               " last_error) VALUES (41, 't', 'rest-hook', '{}', 'one', 'Observation/1', 2, 'e'),"
               " (43, 't', 'rest-hook', '{}', 'from the old binary', '', 0, '')",
        Poco::Data::Keywords::now;
  }
  auto third = MustOpenSqlite(path_);
  ASSERT_NE(third, nullptr);
  const std::vector<InboxItem> after = third->PeekInbox(10).value_or({});
  ASSERT_EQ(after.size(), 4u);
  EXPECT_EQ(after[0].body, "one");
  EXPECT_EQ(after[1].body, "two");
  EXPECT_EQ(after[2].body, "three");
  EXPECT_EQ(after[3].body, "from the old binary");
  EXPECT_GT(after[3].id, after[2].id);
  EXPECT_EQ(third->InboxDepth().value_or(0), 4u);
}

// `bonewatch dead-letters replay` and `backfill` enqueue from another process: the daemon's
// inbox depth (counted in memory) catches up at its next look at the inbox.
TEST_F(SqliteStoreTest, TheInboxDepthCountsWhatAnotherProcessEnqueued) {
  auto daemon = MustOpenSqlite(path_);
  auto command = MustOpenSqlite(path_);
  ASSERT_NE(daemon, nullptr);
  ASSERT_NE(command, nullptr);
  ASSERT_TRUE(daemon->Enqueue(InboxItem{0, "t", "rest-hook", "{}", "one", "", 0, ""}).ok());
  ASSERT_TRUE(command->Enqueue(InboxItem{0, "t", "replay", "{}", "two", "", 0, ""}).ok());
  ASSERT_TRUE(command->Enqueue(InboxItem{0, "t", "replay", "{}", "three", "", 0, ""}).ok());
  EXPECT_EQ(daemon->PeekInbox(2).value_or({}).size(), 2u);  // a full page: at least 2
  EXPECT_GE(daemon->InboxDepth().value_or(0), 2u);
  const std::vector<InboxItem> all = daemon->PeekInbox(50).value_or({});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(daemon->InboxDepth().value_or(0), 3u);
  ASSERT_TRUE(daemon->AckInbox(all[0].id).ok());
  ASSERT_TRUE(daemon->AckInbox(all[1].id).ok());
  EXPECT_EQ(daemon->InboxDepth().value_or(9), 1u);
  ASSERT_TRUE(command->AckInbox(all[2].id).ok());
  EXPECT_EQ(daemon->PeekInbox(50).value_or({}).size(), 0u);
  EXPECT_EQ(daemon->InboxDepth().value_or(9), 0u);
}

TEST_F(SqliteStoreTest, AnInboxFileFromANewerVersionIsRefused) {
  {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session session("SQLite", path_ + ".inbox");
    session << "PRAGMA user_version = 99", Poco::Data::Keywords::now;
  }
  auto store = OpenSqliteStore(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(".inbox"), std::string::npos)
      << store.status().ToString();
  EXPECT_NE(store.status().message().find("newer"), std::string::npos);
}

TEST_F(SqliteStoreTest, MigratesEmptyFileAndReopens) {
  { std::ofstream touch(path_); }  // an existing, empty file
  ASSERT_EQ(std::filesystem::file_size(path_), 0u);
  const int latest = SqliteMigrations().back().version;
  ASSERT_NE(MustOpenSqlite(path_), nullptr);
  EXPECT_EQ(SchemaVersion(path_), latest);
  auto again = MustOpenSqlite(path_);  // re-open: nothing re-applied, no error
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(SchemaVersion(path_), latest);
  Poco::Data::Session session("SQLite", path_);
  int rows = 0;
  session << "SELECT COUNT(*) FROM schema_version", Poco::Data::Keywords::into(rows),
      Poco::Data::Keywords::now;
  EXPECT_EQ(rows, static_cast<int>(SqliteMigrations().size()));
}

TEST_F(SqliteStoreTest, RefusesNewerSchema) {
  ASSERT_NE(MustOpenSqlite(path_), nullptr);
  {
    Poco::Data::Session session("SQLite", path_);
    session << "INSERT INTO schema_version (version) VALUES (999)", Poco::Data::Keywords::now;
  }
  auto store = OpenSqliteStore(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("999"), std::string::npos) << store.status().message();
}

TEST_F(SqliteStoreTest, WalModeIsOn) {
  auto store = MustOpenSqlite(path_);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->SetCursor("c", "v").ok());
  Poco::Data::Session session("SQLite", path_);
  std::string mode;
  session << "PRAGMA journal_mode", Poco::Data::Keywords::into(mode), Poco::Data::Keywords::now;
  EXPECT_EQ(mode, "wal");
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
}

TEST_F(SqliteStoreTest, UnopenablePathIsAnErrorNamingIt) {
  auto store = OpenSqliteStore((dir_ / "missing-dir" / "x.db").string());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("missing-dir"), std::string::npos)
      << store.status().message();
}

TEST_F(SqliteStoreTest, ConcurrentUpsertsFromSeveralThreads) {
  auto store = MustOpenSqlite(path_);
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = "o" + std::to_string(i);
        const std::string patient = "p" + std::to_string(t);
        SourceFacts s =
            Observation(id + "-" + patient, "v" + std::to_string(t),
                        "2024-03-05T10:00:0" + std::to_string(t) + "Z", -1.0 * t, patient);
        if (!store->UpsertSource(s).ok()) ++failures;
        if (!store->MarkDirty(patient).ok()) ++failures;
        if (!store->Enqueue(InboxItem{0, "t", "poll", "{}", id, "", 0, ""}).ok()) ++failures;
        if (!store->LoadRecord(patient).ok()) ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store->FactCount().value_or(0), static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(store->InboxDepth().value_or(0), static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(DirtyIds(*store).size(), static_cast<size_t>(kThreads));
}

// A crash (the process dies: no commit, no rollback, no destructor) inside a
// batch leaves none of it; a committed batch survives whole.
TEST_F(SqliteStoreTest, ABatchIsAllOrNothingAcrossACrash) {
  {
    auto store = MustOpenSqlite(path_);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Enqueue(InboxItem{0, "t", "poll", "{}", "one", "", 0, ""}).ok());
    ASSERT_TRUE(store->Enqueue(InboxItem{0, "t", "poll", "{}", "two", "", 0, ""}).ok());
    const std::vector<InboxItem> items = store->PeekInbox(10).value_or({});
    ASSERT_EQ(items.size(), 2u);
    // Committed: item one's effects and its ack.
    ASSERT_TRUE(store->BeginBatch().ok());
    ASSERT_TRUE(store->UpsertSource(Observation("o1", "v1", "2024-03-05T10:00:00Z", -2.6)).ok());
    ASSERT_TRUE(store->AckInbox(items[0].id).ok());
    ASSERT_TRUE(store->CommitBatch().ok());
    std::fflush(nullptr);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // Another process (SQLite connections must not cross a fork) stores
      // item two's effects and ack, then dies before the commit.
      auto opened = OpenSqliteStore(path_);
      if (!opened.ok()) ::_exit(2);
      std::unique_ptr<Store> own = std::move(opened).value();
      bool ok = own->BeginBatch().ok();
      ok =
          ok && own->UpsertSource(Observation("o2", "v1", "2024-03-05T10:00:00Z", -1.0, "p2")).ok();
      ok = ok && own->PutWritten({"sys|2", "Flag", "p2", "s2", "v", "h", "active", false}).ok();
      ok = ok && own->AckInbox(items[1].id).ok();
      (void)own.release();  // no destructor, no rollback: as if killed
      ::_exit(ok ? 0 : 1);
    }
    int wstatus = 0;
    ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
    ASSERT_TRUE(WIFEXITED(wstatus));
    ASSERT_EQ(WEXITSTATUS(wstatus), 0);
  }
  auto store = MustOpenSqlite(path_);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->LoadRecord("p1").value_or({}).facts.size(), 1u);
  EXPECT_TRUE(store->LoadRecord("p2").value_or({}).facts.empty());
  EXPECT_FALSE(store->GetWritten("sys|2").value_or(std::nullopt).has_value());
  const std::vector<InboxItem> left = store->PeekInbox(10).value_or({});
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].body, "two");
  EXPECT_EQ(DirtyIds(*store), std::vector<std::string>{"p1"});
  EXPECT_EQ(store->FactCount().value_or(0), 1u);
}

TEST_F(SqliteStoreTest, OneDeadLetterPerKeyAcrossReopen) {
  {
    auto store = MustOpenSqlite(path_);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->AddDeadLetter(RejectedVersion("3", "2024-03-05T10:00:00Z")).ok());
  }
  auto store = MustOpenSqlite(path_);
  ASSERT_NE(store, nullptr);
  auto again = store->AddDeadLetter(RejectedVersion("3", "2024-03-05T10:01:00Z"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->added);
  EXPECT_EQ(store->DeadLetterDepth().value_or(0), 1u);
  EXPECT_EQ(store->ListDeadLetters(1).value_or({}).at(0).times_seen, 2);
  // The key is unique in the file itself.
  Poco::Data::Session session("SQLite", path_);
  const auto insert_duplicate = [&session] {
    session << "INSERT INTO dead_letters (created_at, origin, resource, reason_code, reason,"
               " dedup_key) VALUES ('t', 'poll', 'Observation/9', 'r', 'r',"
               " 'Observation/9/_history/3')",
        Poco::Data::Keywords::now;
  };
  EXPECT_THROW(insert_duplicate(), Poco::Exception);
}

TEST_F(SqliteStoreTest, MigrationFourCollapsesTheRepeatedDeadLettersOfAVersion) {
  {
    // A version-3 file holding what every poll used to add: 3 letters for version 3 of
    // Observation/9, 1 for Observation/10 (no versionId) and 2 malformed bodies.
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session session("SQLite", path_);
    session << "CREATE TABLE schema_version (version INTEGER NOT NULL)", Poco::Data::Keywords::now;
    for (size_t i = 0; i < 3; ++i) {
      for (const std::string& sql : SqliteMigrations().at(i).statements) {
        session << sql, Poco::Data::Keywords::now;
      }
    }
    session << "INSERT INTO schema_version (version) VALUES (3)", Poco::Data::Keywords::now;
    const std::string v3 = R"({"resourceType":"Observation","id":"9","meta":{"versionId":"3"}})";
    for (const char* at :
         {"2024-03-05T10:00:00Z", "2024-03-05T10:01:00Z", "2024-03-05T10:02:00Z"}) {
      session << "INSERT INTO dead_letters (created_at, origin, resource, reason_code, reason,"
                 " payload) VALUES (?, 'poll', 'Observation/9', 'rejected:unknown-unit', 'r', ?)",
          Poco::Data::Keywords::bind(std::string(at)),
          Poco::Data::Keywords::bind(
              Poco::Data::BLOB(reinterpret_cast<const unsigned char*>(v3.data()), v3.size())),
          Poco::Data::Keywords::now;
    }
    session << "INSERT INTO dead_letters (created_at, origin, resource, reason_code, reason,"
               " payload) VALUES ('2024-03-05T10:03:00Z', 'poll', 'Observation/10',"
               " 'rejected:unknown-unit', 'r', '{\"resourceType\":\"Observation\"}')",
        Poco::Data::Keywords::now;
    for (int i = 0; i < 2; ++i) {
      session << "INSERT INTO dead_letters (created_at, origin, resource, reason_code, reason,"
                 " payload) VALUES ('2024-03-05T10:04:00Z', 'rest-hook', '', 'malformed', 'r',"
                 " '{not json')",
          Poco::Data::Keywords::now;
    }
  }
  auto store = MustOpenSqlite(path_);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(SchemaVersion(path_), SqliteMigrations().back().version);
  auto list = store->ListDeadLetters(10);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 4u);
  EXPECT_EQ((*list)[0].key, "Observation/9/_history/3");
  EXPECT_EQ((*list)[0].times_seen, 3);
  EXPECT_EQ((*list)[0].created_at, "2024-03-05T10:00:00Z");
  EXPECT_EQ((*list)[0].last_seen_at, "2024-03-05T10:02:00Z");
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_EQ((*list)[i].key, "");
    EXPECT_EQ((*list)[i].times_seen, 1);
    EXPECT_EQ((*list)[i].last_seen_at, (*list)[i].created_at);
  }
  // And the next poll of that version adds nothing.
  auto again = store->AddDeadLetter(RejectedVersion("3", "2024-03-05T10:05:00Z"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->added);
  EXPECT_EQ(store->DeadLetterDepth().value_or(0), 4u);
}

TEST_F(SqliteStoreTest, TheFactCountIsKeptAcrossReopenAndMigration) {
  {
    // A version-2 file with facts: migration 3 starts the running total from them.
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session session("SQLite", path_);
    session << "CREATE TABLE schema_version (version INTEGER NOT NULL)", Poco::Data::Keywords::now;
    for (size_t i = 0; i < 2; ++i) {
      for (const std::string& sql : SqliteMigrations().at(i).statements) {
        session << sql, Poco::Data::Keywords::now;
      }
    }
    session << "INSERT INTO schema_version (version) VALUES (2)", Poco::Data::Keywords::now;
    session << "INSERT INTO sources VALUES ('Observation', 'o1', 'p1', 'v1',"
               " '2024-03-05T10:00:00Z', 0, 3, '{}')",
        Poco::Data::Keywords::now;
  }
  {
    auto store = MustOpenSqlite(path_);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->FactCount().value_or(0), 3u);
    ASSERT_TRUE(store->UpsertSource(Observation("o2", "v1", "2024-03-05T10:00:00Z", -1.0)).ok());
    EXPECT_EQ(store->FactCount().value_or(0), 4u);
  }
  auto store = MustOpenSqlite(path_);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->FactCount().value_or(0), 4u);
}

}  // namespace
}  // namespace bonewatch::adapter
