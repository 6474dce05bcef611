// Plan: the CarePlan activities of spec §4, as of one date (the evaluation
// date, or the course end when the course has ended).
#pragma once

#include <vector>

#include "bonewatch/rules/evaluation.h"
#include "checks.h"

namespace bonewatch::rules::internal {

// In kActivityKeys order; absent activities are omitted.
std::vector<PlanActivity> BuildPlan(const State& s, const RuleResults& results);

}  // namespace bonewatch::rules::internal
