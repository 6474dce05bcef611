// Episodes: the sweep over change points that turns per-date rule results
// into Findings (spec §3 "Episodes"; engine interpretation 2).
//
// At each change point t of the monitored course the rules are evaluated as
// of t. An episode is a maximal run of points where a rule holds. Its
// identity (episode_start) is the rule's own formula at the run's first
// point, clamped to the course start and to the end of the rule's previous
// episode (so identities are unique); for antiresorptive-indicated it is the
// run's first point. When the formula gives a different identity at a later
// point of the run (a session re-dated by a newer member, a DXA interval
// changing with high risk), the episode ends there and a new one begins, so
// an active finding's start is always the spec's formula at the evaluation
// date. episode_end is the first point where the rule no longer holds (or
// its identity changes), or the course end when the course has ended.
#pragma once

#include <vector>

#include "bonewatch/rules/evaluation.h"
#include "checks.h"

namespace bonewatch::rules::internal {

struct SweepResult {
  std::vector<Finding> findings;  // kRuleCodes order, then episode start
  State last_state;               // the state at the last point
  RuleResults last_results;
};

// REQUIRES: tl.course is set; `points` sorted, unique, non-empty, all within
// [course start, limit], ending with limit. `course_ended`: the course ended
// before the evaluation date, so episodes still open at `limit` end there.
SweepResult SweepEpisodes(const Timeline& tl, const std::vector<Date>& points, bool course_ended);

}  // namespace bonewatch::rules::internal
