// osteoporosis, osteopenia, low-bmd-for-age and bmd-significant-loss (spec
// §3): the value rules, which use only DXA sessions with values.
#include <functional>

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
Date RunStart(const State& s, const std::function<bool(const Session&)>& meets) {
  Date start = s.latest_values->date;
  for (auto it = s.value_sessions.rbegin(); it != s.value_sessions.rend(); ++it) {
    if (!meets(**it)) break;
    start = (*it)->date;
  }
  return start;
}

std::string Where(const Fact& f) {
  const std::string site = SiteText(f.site);
  return "(" + (site.empty() ? "" : site + ", ") + f.effective.ToString() + ")";
}

std::vector<SourceRef> OfConcept(const Session& session, Concept wanted) {
  std::vector<SourceRef> out;
  for (const Fact* f : session.members) {
    if (f->kind == wanted) out.push_back(f->source);
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
  if (category == BmdCategory::kLowForAge) {
    const Fact& z = *latest.LowestZScore();
    out[kLowBmdForAge] = Hold{run_start, Priority::kHigh, OfConcept(latest, Concept::kDxaZScore),
                              "Lowest Z-score " + FormatNumber(*z.value) + " " + Where(z) +
                                  " in a premenopausal woman: below the expected range for "
                                  "age; consider bone-directed therapy"};
    return;
  }
  const Fact& t = *latest.LowestTScore();
  const std::string head = "Lowest T-score " + FormatNumber(*t.value) + " " + Where(t);
  if (category == BmdCategory::kOsteoporosis) {
    out[kOsteoporosis] = Hold{run_start, Priority::kHigh, OfConcept(latest, Concept::kDxaTScore),
                              head + ": osteoporosis range; consider bone-directed therapy"};
  } else {
    out[kOsteopenia] = Hold{run_start, Priority::kLow, OfConcept(latest, Concept::kDxaTScore),
                            head +
                                ": osteopenia range; review risk factors, calcium and "
                                "vitamin D"};
  }
}

void CheckLoss(const State& s, RuleResults& out) {
  if (!s.bmd_loss) return;
  const RuleSet& r = *s.tl->rules;
  const Session& baseline = *s.baseline_values;
  const Date run_start = RunStart(
      s, [&](const Session& session) { return LossAgainst(baseline, session, r).has_value(); });
  const BmdLoss& loss = *s.bmd_loss;
  out[kBmdSignificantLoss] =
      Hold{run_start,
           Priority::kHigh,
           {loss.baseline->source, loss.latest->source},
           "BMD " + FormatNumber(*loss.latest->value) + " g/cm2 " + Where(*loss.latest) + " is " +
               FormatPercent(loss.percent) + "% below baseline " +
               FormatNumber(*loss.baseline->value) + " g/cm2 " + Where(*loss.baseline) +
               ": significant bone loss; review bone-directed therapy"};
}

}  // namespace

void CheckBmd(const State& s, RuleResults& out) {
  if (!s.latest_values) return;
  CheckCategory(s, out);
  CheckLoss(s, out);
}

}  // namespace bonewatch::rules::internal
