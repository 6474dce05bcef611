// Episodes: the sweep over change points that turns per-date rule results
// into Findings (spec §3 "Episodes"; engine interpretation 2).
//
// At each change point t of the monitored course the rules are evaluated as
// of t. An episode is a maximal run of points where a rule holds (spec v1.1:
// it keeps its identity while its rule holds). Its identity (episode_start)
// is the rule's own formula at the run's first point, never earlier than the
// course start; for antiresorptive-indicated it is the run's first point. A
// formula date that an earlier episode of the rule already had gives the
// run's first point instead (identities are unique). Later points of the run
// change the finding's priority, evidence and sentence, never its identity.
// episode_end is the first point where the rule no longer holds, or the
// course end when the course has ended.
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
