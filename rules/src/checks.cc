#include "checks.h"

#include <algorithm>

namespace bonewatch::rules::internal {

RuleResults EvaluateRulesAt(const State& s) {
  RuleResults out;
  CheckDxaScheduling(s, out);
  CheckBmd(s, out);
  CheckBtm(s, out);
  CheckTherapy(s, out);
  CheckVitaminD(s, out);
  return out;
}

std::string FindingText(RuleIndex rule, const Hold& hold, const Timeline& tl) {
  switch (rule) {
    case kBaselineDxaMissing:
    case kDxaFollowUpDue:
      return DxaSchedulingText(rule, hold.text, tl);
    case kOsteoporosis:
    case kOsteopenia:
    case kLowBmdForAge:
    case kBmdSignificantLoss:
      return BmdText(rule, hold.text);
    case kBtm3MonthDue:
    case kBtmRise:
      return BtmText(rule, hold.text, tl);
    case kAntiresorptiveIndicated:
    case kDenosumabOverdue:
      return TherapyText(rule, hold.text, tl);
    case kVitaminDDeficient:
    case kVitaminDInsufficient:
      return VitaminDText(rule, hold.text, tl);
    case kRuleCount:
      break;
  }
  return {};
}

bool SameSources(const SourceList& a, const SourceList& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const SourceRef* x, const SourceRef* y) { return x == y || *x == *y; });
}

std::vector<SourceRef> SortedUniqueSources(const SourceList& refs) {
  // Sorted and made unique as pointers, so that only the values kept are
  // copied (each is four strings) and the sort moves no strings.
  SourceList sorted = refs;
  std::sort(sorted.begin(), sorted.end(),
            [](const SourceRef* a, const SourceRef* b) { return *a < *b; });
  const SourceRef** end =
      std::unique(sorted.begin(), sorted.end(),
                  [](const SourceRef* a, const SourceRef* b) { return *a == *b; });
  std::vector<SourceRef> out;
  out.reserve(static_cast<size_t>(end - sorted.begin()));
  for (const SourceRef** it = sorted.begin(); it != end; ++it) out.push_back(**it);
  return out;
}

SourceList SourcesOf(std::span<const Fact* const> facts) {
  SourceList out;
  for (const Fact* f : facts) out.push_back(&f->source);
  return out;
}

SourceList CourseSources(const Course& course) {
  SourceList out;
  for (const MedicationUse* use : course.uses) out.push_back(&use->source);
  return out;
}

}  // namespace bonewatch::rules::internal
