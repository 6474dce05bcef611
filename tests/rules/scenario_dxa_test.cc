// Clinical scenarios: DXA scheduling and the bone-density value rules
// (baseline-dxa-missing, dxa-follow-up-due, osteoporosis, osteopenia,
// low-bmd-for-age, bmd-significant-loss) and how they interact with
// antiresorptive-indicated, menopausal status and "high risk".
//
// One row per scenario: the patient timeline, the evaluation date, exactly the
// ACTIVE findings {rule, episode start, priority}, and key plan activities.
// Unless a row says otherwise the patient is a postmenopausal woman born
// 1965-03-15 (59-62 years old here) on anastrozole from 2025-01-10 (S).
#include <vector>

#include "test_builders.h"

namespace bonewatch::rules::dsl {
namespace {

constexpr const char* kStart = "2025-01-10";
constexpr Site kHip = Site::kTotalHip;
constexpr Site kSpine = Site::kLumbarSpine;
Rec OnAi() { return Rec().Born("1965-03-15").Ai(kStart); }

std::vector<Scenario> DxaScenarios() {
  return {
      {.name = "new_ai_start_without_any_dxa",
       .record = OnAi(),
       .now = "2025-01-20",
       .active = {{"baseline-dxa-missing", "2025-01-10", PM}},
       .plan = {{"baseline-dxa", "not-started"},
                {"btm-baseline", "not-started"},
                {"btm-3-month", "not-started"},
                {"dxa-follow-up", "not-started"},
                {"calcium-vitamin-d", "in-progress"},
                {"bone-directed-therapy", "absent"},
                {"denosumab-next-dose", "absent"}},
       .course_start = "2025-01-10"},

      // PH once now > S + 3 months (2025-04-10); btm-3-month-due from S + 3 months.
      {.name = "no_dxa_after_3_months_escalates_and_btm_due",
       .record = OnAi(),
       .now = "2025-05-01",
       .active = {{"baseline-dxa-missing", "2025-01-10", PH},
                  {"btm-3-month-due", "2025-04-10", PM}},
       .plan = {{"baseline-dxa", "not-started"},
                {"btm-baseline", "cancelled"},
                {"btm-3-month", "not-started"}}},

      // A DXA Procedure (no values) is a qualifying DXA and a session for
      // scheduling, but no value rule can fire from it (spec §2 DXA session).
      {.name = "dxa_procedure_alone_satisfies_baseline_only",
       .record = OnAi().DxaProcedure("2025-01-05"),
       .now = "2025-02-01",
       .active = {},
       .plan = {{"baseline-dxa", "completed"},
                {"dxa-follow-up", "scheduled", "2027-01-05"},
                {"bone-directed-therapy", "absent"}}},

      // Sessions 2024-06-01 (values) and 2025-01-05 (procedure). Values come from
      // the latest session WITH values; scheduling counts the procedure: high
      // risk (T < −1.0) → due 2025-01-05 + 12 months.
      {.name = "dxa_procedure_schedules_while_values_come_from_older_session",
       .record = OnAi().TScore("2024-06-01", kHip, -2.7).DxaProcedure("2025-01-05"),
       .now = "2025-02-01",
       .active = {{"osteoporosis", "2025-01-10", PH},
                  {"antiresorptive-indicated", "2025-01-10", PH}},
       .plan = {{"baseline-dxa", "completed"}, {"dxa-follow-up", "scheduled", "2026-01-05"}}},

      // Osteoporosis session 6 months before the AI start: episodes never start
      // before the course start (spec §3 Episodes).
      {.name = "osteoporosis_before_ai_start_starts_at_course_start",
       .record = OnAi().TScore("2024-07-10", kHip, -2.7),
       .now = "2025-02-01",
       .active = {{"osteoporosis", "2025-01-10", PH},
                  {"antiresorptive-indicated", "2025-01-10", PH}},
       .plan = {{"baseline-dxa", "completed"},
                {"dxa-follow-up", "scheduled", "2025-07-10"},
                {"bone-directed-therapy", "not-started"}},
       .texts = {{"osteoporosis", {"2.7", "\u22122.7", "total hip"}}}},

      // −2.5 < −1.8 < −1.0; no risk factor, so (b) does not apply; high risk
      // (T < −1.0) → annual DXA.
      {.name = "osteopenia_without_risk_factor",
       .record = OnAi().TScore("2025-01-05", kSpine, -1.8),
       .now = "2025-03-01",
       .active = {{"osteopenia", "2025-01-10", PL}},
       .plan = {{"dxa-follow-up", "scheduled", "2026-01-05"}, {"bone-directed-therapy", "absent"}},
       .texts = {{"osteopenia", {"1.8", "lumbar spine"}}}},

      // (b) T < −1.5 and one risk factor (smoker).
      {.name = "osteopenia_with_smoker_is_antiresorptive_indicated",
       .record = OnAi().Smoker("2010-01-01").TScore("2025-01-05", kSpine, -1.8),
       .now = "2025-03-01",
       .active = {{"osteopenia", "2025-01-10", PL}, {"antiresorptive-indicated", "2025-01-10", PH}},
       .plan = {{"bone-directed-therapy", "not-started"}}},

      // Lowest T-score of a session is the minimum over all sites.
      {.name = "lowest_t_score_over_all_sites",
       .record =
           OnAi().TScore("2025-01-05", kSpine, -0.4).TScore("2025-01-05", Site::kFemoralNeck, -2.6),
       .now = "2025-02-01",
       .active = {{"osteoporosis", "2025-01-10", PH},
                  {"antiresorptive-indicated", "2025-01-10", PH}},
       .texts = {{"osteoporosis", {"2.6", "femoral neck"}}}},

      // Not high risk: due = 2025-01-05 + 24 months.
      {.name = "normal_bmd_follow_up_due_after_24_months",
       .record = OnAi().TScore("2025-01-05", kHip, -0.5),
       .now = "2027-02-01",
       .active = {{"dxa-follow-up-due", "2027-01-05", PM}},
       .plan = {{"dxa-follow-up", "scheduled", "2027-01-05"}}},

      // A risk factor makes the patient high risk: 12 months.
      {.name = "smoker_shortens_dxa_interval_to_12_months",
       .record = OnAi().Smoker("2015-01-01").TScore("2025-01-05", kHip, -0.5),
       .now = "2026-01-05",
       .active = {{"dxa-follow-up-due", "2026-01-05", PM}},
       .plan = {{"dxa-follow-up", "scheduled", "2026-01-05"}}},

      // Due 2027-01-05 (24 months, not high risk); smoking from 2027-03-01 makes
      // her high risk, so the follow-up was due 2026-01-05 (12 months). Spec
      // v1.1: the episode keeps its start while the rule holds; the priority
      // and the text follow the data (due 2026-01-05, more than 3 months ago).
      {.name = "high_risk_after_the_24_month_due_date_keeps_the_episode_and_names_the_12_month_due",
       .record = OnAi().TScore("2025-01-05", kHip, -0.5).Smoker("2027-03-01"),
       .now = "2027-04-01",
       .active = {{"dxa-follow-up-due", "2027-01-05", PH}},
       .texts = {{"dxa-follow-up-due", {"due 2026-01-05", "12-month interval for high risk"}}}},

      // High risk from 2027-03-01 to 2027-05-01: the due date moves to
      // 2026-01-05 and back to 2027-01-05 while the rule holds throughout: one
      // episode (spec v1.1), PH (more than 3 months past 2027-01-05).
      {.name = "dxa_due_date_moving_back_and_forth_keeps_one_episode",
       .record = OnAi()
                     .TScore("2025-01-05", kHip, -0.5)
                     .SmokingStatus("2027-03-01", true)
                     .SmokingStatus("2027-05-01", false),
       .now = "2027-06-01",
       .active = {{"dxa-follow-up-due", "2027-01-05", PH}},
       .texts = {{"dxa-follow-up-due", {"due 2027-01-05", "24-month interval"}}}},

      // "resolves when a newer session arrives"; the next one is due 24 months
      // after the new session.
      {.name = "new_session_resolves_follow_up_due",
       .record = OnAi().TScore("2025-01-05", kHip, -0.5).TScore("2027-01-20", kHip, -0.6),
       .now = "2027-02-01",
       .active = {},
       .plan = {{"dxa-follow-up", "scheduled", "2029-01-20"}},
       .ended = {{"dxa-follow-up-due", "2027-01-05", "2027-01-20"}}},

      // Premenopausal (46 years old) with a Z-score ≤ −2.0: low-bmd-for-age
      // replaces osteoporosis; (a) still reads the T-score.
      {.name = "premenopausal_low_z_score_replaces_osteoporosis",
       .record = Rec()
                     .Born("1978-06-01")
                     .Ai(kStart)
                     .TScore("2025-01-05", kHip, -2.7)
                     .ZScore("2025-01-05", kHip, -2.3),
       .now = "2025-03-01",
       .active = {{"low-bmd-for-age", "2025-01-10", PH},
                  {"antiresorptive-indicated", "2025-01-10", PH}},
       .plan = {{"dxa-follow-up", "scheduled", "2026-01-05"}},
       .texts = {{"low-bmd-for-age", {"2.3"}}}},

      {.name = "premenopausal_low_z_score_replaces_osteopenia",
       .record = Rec()
                     .Born("1978-06-01")
                     .Ai(kStart)
                     .TScore("2025-01-05", kSpine, -1.8)
                     .ZScore("2025-01-05", kSpine, -2.1),
       .now = "2025-03-01",
       .active = {{"low-bmd-for-age", "2025-01-10", PH}}},

      // "osteoporosis: ... (not premenopausal, or no Z-score)".
      {.name = "premenopausal_without_z_score_gets_osteoporosis",
       .record = Rec().Born("1978-06-01").Ai(kStart).TScore("2025-01-05", kHip, -2.7),
       .now = "2025-03-01",
       .active = {{"osteoporosis", "2025-01-10", PH},
                  {"antiresorptive-indicated", "2025-01-10", PH}}},

      // 57 years old, but goserelin overlapping the AI course → premenopausal.
      {.name = "ovarian_suppression_overlapping_makes_premenopausal",
       .record = Rec()
                     .Born("1968-01-01")
                     .Goserelin("2024-12-01")
                     .Ai(kStart)
                     .TScore("2025-01-05", kHip, -2.7)
                     .ZScore("2025-01-05", kHip, -2.2),
       .now = "2025-03-01",
       .active = {{"low-bmd-for-age", "2025-01-10", PH},
                  {"antiresorptive-indicated", "2025-01-10", PH}}},

      {.name = "ovarian_suppression_ended_before_ai_does_not_count",
       .record = Rec()
                     .Born("1968-01-01")
                     .GoserelinUntil("2023-01-01", "2023-12-31")
                     .Ai(kStart)
                     .TScore("2025-01-05", kHip, -2.7)
                     .ZScore("2025-01-05", kHip, -2.2),
       .now = "2025-03-01",
       .active = {{"osteoporosis", "2025-01-10", PH},
                  {"antiresorptive-indicated", "2025-01-10", PH}}},

      // An active premenopausal Condition. T −2.0 is not < −2.0 and
      // premenopausal is not a risk factor: no antiresorptive-indicated.
      {.name = "premenopausal_condition_with_low_z_score",
       .record = Rec()
                     .Born("1968-01-01")
                     .PremenopausalCondition("2024-06-01")
                     .Ai(kStart)
                     .TScore("2025-01-05", kSpine, -2.0)
                     .ZScore("2025-01-05", kSpine, -2.5),
       .now = "2025-03-01",
       .active = {{"low-bmd-for-age", "2025-01-10", PH}}},

      // "premenopausal counts only while clinicalStatus is active".
      {.name = "inactive_premenopausal_condition_does_not_count",
       .record = Rec()
                     .Born("1968-01-01")
                     .PremenopausalCondition("2024-06-01", /*clinically_active=*/false)
                     .Ai(kStart)
                     .TScore("2025-01-05", kSpine, -2.0)
                     .ZScore("2025-01-05", kSpine, -2.5),
       .now = "2025-03-01",
       .active = {{"osteopenia", "2025-01-10", PL}}},

      {.name = "postmenopausal_z_score_is_not_used",
       .record = OnAi().TScore("2025-01-05", kHip, -1.2).ZScore("2025-01-05", kHip, -2.5),
       .now = "2025-03-01",
       .active = {{"osteopenia", "2025-01-10", PL}}},

      // 1.000 → 0.940 g/cm2 at the total hip = 6% loss: bmd-significant-loss and
      // criterion (d); high risk → next DXA 12 months after the latest session.
      {.name = "bmd_loss_of_6_percent_at_total_hip",
       .record = OnAi()
                     .TScore("2025-01-05", kHip, -0.9)
                     .Bmd("2025-01-05", kHip, 1.000)
                     .TScore("2026-01-15", kHip, -0.9)
                     .Bmd("2026-01-15", kHip, 0.940),
       .now = "2026-02-01",
       .active = {{"bmd-significant-loss", "2026-01-15", PH},
                  {"antiresorptive-indicated", "2026-01-15", PH}},
       .plan = {{"dxa-follow-up", "scheduled", "2027-01-15"},
                {"bone-directed-therapy", "not-started"}},
       .texts = {{"bmd-significant-loss", {"total hip"}}}},

      // "at some site ... at the same site": spine vs hip is not a loss.
      {.name = "bmd_values_at_different_sites_are_not_compared",
       .record = OnAi().Bmd("2025-01-05", kSpine, 1.000).Bmd("2026-01-15", kHip, 0.800),
       .now = "2026-02-01",
       .active = {},
       .plan = {{"dxa-follow-up", "scheduled", "2028-01-15"}}},

      // The baseline session is the earliest one on or after S − 12 months
      // (2024-01-10): 0.900 on 2025-01-05, not 1.000 on 2023-06-01. 0.890 is
      // 1.1% below it, so no significant loss.
      {.name = "bmd_baseline_is_the_first_session_in_the_lookback",
       .record = OnAi()
                     .Bmd("2023-06-01", kHip, 1.000)
                     .Bmd("2025-01-05", kHip, 0.900)
                     .Bmd("2026-01-15", kHip, 0.890),
       .now = "2026-02-01",
       .active = {},
       .plan = {{"dxa-follow-up", "scheduled", "2028-01-15"}}},

      // "a newer session no longer meets it": 1% below baseline.
      {.name = "bmd_loss_resolved_by_a_newer_session",
       .record = OnAi()
                     .Bmd("2025-01-05", kHip, 1.000)
                     .Bmd("2026-01-15", kHip, 0.940)
                     .Bmd("2026-07-01", kHip, 0.990),
       .now = "2026-08-01",
       .active = {},
       .plan = {{"dxa-follow-up", "scheduled", "2028-07-01"}},
       .ended = {{"bmd-significant-loss", "2026-01-15", "2026-07-01"},
                 {"antiresorptive-indicated", "2026-01-15", "2026-07-01"}}},

      // "resolves when a qualifying DXA arrives": the episode ends on its date.
      {.name = "baseline_dxa_missing_resolved_by_a_later_scan",
       .record = OnAi().DxaProcedure("2025-03-01"),
       .now = "2025-04-01",
       .active = {},
       .plan = {{"baseline-dxa", "completed"}, {"dxa-follow-up", "scheduled", "2027-03-01"}},
       .ended = {{"baseline-dxa-missing", "2025-01-10", "2025-03-01"}}},

      // The unbroken run continues across sessions: the episode keeps its start.
      {.name = "osteoporosis_run_continues_across_sessions",
       .record = OnAi().TScore("2025-01-05", kHip, -2.7).TScore("2026-01-20", kHip, -2.6),
       .now = "2026-02-01",
       .active = {{"osteoporosis", "2025-01-10", PH},
                  {"antiresorptive-indicated", "2025-01-10", PH}}},

      // −2.7 → −1.5 → −2.6: the run is broken by the osteopenic session, so a
      // new osteoporosis episode starts at the third session.
      {.name = "osteoporosis_run_broken_by_an_osteopenic_session",
       .record = OnAi()
                     .TScore("2025-01-05", kHip, -2.7)
                     .TScore("2026-01-20", kHip, -1.5)
                     .TScore("2027-01-25", kHip, -2.6),
       .now = "2027-02-01",
       .active = {{"osteoporosis", "2027-01-25", PH},
                  {"antiresorptive-indicated", "2027-01-25", PH}},
       .ended = {{"osteoporosis", "2025-01-10", "2026-01-20"},
                 {"osteopenia", "2026-01-20", "2027-01-25"},
                 {"antiresorptive-indicated", "2025-01-10", "2026-01-20"}}},

      // "Z-score ≤ −2.0 at any site": the Z-score need not be at the T-score's site.
      {.name = "premenopausal_low_z_score_at_another_site",
       .record = Rec()
                     .Born("1978-06-01")
                     .Ai(kStart)
                     .TScore("2025-01-05", kHip, -2.7)
                     .ZScore("2025-01-05", kSpine, -2.1),
       .now = "2025-03-01",
       .active = {{"low-bmd-for-age", "2025-01-10", PH},
                  {"antiresorptive-indicated", "2025-01-10", PH}}},

      // Literal spec: osteoporosis needs "(not premenopausal, or no Z-score)". A
      // premenopausal patient WITH a Z-score above −2.0 gets neither
      // osteoporosis nor low-bmd-for-age; (a) still applies.
      {.name = "premenopausal_with_normal_z_score_gets_no_osteoporosis",
       .record = Rec()
                     .Born("1978-06-01")
                     .Ai(kStart)
                     .TScore("2025-01-05", kHip, -2.7)
                     .ZScore("2025-01-05", kHip, -1.5),
       .now = "2025-03-01",
       .active = {{"antiresorptive-indicated", "2025-01-10", PH}}},

      // The osteopenia row has no "(not premenopausal, or no Z-score)" condition,
      // and low-bmd-for-age (which would replace it) does not hold at Z −1.5.
      {.name = "premenopausal_with_normal_z_score_still_gets_osteopenia",
       .record = Rec()
                     .Born("1978-06-01")
                     .Ai(kStart)
                     .TScore("2025-01-05", kHip, -1.8)
                     .ZScore("2025-01-05", kHip, -1.5),
       .now = "2025-03-01",
       .active = {{"osteopenia", "2025-01-10", PL}}},

      // "Facts dated after now are ignored" (spec §1).
      {.name = "facts_dated_after_now_are_ignored",
       .record = OnAi().TScore("2025-03-01", kHip, -2.7).VitaminD("2025-03-01", 10),
       .now = "2025-02-15",
       .active = {{"baseline-dxa-missing", "2025-01-10", PM}},
       .plan = {{"baseline-dxa", "not-started"}}},
  };
}

class ScenarioDxaTest : public ::testing::TestWithParam<Scenario> {};
TEST_P(ScenarioDxaTest, Matches) { ExpectScenario(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Scenario, ScenarioDxaTest, ::testing::ValuesIn(DxaScenarios()),
                         RowName<Scenario>());

}  // namespace
}  // namespace bonewatch::rules::dsl
