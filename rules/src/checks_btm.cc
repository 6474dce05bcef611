// btm-3-month-due and btm-rise (spec §3): bone turnover markers around the
// course start.
#include "checks.h"
#include "text.h"

namespace bonewatch::rules::internal {
namespace {

std::string MarkerText(const Fact& f) {
  const bool ctx = f.kind == Concept::kCtx;
  return Concat({FormatNumber(*f.value), ctx ? " ng/L" : " nmol BCE/mmol creatinine", " (",
                 f.effective.ToString(), ")"});
}

}  // namespace

void CheckBtm(const State& s, RuleResults& out) {
  const CourseDates& dates = s.tl->course_dates;
  const DateWindow& window = dates.btm_follow_up;
  const Date due = dates.btm_follow_up_due;
  if (DateWindow{due, window.end}.Contains(s.t)) {
    bool sampled = false;
    for (const Fact* f : FactsUpTo(s.tl->resorption, s.t)) {
      if (window.Contains(f->effective)) sampled = true;
    }
    if (!sampled) {
      out[kBtm3MonthDue] = Hold{due, Priority::kMedium, CourseSources(*s.course), {}};
    }
  }
  if (s.btm_rise) {
    const BtmRise& rise = *s.btm_rise;
    TextArgs text;
    text.fact = rise.baseline;
    text.other = rise.follow_up;
    text.percent = rise.percent;
    out[kBtmRise] = Hold{rise.follow_up->effective,
                         Priority::kMedium,
                         {&rise.baseline->source, &rise.follow_up->source},
                         text};
  }
}

std::string BtmText(RuleIndex rule, const TextArgs& args, const Timeline& tl) {
  if (rule == kBtm3MonthDue) {
    const CourseDates& dates = tl.course_dates;
    return Concat({"3-month bone turnover marker (CTX or NTX) due since ",
                   dates.btm_follow_up_due.ToString(),
                   " for the aromatase inhibitor course started ", tl.course->start.ToString(),
                   ": take a sample by ", dates.btm_follow_up.end.ToString()});
  }
  const char* name = args.fact->kind == Concept::kCtx ? "CTX" : "NTX";
  return Concat({name, " rose ", FormatPercent(args.percent), "% from ", MarkerText(*args.fact),
                 " to ", MarkerText(*args.other),
                 ": increased bone resorption; review bone-directed therapy"});
}

}  // namespace bonewatch::rules::internal
