// Determinism (architecture: "the same inputs give the same Evaluation, byte
// for byte"): repeated evaluation and any input order give identical output.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "bonewatch/rules/evaluator.h"

namespace bonewatch::rules {
namespace {

Date D(const char* text) { return *Date::Parse(text); }

class RecordBuilder {
 public:
  RecordBuilder() {
    record_.patient_id = "det-1";
    record_.demographics.birth_date = D("1958-04-30");
    record_.demographics.gender = Gender::kFemale;
  }
  RecordBuilder& Fact_(Concept c, Site site, std::optional<double> v, const char* date) {
    record_.facts.push_back(Fact{c, site, v, D(date), Ref("Observation"), "final"});
    return *this;
  }
  RecordBuilder& Med(MedicationClass c, const char* ingredient, const char* start,
                     const char* end = nullptr) {
    MedicationUse use;
    use.medication_class = c;
    use.ingredient = ingredient;
    use.status = end ? MedicationStatus::kCompleted : MedicationStatus::kActive;
    use.start = D(start);
    if (end) use.end = D(end);
    use.source = Ref("MedicationStatement");
    record_.medications.push_back(use);
    return *this;
  }
  RecordBuilder& Risk(RiskFactorKind k, const char* date) {
    RiskFactorFact r;
    r.kind = k;
    r.date = D(date);
    r.source = Ref("Condition");
    record_.risk_factors.push_back(r);
    return *this;
  }
  PatientRecord Build() const { return record_; }

 private:
  SourceRef Ref(const char* type) { return {type, "r" + std::to_string(++id_), "1", ""}; }
  PatientRecord record_;
  int id_ = 0;
};

// A busy record: same-day facts, several sessions, value changes in both
// directions, therapy starting and stopping.
PatientRecord BusyRecord() {
  RecordBuilder b;
  b.Med(MedicationClass::kAromataseInhibitor, "anastrozole", "2023-01-10", "2024-03-31")
      .Med(MedicationClass::kAromataseInhibitor, "exemestane", "2024-05-01")
      .Med(MedicationClass::kDenosumab, "denosumab", "2024-02-01", "2024-02-01")
      .Med(MedicationClass::kGlucocorticoid, "prednisolone", "2023-06-01", "2024-01-15")
      .Risk(RiskFactorKind::kSmoker, "2022-01-01")
      .Risk(RiskFactorKind::kFragilityFracture, "2025-02-01");
  for (const char* date : {"2023-01-05", "2023-01-05", "2024-12-01", "2025-11-15"}) {
    b.Fact_(Concept::kDxaTScore, Site::kTotalHip, -1.9, date)
        .Fact_(Concept::kDxaTScore, Site::kLumbarSpine, -2.6, date)
        .Fact_(Concept::kDxaBmd, Site::kTotalHip, 0.81, date);
  }
  b.Fact_(Concept::kDxaProcedure, Site::kNone, std::nullopt, "2025-11-15")
      .Fact_(Concept::kCtx, Site::kNone, 300, "2023-01-02")
      .Fact_(Concept::kCtx, Site::kNone, 300, "2023-01-02")
      .Fact_(Concept::kCtx, Site::kNone, 450, "2023-04-12")
      .Fact_(Concept::kVitaminD25oh, Site::kNone, 15, "2023-02-01")
      .Fact_(Concept::kVitaminD25oh, Site::kNone, 25, "2023-08-01")
      .Fact_(Concept::kVitaminD25oh, Site::kNone, 25, "2023-08-01")
      .Fact_(Concept::kVitaminD25oh, Site::kNone, 35, "2024-08-01")
      .Fact_(Concept::kVitaminD25oh, Site::kNone, 18, "2025-08-01")
      .Fact_(Concept::kBmi, Site::kNone, 19.5, "2024-01-01");
  return b.Build();
}

TEST(DeterminismTest, SameInputTwiceGivesIdenticalOutput) {
  const PatientRecord record = BusyRecord();
  const std::string first = Evaluate(record, D("2026-01-20")).ToCanonicalString();
  const std::string second = Evaluate(record, D("2026-01-20")).ToCanonicalString();
  EXPECT_EQ(first, second);
  EXPECT_NE(first.find("finding "), std::string::npos);
}

TEST(DeterminismTest, ShuffledInputGivesIdenticalOutput) {
  const PatientRecord record = BusyRecord();
  for (const char* now : {"2023-03-01", "2024-04-15", "2025-03-01", "2026-01-20"}) {
    const std::string expected = Evaluate(record, D(now)).ToCanonicalString();
    for (unsigned seed = 1; seed <= 20; ++seed) {
      PatientRecord shuffled = record;
      std::mt19937 rng(seed);
      std::shuffle(shuffled.facts.begin(), shuffled.facts.end(), rng);
      std::shuffle(shuffled.medications.begin(), shuffled.medications.end(), rng);
      std::shuffle(shuffled.risk_factors.begin(), shuffled.risk_factors.end(), rng);
      EXPECT_EQ(Evaluate(shuffled, D(now)).ToCanonicalString(), expected)
          << "seed " << seed << " at " << now;
    }
  }
}

TEST(DeterminismTest, EvidenceIsSortedAndUnique) {
  const Evaluation e = Evaluate(BusyRecord(), D("2026-01-20"));
  for (const Finding& f : e.findings) {
    EXPECT_TRUE(std::is_sorted(f.evidence.begin(), f.evidence.end())) << f.rule;
    EXPECT_EQ(std::adjacent_find(f.evidence.begin(), f.evidence.end()), f.evidence.end()) << f.rule;
  }
  for (const PlanActivity& a : e.plan) {
    EXPECT_TRUE(std::is_sorted(a.outcome.begin(), a.outcome.end())) << a.key;
  }
}

TEST(DeterminismTest, FindingsAreInRuleOrderThenEpisodeStart) {
  const Evaluation e = Evaluate(BusyRecord(), D("2026-01-20"));
  auto rank = [](const Finding& f) {
    return std::find(std::begin(kRuleCodes), std::end(kRuleCodes), f.rule) - std::begin(kRuleCodes);
  };
  for (size_t i = 1; i < e.findings.size(); ++i) {
    const Finding& a = e.findings[i - 1];
    const Finding& b = e.findings[i];
    EXPECT_TRUE(rank(a) < rank(b) || (rank(a) == rank(b) && a.episode_start < b.episode_start))
        << a.rule << " " << a.episode_start.ToString() << " then " << b.rule << " "
        << b.episode_start.ToString();
  }
}

}  // namespace
}  // namespace bonewatch::rules
