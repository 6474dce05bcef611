// One dead letter per rejected resource version (issue 13 item 3), against the real test FHIR
// server: the Poller re-reads a bad Observation at every poll (the overlap window), the
// Pipeline rejects it every time, and the durable (SQLite) store keeps exactly one letter.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <sstream>
#include <string>

#include "bonewatch/mappings/default_dir.h"
#include "bonewatch/mappings/mapping_set.h"
#include "bonewatch/rules/ruleset.h"
#include "ingest_poller.h"
#include "pipeline.h"
#include "store.h"
#include "test_fhir_server.h"
#include "test_server_client.h"

namespace bonewatch::adapter {
namespace {

using fhir::Json;

constexpr char kLoinc[] = "http://loinc.org";

mappings::MappingSet DefaultMappings() {
  mappings::LoadOptions options;
  options.default_dir = mappings::DefaultMappingsDir(BONEWATCH_SOURCE_DIR);
  return *mappings::LoadMappings(options);
}

class DeadLetterPollTest : public ::testing::Test {
 protected:
  DeadLetterPollTest() : mapper_(DefaultMappings(), mappings::MapperOptions{}) {}

  void SetUp() override {
    server().Reset();
    auto connection = testing::ConnectTestServer(server().base_url(), 1);
    ASSERT_TRUE(connection.ok()) << connection.status().ToString();
    connection_ = std::move(*connection);
    dir_ = std::filesystem::temp_directory_path() /
           ("bonewatch-dead-letter-poll-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    OpenStore();
  }
  void TearDown() override {
    pipeline_.reset();
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  static testing::TestFhirServer& server() { return testing::SharedTestFhirServer(); }

  // (Re)opens the SQLite store, as a restart of the daemon would.
  void OpenStore() {
    pipeline_.reset();
    store_.reset();
    auto store = OpenSqliteStore((dir_ / "bonewatch.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    pipeline_ = std::make_unique<Pipeline>(PipelineDeps{config_,
                                                        *store_,
                                                        *connection_.client,
                                                        mapper_,
                                                        ruleset_,
                                                        metrics_,
                                                        logger_,
                                                        clock_,
                                                        HistoryFetch(),
                                                        {}});
  }

  std::string Post(const std::string& body) {
    testing::TestFhirServer::RawResponse r = server().Raw(
        "POST", "/fhir/Observation", body, {{"Content-Type", "application/fhir+json"}});
    EXPECT_EQ(r.status, 201) << r.body;
    StatusOr<Json> json = Json::Parse(r.body);
    return json.ok() ? json->GetString("id").value_or("") : "";
  }

  // A T-score in kilograms: rejected by the Mapper (the unit does not convert).
  std::string PostBadTScore() {
    return Post(
        R"({"resourceType":"Observation","status":"final","subject":{"reference":"Patient/p1"},)"
        R"("code":{"coding":[{"system":"http://loinc.org","code":"38267-1"}]},)"
        R"("effectiveDateTime":"2026-01-05","valueQuantity":{"value":-2.7,"unit":"kg",)"
        R"("system":"http://unitsofmeasure.org","code":"kg"}})");
  }

  std::unique_ptr<Poller> MakePoller() {
    Config::Poller config;
    config.page_size = 10;
    config.overlap_seconds = 3600;  // every poll reads everything again
    Config::Inputs inputs;
    inputs.condition = false;
    inputs.procedure = false;
    inputs.medication_request = false;
    PollerDeps deps;
    deps.client = connection_.client.get();
    deps.store = store_.get();
    deps.metrics = &metrics_;
    deps.logger = &logger_;
    deps.clock = &clock_;
    return std::make_unique<Poller>(config, inputs,
                                    std::vector<mappings::Criteria>{mappings::Criteria{
                                        "Observation", {{kLoinc, "38267-1"}}, false}},
                                    deps);
  }

  void PollAndProcess() {
    std::unique_ptr<Poller> poller = MakePoller();
    ASSERT_TRUE(poller->RunOnce().ok()) << log_.str();
    auto processed = pipeline_->ProcessInbox(100);
    ASSERT_TRUE(processed.ok()) << processed.status().ToString();
    EXPECT_EQ(store_->InboxDepth().value_or(9), 0u);
  }

  double Rejections() const {
    return metrics_.Value("bonewatch_rejections_total",
                          {{"reason", "rejected:unconvertible-unit"}}) +
           metrics_.Value("bonewatch_rejections_total", {{"reason", "rejected:unknown-unit"}});
  }

  Config config_;
  testing::TestServerClient connection_;
  mappings::Mapper mapper_;
  rules::RuleSet ruleset_;
  Metrics metrics_;
  std::ostringstream log_;
  SystemClock clock_;
  Logger logger_{LogFormat::kText, LogLevel::kInfo, clock_, &log_};
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(DeadLetterPollTest, ABadResourceReadByTenPollsIsOneDeadLetter) {
  const std::string id = PostBadTScore();
  for (int poll = 0; poll < 10; ++poll) {
    PollAndProcess();
    if (poll == 4) OpenStore();  // a restart in between: the letter is durable
  }
  ASSERT_EQ(store_->DeadLetterDepth().value_or(0), 1u);
  auto letters = store_->ListDeadLetters(10);
  ASSERT_TRUE(letters.ok());
  ASSERT_EQ(letters->size(), 1u);
  EXPECT_EQ((*letters)[0].resource, "Observation/" + id);
  EXPECT_EQ((*letters)[0].times_seen, 10);
  StatusOr<fhir::FhirResult> read = connection_.client->Read("Observation", id);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ((*letters)[0].key, "Observation/" + id + "/_history/" +
                                   read->resource.At({"meta", "versionId"})->AsString());
  // Every rejection is counted; one letter was added.
  EXPECT_EQ(Rejections(), 10);
  EXPECT_EQ(metrics_.Value("bonewatch_resources_total",
                           {{"type", "Observation"}, {"result", "rejected"}}),
            10);
  pipeline_->UpdateGauges();
  EXPECT_EQ(metrics_.Value("bonewatch_dead_letters"), 1);

  // A new version, still bad, is one more letter, however often it is read.
  Json changed = read->resource;
  changed.Set("valueQuantity", Json::Object()
                                   .Set("value", -2.8)
                                   .Set("unit", "kg")
                                   .Set("system", "http://unitsofmeasure.org")
                                   .Set("code", "kg"));
  testing::TestFhirServer::RawResponse put =
      server().Raw("PUT", "/fhir/Observation/" + id, changed.Serialize(),
                   {{"Content-Type", "application/fhir+json"}});
  ASSERT_EQ(put.status, 200) << put.body;
  for (int poll = 0; poll < 3; ++poll) PollAndProcess();
  EXPECT_EQ(store_->DeadLetterDepth().value_or(0), 2u);
}

}  // namespace
}  // namespace bonewatch::adapter
