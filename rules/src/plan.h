// Plan: the CarePlan activities of spec §4, as of one date (the evaluation
// date, or the course end when the course has ended).
//
// A plan is built in two steps: BuildPlanDraft decides each activity (status,
// dates, outcome), RenderPlan writes its texts. NextEvaluation builds a plan
// at every future change point and compares it with the plan at the
// evaluation date; it compares drafts, so that texts are written only for the
// plan an Evaluation keeps.
#pragma once

#include <optional>
#include <vector>

#include "bonewatch/rules/evaluation.h"
#include "checks.h"
#include "small_list.h"

namespace bonewatch::rules::internal {

// Indices into kActivityKeys.
enum ActivityIndex : size_t {
  kBaselineDxaActivity,
  kBtmBaselineActivity,
  kBtm3MonthActivity,
  kDxaFollowUpActivity,
  kCalciumVitaminDActivity,
  kBoneDirectedTherapyActivity,
  kDenosumabNextDoseActivity,
  kActivityCount,
};
static_assert(std::size(kActivityKeys) == kActivityCount);

// An activity's scheduledString; each value renders a different text (or
// none), which depends on nothing but the rule set.
enum class ScheduledText { kNone, kAfterBaselineDxa, kAsSoonAsPossible, kOngoing };

// One activity before its texts are written. Its key and description are a
// function of `activity` and the rule set, and its scheduled text of `text`
// and the rule set, so within one evaluation equal drafts render equal
// activities, and drafts that differ in any field other than `outcome`
// render different ones.
struct ActivityDraft {
  ActivityIndex activity = kBaselineDxaActivity;
  ActivityStatus status = ActivityStatus::kNotStarted;
  std::optional<Date> scheduled_start;
  std::optional<Date> scheduled_end;
  ScheduledText text = ScheduledText::kNone;
  SourceList outcome;  // points into the PatientRecord; sorted by value, unique
  // The course has ended (FinishPlan): denosumab-next-dose's description
  // warns against stopping denosumab.
  bool course_completed = false;
};

// In kActivityKeys order; absent activities are omitted.
using PlanDraft = SmallList<ActivityDraft, kActivityCount>;

PlanDraft BuildPlanDraft(const State& s, const RuleResults& results);
std::vector<PlanActivity> RenderPlan(const PlanDraft& draft, const RuleSet& rules);

// The final statuses of a completed CarePlan (spec §3 "Course end", v1.1),
// applied to the plan as of the course end: completed and cancelled stay;
// in-progress becomes completed; not-started and scheduled become cancelled,
// except denosumab-next-dose, which stays scheduled with its date and warns
// against stopping denosumab without a plan.
void FinishPlan(PlanDraft& draft);

// RenderPlan(BuildPlanDraft(s, results), rules).
std::vector<PlanActivity> BuildPlan(const State& s, const RuleResults& results);

}  // namespace bonewatch::rules::internal
