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
      std::optional<OpenEpisode>& episode = open[i];
      const std::vector<Finding>& ended = closed[i];
      const bool holds = results[i].has_value();
      // The spec's episode-start formula at t, never earlier than the course start.
      Date formula;
      if (holds) {
        const Date start = i != kAntiresorptiveIndicated ? results[i]->episode_start
                           : episode                     ? episode->finding.episode_start
                                                         : t;
        formula = std::max(start, course_start);
      }
      // The episode's identity is the formula's date, also when that is
      // earlier than a previous episode's end (a DXA due date moving earlier
      // when high risk appears). Identifiers stay unique: a date that an
      // earlier episode of the rule already had (the formula came back to it)
      // moves to the end of the latest one. REQUIRES: holds.
      const auto unique = [&ended, formula]() -> Date {
        if (ended.empty()) return formula;
        const bool used = std::any_of(ended.begin(), ended.end(), [formula](const Finding& f) {
          return f.episode_start == formula;
        });
        return used ? std::max(formula, *ended.back().episode_end) : formula;
      };
      Date identity = holds ? unique() : Date();
      // An episode ends where the rule stops holding, or where its identity
      // (the spec's episode-start formula) changes, e.g. when a session grows
      // and is re-dated by its newer member.
      if (episode && (!holds || identity != episode->finding.episode_start)) {
        Finding& f = episode->finding;
        f.status = FindingStatus::kInactive;
        f.episode_end = t;
        Finish(f, episode->last, static_cast<RuleIndex>(i), tl);
        closed[i].push_back(std::move(f));
        episode.reset();
        if (holds) identity = unique();  // the episode just closed counts too
      }
      if (!holds) continue;
      if (!episode) {
        Finding f;
        f.rule = std::string(kRuleCodes[i]);
        f.episode_start = identity;
        episode = OpenEpisode{std::move(f), {}};
      }
      // The last point's results are kept (last_results); earlier ones are not.
      if (last_point) {
        episode->last = *results[i];
      } else {
        episode->last = std::move(*results[i]);
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
