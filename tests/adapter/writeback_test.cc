// Builders of the written resources (spec §4) from hand-built Evaluations.
#include <gtest/gtest.h>

#include <sstream>

#include "bonewatch/fhir/json.h"
#include "bonewatch/rules/evaluation.h"
#include "writeback_careplan.h"
#include "writeback_device.h"
#include "writeback_flag.h"
#include "writeback_identity.h"
#include "writeback_provenance.h"
#include "writeback_render.h"
#include "writeback_transaction.h"

namespace bonewatch::adapter {
namespace {

using fhir::Json;
using rules::Date;

rules::SourceRef Ref(std::string type, std::string id, std::string version = "",
                     std::string component = "") {
  return {std::move(type), std::move(id), std::move(version), std::move(component)};
}

Date D(const char* text) { return *Date::Parse(text); }

rules::Finding Osteoporosis() {
  rules::Finding f;
  f.rule = "osteoporosis";
  f.status = rules::FindingStatus::kActive;
  f.episode_start = D("2026-03-02");
  f.priority = rules::Priority::kHigh;
  f.evidence = {Ref("Observation", "t1", "2", "component[0]"),
                Ref("Observation", "t1", "2", "component[1]"), Ref("Observation", "t2", "1")};
  f.text =
      "Lowest T-score \u22122.7 (total hip, 2026-03-02): osteoporosis range; consider "
      "bone-directed therapy";
  return f;
}

rules::Evaluation ActiveEvaluation() {
  rules::Evaluation e;
  e.patient_id = "p1";
  e.as_of = D("2026-04-01");
  e.disposition = rules::Disposition::kActive;
  e.course =
      rules::CourseSummary{D("2025-09-01"), std::nullopt, {Ref("MedicationStatement", "ai1", "1")}};
  e.findings.push_back(Osteoporosis());
  rules::Finding ended;
  ended.rule = "vitamin-d-deficient";
  ended.status = rules::FindingStatus::kInactive;
  ended.episode_start = D("2025-10-01");
  ended.episode_end = D("2026-01-10");
  ended.priority = rules::Priority::kMedium;
  ended.evidence = {Ref("Observation", "vd1", "1")};
  ended.text = "25(OH)D 15 ng/mL (2025-10-01): deficient";
  e.findings.push_back(ended);
  rules::PlanActivity baseline;
  baseline.key = "baseline-dxa";
  baseline.status = rules::ActivityStatus::kCompleted;
  baseline.scheduled_start = D("2024-09-01");
  baseline.scheduled_end = D("2025-12-01");
  baseline.description = "Baseline DXA";
  baseline.outcome = {Ref("Observation", "t1", "2", "component[0]"),
                      Ref("Observation", "t1", "2", "component[1]")};
  e.plan.push_back(baseline);
  rules::PlanActivity follow_up;
  follow_up.key = "dxa-follow-up";
  follow_up.status = rules::ActivityStatus::kNotStarted;
  follow_up.scheduled_text = "12-24 months after the baseline DXA";
  follow_up.description = "Follow-up DXA";
  e.plan.push_back(follow_up);
  rules::PlanActivity calcium;
  calcium.key = "calcium-vitamin-d";
  calcium.status = rules::ActivityStatus::kInProgress;
  calcium.scheduled_start = D("2025-09-01");
  calcium.description = "Calcium";
  e.plan.push_back(calcium);
  rules::PlanActivity denosumab;
  denosumab.key = "denosumab-next-dose";
  denosumab.status = rules::ActivityStatus::kScheduled;
  denosumab.scheduled_start = D("2026-06-01");
  denosumab.description = "Denosumab 60 mg";
  e.plan.push_back(denosumab);
  return e;
}

TEST(WritebackIdentity, IdentifierValuesRoundTrip) {
  EXPECT_EQ(FlagIdentifierValue("p.1", "btm-3-month-due", D("2026-01-05")),
            "p.1.btm-3-month-due.2026-01-05");
  auto parsed = ParseFlagIdentifierValue("p.1.btm-3-month-due.2026-01-05");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->patient_id, "p.1");
  EXPECT_EQ(parsed->rule, "btm-3-month-due");
  EXPECT_EQ(parsed->episode_start, D("2026-01-05"));
  EXPECT_FALSE(ParseFlagIdentifierValue("p1.no-such-rule.2026-01-05"));
  EXPECT_FALSE(ParseFlagIdentifierValue("osteoporosis.2026-01-05"));
  EXPECT_FALSE(ParseFlagIdentifierValue("p1.osteoporosis.2026-02-30"));
  auto plan = ParseCarePlanIdentifierValue("p1.2025-09-01");
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->patient_id, "p1");
  EXPECT_EQ(CarePlanIdentifierValue("p1", D("2025-09-01")), "p1.2025-09-01");
}

TEST(WritebackIdentity, UuidsAreDeterministicAndDependOnBase) {
  WritebackOptions a;
  WritebackOptions b;
  b.base = "https://other.example/fhir";
  const std::string u = DeterministicUrnUuid(a, "x");
  EXPECT_EQ(u, DeterministicUrnUuid(a, "x"));
  EXPECT_NE(u, DeterministicUrnUuid(a, "y"));
  EXPECT_NE(u, DeterministicUrnUuid(b, "x"));
  ASSERT_EQ(u.size(), std::string("urn:uuid:").size() + 36);
  EXPECT_EQ(u[9 + 14], '5');  // version 5 (SHA-1, name-based)
}

TEST(WritebackFlag, ActiveFlagExactly) {
  const Json flag = BuildFlag(Osteoporosis(), "p1", WritebackOptions(), "Device/bw");
  EXPECT_EQ(
      flag.Serialize(),
      R"({"resourceType":"Flag","meta":{"tag":[{"system":"http://bonewatch.example/fhir/CodeSystem/tag","code":"bonewatch"}]},)"
      R"("extension":[{"url":"http://hl7.org/fhir/StructureDefinition/flag-priority","valueCodeableConcept":{"coding":[{"system":"http://hl7.org/fhir/flag-priority-code","code":"PH","display":"High priority"}]}},)"
      R"({"url":"http://hl7.org/fhir/StructureDefinition/flag-detail","valueReference":{"reference":"Observation/t1"}},)"
      R"({"url":"http://hl7.org/fhir/StructureDefinition/flag-detail","valueReference":{"reference":"Observation/t2"}}],)"
      R"("identifier":[{"system":"http://bonewatch.example/fhir/identifier/flag","value":"p1.osteoporosis.2026-03-02"}],)"
      R"("status":"active","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/flag-category","code":"clinical","display":"Clinical"}]}],)"
      R"("code":{"coding":[{"system":"http://bonewatch.example/fhir/CodeSystem/rule","code":"osteoporosis","display":"Osteoporosis-range T-score"}],)"
      R"("text":"Lowest T-score )"
      "\u2212"
      R"(2.7 (total hip, 2026-03-02): osteoporosis range; consider bone-directed therapy"},)"
      R"("subject":{"reference":"Patient/p1"},"period":{"start":"2026-03-02"},"author":{"reference":"Device/bw"}})");
}

TEST(WritebackFlag, InactiveFlagHasPeriodEnd) {
  const rules::Evaluation e = ActiveEvaluation();
  const Json flag = BuildFlag(e.findings[1], "p1", WritebackOptions(), "Device/bw");
  EXPECT_EQ(flag.GetString("status"), "inactive");
  EXPECT_EQ(flag.At({"period"})->Serialize(), R"({"start":"2025-10-01","end":"2026-01-10"})");
  EXPECT_EQ(
      (*flag.Find("extension"))[0].At({"valueCodeableConcept"})->Serialize(),
      R"({"coding":[{"system":"http://hl7.org/fhir/flag-priority-code","code":"PM","display":"Medium priority"}]})");
}

TEST(WritebackFlag, ConfiguredBaseChangesEverySystem) {
  WritebackOptions options;
  options.base = "https://bw.hospital.org/fhir";
  const std::string text = BuildFlag(Osteoporosis(), "p1", options, "Device/bw").Serialize();
  EXPECT_EQ(text.find("bonewatch.example"), std::string::npos);
  EXPECT_NE(text.find("https://bw.hospital.org/fhir/identifier/flag"), std::string::npos);
  EXPECT_NE(text.find("https://bw.hospital.org/fhir/CodeSystem/rule"), std::string::npos);
  EXPECT_NE(text.find("https://bw.hospital.org/fhir/CodeSystem/tag"), std::string::npos);
}

TEST(WritebackFlag, RetractedFlagFromIdentifier) {
  const Json flag = BuildRetractedFlag(*ParseFlagIdentifierValue("p1.osteopenia.2025-11-03"),
                                       WritebackOptions(), "Device/bw");
  EXPECT_EQ(flag.GetString("status"), "entered-in-error");
  EXPECT_EQ(flag.Find("extension"), nullptr);
  EXPECT_EQ(flag.At({"period", "start"})->AsString(), "2025-11-03");
  EXPECT_EQ((*flag.At({"code", "coding"}))[0].GetString("code"), "osteopenia");
}

TEST(WritebackCarePlan, ActiveCarePlan) {
  const Json plan = BuildCarePlan(ActiveEvaluation(), WritebackOptions());
  EXPECT_EQ(plan.GetString("status"), "active");
  EXPECT_EQ(plan.GetString("intent"), "plan");
  EXPECT_EQ(plan.GetString("title"), "Bone health monitoring during aromatase inhibitor therapy");
  EXPECT_EQ(
      plan.Find("identifier")->Serialize(),
      R"([{"system":"http://bonewatch.example/fhir/identifier/careplan","value":"p1.2025-09-01"}])");
  EXPECT_EQ(
      plan.Find("category")->Serialize(),
      R"([{"coding":[{"system":"http://hl7.org/fhir/us/core/CodeSystem/careplan-category","code":"assess-plan","display":"Assessment and Plan of Treatment"}]}])");
  EXPECT_EQ(plan.Find("period")->Serialize(), R"({"start":"2025-09-01"})");
  EXPECT_EQ(plan.Find("supportingInfo")->Serialize(),
            R"([{"reference":"MedicationStatement/ai1"}])");
  const Json& activities = *plan.Find("activity");
  ASSERT_EQ(activities.size(), 4u);
  EXPECT_EQ(
      activities[0].Serialize(),
      R"({"outcomeReference":[{"reference":"Observation/t1"}],"detail":{"kind":"ServiceRequest",)"
      R"j("code":{"coding":[{"system":"http://snomed.info/sct","code":"312681000","display":"Bone density scan (procedure)"},)j"
      R"({"system":"http://bonewatch.example/fhir/CodeSystem/activity","code":"baseline-dxa"}],"text":"Baseline DXA scan"},)"
      R"("status":"completed","scheduledPeriod":{"start":"2024-09-01","end":"2025-12-01"},"description":"Baseline DXA"}})");
  EXPECT_EQ(activities[1].At({"detail", "scheduledString"})->AsString(),
            "12-24 months after the baseline DXA");
  EXPECT_EQ(activities[1].At({"detail", "status"})->AsString(), "not-started");
  EXPECT_EQ(activities[2].At({"detail", "kind"})->AsString(), "NutritionOrder");
  EXPECT_EQ(activities[2].At({"detail", "code", "coding"})->size(), 1u);
  EXPECT_EQ(
      activities[3].At({"detail", "code", "coding"})->Serialize(),
      R"([{"system":"http://www.whocc.no/atc","code":"M05BX04","display":"Denosumab"},)"
      R"({"system":"http://bonewatch.example/fhir/CodeSystem/activity","code":"denosumab-next-dose"}])");
}

TEST(WritebackCarePlan, StatusFollowsDisposition) {
  rules::Evaluation e = ActiveEvaluation();
  e.disposition = rules::Disposition::kCompleted;
  e.course->end = D("2026-03-31");
  const Json plan = BuildCarePlan(e, WritebackOptions());
  EXPECT_EQ(plan.GetString("status"), "completed");
  EXPECT_EQ(plan.Find("period")->Serialize(), R"({"start":"2025-09-01","end":"2026-03-31"})");
  const Json retracted =
      BuildRetractedCarePlan(*ParseCarePlanIdentifierValue("p1.2025-09-01"), WritebackOptions());
  EXPECT_EQ(retracted.GetString("status"), "entered-in-error");
  EXPECT_EQ(retracted.Find("activity"), nullptr);
}

TEST(WritebackCarePlan, EveryActivityKeyHasADefinition) {
  for (std::string_view key : rules::kActivityKeys) {
    EXPECT_TRUE(ActivityClinicalCoding(key)) << key;
  }
}

TEST(WritebackDevice, ConditionalCreate) {
  EXPECT_EQ(
      BuildDevice(WritebackOptions()).Serialize(),
      R"({"resourceType":"Device","meta":{"tag":[{"system":"http://bonewatch.example/fhir/CodeSystem/tag","code":"bonewatch"}]},)"
      R"("identifier":[{"system":"http://bonewatch.example/fhir/identifier/device","value":"bonewatch"}],)"
      R"("status":"active","deviceName":[{"name":"BoneWatch","type":"user-friendly-name"}]})");
  EXPECT_EQ(DeviceConditionalQuery(WritebackOptions()),
            "identifier=http://bonewatch.example/fhir/identifier/device|bonewatch");
}

TEST(WritebackProvenance, VersionSpecificSortedUniqueEntities) {
  const Json p = BuildProvenance({"urn:uuid:a", "urn:uuid:b"}, "2026-04-01T00:00:00Z", "urn:uuid:d",
                                 {Ref("Observation", "t2"), Ref("Observation", "t1", "2", "c0"),
                                  Ref("Observation", "t1", "2", "c1")},
                                 WritebackOptions());
  EXPECT_EQ(p.Find("target")->Serialize(),
            R"([{"reference":"urn:uuid:a"},{"reference":"urn:uuid:b"}])");
  EXPECT_EQ(p.GetString("recorded"), "2026-04-01T00:00:00Z");
  EXPECT_EQ(p.Find("agent")->Serialize(), R"([{"who":{"reference":"urn:uuid:d"}}])");
  EXPECT_EQ(p.Find("entity")->Serialize(),
            R"([{"role":"source","what":{"reference":"Observation/t1/_history/2"}},)"
            R"({"role":"source","what":{"reference":"Observation/t2"}}])");
}

TEST(WritebackTransaction, OfflineWritesActiveFlagsCarePlanAndProvenance) {
  const rules::Evaluation e = ActiveEvaluation();
  auto bundle = BuildWritebackTransaction({{&e, {}}}, "2026-04-01T00:00:00Z", WritebackOptions());
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  EXPECT_EQ(bundle->GetString("type"), "transaction");
  const Json& entries = *bundle->Find("entry");
  ASSERT_EQ(entries.size(), 4u);  // Device, the active Flag, CarePlan, Provenance
  const std::string device_url = DeviceFullUrl(WritebackOptions());
  EXPECT_EQ(entries[0].GetString("fullUrl"), device_url);
  EXPECT_EQ(
      entries[0].Find("request")->Serialize(),
      R"({"method":"POST","url":"Device","ifNoneExist":"identifier=http://bonewatch.example/fhir/identifier/device|bonewatch"})");
  EXPECT_EQ(
      entries[1].Find("request")->Serialize(),
      R"({"method":"PUT","url":"Flag?identifier=http://bonewatch.example/fhir/identifier/flag|p1.osteoporosis.2026-03-02"})");
  EXPECT_EQ(entries[1].At({"resource", "author", "reference"})->AsString(), device_url);
  EXPECT_EQ(
      entries[2].Find("request")->Serialize(),
      R"({"method":"PUT","url":"CarePlan?identifier=http://bonewatch.example/fhir/identifier/careplan|p1.2025-09-01"})");
  const Json& provenance = *entries[3].Find("resource");
  EXPECT_EQ(entries[3].Find("request")->Serialize(), R"({"method":"POST","url":"Provenance"})");
  ASSERT_EQ(provenance.Find("target")->size(), 2u);
  EXPECT_EQ((*provenance.Find("target"))[0].GetString("reference"),
            entries[1].GetString("fullUrl"));
  EXPECT_EQ((*provenance.Find("target"))[1].GetString("reference"),
            entries[2].GetString("fullUrl"));
  EXPECT_EQ(provenance.At({"agent"})->Serialize(),
            R"([{"who":{"reference":")" + device_url + R"("}}])");
  // Evidence of the written flag, the AI medication and the plan outcomes; not the
  // unwritten inactive flag's vitamin D sample.
  EXPECT_EQ(provenance.Find("entity")->size(), 3u);
  EXPECT_EQ(provenance.Find("entity")->Serialize().find("vd1"), std::string::npos);
}

TEST(WritebackTransaction, PreviouslyWrittenFlagIsUpdatedWhenItsEpisodeEnds) {
  const rules::Evaluation e = ActiveEvaluation();
  PriorWrites prior;
  prior.flag_identifiers = {"p1.vitamin-d-deficient.2025-10-01"};
  auto bundle =
      BuildWritebackTransaction({{&e, prior}}, "2026-04-01T00:00:00Z", WritebackOptions());
  ASSERT_TRUE(bundle.ok());
  const Json& entries = *bundle->Find("entry");
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[2].At({"resource", "status"})->AsString(), "inactive");
}

TEST(WritebackTransaction, OutOfScopeAndOfflineRetractionWriteNothing) {
  rules::Evaluation out;
  out.patient_id = "p2";
  out.disposition = rules::Disposition::kOutOfScope;
  rules::Evaluation retracted;
  retracted.patient_id = "p3";
  retracted.disposition = rules::Disposition::kRetracted;
  auto bundle = BuildWritebackTransaction({{&out, {}}, {&retracted, {}}}, "2026-04-01T00:00:00Z",
                                          WritebackOptions());
  ASSERT_TRUE(bundle.ok());
  EXPECT_EQ(bundle->Serialize(), R"({"resourceType":"Bundle","type":"transaction"})");
}

TEST(WritebackTransaction, RetractionMakesPriorWritesEnteredInError) {
  rules::Evaluation retracted;
  retracted.patient_id = "p3";
  retracted.disposition = rules::Disposition::kRetracted;
  PriorWrites prior{{"p3.osteopenia.2025-11-03", "other.osteopenia.2025-11-03"}, {"p3.2025-09-01"}};
  auto bundle =
      BuildWritebackTransaction({{&retracted, prior}}, "2026-04-01T00:00:00Z", WritebackOptions());
  ASSERT_TRUE(bundle.ok());
  const Json& entries = *bundle->Find("entry");
  ASSERT_EQ(entries.size(), 4u);  // Device, Flag, CarePlan, Provenance
  EXPECT_EQ(entries[1].At({"resource", "status"})->AsString(), "entered-in-error");
  EXPECT_EQ(entries[2].At({"resource", "status"})->AsString(), "entered-in-error");
  EXPECT_EQ(entries[3].At({"resource", "target"})->size(), 2u);
}

TEST(WritebackTransaction, DeterministicAndStreamedBytesEqualTheDom) {
  const rules::Evaluation a = ActiveEvaluation();
  rules::Evaluation b = ActiveEvaluation();
  b.patient_id = "p2";
  rules::Evaluation none;
  none.patient_id = "p0";
  const std::vector<WritebackInput> inputs = {{&a, {}}, {&none, {}}, {&b, {}}};
  auto first = BuildWritebackTransaction(inputs, "2026-04-01T00:00:00Z", WritebackOptions());
  auto second = BuildWritebackTransaction(inputs, "2026-04-01T00:00:00Z", WritebackOptions());
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->SerializePretty(), second->SerializePretty());

  std::ostringstream streamed;
  TransactionWriter writer(streamed, WritebackOptions());
  for (const WritebackInput& input : inputs) {
    ASSERT_TRUE(
        writer.Add(BuildPatientEntries(input, "2026-04-01T00:00:00Z", WritebackOptions())).ok());
  }
  writer.Finish();
  EXPECT_EQ(streamed.str(), first->SerializePretty() + "\n");

  std::ostringstream empty;
  TransactionWriter empty_writer(empty, WritebackOptions());
  empty_writer.Finish();
  auto empty_dom = BuildWritebackTransaction({}, "2026-04-01T00:00:00Z", WritebackOptions());
  EXPECT_EQ(empty.str(), empty_dom->SerializePretty() + "\n");
}

// The direct renderer (writeback_render.h) writes what the builders give, on
// evaluations the generated cohorts do not have: texts to escape, URN patient
// ids, long reference lists with repeats out of order, references whose
// "Type/id" text is the same from different parts.
TEST(WritebackRender, DirectRenderingEqualsTheBuildersOnTrickyEvaluations) {
  std::vector<rules::Evaluation> evaluations;
  evaluations.push_back(ActiveEvaluation());

  rules::Evaluation tricky = ActiveEvaluation();
  tricky.patient_id = std::string("p\"q\\r/\x01\n\u00e9", 10);
  tricky.findings[0].text = "quote \" backslash \\ tab \t nul " + std::string(1, '\0') + " \u2212";
  tricky.findings[1].status = rules::FindingStatus::kActive;
  tricky.findings[1].episode_end.reset();
  for (int i = 40; i > 0; --i) {
    const std::string id = "o" + std::to_string(i % 13);
    tricky.findings[0].evidence.push_back(Ref("Observation", id, std::to_string(i % 3)));
    tricky.course->medications.push_back(
        Ref("MedicationRequest", "m" + std::to_string(i % 7), i % 2 == 0 ? "" : std::to_string(i)));
    tricky.plan[0].outcome.push_back(
        Ref("Observation", id, "", "component[" + std::to_string(i) + "]"));
  }
  // The same text "a/b/c" from two references: one flag-detail, one entity.
  tricky.findings[1].evidence = {Ref("a/b", "c"), Ref("a", "b/c"), Ref("a", "b/c", "1")};
  evaluations.push_back(tricky);

  rules::Evaluation urn = ActiveEvaluation();
  urn.patient_id = "urn:uuid:0f0e0d0c-0b0a-4908-8706-050403020100";
  urn.disposition = rules::Disposition::kCompleted;
  urn.course->end = D("2026-02-01");
  urn.plan.clear();
  urn.course->medications.clear();
  evaluations.push_back(urn);

  for (const std::string base : {"http://bonewatch.example/fhir", "https://x.test/r4"}) {
    WritebackOptions options;
    options.base = base;
    for (const rules::Evaluation& evaluation : evaluations) {
      const auto direct = RenderOfflineEntries(evaluation, "2026-04-01T00:00:00Z", options);
      const auto built = RenderPatientEntries(
          BuildPatientEntries(WritebackInput{&evaluation, {}}, "2026-04-01T00:00:00Z", options));
      ASSERT_TRUE(direct.ok() && built.ok()) << evaluation.patient_id;
      EXPECT_EQ(direct->count, built->count) << evaluation.patient_id;
      EXPECT_EQ(direct->text, built->text) << evaluation.patient_id;
    }
  }
}

}  // namespace
}  // namespace bonewatch::adapter
