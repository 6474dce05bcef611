// Ingest end to end with the real `bonewatch run`:
//  - R4B/backport notification event numbers: a gap, also one that spans a
//    restart (the numbers are kept in the store), runs the poller at once;
//    consecutive numbers do not;
//  - a non-default canonicalBase: what the daemon writes carries that base,
//    and resources tagged {base}/CodeSystem/tag|bonewatch are never input,
//    whether they come in a poll page, by an id-only notification, or back as
//    a notification of our own write.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <string>

#include "run_e2e_fixture.h"

namespace bonewatch::testing {
namespace {

const std::map<std::string, std::string> kSecret = {{"x-bonewatch-secret", "e2e-secret"}};

class IngestE2eTest : public DaemonE2eTest {
 protected:
  // An R4B notification: event `n` of Subscription/s1 with the stored resource in full.
  std::string R4bNotification(int n, const std::string& type, const std::string& id) {
    auto stored = server().Raw("GET", "/fhir/" + type + "/" + id);
    EXPECT_EQ(stored.status, 200) << stored.body;
    const std::string number = std::to_string(n);
    Json bundle = *Json::Parse(R"({"resourceType":"Bundle","type":"subscription-notification",
      "entry":[{"resource":{"resourceType":"SubscriptionStatus","status":"active",
        "type":"event-notification","eventsSinceSubscriptionStart":")" +
                               number + R"(","notificationEvent":[{"eventNumber":")" + number +
                               R"("}],"subscription":{"reference":"Subscription/s1"}}}]})");
    Json entry = Json::Object();
    entry.Set("fullUrl", Json(server().base_url() + "/" + type + "/" + id));
    entry.Set("resource", *Json::Parse(stored.body));
    bundle.Find("entry")->Push(std::move(entry));
    return bundle.Serialize();
  }
  void Notify(DaemonProcess& daemon, const std::string& body) {
    auto answer = daemon.Notify("POST", "/fhir/notify", body, kSecret);
    ASSERT_EQ(answer.status, 200) << answer.body;
  }
};

TEST_F(IngestE2eTest, AnEventNumberGapRunsThePollerAlsoAcrossARestart) {
  LoadCohort();
  DaemonConfig config = Config();
  config.poll_interval_seconds = 3600;  // only the start-up poll, unless a gap asks for one
  DaemonProcess daemon(config);
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  WaitConverged(daemon);
  Notify(daemon, R4bNotification(1, "Observation", "p3-dxa"));
  WaitConverged(daemon);
  ASSERT_EQ(daemon.Stop(SIGTERM), 0);
  ASSERT_TRUE(daemon.Start()) << daemon.Log();  // polls once at start
  WaitConverged(daemon);

  // New data the daemon is not told about; then event 3: event 2 was missed.
  Put("Observation", "p3-dxa2", TScoreJson("p3-dxa2", "p3", 1, "-2.9"));
  Notify(daemon, R4bNotification(3, "Observation", "p3-dxa"));
  EXPECT_TRUE(
      WaitFor([&] { return ActiveFlagRules("p3").count("osteoporosis") == 1; }, seconds(30)))
      << daemon.Log();
  WaitConverged(daemon);

  // Event 4 follows 3: no gap, no poll; the silent p1 DXA stays unseen ...
  Put("Observation", "p1-dxa", TScoreJson("p1-dxa", "p1", 1, "-2.7"));
  Notify(daemon, R4bNotification(4, "Observation", "p3-dxa"));
  WaitConverged(daemon);
  EXPECT_EQ(ActiveFlagRules("p1").count("osteoporosis"), 0u);
  // ... until event 6 shows that 5 was missed.
  Notify(daemon, R4bNotification(6, "Observation", "p3-dxa"));
  EXPECT_TRUE(
      WaitFor([&] { return ActiveFlagRules("p1").count("osteoporosis") == 1; }, seconds(30)))
      << daemon.Log();
  EXPECT_EQ(daemon.Stop(SIGTERM), 0);
}

TEST_F(IngestE2eTest, ANonDefaultCanonicalBaseIsWrittenAndOurOwnWritesAreNeverInput) {
  const std::string base = "https://bw.hospital.example/fhir";
  const std::string tag =
      R"({"tag":[{"system":")" + base + R"(/CodeSystem/tag","code":"bonewatch"}]})";
  LoadCohort();
  // AI statements that carry our own tag (as if we had written them): never input.
  Json p5_ai = *Json::Parse(AiStatementJson("p5-ai", "p5", 30));
  p5_ai.Set("meta", *Json::Parse(tag));
  Put("Patient", "p5", PatientJson("p5", 60));
  Put("MedicationStatement", "p5-ai", p5_ai.Serialize());  // found by the start-up poll
  DaemonConfig config = Config();
  config.canonical_base = base;
  config.poll_interval_seconds = 3600;
  DaemonProcess daemon(config);
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  ASSERT_TRUE(
      WaitFor([&] { return ActiveFlagRules("p2").count("osteoporosis") == 1; }, seconds(60)))
      << daemon.Log();
  WaitConverged(daemon);

  // Written under the configured base: identifier systems and tag.
  const Json flag = FlagsByRule("p2").at("osteoporosis");
  EXPECT_EQ(flag.Find("identifier")->elements()[0].GetString("system"), base + "/identifier/flag");
  EXPECT_EQ(flag.At({"meta", "tag"})->elements()[0].GetString("system"), base + "/CodeSystem/tag");
  EXPECT_EQ(CarePlans("p2").at(0).Find("identifier")->elements()[0].GetString("system"),
            base + "/identifier/careplan");

  // A HAPI-style id-only notification (empty PUT to .../{type}/{id}) for another
  // own-tagged statement: read by id, recognised, dropped.
  Json p6_ai = *Json::Parse(AiStatementJson("p6-ai", "p6", 30));
  p6_ai.Set("meta", *Json::Parse(tag));
  Put("Patient", "p6", PatientJson("p6", 60));
  Put("MedicationStatement", "p6-ai", p6_ai.Serialize());
  ASSERT_EQ(daemon.Notify("PUT", "/fhir/notify/MedicationStatement/p6-ai", "", kSecret).status,
            200);
  // Our own Flag back as a Medplum notification: refused at the door.
  const double ignored_before =
      daemon.Metric("bonewatch_notifications_received_total", "result=\"ignored\"");
  auto stored_flag = server().Raw("GET", "/fhir/Flag/" + *flag.GetString("id"));
  Notify(daemon, stored_flag.body);
  EXPECT_EQ(daemon.Metric("bonewatch_notifications_received_total", "result=\"ignored\""),
            ignored_before + 1);
  WaitConverged(daemon);

  EXPECT_TRUE(CarePlans("p5").empty());
  EXPECT_TRUE(FlagsByRule("p5").empty());
  EXPECT_TRUE(CarePlans("p6").empty());
  EXPECT_TRUE(FlagsByRule("p6").empty());
  int duplicates = -1;
  WrittenResources(&duplicates);
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(daemon.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace bonewatch::testing
