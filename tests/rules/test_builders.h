// A small DSL for the rule-engine tests: build a PatientRecord as a readable
// timeline, evaluate it at a date, and compare what is raised with a table row.
//
//   Rec().Born("1965-03-15").Ai("2025-01-10").TScore("2025-01-05", Site::kTotalHip, -2.7)
//
// Dates are written "YYYY-MM-DD" (a typo aborts the test binary: a wrong date in
// a clinical table must never pass silently). Every fact gets its own source id.
// The builder sets what the mapper would have produced (spec §1): finished
// medication uses carry their end date explicitly.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bonewatch/rules/date.h"
#include "bonewatch/rules/evaluation.h"
#include "bonewatch/rules/evaluator.h"
#include "bonewatch/rules/model.h"
#include "bonewatch/rules/ruleset.h"

namespace bonewatch::rules::dsl {

// "YYYY-MM-DD" -> Date; aborts on a malformed date.
inline Date D(std::string_view ymd) {
  std::optional<Date> date = Date::Parse(ymd);
  if (!date) {
    std::fprintf(stderr, "test_builders: bad date '%.*s'\n", static_cast<int>(ymd.size()),
                 ymd.data());
    std::abort();
  }
  return *date;
}

// ---------------------------------------------------------------------------
// Record builder.

class Rec {
 public:
  explicit Rec(std::string patient_id = "p1") { record_.patient_id = std::move(patient_id); }

  // Demographics: a woman born on `date`.
  Rec& Born(std::string_view date) {
    record_.demographics.birth_date = D(date);
    record_.demographics.gender = Gender::kFemale;
    return *this;
  }

  // --- Medications. `Open` uses are active with no end; `Until` uses are
  // completed with an explicit end; single doses are completed on one day.

  // Aromatase inhibitor, active and open from `start`.
  Rec& Ai(std::string_view start, std::string_view ingredient = "anastrozole") {
    return Med(MedicationClass::kAromataseInhibitor, ingredient, MedicationStatus::kActive, start);
  }
  // Aromatase inhibitor taken from `start` to `end` (completed).
  Rec& AiUntil(std::string_view start, std::string_view end,
               std::string_view ingredient = "anastrozole") {
    return Med(MedicationClass::kAromataseInhibitor, ingredient, MedicationStatus::kCompleted,
               start, end);
  }
  Rec& AiStopped(std::string_view start, std::string_view end,
                 std::string_view ingredient = "anastrozole") {
    return Med(MedicationClass::kAromataseInhibitor, ingredient, MedicationStatus::kStopped, start,
               end);
  }
  // The patient's AI sources were entered-in-error or deleted.
  Rec& AiRetracted() {
    record_.ai_medication_retracted = true;
    return *this;
  }

  Rec& Goserelin(std::string_view start) {
    return Med(MedicationClass::kOvarianSuppression, "goserelin", MedicationStatus::kActive, start);
  }
  Rec& GoserelinUntil(std::string_view start, std::string_view end) {
    return Med(MedicationClass::kOvarianSuppression, "goserelin", MedicationStatus::kCompleted,
               start, end);
  }
  Rec& Alendronate(std::string_view start) {
    return Med(MedicationClass::kBisphosphonate, "alendronate", MedicationStatus::kActive, start);
  }
  // One zoledronic acid infusion.
  Rec& ZoledronicAcidDose(std::string_view date) {
    return Med(MedicationClass::kBisphosphonate, "zoledronic-acid", MedicationStatus::kCompleted,
               date, date);
  }
  // One denosumab 60 mg injection.
  Rec& DenosumabDose(std::string_view date) {
    return Med(MedicationClass::kDenosumab, "denosumab", MedicationStatus::kCompleted, date, date);
  }
  // An active, open denosumab course (counts as adherent).
  Rec& DenosumabOpen(std::string_view start) {
    return Med(MedicationClass::kDenosumab, "denosumab", MedicationStatus::kActive, start);
  }
  // Systemic glucocorticoid, active and open from `start`.
  Rec& Prednisolone(std::string_view start) {
    return Med(MedicationClass::kGlucocorticoid, "prednisolone", MedicationStatus::kActive, start);
  }
  Rec& PrednisoloneUntil(std::string_view start, std::string_view end) {
    return Med(MedicationClass::kGlucocorticoid, "prednisolone", MedicationStatus::kCompleted,
               start, end);
  }
  // Any medication use; `end` empty means open.
  Rec& Med(MedicationClass medication_class, std::string_view ingredient, MedicationStatus status,
           std::string_view start, std::string_view end = {}) {
    MedicationUse use;
    use.medication_class = medication_class;
    use.ingredient = std::string(ingredient);
    use.status = status;
    use.start = D(start);
    if (!end.empty()) use.end = D(end);
    use.source = NextSource("MedicationStatement");
    record_.medications.push_back(std::move(use));
    return *this;
  }

  // --- Observations (canonical units of spec §1).

  Rec& TScore(std::string_view date, Site site, double value) {
    return Value(Concept::kDxaTScore, site, date, value);
  }
  Rec& ZScore(std::string_view date, Site site, double value) {
    return Value(Concept::kDxaZScore, site, date, value);
  }
  // Areal BMD in g/cm2.
  Rec& Bmd(std::string_view date, Site site, double g_per_cm2) {
    return Value(Concept::kDxaBmd, site, date, g_per_cm2);
  }
  // A completed DXA Procedure: the scan was done, no values.
  Rec& DxaProcedure(std::string_view date) {
    record_.facts.push_back(MakeFact(Concept::kDxaProcedure, Site::kNone, std::nullopt, date,
                                     NextSource("Procedure"), "completed"));
    return *this;
  }
  // Serum CTX in ng/L.
  Rec& Ctx(std::string_view date, double ng_per_l) {
    return Value(Concept::kCtx, Site::kNone, date, ng_per_l);
  }
  // Urine NTX in nmol BCE/mmol creatinine.
  Rec& Ntx(std::string_view date, double value) {
    return Value(Concept::kNtx, Site::kNone, date, value);
  }
  // 25-hydroxyvitamin D in ng/mL.
  Rec& VitaminD(std::string_view date, double ng_per_ml) {
    return Value(Concept::kVitaminD25oh, Site::kNone, date, ng_per_ml);
  }
  Rec& Bmi(std::string_view date, double kg_per_m2) {
    return Value(Concept::kBmi, Site::kNone, date, kg_per_m2);
  }
  Rec& Value(Concept kind, Site site, std::string_view date, double value) {
    record_.facts.push_back(MakeFact(kind, site, value, date, NextSource("Observation"), "final"));
    return *this;
  }

  // --- Risk-factor Conditions (clinicalStatus active unless said otherwise)
  // and smoking-status Observations.

  Rec& Smoker(std::string_view date) { return Condition(RiskFactorKind::kSmoker, date, true); }
  Rec& FormerSmokerCondition(std::string_view date) {
    return Condition(RiskFactorKind::kSmoker, date, false);
  }
  Rec& FragilityFracture(std::string_view date, bool clinically_active = true) {
    return Condition(RiskFactorKind::kFragilityFracture, date, clinically_active);
  }
  Rec& FamilyHipFracture(std::string_view date) {
    return Condition(RiskFactorKind::kFamilyHipFracture, date, true);
  }
  Rec& RheumatoidArthritis(std::string_view date) {
    return Condition(RiskFactorKind::kRheumatoidArthritis, date, true);
  }
  Rec& PremenopausalCondition(std::string_view date, bool clinically_active = true) {
    return Condition(RiskFactorKind::kPremenopausal, date, clinically_active);
  }
  Rec& Condition(RiskFactorKind kind, std::string_view date, bool clinically_active) {
    RiskFactorFact fact;
    fact.kind = kind;
    fact.origin = RiskFactorOrigin::kCondition;
    fact.date = D(date);
    fact.clinically_active = clinically_active;
    fact.present = true;
    fact.source = NextSource("Condition");
    record_.risk_factors.push_back(std::move(fact));
    return *this;
  }
  // LOINC 72166-2 smoking status; `current_smoker` is whether the answer is a
  // current-smoker answer.
  Rec& SmokingStatus(std::string_view date, bool current_smoker) {
    RiskFactorFact fact;
    fact.kind = RiskFactorKind::kSmoker;
    fact.origin = RiskFactorOrigin::kSmokingStatusObservation;
    fact.date = D(date);
    fact.clinically_active = true;
    fact.present = current_smoker;
    fact.source = NextSource("Observation");
    record_.risk_factors.push_back(std::move(fact));
    return *this;
  }

  const PatientRecord& record() const { return record_; }
  operator PatientRecord() const { return record_; }  // NOLINT: implicit by design

 private:
  // Fact is built by position (kind, site, value, effective, source, status)
  // so that the tests do not depend on the member names.
  static Fact MakeFact(Concept kind, Site site, std::optional<double> value, std::string_view date,
                       SourceRef source, std::string status) {
    return Fact{kind, site, value, D(date), std::move(source), std::move(status)};
  }

  SourceRef NextSource(std::string_view resource_type) {
    SourceRef ref;
    ref.resource_type = std::string(resource_type);
    ref.id = "s" + std::to_string(++next_id_);
    ref.version = "1";
    return ref;
  }

  PatientRecord record_;
  int next_id_ = 0;
};

// ---------------------------------------------------------------------------
// Evaluation helpers. Codes are spelled out here (not taken from the engine's
// own *Code() functions) so that the tests pin the spec's codes.

inline Evaluation EvaluateAt(const PatientRecord& record, std::string_view now,
                             const RuleSet& rules = RuleSet()) {
  return Evaluate(record, D(now), rules);
}

inline constexpr Priority PL = Priority::kLow;
inline constexpr Priority PM = Priority::kMedium;
inline constexpr Priority PH = Priority::kHigh;

// Readable codes for failure messages.
inline std::string Code(Priority p) { return std::string(PriorityCode(p)); }
inline std::string Code(ActivityStatus s) { return std::string(ActivityStatusCode(s)); }
inline std::string Code(Disposition d) { return std::string(DispositionCode(d)); }

// The active finding for `rule`, or nullptr.
inline const Finding* FindActive(const Evaluation& evaluation, std::string_view rule) {
  for (const Finding& f : evaluation.findings) {
    if (f.rule == rule && f.status == FindingStatus::kActive) return &f;
  }
  return nullptr;
}

// The plan activity `key`, or nullptr when absent.
inline const PlanActivity* FindActivity(const Evaluation& evaluation, std::string_view key) {
  for (const PlanActivity& a : evaluation.plan) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

// "not-started", ..., or "absent".
inline std::string ActivityStatusOf(const Evaluation& evaluation, std::string_view key) {
  const PlanActivity* activity = FindActivity(evaluation, key);
  return activity ? Code(activity->status) : "absent";
}

// ---------------------------------------------------------------------------
// Scenario rows.

// An ACTIVE finding: rule, episode start and priority at the evaluation date.
// An empty `start` means "the start is not asserted" (used only where the spec
// leaves the episode start open; each such row says why).
struct ExpectedFinding {
  std::string rule;
  std::string start;
  Priority priority;
};

// An ended (inactive) episode that must be listed in Evaluation::findings.
struct ExpectedEnded {
  std::string rule;
  std::string start;
  std::string end;  // empty: not asserted
};

// A plan activity status; "absent" when the activity must not be in the plan.
// `scheduled_start` empty: not asserted.
struct ExpectedActivity {
  std::string key;
  std::string status;
  std::string scheduled_start = {};
};

// The text of the active finding for `rule` must contain each of `mentions`
// (ASCII case-insensitive).
struct ExpectedText {
  std::string rule;
  std::vector<std::string> mentions;
};

struct Scenario {
  std::string name;  // gtest parameter name: [A-Za-z0-9_]
  PatientRecord record;
  std::string now;
  // Exactly the active findings (order free).
  std::vector<ExpectedFinding> active;
  std::vector<ExpectedActivity> plan = {};
  Disposition disposition = Disposition::kActive;
  std::vector<ExpectedEnded> ended = {};
  std::vector<ExpectedText> texts = {};
  std::string course_start = {};  // empty: not asserted
};

inline void PrintTo(const Scenario& s, std::ostream* os) { *os << s.name << " @ " << s.now; }

// ASCII lower-case (texts may start a sentence with "Total hip").
inline std::string Lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

inline std::string Describe(const std::string& rule, const std::string& start, Priority p) {
  return rule + " " + (start.empty() ? std::string("*") : start) + " " + Code(p);
}

// Compares an evaluation with a row; failures name the row.
inline void ExpectScenario(const Scenario& s) {
  SCOPED_TRACE("scenario " + s.name + " evaluated at " + s.now);
  const Evaluation evaluation = EvaluateAt(s.record, s.now);

  EXPECT_EQ(Code(evaluation.disposition), Code(s.disposition));
  // Pure and deterministic: the same inputs give the same evaluation.
  EXPECT_EQ(EvaluateAt(s.record, s.now).ToCanonicalString(), evaluation.ToCanonicalString());
  if (s.disposition == Disposition::kOutOfScope || s.disposition == Disposition::kRetracted) {
    // Spec §2 Scope: "a patient with no AI course gets no output at all".
    EXPECT_TRUE(evaluation.findings.empty()) << "findings written without an AI course";
    EXPECT_TRUE(evaluation.plan.empty()) << "plan written without an AI course";
  }

  std::vector<std::string> expected;
  for (const ExpectedFinding& e : s.active)
    expected.push_back(Describe(e.rule, e.start, e.priority));
  std::vector<std::string> actual;
  for (const Finding* f : evaluation.ActiveFindings()) {
    bool start_asserted = true;
    for (const ExpectedFinding& e : s.active) {
      if (e.rule == f->rule && e.start.empty()) start_asserted = false;
    }
    actual.push_back(
        Describe(f->rule, start_asserted ? f->episode_start.ToString() : "", f->priority));
  }
  std::sort(expected.begin(), expected.end());
  std::sort(actual.begin(), actual.end());
  EXPECT_EQ(actual, expected) << "active findings (rule, episode start, priority)";

  for (const ExpectedEnded& e : s.ended) {
    bool found = false;
    for (const Finding& f : evaluation.findings) {
      if (f.rule != e.rule || f.episode_start.ToString() != e.start) continue;
      found = true;
      EXPECT_EQ(f.status, FindingStatus::kInactive) << e.rule << " " << e.start;
      if (!e.end.empty()) {
        EXPECT_EQ(f.episode_end ? f.episode_end->ToString() : "(none)", e.end)
            << "episode end of " << e.rule << " " << e.start;
      }
    }
    EXPECT_TRUE(found) << "ended episode " << e.rule << " " << e.start << " not listed";
  }

  for (const ExpectedActivity& a : s.plan) {
    EXPECT_EQ(ActivityStatusOf(evaluation, a.key), a.status) << "activity " << a.key;
    if (!a.scheduled_start.empty()) {
      const PlanActivity* activity = FindActivity(evaluation, a.key);
      EXPECT_EQ(
          activity && activity->scheduled_start ? activity->scheduled_start->ToString() : "(none)",
          a.scheduled_start)
          << "scheduled start of " << a.key;
    }
  }

  for (const ExpectedText& t : s.texts) {
    const Finding* f = FindActive(evaluation, t.rule);
    ASSERT_NE(f, nullptr) << "no active " << t.rule << " to read the text of";
    for (const std::string& mention : t.mentions) {
      EXPECT_NE(Lower(f->text).find(Lower(mention)), std::string::npos)
          << t.rule << " text \"" << f->text << "\" should mention \"" << mention << "\"";
    }
  }

  if (!s.course_start.empty()) {
    ASSERT_TRUE(evaluation.course.has_value()) << "no monitored course";
    EXPECT_EQ(evaluation.course->start.ToString(), s.course_start) << "monitored course start";
  }
}

// ---------------------------------------------------------------------------
// Boundary rows: one rule, one evaluation date, raised or not.

struct Outcome {
  std::string rule;
  bool raised = false;
  Priority priority = Priority::kMedium;  // when raised
  std::string start = {};                 // when raised; empty: not asserted
};
// The rule has an ACTIVE finding with this priority (and episode start).
inline Outcome Raised(std::string rule, Priority priority, std::string start = {}) {
  return Outcome{std::move(rule), true, priority, std::move(start)};
}
// The rule has no ACTIVE finding (ended episodes may be listed).
inline Outcome NotRaised(std::string rule) { return Outcome{std::move(rule), false, PM, {}}; }

struct BoundaryCase {
  std::string name;
  PatientRecord record;
  std::string now;
  Outcome expect;
};

inline void PrintTo(const BoundaryCase& c, std::ostream* os) { *os << c.name << " @ " << c.now; }

inline void ExpectBoundary(const BoundaryCase& c) {
  SCOPED_TRACE("boundary " + c.name + " evaluated at " + c.now);
  const Evaluation evaluation = EvaluateAt(c.record, c.now);
  const Finding* finding = FindActive(evaluation, c.expect.rule);
  if (!c.expect.raised) {
    if (finding != nullptr) {
      ADD_FAILURE() << c.expect.rule << " is active (episode start "
                    << finding->episode_start.ToString() << ", " << Code(finding->priority)
                    << ", \"" << finding->text << "\") but should not be";
    }
    return;
  }
  ASSERT_NE(finding, nullptr) << c.expect.rule << " should be active";
  EXPECT_EQ(Code(finding->priority), Code(c.expect.priority)) << c.expect.rule << " priority";
  if (!c.expect.start.empty()) {
    EXPECT_EQ(finding->episode_start.ToString(), c.expect.start)
        << c.expect.rule << " episode start";
  }
}

template <typename Row>
struct RowName {
  std::string operator()(const ::testing::TestParamInfo<Row>& info) const {
    return info.param.name;
  }
};

}  // namespace bonewatch::rules::dsl
