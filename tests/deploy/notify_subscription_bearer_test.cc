// The bearer token travels in the Subscriptions BoneWatch manages: SubscriptionManager puts
// "Authorization: Bearer <token>" (and the shared-secret header) into channel.header, and a
// rest-hook delivery by the real test FHIR server passes the NotificationServer's checks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bonewatch/fhir/client.h"
#include "ingest_server.h"
#include "ingest_subscriptions.h"
#include "metrics.h"
#include "store.h"
#include "test_fhir_server.h"

namespace bonewatch::adapter {
namespace {

constexpr char kReceived[] = "bonewatch_notifications_received_total";
constexpr char kLoinc[] = "http://loinc.org";

TEST(NotifySubscriptionBearer, ManagedSubscriptionsCarryTheTokenAndDeliveryPasses) {
  testing::TestFhirServer& fhir_server = testing::SharedTestFhirServer();
  fhir_server.Reset();
  std::unique_ptr<Store> store = NewMemoryStore();
  Metrics metrics;
  std::ostringstream log;
  SystemClock clock;
  Logger logger{LogFormat::kText, LogLevel::kDebug, clock, &log};

  Config::Notifications notifications;
  notifications.listen_address = "127.0.0.1";
  notifications.port = 0;
  notifications.shared_secret = "s3cret";
  notifications.bearer_token = "tok-123";
  NotificationServerDeps server_deps;
  server_deps.store = store.get();
  server_deps.metrics = &metrics;
  server_deps.logger = &logger;
  server_deps.clock = &clock;
  NotificationServer server(notifications, server_deps);
  ASSERT_TRUE(server.Start().ok());
  notifications.public_endpoint =
      "http://127.0.0.1:" + std::to_string(server.port()) + "/fhir/notify";

  auto transport = fhir::NewCurlTransport({});
  ASSERT_TRUE(transport.ok());
  std::unique_ptr<fhir::AuthProvider> auth = fhir::NewNoAuth();
  fhir::ClientOptions options;
  options.base_url = fhir_server.base_url();
  fhir::Client client(options, **transport, *auth);
  Config::Inputs inputs;
  inputs.condition = false;
  inputs.procedure = false;
  inputs.medication_request = false;
  SubscriptionManagerDeps deps;
  deps.client = &client;
  deps.logger = &logger;
  SubscriptionManager manager(
      notifications, inputs,
      {mappings::Criteria{"Observation", {{kLoinc, "38267-1"}}, false},
       mappings::Criteria{"MedicationStatement",
                          {{"http://www.nlm.nih.gov/research/umls/rxnorm", "84857"}},
                          false}},
      deps);
  for (const fhir::Json& subscription : manager.Desired()) {
    const fhir::Json* headers = subscription.At({"channel", "header"});
    ASSERT_NE(headers, nullptr);
    std::vector<std::string> lines;
    for (const fhir::Json& h : headers->elements()) lines.push_back(h.AsString());
    EXPECT_EQ(lines, (std::vector<std::string>{"x-bonewatch-secret: s3cret",
                                               "Authorization: Bearer tok-123"}));
  }
  ASSERT_TRUE(manager.Ensure().ok()) << log.str();

  const std::string observation =
      R"({"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"38267-1"}]}})";
  ASSERT_EQ(fhir_server
                .Raw("POST", "/fhir/Observation", observation,
                     {{"Content-Type", "application/fhir+json"}})
                .status,
            201);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (metrics.Value(kReceived, {{"result", "stored"}}) < 1 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(metrics.Value(kReceived, {{"result", "stored"}}), 1) << log.str();
  EXPECT_EQ(metrics.Value(kReceived, {{"result", "unauthorized"}}), 0);
  EXPECT_EQ(store->InboxDepth().value_or(0), 1u);
  EXPECT_THAT(log.str(), ::testing::Not(::testing::HasSubstr("tok-123")));
}

}  // namespace
}  // namespace bonewatch::adapter
