// The points that spec v1.1 settles (monitoring-rules.md, "(v1.1)"), each
// with a case on both sides:
//   1. a DXA session is atomic;
//   2. an episode keeps its identity while its rule holds;
//   3. what a completed CarePlan shows;
//   4. denosumab-next-dose after a switch to a bisphosphonate;
//   6. the antiresorptive-indicated episode start.
// (Point 5, a Flag whose episode vanished, is the writer's: see
// tests/adapter/writer_test.cc and tests/daemon/run_v11_e2e_test.cc.)
//
// Unless a case says otherwise the patient is a postmenopausal woman born
// 1965-03-15 on anastrozole from 2025-01-10.
#include <string>
#include <vector>

#include "test_builders.h"

namespace bonewatch::rules::dsl {
namespace {

constexpr const char* kStart = "2025-01-10";
constexpr Site kHip = Site::kTotalHip;
constexpr Site kSpine = Site::kLumbarSpine;
Rec OnAi() { return Rec().Born("1965-03-15").Ai(kStart); }

// Every finding of `rule`, as "start..end status" strings in episode order.
std::vector<std::string> Episodes(const Evaluation& e, std::string_view rule) {
  std::vector<std::string> out;
  for (const Finding& f : e.findings) {
    if (f.rule != rule) continue;
    out.push_back(f.episode_start.ToString() + ".." +
                  (f.episode_end ? f.episode_end->ToString() : std::string()) + " " +
                  (f.status == FindingStatus::kActive ? "active" : "inactive"));
  }
  return out;
}

const PlanActivity& Activity(const Evaluation& e, std::string_view key) {
  const PlanActivity* a = FindActivity(e, key);
  if (a == nullptr) {
    ADD_FAILURE() << "no activity " << key << " in\n" << e.ToCanonicalString();
    static const PlanActivity kNone;
    return kNone;
  }
  return *a;
}

// ---------------------------------------------------------------------------
// 1. A DXA session is atomic.

// An osteoporosis run (2025-01-05, T −2.8) followed by a report whose hip
// T-score falls on 2026-03-01 and whose spine values fall on 2026-03-02 (a
// report stamped 23:30 and 00:30, or moved across midnight by its offset).
Rec OsteoporosisThenReportAcrossMidnight() {
  return OnAi()
      .TScore("2025-01-05", kHip, -2.8)
      .TScore("2026-03-01", kHip, -1.8)
      .TScore("2026-03-02", kSpine, -2.9)
      .Bmd("2026-03-02", kSpine, 0.700);
}

TEST(SpecV11AtomicSession, AReportAcrossMidnightNeverShowsItsFirstHalfAlone) {
  const Evaluation e = EvaluateAt(OsteoporosisThenReportAcrossMidnight(), "2026-04-01");
  // One osteoporosis episode from the course start, never interrupted: the
  // sweep never saw the hip value without the spine value.
  EXPECT_EQ(Episodes(e, "osteoporosis"), std::vector<std::string>{"2025-01-10.. active"});
  EXPECT_TRUE(Episodes(e, "osteopenia").empty()) << e.ToCanonicalString();
  const Finding* f = FindActive(e, "osteoporosis");
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->text.find("2.9"), std::string::npos) << f->text;  // the report's lowest value
}

TEST(SpecV11AtomicSession, ThePartialReportIsWhatIsKnownOnItsFirstDay) {
  // Evaluated on 2026-03-01, only the hip value exists: that is a whole
  // session as of now (facts after now are ignored), so the run is broken.
  const Evaluation e = EvaluateAt(OsteoporosisThenReportAcrossMidnight(), "2026-03-01");
  EXPECT_EQ(Episodes(e, "osteoporosis"),
            std::vector<std::string>{"2025-01-10..2026-03-01 inactive"});
  EXPECT_EQ(Episodes(e, "osteopenia"), std::vector<std::string>{"2026-03-01.. active"});
}

TEST(SpecV11AtomicSession, EpisodeStartsDoNotDependOnWhereMidnightFalls) {
  const Evaluation across = EvaluateAt(OsteoporosisThenReportAcrossMidnight(), "2026-04-01");
  const Evaluation same_day = EvaluateAt(OnAi()
                                             .TScore("2025-01-05", kHip, -2.8)
                                             .TScore("2026-03-02", kHip, -1.8)
                                             .TScore("2026-03-02", kSpine, -2.9)
                                             .Bmd("2026-03-02", kSpine, 0.700),
                                         "2026-04-01");
  EXPECT_EQ(Episodes(across, "osteoporosis"), Episodes(same_day, "osteoporosis"));
  EXPECT_EQ(Episodes(across, "osteopenia"), Episodes(same_day, "osteopenia"));
}

// An osteopenia run followed by a report in the osteoporosis range whose
// first value falls on the day before the rest: the category changes once, on
// the report's date (its latest member); v1 changed it on the first value's
// date and then split the osteoporosis episode when the session was re-dated.
TEST(SpecV11AtomicSession, AReportChangesTheCategoryOnceOnItsDate) {
  const Rec rec = OnAi()
                      .TScore("2025-01-05", kHip, -1.5)
                      .TScore("2026-05-31", kHip, -2.7)  // first value of the report
                      .TScore("2026-06-01", kSpine, -1.2)
                      .TScore("2026-06-01", kHip, -2.7);  // the hip value again
  // Lowest of the whole report is −2.7: osteoporosis from the report's date.
  const Evaluation e = EvaluateAt(rec, "2026-07-01");
  EXPECT_EQ(Episodes(e, "osteopenia"), std::vector<std::string>{"2025-01-10..2026-06-01 inactive"});
  EXPECT_EQ(Episodes(e, "osteoporosis"), std::vector<std::string>{"2026-06-01.. active"});
}

// baseline-dxa-missing resolves on the session's date (its latest member),
// not on its first member: no rule sees part of a session.
TEST(SpecV11AtomicSession, BaselineDxaMissingEndsOnTheSessionDate) {
  // Members 30 days apart: one session, dated 2025-02-19.
  const Evaluation one =
      EvaluateAt(OnAi().DxaProcedure("2025-01-20").TScore("2025-02-19", kHip, -0.5), "2025-03-01");
  EXPECT_EQ(Episodes(one, "baseline-dxa-missing"),
            std::vector<std::string>{"2025-01-10..2025-02-19 inactive"});
  EXPECT_EQ(Activity(one, "baseline-dxa").status, ActivityStatus::kCompleted);
  EXPECT_EQ(Activity(one, "baseline-dxa").outcome.size(), 2u);  // the whole session
  // 31 days apart: two sessions, the first dated 2025-01-20.
  const Evaluation two =
      EvaluateAt(OnAi().DxaProcedure("2025-01-20").TScore("2025-02-20", kHip, -0.5), "2025-03-01");
  EXPECT_EQ(Episodes(two, "baseline-dxa-missing"),
            std::vector<std::string>{"2025-01-10..2025-01-20 inactive"});
  EXPECT_EQ(Activity(two, "baseline-dxa").outcome.size(), 1u);
  // Before the second member is dated, the first is a whole session.
  const Evaluation early =
      EvaluateAt(OnAi().DxaProcedure("2025-01-20").TScore("2025-02-19", kHip, -0.5), "2025-02-10");
  EXPECT_EQ(Episodes(early, "baseline-dxa-missing"),
            std::vector<std::string>{"2025-01-10..2025-01-20 inactive"});
}

// The session's latest member re-dates it: the osteoporosis episode that the
// first member alone gave no longer exists once the second one is known
// (its Flag becomes entered-in-error, point 5).
TEST(SpecV11AtomicSession, ALaterMemberReDatesTheSessionAndItsEpisode) {
  const Rec rec = OnAi().TScore("2025-02-01", kHip, -2.7).TScore("2025-03-03", kSpine, -0.5);
  const Evaluation before = EvaluateAt(rec, "2025-02-15");
  EXPECT_EQ(Episodes(before, "osteoporosis"), std::vector<std::string>{"2025-02-01.. active"});
  const Evaluation after = EvaluateAt(rec, "2025-04-01");
  EXPECT_EQ(Episodes(after, "osteoporosis"), std::vector<std::string>{"2025-03-03.. active"});
}

// ---------------------------------------------------------------------------
// 2. An episode keeps its identity while its rule holds.

// Course from 2022-06-01, a normal DXA 2022-05-20: due 2024-05-20 (24
// months). Smoking from 2024-07-01 makes her high risk: the due date moves to
// 2023-05-20 while the rule keeps holding.
Rec DueDateMovesWhileDue() {
  return Rec()
      .Born("1960-03-15")
      .Ai("2022-06-01")
      .TScore("2022-05-20", kHip, -0.5)
      .Smoker("2024-07-01");
}

TEST(SpecV11EpisodeIdentity, ADueDateThatMovesWhileTheRuleHoldsKeepsTheEpisode) {
  const Evaluation before = EvaluateAt(DueDateMovesWhileDue(), "2024-06-01");
  EXPECT_EQ(Episodes(before, "dxa-follow-up-due"), std::vector<std::string>{"2024-05-20.. active"});
  const Evaluation after = EvaluateAt(DueDateMovesWhileDue(), "2024-08-01");
  EXPECT_EQ(Episodes(after, "dxa-follow-up-due"), std::vector<std::string>{"2024-05-20.. active"});
  const Finding* f = FindActive(after, "dxa-follow-up-due");
  ASSERT_NE(f, nullptr);
  // Priority and text follow the data: due 2023-05-20, PH from 2023-08-21.
  EXPECT_EQ(Code(f->priority), "PH");
  EXPECT_NE(f->text.find("due 2023-05-20"), std::string::npos) << f->text;
  EXPECT_NE(f->text.find("12-month"), std::string::npos) << f->text;
}

TEST(SpecV11EpisodeIdentity, HighRiskBeforeTheFirstDueDateGivesTheEarlierDate) {
  const Evaluation e = EvaluateAt(Rec()
                                      .Born("1960-03-15")
                                      .Ai("2022-06-01")
                                      .TScore("2022-05-20", kHip, -0.5)
                                      .Smoker("2023-03-01"),
                                  "2024-08-01");
  EXPECT_EQ(Episodes(e, "dxa-follow-up-due"), std::vector<std::string>{"2023-05-20.. active"});
}

// The formula coming back to a date an earlier episode of the rule had: the
// new episode starts on its first point.
TEST(SpecV11EpisodeIdentity, AReusedFormulaDateStartsOnTheFirstPoint) {
  const Rec rec = Rec()
                      .Born("1960-03-15")
                      .Ai("2022-06-01")
                      .TScore("2022-05-20", kHip, -0.5)
                      .Bmi("2022-05-01", 19)   // high risk: due 2023-05-20
                      .Bmi("2023-07-01", 22)   // not: due 2024-05-20, rule stops
                      .Bmi("2023-09-01", 18);  // high risk again: due 2023-05-20
  const Evaluation e = EvaluateAt(rec, "2023-10-01");
  EXPECT_EQ(Episodes(e, "dxa-follow-up-due"),
            (std::vector<std::string>{"2023-05-20..2023-07-01 inactive", "2023-09-01.. active"}));
}

// An earlier session joining a T-score run: while she is premenopausal the
// Z-scored 2024 session does not count for osteoporosis, so the run starts
// with the 2025-03-01 session; when she turns 50 (2025-06-01) the earlier
// session joins the run and the formula would give the course start, but the
// episode keeps its start.
Rec TwoOsteoporosisSessionsTheFirstWithAZScore(std::string_view born) {
  return Rec()
      .Born(born)
      .Ai("2024-01-10")
      .TScore("2024-01-05", kHip, -2.7)
      .ZScore("2024-01-05", kHip, -1.0)
      .TScore("2025-03-01", kHip, -2.8);
}

TEST(SpecV11EpisodeIdentity, AnEarlierSessionJoiningTheRunKeepsTheStart) {
  const Rec rec = TwoOsteoporosisSessionsTheFirstWithAZScore("1975-06-01");
  EXPECT_EQ(Episodes(EvaluateAt(rec, "2025-05-31"), "osteoporosis"),
            std::vector<std::string>{"2025-03-01.. active"});
  EXPECT_EQ(Episodes(EvaluateAt(rec, "2025-07-01"), "osteoporosis"),
            std::vector<std::string>{"2025-03-01.. active"});
  // A woman one year older: she turned 50 on 2024-06-01, before the second
  // session, so the episode's first point is her birthday and the formula
  // there gives the run from the first session (clamped to the course start).
  const Rec later = TwoOsteoporosisSessionsTheFirstWithAZScore("1974-06-01");
  EXPECT_EQ(Episodes(EvaluateAt(later, "2025-07-01"), "osteoporosis"),
            std::vector<std::string>{"2024-01-10.. active"});
}

// ---------------------------------------------------------------------------
// 3. What a completed CarePlan shows.

// A course from 2025-01-10 to 2026-01-10 with every kind of activity: a
// baseline DXA (follow-up scheduled), a 3-month CTX (baseline marker
// missed), denosumab (therapy in progress, next dose scheduled).
Rec CompletedCourse() {
  return Rec()
      .Born("1965-03-15")
      .AiUntil(kStart, "2026-01-10")
      .TScore("2025-01-05", kHip, -1.2)
      .Ctx("2025-04-10", 300)
      .Smoker("2020-01-01")
      .DenosumabDose("2025-09-01");
}

TEST(SpecV11CompletedPlan, WhileTheCourseRunsTheStatusesAreThePlansOwn) {
  const Evaluation e = EvaluateAt(CompletedCourse(), "2026-01-10");
  EXPECT_EQ(Code(e.disposition), "active");
  EXPECT_EQ(ActivityStatusOf(e, "baseline-dxa"), "completed");
  EXPECT_EQ(ActivityStatusOf(e, "btm-baseline"), "cancelled");
  EXPECT_EQ(ActivityStatusOf(e, "btm-3-month"), "completed");
  EXPECT_EQ(ActivityStatusOf(e, "dxa-follow-up"), "scheduled");
  EXPECT_EQ(ActivityStatusOf(e, "calcium-vitamin-d"), "in-progress");
  EXPECT_EQ(ActivityStatusOf(e, "bone-directed-therapy"), "in-progress");
  EXPECT_EQ(ActivityStatusOf(e, "denosumab-next-dose"), "scheduled");
  EXPECT_EQ(Activity(e, "denosumab-next-dose").description.find("ECTS 2021"), std::string::npos);
}

TEST(SpecV11CompletedPlan, FinalStatusesWithTherapyInProgressAndDenosumab) {
  const Rec rec = CompletedCourse();
  const Evaluation e = EvaluateAt(rec, "2026-06-01");
  EXPECT_EQ(Code(e.disposition), "completed");
  EXPECT_EQ(ActivityStatusOf(e, "baseline-dxa"), "completed");           // completed stays
  EXPECT_EQ(ActivityStatusOf(e, "btm-baseline"), "cancelled");           // cancelled stays
  EXPECT_EQ(ActivityStatusOf(e, "btm-3-month"), "completed");            // completed stays
  EXPECT_EQ(ActivityStatusOf(e, "dxa-follow-up"), "cancelled");          // scheduled -> cancelled
  EXPECT_EQ(ActivityStatusOf(e, "calcium-vitamin-d"), "completed");      // in-progress -> completed
  EXPECT_EQ(ActivityStatusOf(e, "bone-directed-therapy"), "completed");  // in-progress
  // The exception: still scheduled, with its date, and a warning.
  const PlanActivity& dmab = Activity(e, "denosumab-next-dose");
  EXPECT_EQ(Code(dmab.status), "scheduled");
  ASSERT_TRUE(dmab.scheduled_start.has_value());
  EXPECT_EQ(dmab.scheduled_start->ToString(), "2026-03-01");
  EXPECT_NE(dmab.description.find("Do not stop denosumab without a plan: rebound bone loss and "
                                  "vertebral fractures (ECTS 2021)"),
            std::string::npos)
      << dmab.description;
}

TEST(SpecV11CompletedPlan, FinalStatusesWithNothingDone) {
  // No DXA, no marker, therapy indicated (fracture) but never given; the
  // course ends before the 3-month marker window closes.
  const Rec rec =
      Rec().Born("1965-03-15").AiStopped(kStart, "2025-03-01").FragilityFracture("2024-05-01");
  const Evaluation running = EvaluateAt(rec, "2025-03-01");
  EXPECT_EQ(ActivityStatusOf(running, "baseline-dxa"), "not-started");
  EXPECT_EQ(ActivityStatusOf(running, "btm-3-month"), "not-started");
  EXPECT_EQ(ActivityStatusOf(running, "dxa-follow-up"), "not-started");
  EXPECT_EQ(ActivityStatusOf(running, "bone-directed-therapy"), "not-started");
  const Evaluation e = EvaluateAt(rec, "2025-12-01");
  EXPECT_EQ(Code(e.disposition), "completed");
  EXPECT_EQ(ActivityStatusOf(e, "baseline-dxa"), "cancelled");
  EXPECT_EQ(ActivityStatusOf(e, "btm-baseline"), "cancelled");
  EXPECT_EQ(ActivityStatusOf(e, "btm-3-month"), "cancelled");
  EXPECT_EQ(ActivityStatusOf(e, "dxa-follow-up"), "cancelled");
  EXPECT_EQ(ActivityStatusOf(e, "calcium-vitamin-d"), "completed");
  EXPECT_EQ(ActivityStatusOf(e, "bone-directed-therapy"), "cancelled");
  EXPECT_EQ(ActivityStatusOf(e, "denosumab-next-dose"), "absent");
  for (const PlanActivity& a : e.plan) {
    EXPECT_NE(Code(a.status), "not-started") << a.key;
    EXPECT_NE(Code(a.status), "in-progress") << a.key;
  }
}

// Facts dated after the course end are not used: a DXA 5 days after the end
// would join (and re-date) the session of 3 days before it.
TEST(SpecV11CompletedPlan, FactsAfterTheCourseEndChangeNothing) {
  const Rec without = Rec()
                          .Born("1965-03-15")
                          .AiUntil(kStart, "2026-01-10")
                          .TScore("2025-01-05", kHip, -0.5)
                          .TScore("2026-01-07", kHip, -2.7);
  Rec with = without;
  with.TScore("2026-01-15", kSpine, -0.2);
  const Evaluation a = EvaluateAt(without, "2026-03-01");
  const Evaluation b = EvaluateAt(with, "2026-03-01");
  EXPECT_EQ(Episodes(b, "osteoporosis"),
            std::vector<std::string>{"2026-01-07..2026-01-10 inactive"});
  EXPECT_EQ(Episodes(a, "osteoporosis"), Episodes(b, "osteoporosis"));
  EXPECT_EQ(ActivityStatusOf(b, "dxa-follow-up"), "cancelled");
  EXPECT_EQ(Activity(b, "baseline-dxa").outcome.size(), 1u);
}

// ---------------------------------------------------------------------------
// 4. denosumab-next-dose: on denosumab while there is a dose or an open use
// and no bisphosphonate was started after the last (known) dose.

TEST(SpecV11DenosumabNextDose, ASwitchToZoledronicAcidAfterAnOpenUseRemovesIt) {
  const Rec before = OnAi().DenosumabOpen("2025-03-01");
  const Evaluation on = EvaluateAt(before, "2025-08-01");
  EXPECT_EQ(ActivityStatusOf(on, "denosumab-next-dose"), "scheduled");
  EXPECT_EQ(Activity(on, "denosumab-next-dose").scheduled_start->ToString(), "2025-09-01");
  Rec switched = before;
  switched.ZoledronicAcidDose("2025-09-15");
  EXPECT_EQ(ActivityStatusOf(EvaluateAt(switched, "2025-09-14"), "denosumab-next-dose"),
            "scheduled");
  const Evaluation after = EvaluateAt(switched, "2025-10-01");
  EXPECT_EQ(ActivityStatusOf(after, "denosumab-next-dose"), "absent");
  EXPECT_EQ(FindActive(after, "denosumab-overdue"), nullptr);
}

TEST(SpecV11DenosumabNextDose, ABisphosphonateBeforeTheOpenUseLeavesIt) {
  const Evaluation e =
      EvaluateAt(OnAi().ZoledronicAcidDose("2025-02-15").DenosumabOpen("2025-03-01"), "2025-10-01");
  EXPECT_EQ(ActivityStatusOf(e, "denosumab-next-dose"), "scheduled");
  EXPECT_EQ(Activity(e, "denosumab-next-dose").scheduled_start->ToString(), "2025-09-01");
}

TEST(SpecV11DenosumabNextDose, ASwitchAfterAFinishedDoseRemovesItAndTheOverdueFlag) {
  const Rec rec = OnAi().DenosumabDose("2025-01-15").ZoledronicAcidDose("2025-08-01");
  const Evaluation before = EvaluateAt(rec, "2025-07-20");
  EXPECT_EQ(ActivityStatusOf(before, "denosumab-next-dose"), "scheduled");
  EXPECT_EQ(Activity(before, "denosumab-next-dose").scheduled_start->ToString(), "2025-07-15");
  const Evaluation after = EvaluateAt(rec, "2025-12-01");
  EXPECT_EQ(ActivityStatusOf(after, "denosumab-next-dose"), "absent");
  EXPECT_EQ(FindActive(after, "denosumab-overdue"), nullptr);
  // Without the switch the dose is overdue (due 2025-07-15 + 4 weeks).
  const Evaluation overdue = EvaluateAt(OnAi().DenosumabDose("2025-01-15"), "2025-12-01");
  EXPECT_NE(FindActive(overdue, "denosumab-overdue"), nullptr);
  EXPECT_EQ(ActivityStatusOf(overdue, "denosumab-next-dose"), "scheduled");
}

// ---------------------------------------------------------------------------
// 6. antiresorptive-indicated starts on the date the first criterion began to
// hold while off therapy.

struct IndicatedStart {
  std::string name;
  PatientRecord record;
  std::string now;
  std::string start;  // empty: not raised
};

class SpecV11IndicatedStart : public ::testing::TestWithParam<IndicatedStart> {};

TEST_P(SpecV11IndicatedStart, Matches) {
  const IndicatedStart& c = GetParam();
  const Evaluation e = EvaluateAt(c.record, c.now);
  const Finding* f = FindActive(e, "antiresorptive-indicated");
  if (c.start.empty()) {
    EXPECT_EQ(f, nullptr) << e.ToCanonicalString();
    return;
  }
  ASSERT_NE(f, nullptr) << e.ToCanonicalString();
  EXPECT_EQ(f->episode_start.ToString(), c.start);
}

std::vector<IndicatedStart> IndicatedStarts() {
  return {
      // A criterion that held before the course: the course start.
      {"fracture_before_course", OnAi().FragilityFracture("2020-01-01"), "2025-03-01",
       "2025-01-10"},
      // The fact that made it true: a fracture during the course.
      {"fracture_during_course", OnAi().FragilityFracture("2025-05-02"), "2025-06-01",
       "2025-05-02"},
      {"fracture_after_now", OnAi().FragilityFracture("2025-05-02"), "2025-05-01", ""},
      // (a) a session below −2.0: its date (the date of its latest member).
      {"t_score_session", OnAi().DxaProcedure("2025-01-05").TScore("2025-06-01", kHip, -2.1),
       "2025-07-01", "2025-06-01"},
      {"t_score_at_threshold", OnAi().DxaProcedure("2025-01-05").TScore("2025-06-01", kHip, -2.0),
       "2025-07-01", ""},
      {"t_score_session_across_midnight",
       OnAi()
           .DxaProcedure("2025-01-05")
           .TScore("2025-05-31", kHip, -2.1)
           .TScore("2025-06-01", kSpine, -1.0),
       "2025-07-01", "2025-06-01"},
      // (c) the second risk factor.
      {"second_risk_factor", OnAi().Smoker("2020-01-01").RheumatoidArthritis("2025-04-03"),
       "2025-06-01", "2025-04-03"},
      {"one_risk_factor", OnAi().Smoker("2020-01-01"), "2025-06-01", ""},
      // The first day off therapy: a bisphosphonate stopped on 2025-06-30.
      {"first_day_off_bisphosphonate",
       OnAi()
           .FragilityFracture("2020-01-01")
           .Med(MedicationClass::kBisphosphonate, "alendronate", MedicationStatus::kStopped,
                "2024-01-01", "2025-06-30"),
       "2025-08-01", "2025-07-01"},
      {"still_on_bisphosphonate",
       OnAi()
           .FragilityFracture("2020-01-01")
           .Med(MedicationClass::kBisphosphonate, "alendronate", MedicationStatus::kStopped,
                "2024-01-01", "2025-06-30"),
       "2025-06-30", ""},
      // Zoledronic acid covers 12 months: off therapy from dose + 12 months + 1 day.
      {"zoledronic_acid_cover_ends",
       OnAi().FragilityFracture("2020-01-01").ZoledronicAcidDose("2024-11-20"), "2026-01-01",
       "2025-11-21"},
      {"zoledronic_acid_cover_last_day",
       OnAi().FragilityFracture("2020-01-01").ZoledronicAcidDose("2024-11-20"), "2025-11-20", ""},
      // Denosumab covers 7 months after a dose.
      {"denosumab_cover_ends", OnAi().FragilityFracture("2020-01-01").DenosumabDose("2025-02-01"),
       "2025-10-01", "2025-09-02"},
      // The 66th birthday (age > 65) as the second risk factor.
      {"sixty_sixth_birthday", Rec().Born("1959-08-20").Ai(kStart).Smoker("2020-01-01"),
       "2025-09-01", "2025-08-20"},
  };
}

INSTANTIATE_TEST_SUITE_P(Starts, SpecV11IndicatedStart, ::testing::ValuesIn(IndicatedStarts()),
                         RowName<IndicatedStart>());

}  // namespace
}  // namespace bonewatch::rules::dsl
