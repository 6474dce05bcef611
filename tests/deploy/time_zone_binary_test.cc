// Named time zones through the built binary (issue 13 item 7): `check-config` resolves
// `timeZone` against the system's tzdata and names the field when it cannot, and
// `evaluate --time-zone` dates a summer-time instant on the zone's calendar day.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "deploy_test_util.h"

namespace bonewatch::deploy_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

CommandResult CheckConfig(const TempDir& dir, const std::string& zone_keys) {
  const std::string path = dir / "bonewatch.json";
  WriteFile(path, R"({"fhir": {"baseUrl": "http://fhir.example/fhir"},
    "subscriptions": {"enabled": false}, "store": {"path": "bonewatch.db"}, )" +
                      zone_keys + "}");
  return RunShell(std::string(BONEWATCH_BINARY) + " check-config --config " + Quote(path));
}

TEST(TimeZoneBinary, CheckConfigResolvesTheZoneAndNamesTheFieldOfABadOne) {
  TempDir dir;
  const CommandResult ok = CheckConfig(dir, R"("timeZone": "Europe/Berlin")");
  EXPECT_EQ(ok.status, 0) << ok.output;
  const CommandResult offset = CheckConfig(dir, R"("timeZoneOffset": "+01:00")");
  EXPECT_EQ(offset.status, 0) << offset.output;
  const CommandResult unknown = CheckConfig(dir, R"("timeZone": "Europe/Atlantis")");
  EXPECT_NE(unknown.status, 0);
  EXPECT_THAT(unknown.output, HasSubstr("timeZone: unknown IANA time zone 'Europe/Atlantis'"));
  const CommandResult both =
      CheckConfig(dir, R"("timeZone": "Europe/Berlin", "timeZoneOffset": "+01:00")");
  EXPECT_NE(both.status, 0);
  EXPECT_THAT(both.output, HasSubstr("timeZone: set either timeZone"));
}

// A vitamin D result at 22:30Z on June 30th 2026 is 00:30 CEST on July 1st in Berlin: after
// an evaluation as of June 30th there, but 23:30 on June 30th at a fixed +01:00.
TEST(TimeZoneBinary, EvaluateDatesASummerInstantInTheZone) {
  TempDir dir;
  const std::string cohort = dir / "cohort.ndjson";
  WriteFile(
      cohort,
      R"({"resourceType":"MedicationStatement","id":"m1","status":"active","medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"84857"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2025-10-01"})"
      "\n"
      R"({"resourceType":"Observation","id":"vd","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"62292-8"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-06-30T22:30:00Z","valueQuantity":{"value":12,"unit":"ng/mL"}})"
      "\n");
  const auto evaluate = [&](const std::string& zone) {
    return RunShell(std::string(BONEWATCH_BINARY) +
                    " evaluate --as-of 2026-06-30 --format summary --time-zone " + Quote(zone) +
                    " " + Quote(cohort));
  };
  const CommandResult fixed = evaluate("+01:00");
  EXPECT_EQ(fixed.status, 0) << fixed.output;
  EXPECT_THAT(fixed.output, HasSubstr("vitamin-d-deficient"));
  const CommandResult berlin = evaluate("Europe/Berlin");
  EXPECT_EQ(berlin.status, 0) << berlin.output;
  EXPECT_THAT(berlin.output, Not(HasSubstr("vitamin-d-deficient")));
  EXPECT_THAT(berlin.output, HasSubstr("p1"));  // evaluated, in scope
  const CommandResult unknown = evaluate("Europe/Atlantis");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_THAT(unknown.output, HasSubstr("--time-zone: unknown IANA time zone 'Europe/Atlantis'"));
}

}  // namespace
}  // namespace bonewatch::deploy_testing
