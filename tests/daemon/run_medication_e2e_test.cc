// MedicationRequests whose medicationReference points to a Medication on the server (issue 13
// item 2: how Epic, Cerner and most EHRs send medications), end to end with the real
// `bonewatch run` against tests/fhir-server:
//  - the Medication is read and the patient on anastrozole is monitored;
//  - a later change to the Medication re-maps the requests that use it and re-evaluates their
//    patients (here it stops being an aromatase inhibitor: the Flags are withdrawn);
//  - a reference to a Medication the server does not have is one dead letter that names it.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "run_e2e_fixture.h"

namespace bonewatch::testing {
namespace {

using std::chrono::seconds;

std::string MedicationJson(const std::string& id, const std::string& rxnorm) {
  return R"({"resourceType":"Medication","id":")" + id +
         R"(","code":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":")" +
         rxnorm + R"("}]}})";
}

std::string RequestJson(const std::string& id, const std::string& patient,
                        const std::string& medication, int days_ago) {
  return R"({"resourceType":"MedicationRequest","id":")" + id +
         R"(","status":"active","intent":"order","medicationReference":{"reference":")" +
         medication + R"("},"subject":{"reference":"Patient/)" + patient + R"("},"authoredOn":")" +
         DaysAgo(days_ago) + R"("})";
}

class MedicationReferenceE2eTest : public DaemonE2eTest {};

TEST_F(MedicationReferenceE2eTest, AServerMedicationIsReadAndItsChangesReEvaluateItsUsers) {
  Put("Medication", "med-ai", MedicationJson("med-ai", "84857"));  // anastrozole
  Put("Patient", "p9", PatientJson("p9", 62));
  Put("MedicationRequest", "p9-rx", RequestJson("p9-rx", "p9", "Medication/med-ai", 30));
  Put("Patient", "p10", PatientJson("p10", 62));
  Put("MedicationRequest", "p10-rx", RequestJson("p10-rx", "p10", "Medication/no-such-med", 30));
  DaemonProcess daemon(Config());
  ASSERT_TRUE(daemon.Start()) << daemon.Log();
  ASSERT_TRUE(WaitFor([&] { return ActiveFlagRules("p9").count("baseline-dxa-missing") == 1; },
                      seconds(60)))
      << daemon.Log();
  WaitConverged(daemon);
  ASSERT_EQ(CarePlans("p9").size(), 1u);
  EXPECT_EQ(CarePlans("p9")[0].GetString("status"), "active");
  // The missing Medication: one dead letter naming it, however often the poller reads p10-rx.
  EXPECT_EQ(daemon.Metric("bonewatch_dead_letters"), 1) << daemon.Log();
  EXPECT_NE(daemon.Log().find("unresolved-medication"), std::string::npos);
  EXPECT_TRUE(CarePlans("p10").empty());

  // The Medication is corrected: it was tamoxifen all along (out of scope). The poller sees the
  // Medication change, the request is mapped again and p9's Flag and CarePlan are withdrawn.
  Put("Medication", "med-ai", MedicationJson("med-ai", "10324"));
  ASSERT_TRUE(WaitFor(
      [&] {
        const auto plans = CarePlans("p9");
        return plans.size() == 1 && plans[0].GetString("status") == "entered-in-error" &&
               ActiveFlagRules("p9").empty();
      },
      seconds(30)))
      << daemon.Log();
  EXPECT_EQ(daemon.Metric("bonewatch_dead_letters"), 1);
  EXPECT_EQ(daemon.Stop(SIGTERM, seconds(15)), 0);
}

}  // namespace
}  // namespace bonewatch::testing
