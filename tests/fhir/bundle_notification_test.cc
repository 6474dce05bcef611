// ReadSubscriptionNotification: R4B/R5 SubscriptionStatus and R4 backport
// Parameters, with empty / id-only / full-resource content.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "bonewatch/fhir/bundle.h"

namespace bonewatch::fhir {
namespace {

using ::testing::HasSubstr;

StatusOr<SubscriptionNotification> ReadNotification(std::string_view text) {
  ASSIGN_OR_RETURN(Json json, Json::Parse(text));
  ASSIGN_OR_RETURN(Bundle bundle, ReadBundle(std::move(json)));
  return ReadSubscriptionNotification(std::move(bundle));
}

constexpr char kR4bFullResource[] = R"({
  "resourceType": "Bundle", "id": "n1", "type": "subscription-notification",
  "timestamp": "2024-03-05T10:00:01Z",
  "entry": [
    {"fullUrl": "urn:uuid:9e3a4c9e-0000-4000-8000-000000000001",
     "resource": {
       "resourceType": "SubscriptionStatus", "status": "active", "type": "event-notification",
       "eventsSinceSubscriptionStart": "12",
       "notificationEvent": [
         {"eventNumber": "12", "timestamp": "2024-03-05T10:00:00Z",
          "focus": {"reference": "https://ehr.example/fhir/Observation/o1"},
          "additionalContext": [{"reference": "Patient/p1"}]}],
       "subscription": {"reference": "https://ehr.example/fhir/Subscription/s1"},
       "topic": "http://bonewatch.example/fhir/SubscriptionTopic/bone-relevant"}},
    {"fullUrl": "https://ehr.example/fhir/Observation/o1",
     "resource": {"resourceType": "Observation", "id": "o1"}}
  ]
})";

constexpr char kR4bIdOnlyR5Numbers[] = R"({
  "resourceType": "Bundle", "type": "subscription-notification",
  "entry": [
    {"resource": {
       "resourceType": "SubscriptionStatus", "status": "active", "type": "event-notification",
       "eventsSinceSubscriptionStart": 3,
       "notificationEvent": [{"eventNumber": 3, "focus": {"reference": "Observation/o2"}}],
       "subscription": {"reference": "Subscription/s1"}}},
    {"fullUrl": "https://ehr.example/fhir/Observation/o2"}
  ]
})";

constexpr char kR4bHandshake[] = R"({
  "resourceType": "Bundle", "type": "subscription-notification",
  "entry": [{"resource": {"resourceType": "SubscriptionStatus", "status": "requested",
                          "type": "handshake", "eventsSinceSubscriptionStart": "0",
                          "subscription": {"reference": "Subscription/s1"}}}]
})";

constexpr char kBackportIdOnly[] = R"({
  "resourceType": "Bundle", "type": "history", "timestamp": "2024-03-05T10:00:01Z",
  "entry": [
    {"fullUrl": "urn:uuid:9e3a4c9e-0000-4000-8000-000000000002",
     "resource": {"resourceType": "Parameters", "parameter": [
       {"name": "subscription", "valueReference": {"reference": "https://ehr.example/fhir/Subscription/s2"}},
       {"name": "topic", "valueCanonical": "http://bonewatch.example/fhir/SubscriptionTopic/bone-relevant"},
       {"name": "status", "valueCode": "active"},
       {"name": "type", "valueCode": "event-notification"},
       {"name": "events-since-subscription-start", "valueString": "7"},
       {"name": "notification-event", "part": [
         {"name": "event-number", "valueString": "6"},
         {"name": "timestamp", "valueInstant": "2024-03-05T09:59:00Z"},
         {"name": "focus", "valueReference": {"reference": "https://ehr.example/fhir/MedicationRequest/m1"}}]},
       {"name": "notification-event", "part": [
         {"name": "event-number", "valueString": "7"},
         {"name": "focus", "valueReference": {"reference": "https://ehr.example/fhir/Observation/o3"}}]}]},
     "request": {"method": "GET", "url": "https://ehr.example/fhir/Subscription/s2/$status"},
     "response": {"status": "200"}},
    {"fullUrl": "https://ehr.example/fhir/MedicationRequest/m1",
     "request": {"method": "PUT", "url": "MedicationRequest/m1"}, "response": {"status": "200"}},
    {"fullUrl": "https://ehr.example/fhir/Observation/o3",
     "request": {"method": "POST", "url": "Observation"}, "response": {"status": "201"}}
  ]
})";

constexpr char kBackportEmptyHeartbeat[] = R"({
  "resourceType": "Bundle", "type": "history",
  "entry": [{"resource": {"resourceType": "Parameters", "parameter": [
    {"name": "subscription", "valueReference": {"reference": "Subscription/s2"}},
    {"name": "status", "valueCode": "active"},
    {"name": "type", "valueCode": "heartbeat"},
    {"name": "events-since-subscription-start", "valueUnsignedInt": 7}]}}]
})";

struct NotificationCase {
  std::string name;
  const char* json;
  NotificationType type;
  NotificationContent content;
  std::string subscription;
  std::optional<int64_t> events_since_start;
  std::vector<std::string> focus_type_and_ids;
  std::size_t entries;
};

class NotificationTest : public ::testing::TestWithParam<NotificationCase> {};

TEST_P(NotificationTest, Reads) {
  const NotificationCase& c = GetParam();
  auto n = ReadNotification(c.json);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->type, c.type);
  EXPECT_EQ(n->content, c.content);
  EXPECT_EQ(n->subscription, c.subscription);
  EXPECT_EQ(n->events_since_subscription_start, c.events_since_start);
  std::vector<std::string> focus;
  for (const NotificationEvent& e : n->events) {
    focus.push_back(e.focus.has_value() ? e.focus->TypeAndId() : "");
  }
  EXPECT_EQ(focus, c.focus_type_and_ids);
  EXPECT_EQ(n->entries.size(), c.entries);
}

using NT = NotificationType;
using NC = NotificationContent;
INSTANTIATE_TEST_SUITE_P(
    Cases, NotificationTest,
    ::testing::Values(
        NotificationCase{"R4bFullResource",
                         kR4bFullResource,
                         NT::kEventNotification,
                         NC::kFullResource,
                         "https://ehr.example/fhir/Subscription/s1",
                         12,
                         {"Observation/o1"},
                         1},
        NotificationCase{"R5IdOnlyWithNumbers",
                         kR4bIdOnlyR5Numbers,
                         NT::kEventNotification,
                         NC::kIdOnly,
                         "Subscription/s1",
                         3,
                         {"Observation/o2"},
                         1},
        NotificationCase{
            "R4bHandshake", kR4bHandshake, NT::kHandshake, NC::kEmpty, "Subscription/s1", 0, {}, 0},
        NotificationCase{"BackportIdOnly",
                         kBackportIdOnly,
                         NT::kEventNotification,
                         NC::kIdOnly,
                         "https://ehr.example/fhir/Subscription/s2",
                         7,
                         {"MedicationRequest/m1", "Observation/o3"},
                         2},
        NotificationCase{"BackportHeartbeat",
                         kBackportEmptyHeartbeat,
                         NT::kHeartbeat,
                         NC::kEmpty,
                         "Subscription/s2",
                         7,
                         {},
                         0}),
    [](const auto& p) { return p.param.name; });

TEST(NotificationTest, EventDetails) {
  auto n = ReadNotification(kR4bFullResource);
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(n->events.size(), 1u);
  EXPECT_EQ(n->events[0].event_number, 12);
  EXPECT_EQ(n->events[0].timestamp, "2024-03-05T10:00:00Z");
  ASSERT_EQ(n->events[0].additional_context.size(), 1u);
  EXPECT_EQ(n->events[0].additional_context[0].TypeAndId(), "Patient/p1");
  EXPECT_EQ(n->topic, "http://bonewatch.example/fhir/SubscriptionTopic/bone-relevant");
  EXPECT_EQ(n->status, "active");
  EXPECT_EQ(n->entries[0].resource->GetString("id"), "o1");
}

struct BadNotificationCase {
  std::string name;
  std::string json;
  std::string reason;
};

class NotificationErrorTest : public ::testing::TestWithParam<BadNotificationCase> {};

TEST_P(NotificationErrorTest, Rejects) {
  auto n = ReadNotification(GetParam().json);
  ASSERT_FALSE(n.ok());
  EXPECT_THAT(n.status().message(), HasSubstr(GetParam().reason));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, NotificationErrorTest,
    ::testing::Values(
        BadNotificationCase{"Searchset", R"({"resourceType":"Bundle","type":"searchset"})",
                            "expected subscription-notification or history"},
        BadNotificationCase{"NoEntries",
                            R"({"resourceType":"Bundle","type":"subscription-notification"})",
                            "first entry has no status resource"},
        BadNotificationCase{"WrongFirstResource",
                            R"({"resourceType":"Bundle","type":"history","entry":[)"
                            R"({"resource":{"resourceType":"Patient"}}]})",
                            "first entry is a Patient"},
        BadNotificationCase{"UnknownType",
                            R"({"resourceType":"Bundle","type":"subscription-notification",)"
                            R"("entry":[{"resource":{"resourceType":"SubscriptionStatus",)"
                            R"("type":"ping"}}]})",
                            "unknown notification type \"ping\""},
        BadNotificationCase{"BadEventNumber",
                            R"({"resourceType":"Bundle","type":"subscription-notification",)"
                            R"("entry":[{"resource":{"resourceType":"SubscriptionStatus",)"
                            R"("type":"event-notification","notificationEvent":[)"
                            R"({"eventNumber":"x"}]}}]})",
                            "notificationEvent[0].eventNumber: not a non-negative integer"},
        BadNotificationCase{"BackportMissingType",
                            R"({"resourceType":"Bundle","type":"history","entry":[)"
                            R"({"resource":{"resourceType":"Parameters","parameter":[]}}]})",
                            "Parameters.type: missing"}),
    [](const auto& p) { return p.param.name; });

}  // namespace
}  // namespace bonewatch::fhir
