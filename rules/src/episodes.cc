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

// The identity of an episode whose first point is t (spec §3 "Episodes",
// v1.1): the rule's formula at t, never earlier than the course start; for
// antiresorptive-indicated, t itself (the date the first criterion began to
// hold while off therapy: every fact date, therapy end and time-derived date
// is a point). A date that an earlier episode of the rule already had gives
// t instead. Every formula gives a date <= t, so t is never an earlier
// episode's start, and identifiers stay unique.
Date EpisodeStart(RuleIndex rule, const Hold& hold, Date t, Date course_start,
                  const std::vector<Finding>& ended) {
  if (rule == kAntiresorptiveIndicated) return t;
  const Date formula = std::max(hold.episode_start, course_start);
  const bool used = std::any_of(ended.begin(), ended.end(),
                                [formula](const Finding& f) { return f.episode_start == formula; });
  return used ? t : formula;
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
      const bool holds = results[i].has_value();
      // An episode ends only where its rule stops holding (spec §3, v1.1):
      // while it holds it keeps the identity of its first point.
      if (episode && !holds) {
        Finding& f = episode->finding;
        f.status = FindingStatus::kInactive;
        f.episode_end = t;
        Finish(f, episode->last, static_cast<RuleIndex>(i), tl);
        closed[i].push_back(std::move(f));
        episode.reset();
      }
      if (!holds) continue;
      if (!episode) {
        Finding f;
        f.rule = std::string(kRuleCodes[i]);
        f.episode_start =
            EpisodeStart(static_cast<RuleIndex>(i), *results[i], t, course_start, closed[i]);
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
