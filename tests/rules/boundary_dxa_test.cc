// Boundaries of the DXA rules (spec §2 sessions and §3 table): one row per
// side of every T-score, Z-score, BMD and age threshold, and the day before /
// the day of every DXA due date.
//
// Unless a row says otherwise the patient is postmenopausal (born 1965-03-15,
// 59-62 years old in these rows, no risk factor) on anastrozole from
// 2025-01-10 (the course start S). Derived dates:
//   S - 12 months = 2024-01-10, S + 3 months = 2025-04-10.
#include <vector>

#include "test_builders.h"

namespace bonewatch::rules::dsl {
namespace {

constexpr const char* kStart = "2025-01-10";
Rec OnAi() { return Rec().Born("1965-03-15").Ai(kStart); }
// 46 years old: premenopausal by age (spec §2: age < 50).
Rec PremenopausalOnAi() { return Rec().Born("1978-06-01").Ai(kStart); }

std::vector<BoundaryCase> DxaValueCases() {
  constexpr Site kHip = Site::kTotalHip;
  return {
      // WHO categories (spec §3 osteopenia "−2.5 < lowest T < −1.0 (−1.0 itself
      // is normal)"; osteoporosis "≤ −2.5"). Session on 2025-02-01, after S.
      {"t_minus_1_00_is_normal", OnAi().TScore("2025-02-01", kHip, -1.0), "2025-03-01",
       NotRaised("osteopenia")},
      {"t_minus_1_01_is_osteopenia", OnAi().TScore("2025-02-01", kHip, -1.01), "2025-03-01",
       Raised("osteopenia", PL, "2025-02-01")},
      {"t_minus_2_49_is_osteopenia", OnAi().TScore("2025-02-01", kHip, -2.49), "2025-03-01",
       Raised("osteopenia", PL, "2025-02-01")},
      {"t_minus_2_49_is_not_osteoporosis", OnAi().TScore("2025-02-01", kHip, -2.49), "2025-03-01",
       NotRaised("osteoporosis")},
      {"t_minus_2_50_is_osteoporosis", OnAi().TScore("2025-02-01", kHip, -2.5), "2025-03-01",
       Raised("osteoporosis", PH, "2025-02-01")},
      {"t_minus_2_50_is_not_osteopenia", OnAi().TScore("2025-02-01", kHip, -2.5), "2025-03-01",
       NotRaised("osteopenia")},
      {"t_minus_2_51_is_osteoporosis", OnAi().TScore("2025-02-01", kHip, -2.51), "2025-03-01",
       Raised("osteoporosis", PH, "2025-02-01")},

      // low-bmd-for-age: premenopausal and Z ≤ −2.0; it replaces osteoporosis.
      {"z_minus_2_00_premenopausal_is_low_bmd_for_age",
       PremenopausalOnAi().TScore("2025-02-01", kHip, -2.7).ZScore("2025-02-01", kHip, -2.0),
       "2025-03-01", Raised("low-bmd-for-age", PH, "2025-02-01")},
      {"z_minus_2_00_premenopausal_replaces_osteoporosis",
       PremenopausalOnAi().TScore("2025-02-01", kHip, -2.7).ZScore("2025-02-01", kHip, -2.0),
       "2025-03-01", NotRaised("osteoporosis")},
      {"z_minus_1_99_premenopausal_is_not_low_bmd_for_age",
       PremenopausalOnAi().TScore("2025-02-01", kHip, -2.7).ZScore("2025-02-01", kHip, -1.99),
       "2025-03-01", NotRaised("low-bmd-for-age")},

      // Premenopausal = age < 50 at evaluation (whole years). The session is on
      // the evaluation date so that the age is the same at both.
      {"age_49_is_premenopausal",
       Rec()
           .Born("1975-03-02")
           .Ai(kStart)
           .TScore("2025-03-01", kHip, -2.7)
           .ZScore("2025-03-01", kHip, -2.3),
       "2025-03-01", Raised("low-bmd-for-age", PH, "2025-03-01")},
      {"age_50_is_not_premenopausal",
       Rec()
           .Born("1975-03-01")
           .Ai(kStart)
           .TScore("2025-03-01", kHip, -2.7)
           .ZScore("2025-03-01", kHip, -2.3),
       "2025-03-01", NotRaised("low-bmd-for-age")},
      {"age_50_gets_osteoporosis_not_low_bmd_for_age",
       Rec()
           .Born("1975-03-01")
           .Ai(kStart)
           .TScore("2025-03-01", kHip, -2.7)
           .ZScore("2025-03-01", kHip, -2.3),
       "2025-03-01", Raised("osteoporosis", PH, "2025-03-01")},

      // bmd-significant-loss: ≥ 5% below the baseline session at the same site.
      // Baseline 2025-01-05 (in the lookback), latest 2026-01-15.
      {"bmd_loss_4_9_percent_is_not_significant",
       OnAi().Bmd("2025-01-05", kHip, 1.000).Bmd("2026-01-15", kHip, 0.951), "2026-02-01",
       NotRaised("bmd-significant-loss")},
      {"bmd_loss_5_0_percent_is_significant",
       OnAi().Bmd("2025-01-05", kHip, 1.000).Bmd("2026-01-15", kHip, 0.950), "2026-02-01",
       Raised("bmd-significant-loss", PH, "2026-01-15")},

      // DXA session: a member more than 30 days after the previous one starts a
      // new session; a session is dated by its latest member (spec §2).
      // 2025-02-01 + 30 days = 2025-03-03.
      {"dxa_member_30_days_later_joins_the_session",
       OnAi().TScore("2025-02-01", kHip, -2.7).TScore("2025-03-03", Site::kLumbarSpine, -0.5),
       "2025-04-01", Raised("osteoporosis", PH, "2025-03-03")},
      {"dxa_member_31_days_later_starts_a_new_session",
       OnAi().TScore("2025-02-01", kHip, -2.7).TScore("2025-03-04", Site::kLumbarSpine, -0.5),
       "2025-04-01", NotRaised("osteoporosis")},
      // "more than 30 days after the previous member": members chain, so
      // 2025-02-01, 2025-02-26, 2025-03-23 (25 days apart each) are one session,
      // although the last is 50 days after the first.
      {"dxa_members_chain_into_one_session",
       OnAi()
           .TScore("2025-02-01", kHip, -2.7)
           .DxaProcedure("2025-02-26")
           .TScore("2025-03-23", Site::kLumbarSpine, -0.5),
       "2025-04-01", Raised("osteoporosis", PH, "2025-03-23")},

      // Premenopausal via ovarian suppression that "overlaps the AI course"
      // (57 years old; T −2.7, Z −2.3 on 2025-02-01). Goserelin ending the day
      // before the AI start does not overlap; ending on the start day does.
      {"goserelin_ending_the_day_before_ai_start_does_not_overlap",
       Rec()
           .Born("1968-01-01")
           .GoserelinUntil("2024-06-01", "2025-01-09")
           .Ai(kStart)
           .TScore("2025-02-01", kHip, -2.7)
           .ZScore("2025-02-01", kHip, -2.3),
       "2025-03-01", NotRaised("low-bmd-for-age")},
      {"goserelin_ending_on_ai_start_overlaps",
       Rec()
           .Born("1968-01-01")
           .GoserelinUntil("2024-06-01", "2025-01-10")
           .Ai(kStart)
           .TScore("2025-02-01", kHip, -2.7)
           .ZScore("2025-02-01", kHip, -2.3),
       "2025-03-01", Raised("low-bmd-for-age", PH, "2025-02-01")},
  };
}

std::vector<BoundaryCase> DxaSchedulingCases() {
  constexpr Site kHip = Site::kTotalHip;
  return {
      // baseline-dxa-missing: PM, PH once now > S + 3 months (2025-04-10).
      {"baseline_dxa_missing_on_course_start", OnAi(), "2025-01-10",
       Raised("baseline-dxa-missing", PM, "2025-01-10")},
      {"baseline_dxa_missing_medium_on_start_plus_3_months", OnAi(), "2025-04-10",
       Raised("baseline-dxa-missing", PM, "2025-01-10")},
      {"baseline_dxa_missing_high_the_day_after_start_plus_3_months", OnAi(), "2025-04-11",
       Raised("baseline-dxa-missing", PH, "2025-01-10")},
      // Qualifying DXA: dated in [S − 12 months, now] = [2024-01-10, now].
      {"baseline_dxa_procedure_on_start_minus_12_months_counts", OnAi().DxaProcedure("2024-01-10"),
       "2025-02-01", NotRaised("baseline-dxa-missing")},
      {"baseline_dxa_procedure_a_day_before_start_minus_12_months_does_not",
       OnAi().DxaProcedure("2024-01-09"), "2025-02-01",
       Raised("baseline-dxa-missing", PM, "2025-01-10")},
      {"baseline_dxa_t_score_on_start_minus_12_months_counts",
       OnAi().TScore("2024-01-10", kHip, -0.5), "2025-02-01", NotRaised("baseline-dxa-missing")},
      {"baseline_dxa_t_score_a_day_before_start_minus_12_months_does_not",
       OnAi().TScore("2024-01-09", kHip, -0.5), "2025-02-01",
       Raised("baseline-dxa-missing", PM, "2025-01-10")},

      // dxa-follow-up-due, not high risk: due = 2025-01-05 + 24 months
      // = 2027-01-05; PH once now > due + 3 months = 2027-04-05.
      {"follow_up_not_due_the_day_before_24_months", OnAi().TScore("2025-01-05", kHip, -0.5),
       "2027-01-04", NotRaised("dxa-follow-up-due")},
      {"follow_up_due_on_24_months", OnAi().TScore("2025-01-05", kHip, -0.5), "2027-01-05",
       Raised("dxa-follow-up-due", PM, "2027-01-05")},
      {"follow_up_medium_on_due_plus_3_months", OnAi().TScore("2025-01-05", kHip, -0.5),
       "2027-04-05", Raised("dxa-follow-up-due", PM, "2027-01-05")},
      {"follow_up_high_the_day_after_due_plus_3_months", OnAi().TScore("2025-01-05", kHip, -0.5),
       "2027-04-06", Raised("dxa-follow-up-due", PH, "2027-01-05")},
      // A procedure-only baseline is a session for scheduling (spec §2).
      {"follow_up_due_24_months_after_a_procedure_only_baseline", OnAi().DxaProcedure("2025-01-05"),
       "2027-01-05", Raised("dxa-follow-up-due", PM, "2027-01-05")},

      // High risk (lowest T < −1.0): due = 2025-01-05 + 12 months = 2026-01-05.
      {"high_risk_follow_up_not_due_the_day_before_12_months",
       OnAi().TScore("2025-01-05", kHip, -1.2), "2026-01-04", NotRaised("dxa-follow-up-due")},
      {"high_risk_follow_up_due_on_12_months", OnAi().TScore("2025-01-05", kHip, -1.2),
       "2026-01-05", Raised("dxa-follow-up-due", PM, "2026-01-05")},
      {"high_risk_follow_up_medium_on_due_plus_3_months", OnAi().TScore("2025-01-05", kHip, -1.2),
       "2026-04-05", Raised("dxa-follow-up-due", PM, "2026-01-05")},
      {"high_risk_follow_up_high_the_day_after_due_plus_3_months",
       OnAi().TScore("2025-01-05", kHip, -1.2), "2026-04-06",
       Raised("dxa-follow-up-due", PH, "2026-01-05")},
      // "lowest T-score of the latest session < −1.0": −1.0 is not high risk.
      {"t_minus_1_00_is_not_high_risk", OnAi().TScore("2025-01-05", kHip, -1.0), "2026-01-05",
       NotRaised("dxa-follow-up-due")},
      {"t_minus_1_01_is_high_risk", OnAi().TScore("2025-01-05", kHip, -1.01), "2026-01-05",
       Raised("dxa-follow-up-due", PM, "2026-01-05")},
      // Premenopausal is high risk: 12 months.
      {"premenopausal_is_high_risk", PremenopausalOnAi().TScore("2025-01-05", kHip, -0.5),
       "2026-01-05", Raised("dxa-follow-up-due", PM, "2026-01-05")},
  };
}

class BoundaryDxaValueTest : public ::testing::TestWithParam<BoundaryCase> {};
TEST_P(BoundaryDxaValueTest, Holds) { ExpectBoundary(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Boundary, BoundaryDxaValueTest, ::testing::ValuesIn(DxaValueCases()),
                         RowName<BoundaryCase>());

class BoundaryDxaSchedulingTest : public ::testing::TestWithParam<BoundaryCase> {};
TEST_P(BoundaryDxaSchedulingTest, Holds) { ExpectBoundary(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Boundary, BoundaryDxaSchedulingTest,
                         ::testing::ValuesIn(DxaSchedulingCases()), RowName<BoundaryCase>());

// Operator overrides (RuleSet keys) move the boundaries with them.
TEST(BoundaryRuleSet, OverriddenIntervalsAndThresholdsAreUsed) {
  RuleSet rules;
  rules.dxaIntervalMonths = 18;       // 2025-01-05 + 18 months = 2026-07-05
  rules.osteopeniaTScore = -1.5;      // −1.2 is then normal
  rules.vitaminDDeficientBelow = 25;  // 22 ng/mL is then deficient

  // Not high risk (T −0.5, no risk factor): the overridden 18-month interval.
  const Rec normal = OnAi().TScore("2025-01-05", Site::kTotalHip, -0.5);
  EXPECT_EQ(FindActive(EvaluateAt(normal, "2026-07-04", rules), "dxa-follow-up-due"), nullptr);
  const Evaluation on_due_date = EvaluateAt(normal, "2026-07-05", rules);
  const Finding* follow_up = FindActive(on_due_date, "dxa-follow-up-due");
  ASSERT_NE(follow_up, nullptr);
  EXPECT_EQ(follow_up->episode_start.ToString(), "2026-07-05");

  const Rec osteopenic = OnAi().TScore("2025-01-05", Site::kTotalHip, -1.2);
  EXPECT_EQ(FindActive(EvaluateAt(osteopenic, "2025-02-01", rules), "osteopenia"), nullptr);

  const Rec low_d = OnAi().VitaminD("2025-02-01", 22);
  const Evaluation vitamin_d = EvaluateAt(low_d, "2025-03-01", rules);
  EXPECT_NE(FindActive(vitamin_d, "vitamin-d-deficient"), nullptr);
  EXPECT_EQ(FindActive(vitamin_d, "vitamin-d-insufficient"), nullptr);
}

}  // namespace
}  // namespace bonewatch::rules::dsl
