// The pipeline, writer and scheduler against the real test FHIR server:
// inbox -> map -> store -> evaluate -> write, re-runs that write nothing,
// human edits that win, and time passing through the Scheduler.
#include <gtest/gtest.h>

#include <sstream>

#include "bonewatch/fhir/auth.h"
#include "bonewatch/fhir/client.h"
#include "bonewatch/fhir/http.h"
#include "bonewatch/mappings/default_dir.h"
#include "bonewatch/mappings/mapping_set.h"
#include "bonewatch/rules/evaluator.h"
#include "pipeline.h"
#include "scheduler.h"
#include "store.h"
#include "test_fhir_server.h"

namespace bonewatch::adapter {
namespace {

using fhir::Json;
using rules::Date;

constexpr char kFlagSystem[] = "http://bonewatch.example/fhir/identifier/flag";

std::chrono::system_clock::time_point At(Date date) {
  return std::chrono::system_clock::time_point(std::chrono::hours(24 * date.days()) +
                                               std::chrono::hours(12));
}

mappings::MappingSet DefaultMappings() {
  mappings::LoadOptions options;
  options.default_dir = mappings::DefaultMappingsDir(BONEWATCH_SOURCE_DIR);
  return *mappings::LoadMappings(options);
}

class PipelineE2eTest : public ::testing::Test {
 protected:
  PipelineE2eTest()
      : clock_(At(*Date::Parse("2026-03-01"))),
        logger_(LogFormat::kText, LogLevel::kInfo, clock_, &log_),
        store_(NewMemoryStore()),
        mapper_(DefaultMappings(), mappings::MapperOptions{}) {}

  void SetUp() override {
    server().Reset();
    transport_ = std::move(*fhir::NewCurlTransport({}));
    auth_ = fhir::NewNoAuth();
    fhir::ClientOptions options;
    options.base_url = server().base_url();
    options.retry.max_attempts = 2;
    client_ = std::make_unique<fhir::Client>(options, *transport_, *auth_);
    pipeline_ = std::make_unique<Pipeline>(PipelineDeps{config_, *store_, *client_, mapper_,
                                                        ruleset_, metrics_, logger_, clock_,
                                                        HistoryFetch(), std::function<void()>()});
  }

  static bonewatch::testing::TestFhirServer& server() {
    return bonewatch::testing::SharedTestFhirServer();
  }

  // POSTs a resource as another client would and returns it as stored.
  Json Post(const std::string& type, const std::string& json) {
    auto response =
        server().Raw("POST", "/fhir/" + type, json, {{"Content-Type", "application/fhir+json"}});
    EXPECT_EQ(response.status, 201) << response.body;
    return *Json::Parse(response.body);
  }

  void Enqueue(const Json& resource) {
    InboxItem item;
    item.origin = "poll";
    item.received_at = "2026-03-01T12:00:00.000Z";
    item.headers_json = "{}";
    item.body = resource.Serialize();
    ASSERT_TRUE(store_->Enqueue(item).ok());
  }

  void Run() {
    auto processed = pipeline_->ProcessInbox(100);
    ASSERT_TRUE(processed.ok()) << processed.status().ToString();
    auto evaluated = pipeline_->EvaluateDirty(100);
    ASSERT_TRUE(evaluated.ok()) << evaluated.status().ToString() << "\n" << log_.str();
  }

  // The Flags with this identifier value on the server.
  std::vector<Json> Flags(const std::string& value) {
    auto response =
        server().Raw("GET", "/fhir/Flag?identifier=" + std::string(kFlagSystem) + "%7C" + value);
    EXPECT_EQ(response.status, 200) << response.body;
    std::vector<Json> flags;
    auto bundle = Json::Parse(response.body);
    if (const Json* entries = bundle->Find("entry")) {
      for (const Json& entry : entries->elements()) flags.push_back(*entry.Find("resource"));
    }
    return flags;
  }
  std::vector<Json> FlagsOfRule(const std::string& patient, const std::string& rule) {
    auto response = server().Raw("GET", "/fhir/Flag?subject=Patient/" + patient + "&_count=100");
    std::vector<Json> flags;
    auto bundle = Json::Parse(response.body);
    if (const Json* entries = bundle->Find("entry")) {
      for (const Json& entry : entries->elements()) {
        const Json* value = entry.Find("resource")->At({"identifier"});
        if (value != nullptr && (*value)[0].GetString("value").value_or("").find(
                                    "." + rule + ".") != std::string::npos) {
          flags.push_back(*entry.Find("resource"));
        }
      }
    }
    return flags;
  }

  // A patient on anastrozole since 2026-01-10 with a baseline DXA of `t_score` on 2026-01-05.
  std::string LoadPatient(double t_score) {
    const Json patient =
        Post("Patient", R"({"resourceType":"Patient","gender":"female","birthDate":"1962-04-02"})");
    const std::string id = *patient.GetString("id");
    Enqueue(patient);
    Enqueue(Post("MedicationStatement",
                 R"({"resourceType":"MedicationStatement","status":"active",
        "medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"84857"}]},
        "subject":{"reference":"Patient/)" +
                     id + R"("},"effectiveDateTime":"2026-01-10"})"));
    Enqueue(
        Post("Observation", R"({"resourceType":"Observation","status":"final",
        "code":{"coding":[{"system":"http://loinc.org","code":"38267-1"}]},
        "subject":{"reference":"Patient/)" +
                                id + R"("},"effectiveDateTime":"2026-01-05",
        "valueQuantity":{"value":)" +
                                std::to_string(t_score) +
                                R"(,"system":"http://unitsofmeasure.org","code":"{T-score}"}})"));
    return id;
  }

  Config config_;
  ManualClock clock_;
  std::ostringstream log_;
  Logger logger_;
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  mappings::Mapper mapper_;
  rules::RuleSet ruleset_;
  std::unique_ptr<fhir::HttpTransport> transport_;
  std::unique_ptr<fhir::AuthProvider> auth_;
  std::unique_ptr<fhir::Client> client_;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(PipelineE2eTest, FlagsAndCarePlanAppearAndASecondRunWritesNothing) {
  const std::string patient = LoadPatient(-2.7);
  Run();
  const std::vector<Json> flags = Flags(patient + ".osteoporosis.2026-01-10");
  ASSERT_EQ(flags.size(), 1u) << log_.str();
  EXPECT_EQ(flags[0].GetString("status"), "active");
  auto careplans = server().Raw("GET",
                                "/fhir/CarePlan?identifier=http://bonewatch.example/fhir/"
                                "identifier/careplan%7C" +
                                    patient + ".2026-01-10");
  EXPECT_EQ(Json::Parse(careplans.body)->GetInt64("total"), 1);

  const int posts = server().RequestCount("POST");
  const int puts = server().RequestCount("PUT");
  ASSERT_TRUE(store_->MarkDirty(patient).ok());  // re-evaluate the same data
  Run();
  EXPECT_EQ(server().RequestCount("POST"), posts);
  EXPECT_EQ(server().RequestCount("PUT"), puts);
}

TEST_F(PipelineE2eTest, AFlagEditedByAnotherClientStaysAsTheyLeftIt) {
  const std::string patient = LoadPatient(-2.7);
  Run();
  std::vector<Json> flags = Flags(patient + ".osteoporosis.2026-01-10");
  ASSERT_EQ(flags.size(), 1u);
  Json edited = flags[0];
  edited.Set("status", Json("inactive"));
  edited.Remove("meta");
  auto put = server().Raw("PUT", "/fhir/Flag/" + *edited.GetString("id"), edited.Serialize(),
                          {{"Content-Type", "application/fhir+json"}});
  ASSERT_EQ(put.status, 200) << put.body;

  // A newer, lower T-score changes the Flag's text: BoneWatch wants to rewrite it.
  Enqueue(Post("Observation", R"({"resourceType":"Observation","status":"final",
      "code":{"coding":[{"system":"http://loinc.org","code":"38267-1"}]},
      "subject":{"reference":"Patient/)" +
                                  patient + R"("},"effectiveDateTime":"2026-02-20",
      "valueQuantity":{"value":-3.1,"system":"http://unitsofmeasure.org","code":"{T-score}"}})"));
  clock_.Set(At(*Date::Parse("2026-03-02")));
  Run();
  flags = Flags(patient + ".osteoporosis.2026-01-10");
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0].GetString("status"), "inactive");
  EXPECT_EQ(
      metrics_.Value("bonewatch_writes_total", {{"type", "Flag"}, {"result", "human-edited"}}), 1)
      << log_.str();
}

TEST_F(PipelineE2eTest, DxaFollowUpDueAppearsOnItsDueDateThroughTheScheduler) {
  const std::string patient = LoadPatient(-0.5);
  Run();
  Scheduler scheduler({config_, *store_, metrics_, logger_, clock_});
  ASSERT_TRUE(FlagsOfRule(patient, "dxa-follow-up-due").empty());
  for (int step = 0; step < 30 && FlagsOfRule(patient, "dxa-follow-up-due").empty(); ++step) {
    // When the Evaluator says the result may change next.
    const Date today = scheduler.Today();
    const rules::Evaluation evaluation =
        rules::Evaluate(*store_->LoadRecord(patient), today, ruleset_);
    ASSERT_TRUE(evaluation.next_evaluation.has_value())
        << "nothing pending at " << today.ToString();
    const Date next = *evaluation.next_evaluation;
    clock_.Set(At(next.AddDays(-1)));
    EXPECT_EQ(*scheduler.RunOnce(), 0u) << next.ToString();
    clock_.Set(At(next));
    EXPECT_EQ(*scheduler.RunOnce(), 1u) << next.ToString();
    Run();
  }
  const std::vector<Json> due = FlagsOfRule(patient, "dxa-follow-up-due");
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].GetString("status"), "active");
  // The episode starts on the due date, which is the day it appeared.
  EXPECT_EQ(due[0].At({"period", "start"})->AsString(), scheduler.Today().ToString());
}

}  // namespace
}  // namespace bonewatch::adapter
