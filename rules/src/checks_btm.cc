// btm-3-month-due and btm-rise (spec §3): bone turnover markers around the
// course start.
#include "checks.h"
#include "text.h"

namespace bonewatch::rules::internal {
namespace {

std::string MarkerText(const Fact& f) {
  const bool ctx = f.kind == Concept::kCtx;
  return FormatNumber(*f.value) + (ctx ? " ng/L" : " nmol BCE/mmol creatinine") + " (" +
         f.effective.ToString() + ")";
}

}  // namespace

void CheckBtm(const State& s, RuleResults& out) {
  const RuleSet& r = *s.tl->rules;
  const Date start = s.course->start;
  const Date window_start = start.AddMonths(r.btmFollowUpWindowStartMonths);
  const Date due = start.AddMonths(r.btmFollowUpDueMonths);
  const Date window_end = start.AddMonths(r.btmFollowUpWindowEndMonths);
  if (DateWindow{due, window_end}.Contains(s.t)) {
    bool sampled = false;
    for (const Fact* f : FactsUpTo(s.tl->resorption, s.t)) {
      if (DateWindow{window_start, window_end}.Contains(f->effective)) sampled = true;
    }
    if (!sampled) {
      out[kBtm3MonthDue] =
          Hold{due, Priority::kMedium, CourseSources(*s.course),
               "3-month bone turnover marker (CTX or NTX) due since " + due.ToString() +
                   " for the aromatase inhibitor course started " + start.ToString() +
                   ": take a sample by " + window_end.ToString()};
    }
  }
  if (s.btm_rise) {
    const BtmRise& rise = *s.btm_rise;
    const char* name = rise.baseline->kind == Concept::kCtx ? "CTX" : "NTX";
    out[kBtmRise] = Hold{rise.follow_up->effective,
                         Priority::kMedium,
                         {rise.baseline->source, rise.follow_up->source},
                         std::string(name) + " rose " + FormatPercent(rise.percent) + "% from " +
                             MarkerText(*rise.baseline) + " to " + MarkerText(*rise.follow_up) +
                             ": increased bone resorption; review bone-directed therapy"};
  }
}

}  // namespace bonewatch::rules::internal
