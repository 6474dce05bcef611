// Deterministic random PatientRecords for equivalence tests of the rule engine.
//
// GeneratedRecord(seed) always returns the same record for the same seed, on
// every platform: it uses SplitMix64 with its own range mapping (the standard
// distributions are implementation-defined). The records are built to reach
// every rule, plan activity and change point: several AI uses with short and
// long gaps, DXA sessions that merge or split, values on both sides of every
// default threshold, markers inside and outside their windows, therapy that
// starts and stops, risk factors of every kind and origin, birthdays around
// the age thresholds, same-day duplicates and month-end dates (clamping).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bonewatch/rules/date.h"
#include "bonewatch/rules/model.h"
#include "bonewatch/rules/ruleset.h"

namespace bonewatch::rules::testgen {

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform enough in [lo, hi] for test data.
  int Int(int lo, int hi) {
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(int percent) { return Int(1, 100) <= percent; }
  // A value on a grid of `step` in [lo, hi].
  double Grid(double lo, double hi, double step) {
    const int steps = static_cast<int>((hi - lo) / step + 0.5);
    return lo + step * Int(0, steps);
  }

 private:
  uint64_t state_;
};

// `base` shifted by a random number of days in [lo, hi]; now and then moved
// to the end of its month, so that month arithmetic has to clamp.
inline Date Around(Random& rnd, Date base, int lo, int hi) {
  Date d = base.AddDays(rnd.Int(lo, hi));
  if (rnd.Chance(15)) d = Date::FromYmd(d.year(), d.month(), DaysInMonth(d.year(), d.month()));
  return d;
}

inline PatientRecord GeneratedRecord(uint64_t seed) {
  Random rnd(seed * 7919 + 17);
  PatientRecord r;
  r.patient_id = "gen-" + std::to_string(seed);
  int next_id = 0;
  auto ref = [&](const char* type) {
    SourceRef s{type, "r" + std::to_string(++next_id), rnd.Chance(80) ? "1" : "", ""};
    if (rnd.Chance(10)) s.component = "c" + std::to_string(rnd.Int(1, 3));
    return s;
  };

  const Date start = Date::FromYmd(rnd.Int(2019, 2025), rnd.Int(1, 12), rnd.Int(1, 28))
                         .AddDays(rnd.Chance(20) ? rnd.Int(0, 3) : 0);
  if (rnd.Chance(90)) {
    const int by = rnd.Chance(30) ? start.year() - rnd.Int(46, 52) : start.year() - rnd.Int(40, 80);
    const int bm = rnd.Int(1, 12);
    const int bd = rnd.Chance(10) && bm == 2 ? 29 : rnd.Int(1, 28);
    if (Date::IsValid(by, bm, bd)) r.demographics.birth_date = Date::FromYmd(by, bm, bd);
    r.demographics.gender = Gender::kFemale;
  }

  auto med = [&](MedicationClass c, const char* ingredient, Date from, std::optional<Date> to,
                 MedicationStatus status) {
    MedicationUse use;
    use.medication_class = c;
    use.ingredient = ingredient;
    use.status = status;
    use.start = from;
    use.end = to;
    use.source = ref(rnd.Chance(70) ? "MedicationStatement" : "MedicationRequest");
    r.medications.push_back(use);
  };
  auto finished = [&]() {
    return rnd.Chance(50) ? MedicationStatus::kCompleted : MedicationStatus::kStopped;
  };

  // Aromatase inhibitor uses: none (out of scope), or a chain with gaps.
  if (rnd.Chance(95)) {
    Date from = start;
    const int uses = rnd.Int(1, 3);
    for (int i = 0; i < uses; ++i) {
      const bool last = i + 1 == uses;
      if (last && rnd.Chance(55)) {
        const MedicationStatus status =
            rnd.Chance(85) ? MedicationStatus::kActive : MedicationStatus::kOnHold;
        med(MedicationClass::kAromataseInhibitor, rnd.Chance(50) ? "anastrozole" : "letrozole",
            from, std::nullopt, status);
        break;
      }
      const Date to = Around(rnd, from, 0, 900);
      med(MedicationClass::kAromataseInhibitor, "exemestane", from, to, finished());
      from = to.AddDays(rnd.Chance(70) ? rnd.Int(1, 90) : rnd.Int(85, 400));
    }
  } else if (rnd.Chance(50)) {
    r.ai_medication_retracted = true;
  }

  // DXA sessions: each a few members within (or just past) the session gap.
  const Site sites[] = {Site::kLumbarSpine, Site::kTotalHip, Site::kFemoralNeck, Site::kForearm,
                        Site::kUnspecified};
  auto fact = [&](Concept c, Site site, std::optional<double> value, Date date) {
    r.facts.push_back(Fact{c, site, value, date, ref("Observation"), "final"});
  };
  const int sessions = rnd.Int(0, 4);
  Date session_date = Around(rnd, start, -500, 120);
  double bmd_level = rnd.Grid(0.65, 1.05, 0.01);
  for (int s = 0; s < sessions; ++s) {
    const int members = rnd.Int(1, 4);
    Date member_date = session_date;
    for (int m = 0; m < members; ++m) {
      const Site site = sites[rnd.Int(0, 4)];
      switch (rnd.Int(0, 5)) {
        case 0:
        case 1:
          fact(Concept::kDxaTScore, site, rnd.Grid(-3.6, 0.4, 0.1), member_date);
          break;
        case 2:
          fact(Concept::kDxaZScore, site, rnd.Grid(-3.0, 0.5, 0.1), member_date);
          break;
        case 3:
        case 4:
          fact(Concept::kDxaBmd, site, bmd_level - rnd.Grid(-0.02, 0.09, 0.01), member_date);
          break;
        default:
          r.facts.push_back(Fact{Concept::kDxaProcedure, Site::kNone, std::nullopt, member_date,
                                 ref("Procedure"), "completed"});
          break;
      }
      if (rnd.Chance(8)) fact(Concept::kDxaTScore, site, std::nullopt, member_date);  // no value
      if (rnd.Chance(60)) member_date = member_date.AddDays(rnd.Int(0, 40));
    }
    bmd_level -= rnd.Grid(0.0, 0.06, 0.01);
    session_date = Around(rnd, member_date, 200, 900);
  }

  // Bone turnover markers around the course start.
  const int markers = rnd.Int(0, 4);
  for (int i = 0; i < markers; ++i) {
    const Concept c = rnd.Chance(75) ? Concept::kCtx : Concept::kNtx;
    const int offset = rnd.Chance(40) ? rnd.Int(-100, 20) : rnd.Int(40, 220);
    fact(c, Site::kNone, rnd.Grid(0, 600, 10), Around(rnd, start, offset, offset));
  }
  if (rnd.Chance(20)) fact(Concept::kP1np, Site::kNone, rnd.Grid(20, 80, 1), start);
  if (rnd.Chance(10)) fact(Concept::kBalp, Site::kNone, rnd.Grid(5, 30, 1), start);

  // Vitamin D and BMI series.
  Date vd = Around(rnd, start, -60, 200);
  for (int i = rnd.Int(0, 5); i > 0; --i) {
    fact(Concept::kVitaminD25oh, Site::kNone, rnd.Grid(8, 40, 0.5), vd);
    if (rnd.Chance(80)) vd = Around(rnd, vd, 20, 400);
  }
  Date bmi = Around(rnd, start, -300, 300);
  for (int i = rnd.Int(0, 2); i > 0; --i) {
    fact(Concept::kBmi, Site::kNone, rnd.Grid(17, 24, 0.5), bmi);
    bmi = Around(rnd, bmi, 30, 500);
  }

  // Therapy and other medications.
  Date dose = Around(rnd, start, -200, 600);
  for (int i = rnd.Int(0, 3); i > 0; --i) {
    if (rnd.Chance(15)) {
      med(MedicationClass::kDenosumab, "denosumab", dose, std::nullopt, MedicationStatus::kActive);
    } else {
      med(MedicationClass::kDenosumab, "denosumab", dose, dose, MedicationStatus::kCompleted);
    }
    dose = Around(rnd, dose, 150, 330);
  }
  if (rnd.Chance(20)) {
    const Date from = Around(rnd, start, -100, 900);
    if (rnd.Chance(50)) {
      med(MedicationClass::kBisphosphonate, "zoledronic-acid", from, from,
          MedicationStatus::kCompleted);
    } else if (rnd.Chance(50)) {
      med(MedicationClass::kBisphosphonate, "alendronate", from, std::nullopt,
          MedicationStatus::kActive);
    } else {
      med(MedicationClass::kBisphosphonate, "alendronate", from, Around(rnd, from, 30, 400),
          finished());
    }
  }
  if (rnd.Chance(15)) {
    const Date from = Around(rnd, start, -400, 300);
    med(MedicationClass::kOvarianSuppression, "goserelin", from,
        rnd.Chance(50) ? std::optional<Date>(Around(rnd, from, 30, 700)) : std::nullopt,
        rnd.Chance(50) ? finished() : MedicationStatus::kActive);
  }
  for (int i = rnd.Chance(20) ? rnd.Int(1, 2) : 0; i > 0; --i) {
    const Date from = Around(rnd, start, -300, 600);
    if (rnd.Chance(30)) {
      med(MedicationClass::kGlucocorticoid, "prednisolone", from, std::nullopt,
          MedicationStatus::kActive);
    } else {
      med(MedicationClass::kGlucocorticoid, "prednisolone", from, Around(rnd, from, 20, 300),
          finished());
    }
  }

  // Risk factors of every kind and origin.
  for (int i = rnd.Chance(50) ? rnd.Int(1, 4) : 0; i > 0; --i) {
    RiskFactorFact f;
    f.kind = static_cast<RiskFactorKind>(rnd.Int(0, 4));
    f.origin = f.kind == RiskFactorKind::kSmoker && rnd.Chance(50)
                   ? RiskFactorOrigin::kSmokingStatusObservation
                   : RiskFactorOrigin::kCondition;
    f.date = Around(rnd, start, -2000, 900);
    f.clinically_active = rnd.Chance(80);
    f.present = rnd.Chance(70);
    f.source = ref(f.origin == RiskFactorOrigin::kCondition ? "Condition" : "Observation");
    r.risk_factors.push_back(f);
  }

  // Same-day duplicates of an existing fact (a different source).
  if (!r.facts.empty() && rnd.Chance(15)) {
    Fact copy = r.facts[static_cast<size_t>(rnd.Int(0, static_cast<int>(r.facts.size()) - 1))];
    copy.source = ref("Observation");
    r.facts.push_back(copy);
  }
  return r;
}

// Evaluation dates for a generated record: before, around and long after
// its course start.
inline std::vector<Date> GeneratedEvaluationDates(uint64_t seed, const PatientRecord& record) {
  Random rnd(seed * 104729 + 3);
  Date start = Date::FromYmd(2022, 6, 1);
  for (const MedicationUse& m : record.medications) {
    if (m.medication_class == MedicationClass::kAromataseInhibitor) {
      start = m.start;
      break;
    }
  }
  return {Around(rnd, start, -20, 5), Around(rnd, start, 20, 120), Around(rnd, start, 120, 400),
          Around(rnd, start, 400, 1200), Around(rnd, start, 1200, 2600)};
}

// Rule sets for generated records: the defaults, and one with every window
// and threshold moved (so that no code path relies on a default value).
inline std::vector<RuleSet> GeneratedRuleSets() {
  RuleSet moved;
  moved.courseGapDays = 45;
  moved.dxaSessionGapDays = 10;
  moved.baselineDxaLookbackMonths = 6;
  moved.baselineDxaDueMonths = 2;
  moved.dxaIntervalMonths = 18;
  moved.dxaIntervalHighRiskMonths = 9;
  moved.dxaOverdueEscalationMonths = 1;
  moved.osteoporosisTScore = -2.3;
  moved.osteopeniaTScore = -1.2;
  moved.lowBmdForAgeZScore = -1.5;
  moved.premenopausalAgeYears = 52;
  moved.bmdSignificantLossPercent = 3.0;
  moved.btmBaselineBeforeMonths = 2;
  moved.btmBaselineAfterDays = 7;
  moved.btmFollowUpWindowStartMonths = 1;
  moved.btmFollowUpDueMonths = 2;
  moved.btmFollowUpScheduledEndMonths = 3;
  moved.btmFollowUpWindowEndMonths = 5;
  moved.btmSignificantRisePercent = 20.0;
  moved.antiresorptiveTScore = -1.8;
  moved.antiresorptiveTScoreWithRiskFactor = -1.2;
  moved.antiresorptiveRiskFactorCount = 3;
  moved.riskAgeYears = 60;
  moved.riskBmi = 21.0;
  moved.glucocorticoidCourseDays = 90;
  moved.denosumabCoverMonths = 8;
  moved.zoledronicAcidCoverMonths = 10;
  moved.vitaminDDeficientBelow = 15.0;
  moved.vitaminDInsufficientBelow = 25.0;
  moved.denosumabIntervalMonths = 5;
  moved.denosumabGraceWeeks = 2;
  moved.denosumabEscalationWeeks = 10;
  return {RuleSet(), moved};
}

}  // namespace bonewatch::rules::testgen
