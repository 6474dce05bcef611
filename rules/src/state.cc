#include "state.h"

#include <algorithm>

#include "text.h"

namespace bonewatch::rules::internal {
namespace {

constexpr Site kSitesInOrder[] = {Site::kLumbarSpine, Site::kTotalHip, Site::kFemoralNeck,
                                  Site::kForearm, Site::kUnspecified};

void BuildSessionsAt(const Timeline& tl, State& s) {
  s.sessions = BuildSessions(FactsUpTo(tl.dxa, s.t), tl.rules->dxaSessionGapDays);
  const Date lookback = tl.course->start.AddMonths(-tl.rules->baselineDxaLookbackMonths);
  for (const Session& session : s.sessions) {
    s.latest = &session;
    if (!s.baseline && session.date >= lookback) s.baseline = &session;
    if (!session.has_values) continue;
    s.value_sessions.push_back(&session);
    s.latest_values = &session;
    if (!s.baseline_values && session.date >= lookback) s.baseline_values = &session;
  }
}

void AddPremenopausal(const Timeline& tl, State& s) {
  const RuleSet& r = *tl.rules;
  const auto& birth = tl.record->demographics.birth_date;
  if (birth && AgeInYears(*birth, s.t) < r.premenopausalAgeYears) s.premenopausal = true;
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

void AddHistoryRiskFactor(const Timeline& tl, State& s, RiskFactorKind kind, std::string label) {
  RiskFactorHit hit{std::move(label), {}};
  for (const RiskFactorFact* rf : tl.risk_factors) {
    if (rf->date > s.t) break;
    if (rf->kind == kind && rf->origin == RiskFactorOrigin::kCondition) {
      hit.evidence.push_back(rf->source);
    }
  }
  if (hit.evidence.empty()) return;
  if (kind == RiskFactorKind::kFragilityFracture) {
    s.has_fragility_fracture = true;
    s.fragility_fracture_evidence = hit.evidence;
  }
  s.risk_factors.push_back(std::move(hit));
}

void AddSmoker(const Timeline& tl, State& s) {
  RiskFactorHit hit{"current smoker", {}};
  const RiskFactorFact* latest_observation = nullptr;
  for (const RiskFactorFact* rf : tl.risk_factors) {
    if (rf->date > s.t) break;
    if (rf->kind != RiskFactorKind::kSmoker) continue;
    if (rf->origin == RiskFactorOrigin::kSmokingStatusObservation) {
      latest_observation = rf;
    } else if (rf->clinically_active) {
      hit.evidence.push_back(rf->source);
    }
  }
  if (latest_observation && latest_observation->present) {
    hit.evidence.push_back(latest_observation->source);
  }
  if (!hit.evidence.empty()) s.risk_factors.push_back(std::move(hit));
}

void AddGlucocorticoid(const Timeline& tl, State& s) {
  std::vector<const MedicationUse*> started;
  for (const MedicationUse* use : tl.glucocorticoids) {
    if (use->start <= s.t) started.push_back(use);
  }
  for (const Course& c : MergeCourses(std::move(started), tl.rules->courseGapDays)) {
    const Date until = c.end ? std::min(*c.end, s.t) : s.t;
    if (until.days() - c.start.days() > tl.rules->glucocorticoidCourseDays) {
      RiskFactorHit hit{"systemic glucocorticoid course since " + c.start.ToString(), {}};
      for (const MedicationUse* use : c.uses) hit.evidence.push_back(use->source);
      s.risk_factors.push_back(std::move(hit));
      return;  // counted once
    }
  }
}

void AddRiskFactors(const Timeline& tl, State& s) {
  const RuleSet& r = *tl.rules;
  const auto& birth = tl.record->demographics.birth_date;
  if (birth) {
    const int age = AgeInYears(*birth, s.t);
    if (age > r.riskAgeYears) s.risk_factors.push_back({"age " + std::to_string(age), {}});
  }
  auto bmi = FactsUpTo(tl.bmi, s.t);
  if (!bmi.empty() && *bmi.back()->value < r.riskBmi) {
    s.risk_factors.push_back({"BMI " + FormatNumber(*bmi.back()->value), {bmi.back()->source}});
  }
  AddHistoryRiskFactor(tl, s, RiskFactorKind::kFamilyHipFracture, "family history of hip fracture");
  AddHistoryRiskFactor(tl, s, RiskFactorKind::kFragilityFracture, "prior fragility fracture");
  AddGlucocorticoid(tl, s);
  AddSmoker(tl, s);
  AddHistoryRiskFactor(tl, s, RiskFactorKind::kRheumatoidArthritis, "rheumatoid arthritis");
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
    if (covered) s.therapy_sources.push_back(use->source);
  }
  for (const MedicationUse* use : tl.denosumab) {
    if (use->start > s.t) break;
    const std::optional<Date> dose = DoseDateAt(*use, s.t);
    if (!dose) {
      s.open_denosumab_use = use;
      s.therapy_sources.push_back(use->source);
      continue;
    }
    if (!s.last_denosumab_dose || *dose >= *s.last_denosumab_dose) {
      s.last_denosumab_dose = *dose;
      s.last_denosumab_use = use;
    }
    if (s.t <= dose->AddMonths(r.denosumabCoverMonths)) s.therapy_sources.push_back(use->source);
  }
  s.on_therapy = !s.therapy_sources.empty();
  if (s.last_denosumab_dose) {
    for (const MedicationUse* use : tl.bisphosphonates) {
      if (use->start > *s.last_denosumab_dose && use->start <= s.t) {
        s.bisphosphonate_after_denosumab = true;
      }
    }
  }
}

void AddBtmRise(const Timeline& tl, State& s) {
  const RuleSet& r = *tl.rules;
  const Date start = tl.course->start;
  const DateWindow baseline_window{start.AddMonths(-r.btmBaselineBeforeMonths),
                                   start.AddDays(r.btmBaselineAfterDays)};
  const DateWindow follow_window{start.AddMonths(r.btmFollowUpWindowStartMonths),
                                 start.AddMonths(r.btmFollowUpWindowEndMonths)};
  const Fact* baseline = nullptr;
  for (Concept marker : {Concept::kCtx, Concept::kNtx}) {
    for (const Fact* f : FactsUpTo(tl.resorption, s.t)) {
      if (f->kind == marker && baseline_window.Contains(f->effective)) baseline = f;
    }
    if (baseline) break;
  }
  if (!baseline || *baseline->value <= 0) return;
  for (const Fact* f : FactsUpTo(tl.resorption, s.t)) {
    if (f->kind != baseline->kind || !follow_window.Contains(f->effective)) continue;
    const double percent = (*f->value - *baseline->value) / *baseline->value * 100.0;
    if (percent >= r.btmSignificantRisePercent - kPercentEpsilon) {
      s.btm_rise = BtmRise{baseline, f, percent};
    }
    return;  // only the first sample in the window counts
  }
}

}  // namespace

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
  BuildSessionsAt(tl, s);
  AddPremenopausal(tl, s);
  AddRiskFactors(tl, s);
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
