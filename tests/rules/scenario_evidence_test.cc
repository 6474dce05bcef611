// Evidence of findings (spec §3: "evidence (the source facts)"; §4: one
// flag-detail per evidence resource): a flag must point at the facts that
// raised it, so that a clinician can open them.
#include <algorithm>
#include <string>

#include "test_builders.h"

namespace bonewatch::rules::dsl {
namespace {

bool Cites(const Finding& finding, const SourceRef& source) {
  return std::any_of(finding.evidence.begin(), finding.evidence.end(),
                     [&](const SourceRef& e) { return e.Reference() == source.Reference(); });
}

TEST(ScenarioEvidence, OsteoporosisCitesTheTScore) {
  const Rec rec =
      Rec().Born("1965-03-15").Ai("2025-01-10").TScore("2025-01-05", Site::kTotalHip, -2.7);
  const Evaluation evaluation = EvaluateAt(rec, "2025-02-01");
  const Finding* finding = FindActive(evaluation, "osteoporosis");
  ASSERT_NE(finding, nullptr);
  EXPECT_TRUE(Cites(*finding, rec.record().facts.at(0).source));
}

TEST(ScenarioEvidence, BtmRiseCitesBothSamples) {
  const Rec rec =
      Rec().Born("1965-03-15").Ai("2025-01-10").Ctx("2025-01-05", 400).Ctx("2025-04-15", 560);
  const Evaluation evaluation = EvaluateAt(rec, "2025-05-01");
  const Finding* finding = FindActive(evaluation, "btm-rise");
  ASSERT_NE(finding, nullptr);
  EXPECT_TRUE(Cites(*finding, rec.record().facts.at(0).source)) << "baseline sample";
  EXPECT_TRUE(Cites(*finding, rec.record().facts.at(1).source)) << "3-month sample";
}

TEST(ScenarioEvidence, VitaminDCitesTheLatestValue) {
  const Rec rec = Rec()
                      .Born("1965-03-15")
                      .Ai("2025-01-10")
                      .VitaminD("2025-02-01", 15)
                      .VitaminD("2025-03-01", 18);
  const Evaluation evaluation = EvaluateAt(rec, "2025-03-15");
  const Finding* finding = FindActive(evaluation, "vitamin-d-deficient");
  ASSERT_NE(finding, nullptr);
  EXPECT_TRUE(Cites(*finding, rec.record().facts.at(1).source));
}

TEST(ScenarioEvidence, DenosumabOverdueCitesTheLastDose) {
  const Rec rec = Rec().Born("1965-03-15").Ai("2025-01-10").DenosumabDose("2025-01-20");
  const Evaluation evaluation = EvaluateAt(rec, "2025-09-01");
  const Finding* finding = FindActive(evaluation, "denosumab-overdue");
  ASSERT_NE(finding, nullptr);
  EXPECT_TRUE(Cites(*finding, rec.record().medications.at(1).source));
}

TEST(ScenarioEvidence, FragilityFractureIndicationCitesTheCondition) {
  const Rec rec = Rec().Born("1965-03-15").Ai("2025-01-10").FragilityFracture("2025-03-01");
  const Evaluation evaluation = EvaluateAt(rec, "2025-03-15");
  const Finding* finding = FindActive(evaluation, "antiresorptive-indicated");
  ASSERT_NE(finding, nullptr);
  EXPECT_TRUE(Cites(*finding, rec.record().risk_factors.at(0).source));
}

TEST(ScenarioEvidence, EvidenceIsSortedAndUnique) {
  const Rec rec = Rec()
                      .Born("1978-06-01")
                      .Ai("2025-01-10")
                      .TScore("2025-01-05", Site::kTotalHip, -2.7)
                      .ZScore("2025-01-05", Site::kTotalHip, -2.3)
                      .Smoker("2020-01-01")
                      .RheumatoidArthritis("2020-01-01");
  const Evaluation evaluation = EvaluateAt(rec, "2025-03-01");
  ASSERT_FALSE(evaluation.findings.empty());
  for (const Finding& finding : evaluation.findings) {
    SCOPED_TRACE(finding.rule);
    EXPECT_TRUE(std::is_sorted(finding.evidence.begin(), finding.evidence.end()));
    EXPECT_TRUE(std::adjacent_find(finding.evidence.begin(), finding.evidence.end()) ==
                finding.evidence.end());
    EXPECT_FALSE(finding.text.empty());
  }
}

}  // namespace
}  // namespace bonewatch::rules::dsl
