// NextEvaluation: the earliest date after `now` on which the Evaluation would
// change with no new data (Evaluation::next_evaluation).
#pragma once

#include <optional>
#include <vector>

#include "bonewatch/rules/evaluation.h"
#include "checks.h"
#include "plan.h"

namespace bonewatch::rules::internal {

// The earliest time-derived change point after tl.now at which the rule
// results or the plan differ from `now_results` and `now_plan` (the results
// and the plan draft at tl.now), or the day after the course end when that comes first.
// REQUIRES: tl.course is set; `time_derived` is TimeDerivedPoints(tl).
std::optional<Date> NextEvaluation(const Timeline& tl, const std::vector<Date>& time_derived,
                                   const RuleResults& now_results, const PlanDraft& now_plan);

}  // namespace bonewatch::rules::internal
