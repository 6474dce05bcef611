#include "writer.h"

#include <gtest/gtest.h>

#include <sstream>

#include "bonewatch/fhir/bundle.h"
#include "bonewatch/rules/evaluator.h"
#include "pipeline_fake_fhir.h"
#include "store.h"
#include "writeback_identity.h"

namespace bonewatch::adapter {
namespace {

using fhir::Json;
using rules::Date;
using testing::FakeClient;
using testing::FakeFhir;

Date D(const char* text) { return *Date::Parse(text); }

constexpr char kFlagSystem[] = "http://bonewatch.example/fhir/identifier/flag";
constexpr char kCarePlanSystem[] = "http://bonewatch.example/fhir/identifier/careplan";

rules::Finding Finding(const char* rule, const char* start, rules::FindingStatus status) {
  rules::Finding f;
  f.rule = rule;
  f.status = status;
  f.episode_start = D(start);
  f.priority = rules::Priority::kHigh;
  f.evidence = {{"Observation", "t1", "1", ""}};
  f.text = std::string(rule) + " text";
  return f;
}

rules::Evaluation Active() {
  rules::Evaluation e;
  e.patient_id = "p1";
  e.as_of = D("2026-04-01");
  e.disposition = rules::Disposition::kActive;
  e.course = rules::CourseSummary{
      D("2025-09-01"), std::nullopt, {{"MedicationStatement", "ai1", "1", ""}}};
  e.findings.push_back(Finding("osteoporosis", "2026-03-02", rules::FindingStatus::kActive));
  rules::Finding ended =
      Finding("vitamin-d-deficient", "2025-10-01", rules::FindingStatus::kInactive);
  ended.episode_end = D("2026-01-10");
  e.findings.push_back(ended);  // began and ended before the first write: never written
  rules::PlanActivity calcium;
  calcium.key = "calcium-vitamin-d";
  calcium.status = rules::ActivityStatus::kInProgress;
  calcium.scheduled_start = D("2025-09-01");
  calcium.description = "Calcium";
  e.plan.push_back(calcium);
  return e;
}

const char* kOsteoporosisFlag = "p1.osteoporosis.2026-03-02";

class WriterTest : public ::testing::Test {
 protected:
  WriterTest()
      : clock_(std::chrono::system_clock::time_point(std::chrono::hours(24 * 20544))),
        logger_(LogFormat::kText, LogLevel::kDebug, clock_, &log_),
        store_(NewMemoryStore()),
        client_(fake_) {}

  Writer MakeWriter() {
    return Writer({config_, *store_, client_.client, metrics_, logger_, clock_});
  }

  const Json* Flag(const std::string& value) const {
    return fake_.FindByIdentifier("Flag", kFlagSystem, value);
  }
  std::string FlagStatus(const std::string& value) const {
    const Json* flag = Flag(value);
    return flag ? flag->GetString("status").value_or("") : "<none>";
  }
  size_t TransactionEntries(size_t request_index) const {
    const auto& request = fake_.requests.at(request_index);
    return Json::Parse(request.body)->Find("entry")->size();
  }

  Config config_;
  ManualClock clock_;
  std::ostringstream log_;
  Logger logger_;
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  FakeFhir fake_;
  FakeClient client_;
};

TEST_F(WriterTest, FirstWriteCreatesDeviceThenOneTransaction) {
  Writer writer = MakeWriter();
  ASSERT_TRUE(writer.Write(Active()).ok());
  ASSERT_EQ(fake_.requests.size(), 2u);
  EXPECT_EQ(fake_.requests[0].method, "POST");  // Device, conditional create
  EXPECT_TRUE(fake_.requests[0].headers.Has("If-None-Exist"));
  EXPECT_EQ(fake_.requests[1].url, FakeFhir::kBase);  // the transaction
  EXPECT_EQ(TransactionEntries(1), 3u);               // Flag, CarePlan, Provenance
  EXPECT_EQ(FlagStatus(kOsteoporosisFlag), "active");
  EXPECT_EQ(Flag("p1.vitamin-d-deficient.2025-10-01"), nullptr);
  EXPECT_EQ(fake_.CountType("Provenance"), 1u);
  EXPECT_EQ(fake_.CountType("Device"), 1u);
  const Json* flag = Flag(kOsteoporosisFlag);
  EXPECT_EQ(flag->At({"author", "reference"})->AsString().rfind("Device/", 0), 0u);
  EXPECT_EQ(flag->At({"author", "reference"})->AsString(),
            store_->GetCursor("writer.device")->value());

  auto written = store_->GetWritten(std::string(kFlagSystem) + "|" + kOsteoporosisFlag);
  ASSERT_TRUE(written.ok() && written->has_value());
  EXPECT_EQ((*written)->server_id, *flag->GetString("id"));
  EXPECT_EQ((*written)->version_id, flag->At({"meta", "versionId"})->AsString());
  EXPECT_EQ((*written)->status, "active");
  EXPECT_EQ(metrics_.Value("bonewatch_writes_total", {{"type", "Flag"}, {"result", "created"}}), 1);
}

TEST_F(WriterTest, NothingWrittenWhenNothingChanged) {
  Writer writer = MakeWriter();
  ASSERT_TRUE(writer.Write(Active()).ok());
  const size_t before = fake_.requests.size();
  clock_.Advance(std::chrono::hours(24));  // a new `recorded` must not matter
  ASSERT_TRUE(writer.Write(Active()).ok());
  EXPECT_EQ(fake_.requests.size(), before);
  EXPECT_EQ(metrics_.Value("bonewatch_writes_total", {{"type", "Flag"}, {"result", "unchanged"}}),
            1);
}

TEST_F(WriterTest, EndedEpisodeUpdatesTheFlagByIdWithIfMatch) {
  Writer writer = MakeWriter();
  ASSERT_TRUE(writer.Write(Active()).ok());
  rules::Evaluation later = Active();
  later.findings[0].status = rules::FindingStatus::kInactive;
  later.findings[0].episode_end = D("2026-04-01");
  const size_t before = fake_.requests.size();
  ASSERT_TRUE(writer.Write(later).ok());
  ASSERT_EQ(fake_.requests.size(), before + 1);  // one transaction: the Flag + Provenance
  const auto bundle = *Json::Parse(fake_.requests.back().body);
  const Json& first = (*bundle.Find("entry"))[0];
  EXPECT_EQ(first.At({"request", "url"})->AsString(),
            "Flag/" + *Flag(kOsteoporosisFlag)->GetString("id"));
  EXPECT_NE(first.At({"request", "ifMatch"}), nullptr);
  EXPECT_EQ(FlagStatus(kOsteoporosisFlag), "inactive");
  EXPECT_EQ(fake_.CountType("Flag"), 1u);
}

TEST_F(WriterTest, AFlagWhoseEpisodeVanishedIsWithdrawn) {
  Writer writer = MakeWriter();
  ASSERT_TRUE(writer.Write(Active()).ok());
  rules::Evaluation later = Active();
  later.findings[0].episode_start = D("2026-02-01");  // an earlier session moved the start
  ASSERT_TRUE(writer.Write(later).ok());
  EXPECT_EQ(FlagStatus(kOsteoporosisFlag), "entered-in-error");
  EXPECT_EQ(FlagStatus("p1.osteoporosis.2026-02-01"), "active");
  const size_t before = fake_.requests.size();
  ASSERT_TRUE(writer.Write(later).ok());
  EXPECT_EQ(fake_.requests.size(), before);
}

// Spec v1.1: an episode keeps its identity while its rule holds. Up to v1 the
// engine split an episode whose start formula moved (a DXA due date moving
// from last DXA + 24 months to + 12 when high risk appeared): it closed the
// first Flag and opened one under the formula's new date. The state below is
// what such a version wrote (the writer is unchanged; the v1 findings are the
// old engine's output for this record). The upgraded engine re-evaluates the
// same data: the episode's own Flag becomes active again, the Flag of the
// split identity is withdrawn, and one active Flag is left for the episode.
TEST_F(WriterTest, AnUpgradeFromSplitEpisodesLeavesOneActiveFlagPerEpisode) {
  rules::PatientRecord record;
  record.patient_id = "p1";
  record.demographics.birth_date = D("1960-03-15");
  record.demographics.gender = rules::Gender::kFemale;
  rules::MedicationUse ai;
  ai.medication_class = rules::MedicationClass::kAromataseInhibitor;
  ai.ingredient = "anastrozole";
  ai.status = rules::MedicationStatus::kActive;
  ai.start = D("2022-06-01");
  ai.source = {"MedicationStatement", "ai1", "1", ""};
  record.medications.push_back(ai);
  record.facts.push_back(rules::Fact{rules::Concept::kDxaTScore,
                                     rules::Site::kTotalHip,
                                     -0.5,
                                     D("2022-05-20"),
                                     {"Observation", "t1", "1", ""},
                                     "final"});
  rules::RiskFactorFact smoker;
  smoker.kind = rules::RiskFactorKind::kSmoker;
  smoker.origin = rules::RiskFactorOrigin::kCondition;
  smoker.date = D("2024-07-01");
  smoker.clinically_active = true;
  smoker.present = true;
  smoker.source = {"Condition", "c1", "1", ""};
  record.risk_factors.push_back(smoker);
  const rules::RuleSet rules;

  // v1 and v1.1 agree before the due date moves: the follow-up became due
  // on 2024-05-20 (24 months).
  Writer writer = MakeWriter();
  const rules::Evaluation before = rules::Evaluate(record, D("2024-06-01"), rules);
  ASSERT_TRUE(writer.Write(before).ok());
  const std::string kOwn = "p1.dxa-follow-up-due.2024-05-20";
  const std::string kSplit = "p1.dxa-follow-up-due.2023-05-20";
  ASSERT_EQ(FlagStatus(kOwn), "active");

  // What v1 wrote on 2024-08-01: the episode split on 2024-07-01, and the new
  // one took the formula's date, 2023-05-20 (last DXA + 12 months).
  rules::Evaluation v1 = rules::Evaluate(record, D("2024-08-01"), rules);
  std::vector<rules::Finding> v1_findings;
  for (rules::Finding f : v1.findings) {
    if (f.rule != "dxa-follow-up-due") {
      v1_findings.push_back(f);
      continue;
    }
    rules::Finding closed = f;
    closed.status = rules::FindingStatus::kInactive;
    closed.episode_end = D("2024-07-01");
    v1_findings.push_back(closed);
    f.episode_start = D("2023-05-20");
    v1_findings.push_back(f);
  }
  v1.findings = v1_findings;
  ASSERT_TRUE(writer.Write(v1).ok());
  ASSERT_EQ(FlagStatus(kOwn), "inactive");
  ASSERT_EQ(FlagStatus(kSplit), "active");

  // The upgraded binary re-evaluates.
  const rules::Evaluation v11 = rules::Evaluate(record, D("2024-08-02"), rules);
  ASSERT_TRUE(writer.Write(v11).ok());
  EXPECT_EQ(FlagStatus(kOwn), "active");
  EXPECT_EQ(FlagStatus(kSplit), "entered-in-error");
  size_t active = 0;
  for (const auto& [key, flag] : fake_.resources) {
    if (key.rfind("Flag/", 0) != 0) continue;
    const Json* code = flag.At({"code", "coding"});
    if (flag.GetString("status") == "active" && code != nullptr &&
        (*code)[0].GetString("code") == "dxa-follow-up-due") {
      ++active;
    }
  }
  EXPECT_EQ(active, 1u);
  // Converged: a further evaluation writes nothing.
  const size_t requests = fake_.requests.size();
  ASSERT_TRUE(writer.Write(rules::Evaluate(record, D("2024-08-02"), rules)).ok());
  EXPECT_EQ(fake_.requests.size(), requests);
}

TEST_F(WriterTest, RetractionMakesEverythingEnteredInError) {
  Writer writer = MakeWriter();
  ASSERT_TRUE(writer.Write(Active()).ok());
  rules::Evaluation retracted;
  retracted.patient_id = "p1";
  retracted.as_of = D("2026-04-02");
  retracted.disposition = rules::Disposition::kRetracted;
  ASSERT_TRUE(writer.Write(retracted).ok());
  EXPECT_EQ(FlagStatus(kOsteoporosisFlag), "entered-in-error");
  const Json* careplan = fake_.FindByIdentifier("CarePlan", kCarePlanSystem, "p1.2025-09-01");
  ASSERT_NE(careplan, nullptr);
  EXPECT_EQ(careplan->GetString("status"), "entered-in-error");
  EXPECT_EQ(fake_.CountType("Flag"), 1u);
  EXPECT_EQ(fake_.CountType("CarePlan"), 1u);
}

TEST_F(WriterTest, HumanEditWinsAndIsLeftAloneForTheEpisode) {
  Writer writer = MakeWriter();
  ASSERT_TRUE(writer.Write(Active()).ok());
  Json edited = *Flag(kOsteoporosisFlag);
  const std::string id = *edited.GetString("id");
  edited.Set("status", Json("inactive"));
  fake_.Put("Flag", id, edited);  // another client

  rules::Evaluation changed = Active();
  changed.findings[0].text = "osteoporosis text, new value";
  ASSERT_TRUE(writer.Write(changed).ok());
  EXPECT_EQ(FlagStatus(kOsteoporosisFlag), "inactive");
  auto written = store_->GetWritten(std::string(kFlagSystem) + "|" + kOsteoporosisFlag);
  ASSERT_TRUE(written.ok() && written->has_value());
  EXPECT_TRUE((*written)->human_edited);
  EXPECT_EQ(
      metrics_.Value("bonewatch_writes_total", {{"type", "Flag"}, {"result", "human-edited"}}), 1);

  // Later evaluations do not touch that Flag at all.
  const size_t before = fake_.requests.size();
  changed.findings[0].text = "osteoporosis text, newer value";
  ASSERT_TRUE(writer.Write(changed).ok());
  EXPECT_EQ(fake_.requests.size(), before);
  EXPECT_EQ(FlagStatus(kOsteoporosisFlag), "inactive");
}

TEST_F(WriterTest, ConflictWithoutStatusChangeIsRetriedWithTheNewVersion) {
  Writer writer = MakeWriter();
  ASSERT_TRUE(writer.Write(Active()).ok());
  Json touched = *Flag(kOsteoporosisFlag);
  touched.Set("language", Json("en"));  // another client, status unchanged
  fake_.Put("Flag", *touched.GetString("id"), touched);

  rules::Evaluation changed = Active();
  changed.findings[0].text = "osteoporosis text, new value";
  ASSERT_TRUE(writer.Write(changed).ok());
  EXPECT_EQ(Flag(kOsteoporosisFlag)->At({"code", "text"})->AsString(),
            "osteoporosis text, new value");
  auto written = store_->GetWritten(std::string(kFlagSystem) + "|" + kOsteoporosisFlag);
  EXPECT_FALSE((*written)->human_edited);
}

TEST_F(WriterTest, RefusedTransactionFallsBackToSingleRequests) {
  fake_.transaction_status = 400;
  Writer writer = MakeWriter();
  ASSERT_TRUE(writer.Write(Active()).ok());
  EXPECT_EQ(FlagStatus(kOsteoporosisFlag), "active");
  EXPECT_EQ(fake_.CountType("CarePlan"), 1u);
  EXPECT_EQ(fake_.CountType("Provenance"), 1u);
  // The transaction, then PUT Flag?identifier, PUT CarePlan?identifier, POST Provenance.
  EXPECT_EQ(fake_.Count("PUT"), 2u);
  EXPECT_EQ(metrics_.Value("bonewatch_writes_total", {{"type", "Flag"}, {"result", "created"}}), 1);
}

TEST_F(WriterTest, FailedEntryOfNonAtomicTransactionFallsBackWithoutDuplicates) {
  Writer writer = MakeWriter();
  ASSERT_TRUE(writer.Write(Active()).ok());
  rules::Evaluation later = Active();
  later.findings.push_back(
      Finding("vitamin-d-insufficient", "2026-03-20", rules::FindingStatus::kActive));
  later.findings[0].text = "changed";
  fake_.non_atomic_fail_entry = 1;  // the new Flag fails, the update of the old one is applied
  ASSERT_TRUE(writer.Write(later).ok());
  fake_.non_atomic_fail_entry = -1;
  EXPECT_EQ(fake_.CountType("Flag"), 2u);
  EXPECT_EQ(FlagStatus("p1.vitamin-d-insufficient.2026-03-20"), "active");
  EXPECT_EQ(Flag(kOsteoporosisFlag)->At({"code", "text"})->AsString(), "changed");
  auto written = store_->GetWritten(std::string(kFlagSystem) + "|" + kOsteoporosisFlag);
  EXPECT_FALSE((*written)->human_edited);  // our own unrecorded write is recognised
  const size_t before = fake_.requests.size();
  ASSERT_TRUE(writer.Write(later).ok());
  EXPECT_EQ(fake_.requests.size(), before);
}

TEST_F(WriterTest, TransactionsStayWithinTheEntryLimit) {
  config_.fhir.transaction_max_entries = 2;
  rules::Evaluation e = Active();
  e.findings.push_back(
      Finding("vitamin-d-insufficient", "2026-03-20", rules::FindingStatus::kActive));
  Writer writer = MakeWriter();
  ASSERT_TRUE(writer.Write(e).ok());
  size_t transactions = 0;
  for (size_t i = 0; i < fake_.requests.size(); ++i) {
    if (fake_.requests[i].url != FakeFhir::kBase) continue;
    ++transactions;
    EXPECT_LE(TransactionEntries(i), 2u);
  }
  EXPECT_EQ(transactions, 3u);  // 3 resources, each with its Provenance
  EXPECT_EQ(fake_.CountType("Flag"), 2u);
  EXPECT_EQ(fake_.CountType("Provenance"), 3u);
}

TEST_F(WriterTest, LostStoreConvergesWithoutDuplicates) {
  {
    Writer writer = MakeWriter();
    ASSERT_TRUE(writer.Write(Active()).ok());
  }
  store_ = NewMemoryStore();  // the record of the writes is gone (crash before PutWritten)
  Writer writer = MakeWriter();
  ASSERT_TRUE(writer.Write(Active()).ok());
  EXPECT_EQ(fake_.CountType("Flag"), 1u);
  EXPECT_EQ(fake_.CountType("CarePlan"), 1u);
  EXPECT_EQ(fake_.CountType("Device"), 1u);
}

TEST_F(WriterTest, UnavailableServerFailsAndRecordsNothing) {
  Writer writer = MakeWriter();
  ASSERT_TRUE(writer.Write(Active()).ok());
  rules::Evaluation later = Active();
  later.findings[0].text = "changed";
  fake_.fail_next = 1;
  EXPECT_FALSE(writer.Write(later).ok());
  auto written = store_->GetWritten(std::string(kFlagSystem) + "|" + kOsteoporosisFlag);
  const std::string old_hash = (*written)->content_hash;
  ASSERT_TRUE(writer.Write(later).ok());  // the retry writes it
  EXPECT_NE((*store_->GetWritten(std::string(kFlagSystem) + "|" + kOsteoporosisFlag))->content_hash,
            old_hash);
  EXPECT_EQ(Flag(kOsteoporosisFlag)->At({"code", "text"})->AsString(), "changed");
}

}  // namespace
}  // namespace bonewatch::adapter
