// SubscriptionManager against the real test FHIR server: creates, is idempotent, updates on
// changed criteria, removes its stale ones, splits long code lists, leaves others' alone.
#include "ingest_subscriptions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bonewatch/fhir/client.h"
#include "test_fhir_server.h"
#include "test_server_client.h"

namespace bonewatch::adapter {
namespace {

using ::testing::HasSubstr;

constexpr char kLoinc[] = "http://loinc.org";

class IngestSubscriptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server().Reset();
    auto connection = testing::ConnectTestServer(server().base_url());
    ASSERT_TRUE(connection.ok()) << connection.status().ToString();
    connection_ = std::move(*connection);
    notifications_.public_endpoint = "http://127.0.0.1:1/fhir/notify";
    notifications_.shared_secret = "topsecret";
    inputs_.condition = false;
    inputs_.procedure = false;
    inputs_.medication_request = false;
    criteria_ = {
        mappings::Criteria{"Observation", {{kLoinc, "38267-1"}, {kLoinc, "41171-0"}}, false},
        mappings::Criteria{"MedicationStatement",
                           {{"http://www.nlm.nih.gov/research/umls/rxnorm", "84857"}},
                           false},
    };
  }

  static testing::TestFhirServer& server() { return testing::SharedTestFhirServer(); }

  SubscriptionManager Manager(size_t max_chars = 1500) {
    SubscriptionManagerDeps deps;
    deps.client = connection_.client.get();
    deps.logger = &logger_;
    deps.max_criteria_chars = max_chars;
    return SubscriptionManager(notifications_, inputs_, criteria_, deps);
  }

  std::vector<fhir::Json> AllSubscriptions() {
    StatusOr<std::vector<fhir::Json>> all = connection_.client->SearchAll("Subscription", {});
    EXPECT_TRUE(all.ok()) << all.status().ToString();
    return all.value_or({});
  }

  int Writes() {
    return server().RequestCount("POST") + server().RequestCount("PUT") +
           server().RequestCount("DELETE");
  }

  testing::TestServerClient connection_;
  Config::Notifications notifications_;
  Config::Inputs inputs_;
  std::vector<mappings::Criteria> criteria_;
  std::ostringstream log_;
  SystemClock clock_;
  Logger logger_{LogFormat::kText, LogLevel::kDebug, clock_, &log_};
};

TEST_F(IngestSubscriptionsTest, CreatesThenIsIdempotentAndLeavesOthersAlone) {
  const std::string foreign =
      R"({"resourceType":"Subscription","status":"requested","reason":"someone else",
          "criteria":"Patient?name=x","channel":{"type":"rest-hook","endpoint":"http://127.0.0.1:2/x"}})";
  ASSERT_EQ(
      server()
          .Raw("POST", "/fhir/Subscription", foreign, {{"Content-Type", "application/fhir+json"}})
          .status,
      201);
  SubscriptionManager manager = Manager();
  EnsureStats stats;
  ASSERT_TRUE(manager.Ensure(&stats).ok());
  EXPECT_EQ(stats.created, 3);
  std::vector<fhir::Json> all = AllSubscriptions();
  ASSERT_EQ(all.size(), 4u);
  std::vector<std::string> criteria;
  for (const fhir::Json& s : all) criteria.push_back(s.GetString("criteria").value_or(""));
  EXPECT_THAT(
      criteria,
      ::testing::UnorderedElementsAre(
          "Patient?name=x", "Observation?code=http://loinc.org|38267-1,http://loinc.org|41171-0",
          // panels: the mapped codes in component.code (issue 13 item 1)
          "Observation?component-code=http://loinc.org|38267-1,http://loinc.org|41171-0",
          "MedicationStatement?code=http://www.nlm.nih.gov/research/umls/"
          "rxnorm|84857"));
  for (const fhir::Json& s : all) {
    if (s.GetString("reason") == "someone else") continue;
    EXPECT_EQ(s.At({"channel", "payload"})->AsString(), "application/fhir+json");
    EXPECT_EQ(s.At({"channel", "endpoint"})->AsString(), notifications_.public_endpoint);
    EXPECT_EQ((*s.At({"channel", "header"}))[0].AsString(), "x-bonewatch-secret: topsecret");
  }

  const int writes = Writes();
  ASSERT_TRUE(manager.Ensure(&stats).ok());
  EXPECT_EQ(Writes(), writes);  // nothing written the second time
  EXPECT_EQ(stats.unchanged, 3);
  EXPECT_EQ(stats.created + stats.updated + stats.deleted, 0);
  EXPECT_EQ(AllSubscriptions().size(), 4u);
  EXPECT_THAT(log_.str(), ::testing::Not(HasSubstr("topsecret")));
}

TEST_F(IngestSubscriptionsTest, UpdatesChangedCriteriaAndRemovesStaleOnes) {
  inputs_.medication_request = true;
  criteria_.push_back(mappings::Criteria{"MedicationRequest", {{"urn:x", "1"}}, false});
  ASSERT_TRUE(Manager().Ensure().ok());
  ASSERT_EQ(AllSubscriptions().size(), 4u);  // Observation by code and by component-code

  inputs_.medication_request = false;  // MedicationRequest is no longer read
  criteria_[0].codes.push_back({kLoinc, "2986-8"});
  EnsureStats stats;
  ASSERT_TRUE(Manager().Ensure(&stats).ok());
  EXPECT_EQ(stats.deleted, 1);
  EXPECT_EQ(stats.updated, 2);
  EXPECT_EQ(stats.unchanged, 1);
  EXPECT_EQ(stats.created, 0);
  std::vector<fhir::Json> all = AllSubscriptions();
  ASSERT_EQ(all.size(), 3u);
  for (const fhir::Json& s : all) {
    EXPECT_THAT(s.GetString("criteria").value_or(""),
                ::testing::Not(HasSubstr("MedicationRequest")));
    if (s.GetString("criteria")->starts_with("Observation")) {
      EXPECT_THAT(*s.GetString("criteria"), HasSubstr("2986-8"));
    }
  }
}

TEST_F(IngestSubscriptionsTest, LongCodeListsAreSplitOverSeveralAndStayIdempotent) {
  for (int i = 0; i < 10; ++i) criteria_[0].codes.push_back({kLoinc, "1000" + std::to_string(i)});
  SubscriptionManager manager = Manager(/*max_chars=*/80);
  std::vector<fhir::Json> desired = manager.Desired();
  int observation = 0;
  for (const fhir::Json& s : desired) {
    const std::string c = s.GetString("criteria").value_or("");
    if (c.starts_with("Observation")) {
      ++observation;
      EXPECT_LE(c.size(), c.find('=') + 1 + 80);  // "Observation?{code|component-code}="
    }
  }
  EXPECT_GE(observation, 3);
  EnsureStats stats;
  ASSERT_TRUE(manager.Ensure(&stats).ok());
  EXPECT_EQ(stats.created, static_cast<int>(desired.size()));
  ASSERT_TRUE(manager.Ensure(&stats).ok());
  EXPECT_EQ(stats.unchanged, static_cast<int>(desired.size()));
}

TEST_F(IngestSubscriptionsTest, PrefixCodesSubscribeWithoutCodeFilter) {
  inputs_.condition = true;
  criteria_.push_back(
      mappings::Criteria{"Condition", {{"http://hl7.org/fhir/sid/icd-10", "M80"}}, true});
  bool found = false;
  for (const fhir::Json& s : Manager().Desired()) {
    if (s.GetString("criteria") == "Condition") found = true;
  }
  EXPECT_TRUE(found);
}

TEST_F(IngestSubscriptionsTest, MissingEndpointIsAnError) {
  notifications_.public_endpoint.clear();
  Status status = Manager().Ensure();
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace bonewatch::adapter
