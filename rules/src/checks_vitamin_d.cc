// vitamin-d-deficient and vitamin-d-insufficient (spec §3): the latest
// 25-hydroxyvitamin D value, in ng/mL.
#include "checks.h"
#include "text.h"

namespace bonewatch::rules::internal {
namespace {

enum class VitaminDCategory { kSufficient, kDeficient, kInsufficient };

VitaminDCategory Categorize(double value, const RuleSet& r) {
  if (value < r.vitaminDDeficientBelow) return VitaminDCategory::kDeficient;
  if (value < r.vitaminDInsufficientBelow) return VitaminDCategory::kInsufficient;
  return VitaminDCategory::kSufficient;
}

}  // namespace

void CheckVitaminD(const State& s, RuleResults& out) {
  const RuleSet& r = *s.tl->rules;
  const auto samples = FactsUpTo(s.tl->vitamin_d, s.t);
  if (samples.empty()) return;
  const Fact& latest = *samples.back();
  const VitaminDCategory category = Categorize(*latest.value, r);
  if (category == VitaminDCategory::kSufficient) return;
  Date run_start = latest.effective;
  for (auto it = samples.rbegin(); it != samples.rend(); ++it) {
    if (Categorize(*(*it)->value, r) != category) break;
    run_start = (*it)->effective;
  }
  TextArgs text;
  text.fact = &latest;
  if (category == VitaminDCategory::kDeficient) {
    out[kVitaminDDeficient] = Hold{run_start, Priority::kMedium, {&latest.source}, text};
  } else {
    out[kVitaminDInsufficient] = Hold{run_start, Priority::kLow, {&latest.source}, text};
  }
}

std::string VitaminDText(RuleIndex rule, const TextArgs& args, const Timeline& tl) {
  const RuleSet& r = *tl.rules;
  const Fact& latest = *args.fact;
  const bool deficient = rule == kVitaminDDeficient;
  return Concat({"25-hydroxyvitamin D ", FormatNumber(*latest.value), " ng/mL (",
                 latest.effective.ToString(), ")",
                 deficient ? ": deficient (below " : ": insufficient (below ",
                 FormatNumber(deficient ? r.vitaminDDeficientBelow : r.vitaminDInsufficientBelow),
                 deficient ? "); replete vitamin D" : "); supplement vitamin D"});
}

}  // namespace bonewatch::rules::internal
