#include "next_evaluation.h"

#include <algorithm>
#include <string>

#include "plan.h"

namespace bonewatch::rules::internal {
namespace {

// What an evaluation would show at one date with no new data: each rule's
// result and the plan. The result at a change point differs from the result
// at `now` exactly when the two signatures differ.
std::string Signature(const RuleResults& results, std::vector<PlanActivity> plan,
                      const Timeline& tl) {
  Evaluation e;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i]) continue;
    Finding f;
    f.rule = std::string(kRuleCodes[i]);
    // No episode start: with no new data, an episode that holds at both
    // dates keeps its identity (spec §3, v1.1), so only a flip changes it.
    f.priority = results[i]->priority;
    for (const SourceRef* source : results[i]->evidence) f.evidence.push_back(*source);
    f.text = FindingText(static_cast<RuleIndex>(i), *results[i], tl);
    e.findings.push_back(std::move(f));
  }
  e.plan = std::move(plan);
  return e.ToCanonicalString();
}

// Comparing two signatures without rendering them. Signature() renders, line
// by line and field by field, in this order: for each rule that holds, its
// code, priority, evidence and sentence (no episode start, see Signature); then for each plan
// activity its key, status, scheduled start and end, outcome, scheduled text
// and description. The walk below compares the fields in that order and stops
// at the first one that differs; everything before it renders identically.
// Each field except the evidence and outcome lists is one of:
//   - a code from a fixed set (rule codes, PL/PM/PH, activity keys and
//     statuses) in which no code is a prefix of another;
//   - a date (no spaces) or "-", followed by a space;
//   - text of ours with no newline or double quote (sentences, scheduled
//     texts, descriptions), followed by a newline or a double quote;
// and a missing finding or activity line is replaced by a line that starts
// differently ("finding <other code>", "activity", "next-evaluation").
// So a difference in such a field makes the signatures differ. The evidence
// and outcome lists render SourceRef strings from the record, which may hold
// any character, so a difference there is left to the signatures.
enum class Verdict { kSame, kDifferent, kUndecided };

Verdict CompareFindings(const RuleResults& a, const RuleResults& b, const Timeline& tl) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].has_value() != b[i].has_value()) return Verdict::kDifferent;
    if (!a[i]) continue;
    if (a[i]->priority != b[i]->priority) return Verdict::kDifferent;
    if (!SameSources(a[i]->evidence, b[i]->evidence)) return Verdict::kUndecided;
    // Equal TextArgs give equal sentences; render them only when they differ.
    const auto rule = static_cast<RuleIndex>(i);
    if (!(a[i]->text == b[i]->text) &&
        FindingText(rule, *a[i], tl) != FindingText(rule, *b[i], tl)) {
      return Verdict::kDifferent;
    }
  }
  return Verdict::kSame;
}

// Compares drafts in the order RenderPlan's activities render (see
// ActivityDraft): the key, status and dates; the outcome; then the scheduled
// text and the description, which differ exactly when `text` or the activity
// (already compared) do.
Verdict ComparePlans(const PlanDraft& a, const PlanDraft& b) {
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    const ActivityDraft& x = a.begin()[i];
    const ActivityDraft& y = b.begin()[i];
    if (x.activity != y.activity || x.status != y.status ||
        x.scheduled_start != y.scheduled_start || x.scheduled_end != y.scheduled_end) {
      return Verdict::kDifferent;
    }
    if (!SameSources(x.outcome, y.outcome)) return Verdict::kUndecided;
    if (x.text != y.text) return Verdict::kDifferent;
  }
  return a.size() == b.size() ? Verdict::kSame : Verdict::kDifferent;
}

}  // namespace

std::optional<Date> NextEvaluation(const Timeline& tl, const std::vector<Date>& time_derived,
                                   const RuleResults& now_results, const PlanDraft& now_plan) {
  const Course& course = *tl.course;
  std::optional<std::string> now_signature;
  for (Date c : time_derived) {
    if (c <= tl.now) continue;
    if (course.end && c > *course.end) return course.end->AddDays(1);
    const State s = BuildState(tl, c);
    const RuleResults results = EvaluateRulesAt(s);
    Verdict verdict = CompareFindings(results, now_results, tl);
    if (verdict == Verdict::kDifferent) return c;
    const PlanDraft plan = BuildPlanDraft(s, results);
    if (verdict == Verdict::kSame) verdict = ComparePlans(plan, now_plan);
    if (verdict == Verdict::kSame) continue;
    if (verdict == Verdict::kDifferent) return c;
    if (!now_signature) {
      now_signature = Signature(now_results, RenderPlan(now_plan, *tl.rules), tl);
    }
    if (Signature(results, RenderPlan(plan, *tl.rules), tl) != *now_signature) return c;
  }
  if (course.end && *course.end >= tl.now) return course.end->AddDays(1);
  return std::nullopt;
}

}  // namespace bonewatch::rules::internal
