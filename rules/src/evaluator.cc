// Evaluate: scope and disposition, the episode sweep, the plan, and the next
// re-evaluation date.
#include "bonewatch/rules/evaluator.h"

#include <algorithm>

#include "change_points.h"
#include "checks.h"
#include "episodes.h"
#include "next_evaluation.h"
#include "plan.h"

namespace bonewatch::rules {

Evaluation Evaluate(const PatientRecord& record, Date now, const RuleSet& rules) {
  Evaluation ev;
  ev.patient_id = record.patient_id;
  ev.as_of = now;
  internal::Timeline tl = internal::BuildTimeline(record, now, rules);
  if (!tl.course) {
    ev.disposition =
        record.ai_medication_retracted ? Disposition::kRetracted : Disposition::kOutOfScope;
    return ev;
  }
  const bool ended = tl.course->end && *tl.course->end < now;
  // Spec §3 (v1.1): a course that has ended is evaluated at now = its end, so
  // that facts dated after the end (a DXA that would re-date the last
  // session) change neither its episodes nor its plan. The course itself is
  // the same: every use of it starts on or before its end, and a use starting
  // later within the course gap would have continued it.
  if (ended) tl = internal::BuildTimeline(record, *tl.course->end, rules);
  const internal::Course& course = *tl.course;
  const Date limit = ended ? *course.end : now;
  ev.disposition = ended ? Disposition::kCompleted : Disposition::kActive;

  ev.course = CourseSummary{course.start, ended ? course.end : std::nullopt,
                            internal::SortedUniqueSources(internal::CourseSources(course))};

  const std::vector<Date> time_derived = internal::TimeDerivedPoints(tl);
  const std::vector<Date> data = internal::DataPoints(tl);
  std::vector<Date> points;
  points.reserve(time_derived.size() + data.size() + 2);
  points.insert(points.end(), time_derived.begin(), time_derived.end());
  points.insert(points.end(), data.begin(), data.end());
  points.push_back(course.start);
  points.push_back(limit);
  std::erase_if(points, [&](Date d) { return d < course.start || d > limit; });
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());

  internal::SweepResult sweep = internal::SweepEpisodes(tl, points, ended);
  ev.findings = std::move(sweep.findings);
  internal::PlanDraft plan = internal::BuildPlanDraft(sweep.last_state, sweep.last_results);
  if (ended) internal::FinishPlan(plan);
  ev.plan = internal::RenderPlan(plan, rules);
  if (!ended) {
    ev.next_evaluation = internal::NextEvaluation(tl, time_derived, sweep.last_results, plan);
  }
  return ev;
}

}  // namespace bonewatch::rules
