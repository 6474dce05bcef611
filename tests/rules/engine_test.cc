// The engine's own interpretations (docs/rules.md "Interpretations (engine)"),
// tested through the public API: ended episodes, course end, next
// re-evaluation, identity changes, text.
#include <gtest/gtest.h>

#include <string>

#include "bonewatch/rules/evaluator.h"

namespace bonewatch::rules {
namespace {

Date D(const char* text) { return *Date::Parse(text); }

class Patient {
 public:
  Patient() { record_.patient_id = "e1"; }
  Patient& Born(const char* date) {
    record_.demographics.birth_date = D(date);
    return *this;
  }
  Patient& Med(MedicationClass c, const char* start, const char* end = nullptr,
               const char* ingredient = "x") {
    MedicationUse use;
    use.medication_class = c;
    use.ingredient = ingredient;
    use.status = end ? MedicationStatus::kCompleted : MedicationStatus::kActive;
    use.start = D(start);
    if (end) use.end = D(end);
    use.source = Ref("MedicationStatement");
    record_.medications.push_back(use);
    return *this;
  }
  Patient& Ai(const char* start, const char* end = nullptr) {
    return Med(MedicationClass::kAromataseInhibitor, start, end, "anastrozole");
  }
  Patient& Value(Concept c, const char* date, double v, Site site = Site::kNone) {
    record_.facts.push_back(Fact{c, site, v, D(date), Ref("Observation"), "final"});
    return *this;
  }
  Patient& Procedure(const char* date) {
    record_.facts.push_back(
        Fact{Concept::kDxaProcedure, Site::kNone, std::nullopt, D(date), Ref("Procedure"), ""});
    return *this;
  }
  Patient& Risk(RiskFactorKind k, const char* date) {
    RiskFactorFact r;
    r.kind = k;
    r.date = D(date);
    r.source = Ref("Condition");
    record_.risk_factors.push_back(r);
    return *this;
  }
  Patient& Retracted() {
    record_.ai_medication_retracted = true;
    return *this;
  }
  Evaluation At(const char* now) const { return Evaluate(record_, D(now)); }

 private:
  SourceRef Ref(const char* type) { return {type, std::to_string(++id_), "1", ""}; }
  PatientRecord record_;
  int id_ = 0;
};

const Finding* Find(const Evaluation& e, const char* rule, const char* start) {
  for (const Finding& f : e.findings) {
    if (f.rule == rule && f.episode_start.ToString() == start) return &f;
  }
  return nullptr;
}

std::string End(const Finding* f) { return f && f->episode_end ? f->episode_end->ToString() : ""; }

TEST(EngineTest, NoAiCourseIsOutOfScopeOrRetracted) {
  Patient p;
  p.Value(Concept::kDxaTScore, "2025-01-05", -3.0, Site::kTotalHip);
  Evaluation e = p.At("2025-06-01");
  EXPECT_EQ(e.disposition, Disposition::kOutOfScope);
  EXPECT_TRUE(e.findings.empty());
  EXPECT_TRUE(e.plan.empty());
  EXPECT_FALSE(e.course.has_value());
  EXPECT_EQ(p.Retracted().At("2025-06-01").disposition, Disposition::kRetracted);
}

TEST(EngineTest, AiStartingAfterNowIsIgnored) {
  Patient p;
  p.Ai("2025-07-01");
  EXPECT_EQ(p.At("2025-06-30").disposition, Disposition::kOutOfScope);
  EXPECT_EQ(p.At("2025-07-01").disposition, Disposition::kActive);
}

TEST(EngineTest, EndedEpisodesAreListedWithTheirEnd) {
  Patient p;
  p.Ai("2025-01-10")
      .Value(Concept::kVitaminD25oh, "2025-02-01", 15)
      .Value(Concept::kVitaminD25oh, "2025-03-01", 17)
      .Value(Concept::kVitaminD25oh, "2025-05-01", 35);
  const Evaluation e = p.At("2025-06-01");
  const Finding* f = Find(e, "vitamin-d-deficient", "2025-02-01");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->status, FindingStatus::kInactive);
  EXPECT_EQ(End(f), "2025-05-01");
  EXPECT_TRUE(e.ActiveFindings().empty() ||
              e.ActiveFindings()[0]->rule != std::string("vitamin-d-deficient"));
}

TEST(EngineTest, CourseEndClosesEveryEpisodeAndCompletesThePlan) {
  Patient p;
  p.Ai("2025-01-10", "2025-12-31");
  const Evaluation e = p.At("2026-03-01");
  EXPECT_EQ(e.disposition, Disposition::kCompleted);
  ASSERT_TRUE(e.course && e.course->end);
  EXPECT_EQ(e.course->end->ToString(), "2025-12-31");
  EXPECT_TRUE(e.ActiveFindings().empty());
  const Finding* f = Find(e, "baseline-dxa-missing", "2025-01-10");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(End(f), "2025-12-31");
  EXPECT_EQ(f->priority, Priority::kHigh);  // the priority at its last day
  EXPECT_FALSE(e.next_evaluation.has_value());
  EXPECT_FALSE(e.plan.empty());
}

TEST(EngineTest, CourseWithAKnownFutureEndIsActiveUntilThen) {
  Patient p;
  p.Ai("2025-01-10", "2025-12-31").Value(Concept::kDxaTScore, "2025-01-05", -0.5);
  const Evaluation e = p.At("2025-12-31");
  EXPECT_EQ(e.disposition, Disposition::kActive);
  EXPECT_FALSE(e.course->end.has_value());
  ASSERT_TRUE(e.next_evaluation.has_value());
  EXPECT_EQ(e.next_evaluation->ToString(), "2026-01-01");
}

TEST(EngineTest, NextEvaluationIsTheNextDateTheResultChanges) {
  Patient p;
  p.Ai("2025-01-10")
      .Value(Concept::kDxaTScore, "2025-01-05", -0.5, Site::kTotalHip)
      .Value(Concept::kCtx, "2025-01-05", 300);
  const Evaluation e = p.At("2025-02-01");
  ASSERT_TRUE(e.next_evaluation.has_value());
  EXPECT_EQ(e.next_evaluation->ToString(), "2025-04-10");  // btm-3-month-due begins
  const Evaluation later = p.At("2025-04-10");
  ASSERT_TRUE(later.next_evaluation.has_value());
  EXPECT_EQ(later.next_evaluation->ToString(), "2025-07-11");  // the window closes
}

TEST(EngineTest, BaselineDxaMissingEscalatesAfterThreeMonths) {
  Patient p;
  p.Ai("2025-01-10");
  const Evaluation e = p.At("2025-04-10");
  ASSERT_EQ(e.ActiveFindings().size(), 2u);  // baseline-dxa-missing, btm-3-month-due
  EXPECT_EQ(e.ActiveFindings()[0]->priority, Priority::kMedium);
  ASSERT_TRUE(e.next_evaluation.has_value());
  EXPECT_EQ(e.next_evaluation->ToString(), "2025-04-11");
  EXPECT_EQ(p.At("2025-04-11").ActiveFindings()[0]->priority, Priority::kHigh);
}

// Spec v1.1: a session enters on its date (its latest member), whole. The
// osteoporosis episode starts on the re-dated session's date, and no episode
// from the first member's date exists (the Flag written for it while the
// session had one member becomes entered-in-error).
TEST(EngineTest, SessionRedatedByANewMemberIsOneEpisodeFromItsDate) {
  Patient p;
  p.Ai("2025-01-10")
      .Value(Concept::kDxaTScore, "2025-02-01", -2.7, Site::kTotalHip)
      .Value(Concept::kDxaTScore, "2025-03-03", -0.5, Site::kLumbarSpine);
  const Evaluation e = p.At("2025-04-01");
  EXPECT_EQ(Find(e, "osteoporosis", "2025-02-01"), nullptr) << e.ToCanonicalString();
  const Finding* current = Find(e, "osteoporosis", "2025-03-03");
  ASSERT_NE(current, nullptr);
  EXPECT_EQ(current->status, FindingStatus::kActive);
  const Finding* missing = Find(e, "baseline-dxa-missing", "2025-01-10");
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(End(missing), "2025-03-03");
  // As of 2025-02-15 the first member is the whole session.
  EXPECT_NE(Find(p.At("2025-02-15"), "osteoporosis", "2025-02-01"), nullptr);
}

TEST(EngineTest, AntiresorptiveEpisodeStartsOnTheFactThatMadeItTrue) {
  Patient p;
  p.Ai("2025-01-10")
      .Value(Concept::kDxaTScore, "2025-01-05", -1.2, Site::kTotalHip)
      .Risk(RiskFactorKind::kSmoker, "2025-03-01")
      .Risk(RiskFactorKind::kRheumatoidArthritis, "2025-05-01")
      .Med(MedicationClass::kDenosumab, "2025-07-01", "2025-07-01", "denosumab");
  const Evaluation e = p.At("2025-08-01");
  const Finding* f = Find(e, "antiresorptive-indicated", "2025-05-01");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(End(f), "2025-07-01");  // therapy started
  bool in_progress = false;
  for (const PlanActivity& a : e.plan) {
    if (a.key == "bone-directed-therapy") in_progress = a.status == ActivityStatus::kInProgress;
  }
  EXPECT_TRUE(in_progress);
}

TEST(EngineTest, GlucocorticoidCourseReaching183DaysIsAChangePoint) {
  Patient p;
  p.Ai("2025-01-10")
      .Procedure("2025-01-05")
      .Risk(RiskFactorKind::kSmoker, "2024-01-01")
      .Med(MedicationClass::kGlucocorticoid, "2025-01-01", nullptr, "prednisolone");
  // 2025-01-01 + 183 days = 2025-07-03: the second risk factor.
  const Evaluation e = p.At("2025-09-01");
  const Finding* f = Find(e, "antiresorptive-indicated", "2025-07-03");
  ASSERT_NE(f, nullptr) << e.ToCanonicalString();
  EXPECT_EQ(f->status, FindingStatus::kActive);
}

TEST(EngineTest, TextNamesValuesWithUnicodeMinus) {
  Patient p;
  p.Ai("2025-01-10").Value(Concept::kDxaTScore, "2026-03-02", -2.7, Site::kTotalHip);
  const Evaluation e = p.At("2026-03-10");
  const Finding* f = Find(e, "osteoporosis", "2026-03-02");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(
      f->text.rfind("Lowest T-score \u22122.7 (total hip, 2026-03-02): osteoporosis range", 0), 0u)
      << f->text;
}

TEST(EngineTest, PlanHasTheSpecOrderAndConditionalActivities) {
  Patient p;
  p.Ai("2025-01-10").Med(MedicationClass::kDenosumab, "2025-02-01", "2025-02-01", "denosumab");
  const Evaluation e = p.At("2025-03-01");
  std::vector<std::string> keys;
  for (const PlanActivity& a : e.plan) keys.push_back(a.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"baseline-dxa", "btm-baseline", "btm-3-month",
                                            "dxa-follow-up", "calcium-vitamin-d",
                                            "bone-directed-therapy", "denosumab-next-dose"}));
  EXPECT_EQ(e.plan[3].status, ActivityStatus::kNotStarted);
  EXPECT_FALSE(e.plan[3].scheduled_text.empty());
  EXPECT_EQ(e.plan[6].scheduled_start->ToString(), "2025-08-01");
  EXPECT_EQ(e.plan[1].status, ActivityStatus::kCancelled);  // 2025-01-24 passed unmet
}

}  // namespace
}  // namespace bonewatch::rules
