// baseline-dxa-missing and dxa-follow-up-due (spec §3): the scheduling rules,
// which count every DXA session, with or without values.
#include "checks.h"

namespace bonewatch::rules::internal {

void CheckDxaScheduling(const State& s, RuleResults& out) {
  const RuleSet& r = *s.tl->rules;
  const Date start = s.course->start;
  if (!s.baseline) {
    const Date due = start.AddMonths(r.baselineDxaDueMonths);
    out[kBaselineDxaMissing] =
        Hold{start, s.t > due ? Priority::kHigh : Priority::kMedium, CourseSources(*s.course),
             "No DXA since " + start.AddMonths(-r.baselineDxaLookbackMonths).ToString() +
                 " for the aromatase inhibitor course started " + start.ToString() +
                 ": arrange a baseline DXA (due by " + due.ToString() + ")"};
    return;
  }
  const int interval = s.DxaIntervalMonths();
  const Date due = s.latest->date.AddMonths(interval);
  if (s.t < due) return;
  const bool overdue = s.t > due.AddMonths(r.dxaOverdueEscalationMonths);
  out[kDxaFollowUpDue] =
      Hold{due, overdue ? Priority::kHigh : Priority::kMedium, SourcesOf(s.latest->members),
           "DXA follow-up due " + due.ToString() + " (last DXA " + s.latest->date.ToString() +
               ", " + std::to_string(interval) + "-month interval" +
               (s.high_risk ? " for high risk" : "") + "): arrange a DXA scan"};
}

}  // namespace bonewatch::rules::internal
