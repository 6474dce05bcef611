// SubscriptionManager against the real test FHIR server: creates, is idempotent, updates on
// changed criteria, removes its stale ones, splits long code lists, leaves others' alone; and,
// with the server in medplum mode (a `requested` Subscription never delivers there), creates them
// active, reads them back, and repairs one that is not active.
#include "ingest_subscriptions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bonewatch/fhir/client.h"
#include "ops_metric_names.h"
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
    metric::DescribeDaemonMetrics(metrics_);
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
    deps.clock = &manual_clock_;
    deps.metrics = &metrics_;
    deps.health = &health_;
    deps.activation_timeout = std::chrono::seconds(60);
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
  ManualClock manual_clock_{std::chrono::system_clock::now()};
  Metrics metrics_;
  SubscriptionHealth health_{&metrics_};

  // PUTs our Subscription `id` back with `status` (as an operator or the server might).
  void ForceStatus(const std::string& id, const std::string& status) {
    auto read = connection_.client->Read("Subscription", id);
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    fhir::Json changed = read->resource;
    changed.Set("status", status);
    ASSERT_TRUE(connection_.client->Update(changed).ok());
  }
  std::string StatusOnServer(const std::string& id) {
    auto read = connection_.client->Read("Subscription", id);
    return read.ok() ? read->resource.GetString("status").value_or("") : "<unreadable>";
  }
};

TEST_F(IngestSubscriptionsTest, InMedplumModeTheyAreCreatedActiveReadBackAndPublished) {
  server().SetMode(testing::ServerMode::kMedplum);
  SubscriptionManager manager = Manager();
  EXPECT_FALSE(health_.Delivering());  // nothing known before the first check
  ASSERT_TRUE(manager.Ensure().ok());
  // Observation by code and by component-code, MedicationStatement, Medication.
  std::vector<fhir::Json> all = AllSubscriptions();
  ASSERT_EQ(all.size(), 4u);
  for (const fhir::Json& s : all) EXPECT_EQ(s.GetString("status"), "active");
  EXPECT_TRUE(manager.writes_active());
  EXPECT_TRUE(health_.Delivering());
  std::vector<SubscriptionState> states = health_.States();
  ASSERT_EQ(states.size(), 4u);
  for (const SubscriptionState& s : states) {
    EXPECT_EQ(s.status, "active");
    EXPECT_FALSE(s.id.empty());
    EXPECT_FALSE(s.last_check.empty());
    EXPECT_THAT(s.criteria, ::testing::AnyOf(::testing::StartsWith("Observation?code="),
                                             ::testing::StartsWith("Observation?component-code="),
                                             ::testing::StartsWith("MedicationStatement?code="),
                                             ::testing::Eq("Medication")));
  }
  EXPECT_EQ(metrics_.Value(metric::kSubscriptions, {{"status", "active"}}), 4);
  EXPECT_EQ(metrics_.Value(metric::kSubscriptions, {{"status", "requested"}}), 0);
}

TEST_F(IngestSubscriptionsTest, ARequestedOneIsRepairedOnceItsActivationTimeLimitHasPassed) {
  server().SetMode(testing::ServerMode::kMedplum);
  SubscriptionManager manager = Manager();
  ASSERT_TRUE(manager.Ensure().ok());
  const std::string id = health_.States().at(0).id;
  ForceStatus(id, "requested");  // on this server it stays requested and never delivers

  EnsureStats stats;
  ASSERT_TRUE(manager.Ensure(&stats).ok());
  EXPECT_EQ(stats.repaired, 0);  // within the time limit: waiting for the server
  EXPECT_FALSE(health_.Delivering());
  EXPECT_EQ(metrics_.Value(metric::kSubscriptions, {{"status", "requested"}}), 1);
  EXPECT_EQ(StatusOnServer(id), "requested");
  const fhir::Json status = health_.ToJson();
  EXPECT_EQ(status.GetBool("delivering"), false);

  manual_clock_.Advance(std::chrono::seconds(61));
  ASSERT_TRUE(manager.Ensure(&stats).ok());
  EXPECT_EQ(stats.repaired, 1);
  EXPECT_EQ(StatusOnServer(id), "active");
  EXPECT_TRUE(health_.Delivering());
  EXPECT_EQ(metrics_.Value(metric::kSubscriptionRepairs, {{"status", "requested"}}), 1);
  EXPECT_THAT(log_.str(), HasSubstr("subscription.repair"));
  EXPECT_THAT(log_.str(), HasSubstr(id));
  for (const SubscriptionState& s : health_.States()) {
    if (s.id == id) {
      EXPECT_EQ(s.repairs, 1);
    }
  }
  ASSERT_TRUE(manager.Ensure(&stats).ok());
  EXPECT_EQ(stats.repaired, 0);
  EXPECT_EQ(stats.unchanged, 4);
}

TEST_F(IngestSubscriptionsTest, AServerThatRefusesActiveGetsRequestedAndActivatesThem) {
  server().SetMode(testing::ServerMode::kDefault, /*atomic_transactions=*/false,
                   /*refuse_active_subscriptions=*/true);
  SubscriptionManager manager = Manager();
  EnsureStats stats;
  ASSERT_TRUE(manager.Ensure(&stats).ok());
  EXPECT_EQ(stats.created, 4);
  EXPECT_FALSE(manager.writes_active());
  EXPECT_THAT(log_.str(), HasSubstr("subscription.active_refused"));
  for (const fhir::Json& s : AllSubscriptions()) EXPECT_EQ(s.GetString("status"), "active");
  EXPECT_TRUE(health_.Delivering());
  // A repair writes `requested` too (the server activates it).
  const std::string id = health_.States().at(0).id;
  ForceStatus(id, "off");  // only `active` is refused
  ASSERT_TRUE(manager.Ensure(&stats).ok());
  EXPECT_EQ(stats.repaired, 1);
  EXPECT_EQ(StatusOnServer(id), "active");
  EXPECT_EQ(stats.unchanged, 3);
}

TEST_F(IngestSubscriptionsTest, AnOffOrErrorOneIsRepairedAtOnceInBothModes) {
  for (testing::ServerMode mode : {testing::ServerMode::kDefault, testing::ServerMode::kMedplum}) {
    SCOPED_TRACE(testing::ServerModeName(mode));
    server().Reset();
    server().SetMode(mode);
    SubscriptionManager manager = Manager();
    ASSERT_TRUE(manager.Ensure().ok());
    std::vector<SubscriptionState> states = health_.States();
    ASSERT_EQ(states.size(), 4u);
    ForceStatus(states[0].id, "off");
    ForceStatus(states[1].id, "error");
    EnsureStats stats;
    ASSERT_TRUE(manager.Ensure(&stats).ok());
    EXPECT_EQ(stats.repaired, 2);
    EXPECT_EQ(StatusOnServer(states[0].id), "active");
    EXPECT_EQ(StatusOnServer(states[1].id), "active");
    EXPECT_TRUE(health_.Delivering());
  }
  EXPECT_EQ(metrics_.Value(metric::kSubscriptionRepairs, {{"status", "off"}}), 2);
  EXPECT_EQ(metrics_.Value(metric::kSubscriptionRepairs, {{"status", "error"}}), 2);
}

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
  EXPECT_EQ(stats.created, 4);
  std::vector<fhir::Json> all = AllSubscriptions();
  ASSERT_EQ(all.size(), 5u);
  std::vector<std::string> criteria;
  for (const fhir::Json& s : all) criteria.push_back(s.GetString("criteria").value_or(""));
  EXPECT_THAT(
      criteria,
      ::testing::UnorderedElementsAre(
          "Patient?name=x", "Observation?code=http://loinc.org|38267-1,http://loinc.org|41171-0",
          // panels: the mapped codes in component.code (issue 13 item 1)
          "Observation?component-code=http://loinc.org|38267-1,http://loinc.org|41171-0",
          "MedicationStatement?code=http://www.nlm.nih.gov/research/umls/"
          "rxnorm|84857",
          // changes of the Medications that requests reference (issue 13 item 2)
          "Medication"));
  for (const fhir::Json& s : all) {
    if (s.GetString("reason") == "someone else") continue;
    EXPECT_EQ(s.At({"channel", "payload"})->AsString(), "application/fhir+json");
    EXPECT_EQ(s.At({"channel", "endpoint"})->AsString(), notifications_.public_endpoint);
    EXPECT_EQ((*s.At({"channel", "header"}))[0].AsString(), "x-bonewatch-secret: topsecret");
  }

  const int writes = Writes();
  ASSERT_TRUE(manager.Ensure(&stats).ok());
  EXPECT_EQ(Writes(), writes);  // nothing written the second time
  EXPECT_EQ(stats.unchanged, 4);
  EXPECT_EQ(stats.created + stats.updated + stats.deleted, 0);
  EXPECT_EQ(AllSubscriptions().size(), 5u);
  EXPECT_THAT(log_.str(), ::testing::Not(HasSubstr("topsecret")));
}

TEST_F(IngestSubscriptionsTest, UpdatesChangedCriteriaAndRemovesStaleOnes) {
  inputs_.medication_request = true;
  criteria_.push_back(mappings::Criteria{"MedicationRequest", {{"urn:x", "1"}}, false});
  ASSERT_TRUE(Manager().Ensure().ok());
  ASSERT_EQ(AllSubscriptions().size(), 5u);  // Observation by code and component-code, Medication

  inputs_.medication_request = false;  // MedicationRequest is no longer read
  criteria_[0].codes.push_back({kLoinc, "2986-8"});
  EnsureStats stats;
  ASSERT_TRUE(Manager().Ensure(&stats).ok());
  EXPECT_EQ(stats.deleted, 1);
  EXPECT_EQ(stats.updated, 2);
  EXPECT_EQ(stats.unchanged, 2);
  EXPECT_EQ(stats.created, 0);
  std::vector<fhir::Json> all = AllSubscriptions();
  ASSERT_EQ(all.size(), 4u);
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
