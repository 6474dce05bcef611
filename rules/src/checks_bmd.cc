// osteoporosis, osteopenia, low-bmd-for-age and bmd-significant-loss (spec
// §3): the value rules, which use only DXA sessions with values.
#include "checks.h"
#include "text.h"

namespace bonewatch::rules::internal {
namespace {

enum class BmdCategory { kNone, kOsteoporosis, kOsteopenia, kLowForAge };

// The category of one session for a woman who is (or is not) premenopausal
// at the evaluation point. low-bmd-for-age replaces the T-score categories;
// osteoporosis needs "not premenopausal, or no Z-score".
BmdCategory Categorize(const Session& session, bool premenopausal, const RuleSet& r) {
  const Fact* z = session.LowestZScore();
  if (premenopausal && z && *z->value <= r.lowBmdForAgeZScore) return BmdCategory::kLowForAge;
  const Fact* t = session.LowestTScore();
  if (!t) return BmdCategory::kNone;
  if (*t->value <= r.osteoporosisTScore && (!premenopausal || !z)) {
    return BmdCategory::kOsteoporosis;
  }
  if (*t->value > r.osteoporosisTScore && *t->value < r.osteopeniaTScore) {
    return BmdCategory::kOsteopenia;
  }
  return BmdCategory::kNone;
}

// The date of the first value session of the unbroken run, ending at the
// latest value session, whose sessions all satisfy `meets`.
template <typename Meets>
Date RunStart(const State& s, const Meets& meets) {
  Date start = s.latest_values->date;
  for (auto it = s.sessions.rbegin(); it != s.sessions.rend(); ++it) {
    if (!it->has_values) continue;
    if (!meets(*it)) break;
    start = it->date;
  }
  return start;
}

std::string Where(const Fact& f) {
  const std::string_view site = SiteDisplay(f.site);
  return Concat({"(", site, site.empty() ? "" : ", ", f.effective.ToString(), ")"});
}

SourceList OfConcept(const Session& session, Concept wanted) {
  SourceList out;
  for (const Fact* f : session.members) {
    if (f->kind == wanted) out.push_back(&f->source);
  }
  return out;
}

void CheckCategory(const State& s, RuleResults& out) {
  const RuleSet& r = *s.tl->rules;
  const Session& latest = *s.latest_values;
  const BmdCategory category = Categorize(latest, s.premenopausal, r);
  if (category == BmdCategory::kNone) return;
  const Date run_start = RunStart(s, [&](const Session& session) {
    return Categorize(session, s.premenopausal, r) == category;
  });
  TextArgs text;
  if (category == BmdCategory::kLowForAge) {
    text.fact = latest.LowestZScore();
    out[kLowBmdForAge] =
        Hold{run_start, Priority::kHigh, OfConcept(latest, Concept::kDxaZScore), text};
    return;
  }
  text.fact = latest.LowestTScore();
  if (category == BmdCategory::kOsteoporosis) {
    out[kOsteoporosis] =
        Hold{run_start, Priority::kHigh, OfConcept(latest, Concept::kDxaTScore), text};
  } else {
    out[kOsteopenia] =
        Hold{run_start, Priority::kLow, OfConcept(latest, Concept::kDxaTScore), text};
  }
}

void CheckLoss(const State& s, RuleResults& out) {
  if (!s.bmd_loss) return;
  const RuleSet& r = *s.tl->rules;
  const Session& baseline = *s.baseline_values;
  const Date run_start = RunStart(
      s, [&](const Session& session) { return LossAgainst(baseline, session, r).has_value(); });
  const BmdLoss& loss = *s.bmd_loss;
  TextArgs text;
  text.fact = loss.latest;
  text.other = loss.baseline;
  text.percent = loss.percent;
  out[kBmdSignificantLoss] =
      Hold{run_start, Priority::kHigh, {&loss.baseline->source, &loss.latest->source}, text};
}

}  // namespace

void CheckBmd(const State& s, RuleResults& out) {
  if (!s.latest_values) return;
  CheckCategory(s, out);
  CheckLoss(s, out);
}

std::string BmdText(RuleIndex rule, const TextArgs& args) {
  switch (rule) {
    case kLowBmdForAge:
      return Concat({"Lowest Z-score ", FormatNumber(*args.fact->value), " ", Where(*args.fact),
                     " in a premenopausal woman: below the expected range for age; consider "
                     "bone-directed therapy"});
    case kOsteoporosis:
      return Concat({"Lowest T-score ", FormatNumber(*args.fact->value), " ", Where(*args.fact),
                     ": osteoporosis range; consider bone-directed therapy"});
    case kOsteopenia:
      return Concat({"Lowest T-score ", FormatNumber(*args.fact->value), " ", Where(*args.fact),
                     ": osteopenia range; review risk factors, calcium and vitamin D"});
    default:  // kBmdSignificantLoss
      return Concat({"BMD ", FormatNumber(*args.fact->value), " g/cm2 ", Where(*args.fact), " is ",
                     FormatPercent(args.percent), "% below baseline ",
                     FormatNumber(*args.other->value), " g/cm2 ", Where(*args.other),
                     ": significant bone loss; review bone-directed therapy"});
  }
}

}  // namespace bonewatch::rules::internal
