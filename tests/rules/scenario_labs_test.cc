// Clinical scenarios: bone turnover markers (btm-3-month-due, btm-rise) and
// vitamin D (vitamin-d-deficient, vitamin-d-insufficient).
//
// Unless a row says otherwise the patient is a postmenopausal woman born
// 1965-03-15 on anastrozole from 2025-01-10 (S), with a normal baseline DXA
// (T −0.5 at the total hip on 2025-01-05) so that no DXA rule fires.
// Windows for S: btm baseline [2024-10-10, 2025-01-24]; btm sample
// [2025-03-10, 2025-07-10]; btm-3-month-due [2025-04-10, 2025-07-10].
#include <vector>

#include "test_builders.h"

namespace bonewatch::rules::dsl {
namespace {

Rec OnAiWithNormalDxa() {
  return Rec().Born("1965-03-15").Ai("2025-01-10").TScore("2025-01-05", Site::kTotalHip, -0.5);
}

std::vector<Scenario> LabScenarios() {
  return {
      {.name = "btm_3_month_due_in_its_window",
       .record = OnAiWithNormalDxa().Ctx("2025-01-05", 400),
       .now = "2025-04-20",
       .active = {{"btm-3-month-due", "2025-04-10", PM}},
       .plan = {{"btm-baseline", "completed"}, {"btm-3-month", "not-started"}}},

      // "resolves when a sample arrives in the window"; 5% change: no rise.
      {.name = "btm_3_month_sample_resolves_due",
       .record = OnAiWithNormalDxa().Ctx("2025-01-05", 400).Ctx("2025-04-25", 420),
       .now = "2025-05-01",
       .active = {},
       .plan = {{"btm-3-month", "completed"}},
       .ended = {{"btm-3-month-due", "2025-04-10", "2025-04-25"}}},

      // "or now > start + 6 months (the CarePlan activity then becomes cancelled)".
      {.name = "btm_3_month_due_expires_after_6_months",
       .record = OnAiWithNormalDxa().Ctx("2025-01-05", 400),
       .now = "2025-07-11",
       .active = {},
       .plan = {{"btm-3-month", "cancelled"}},
       .ended = {{"btm-3-month-due", "2025-04-10", ""}}},

      // CTX 400 → 560 ng/L = +40%. btm-rise makes the patient high risk.
      {.name = "btm_rise_with_ctx",
       .record = OnAiWithNormalDxa().Ctx("2025-01-05", 400).Ctx("2025-04-15", 560),
       .now = "2025-05-01",
       .active = {{"btm-rise", "2025-04-15", PM}},
       .plan = {{"btm-baseline", "completed"},
                {"btm-3-month", "completed"},
                {"dxa-follow-up", "scheduled", "2026-01-05"}},
       .texts = {{"btm-rise", {"400", "560"}}}},

      // "the latest ctx, else ntx": no CTX baseline, so NTX 40 → 56 (+40%).
      {.name = "btm_rise_with_ntx_when_no_ctx_baseline",
       .record =
           OnAiWithNormalDxa().Ntx("2025-01-03", 40).Ntx("2025-04-15", 56).Ctx("2025-04-15", 300),
       .now = "2025-05-01",
       .active = {{"btm-rise", "2025-04-15", PM}}},

      // With both baselines, CTX is the marker: CTX +5% (NTX +50% is not used).
      {.name = "btm_rise_prefers_ctx_over_ntx",
       .record = OnAiWithNormalDxa()
                     .Ctx("2025-01-05", 400)
                     .Ntx("2025-01-05", 40)
                     .Ctx("2025-04-15", 420)
                     .Ntx("2025-04-15", 60),
       .now = "2025-05-01",
       .active = {}},

      // "the same marker": an NTX baseline is not compared with a CTX sample.
      {.name = "btm_rise_needs_the_same_marker",
       .record = OnAiWithNormalDxa().Ntx("2025-01-05", 40).Ctx("2025-04-15", 560),
       .now = "2025-05-01",
       .active = {},
       .plan = {{"btm-baseline", "completed"}, {"btm-3-month", "completed"}}},

      // "the first sample of the same marker in the window": +10%, not the later +50%.
      {.name = "btm_rise_compares_the_first_sample_in_window",
       .record =
           OnAiWithNormalDxa().Ctx("2025-01-05", 400).Ctx("2025-03-20", 440).Ctx("2025-05-20", 600),
       .now = "2025-06-01",
       .active = {}},

      // "the latest ctx ... in [start − 3 months, start + 14 days]": 400, not 300
      // (500 is +25% over 400).
      {.name = "btm_baseline_is_the_latest_ctx_in_its_window",
       .record =
           OnAiWithNormalDxa().Ctx("2024-11-01", 300).Ctx("2025-01-05", 400).Ctx("2025-04-15", 500),
       .now = "2025-05-01",
       .active = {}},

      // btm-rise stays while the course is active and keeps the DXA interval at
      // 12 months: due 2026-01-05, PH after 2026-04-05.
      {.name = "btm_rise_persists_and_shortens_dxa_interval",
       .record = OnAiWithNormalDxa().Ctx("2025-01-05", 400).Ctx("2025-04-15", 560),
       .now = "2026-06-01",
       .active = {{"btm-rise", "2025-04-15", PM}, {"dxa-follow-up-due", "2026-01-05", PH}}},

      // Course start 2025-08-31: S + 3 months = 2025-11-30, S + 6 months =
      // 2026-02-28 (spec §1 example).
      {.name = "month_end_course_btm_due_until_february_28",
       .record = Rec()
                     .Born("1965-03-15")
                     .Ai("2025-08-31")
                     .TScore("2025-08-20", Site::kTotalHip, -0.5)
                     .Ctx("2025-08-25", 400),
       .now = "2026-02-28",
       .active = {{"btm-3-month-due", "2025-11-30", PM}},
       .plan = {{"btm-baseline", "completed"}, {"btm-3-month", "not-started"}}},

      {.name = "month_end_course_btm_due_expired_on_march_1",
       .record = Rec()
                     .Born("1965-03-15")
                     .Ai("2025-08-31")
                     .TScore("2025-08-20", Site::kTotalHip, -0.5)
                     .Ctx("2025-08-25", 400),
       .now = "2026-03-01",
       .active = {},
       .plan = {{"btm-3-month", "cancelled"}},
       .ended = {{"btm-3-month-due", "2025-11-30", ""}}},

      // Vitamin D: the episode starts at the first sample of the current
      // unbroken run of values < 20.
      {.name = "vitamin_d_deficient_run_starts_at_first_low_sample",
       .record = OnAiWithNormalDxa().VitaminD("2025-02-01", 15).VitaminD("2025-03-01", 18),
       .now = "2025-03-15",
       .active = {{"vitamin-d-deficient", "2025-02-01", PM}},
       .texts = {{"vitamin-d-deficient", {"18"}}}},

      // Deficient → insufficient (25 on 2025-05-01). CTX samples keep
      // btm-3-month-due quiet.
      {.name = "vitamin_d_deficient_then_insufficient",
       .record = OnAiWithNormalDxa()
                     .Ctx("2025-01-05", 400)
                     .Ctx("2025-03-20", 410)
                     .VitaminD("2025-02-01", 15)
                     .VitaminD("2025-03-01", 18)
                     .VitaminD("2025-05-01", 25),
       .now = "2025-05-15",
       .active = {{"vitamin-d-insufficient", "2025-05-01", PL}},
       .ended = {{"vitamin-d-deficient", "2025-02-01", "2025-05-01"}}},

      // … → normal (35 on 2025-07-01): both runs have ended.
      {.name = "vitamin_d_deficient_insufficient_then_normal",
       .record = OnAiWithNormalDxa()
                     .Ctx("2025-01-05", 400)
                     .Ctx("2025-03-20", 410)
                     .VitaminD("2025-02-01", 15)
                     .VitaminD("2025-03-01", 18)
                     .VitaminD("2025-05-01", 25)
                     .VitaminD("2025-07-01", 35),
       .now = "2025-08-01",
       .active = {},
       .ended = {{"vitamin-d-deficient", "2025-02-01", "2025-05-01"},
                 {"vitamin-d-insufficient", "2025-05-01", "2025-07-01"}}},

      // Insufficient → deficient ("a newer value < 20 (then deficient)").
      {.name = "vitamin_d_insufficient_then_deficient",
       .record = OnAiWithNormalDxa().VitaminD("2025-02-01", 25).VitaminD("2025-04-01", 15),
       .now = "2025-04-05",
       .active = {{"vitamin-d-deficient", "2025-04-01", PM}},
       .ended = {{"vitamin-d-insufficient", "2025-02-01", "2025-04-01"}}},

      // A normal value breaks the run: a new episode starts at the next low value.
      {.name = "vitamin_d_run_restarts_after_a_normal_value",
       .record = OnAiWithNormalDxa()
                     .VitaminD("2025-02-01", 15)
                     .VitaminD("2025-03-01", 32)
                     .VitaminD("2025-04-01", 16),
       .now = "2025-04-05",
       .active = {{"vitamin-d-deficient", "2025-04-01", PM}},
       .ended = {{"vitamin-d-deficient", "2025-02-01", "2025-03-01"}}},

      // A low value before the AI start: the episode starts at the course start.
      {.name = "vitamin_d_low_before_course_start",
       .record = OnAiWithNormalDxa().VitaminD("2024-12-01", 12),
       .now = "2025-02-01",
       .active = {{"vitamin-d-deficient", "2025-01-10", PM}}},
  };
}

class ScenarioLabTest : public ::testing::TestWithParam<Scenario> {};
TEST_P(ScenarioLabTest, Matches) { ExpectScenario(GetParam()); }
INSTANTIATE_TEST_SUITE_P(Scenario, ScenarioLabTest, ::testing::ValuesIn(LabScenarios()),
                         RowName<Scenario>());

}  // namespace
}  // namespace bonewatch::rules::dsl
