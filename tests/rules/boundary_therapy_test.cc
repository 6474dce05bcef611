// Boundaries of antiresorptive-indicated (T-score criteria and risk factors),
// of "on antiresorptive therapy" (denosumab 7 months, zoledronic acid 12
// months), of denosumab-overdue, and of the AI course itself (90-day merging,
// course end).
//
// Unless a row says otherwise the patient is postmenopausal (born 1965-03-15,
// 59-60 years old, no risk factor) on anastrozole from 2025-01-10 (S).
#include <vector>

#include "test_builders.h"

namespace bonewatch::rules::dsl {
namespace {

constexpr const char* kStart = "2025-01-10";
constexpr Site kHip = Site::kTotalHip;
Rec OnAi() { return Rec().Born("1965-03-15").Ai(kStart); }

std::vector<BoundaryCase> AntiresorptiveCases() {
  return {
      // (a) lowest T < −2.0.
      {"t_minus_2_00_alone_is_not_indicated", OnAi().TScore("2025-02-01", kHip, -2.0), "2025-03-01",
       NotRaised("antiresorptive-indicated")},
      {"t_minus_2_01_is_indicated", OnAi().TScore("2025-02-01", kHip, -2.01), "2025-03-01",
       Raised("antiresorptive-indicated", PH, "2025-02-01")},
      // (b) lowest T < −1.5 and ≥ 1 risk factor (smoker since 2020).
      {"t_minus_1_50_with_one_risk_factor_is_not_indicated",
       OnAi().Smoker("2020-01-01").TScore("2025-02-01", kHip, -1.5), "2025-03-01",
       NotRaised("antiresorptive-indicated")},
      {"t_minus_1_51_with_one_risk_factor_is_indicated",
       OnAi().Smoker("2020-01-01").TScore("2025-02-01", kHip, -1.51), "2025-03-01",
       Raised("antiresorptive-indicated", PH, "2025-02-01")},
      {"t_minus_1_60_without_risk_factor_is_not_indicated", OnAi().TScore("2025-02-01", kHip, -1.6),
       "2025-03-01", NotRaised("antiresorptive-indicated")},
      // Risk factor "latest BMI < 20", with T −1.6 (criterion b).
      {"bmi_19_9_is_a_risk_factor", OnAi().TScore("2025-02-01", kHip, -1.6).Bmi("2025-02-01", 19.9),
       "2025-03-01", Raised("antiresorptive-indicated", PH, "2025-02-01")},
      {"bmi_20_0_is_not_a_risk_factor",
       OnAi().TScore("2025-02-01", kHip, -1.6).Bmi("2025-02-01", 20.0), "2025-03-01",
       NotRaised("antiresorptive-indicated")},
      {"only_the_latest_bmi_counts",
       OnAi().TScore("2025-02-01", kHip, -1.6).Bmi("2024-06-01", 18.0).Bmi("2025-02-01", 22.0),
       "2025-03-01", NotRaised("antiresorptive-indicated")},
      // Risk factor "age > 65" (whole years), with T −1.6 on the evaluation date.
      {"age_65_is_not_a_risk_factor",
       Rec().Born("1959-03-02").Ai(kStart).TScore("2025-03-01", kHip, -1.6), "2025-03-01",
       NotRaised("antiresorptive-indicated")},
      {"age_66_is_a_risk_factor",
       Rec().Born("1959-03-01").Ai(kStart).TScore("2025-03-01", kHip, -1.6), "2025-03-01",
       Raised("antiresorptive-indicated", PH, "2025-03-01")},
      // (c) ≥ 2 risk factors, each counted once; both predate S, so the
      // episode starts at the course start.
      {"one_risk_factor_alone_is_not_indicated", OnAi().Smoker("2020-01-01"), "2025-02-01",
       NotRaised("antiresorptive-indicated")},
      {"two_risk_factors_are_indicated",
       OnAi().Smoker("2020-01-01").RheumatoidArthritis("2018-05-01"), "2025-02-01",
       Raised("antiresorptive-indicated", PH, "2025-01-10")},
      {"the_same_risk_factor_twice_counts_once", OnAi().Smoker("2020-01-01").Smoker("2022-01-01"),
       "2025-02-01", NotRaised("antiresorptive-indicated")},
      // (e) a fragility fracture on its own.
      {"fragility_fracture_alone_is_indicated", OnAi().FragilityFracture("2020-01-01"),
       "2025-02-01", Raised("antiresorptive-indicated", PH, "2025-01-10")},
      // Glucocorticoid course "> 182 days" (end − start, in days), plus a smoker.
      // 2024-01-01 → 2024-07-01 is 182 days; → 2024-07-02 is 183 days.
      {"glucocorticoid_course_of_182_days_is_not_a_risk_factor",
       OnAi().Smoker("2020-01-01").PrednisoloneUntil("2024-01-01", "2024-07-01"), "2025-02-01",
       NotRaised("antiresorptive-indicated")},
      {"glucocorticoid_course_of_183_days_is_a_risk_factor",
       OnAi().Smoker("2020-01-01").PrednisoloneUntil("2024-01-01", "2024-07-02"), "2025-02-01",
       Raised("antiresorptive-indicated", PH, "2025-01-10")},
      // An open course counts "at evaluation time": 2024-08-01 + 182 days =
      // 2025-01-30. The episode start (the day the course passed 182 days, or
      // the course start) is not asserted here.
      {"open_glucocorticoid_182_days_to_now_is_not_a_risk_factor",
       OnAi().Smoker("2020-01-01").Prednisolone("2024-08-01"), "2025-01-30",
       NotRaised("antiresorptive-indicated")},
      {"open_glucocorticoid_183_days_to_now_is_a_risk_factor",
       OnAi().Smoker("2020-01-01").Prednisolone("2024-08-01"), "2025-01-31",
       Raised("antiresorptive-indicated", PH)},

      // On antiresorptive therapy: a denosumab dose within 7 months
      // (2025-02-01 + 7 months = 2025-09-01). After cover ends, the rule holds
      // again; the start of that new episode is not asserted.
      {"denosumab_covers_through_dose_plus_7_months",
       OnAi().TScore("2025-01-05", kHip, -2.7).DenosumabDose("2025-02-01"), "2025-09-01",
       NotRaised("antiresorptive-indicated")},
      {"denosumab_cover_ends_the_day_after_dose_plus_7_months",
       OnAi().TScore("2025-01-05", kHip, -2.7).DenosumabDose("2025-02-01"), "2025-09-02",
       Raised("antiresorptive-indicated", PH)},
      // Zoledronic acid counts for 12 months after each dose (→ 2026-02-01).
      {"zoledronic_acid_covers_through_dose_plus_12_months",
       OnAi().TScore("2025-01-05", kHip, -2.7).ZoledronicAcidDose("2025-02-01"), "2026-02-01",
       NotRaised("antiresorptive-indicated")},
      {"zoledronic_acid_cover_ends_the_day_after_dose_plus_12_months",
       OnAi().TScore("2025-01-05", kHip, -2.7).ZoledronicAcidDose("2025-02-01"), "2026-02-02",
       Raised("antiresorptive-indicated", PH)},
  };
}

std::vector<BoundaryCase> DenosumabOverdueCases() {
  // Dose 2025-02-01: due 2025-08-01; raised once due + 4 weeks (2025-08-29)
  // < now; PH once now > due + 16 weeks (2025-11-21). Episode start = dose +
  // 6 months + 4 weeks.
  return {
      {"denosumab_not_overdue_on_dose_plus_6_months_4_weeks", OnAi().DenosumabDose("2025-02-01"),
       "2025-08-29", NotRaised("denosumab-overdue")},
      {"denosumab_overdue_the_day_after_dose_plus_6_months_4_weeks",
       OnAi().DenosumabDose("2025-02-01"), "2025-08-30",
       Raised("denosumab-overdue", PM, "2025-08-29")},
      {"denosumab_overdue_medium_16_weeks_past_due", OnAi().DenosumabDose("2025-02-01"),
       "2025-11-21", Raised("denosumab-overdue", PM, "2025-08-29")},
      {"denosumab_overdue_high_more_than_16_weeks_past_due", OnAi().DenosumabDose("2025-02-01"),
       "2025-11-22", Raised("denosumab-overdue", PH, "2025-08-29")},
      // Month-end clamping: 2025-08-31 + 6 months = 2026-02-28; + 4 weeks = 2026-03-28.
      {"denosumab_month_end_dose_not_overdue_on_2026_03_28", OnAi().DenosumabDose("2025-08-31"),
       "2026-03-28", NotRaised("denosumab-overdue")},
      {"denosumab_month_end_dose_overdue_on_2026_03_29", OnAi().DenosumabDose("2025-08-31"),
       "2026-03-29", Raised("denosumab-overdue", PM, "2026-03-28")},
  };
}

class BoundaryAntiresorptiveTest : public ::testing::TestWithParam<BoundaryCase> {};
TEST_P(BoundaryAntiresorptiveTest, Holds) { ExpectBoundary(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Boundary, BoundaryAntiresorptiveTest,
                         ::testing::ValuesIn(AntiresorptiveCases()), RowName<BoundaryCase>());

class BoundaryDenosumabOverdueTest : public ::testing::TestWithParam<BoundaryCase> {};
TEST_P(BoundaryDenosumabOverdueTest, Holds) { ExpectBoundary(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Boundary, BoundaryDenosumabOverdueTest,
                         ::testing::ValuesIn(DenosumabOverdueCases()), RowName<BoundaryCase>());

// The monitored AI course: 90-day merging (spec §2) and the course end.
struct CourseCase {
  std::string name;
  PatientRecord record;
  std::string now;
  Disposition disposition;
  std::string course_start;
};
void PrintTo(const CourseCase& c, std::ostream* os) { *os << c.name << " @ " << c.now; }

std::vector<CourseCase> CourseCases() {
  // First statement 2024-01-01 → 2024-06-30 (completed); the next one starts
  // after a gap of N days: +89 = 2024-09-27, +90 = 2024-09-28, +91 = 2024-09-29.
  auto two_statements = [](const char* second_start) {
    return Rec()
        .Born("1965-03-15")
        .AiUntil("2024-01-01", "2024-06-30")
        .Ai(second_start, "letrozole");
  };
  return {
      {"ai_gap_89_days_continues_the_course", two_statements("2024-09-27"), "2024-10-15",
       Disposition::kActive, "2024-01-01"},
      {"ai_gap_90_days_continues_the_course", two_statements("2024-09-28"), "2024-10-15",
       Disposition::kActive, "2024-01-01"},
      {"ai_gap_91_days_starts_a_new_course", two_statements("2024-09-29"), "2024-10-15",
       Disposition::kActive, "2024-09-29"},
      // Active iff start ≤ now ≤ end; completed iff end < now.
      {"course_active_on_its_start_date", Rec().Born("1965-03-15").Ai("2025-01-10"), "2025-01-10",
       Disposition::kActive, "2025-01-10"},
      {"course_active_on_its_end_date",
       Rec().Born("1965-03-15").AiUntil("2024-06-01", "2025-06-01"), "2025-06-01",
       Disposition::kActive, "2024-06-01"},
      {"course_completed_the_day_after_its_end",
       Rec().Born("1965-03-15").AiUntil("2024-06-01", "2025-06-01"), "2025-06-02",
       Disposition::kCompleted, "2024-06-01"},
      // "The course end is the last end date, if every statement in it is
      // completed or stopped, each with an end. Otherwise the course is open."
      {"on_hold_statement_with_an_end_leaves_the_course_open",
       Rec()
           .Born("1965-03-15")
           .Med(MedicationClass::kAromataseInhibitor, "anastrozole", MedicationStatus::kOnHold,
                "2024-06-01", "2025-01-01"),
       "2025-06-01", Disposition::kActive, "2024-06-01"},
      {"active_statement_with_a_past_end_leaves_the_course_open",
       Rec()
           .Born("1965-03-15")
           .Med(MedicationClass::kAromataseInhibitor, "anastrozole", MedicationStatus::kActive,
                "2024-06-01", "2025-01-01"),
       "2025-06-01", Disposition::kActive, "2024-06-01"},
      {"statements_listed_out_of_order_still_merge",
       Rec().Born("1965-03-15").Ai("2024-09-28", "letrozole").AiUntil("2024-01-01", "2024-06-30"),
       "2024-10-15", Disposition::kActive, "2024-01-01"},
      {"stopped_statement_ends_the_course_too",
       Rec().Born("1965-03-15").AiStopped("2024-06-01", "2025-06-01"), "2025-06-02",
       Disposition::kCompleted, "2024-06-01"},
  };
}

class BoundaryCourseTest : public ::testing::TestWithParam<CourseCase> {};
TEST_P(BoundaryCourseTest, Holds) {
  const CourseCase& c = GetParam();
  const Evaluation evaluation = EvaluateAt(c.record, c.now);
  EXPECT_EQ(Code(evaluation.disposition), Code(c.disposition));
  ASSERT_TRUE(evaluation.course.has_value());
  EXPECT_EQ(evaluation.course->start.ToString(), c.course_start);
  // baseline-dxa-missing starts at the course start (no DXA in these rows).
  const Finding* missing = nullptr;
  for (const Finding& f : evaluation.findings) {
    if (f.rule == "baseline-dxa-missing") missing = &f;
  }
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(missing->episode_start.ToString(), c.course_start);
}
INSTANTIATE_TEST_SUITE_P(Boundary, BoundaryCourseTest, ::testing::ValuesIn(CourseCases()),
                         RowName<CourseCase>());

}  // namespace
}  // namespace bonewatch::rules::dsl
