// Poller against the real test FHIR server: paging, the watermark, overlap, no loss, and the
// watermark staying put when a page fails.
#include "ingest_poller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bonewatch/fhir/client.h"
#include "ingest_decode.h"
#include "test_fhir_server.h"
#include "test_server_client.h"

namespace bonewatch::adapter {
namespace {

constexpr char kLoinc[] = "http://loinc.org";

class IngestPollerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server().Reset();
    auto connection = testing::ConnectTestServer(server().base_url(), 1);
    ASSERT_TRUE(connection.ok()) << connection.status().ToString();
    connection_ = std::move(*connection);
    criteria_.push_back(
        mappings::Criteria{"Observation", {{kLoinc, "38267-1"}, {kLoinc, "41171-0"}}, false});
  }

  static testing::TestFhirServer& server() { return testing::SharedTestFhirServer(); }

  std::string CreateObservation(const std::string& code) {
    const std::string body =
        R"({"resourceType":"Observation","status":"final","subject":{"reference":"Patient/p1"},)"
        R"("code":{"coding":[{"system":"http://loinc.org","code":")" +
        code + R"("}]}})";
    testing::TestFhirServer::RawResponse r = server().Raw(
        "POST", "/fhir/Observation", body, {{"Content-Type", "application/fhir+json"}});
    EXPECT_EQ(r.status, 201) << r.body;
    StatusOr<fhir::Json> json = fhir::Json::Parse(r.body);
    return json.ok() ? json->GetString("id").value_or("") : "";
  }

  std::unique_ptr<Poller> MakePoller(int overlap_seconds, int page_size = 10) {
    Config::Poller config;
    config.page_size = page_size;
    config.overlap_seconds = overlap_seconds;
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
    return std::make_unique<Poller>(config, inputs, criteria_, deps);
  }

  // Drains the inbox and returns the ids of the Observations it held (in order, duplicates kept).
  std::vector<std::string> DrainObservationIds(size_t* items = nullptr) {
    std::vector<std::string> ids;
    StatusOr<std::vector<InboxItem>> peeked = store_->PeekInbox(1000);
    EXPECT_TRUE(peeked.ok());
    if (items != nullptr) *items = peeked->size();
    for (const InboxItem& item : *peeked) {
      EXPECT_EQ(item.origin, "poll");
      StatusOr<std::vector<WorkUnit>> units = DecodeInboxItem(item);
      EXPECT_TRUE(units.ok()) << units.status().ToString();
      for (const WorkUnit& u : *units) {
        if (u.resource_type == "Observation") ids.push_back(u.resource_id);
      }
      EXPECT_TRUE(store_->AckInbox(item.id).ok());
    }
    return ids;
  }

  std::string Cursor() {
    StatusOr<std::optional<std::string>> c = store_->GetCursor("poll:Observation");
    EXPECT_TRUE(c.ok());
    return c->value_or("");
  }

  testing::TestServerClient connection_;
  std::vector<mappings::Criteria> criteria_;
  std::unique_ptr<Store> store_ = NewMemoryStore();
  Metrics metrics_;
  std::ostringstream log_;
  SystemClock clock_;
  Logger logger_{LogFormat::kText, LogLevel::kDebug, clock_, &log_};
};

TEST_F(IngestPollerTest, PagesStoresWatermarkAndSecondRunTakesOnlyNewerData) {
  std::vector<std::string> first;
  for (int i = 0; i < 25; ++i) first.push_back(CreateObservation(i % 2 ? "38267-1" : "41171-0"));
  CreateObservation("9999-9");  // not in the criteria: filtered by the server
  std::unique_ptr<Poller> poller = MakePoller(/*overlap_seconds=*/0);
  PollStats stats;
  ASSERT_TRUE(poller->PollType("Observation", &stats).ok());
  EXPECT_EQ(stats.pages, 4);  // 3 by code=, 1 (empty) by component-code=
  EXPECT_EQ(stats.resources, 25);
  size_t items = 0;
  std::vector<std::string> got = DrainObservationIds(&items);
  EXPECT_EQ(items, 3u);
  EXPECT_EQ(got, first);  // sorted by _lastUpdated = creation order
  StatusOr<fhir::FhirResult> last = connection_.client->Read("Observation", first.back());
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(Cursor(), last->resource.At({"meta", "lastUpdated"})->AsString());
  EXPECT_EQ(metrics_.Value("bonewatch_poll_resources_total", {{"type", "Observation"}}), 25);

  std::vector<std::string> second;
  for (int i = 0; i < 3; ++i) second.push_back(CreateObservation("38267-1"));
  ASSERT_TRUE(poller->RunOnce().ok());
  EXPECT_EQ(DrainObservationIds(), second);
  EXPECT_GE(metrics_.Value("bonewatch_poll_lag_seconds", {{"type", "Observation"}}), 0);

  ASSERT_TRUE(poller->RunOnce().ok());
  EXPECT_TRUE(DrainObservationIds().empty());
}

// Issue 13 item 1: a panel whose mapped codes are only in component.code is found by the
// component-code search, which keeps its own watermark.
TEST_F(IngestPollerTest, APanelIsFoundByComponentCodeWithItsOwnWatermark) {
  const std::string body =
      R"({"resourceType":"Observation","status":"final","subject":{"reference":"Patient/p1"},)"
      R"("code":{"coding":[{"system":"http://loinc.org","code":"83311-1"}]},)"
      R"("component":[{"code":{"coding":[{"system":"http://loinc.org","code":"38267-1"}]},)"
      R"("valueQuantity":{"value":-2.9,"unit":"{T-score}"}}]})";
  testing::TestFhirServer::RawResponse r =
      server().Raw("POST", "/fhir/Observation", body, {{"Content-Type", "application/fhir+json"}});
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string panel = fhir::Json::Parse(r.body)->GetString("id").value_or("");
  const std::string plain = CreateObservation("38267-1");
  std::unique_ptr<Poller> poller = MakePoller(/*overlap_seconds=*/0);
  ASSERT_TRUE(poller->RunOnce().ok());
  std::vector<std::string> got = DrainObservationIds();
  std::sort(got.begin(), got.end());
  std::vector<std::string> want = {panel, plain};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  StatusOr<std::optional<std::string>> cursor =
      store_->GetCursor(Poller::CursorName("Observation", "component-code"));
  ASSERT_TRUE(cursor.ok() && cursor->has_value());
  EXPECT_EQ(Poller::CursorName("Observation", "component-code"), "poll:Observation?component-code");
  ASSERT_TRUE(poller->RunOnce().ok());
  EXPECT_TRUE(DrainObservationIds().empty());
}

TEST_F(IngestPollerTest, OverlapReReadsButNeverLoses) {
  std::vector<std::string> all;
  for (int i = 0; i < 12; ++i) all.push_back(CreateObservation("38267-1"));
  std::unique_ptr<Poller> poller = MakePoller(/*overlap_seconds=*/120, /*page_size=*/5);
  ASSERT_TRUE(poller->RunOnce().ok());
  std::vector<std::string> run1 = DrainObservationIds();
  EXPECT_EQ(run1, all);
  for (int i = 0; i < 4; ++i) all.push_back(CreateObservation("41171-0"));
  ASSERT_TRUE(poller->RunOnce().ok());
  std::vector<std::string> run2 = DrainObservationIds();
  // Everything written in the last 120 s comes again (harmless duplicates): the new ones too.
  std::set<std::string> seen(run1.begin(), run1.end());
  seen.insert(run2.begin(), run2.end());
  EXPECT_EQ(seen, std::set<std::string>(all.begin(), all.end()));
  for (size_t i = 12; i < all.size(); ++i) {
    EXPECT_THAT(run2, ::testing::Contains(all[i]));
  }
}

TEST_F(IngestPollerTest, FailedPageKeepsTheWatermarkAtTheLastEnqueuedPage) {
  std::vector<std::string> all;
  for (int i = 0; i < 10; ++i) all.push_back(CreateObservation("38267-1"));
  std::unique_ptr<Poller> poller = MakePoller(/*overlap_seconds=*/0, /*page_size=*/4);
  testing::FaultSpec fault;
  fault.count = 1;
  fault.status = 503;
  fault.path = "_offset=4";
  server().InjectFault(fault);
  EXPECT_FALSE(poller->PollType("Observation").ok());
  std::vector<std::string> run1 = DrainObservationIds();
  EXPECT_EQ(run1, std::vector<std::string>(all.begin(), all.begin() + 4));
  StatusOr<fhir::FhirResult> fourth = connection_.client->Read("Observation", all[3]);
  ASSERT_TRUE(fourth.ok());
  EXPECT_EQ(Cursor(), fourth->resource.At({"meta", "lastUpdated"})->AsString());
  // The next run resumes after the last stored page: nothing lost.
  ASSERT_TRUE(poller->PollType("Observation").ok());
  EXPECT_EQ(DrainObservationIds(), std::vector<std::string>(all.begin() + 4, all.end()));
}

}  // namespace
}  // namespace bonewatch::adapter
