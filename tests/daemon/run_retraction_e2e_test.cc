// Retraction and course end, end to end with the real `bonewatch run` (spec §3
// "Course end", "Retraction"; architecture "If a source becomes
// entered-in-error, or is deleted, its facts are retracted"):
//  - the AI MedicationStatement updated to entered-in-error -> every Flag of the
//    patient and the CarePlan become entered-in-error;
//  - the AI MedicationStatement deleted, told by a Medplum-style delete
//    notification (body {}, x-medplum-interaction: delete,
//    x-medplum-deleted-resource) -> the same;
//  - the course ends (status completed with effectivePeriod.end) -> every
//    active Flag becomes inactive with period.end = the course end, and the
//    CarePlan becomes completed.
// The changes reach the daemon only by rest-hook (the poller runs at start).
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "run_e2e_fixture.h"

namespace bonewatch::testing {
namespace {

const std::map<std::string, std::string> kSecret = {{"x-bonewatch-secret", "e2e-secret"}};

class RetractionE2eTest : public DaemonE2eTest {
 protected:
  // Medplum style: the stored resource as the body.
  void NotifyUpdate(DaemonProcess& daemon, const std::string& type, const std::string& id) {
    auto stored = server().Raw("GET", "/fhir/" + type + "/" + id);
    ASSERT_EQ(stored.status, 200) << stored.body;
    auto headers = kSecret;
    headers["x-medplum-interaction"] = "update";
    auto answer = daemon.Notify("POST", "/fhir/notify", stored.body, headers);
    ASSERT_EQ(answer.status, 200) << answer.body;
  }
  // Statuses of every Flag of the patient, and of its CarePlan.
  std::multiset<std::string> FlagStatuses(const std::string& patient) {
    std::multiset<std::string> statuses;
    for (const Json& flag : Search("Flag?subject=Patient/" + patient + "&_count=100")) {
      statuses.insert(flag.GetString("status").value_or(""));
    }
    return statuses;
  }
  std::string CarePlanStatus(const std::string& patient) {
    const std::vector<Json> plans = CarePlans(patient);
    if (plans.size() != 1) return "<" + std::to_string(plans.size()) + " CarePlans>";
    return plans[0].GetString("status").value_or("");
  }
  bool AllFlags(const std::string& patient, const std::string& status) {
    const std::multiset<std::string> statuses = FlagStatuses(patient);
    return !statuses.empty() && statuses.count(status) == statuses.size();
  }
};

TEST_F(RetractionE2eTest, EnteredInErrorDeleteAndCourseEndReachTheServer) {
  LoadCohort();
  Put("Patient", "p4", PatientJson("p4", 66));
  Put("MedicationStatement", "p4-ai", AiStatementJson("p4-ai", "p4", 50));
  DaemonConfig config = Config();
  config.poll_interval_seconds = 3600;  // only the start-up poll
  DaemonProcess daemon(config);
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  ASSERT_TRUE(WaitFor(
      [&] {
        return ActiveFlagRules("p2").count("osteoporosis") == 1 &&
               ActiveFlagRules("p1").count("baseline-dxa-missing") == 1 &&
               ActiveFlagRules("p4").count("baseline-dxa-missing") == 1;
      },
      seconds(60)))
      << daemon.Log();
  WaitConverged(daemon);
  ASSERT_EQ(CarePlanStatus("p2"), "active");

  // p2: the AI statement was entered in error.
  Json p2_ai = *Json::Parse(AiStatementJson("p2-ai", "p2", 100));
  p2_ai.Set("status", Json("entered-in-error"));
  Put("MedicationStatement", "p2-ai", p2_ai.Serialize());
  NotifyUpdate(daemon, "MedicationStatement", "p2-ai");

  // p4: the AI statement was deleted; Medplum tells with an empty body and headers.
  ASSERT_EQ(server().Raw("DELETE", "/fhir/MedicationStatement/p4-ai").status, 200);
  auto headers = kSecret;
  headers["x-medplum-interaction"] = "delete";
  headers["x-medplum-deleted-resource"] = "MedicationStatement/p4-ai";
  ASSERT_EQ(daemon.Notify("POST", "/fhir/notify", "{}", headers).status, 200);

  // p1: the course ended five days ago.
  const std::string course_start = DaysAgo(40);
  const std::string course_end = DaysAgo(5);
  Put("MedicationStatement", "p1-ai", AiPeriodStatementJson("p1-ai", "p1", "completed", 40, 5));
  NotifyUpdate(daemon, "MedicationStatement", "p1-ai");

  ASSERT_TRUE(WaitFor(
      [&] {
        return AllFlags("p2", "entered-in-error") && CarePlanStatus("p2") == "entered-in-error" &&
               AllFlags("p4", "entered-in-error") && CarePlanStatus("p4") == "entered-in-error" &&
               CarePlanStatus("p1") == "completed" && ActiveFlagRules("p1").empty();
      },
      seconds(30)))
      << "p2 flags " << ::testing::PrintToString(FlagStatuses("p2")) << ", care plan "
      << CarePlanStatus("p2") << "; p4 flags " << ::testing::PrintToString(FlagStatuses("p4"))
      << ", care plan " << CarePlanStatus("p4") << "; p1 care plan " << CarePlanStatus("p1") << "\n"
      << daemon.Log();
  WaitConverged(daemon);

  // Course end: the flag is closed at the course end, the plan covers the course.
  const std::map<std::string, Json> p1_flags = FlagsByRule("p1");
  ASSERT_EQ(p1_flags.count("baseline-dxa-missing"), 1u);
  const Json& missing = p1_flags.at("baseline-dxa-missing");
  EXPECT_EQ(missing.GetString("status"), "inactive");
  ASSERT_NE(missing.Find("period"), nullptr);
  EXPECT_EQ(missing.Find("period")->GetString("start"), course_start);
  EXPECT_EQ(missing.Find("period")->GetString("end"), course_end);
  const Json careplan = CarePlans("p1").at(0);
  ASSERT_NE(careplan.Find("period"), nullptr);
  EXPECT_EQ(careplan.Find("period")->GetString("end"), course_end);

  // Nothing else moved, nothing written twice.
  EXPECT_EQ(ActiveFlagRules("p3"), std::set<std::string>{});
  EXPECT_EQ(CarePlanStatus("p3"), "active");
  int duplicates = -1;
  WrittenResources(&duplicates);
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(daemon.Stop(SIGTERM), 0);
}

// The same retraction by a real delete notification from the server's Subscription.
TEST_F(RetractionE2eTest, ADeleteDeliveredByTheSubscriptionRetracts) {
  LoadCohort();
  DaemonConfig config = Config(/*subscriptions=*/true);
  config.poll_interval_seconds = 3600;  // only the start-up poll
  DaemonProcess daemon(config);
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  ASSERT_TRUE(
      WaitFor([&] { return Search("Subscription?status=active").size() >= 2; }, seconds(20)))
      << daemon.Log();
  ASSERT_TRUE(WaitFor([&] { return ActiveFlagRules("p1").count("baseline-dxa-missing") == 1; },
                      seconds(60)))
      << daemon.Log();
  WaitConverged(daemon);
  ASSERT_EQ(server().Raw("DELETE", "/fhir/MedicationStatement/p1-ai").status, 200);
  ASSERT_TRUE(WaitFor(
      [&] {
        return AllFlags("p1", "entered-in-error") && CarePlanStatus("p1") == "entered-in-error";
      },
      seconds(30)))
      << ::testing::PrintToString(FlagStatuses("p1")) << " " << CarePlanStatus("p1") << "\n"
      << daemon.Log();
  EXPECT_GE(daemon.Metric("bonewatch_notifications_received_total", "result=\"stored\""), 1);
  EXPECT_EQ(ActiveFlagRules("p2").count("osteoporosis"), 1u);
  EXPECT_EQ(daemon.Stop(SIGTERM), 0);
}

// Issue 13 item 5: a delete that no notification told (no Subscriptions; searches cannot show
// deletes) is found by the reconciliation pass: the deleted T-score is retracted, and the
// osteoporosis Flag it gave is withdrawn.
TEST_F(RetractionE2eTest, ADeleteNoNotificationToldIsFoundByTheReconciliationPass) {
  LoadCohort();
  DaemonConfig config = Config();
  config.reconcile_interval_seconds = 1;
  DaemonProcess daemon(config);
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  ASSERT_TRUE(
      WaitFor([&] { return ActiveFlagRules("p2").count("osteoporosis") == 1; }, seconds(60)))
      << daemon.Log();
  WaitConverged(daemon);
  // A pass has checked the sources (the first one ran before any was stored).
  ASSERT_TRUE(
      WaitFor([&] { return daemon.Metric("bonewatch_reconcile_checked_total") >= 5; }, seconds(30)))
      << daemon.Log();
  ASSERT_EQ(server().Raw("DELETE", "/fhir/Observation/p2-dxa").status, 200);
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const Json& flag : Search("Flag?subject=Patient/p2&_count=100")) {
          const Json* code = flag.At({"code", "coding"});
          if (code != nullptr && (*code)[0].GetString("code") == "osteoporosis" &&
              flag.GetString("status") == "entered-in-error") {
            return true;
          }
        }
        return false;
      },
      seconds(30)))
      << daemon.Log();
  EXPECT_EQ(daemon.Metric("bonewatch_reconcile_deleted_total", "type=\"Observation\""), 1);
  EXPECT_EQ(ActiveFlagRules("p2").count("osteoporosis"), 0u);
  // Nothing else was taken for deleted.
  EXPECT_EQ(ActiveFlagRules("p1").count("baseline-dxa-missing"), 1u);
  EXPECT_EQ(daemon.Stop(SIGTERM), 0);
}

// Spec §3 (v1.1): a Flag whose episode vanished becomes entered-in-error, and
// the episode that the data now give gets its own Flag.
//  - p5: a second T-score of the same DXA session (10 days later) re-dates the
//    session, so the osteoporosis and antiresorptive-indicated episodes start
//    on the new session date;
//  - p6: the T-score is corrected (amended) to a normal value: the
//    osteoporosis episode never existed.
TEST_F(RetractionE2eTest, AFlagWhoseEpisodeVanishedBecomesEnteredInError) {
  Put("Patient", "p5", PatientJson("p5", 70));
  Put("MedicationStatement", "p5-ai", AiStatementJson("p5-ai", "p5", 200));
  Put("Observation", "p5-dxa1", TScoreJson("p5-dxa1", "p5", 100, "-2.8"));
  Put("Patient", "p6", PatientJson("p6", 60));
  Put("MedicationStatement", "p6-ai", AiStatementJson("p6-ai", "p6", 200));
  Put("Observation", "p6-dxa", TScoreJson("p6-dxa", "p6", 95, "-2.8"));
  DaemonConfig config = Config();
  config.poll_interval_seconds = 3600;  // only the start-up poll
  DaemonProcess daemon(config);
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  // Identifier value -> status, for every Flag of the patient.
  const auto flags = [&](const std::string& patient) {
    std::map<std::string, std::string> out;
    for (const Json& flag : Search("Flag?subject=Patient/" + patient + "&_count=100")) {
      const Json* ids = flag.Find("identifier");
      if (ids == nullptr || !ids->is_array() || ids->empty()) continue;
      out[(*ids)[0].GetString("value").value_or("")] = flag.GetString("status").value_or("");
    }
    return out;
  };
  const std::string first = "p5.osteoporosis." + DaysAgo(100);
  const std::string redated = "p5.osteoporosis." + DaysAgo(90);
  const std::string p6_flag = "p6.osteoporosis." + DaysAgo(95);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto p5 = flags("p5");
        auto p6 = flags("p6");
        return p5[first] == "active" &&
               p5["p5.antiresorptive-indicated." + DaysAgo(100)] == "active" &&
               p6[p6_flag] == "active";
      },
      seconds(60)))
      << ::testing::PrintToString(flags("p5")) << ::testing::PrintToString(flags("p6"))
      << daemon.Log();
  WaitConverged(daemon);

  Put("Observation", "p5-dxa2", TScoreJson("p5-dxa2", "p5", 90, "-2.6"));
  NotifyUpdate(daemon, "Observation", "p5-dxa2");
  Json corrected = *Json::Parse(TScoreJson("p6-dxa", "p6", 95, "-0.5"));
  corrected.Set("status", Json("amended"));
  Put("Observation", "p6-dxa", corrected.Serialize());
  NotifyUpdate(daemon, "Observation", "p6-dxa");

  ASSERT_TRUE(WaitFor(
      [&] {
        auto p5 = flags("p5");
        auto p6 = flags("p6");
        return p5[first] == "entered-in-error" && p5[redated] == "active" &&
               p5["p5.antiresorptive-indicated." + DaysAgo(100)] == "entered-in-error" &&
               p5["p5.antiresorptive-indicated." + DaysAgo(90)] == "active" &&
               p6[p6_flag] == "entered-in-error";
      },
      seconds(30)))
      << ::testing::PrintToString(flags("p5")) << ::testing::PrintToString(flags("p6"))
      << daemon.Log();
  WaitConverged(daemon);
  // One active Flag per rule; p6 has no osteoporosis or indication Flag left.
  std::map<std::string, int> active_by_rule;
  for (const auto& [value, status] : flags("p5")) {
    if (status == "active") ++active_by_rule[value.substr(0, value.rfind('.'))];
  }
  for (const auto& [rule, count] : active_by_rule) EXPECT_EQ(count, 1) << rule;
  EXPECT_EQ(ActiveFlagRules("p6").count("osteoporosis"), 0u);
  int duplicates = -1;
  WrittenResources(&duplicates);
  EXPECT_EQ(duplicates, 0);
  EXPECT_EQ(daemon.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace bonewatch::testing
