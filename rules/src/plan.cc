#include "plan.h"

#include <algorithm>

namespace bonewatch::rules::internal {
namespace {

std::vector<SourceRef> SortedUnique(std::vector<SourceRef> refs) {
  std::sort(refs.begin(), refs.end());
  refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
  return refs;
}

PlanActivity Make(std::string_view key, std::string description) {
  PlanActivity a;
  a.key = std::string(key);
  a.description = std::move(description);
  return a;
}

PlanActivity BaselineDxa(const State& s) {
  PlanActivity a = Make("baseline-dxa",
                        "Baseline DXA (lumbar spine and hip) at the start of "
                        "aromatase inhibitor therapy");
  a.scheduled_start = s.tl->course_dates.baseline_lookback;
  a.scheduled_end = s.tl->course_dates.baseline_dxa_due;
  if (s.baseline) {
    a.status = ActivityStatus::kCompleted;
    for (const Fact* f : s.baseline->members) {
      if (f->effective >= *a.scheduled_start) a.outcome.push_back(f->source);
    }
  }
  return a;
}

// A resorption-marker activity: completed by a ctx/ntx sample in `window`,
// cancelled once `window` has closed unmet.
PlanActivity MarkerActivity(const State& s, std::string_view key, std::string description,
                            DateWindow scheduled, DateWindow window) {
  PlanActivity a = Make(key, std::move(description));
  a.scheduled_start = scheduled.start;
  a.scheduled_end = scheduled.end;
  for (const Fact* f : FactsUpTo(s.tl->resorption, s.t)) {
    if (window.Contains(f->effective)) a.outcome.push_back(f->source);
  }
  if (!a.outcome.empty()) {
    a.status = ActivityStatus::kCompleted;
  } else if (s.t > window.end) {
    a.status = ActivityStatus::kCancelled;
  }
  return a;
}

PlanActivity DxaFollowUp(const State& s) {
  const RuleSet& r = *s.tl->rules;
  PlanActivity a = Make("dxa-follow-up",
                        "Follow-up DXA every " + std::to_string(r.dxaIntervalMonths) + " months (" +
                            std::to_string(r.dxaIntervalHighRiskMonths) + " months at high risk)");
  if (s.baseline) {
    a.status = ActivityStatus::kScheduled;
    a.scheduled_start = s.DxaFollowUpDue();
  } else {
    a.scheduled_text = std::to_string(r.dxaIntervalHighRiskMonths) + "-" +
                       std::to_string(r.dxaIntervalMonths) + " months after the baseline DXA";
  }
  return a;
}

PlanActivity CalciumVitaminD(const State& s) {
  PlanActivity a = Make("calcium-vitamin-d",
                        "Calcium 1000-1200 mg/day and vitamin D 800-1000 IU/day (diet and "
                        "supplements)");
  a.status = ActivityStatus::kInProgress;
  a.scheduled_start = s.course->start;
  a.scheduled_end = s.course->end;
  return a;
}

std::optional<PlanActivity> BoneDirectedTherapy(const State& s, const RuleResults& results) {
  PlanActivity a = Make("bone-directed-therapy",
                        "Bone-directed therapy (bisphosphonate or denosumab) to prevent aromatase "
                        "inhibitor bone loss");
  if (results[kAntiresorptiveIndicated]) {
    a.status = ActivityStatus::kNotStarted;
    a.scheduled_text = "As soon as possible (indicated)";
    return a;
  }
  if (!s.on_therapy) return std::nullopt;
  a.status = ActivityStatus::kInProgress;
  for (const SourceRef* source : s.therapy_sources) a.outcome.push_back(*source);
  a.scheduled_text = "Ongoing";
  return a;
}

std::optional<PlanActivity> DenosumabNextDose(const State& s) {
  if (s.bisphosphonate_after_denosumab) return std::nullopt;
  std::optional<Date> last = s.last_denosumab_dose;
  if (s.open_denosumab_use && (!last || s.open_denosumab_use->start > *last)) {
    last = s.open_denosumab_use->start;
  }
  if (!last) return std::nullopt;
  PlanActivity a =
      Make("denosumab-next-dose", "Denosumab 60 mg every " +
                                      std::to_string(s.tl->rules->denosumabIntervalMonths) +
                                      " months; do not stop without follow-on therapy");
  a.status = ActivityStatus::kScheduled;
  a.scheduled_start = last->AddMonths(s.tl->rules->denosumabIntervalMonths);
  return a;
}

}  // namespace

std::vector<PlanActivity> BuildPlan(const State& s, const RuleResults& results) {
  const CourseDates& dates = s.tl->course_dates;
  std::vector<PlanActivity> plan;
  plan.reserve(std::size(kActivityKeys));
  plan.push_back(BaselineDxa(s));
  plan.push_back(MarkerActivity(
      s, "btm-baseline", "Baseline bone turnover marker (serum CTX) before the course starts",
      dates.btm_baseline, dates.btm_baseline));
  plan.push_back(MarkerActivity(
      s, "btm-3-month", "Bone turnover marker (serum CTX) 3 months after the course start",
      {dates.btm_follow_up.start, dates.btm_follow_up_scheduled_end}, dates.btm_follow_up));
  plan.push_back(DxaFollowUp(s));
  plan.push_back(CalciumVitaminD(s));
  if (auto a = BoneDirectedTherapy(s, results)) plan.push_back(std::move(*a));
  if (auto a = DenosumabNextDose(s)) plan.push_back(std::move(*a));
  for (PlanActivity& a : plan) a.outcome = SortedUnique(std::move(a.outcome));
  return plan;
}

}  // namespace bonewatch::rules::internal
