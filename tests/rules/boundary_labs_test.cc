// Boundaries of the laboratory rules (bone turnover markers, vitamin D), of the
// month-end clamping of spec §1, and of the CarePlan activity windows (§4).
//
// Unless a row says otherwise the patient is postmenopausal (born 1965-03-15)
// on anastrozole from 2025-01-10 (S). Derived dates:
//   btm baseline window [S − 3 months, S + 14 days] = [2024-10-10, 2025-01-24]
//   btm sample window  [S + 2 months, S + 6 months] = [2025-03-10, 2025-07-10]
//   btm-3-month-due    [S + 3 months, S + 6 months] = [2025-04-10, 2025-07-10]
#include <vector>

#include "test_builders.h"

namespace bonewatch::rules::dsl {
namespace {

constexpr const char* kStart = "2025-01-10";
Rec OnAi() { return Rec().Born("1965-03-15").Ai(kStart); }

std::vector<BoundaryCase> BtmCases() {
  return {
      // btm-rise: ≥ 30% over the baseline CTX (100 ng/L on 2025-01-05).
      {"btm_rise_of_29_percent_is_not_significant",
       OnAi().Ctx("2025-01-05", 100).Ctx("2025-04-15", 129), "2025-05-01", NotRaised("btm-rise")},
      {"btm_rise_of_30_percent_is_significant",
       OnAi().Ctx("2025-01-05", 100).Ctx("2025-04-15", 130), "2025-05-01",
       Raised("btm-rise", PM, "2025-04-15")},
      // Baseline window ends.
      {"btm_baseline_on_start_minus_3_months_counts",
       OnAi().Ctx("2024-10-10", 100).Ctx("2025-04-15", 130), "2025-05-01",
       Raised("btm-rise", PM, "2025-04-15")},
      {"btm_baseline_a_day_before_start_minus_3_months_does_not",
       OnAi().Ctx("2024-10-09", 100).Ctx("2025-04-15", 130), "2025-05-01", NotRaised("btm-rise")},
      {"btm_baseline_on_start_plus_14_days_counts",
       OnAi().Ctx("2025-01-24", 100).Ctx("2025-04-15", 130), "2025-05-01",
       Raised("btm-rise", PM, "2025-04-15")},
      {"btm_baseline_on_start_plus_15_days_does_not",
       OnAi().Ctx("2025-01-25", 100).Ctx("2025-04-15", 130), "2025-05-01", NotRaised("btm-rise")},
      // Sample window ends.
      {"btm_sample_a_day_before_start_plus_2_months_does_not_count",
       OnAi().Ctx("2025-01-05", 100).Ctx("2025-03-09", 130), "2025-05-01", NotRaised("btm-rise")},
      {"btm_sample_on_start_plus_2_months_counts",
       OnAi().Ctx("2025-01-05", 100).Ctx("2025-03-10", 130), "2025-05-01",
       Raised("btm-rise", PM, "2025-03-10")},
      {"btm_sample_on_start_plus_6_months_counts",
       OnAi().Ctx("2025-01-05", 100).Ctx("2025-07-10", 130), "2025-08-01",
       Raised("btm-rise", PM, "2025-07-10")},
      {"btm_sample_a_day_after_start_plus_6_months_does_not_count",
       OnAi().Ctx("2025-01-05", 100).Ctx("2025-07-11", 130), "2025-08-01", NotRaised("btm-rise")},

      // btm-3-month-due: now ∈ [2025-04-10, 2025-07-10], no CTX/NTX in the
      // sample window. Episode start S + 3 months.
      {"btm_3_month_due_not_the_day_before_start_plus_3_months", OnAi(), "2025-04-09",
       NotRaised("btm-3-month-due")},
      {"btm_3_month_due_on_start_plus_3_months", OnAi(), "2025-04-10",
       Raised("btm-3-month-due", PM, "2025-04-10")},
      {"btm_3_month_due_still_on_start_plus_6_months", OnAi(), "2025-07-10",
       Raised("btm-3-month-due", PM, "2025-04-10")},
      {"btm_3_month_due_expires_the_day_after_start_plus_6_months", OnAi(), "2025-07-11",
       NotRaised("btm-3-month-due")},
      {"btm_3_month_sample_a_day_before_start_plus_2_months_does_not_count",
       OnAi().Ctx("2025-03-09", 300), "2025-04-10", Raised("btm-3-month-due", PM, "2025-04-10")},
      {"btm_3_month_sample_on_start_plus_2_months_counts", OnAi().Ctx("2025-03-10", 300),
       "2025-04-10", NotRaised("btm-3-month-due")},
      {"btm_3_month_ntx_sample_counts", OnAi().Ntx("2025-04-12", 40), "2025-04-20",
       NotRaised("btm-3-month-due")},
      {"btm_3_month_sample_on_start_plus_6_months_counts", OnAi().Ctx("2025-07-10", 300),
       "2025-07-10", NotRaised("btm-3-month-due")},
  };
}

std::vector<BoundaryCase> VitaminDCases() {
  // One 25(OH)D value on 2025-02-01; evaluated 2025-03-01.
  auto vitamin_d = [](double ng_per_ml) { return OnAi().VitaminD("2025-02-01", ng_per_ml); };
  return {
      {"vitamin_d_19_9_is_deficient", vitamin_d(19.9), "2025-03-01",
       Raised("vitamin-d-deficient", PM, "2025-02-01")},
      {"vitamin_d_19_9_is_not_insufficient", vitamin_d(19.9), "2025-03-01",
       NotRaised("vitamin-d-insufficient")},
      {"vitamin_d_20_0_is_not_deficient", vitamin_d(20.0), "2025-03-01",
       NotRaised("vitamin-d-deficient")},
      {"vitamin_d_20_0_is_insufficient", vitamin_d(20.0), "2025-03-01",
       Raised("vitamin-d-insufficient", PL, "2025-02-01")},
      {"vitamin_d_29_9_is_insufficient", vitamin_d(29.9), "2025-03-01",
       Raised("vitamin-d-insufficient", PL, "2025-02-01")},
      {"vitamin_d_30_0_is_not_insufficient", vitamin_d(30.0), "2025-03-01",
       NotRaised("vitamin-d-insufficient")},
  };
}

std::vector<BoundaryCase> MonthEndCases() {
  // Course start 2025-08-31 (spec §1: 2025-08-31 + 6 months = 2026-02-28).
  // S + 3 months = 2025-11-30, S + 6 months = 2026-02-28.
  auto month_end = [] { return Rec().Born("1965-03-15").Ai("2025-08-31"); };
  return {
      {"month_end_btm_3_month_due_not_on_2025_11_29", month_end(), "2025-11-29",
       NotRaised("btm-3-month-due")},
      {"month_end_btm_3_month_due_on_2025_11_30", month_end(), "2025-11-30",
       Raised("btm-3-month-due", PM, "2025-11-30")},
      {"month_end_btm_3_month_due_still_on_2026_02_28", month_end(), "2026-02-28",
       Raised("btm-3-month-due", PM, "2025-11-30")},
      {"month_end_btm_3_month_due_expired_on_2026_03_01", month_end(), "2026-03-01",
       NotRaised("btm-3-month-due")},
      {"month_end_baseline_dxa_missing_medium_on_2025_11_30", month_end(), "2025-11-30",
       Raised("baseline-dxa-missing", PM, "2025-08-31")},
      {"month_end_baseline_dxa_missing_high_on_2025_12_01", month_end(), "2025-12-01",
       Raised("baseline-dxa-missing", PH, "2025-08-31")},
  };
}

class BoundaryBtmTest : public ::testing::TestWithParam<BoundaryCase> {};
TEST_P(BoundaryBtmTest, Holds) { ExpectBoundary(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Boundary, BoundaryBtmTest, ::testing::ValuesIn(BtmCases()),
                         RowName<BoundaryCase>());

class BoundaryVitaminDTest : public ::testing::TestWithParam<BoundaryCase> {};
TEST_P(BoundaryVitaminDTest, Holds) { ExpectBoundary(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Boundary, BoundaryVitaminDTest, ::testing::ValuesIn(VitaminDCases()),
                         RowName<BoundaryCase>());

class BoundaryMonthEndTest : public ::testing::TestWithParam<BoundaryCase> {};
TEST_P(BoundaryMonthEndTest, Holds) { ExpectBoundary(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Boundary, BoundaryMonthEndTest, ::testing::ValuesIn(MonthEndCases()),
                         RowName<BoundaryCase>());

// CarePlan activity windows (spec §4).
struct ActivityCase {
  std::string name;
  PatientRecord record;
  std::string now;
  std::string key;
  std::string status;  // or "absent"
  std::string scheduled_start = {};
  std::string scheduled_end = {};
};
void PrintTo(const ActivityCase& c, std::ostream* os) { *os << c.name << " @ " << c.now; }

std::vector<ActivityCase> ActivityCases() {
  constexpr Site kHip = Site::kTotalHip;
  return {
      // baseline-dxa: [S − 12 months, S + 3 months].
      {"baseline_dxa_window", OnAi(), "2025-01-20", "baseline-dxa", "not-started", "2024-01-10",
       "2025-04-10"},
      {"baseline_dxa_completed_by_procedure_on_start_minus_12_months",
       OnAi().DxaProcedure("2024-01-10"), "2025-02-01", "baseline-dxa", "completed"},
      {"baseline_dxa_not_completed_by_dxa_a_day_before_the_lookback",
       OnAi().DxaProcedure("2024-01-09"), "2025-02-01", "baseline-dxa", "not-started"},
      // btm-baseline: [S − 3 months, S + 14 days]; cancelled once passed unmet.
      {"btm_baseline_window", OnAi(), "2025-01-20", "btm-baseline", "not-started", "2024-10-10",
       "2025-01-24"},
      {"btm_baseline_not_started_on_start_plus_14_days", OnAi(), "2025-01-24", "btm-baseline",
       "not-started"},
      {"btm_baseline_cancelled_on_start_plus_15_days", OnAi(), "2025-01-25", "btm-baseline",
       "cancelled"},
      {"btm_baseline_completed_by_ctx_on_start_minus_3_months", OnAi().Ctx("2024-10-10", 300),
       "2025-02-01", "btm-baseline", "completed"},
      {"btm_baseline_not_completed_by_ctx_a_day_before_the_window", OnAi().Ctx("2024-10-09", 300),
       "2025-01-20", "btm-baseline", "not-started"},
      // btm-3-month: scheduled [S + 2 months, S + 4 months]; completed by a
      // sample in [S + 2 months, S + 6 months]; cancelled after S + 6 months.
      {"btm_3_month_schedule", OnAi(), "2025-02-01", "btm-3-month", "not-started", "2025-03-10",
       "2025-05-10"},
      {"btm_3_month_not_started_on_start_plus_6_months", OnAi(), "2025-07-10", "btm-3-month",
       "not-started"},
      {"btm_3_month_cancelled_the_day_after_start_plus_6_months", OnAi(), "2025-07-11",
       "btm-3-month", "cancelled"},
      {"btm_3_month_completed_by_sample_on_start_plus_6_months", OnAi().Ctx("2025-07-10", 300),
       "2025-08-01", "btm-3-month", "completed"},
      {"btm_3_month_not_completed_by_sample_a_day_before_start_plus_2_months",
       OnAi().Ctx("2025-03-09", 300), "2025-04-01", "btm-3-month", "not-started"},
      {"btm_3_month_schedule_clamped_at_month_end", Rec().Born("1965-03-15").Ai("2025-08-31"),
       "2025-09-01", "btm-3-month", "not-started", "2025-10-31", "2025-12-31"},
      // dxa-follow-up: not-started without a baseline session; scheduled at the
      // next due date once one exists.
      {"dxa_follow_up_not_started_without_baseline", OnAi(), "2025-02-01", "dxa-follow-up",
       "not-started"},
      {"dxa_follow_up_scheduled_24_months_after_baseline", OnAi().TScore("2025-01-05", kHip, -0.5),
       "2025-02-01", "dxa-follow-up", "scheduled", "2027-01-05"},
      {"dxa_follow_up_scheduled_12_months_after_baseline_when_high_risk",
       OnAi().TScore("2025-01-05", kHip, -1.2), "2025-02-01", "dxa-follow-up", "scheduled",
       "2026-01-05"},
      {"dxa_follow_up_leap_day_clamped",
       Rec().Born("1965-03-15").Ai("2024-03-15").TScore("2024-02-29", kHip, -0.5), "2024-04-01",
       "dxa-follow-up", "scheduled", "2026-02-28"},
      // calcium-vitamin-d: always in progress on an active course.
      {"calcium_vitamin_d_in_progress", OnAi(), "2025-02-01", "calcium-vitamin-d", "in-progress"},
      // bone-directed-therapy: not-started while indicated, in-progress on
      // therapy, absent otherwise.
      {"bone_directed_therapy_absent_when_not_indicated", OnAi().TScore("2025-01-05", kHip, -0.5),
       "2025-02-01", "bone-directed-therapy", "absent"},
      {"bone_directed_therapy_in_progress_on_therapy_even_if_not_indicated",
       OnAi().TScore("2025-01-05", kHip, -0.5).Alendronate("2025-01-15"), "2025-02-01",
       "bone-directed-therapy", "in-progress"},
      {"bone_directed_therapy_not_started_while_indicated", OnAi().TScore("2025-01-05", kHip, -2.7),
       "2025-02-01", "bone-directed-therapy", "not-started"},
      {"bone_directed_therapy_in_progress_within_denosumab_cover",
       OnAi().TScore("2025-01-05", kHip, -2.7).DenosumabDose("2025-02-01"), "2025-09-01",
       "bone-directed-therapy", "in-progress"},
      {"bone_directed_therapy_not_started_after_denosumab_cover",
       OnAi().TScore("2025-01-05", kHip, -2.7).DenosumabDose("2025-02-01"), "2025-09-02",
       "bone-directed-therapy", "not-started"},
      // denosumab-next-dose: last dose + 6 months, clamped.
      {"denosumab_next_dose_six_months_after_the_last_dose", OnAi().DenosumabDose("2025-02-01"),
       "2025-03-01", "denosumab-next-dose", "scheduled", "2025-08-01"},
      {"denosumab_next_dose_clamped_at_month_end", OnAi().DenosumabDose("2025-08-31"), "2025-09-15",
       "denosumab-next-dose", "scheduled", "2026-02-28"},
      {"denosumab_next_dose_absent_without_denosumab", OnAi(), "2025-02-01", "denosumab-next-dose",
       "absent"},
  };
}

class BoundaryActivityTest : public ::testing::TestWithParam<ActivityCase> {};
TEST_P(BoundaryActivityTest, Holds) {
  const ActivityCase& c = GetParam();
  const Evaluation evaluation = EvaluateAt(c.record, c.now);
  EXPECT_EQ(ActivityStatusOf(evaluation, c.key), c.status);
  const PlanActivity* activity = FindActivity(evaluation, c.key);
  if (!c.scheduled_start.empty()) {
    ASSERT_NE(activity, nullptr);
    EXPECT_EQ(activity->scheduled_start ? activity->scheduled_start->ToString() : "(none)",
              c.scheduled_start);
  }
  if (!c.scheduled_end.empty()) {
    ASSERT_NE(activity, nullptr);
    EXPECT_EQ(activity->scheduled_end ? activity->scheduled_end->ToString() : "(none)",
              c.scheduled_end);
  }
}
INSTANTIATE_TEST_SUITE_P(Boundary, BoundaryActivityTest, ::testing::ValuesIn(ActivityCases()),
                         RowName<ActivityCase>());

// Calendar arithmetic of spec §1 (Date is part of the public API).
struct DateCase {
  const char* name;
  const char* from;
  int months;
  int weeks;
  const char* expected;
};

TEST(BoundaryDate, MonthsClampAndWeeksAreSevenDays) {
  const DateCase kCases[] = {
      {"spec_example_2025_08_31_plus_6_months", "2025-08-31", 6, 0, "2026-02-28"},
      {"leap_2024_01_31_plus_1_month", "2024-01-31", 1, 0, "2024-02-29"},
      {"leap_day_plus_12_months", "2024-02-29", 12, 0, "2025-02-28"},
      {"leap_day_plus_24_months", "2024-02-29", 24, 0, "2026-02-28"},
      {"lookback_2025_01_10_minus_12_months", "2025-01-10", -12, 0, "2024-01-10"},
      {"march_31_minus_1_month", "2025-03-31", -1, 0, "2025-02-28"},
      {"denosumab_due_plus_4_weeks", "2025-08-01", 0, 4, "2025-08-29"},
      {"denosumab_due_plus_16_weeks", "2025-08-01", 0, 16, "2025-11-21"},
  };
  for (const DateCase& c : kCases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(D(c.from).AddMonths(c.months).AddWeeks(c.weeks).ToString(), c.expected);
  }
}

}  // namespace
}  // namespace bonewatch::rules::dsl
