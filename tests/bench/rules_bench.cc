// Evaluate() on a realistic patient: a 3-year AI course with a drug switch,
// 40 facts (3 DXA sessions with T and BMD at three sites and a Z-score, a DXA procedure,
// CTX, vitamin D, BMI), denosumab doses, a glucocorticoid course and risk
// factors; and on a typical patient of the evaluate bench cohort. Reports
// the time per evaluation.
#include <benchmark/benchmark.h>

#include <string>

#include "bonewatch/rules/evaluator.h"

namespace {

using namespace bonewatch::rules;

Date D(const char* text) { return *Date::Parse(text); }

PatientRecord RealisticRecord() {
  PatientRecord r;
  r.patient_id = "bench";
  r.demographics.birth_date = D("1957-09-14");
  r.demographics.gender = Gender::kFemale;
  int id = 0;
  auto ref = [&](const char* type) { return SourceRef{type, std::to_string(++id), "1", ""}; };
  auto med = [&](MedicationClass c, const char* ingredient, const char* start, const char* end) {
    MedicationUse use;
    use.medication_class = c;
    use.ingredient = ingredient;
    use.status = end ? MedicationStatus::kCompleted : MedicationStatus::kActive;
    use.start = D(start);
    if (end) use.end = D(end);
    use.source = ref("MedicationStatement");
    r.medications.push_back(use);
  };
  auto fact = [&](Concept c, Site site, std::optional<double> v, const char* date) {
    r.facts.push_back(Fact{c, site, v, D(date), ref("Observation"), "final"});
  };
  med(MedicationClass::kAromataseInhibitor, "anastrozole", "2023-02-01", "2024-01-31");
  med(MedicationClass::kAromataseInhibitor, "anastrozole", "2024-02-15", "2024-08-31");
  med(MedicationClass::kAromataseInhibitor, "exemestane", "2024-10-01", nullptr);
  med(MedicationClass::kGlucocorticoid, "prednisolone", "2023-05-01", "2023-12-31");
  for (const char* dose : {"2024-03-01", "2024-09-02", "2025-03-10"}) {
    med(MedicationClass::kDenosumab, "denosumab", dose, dose);
  }
  const Site sites[] = {Site::kLumbarSpine, Site::kTotalHip, Site::kFemoralNeck};
  const double t_scores[][3] = {{-1.4, -1.1, -1.6}, {-1.9, -1.5, -2.1}, {-2.2, -1.8, -2.4}};
  const double bmd[][3] = {{0.98, 0.86, 0.74}, {0.94, 0.83, 0.71}, {0.91, 0.80, 0.69}};
  const char* session_dates[] = {"2023-01-20", "2024-02-05", "2025-02-10"};
  for (int s = 0; s < 3; ++s) {
    for (int k = 0; k < 3; ++k) {
      fact(Concept::kDxaTScore, sites[k], t_scores[s][k], session_dates[s]);
      fact(Concept::kDxaBmd, sites[k], bmd[s][k], session_dates[s]);
    }
  }
  fact(Concept::kDxaZScore, Site::kLumbarSpine, -0.8, "2023-01-20");
  fact(Concept::kDxaZScore, Site::kLumbarSpine, -1.1, "2024-02-05");
  fact(Concept::kDxaZScore, Site::kLumbarSpine, -1.3, "2025-02-10");
  fact(Concept::kNtx, Site::kNone, 42, "2023-01-25");
  fact(Concept::kDxaProcedure, Site::kNone, std::nullopt, "2025-02-10");
  for (const char* date : {"2023-01-25", "2023-05-02", "2023-11-20", "2024-06-01"}) {
    fact(Concept::kCtx, Site::kNone, 320 + 40 * (id % 3), date);
  }
  const char* vitd_dates[] = {"2023-01-25", "2023-04-01", "2023-08-01", "2024-01-10",
                              "2024-07-15", "2025-01-20", "2025-07-01", "2025-12-01"};
  const double vitd[] = {14, 19.5, 24, 31, 28, 18, 22, 33};
  for (int i = 0; i < 8; ++i) fact(Concept::kVitaminD25oh, Site::kNone, vitd[i], vitd_dates[i]);
  for (const char* date : {"2023-01-25", "2024-01-10", "2025-01-20"}) {
    fact(Concept::kBmi, Site::kNone, 21.5, date);
  }
  fact(Concept::kP1np, Site::kNone, 45, "2023-01-25");
  fact(Concept::kBalp, Site::kNone, 14, "2023-01-25");
  auto risk = [&](RiskFactorKind k, const char* date) {
    RiskFactorFact f;
    f.kind = k;
    f.date = D(date);
    f.source = ref("Condition");
    r.risk_factors.push_back(f);
  };
  risk(RiskFactorKind::kFamilyHipFracture, "2010-05-01");
  risk(RiskFactorKind::kSmoker, "2022-01-01");
  return r;
}

// A patient like those of the generated evaluate cohort (tests/bench/
// evaluate_bench.cc): an open AI course, a baseline and a follow-up DXA, one
// CTX and one vitamin D value.
PatientRecord CohortRecord() {
  PatientRecord r;
  r.patient_id = "pt-0000001";
  r.demographics.birth_date = D("1951-02-15");
  r.demographics.gender = Gender::kFemale;
  int id = 0;
  auto ref = [&](const char* type) { return SourceRef{type, std::to_string(++id), "1", ""}; };
  MedicationUse ai;
  ai.medication_class = MedicationClass::kAromataseInhibitor;
  ai.ingredient = "anastrozole";
  ai.start = D("2024-02-10");
  ai.source = ref("MedicationStatement");
  r.medications.push_back(ai);
  auto fact = [&](Concept c, Site site, double v, const char* date) {
    r.facts.push_back(Fact{c, site, v, D(date), ref("Observation"), "final"});
  };
  fact(Concept::kDxaTScore, Site::kLumbarSpine, -1.1, "2023-12-01");
  fact(Concept::kDxaTScore, Site::kTotalHip, -1.1, "2023-12-01");
  fact(Concept::kDxaTScore, Site::kLumbarSpine, -2.1, "2025-11-20");
  fact(Concept::kDxaBmd, Site::kLumbarSpine, 0.85, "2025-11-20");
  fact(Concept::kCtx, Site::kNone, 250, "2024-02-02");
  fact(Concept::kVitaminD25oh, Site::kNone, 12, "2025-12-01");
  return r;
}

void BM_EvaluateCohortPatient(benchmark::State& state) {
  const PatientRecord record = CohortRecord();
  const RuleSet rules;
  const Date now = D("2026-03-01");
  for (auto _ : state) {
    Evaluation e = Evaluate(record, now, rules);
    benchmark::DoNotOptimize(e);
  }
  state.counters["facts"] = static_cast<double>(record.facts.size());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateCohortPatient);

void BM_EvaluateRealisticPatient(benchmark::State& state) {
  const PatientRecord record = RealisticRecord();
  const RuleSet rules;
  const Date now = D("2026-01-15");
  for (auto _ : state) {
    Evaluation e = Evaluate(record, now, rules);
    benchmark::DoNotOptimize(e);
  }
  state.counters["facts"] = static_cast<double>(record.facts.size());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateRealisticPatient);

}  // namespace
