// Change points: the dates on which a rule or a plan activity can flip.
//
// Data points are the dates of the patient's own facts (observations, risk
// factors, medication starts and ends). Time-derived points are dates that
// follow from them by the spec's windows and intervals (start + 3 months, a
// DXA due date, a denosumab grace period ending, a birthday, ...). Between
// two consecutive change points every rule's result is constant, so the
// sweep evaluates only these dates.
#pragma once

#include <vector>

#include "timeline.h"

namespace bonewatch::rules::internal {

// REQUIRES: tl.course is set. Sorted, unique; may lie outside the course.
std::vector<Date> TimeDerivedPoints(const Timeline& tl);
std::vector<Date> DataPoints(const Timeline& tl);

}  // namespace bonewatch::rules::internal
