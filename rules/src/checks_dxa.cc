// baseline-dxa-missing and dxa-follow-up-due (spec §3): the scheduling rules,
// which count every DXA session, with or without values.
#include "checks.h"
#include "text.h"

namespace bonewatch::rules::internal {

void CheckDxaScheduling(const State& s, RuleResults& out) {
  if (!s.baseline) {
    const Date due = s.tl->course_dates.baseline_dxa_due;
    out[kBaselineDxaMissing] = Hold{s.course->start,
                                    s.t > due ? Priority::kHigh : Priority::kMedium,
                                    CourseSources(*s.course),
                                    {}};
    return;
  }
  const Date due = s.DxaFollowUpDue();
  if (s.t < due) return;
  const bool overdue = s.t > s.DxaFollowUpEscalation();
  TextArgs text;
  text.date = s.latest->date;
  text.months = s.DxaIntervalMonths();
  text.high_risk = s.high_risk;
  out[kDxaFollowUpDue] =
      Hold{due, overdue ? Priority::kHigh : Priority::kMedium, SourcesOf(s.latest->members), text};
}

std::string DxaSchedulingText(RuleIndex rule, const TextArgs& args, const Timeline& tl) {
  if (rule == kBaselineDxaMissing) {
    const Date start = tl.course->start;
    return Concat({"No DXA since ", tl.course_dates.baseline_lookback.ToString(),
                   " for the aromatase inhibitor course started ", start.ToString(),
                   ": arrange a baseline DXA (due by ", tl.course_dates.baseline_dxa_due.ToString(),
                   ")"});
  }
  const Date due = args.date.AddMonths(args.months);
  return Concat({"DXA follow-up due ", due.ToString(), " (last DXA ", args.date.ToString(), ", ",
                 std::to_string(args.months), "-month interval",
                 args.high_risk ? " for high risk" : "", "): arrange a DXA scan"});
}

}  // namespace bonewatch::rules::internal
