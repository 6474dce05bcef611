#include "state.h"

#include <algorithm>

#include "text.h"

namespace bonewatch::rules::internal {
namespace {

constexpr Site kSitesInOrder[] = {Site::kLumbarSpine, Site::kTotalHip, Site::kFemoralNeck,
                                  Site::kForearm, Site::kUnspecified};

void SetSessions(const Timeline& tl, State& s) {
  const DxaSessions& known = tl.DxaSessionsAt(s.t);
  auto at = [&](int index) { return index < 0 ? nullptr : &known.sessions[index]; };
  s.dxa = &known;
  s.sessions = known.sessions;
  s.latest = at(known.latest);
  s.baseline = at(known.baseline);
  s.latest_values = at(known.latest_values);
  s.baseline_values = at(known.baseline_values);
}

// `age`: whole years at s.t, or nullptr when the birth date is unknown.
void AddPremenopausal(const Timeline& tl, const int* age, State& s) {
  const RuleSet& r = *tl.rules;
  if (age && *age < r.premenopausalAgeYears) s.premenopausal = true;
  const Course& course = *tl.course;
  for (const MedicationUse* use : tl.ovarian_suppression) {
    if (use->start > s.t) break;
    const bool starts_before_course_end = !course.end || use->start <= *course.end;
    const bool ends_after_course_start = !use->end || *use->end >= course.start;
    if (starts_before_course_end && ends_after_course_start) s.premenopausal = true;
  }
  for (const RiskFactorFact* rf : tl.risk_factors) {
    if (rf->date > s.t) break;
    if (rf->kind == RiskFactorKind::kPremenopausal && rf->clinically_active) {
      s.premenopausal = true;
    }
  }
}

void Count(State& s, RiskFactorHit hit) {
  s.risk_factor_labels.counted |= 1u << static_cast<unsigned>(hit.factor);
  s.risk_factors.push_back(std::move(hit));
}

// Whether some risk factor fact is dated <= s.t (most records have none).
bool AnyRiskFactorFact(const Timeline& tl, const State& s) {
  return !tl.risk_factors.empty() && tl.risk_factors.front()->date <= s.t;
}

void AddHistoryRiskFactor(const Timeline& tl, State& s, RiskFactorKind kind, RiskFactor factor) {
  if (!AnyRiskFactorFact(tl, s)) return;
  RiskFactorHit hit{factor, {}};
  for (const RiskFactorFact* rf : tl.risk_factors) {
    if (rf->date > s.t) break;
    if (rf->kind == kind && rf->origin == RiskFactorOrigin::kCondition) {
      hit.evidence.push_back(&rf->source);
    }
  }
  if (hit.evidence.empty()) return;
  if (kind == RiskFactorKind::kFragilityFracture) s.has_fragility_fracture = true;
  Count(s, std::move(hit));
}

void AddSmoker(const Timeline& tl, State& s) {
  if (!AnyRiskFactorFact(tl, s)) return;
  RiskFactorHit hit{RiskFactor::kSmoker, {}};
  const RiskFactorFact* latest_observation = nullptr;
  for (const RiskFactorFact* rf : tl.risk_factors) {
    if (rf->date > s.t) break;
    if (rf->kind != RiskFactorKind::kSmoker) continue;
    if (rf->origin == RiskFactorOrigin::kSmokingStatusObservation) {
      latest_observation = rf;
    } else if (rf->clinically_active) {
      hit.evidence.push_back(&rf->source);
    }
  }
  if (latest_observation && latest_observation->present) {
    hit.evidence.push_back(&latest_observation->source);
  }
  if (!hit.evidence.empty()) Count(s, std::move(hit));
}

// The first course of the glucocorticoid uses started by s.t that has lasted
// more than glucocorticoidCourseDays by s.t. The courses are those of
// MergeCourses(started uses), merged here in place: this runs at every change
// point, and tl.glucocorticoids is already in MergeCourses' order, so the
// uses started by s.t are a prefix of it.
void AddGlucocorticoid(const Timeline& tl, State& s) {
  const std::vector<const MedicationUse*>& uses = tl.glucocorticoids;
  const size_t started =
      static_cast<size_t>(std::find_if(uses.begin(), uses.end(),
                                       [&](const MedicationUse* u) { return u->start > s.t; }) -
                          uses.begin());
  const int gap_days = tl.rules->courseGapDays;
  size_t first = 0;   // the current course's first use
  bool open = false;  // the current course has an unfinished use
  Date running_end;   // the latest end so far (meaningless when open)
  // Counts the course of uses [first, last) when it lasted long enough.
  const auto counted = [&](size_t last) {
    const Date start = uses[first]->start;
    const Date until = open ? s.t : std::min(running_end, s.t);
    if (until.days() - start.days() <= tl.rules->glucocorticoidCourseDays) return false;
    RiskFactorHit hit{RiskFactor::kGlucocorticoidCourse, {}};
    for (size_t i = first; i < last; ++i) hit.evidence.push_back(&uses[i]->source);
    s.risk_factor_labels.glucocorticoid_since = start;
    Count(s, std::move(hit));
    return true;
  };
  for (size_t i = 0; i < started; ++i) {
    const MedicationUse* use = uses[i];
    const bool continues = i > 0 && (open || use->start <= running_end.AddDays(gap_days));
    if (!continues) {
      if (i > 0 && counted(i)) return;  // counted once
      first = i;
      open = false;
      running_end = use->start;
    }
    if (use->IsFinished()) {
      running_end = std::max(running_end, *use->end);
    } else {
      open = true;
    }
  }
  if (started > 0) counted(started);
}

void AddRiskFactors(const Timeline& tl, const int* age, State& s) {
  const RuleSet& r = *tl.rules;
  if (age && *age > r.riskAgeYears) {
    s.risk_factor_labels.age = *age;
    Count(s, {RiskFactor::kAge, {}});
  }
  auto bmi = FactsUpTo(tl.bmi, s.t);
  if (!bmi.empty() && *bmi.back()->value < r.riskBmi) {
    s.risk_factor_labels.bmi = bmi.back();
    Count(s, {RiskFactor::kLowBmi, {&bmi.back()->source}});
  }
  AddHistoryRiskFactor(tl, s, RiskFactorKind::kFamilyHipFracture, RiskFactor::kFamilyHipFracture);
  AddHistoryRiskFactor(tl, s, RiskFactorKind::kFragilityFracture, RiskFactor::kFragilityFracture);
  AddGlucocorticoid(tl, s);
  AddSmoker(tl, s);
  AddHistoryRiskFactor(tl, s, RiskFactorKind::kRheumatoidArthritis,
                       RiskFactor::kRheumatoidArthritis);
}

void AddTherapy(const Timeline& tl, State& s) {
  const RuleSet& r = *tl.rules;
  for (const MedicationUse* use : tl.bisphosphonates) {
    if (use->start > s.t) break;
    const std::optional<Date> dose = DoseDateAt(*use, s.t);
    bool covered = !dose;  // open at t
    if (dose) {
      covered = IsZoledronicAcid(*use) ? s.t <= dose->AddMonths(r.zoledronicAcidCoverMonths)
                                       : s.t <= *dose;
    }
    if (covered) s.therapy_sources.push_back(&use->source);
  }
  for (const MedicationUse* use : tl.denosumab) {
    if (use->start > s.t) break;
    const std::optional<Date> dose = DoseDateAt(*use, s.t);
    if (!dose) {
      s.open_denosumab_use = use;
      s.therapy_sources.push_back(&use->source);
      continue;
    }
    if (!s.last_denosumab_dose || *dose >= *s.last_denosumab_dose) {
      s.last_denosumab_dose = *dose;
      s.last_denosumab_use = use;
    }
    if (s.t <= dose->AddMonths(r.denosumabCoverMonths)) s.therapy_sources.push_back(&use->source);
  }
  s.on_therapy = !s.therapy_sources.empty();
  // Spec §4 denosumab-next-dose (v1.1): an open use with no later finished
  // dose counts from its start.
  s.last_known_denosumab_dose = s.last_denosumab_dose;
  if (s.open_denosumab_use && (!s.last_known_denosumab_dose ||
                               s.open_denosumab_use->start > *s.last_known_denosumab_dose)) {
    s.last_known_denosumab_dose = s.open_denosumab_use->start;
  }
  if (s.last_known_denosumab_dose) {
    for (const MedicationUse* use : tl.bisphosphonates) {
      if (use->start > *s.last_known_denosumab_dose && use->start <= s.t) {
        s.bisphosphonate_after_denosumab = true;
      }
    }
  }
}

void AddBtmRise(const Timeline& tl, State& s) {
  const RuleSet& r = *tl.rules;
  const DateWindow& baseline_window = tl.course_dates.btm_baseline;
  const DateWindow& follow_window = tl.course_dates.btm_follow_up;
  const auto known = FactsUpTo(tl.resorption, s.t);
  const Fact* baseline = nullptr;
  for (Concept marker : {Concept::kCtx, Concept::kNtx}) {
    for (const Fact* f : known) {
      if (f->kind == marker && baseline_window.Contains(f->effective)) baseline = f;
    }
    if (baseline) break;
  }
  if (!baseline || *baseline->value <= 0) return;
  for (const Fact* f : known) {
    if (f->kind != baseline->kind || !follow_window.Contains(f->effective)) continue;
    const double percent = (*f->value - *baseline->value) / *baseline->value * 100.0;
    if (percent >= r.btmSignificantRisePercent - kPercentEpsilon) {
      s.btm_rise = BtmRise{baseline, f, percent};
    }
    return;  // only the first sample in the window counts
  }
}

}  // namespace

std::vector<std::string> RiskFactorLabels::Texts() const {
  std::vector<std::string> out;
  if (Has(RiskFactor::kAge)) out.push_back("age " + std::to_string(age));
  if (Has(RiskFactor::kLowBmi)) out.push_back("BMI " + FormatNumber(*bmi->value));
  if (Has(RiskFactor::kFamilyHipFracture)) out.push_back("family history of hip fracture");
  if (Has(RiskFactor::kFragilityFracture)) out.push_back("prior fragility fracture");
  if (Has(RiskFactor::kGlucocorticoidCourse)) {
    out.push_back("systemic glucocorticoid course since " + glucocorticoid_since.ToString());
  }
  if (Has(RiskFactor::kSmoker)) out.push_back("current smoker");
  if (Has(RiskFactor::kRheumatoidArthritis)) out.push_back("rheumatoid arthritis");
  return out;
}

int State::DxaIntervalMonths() const {
  return high_risk ? tl->rules->dxaIntervalHighRiskMonths : tl->rules->dxaIntervalMonths;
}

std::optional<BmdLoss> LossAgainst(const Session& baseline, const Session& session,
                                   const RuleSet& rules) {
  if (&baseline == &session) return std::nullopt;
  std::optional<BmdLoss> best;
  for (Site site : kSitesInOrder) {
    const Fact* b = baseline.BmdAt(site);
    const Fact* l = session.BmdAt(site);
    if (!b || !l || *b->value <= 0) continue;
    const double percent = (*b->value - *l->value) / *b->value * 100.0;
    if (percent < rules.bmdSignificantLossPercent - kPercentEpsilon) continue;
    if (!best || percent > best->percent) best = BmdLoss{b, l, percent};
  }
  return best;
}

State BuildState(const Timeline& tl, Date t) {
  State s;
  s.t = t;
  s.tl = &tl;
  s.course = &*tl.course;
  SetSessions(tl, s);
  const auto& birth = tl.record->demographics.birth_date;
  const int age = birth ? AgeInYears(*birth, tl.birth_civil, t) : 0;
  AddPremenopausal(tl, birth ? &age : nullptr, s);
  AddRiskFactors(tl, birth ? &age : nullptr, s);
  AddTherapy(tl, s);
  if (s.baseline_values && s.latest_values) {
    s.bmd_loss = LossAgainst(*s.baseline_values, *s.latest_values, *tl.rules);
  }
  AddBtmRise(tl, s);
  const Fact* lowest = s.latest_values ? s.latest_values->LowestTScore() : nullptr;
  s.high_risk = (lowest && *lowest->value < tl.rules->osteopeniaTScore) || s.premenopausal ||
                s.bmd_loss || s.btm_rise || !s.risk_factors.empty();
  return s;
}

}  // namespace bonewatch::rules::internal
