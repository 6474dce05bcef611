#include "episodes.h"

#include <algorithm>

namespace bonewatch::rules::internal {
namespace {

struct OpenEpisode {
  Finding finding;
  Hold last;
};

// The finding takes its priority, evidence and sentence from the last point
// of its episode. Only here is the sentence rendered.
void Finish(Finding& f, const Hold& last, RuleIndex rule, const Timeline& tl) {
  f.priority = last.priority;
  f.evidence = SortedUniqueSources(last.evidence);
  f.text = FindingText(rule, last, tl);
}

}  // namespace

SweepResult SweepEpisodes(const Timeline& tl, const std::vector<Date>& points, bool course_ended) {
  const Date course_start = tl.course->start;
  std::array<std::vector<Finding>, kRuleCount> closed;
  std::array<std::optional<OpenEpisode>, kRuleCount> open;
  SweepResult result;
  for (size_t p = 0; p < points.size(); ++p) {
    const Date t = points[p];
    const bool last_point = p + 1 == points.size();
    State state = BuildState(tl, t);
    RuleResults results = EvaluateRulesAt(state);
    for (size_t i = 0; i < kRuleCount; ++i) {
      // The spec's episode-start formula at t, never earlier than the course start.
      std::optional<Date> formula;
      if (results[i]) {
        const Date start = i == kAntiresorptiveIndicated && open[i] ? open[i]->finding.episode_start
                           : i == kAntiresorptiveIndicated          ? t
                                                                    : results[i]->episode_start;
        formula = std::max(start, course_start);
      }
      // The episode's identity is the formula's date, also when that is
      // earlier than a previous episode's end (a DXA due date moving earlier
      // when high risk appears). Identifiers stay unique: a date that an
      // earlier episode of the rule already had (the formula came back to it)
      // moves to the end of the latest one.
      const auto unique = [&closed, i, &formula]() -> std::optional<Date> {
        if (!formula || closed[i].empty()) return formula;
        const bool used = std::any_of(closed[i].begin(), closed[i].end(), [&](const Finding& f) {
          return f.episode_start == *formula;
        });
        return used ? std::max(*formula, *closed[i].back().episode_end) : *formula;
      };
      std::optional<Date> identity = unique();
      // An episode ends where the rule stops holding, or where its identity
      // (the spec's episode-start formula) changes, e.g. when a session grows
      // and is re-dated by its newer member.
      if (open[i] && identity != open[i]->finding.episode_start) {
        Finding& f = open[i]->finding;
        f.status = FindingStatus::kInactive;
        f.episode_end = t;
        Finish(f, open[i]->last, static_cast<RuleIndex>(i), tl);
        closed[i].push_back(std::move(f));
        open[i].reset();
        identity = unique();  // the episode just closed counts too
      }
      if (!identity) continue;
      if (!open[i]) {
        Finding f;
        f.rule = std::string(kRuleCodes[i]);
        f.episode_start = *identity;
        open[i] = OpenEpisode{std::move(f), {}};
      }
      // The last point's results are kept (last_results); earlier ones are not.
      if (last_point) {
        open[i]->last = *results[i];
      } else {
        open[i]->last = std::move(*results[i]);
      }
    }
    if (last_point) {
      result.last_state = std::move(state);
      result.last_results = std::move(results);
    }
  }
  for (size_t i = 0; i < kRuleCount; ++i) {
    result.findings.insert(result.findings.end(), std::make_move_iterator(closed[i].begin()),
                           std::make_move_iterator(closed[i].end()));
    if (!open[i]) continue;
    Finding& f = open[i]->finding;
    if (course_ended) {
      f.status = FindingStatus::kInactive;
      f.episode_end = points.back();
    }
    Finish(f, open[i]->last, static_cast<RuleIndex>(i), tl);
    result.findings.push_back(std::move(f));
  }
  return result;
}

}  // namespace bonewatch::rules::internal
