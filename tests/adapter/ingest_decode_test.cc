// DecodeInboxItem: every notification and poll shape, table-driven.
#include "ingest_decode.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace bonewatch::adapter {
namespace {

using ::testing::HasSubstr;

constexpr char kTag[] = "http://bonewatch.example/fhir/CodeSystem/tag";

// "R:Observation/o1", "F:Observation/o1", "D:Observation/o1", "P".
std::string Describe(const WorkUnit& u) {
  switch (u.kind) {
    case WorkUnit::Kind::kResource:
      return "R:" + u.resource_type + "/" + u.resource_id;
    case WorkUnit::Kind::kFetch:
      return "F:" + u.resource_type + "/" + u.resource_id;
    case WorkUnit::Kind::kDelete:
      return "D:" + u.resource_type + "/" + u.resource_id;
    case WorkUnit::Kind::kPollNow:
      return "P";
  }
  return "?";
}

struct Case {
  std::string name;
  std::string body;
  std::string headers_json;
  std::string hint;
  std::vector<std::string> expected;  // Describe() of each unit, in order
};

constexpr char kR4bFull[] = R"({"resourceType":"Bundle","type":"subscription-notification",
  "entry":[{"resource":{"resourceType":"SubscriptionStatus","status":"active",
      "type":"event-notification","eventsSinceSubscriptionStart":"5",
      "notificationEvent":[{"eventNumber":"5","focus":{"reference":"Observation/o1"}}],
      "subscription":{"reference":"Subscription/s1"}}},
    {"fullUrl":"http://ehr/fhir/Observation/o1","resource":{"resourceType":"Observation","id":"o1"}}]})";

constexpr char kR4bIdOnly[] = R"({"resourceType":"Bundle","type":"subscription-notification",
  "entry":[{"resource":{"resourceType":"SubscriptionStatus","status":"active",
      "type":"event-notification","eventsSinceSubscriptionStart":"6",
      "notificationEvent":[{"eventNumber":"6","focus":{"reference":"http://ehr/fhir/Observation/o2"}}],
      "subscription":{"reference":"Subscription/s1"}}},
    {"fullUrl":"http://ehr/fhir/Observation/o2"}]})";

constexpr char kR4bEmpty[] = R"({"resourceType":"Bundle","type":"subscription-notification",
  "entry":[{"resource":{"resourceType":"SubscriptionStatus","status":"active",
      "type":"event-notification","eventsSinceSubscriptionStart":"7",
      "notificationEvent":[{"eventNumber":"7"}],"subscription":{"reference":"Subscription/s1"}}}]})";

constexpr char kR4bGap[] = R"({"resourceType":"Bundle","type":"subscription-notification",
  "entry":[{"resource":{"resourceType":"SubscriptionStatus","status":"active",
      "type":"event-notification","eventsSinceSubscriptionStart":"11",
      "notificationEvent":[{"eventNumber":"9","focus":{"reference":"Observation/o9"}}],
      "subscription":{"reference":"Subscription/s1"}}},
    {"fullUrl":"http://ehr/fhir/Observation/o9","resource":{"resourceType":"Observation","id":"o9"}},
    {"fullUrl":"http://ehr/fhir/Observation/o8","resource":{"resourceType":"Observation","id":"o8"}}]})";

constexpr char kR4bInnerGap[] = R"({"resourceType":"Bundle","type":"subscription-notification",
  "entry":[{"resource":{"resourceType":"SubscriptionStatus","status":"active",
      "type":"event-notification","eventsSinceSubscriptionStart":"4",
      "notificationEvent":[{"eventNumber":"2","focus":{"reference":"Observation/a"}},
                           {"eventNumber":"4","focus":{"reference":"Observation/b"}}],
      "subscription":{"reference":"Subscription/s1"}}},
    {"fullUrl":"http://ehr/fhir/Observation/a"},{"fullUrl":"http://ehr/fhir/Observation/b"}]})";

constexpr char kHandshake[] = R"({"resourceType":"Bundle","type":"subscription-notification",
  "entry":[{"resource":{"resourceType":"SubscriptionStatus","status":"requested",
      "type":"handshake","eventsSinceSubscriptionStart":"0",
      "subscription":{"reference":"Subscription/s1"}}}]})";

constexpr char kBackportIdOnly[] = R"({"resourceType":"Bundle","type":"history",
  "entry":[{"resource":{"resourceType":"Parameters","parameter":[
      {"name":"subscription","valueReference":{"reference":"Subscription/s2"}},
      {"name":"status","valueCode":"active"},{"name":"type","valueCode":"event-notification"},
      {"name":"events-since-subscription-start","valueString":"2"},
      {"name":"notification-event","part":[{"name":"event-number","valueString":"1"},
        {"name":"focus","valueReference":{"reference":"MedicationRequest/m1"}}]},
      {"name":"notification-event","part":[{"name":"event-number","valueString":"2"},
        {"name":"focus","valueReference":{"reference":"Observation/o3"}}]}]}},
    {"fullUrl":"http://ehr/fhir/MedicationRequest/m1","request":{"method":"PUT","url":"MedicationRequest/m1"}},
    {"fullUrl":"http://ehr/fhir/Observation/o3","request":{"method":"PUT","url":"Observation/o3"}}]})";

constexpr char kSearchset[] = R"({"resourceType":"Bundle","type":"searchset","total":3,
  "entry":[{"fullUrl":"http://h/fhir/Observation/a","resource":{"resourceType":"Observation","id":"a"},"search":{"mode":"match"}},
    {"fullUrl":"http://h/fhir/Observation/b","resource":{"resourceType":"Observation","id":"b",
       "meta":{"tag":[{"system":"http://bonewatch.example/fhir/CodeSystem/tag","code":"bonewatch"}]}}},
    {"resource":{"resourceType":"OperationOutcome","issue":[]},"search":{"mode":"outcome"}},
    {"fullUrl":"http://h/fhir/Observation/c","resource":{"resourceType":"Observation","id":"c"}}]})";

constexpr char kHistory[] = R"({"resourceType":"Bundle","type":"history",
  "entry":[{"fullUrl":"http://h/fhir/Condition/c1","resource":{"resourceType":"Condition","id":"c1"},
            "request":{"method":"PUT","url":"Condition/c1"},"response":{"status":"200 OK"}},
    {"fullUrl":"http://h/fhir/Condition/c2","request":{"method":"DELETE","url":"Condition/c2"},
     "response":{"status":"410 Gone"}}]})";

constexpr char kOwnFlag[] = R"({"resourceType":"Flag","id":"f1","meta":{"versionId":"x",
  "tag":[{"system":"http://bonewatch.example/fhir/CodeSystem/tag","code":"bonewatch"}]}})";

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"HapiEmptyPostPollsNow", "", "", "", {"P"}},
      {"WhitespaceBodyPollsNow", "  \n", "", "", {"P"}},
      {"HapiEmptyPutFetches", "", "", "Observation/o1", {"F:Observation/o1"}},
      {"EmptyObjectPollsNow", "{}", R"({"x-medplum-interaction":"update"})", "", {"P"}},
      {"MedplumCreate",
       R"({"resourceType":"Observation","id":"o1","meta":{"versionId":"v1","lastUpdated":"2024-01-01T00:00:00Z"}})",
       R"({"x-medplum-interaction":"create","x-medplum-subscription":"s1"})",
       "",
       {"R:Observation/o1"}},
      {"HapiPutWithPayload",
       R"({"resourceType":"Condition","id":"c7"})",
       "",
       "Condition/c7",
       {"R:Condition/c7"}},
      {"HapiPutBodyWithoutIdTakesHintId",
       R"({"resourceType":"Condition"})",
       "",
       "Condition/c8",
       {"R:Condition/c8"}},
      {"MedplumDelete",
       "{}",
       R"({"x-medplum-interaction":"delete","x-medplum-deleted-resource":"Observation/123"})",
       "",
       {"D:Observation/123"}},
      {"DeleteHeadersCaseInsensitive",
       "",
       R"({"X-Medplum-Interaction":"DELETE","X-Medplum-Deleted-Resource":"Procedure/p1"})",
       "",
       {"D:Procedure/p1"}},
      {"OwnWriteDropped", kOwnFlag, "", "", {}},
      {"R4bFullResource", kR4bFull, "", "", {"R:Observation/o1"}},
      {"R4bIdOnly", kR4bIdOnly, "", "", {"F:Observation/o2"}},
      {"R4bEmptyPollsNow", kR4bEmpty, "", "", {"P"}},
      {"R4bEventsSinceBeyondEventsPollsNow",
       kR4bGap,
       "",
       "",
       {"R:Observation/o9", "R:Observation/o8", "P"}},
      {"R4bGapInsideNotification",
       kR4bInnerGap,
       "",
       "",
       {"F:Observation/a", "F:Observation/b", "P"}},
      {"HandshakeGivesNothing", kHandshake, "", "", {}},
      {"BackportIdOnly", kBackportIdOnly, "", "", {"F:MedicationRequest/m1", "F:Observation/o3"}},
      {"PollSearchset", kSearchset, "", "", {"R:Observation/a", "R:Observation/c"}},
      {"HistoryWithDelete", kHistory, "", "", {"R:Condition/c1", "D:Condition/c2"}},
  };
  return cases;
}

class DecodeShapeTest : public ::testing::TestWithParam<Case> {};

TEST_P(DecodeShapeTest, GivesTheExpectedUnits) {
  const Case& c = GetParam();
  InboxItem item;
  item.id = 7;
  item.origin = "rest-hook";
  item.body = c.body;
  item.headers_json = c.headers_json;
  item.hint = c.hint;
  DecodeOptions options;
  options.own_tag_system = kTag;
  StatusOr<std::vector<WorkUnit>> units = DecodeInboxItem(item, options);
  ASSERT_TRUE(units.ok()) << units.status().ToString();
  std::vector<std::string> got;
  for (const WorkUnit& u : *units) {
    got.push_back(Describe(u));
    if (u.kind == WorkUnit::Kind::kResource) {
      EXPECT_EQ(u.resource.GetString("resourceType"), u.resource_type);
    }
  }
  EXPECT_EQ(got, c.expected);
}

INSTANTIATE_TEST_SUITE_P(Shapes, DecodeShapeTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& p) { return p.param.name; });

struct BadCase {
  std::string name;
  std::string body;
  std::string headers_json;
  std::string hint;
  std::string field;  // must appear in the message
};

const std::vector<BadCase>& BadCases() {
  static const std::vector<BadCase> cases = {
      {"TruncatedJson", R"({"resourceType":"Observ)", "", "", "body"},
      {"NotAnObject", "[1,2]", "", "", "body"},
      {"NoResourceType", R"({"id":"x"})", "", "", "body.resourceType"},
      {"NoId", R"({"resourceType":"Observation"})", "", "", "body.id"},
      {"BadHeaders", "", "{oops", "", "headers"},
      {"DeleteWithoutTarget", "{}", R"({"x-medplum-interaction":"delete"})", "",
       "x-medplum-deleted-resource"},
      {"DeleteTargetNotAReference", "{}",
       R"({"x-medplum-interaction":"delete","x-medplum-deleted-resource":"???"})", "",
       "x-medplum-deleted-resource"},
      {"BadHint", "", "", "not a ref", "hint"},
      {"TransactionBundle", R"({"resourceType":"Bundle","type":"transaction","entry":[]})", "", "",
       "body.type"},
      {"SearchsetEntryWithoutResource",
       R"({"resourceType":"Bundle","type":"searchset","entry":[{"fullUrl":"http://h/fhir/Observation/a"}]})",
       "", "", "body.entry[0]"},
      {"NotificationWithoutStatus",
       R"({"resourceType":"Bundle","type":"subscription-notification","entry":[{"fullUrl":"x"}]})",
       "", "", "body"},
  };
  return cases;
}

class DecodeBadInputTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(DecodeBadInputTest, IsInvalidArgumentNamingItemAndField) {
  const BadCase& c = GetParam();
  InboxItem item;
  item.id = 42;
  item.body = c.body;
  item.headers_json = c.headers_json;
  item.hint = c.hint;
  StatusOr<std::vector<WorkUnit>> units = DecodeInboxItem(item);
  ASSERT_FALSE(units.ok());
  EXPECT_EQ(units.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(units.status().message(), HasSubstr("inbox item 42"));
  EXPECT_THAT(units.status().message(), HasSubstr(c.field));
}

INSTANTIATE_TEST_SUITE_P(Malformed, DecodeBadInputTest, ::testing::ValuesIn(BadCases()),
                         [](const ::testing::TestParamInfo<BadCase>& p) { return p.param.name; });

class MapTracker final : public EventNumberTracker {
 public:
  std::optional<int64_t> Last(const std::string& subscription) override {
    auto it = last.find(subscription);
    if (it == last.end()) return std::nullopt;
    return it->second;
  }
  void Record(const std::string& subscription, int64_t event_number) override {
    last[subscription] = event_number;
  }
  std::map<std::string, int64_t> last;
};

std::string IdOnlyNotification(int event_number) {
  const std::string n = std::to_string(event_number);
  return R"({"resourceType":"Bundle","type":"subscription-notification",
    "entry":[{"resource":{"resourceType":"SubscriptionStatus","status":"active",
      "type":"event-notification","eventsSinceSubscriptionStart":")" +
         n + R"(","notificationEvent":[{"eventNumber":")" + n +
         R"(","focus":{"reference":"Observation/o)" + n +
         R"("}}],"subscription":{"reference":"Subscription/s1"}}}]})";
}

std::vector<std::string> DecodeWith(const std::string& body, MapTracker& tracker) {
  InboxItem item;
  item.id = 1;
  item.body = body;
  DecodeOptions options;
  options.events = &tracker;
  StatusOr<std::vector<WorkUnit>> units = DecodeInboxItem(item, options);
  EXPECT_TRUE(units.ok()) << units.status().ToString();
  std::vector<std::string> got;
  if (units.ok()) {
    for (const WorkUnit& u : *units) got.push_back(Describe(u));
  }
  return got;
}

TEST(DecodeEventNumbers, GapAcrossNotificationsPollsNowAndDuplicatesDoNot) {
  MapTracker tracker;
  using V = std::vector<std::string>;
  EXPECT_EQ(DecodeWith(IdOnlyNotification(1), tracker), V({"F:Observation/o1"}));
  EXPECT_EQ(DecodeWith(IdOnlyNotification(2), tracker), V({"F:Observation/o2"}));
  EXPECT_EQ(tracker.last["Subscription/s1"], 2);
  // 3 and 4 were missed.
  EXPECT_EQ(DecodeWith(IdOnlyNotification(5), tracker), V({"F:Observation/o5", "P"}));
  // A late or duplicate delivery is no gap, and does not move the number back.
  EXPECT_EQ(DecodeWith(IdOnlyNotification(3), tracker), V({"F:Observation/o3"}));
  EXPECT_EQ(tracker.last["Subscription/s1"], 5);
}

TEST(DecodeEventNumbers, HeartbeatAfterMissedEventsPollsNow) {
  MapTracker tracker;
  tracker.last["Subscription/s1"] = 3;
  const std::string heartbeat = R"({"resourceType":"Bundle","type":"subscription-notification",
    "entry":[{"resource":{"resourceType":"SubscriptionStatus","status":"active",
      "type":"heartbeat","eventsSinceSubscriptionStart":"5",
      "subscription":{"reference":"Subscription/s1"}}}]})";
  EXPECT_EQ(DecodeWith(heartbeat, tracker), std::vector<std::string>({"P"}));
  EXPECT_EQ(DecodeWith(heartbeat, tracker), std::vector<std::string>());
}

TEST(DecodeOwnTag, OtherBaseIsNotOurs) {
  InboxItem item;
  item.body = kOwnFlag;
  DecodeOptions options;
  options.own_tag_system = "https://hospital.example/bw/CodeSystem/tag";
  StatusOr<std::vector<WorkUnit>> units = DecodeInboxItem(item, options);
  ASSERT_TRUE(units.ok());
  ASSERT_EQ(units->size(), 1u);
  EXPECT_EQ((*units)[0].kind, WorkUnit::Kind::kResource);
}

TEST(DecodeRobustness, NeverThrowsOnTruncations) {
  const std::string full = kR4bFull;
  for (size_t n = 0; n < full.size(); ++n) {
    InboxItem item;
    item.body = full.substr(0, n);
    StatusOr<std::vector<WorkUnit>> units = DecodeInboxItem(item);
    (void)units;
  }
}

}  // namespace
}  // namespace bonewatch::adapter
