#include "plan.h"

#include <algorithm>
#include <string>

#include "text.h"

namespace bonewatch::rules::internal {
namespace {

// Sorts `refs` by value and drops repeated values (the outcome's order).
void SortUniqueByValue(SourceList& refs) {
  std::sort(refs.begin(), refs.end(),
            [](const SourceRef* a, const SourceRef* b) { return *a < *b; });
  const SourceRef** end = std::unique(
      refs.begin(), refs.end(), [](const SourceRef* a, const SourceRef* b) { return *a == *b; });
  refs.Truncate(static_cast<size_t>(end - refs.begin()));
}

ActivityDraft BaselineDxa(const State& s) {
  ActivityDraft a;
  a.activity = kBaselineDxaActivity;
  a.scheduled_start = s.tl->course_dates.baseline_lookback;
  a.scheduled_end = s.tl->course_dates.baseline_dxa_due;
  if (s.baseline) {
    a.status = ActivityStatus::kCompleted;
    for (const Fact* f : s.baseline->members) {
      if (f->effective >= *a.scheduled_start) a.outcome.push_back(&f->source);
    }
  }
  return a;
}

// A resorption-marker activity: completed by a ctx/ntx sample in `window`,
// cancelled once `window` has closed unmet.
ActivityDraft MarkerActivity(const State& s, ActivityIndex activity, DateWindow scheduled,
                             DateWindow window) {
  ActivityDraft a;
  a.activity = activity;
  a.scheduled_start = scheduled.start;
  a.scheduled_end = scheduled.end;
  for (const Fact* f : FactsUpTo(s.tl->resorption, s.t)) {
    if (window.Contains(f->effective)) a.outcome.push_back(&f->source);
  }
  if (!a.outcome.empty()) {
    a.status = ActivityStatus::kCompleted;
  } else if (s.t > window.end) {
    a.status = ActivityStatus::kCancelled;
  }
  return a;
}

ActivityDraft DxaFollowUp(const State& s) {
  ActivityDraft a;
  a.activity = kDxaFollowUpActivity;
  if (s.baseline) {
    a.status = ActivityStatus::kScheduled;
    a.scheduled_start = s.DxaFollowUpDue();
  } else {
    a.text = ScheduledText::kAfterBaselineDxa;
  }
  return a;
}

ActivityDraft CalciumVitaminD(const State& s) {
  ActivityDraft a;
  a.activity = kCalciumVitaminDActivity;
  a.status = ActivityStatus::kInProgress;
  a.scheduled_start = s.course->start;
  a.scheduled_end = s.course->end;
  return a;
}

std::optional<ActivityDraft> BoneDirectedTherapy(const State& s, const RuleResults& results) {
  ActivityDraft a;
  a.activity = kBoneDirectedTherapyActivity;
  if (results[kAntiresorptiveIndicated]) {
    a.status = ActivityStatus::kNotStarted;
    a.text = ScheduledText::kAsSoonAsPossible;
    return a;
  }
  if (!s.on_therapy) return std::nullopt;
  a.status = ActivityStatus::kInProgress;
  for (const SourceRef* source : s.therapy_sources) a.outcome.push_back(source);
  a.text = ScheduledText::kOngoing;
  return a;
}

std::optional<ActivityDraft> DenosumabNextDose(const State& s) {
  if (s.bisphosphonate_after_denosumab || !s.last_known_denosumab_dose) return std::nullopt;
  const Date last = *s.last_known_denosumab_dose;
  ActivityDraft a;
  a.activity = kDenosumabNextDoseActivity;
  a.status = ActivityStatus::kScheduled;
  a.scheduled_start = last.AddMonths(s.tl->rules->denosumabIntervalMonths);
  return a;
}

constexpr std::string_view kDenosumabStopWarning =
    "Do not stop denosumab without a plan: rebound bone loss and vertebral fractures (ECTS 2021)";

std::string Description(const ActivityDraft& draft, const RuleSet& r) {
  const ActivityIndex activity = draft.activity;
  switch (activity) {
    case kBaselineDxaActivity:
      return "Baseline DXA (lumbar spine and hip) at the start of aromatase inhibitor therapy";
    case kBtmBaselineActivity:
      return "Baseline bone turnover marker (serum CTX) before the course starts";
    case kBtm3MonthActivity:
      return "Bone turnover marker (serum CTX) 3 months after the course start";
    case kDxaFollowUpActivity:
      return Concat({"Follow-up DXA every ", std::to_string(r.dxaIntervalMonths), " months (",
                     std::to_string(r.dxaIntervalHighRiskMonths), " months at high risk)"});
    case kCalciumVitaminDActivity:
      return "Calcium 1000-1200 mg/day and vitamin D 800-1000 IU/day (diet and supplements)";
    case kBoneDirectedTherapyActivity:
      return "Bone-directed therapy (bisphosphonate or denosumab) to prevent aromatase "
             "inhibitor bone loss";
    case kDenosumabNextDoseActivity:
      return Concat({"Denosumab 60 mg every ", std::to_string(r.denosumabIntervalMonths),
                     " months; do not stop without follow-on therapy",
                     draft.course_completed ? ". " : "",
                     draft.course_completed ? kDenosumabStopWarning : ""});
    case kActivityCount:
      break;
  }
  return {};
}

std::string Text(ScheduledText text, const RuleSet& r) {
  switch (text) {
    case ScheduledText::kNone:
      return {};
    case ScheduledText::kAfterBaselineDxa:
      return Concat({std::to_string(r.dxaIntervalHighRiskMonths), "-",
                     std::to_string(r.dxaIntervalMonths), " months after the baseline DXA"});
    case ScheduledText::kAsSoonAsPossible:
      return "As soon as possible (indicated)";
    case ScheduledText::kOngoing:
      return "Ongoing";
  }
  return {};
}

}  // namespace

PlanDraft BuildPlanDraft(const State& s, const RuleResults& results) {
  const CourseDates& dates = s.tl->course_dates;
  PlanDraft plan;
  plan.push_back(BaselineDxa(s));
  plan.push_back(MarkerActivity(s, kBtmBaselineActivity, dates.btm_baseline, dates.btm_baseline));
  plan.push_back(MarkerActivity(s, kBtm3MonthActivity,
                                {dates.btm_follow_up.start, dates.btm_follow_up_scheduled_end},
                                dates.btm_follow_up));
  plan.push_back(DxaFollowUp(s));
  plan.push_back(CalciumVitaminD(s));
  if (auto a = BoneDirectedTherapy(s, results)) plan.push_back(std::move(*a));
  if (auto a = DenosumabNextDose(s)) plan.push_back(std::move(*a));
  for (ActivityDraft& a : plan) SortUniqueByValue(a.outcome);
  return plan;
}

std::vector<PlanActivity> RenderPlan(const PlanDraft& draft, const RuleSet& rules) {
  std::vector<PlanActivity> plan;
  plan.reserve(draft.size());
  for (const ActivityDraft& d : draft) {
    PlanActivity& a = plan.emplace_back();
    a.key = std::string(kActivityKeys[d.activity]);
    a.status = d.status;
    a.scheduled_start = d.scheduled_start;
    a.scheduled_end = d.scheduled_end;
    a.scheduled_text = Text(d.text, rules);
    a.description = Description(d, rules);
    a.outcome.reserve(d.outcome.size());
    for (const SourceRef* ref : d.outcome) a.outcome.push_back(*ref);
  }
  return plan;
}

void FinishPlan(PlanDraft& draft) {
  for (ActivityDraft& a : draft) {
    a.course_completed = true;
    switch (a.status) {
      case ActivityStatus::kCompleted:
      case ActivityStatus::kCancelled:
        break;
      case ActivityStatus::kInProgress:
        a.status = ActivityStatus::kCompleted;
        break;
      case ActivityStatus::kNotStarted:
      case ActivityStatus::kScheduled:
        if (a.activity != kDenosumabNextDoseActivity) a.status = ActivityStatus::kCancelled;
        break;
    }
  }
}

std::vector<PlanActivity> BuildPlan(const State& s, const RuleResults& results) {
  return RenderPlan(BuildPlanDraft(s, results), *s.tl->rules);
}

}  // namespace bonewatch::rules::internal
