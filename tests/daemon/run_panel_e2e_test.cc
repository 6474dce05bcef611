// DXA reports sent as panels, end to end with the real `bonewatch run` (issue 13 item 1; spec §1:
// "A DXA result may come as one Observation per value, or as a panel Observation whose components
// carry the values"). The panel's Observation.code is the panel code (LOINC 83311-1), which the
// default mappings do not map, and its T-scores are only in components: a `code=` search or
// Subscription never matches it. The daemon also searches and subscribes by `component-code`, so
// the panel reaches it on the poll path and on the rest-hook path and gives the osteoporosis Flag.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "run_e2e_fixture.h"

namespace bonewatch::testing {
namespace {

using std::chrono::seconds;

// A DXA panel of `patient`: lumbar spine and total hip T-scores in components.
std::string DxaPanelJson(const std::string& id, const std::string& patient, int days_ago,
                         const std::string& spine, const std::string& hip) {
  const auto component = [](const std::string& code, const std::string& value) {
    return R"({"code":{"coding":[{"system":"http://loinc.org","code":")" + code +
           R"("}]},"valueQuantity":{"value":)" + value +
           R"(,"unit":"{T-score}","system":"http://unitsofmeasure.org","code":"{T-score}"}})";
  };
  return R"({"resourceType":"Observation","id":")" + id +
         R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"83311-1","display":"DXA panel"}]},"subject":{"reference":"Patient/)" +
         patient + R"("},"effectiveDateTime":")" + DaysAgo(days_ago) + R"(","component":[)" +
         component("38267-1", spine) + "," + component("38264-8", hip) + "]}";
}

class PanelE2eTest : public DaemonE2eTest {};

TEST_F(PanelE2eTest, APanelWithOnlyComponentCodesIsFoundByThePoller) {
  Put("Patient", "p7", PatientJson("p7", 60));
  Put("MedicationStatement", "p7-ai", AiStatementJson("p7-ai", "p7", 100));
  Put("Observation", "p7-panel", DxaPanelJson("p7-panel", "p7", 95, "-2.9", "-1.7"));
  DaemonProcess daemon(Config());
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  ASSERT_TRUE(
      WaitFor([&] { return ActiveFlagRules("p7").count("osteoporosis") == 1; }, seconds(60)))
      << ::testing::PrintToString(ActiveFlagRules("p7")) << daemon.Log();
  WaitConverged(daemon);
  EXPECT_EQ(ActiveFlagRules("p7").count("baseline-dxa-missing"), 0u);
  EXPECT_EQ(daemon.Stop(SIGTERM, seconds(15)), 0);
}

TEST_F(PanelE2eTest, APanelWithOnlyComponentCodesIsDeliveredByItsSubscription) {
  Put("Patient", "p8", PatientJson("p8", 60));
  Put("MedicationStatement", "p8-ai", AiStatementJson("p8-ai", "p8", 100));
  DaemonConfig config = Config(/*subscriptions=*/true);
  config.poll_interval_seconds = 3600;  // only the start-up poll: the panel comes by rest-hook
  DaemonProcess daemon(config);
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  // The component-code Subscription is there and active.
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const Json& subscription : Search("Subscription?status=active")) {
          if (subscription.GetString("criteria")
                  .value_or("")
                  .rfind("Observation?component-code=", 0) == 0) {
            return true;
          }
        }
        return false;
      },
      seconds(20)))
      << daemon.Log();
  ASSERT_TRUE(WaitFor([&] { return ActiveFlagRules("p8").count("baseline-dxa-missing") == 1; },
                      seconds(60)))
      << daemon.Log();
  WaitConverged(daemon);
  const double delivered_before = daemon.Metric("bonewatch_notifications_received_total");
  Put("Observation", "p8-panel", DxaPanelJson("p8-panel", "p8", 1, "-1.2", "-2.7"));
  ASSERT_TRUE(
      WaitFor([&] { return ActiveFlagRules("p8").count("osteoporosis") == 1; }, seconds(15)))
      << ::testing::PrintToString(ActiveFlagRules("p8")) << daemon.Log();
  EXPECT_GT(daemon.Metric("bonewatch_notifications_received_total"), delivered_before);
  EXPECT_EQ(daemon.Stop(SIGTERM, seconds(15)), 0);
}

// A local panel code declared in the mappings (target dxa-panel) is searched by code= as well, so
// a panel whose component codes are local and not mapped (which no component-code search can
// match) still reaches the daemon, and is refused as a dead letter naming its component codes
// instead of passing unseen. Before panel declarations it was never read.
TEST_F(PanelE2eTest, ADeclaredLocalPanelWithUnmappedComponentsBecomesADeadLetter) {
  char pattern[] = "/tmp/bonewatch-panel-mappings.XXXXXX";
  const std::string mappings = ::mkdtemp(pattern);
  {
    std::ofstream out(mappings + "/local-panels.json");
    out << R"({"resourceType": "ConceptMap", "id": "local-panels", "status": "active",
      "group": [{"source": "http://hospital.example/radiology",
                 "target": "http://bonewatch.example/fhir/CodeSystem/concept",
                 "element": [{"code": "DXA-PANEL", "target": [{"code": "dxa-panel"}]}]}]})";
  }
  Put("Patient", "p9", PatientJson("p9", 60));
  Put("MedicationStatement", "p9-ai", AiStatementJson("p9-ai", "p9", 100));
  Put("Observation", "p9-panel",
      R"({"resourceType":"Observation","id":"p9-panel","status":"final","code":{"coding":[{"system":"http://hospital.example/radiology","code":"DXA-PANEL"}]},"subject":{"reference":"Patient/p9"},"effectiveDateTime":")" +
          DaysAgo(20) +
          R"(","component":[{"code":{"coding":[{"system":"http://hospital.example/radiology","code":"TSCORE-L1L4"}]},"valueQuantity":{"value":-2.8,"unit":"{T-score}"}}]})");
  DaemonConfig config = Config();
  config.mappings_dir = mappings;
  DaemonProcess daemon(config);
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  ASSERT_TRUE(WaitFor([&] { return daemon.Metric("bonewatch_dead_letters") >= 1; }, seconds(30)))
      << daemon.Log();
  WaitConverged(daemon);
  int status = -1;
  const std::string table = daemon.RunCommand({"dead-letters", "list"}, &status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(table.find("Observation/p9-panel"), std::string::npos) << table;
  EXPECT_NE(table.find("panel-components-not-mapped"), std::string::npos) << table;
  EXPECT_EQ(daemon.Metric("bonewatch_dead_letters"), 1);  // one, however often it is polled
  EXPECT_EQ(daemon.Stop(SIGTERM, seconds(15)), 0);
  std::filesystem::remove_all(mappings);
}

}  // namespace
}  // namespace bonewatch::testing
