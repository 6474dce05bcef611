// Evaluate: scope and disposition, the episode sweep, the plan, and the next
// re-evaluation date.
#include "bonewatch/rules/evaluator.h"

#include <algorithm>

#include "change_points.h"
#include "episodes.h"
#include "plan.h"

namespace bonewatch::rules {
namespace {

using internal::RuleResults;
using internal::State;
using internal::Timeline;

// What an evaluation would show at one date with no new data: each rule's
// result and the plan. Two dates with equal signatures give equal output.
std::string Signature(const RuleResults& results, std::vector<PlanActivity> plan,
                      const Timeline& tl) {
  Evaluation e;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i]) continue;
    Finding f;
    f.rule = std::string(kRuleCodes[i]);
    // The formula's identity at that date (antiresorptive-indicated's is the
    // run's first point, which only a flip can change).
    if (i != internal::kAntiresorptiveIndicated) f.episode_start = results[i]->episode_start;
    f.priority = results[i]->priority;
    for (const SourceRef* source : results[i]->evidence) f.evidence.push_back(*source);
    f.text = internal::FindingText(static_cast<internal::RuleIndex>(i), *results[i], tl);
    e.findings.push_back(std::move(f));
  }
  e.plan = std::move(plan);
  return e.ToCanonicalString();
}

bool SamePlan(const std::vector<PlanActivity>& a, const std::vector<PlanActivity>& b) {
  return std::equal(
      a.begin(), a.end(), b.begin(), b.end(), [](const PlanActivity& x, const PlanActivity& y) {
        return x.key == y.key && x.status == y.status && x.scheduled_start == y.scheduled_start &&
               x.scheduled_end == y.scheduled_end && x.scheduled_text == y.scheduled_text &&
               x.description == y.description && x.outcome == y.outcome;
      });
}

// Member-wise equality of everything Signature() renders: when it holds, the
// signatures are equal (without building them). The converse need not hold,
// so a difference is confirmed on the signatures. Sentences are compared by
// what they name, and rendered only when that differs.
bool SameOutcome(const RuleResults& a, const std::vector<PlanActivity>& a_plan,
                 const RuleResults& b, const std::vector<PlanActivity>& b_plan,
                 const Timeline& tl) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].has_value() != b[i].has_value()) return false;
    if (!a[i]) continue;
    if (i != internal::kAntiresorptiveIndicated && a[i]->episode_start != b[i]->episode_start) {
      return false;
    }
    if (a[i]->priority != b[i]->priority ||
        !internal::SameSources(a[i]->evidence, b[i]->evidence)) {
      return false;
    }
  }
  if (!SamePlan(a_plan, b_plan)) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i] || a[i]->text == b[i]->text) continue;
    const auto rule = static_cast<internal::RuleIndex>(i);
    if (internal::FindingText(rule, *a[i], tl) != internal::FindingText(rule, *b[i], tl)) {
      return false;
    }
  }
  return true;
}

// The earliest time-derived change point after `now` at which the result
// differs from the result at `now` (the course ending included).
std::optional<Date> NextEvaluation(const Timeline& tl, const std::vector<Date>& time_derived,
                                   const RuleResults& now_results,
                                   const std::vector<PlanActivity>& now_plan) {
  const internal::Course& course = *tl.course;
  std::optional<std::string> now_signature;
  for (Date c : time_derived) {
    if (c <= tl.now) continue;
    if (course.end && c > *course.end) return course.end->AddDays(1);
    State s = internal::BuildState(tl, c);
    RuleResults results = internal::EvaluateRulesAt(s);
    std::vector<PlanActivity> plan = internal::BuildPlan(s, results);
    if (SameOutcome(results, plan, now_results, now_plan, tl)) continue;
    if (!now_signature) now_signature = Signature(now_results, now_plan, tl);
    if (Signature(results, std::move(plan), tl) != *now_signature) return c;
  }
  if (course.end && *course.end >= tl.now) return course.end->AddDays(1);
  return std::nullopt;
}

}  // namespace

Evaluation Evaluate(const PatientRecord& record, Date now, const RuleSet& rules) {
  Evaluation ev;
  ev.patient_id = record.patient_id;
  ev.as_of = now;
  const Timeline tl = internal::BuildTimeline(record, now, rules);
  if (!tl.course) {
    ev.disposition =
        record.ai_medication_retracted ? Disposition::kRetracted : Disposition::kOutOfScope;
    return ev;
  }
  const internal::Course& course = *tl.course;
  const bool ended = course.end && *course.end < now;
  const Date limit = ended ? *course.end : now;
  ev.disposition = ended ? Disposition::kCompleted : Disposition::kActive;

  CourseSummary summary{course.start, ended ? course.end : std::nullopt, {}};
  for (const MedicationUse* use : course.uses) summary.medications.push_back(use->source);
  std::sort(summary.medications.begin(), summary.medications.end());
  summary.medications.erase(std::unique(summary.medications.begin(), summary.medications.end()),
                            summary.medications.end());
  ev.course = std::move(summary);

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
  ev.plan = internal::BuildPlan(sweep.last_state, sweep.last_results);
  if (!ended) {
    ev.next_evaluation = NextEvaluation(tl, time_derived, sweep.last_results, ev.plan);
  }
  return ev;
}

}  // namespace bonewatch::rules
