#include "checks.h"

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

std::vector<SourceRef> SourcesOf(const std::vector<const Fact*>& facts) {
  std::vector<SourceRef> out;
  out.reserve(facts.size());
  for (const Fact* f : facts) out.push_back(f->source);
  return out;
}

std::vector<SourceRef> CourseSources(const Course& course) {
  std::vector<SourceRef> out;
  for (const MedicationUse* use : course.uses) out.push_back(use->source);
  return out;
}

}  // namespace bonewatch::rules::internal
