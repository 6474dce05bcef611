// Clinical scenarios: antiresorptive therapy (bisphosphonates, denosumab,
// zoledronic acid), risk factors, the AI course (scope, merging, course end,
// retraction).
//
// Unless a row says otherwise the patient is a postmenopausal woman born
// 1965-03-15 (59-60 years old here) on anastrozole from 2025-01-10 (S).
#include <vector>

#include "test_builders.h"

namespace bonewatch::rules::dsl {
namespace {

constexpr const char* kStart = "2025-01-10";
constexpr Site kHip = Site::kTotalHip;
Rec OnAi() { return Rec().Born("1965-03-15").Ai(kStart); }
// Osteoporosis (T −2.7 on 2025-01-05, before S).
Rec OsteoporoticOnAi() { return OnAi().TScore("2025-01-05", kHip, -2.7); }
// Osteopenia without risk factor (T −1.2): no antiresorptive indication.
Rec OsteopenicOnAi() { return OnAi().TScore("2025-01-05", kHip, -1.2); }
// Normal DXA (T −0.5).
Rec NormalDxaOnAi() { return OnAi().TScore("2025-01-05", kHip, -0.5); }

std::vector<Scenario> TherapyScenarios() {
  return {
      // Therapy starts → antiresorptive-indicated resolves on the start date.
      {.name = "alendronate_suppresses_antiresorptive_indicated",
       .record = OsteoporoticOnAi().Alendronate("2025-02-01"),
       .now = "2025-03-01",
       .active = {{"osteoporosis", "2025-01-10", PH}},
       .plan = {{"bone-directed-therapy", "in-progress"}, {"denosumab-next-dose", "absent"}},
       .ended = {{"antiresorptive-indicated", "2025-01-10", "2025-02-01"}}},

      {.name = "denosumab_dose_suppresses_antiresorptive_indicated",
       .record = OsteoporoticOnAi().DenosumabDose("2025-02-01"),
       .now = "2025-03-01",
       .active = {{"osteoporosis", "2025-01-10", PH}},
       .plan = {{"bone-directed-therapy", "in-progress"},
                {"denosumab-next-dose", "scheduled", "2025-08-01"}},
       .ended = {{"antiresorptive-indicated", "2025-01-10", "2025-02-01"}}},

      // Dose 2025-01-20: due 2025-07-20; overdue once 2025-08-17 < now.
      {.name = "denosumab_overdue",
       .record = OsteopenicOnAi().DenosumabDose("2025-01-20"),
       .now = "2025-09-01",
       .active = {{"osteopenia", "2025-01-10", PL}, {"denosumab-overdue", "2025-08-17", PM}}},

      // "PH once more than 16 weeks past the 6-month due date": 2025-11-09.
      {.name = "denosumab_overdue_escalates_after_16_weeks",
       .record = OsteopenicOnAi().DenosumabDose("2025-01-20"),
       .now = "2025-11-10",
       .active = {{"osteopenia", "2025-01-10", PL}, {"denosumab-overdue", "2025-08-17", PH}}},

      // "resolves when a new dose" arrives; next dose 6 months after it.
      {.name = "denosumab_new_dose_resolves_overdue",
       .record = OsteopenicOnAi().DenosumabDose("2025-01-20").DenosumabDose("2025-09-10"),
       .now = "2025-09-15",
       .active = {{"osteopenia", "2025-01-10", PL}},
       .plan = {{"denosumab-next-dose", "scheduled", "2026-03-10"},
                {"bone-directed-therapy", "in-progress"}},
       .ended = {{"denosumab-overdue", "2025-08-17", "2025-09-10"}}},

      // "no bisphosphonate started after it" (ECTS 2021: transition off denosumab).
      {.name = "bisphosphonate_after_denosumab_stops_overdue",
       .record = OsteopenicOnAi().DenosumabDose("2025-01-20").Alendronate("2025-08-01"),
       .now = "2025-09-01",
       .active = {{"osteopenia", "2025-01-10", PL}},
       .plan = {{"bone-directed-therapy", "in-progress"}}},

      // A bisphosphonate that ended before the last dose does not count.
      {.name = "bisphosphonate_before_last_denosumab_dose_does_not_stop_overdue",
       .record = OsteopenicOnAi()
                     .Med(MedicationClass::kBisphosphonate, "alendronate",
                          MedicationStatus::kCompleted, "2024-01-01", "2024-12-31")
                     .DenosumabDose("2025-01-20"),
       .now = "2025-09-01",
       .active = {{"osteopenia", "2025-01-10", PL}, {"denosumab-overdue", "2025-08-17", PM}}},

      // "the end of a completed/stopped period" is the last dose: 2025-02-01.
      {.name = "denosumab_completed_period_ends_on_its_last_dose",
       .record = OsteopenicOnAi().Med(MedicationClass::kDenosumab, "denosumab",
                                      MedicationStatus::kCompleted, "2024-08-01", "2025-02-01"),
       .now = "2025-08-30",
       .active = {{"osteopenia", "2025-01-10", PL}, {"denosumab-overdue", "2025-08-29", PM}}},

      // Zoledronic acid is a bisphosphonate: given after denosumab it stops the rule.
      {.name = "zoledronic_acid_after_denosumab_stops_overdue",
       .record = OsteopenicOnAi().DenosumabDose("2025-01-20").ZoledronicAcidDose("2025-08-10"),
       .now = "2025-09-01",
       .active = {{"osteopenia", "2025-01-10", PL}},
       .plan = {{"bone-directed-therapy", "in-progress"}}},

      // Last dose 2024-01-01: overdue since 2024-07-29, before the AI course, so
      // the episode starts at the course start; PH (more than 16 weeks past the
      // 2024-07-01 due date).
      {.name = "denosumab_overdue_before_ai_start_starts_at_course_start",
       .record = OsteopenicOnAi().DenosumabDose("2024-01-01"),
       .now = "2025-02-01",
       .active = {{"osteopenia", "2025-01-10", PL}, {"denosumab-overdue", "2025-01-10", PH}}},

      // "An open, active denosumab course counts as adherent."
      {.name = "open_denosumab_course_is_adherent",
       .record = OsteopenicOnAi().DenosumabOpen("2024-06-01"),
       .now = "2025-09-01",
       .active = {{"osteopenia", "2025-01-10", PL}},
       .plan = {{"bone-directed-therapy", "in-progress"}}},

      // Zoledronic acid 2025-01-20 covers 12 months (to 2026-01-20). High risk
      // (T < −1.0): DXA due 2025-01-05 + 12 months.
      {.name = "zoledronic_acid_covers_12_months",
       .record = OsteoporoticOnAi().ZoledronicAcidDose("2025-01-20"),
       .now = "2026-01-20",
       .active = {{"dxa-follow-up-due", "2026-01-05", PM}, {"osteoporosis", "2025-01-10", PH}},
       .plan = {{"bone-directed-therapy", "in-progress"}},
       .ended = {{"antiresorptive-indicated", "2025-01-10", "2025-01-20"}}},

      // Cover lapses the next day: the rule holds again. The start of the new
      // episode is not asserted (the spec dates it by the criterion's fact,
      // which predates the first episode).
      {.name = "zoledronic_acid_cover_lapses_after_12_months",
       .record = OsteoporoticOnAi().ZoledronicAcidDose("2025-01-20"),
       .now = "2026-01-21",
       .active = {{"dxa-follow-up-due", "2026-01-05", PM},
                  {"osteoporosis", "2025-01-10", PH},
                  {"antiresorptive-indicated", "", PH}},
       .plan = {{"bone-directed-therapy", "not-started"}}},

      // Risk factors. (c) two risk factors; (e) fragility fracture.
      {.name = "age_over_65_and_smoker",
       .record = Rec()
                     .Born("1955-01-01")
                     .Smoker("2000-01-01")
                     .Ai(kStart)
                     .TScore("2025-01-05", kHip, -0.5),
       .now = "2025-02-01",
       .active = {{"antiresorptive-indicated", "2025-01-10", PH}},
       .plan = {{"dxa-follow-up", "scheduled", "2026-01-05"},
                {"bone-directed-therapy", "not-started"}}},

      // BMI 18.5 on 2025-02-01 is the second risk factor: the episode starts then.
      {.name = "family_hip_fracture_and_low_bmi",
       .record = NormalDxaOnAi().FamilyHipFracture("2010-01-01").Bmi("2025-02-01", 18.5),
       .now = "2025-03-01",
       .active = {{"antiresorptive-indicated", "2025-02-01", PH}}},

      {.name = "fragility_fracture_during_the_course",
       .record = NormalDxaOnAi().FragilityFracture("2025-03-01"),
       .now = "2025-03-15",
       .active = {{"antiresorptive-indicated", "2025-03-01", PH}},
       .plan = {{"dxa-follow-up", "scheduled", "2026-01-05"},
                {"bone-directed-therapy", "not-started"}}},

      // History conditions count whatever their clinicalStatus.
      {.name = "resolved_fracture_history_still_counts",
       .record = NormalDxaOnAi().FragilityFracture("2019-05-01", /*clinically_active=*/false),
       .now = "2025-02-01",
       .active = {{"antiresorptive-indicated", "2025-01-10", PH}}},

      // smoker counts only while clinicalStatus is active: one risk factor (RA).
      {.name = "inactive_smoker_condition_does_not_count",
       .record =
           NormalDxaOnAi().FormerSmokerCondition("2015-01-01").RheumatoidArthritis("2019-01-01"),
       .now = "2025-02-01",
       .active = {},
       .plan = {{"bone-directed-therapy", "absent"}}},

      // A smoking-status Observation counts only when it is the latest one.
      {.name = "latest_smoking_status_non_smoker_does_not_count",
       .record = NormalDxaOnAi()
                     .SmokingStatus("2023-01-01", /*current_smoker=*/true)
                     .SmokingStatus("2024-06-01", /*current_smoker=*/false)
                     .RheumatoidArthritis("2019-01-01"),
       .now = "2025-02-01",
       .active = {}},

      {.name = "latest_smoking_status_current_smoker_counts",
       .record = NormalDxaOnAi()
                     .SmokingStatus("2023-01-01", /*current_smoker=*/false)
                     .SmokingStatus("2024-06-01", /*current_smoker=*/true)
                     .RheumatoidArthritis("2019-01-01"),
       .now = "2025-02-01",
       .active = {{"antiresorptive-indicated", "2025-01-10", PH}}},

      // Prednisolone since 2024-06-01: 245 days at now > 182 → risk factor →
      // (b) with T −1.6. Every fact predates S.
      {.name = "long_glucocorticoid_course_is_a_risk_factor",
       .record = OnAi().Prednisolone("2024-06-01").TScore("2025-01-05", kHip, -1.6),
       .now = "2025-02-01",
       .active = {{"osteopenia", "2025-01-10", PL},
                  {"antiresorptive-indicated", "2025-01-10", PH}}},

      // Glucocorticoid uses merge into courses like AI uses (gap ≤ 90 days):
      // 2024-03-01 → 2024-06-08 and 2024-07-01 → 2024-10-01 are one course of
      // 214 days, although each statement is under 182 days.
      {.name = "glucocorticoid_statements_merge_into_one_long_course",
       .record = OnAi()
                     .PrednisoloneUntil("2024-03-01", "2024-06-08")
                     .PrednisoloneUntil("2024-07-01", "2024-10-01")
                     .TScore("2025-01-05", kHip, -1.6),
       .now = "2025-02-01",
       .active = {{"osteopenia", "2025-01-10", PL},
                  {"antiresorptive-indicated", "2025-01-10", PH}}},

      {.name = "short_glucocorticoid_course_is_not_a_risk_factor",
       .record =
           OnAi().PrednisoloneUntil("2024-06-01", "2024-08-01").TScore("2025-01-05", kHip, -1.6),
       .now = "2025-02-01",
       .active = {{"osteopenia", "2025-01-10", PL}}},

      // Scope.
      {.name = "no_aromatase_inhibitor_is_out_of_scope",
       .record = Rec()
                     .Born("1965-03-15")
                     .TScore("2025-01-05", kHip, -2.7)
                     .VitaminD("2025-01-05", 10)
                     .DenosumabDose("2024-01-01"),
       .now = "2025-02-01",
       .active = {},
       .disposition = Disposition::kOutOfScope},

      // Tamoxifen is not mapped; goserelin alone is not an AI course.
      {.name = "tamoxifen_and_goserelin_only_is_out_of_scope",
       .record = Rec().Born("1980-03-15").Goserelin("2024-01-01").TScore("2025-01-05", kHip, -2.7),
       .now = "2025-02-01",
       .active = {},
       .disposition = Disposition::kOutOfScope},

      {.name = "retracted_ai_with_no_course_left",
       .record = Rec().Born("1965-03-15").AiRetracted().TScore("2025-01-05", kHip, -2.7),
       .now = "2025-02-01",
       .active = {},
       .disposition = Disposition::kRetracted},

      {.name = "retraction_with_another_ai_course_left_is_monitored",
       .record = OnAi().AiRetracted(),
       .now = "2025-01-20",
       .active = {{"baseline-dxa-missing", "2025-01-10", PM}}},

      // Course end: active episodes become inactive with end = course end.
      {.name = "ai_course_ended_flags_become_inactive",
       .record = Rec()
                     .Born("1965-03-15")
                     .AiUntil("2024-01-10", "2025-01-10")
                     .TScore("2024-06-01", kHip, -2.7),
       .now = "2025-02-01",
       .active = {},
       .disposition = Disposition::kCompleted,
       .ended = {{"baseline-dxa-missing", "2024-01-10", "2024-06-01"},
                 {"osteoporosis", "2024-06-01", "2025-01-10"},
                 {"antiresorptive-indicated", "2024-06-01", "2025-01-10"}},
       .course_start = "2024-01-10"},

      // Gap 2023-01-10 → 2024-03-01 > 90 days: only the second course is
      // monitored; the 2022 DXA predates its lookback (2023-03-01).
      {.name = "two_ai_courses_only_the_latest_is_monitored",
       .record = Rec()
                     .Born("1965-03-15")
                     .TScore("2022-01-05", kHip, -0.5)
                     .AiUntil("2022-01-10", "2023-01-10")
                     .Ai("2024-03-01", "letrozole"),
       .now = "2024-04-01",
       .active = {{"baseline-dxa-missing", "2024-03-01", PM}},
       .course_start = "2024-03-01"},

      // anastrozole (stopped 2025-06-01) → exemestane after 19 days: one course.
      // Had it restarted on 2025-06-20, btm-3-month-due would be raised from
      // 2025-09-20 (no sample from 2025-08-20 on).
      {.name = "switch_anastrozole_to_exemestane_keeps_the_course",
       .record = Rec()
                     .Born("1965-03-15")
                     .AiStopped(kStart, "2025-06-01", "anastrozole")
                     .Ai("2025-06-20", "exemestane")
                     .TScore("2025-01-05", kHip, -0.5)
                     .Ctx("2025-01-05", 400)
                     .Ctx("2025-04-15", 410),
       .now = "2025-10-01",
       .active = {},
       .plan = {{"btm-3-month", "completed"}, {"dxa-follow-up", "scheduled", "2027-01-05"}},
       .course_start = "2025-01-10"},
  };
}

class ScenarioTherapyTest : public ::testing::TestWithParam<Scenario> {};
TEST_P(ScenarioTherapyTest, Matches) { ExpectScenario(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Scenario, ScenarioTherapyTest, ::testing::ValuesIn(TherapyScenarios()),
                         RowName<Scenario>());

}  // namespace
}  // namespace bonewatch::rules::dsl
