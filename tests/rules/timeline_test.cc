// Internals of the timeline (spec §2): course merging, DXA sessions, ages,
// premenopausal status, risk factors and antiresorptive therapy windows.
#include "../../rules/src/timeline.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../../rules/src/state.h"

namespace bonewatch::rules::internal {
namespace {

Date D(const char* text) { return *Date::Parse(text); }

MedicationUse Use(MedicationClass c, const char* start, const char* end = nullptr,
                  MedicationStatus status = MedicationStatus::kCompleted,
                  const char* ingredient = "anastrozole") {
  static int next_id = 0;
  MedicationUse use;
  use.medication_class = c;
  use.ingredient = ingredient;
  use.status = end ? status : MedicationStatus::kActive;
  use.start = D(start);
  if (end) use.end = D(end);
  use.source = {"MedicationStatement", "m" + std::to_string(++next_id), "1", ""};
  return use;
}

MedicationUse Ai(const char* start, const char* end = nullptr,
                 MedicationStatus status = MedicationStatus::kCompleted) {
  return Use(MedicationClass::kAromataseInhibitor, start, end, status);
}

std::vector<Course> Merge(const std::vector<MedicationUse>& uses) {
  std::vector<const MedicationUse*> ptrs;
  for (const MedicationUse& u : uses) ptrs.push_back(&u);
  return MergeCourses(ptrs, RuleSet().courseGapDays);
}

// --- Course merging -------------------------------------------------------

struct MergeRow {
  const char* name;
  std::vector<MedicationUse> uses;
  size_t courses;
  const char* last_start;
  const char* last_end;  // nullptr: open
};

class MergeCoursesTest : public ::testing::TestWithParam<MergeRow> {};

TEST_P(MergeCoursesTest, Table) {
  const MergeRow& row = GetParam();
  const std::vector<Course> courses = Merge(row.uses);
  ASSERT_EQ(courses.size(), row.courses);
  EXPECT_EQ(courses.back().start.ToString(), row.last_start);
  EXPECT_EQ(courses.back().end ? courses.back().end->ToString() : "open",
            row.last_end ? row.last_end : "open");
}

INSTANTIATE_TEST_SUITE_P(
    Table, MergeCoursesTest,
    ::testing::Values(
        // 2025-06-30 + 89/90/91 days = 2025-09-27 / 09-28 / 09-29.
        MergeRow{"gap_89_days_continues",
                 {Ai("2025-01-01", "2025-06-30"), Ai("2025-09-27", "2025-12-31")},
                 1,
                 "2025-01-01",
                 "2025-12-31"},
        MergeRow{"gap_90_days_continues",
                 {Ai("2025-01-01", "2025-06-30"), Ai("2025-09-28", "2025-12-31")},
                 1,
                 "2025-01-01",
                 "2025-12-31"},
        MergeRow{"gap_91_days_starts_a_new_course",
                 {Ai("2025-01-01", "2025-06-30"), Ai("2025-09-29", "2025-12-31")},
                 2,
                 "2025-09-29",
                 "2025-12-31"},
        MergeRow{"input_order_does_not_matter",
                 {Ai("2025-09-28", "2025-12-31"), Ai("2025-01-01", "2025-06-30")},
                 1,
                 "2025-01-01",
                 "2025-12-31"},
        MergeRow{"open_use_makes_the_course_open",
                 {Ai("2025-01-01", "2025-06-30"), Ai("2025-08-01")},
                 1,
                 "2025-01-01",
                 nullptr},
        MergeRow{"open_use_absorbs_every_later_use",
                 {Ai("2020-01-01"), Ai("2025-01-01", "2025-06-30")},
                 1,
                 "2020-01-01",
                 nullptr},
        MergeRow{"active_use_with_an_end_is_not_finished",
                 {Ai("2025-01-01", "2025-06-30", MedicationStatus::kActive)},
                 1,
                 "2025-01-01",
                 nullptr},
        MergeRow{"stopped_use_is_finished",
                 {Ai("2025-01-01", "2025-06-30", MedicationStatus::kStopped)},
                 1,
                 "2025-01-01",
                 "2025-06-30"},
        MergeRow{"course_end_is_the_latest_end_not_the_last_use",
                 {Ai("2025-01-01", "2025-12-31"), Ai("2025-02-01", "2025-03-01")},
                 1,
                 "2025-01-01",
                 "2025-12-31"}),
    [](const auto& row) { return std::string(row.param.name); });

TEST(MergeCoursesTest, DrugSwitchWithinClassDoesNotRestart) {
  std::vector<MedicationUse> uses = {Use(MedicationClass::kAromataseInhibitor, "2024-01-01",
                                         "2025-01-31", MedicationStatus::kStopped, "anastrozole"),
                                     Use(MedicationClass::kAromataseInhibitor, "2025-02-15",
                                         nullptr, MedicationStatus::kActive, "exemestane")};
  const std::vector<Course> courses = Merge(uses);
  ASSERT_EQ(courses.size(), 1u);
  EXPECT_EQ(courses[0].start.ToString(), "2024-01-01");
  EXPECT_TRUE(courses[0].IsOpen());
  EXPECT_EQ(courses[0].uses.size(), 2u);
}

// --- DXA sessions ---------------------------------------------------------

Fact Dxa(Concept c, const char* date, std::optional<double> value, int id) {
  return Fact{
      c,      Site::kTotalHip, value, D(date), {"Observation", "o" + std::to_string(id), "1", ""},
      "final"};
}

TEST(SessionsTest, ThirtyDaysJoinsThirtyOneDaysSplits) {
  const std::vector<Fact> facts = {
      Dxa(Concept::kDxaProcedure, "2025-01-01", std::nullopt, 1),
      Dxa(Concept::kDxaTScore, "2025-01-31", -1.2, 2),  // +30 days: same session
      Dxa(Concept::kDxaTScore, "2025-03-03", -1.4, 3),  // +31 days: new session
  };
  std::vector<const Fact*> ptrs;
  for (const Fact& f : facts) ptrs.push_back(&f);
  const std::vector<Session> sessions = BuildSessions(ptrs, 30);
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_EQ(sessions[0].date.ToString(), "2025-01-31");  // dated by its latest member
  EXPECT_EQ(sessions[0].members.size(), 2u);
  EXPECT_TRUE(sessions[0].has_values);
  EXPECT_DOUBLE_EQ(*sessions[0].LowestTScore()->value, -1.2);
  EXPECT_EQ(sessions[1].date.ToString(), "2025-03-03");
}

TEST(SessionsTest, ProcedureOnlySessionHasNoValues) {
  const Fact f = Dxa(Concept::kDxaProcedure, "2025-01-01", std::nullopt, 1);
  const std::vector<const Fact*> ptrs = {&f};
  const std::vector<Session> sessions = BuildSessions(ptrs, 30);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_FALSE(sessions[0].has_values);
  EXPECT_EQ(sessions[0].LowestTScore(), nullptr);
}

TEST(SessionsTest, ChainOfCloseMembersIsOneSession) {
  const std::vector<Fact> facts = {Dxa(Concept::kDxaTScore, "2025-01-01", -1.0, 1),
                                   Dxa(Concept::kDxaTScore, "2025-01-25", -2.0, 2),
                                   Dxa(Concept::kDxaZScore, "2025-02-20", -0.5, 3)};
  std::vector<const Fact*> ptrs;
  for (const Fact& f : facts) ptrs.push_back(&f);
  const std::vector<Session> sessions = BuildSessions(ptrs, 30);
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].date.ToString(), "2025-02-20");
  EXPECT_DOUBLE_EQ(*sessions[0].LowestTScore()->value, -2.0);
  EXPECT_TRUE(sessions[0].HasZScore());
}

// --- Ages -----------------------------------------------------------------

TEST(AgeTest, WholeYearsWithLeapDayBirthdays) {
  EXPECT_EQ(AgeInYears(D("1975-06-15"), D("2025-06-14")), 49);
  EXPECT_EQ(AgeInYears(D("1975-06-15"), D("2025-06-15")), 50);
  EXPECT_EQ(AgeInYears(D("1976-02-29"), D("2026-02-27")), 49);
  EXPECT_EQ(AgeInYears(D("1976-02-29"), D("2026-02-28")), 50);  // non-leap: 28 Feb
  EXPECT_EQ(AgeInYears(D("1976-02-29"), D("2024-02-29")), 48);
  EXPECT_EQ(Birthday(D("1976-02-29"), 50).ToString(), "2026-02-28");
}

// --- State: premenopausal, risk factors, therapy ---------------------------

class StateTest : public ::testing::Test {
 protected:
  StateTest() {
    record_.patient_id = "p";
    record_.medications.push_back(Ai("2025-01-10"));
  }
  State At(const char* t) {
    timeline_ = BuildTimeline(record_, D(t), rules_);
    return BuildState(timeline_, D(t));
  }
  void Born(const char* date) { record_.demographics.birth_date = D(date); }
  void AddRisk(RiskFactorKind kind, const char* date, bool active = true,
               RiskFactorOrigin origin = RiskFactorOrigin::kCondition, bool present = true) {
    RiskFactorFact r;
    r.kind = kind;
    r.origin = origin;
    r.date = D(date);
    r.clinically_active = active;
    r.present = present;
    r.source = {"Condition", "c" + std::to_string(record_.risk_factors.size()), "1", ""};
    record_.risk_factors.push_back(r);
  }
  void AddValue(Concept c, const char* date, double value) {
    record_.facts.push_back(
        Fact{c,
             Site::kNone,
             value,
             D(date),
             {"Observation", "o" + std::to_string(record_.facts.size()), "1", ""},
             "final"});
  }

  PatientRecord record_;
  RuleSet rules_;
  Timeline timeline_;
};

TEST_F(StateTest, PremenopausalByAge) {
  Born("1975-06-15");
  EXPECT_TRUE(At("2025-06-14").premenopausal);   // 49
  EXPECT_FALSE(At("2025-06-15").premenopausal);  // 50
}

TEST_F(StateTest, PremenopausalMissingBirthDateIsNeither) {
  const State s = At("2025-06-14");
  EXPECT_FALSE(s.premenopausal);
  EXPECT_TRUE(s.risk_factors.empty());
}

TEST_F(StateTest, PremenopausalByOverlappingOvarianSuppression) {
  Born("1960-01-01");
  record_.medications.push_back(
      Use(MedicationClass::kOvarianSuppression, "2024-01-01", "2025-01-10"));  // overlaps 1 day
  EXPECT_TRUE(At("2025-03-01").premenopausal);
}

TEST_F(StateTest, OvarianSuppressionEndedBeforeTheCourseDoesNotCount) {
  Born("1960-01-01");
  record_.medications.push_back(
      Use(MedicationClass::kOvarianSuppression, "2024-01-01", "2025-01-09"));
  EXPECT_FALSE(At("2025-03-01").premenopausal);
}

TEST_F(StateTest, PremenopausalConditionCountsOnlyWhileActive) {
  Born("1960-01-01");
  AddRisk(RiskFactorKind::kPremenopausal, "2025-02-01", /*active=*/false);
  EXPECT_FALSE(At("2025-03-01").premenopausal);
  AddRisk(RiskFactorKind::kPremenopausal, "2025-02-01", /*active=*/true);
  EXPECT_FALSE(At("2025-01-31").premenopausal);  // not yet recorded
  EXPECT_TRUE(At("2025-03-01").premenopausal);
}

TEST_F(StateTest, AgeRiskFactorIsAboveSixtyFiveWholeYears) {
  Born("1959-03-01");
  EXPECT_EQ(At("2024-03-01").risk_factors.size(), 0u);  // 65th birthday: not > 65
  EXPECT_EQ(At("2025-02-28").risk_factors.size(), 0u);  // 65 and 364 days
  EXPECT_EQ(At("2025-03-01").risk_factors.size(), 1u);  // 66
}

TEST_F(StateTest, RiskFactorsAreCountedOnce) {
  Born("1950-01-01");                              // age > 65
  AddRisk(RiskFactorKind::kSmoker, "2024-01-01");  // smoker, twice
  AddRisk(RiskFactorKind::kSmoker, "2024-06-01");
  AddRisk(RiskFactorKind::kFragilityFracture, "2010-01-01", false);  // history: counts
  AddRisk(RiskFactorKind::kFragilityFracture, "2015-01-01");
  AddRisk(RiskFactorKind::kFamilyHipFracture, "2000-01-01");
  AddRisk(RiskFactorKind::kRheumatoidArthritis, "2020-01-01", false);
  AddValue(Concept::kBmi, "2025-01-01", 19.9);
  const State s = At("2025-03-01");
  EXPECT_EQ(s.risk_factors.size(), 6u);
  EXPECT_TRUE(s.has_fragility_fracture);
}

TEST_F(StateTest, BmiRiskUsesTheLatestValueStrictlyBelow20) {
  AddValue(Concept::kBmi, "2025-01-01", 19.9);
  EXPECT_EQ(At("2025-02-01").risk_factors.size(), 1u);
  AddValue(Concept::kBmi, "2025-02-15", 20.0);
  EXPECT_EQ(At("2025-03-01").risk_factors.size(), 0u);
}

TEST_F(StateTest, SmokingStatusObservationCountsOnlyWhenLatest) {
  AddRisk(RiskFactorKind::kSmoker, "2025-01-01", true, RiskFactorOrigin::kSmokingStatusObservation,
          true);
  EXPECT_EQ(At("2025-01-20").risk_factors.size(), 1u);
  AddRisk(RiskFactorKind::kSmoker, "2025-02-01", true, RiskFactorOrigin::kSmokingStatusObservation,
          false);
  EXPECT_EQ(At("2025-03-01").risk_factors.size(), 0u);
  EXPECT_EQ(At("2025-01-20").risk_factors.size(), 1u);  // as of then, still the latest
}

TEST_F(StateTest, InactiveSmokerConditionDoesNotCount) {
  AddRisk(RiskFactorKind::kSmoker, "2025-01-01", false);
  EXPECT_EQ(At("2025-03-01").risk_factors.size(), 0u);
}

TEST_F(StateTest, GlucocorticoidCourseLongerThan182Days) {
  // 2025-01-01 + 182 days = 2025-07-02; + 183 days = 2025-07-03.
  record_.medications.push_back(Use(MedicationClass::kGlucocorticoid, "2025-01-01"));
  EXPECT_EQ(At("2025-07-02").risk_factors.size(), 0u);
  EXPECT_EQ(At("2025-07-03").risk_factors.size(), 1u);
}

TEST_F(StateTest, FinishedGlucocorticoidCourseCountsUpToItsEnd) {
  record_.medications.push_back(
      Use(MedicationClass::kGlucocorticoid, "2024-01-01", "2024-07-02"));  // 183 days
  EXPECT_EQ(At("2025-03-01").risk_factors.size(), 1u);
  record_.medications.back().end = D("2024-07-01");  // 182 days
  EXPECT_EQ(At("2025-03-01").risk_factors.size(), 0u);
}

TEST_F(StateTest, GlucocorticoidUsesMergeIntoOneCourse) {
  record_.medications.push_back(Use(MedicationClass::kGlucocorticoid, "2024-01-01", "2024-04-01"));
  record_.medications.push_back(
      Use(MedicationClass::kGlucocorticoid, "2024-05-01", "2024-08-01"));  // 30-day gap
  EXPECT_EQ(At("2025-03-01").risk_factors.size(), 1u);
}

struct TherapyRow {
  const char* name;
  MedicationUse use;
  const char* at;
  bool on_therapy;
};

class TherapyWindowTest : public ::testing::TestWithParam<TherapyRow> {};

TEST_P(TherapyWindowTest, Table) {
  const TherapyRow& row = GetParam();
  PatientRecord record;
  record.medications = {Ai("2025-01-10"), row.use};
  const RuleSet rules;
  const Timeline tl = BuildTimeline(record, D(row.at), rules);
  EXPECT_EQ(BuildState(tl, D(row.at)).on_therapy, row.on_therapy);
}

MedicationUse Denosumab(const char* date) {
  return Use(MedicationClass::kDenosumab, date, date, MedicationStatus::kCompleted, "denosumab");
}
MedicationUse Zoledronic(const char* date) {
  return Use(MedicationClass::kBisphosphonate, date, date, MedicationStatus::kCompleted,
             "zoledronic-acid");
}

INSTANTIATE_TEST_SUITE_P(
    Table, TherapyWindowTest,
    ::testing::Values(
        TherapyRow{"denosumab_on_the_dose_day", Denosumab("2025-02-01"), "2025-02-01", true},
        TherapyRow{"denosumab_at_7_months", Denosumab("2025-02-01"), "2025-09-01", true},
        TherapyRow{"denosumab_after_7_months", Denosumab("2025-02-01"), "2025-09-02", false},
        TherapyRow{"denosumab_open_course",
                   Use(MedicationClass::kDenosumab, "2023-01-01", nullptr,
                       MedicationStatus::kActive, "denosumab"),
                   "2025-09-02", true},
        TherapyRow{"zoledronic_at_12_months", Zoledronic("2025-02-01"), "2026-02-01", true},
        TherapyRow{"zoledronic_after_12_months", Zoledronic("2025-02-01"), "2026-02-02", false},
        // Local mappings may name the ingredient by its RxNorm or ATC code.
        TherapyRow{"zoledronic_rxnorm_code_at_12_months",
                   Use(MedicationClass::kBisphosphonate, "2025-02-01", "2025-02-01",
                       MedicationStatus::kCompleted, "77655"),
                   "2026-02-01", true},
        TherapyRow{"zoledronic_atc_code_at_12_months",
                   Use(MedicationClass::kBisphosphonate, "2025-02-01", "2025-02-01",
                       MedicationStatus::kCompleted, "M05BA08"),
                   "2026-02-01", true},
        TherapyRow{"alendronate_open",
                   Use(MedicationClass::kBisphosphonate, "2025-02-01", nullptr,
                       MedicationStatus::kActive, "alendronate"),
                   "2026-06-01", true},
        TherapyRow{"alendronate_on_its_end_date",
                   Use(MedicationClass::kBisphosphonate, "2025-02-01", "2025-08-01",
                       MedicationStatus::kCompleted, "alendronate"),
                   "2025-08-01", true},
        TherapyRow{"alendronate_after_its_end",
                   Use(MedicationClass::kBisphosphonate, "2025-02-01", "2025-08-01",
                       MedicationStatus::kCompleted, "alendronate"),
                   "2025-08-02", false},
        TherapyRow{"alendronate_before_its_start",
                   Use(MedicationClass::kBisphosphonate, "2025-02-01", nullptr,
                       MedicationStatus::kActive, "alendronate"),
                   "2025-01-31", false}),
    [](const auto& row) { return std::string(row.param.name); });

}  // namespace
}  // namespace bonewatch::rules::internal
