#include "change_points.h"

#include <algorithm>

namespace bonewatch::rules::internal {
namespace {

void SortUnique(std::vector<Date>& dates) {
  std::sort(dates.begin(), dates.end());
  dates.erase(std::unique(dates.begin(), dates.end()), dates.end());
}

void AddUseEnds(const std::vector<const MedicationUse*>& uses, std::vector<Date>& out) {
  for (const MedicationUse* use : uses) {
    if (!use->end) continue;
    out.push_back(*use->end);
    out.push_back(use->end->AddDays(1));
  }
}

}  // namespace

std::vector<Date> TimeDerivedPoints(const Timeline& tl) {
  const RuleSet& r = *tl.rules;
  const Course& course = *tl.course;
  const Date start = course.start;
  std::vector<Date> out;
  out.reserve(8 + 4 * tl.dxa_session_dates.size() + 5 * tl.denosumab.size() +
              3 * tl.bisphosphonates.size() + 2 * tl.ovarian_suppression.size() +
              3 * tl.glucocorticoids.size());
  const CourseDates& dates = tl.course_dates;
  for (Date d : {start, dates.baseline_dxa_due.AddDays(1), dates.btm_baseline.end.AddDays(1),
                 dates.btm_follow_up_due, dates.btm_follow_up.end.AddDays(1)}) {
    out.push_back(d);
  }
  if (course.end) out.push_back(course.end->AddDays(1));
  // Every DXA session: the follow-up due dates (standard and high risk) after
  // it and the days after their escalation dates, which the Timeline computed
  // with the sessions known from its date on (of which it is the latest).
  for (size_t k = 0; k < tl.dxa_session_dates.size(); ++k) {
    const DxaSessions& known = tl.dxa_sessions[k + 1];
    for (size_t risk = 0; risk < 2; ++risk) {
      out.push_back(known.follow_up_due[risk]);
      out.push_back(known.follow_up_escalation[risk].AddDays(1));
    }
  }
  for (const MedicationUse* use : tl.denosumab) {
    if (!use->IsFinished()) continue;
    const Date due = use->end->AddMonths(r.denosumabIntervalMonths);
    out.push_back(due.AddWeeks(r.denosumabGraceWeeks).AddDays(1));
    out.push_back(due.AddWeeks(r.denosumabEscalationWeeks).AddDays(1));
    out.push_back(use->end->AddMonths(r.denosumabCoverMonths).AddDays(1));
  }
  for (const MedicationUse* use : tl.bisphosphonates) {
    if (use->IsFinished() && IsZoledronicAcid(*use)) {
      out.push_back(use->end->AddMonths(r.zoledronicAcidCoverMonths).AddDays(1));
    }
  }
  for (const auto* uses :
       {&tl.ovarian_suppression, &tl.bisphosphonates, &tl.denosumab, &tl.glucocorticoids}) {
    AddUseEnds(*uses, out);
  }
  for (const Course& gc : tl.glucocorticoid_courses) {
    out.push_back(gc.start.AddDays(r.glucocorticoidCourseDays + 1));
  }
  if (tl.record->demographics.birth_date) {
    // Birthday(birth, years), from the birth date's civil date the Timeline keeps.
    out.push_back(tl.birth_civil.AddMonths(12 * r.premenopausalAgeYears).ToDate());
    out.push_back(tl.birth_civil.AddMonths(12 * (r.riskAgeYears + 1)).ToDate());
  }
  SortUnique(out);
  return out;
}

std::vector<Date> DataPoints(const Timeline& tl) {
  std::vector<Date> out;
  out.reserve(tl.dxa.size() + tl.resorption.size() + tl.vitamin_d.size() + tl.bmi.size() +
              tl.ovarian_suppression.size() + tl.bisphosphonates.size() + tl.denosumab.size() +
              tl.glucocorticoids.size() + tl.risk_factors.size());
  for (const auto* facts : {&tl.dxa, &tl.resorption, &tl.vitamin_d, &tl.bmi}) {
    for (const Fact* f : *facts) out.push_back(f->effective);
  }
  for (const auto* uses :
       {&tl.ovarian_suppression, &tl.bisphosphonates, &tl.denosumab, &tl.glucocorticoids}) {
    for (const MedicationUse* use : *uses) out.push_back(use->start);
  }
  for (const RiskFactorFact* rf : tl.risk_factors) out.push_back(rf->date);
  SortUnique(out);
  return out;
}

}  // namespace bonewatch::rules::internal
