// Spec v1.1, point 2, over a generated cohort: a rule that holds at two
// evaluation dates a year apart, with nothing in between that could end its
// episode, has the same Flag identifier (episode start) at both.
//
// Each of 2,000 generated records (tests/rules/record_generator.h) is cut so
// that no fact, medication start or risk factor is dated after d1 − 31 days
// (d1 is 400-900 days after the first AI start): so no DXA session can be
// re-dated and no new data can end an episode between d1 and d2 = d1 + 12
// months. A quarter of the records are replaced by a patient with one normal
// DXA and no risk factor, evaluated past her 24-month due date. Half of the
// records then get a smoker Condition between d1 and d2, which makes the
// patient high risk and moves a DXA due date to the earlier 12-month interval
// while dxa-follow-up-due holds. Records whose 50th
// birthday falls in [d1, d2] are skipped: losing premenopausal status is
// the one thing that time alone does to end an episode here (the category
// rules, and the DXA interval moving later).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "bonewatch/rules/evaluator.h"
#include "record_generator.h"

namespace bonewatch::rules {
namespace {

constexpr uint64_t kPatients = 2000;

std::map<std::string, const Finding*> ActiveByRule(const Evaluation& e) {
  std::map<std::string, const Finding*> out;
  for (const Finding* f : e.ActiveFindings()) out[f->rule] = f;
  return out;
}

// The due date a dxa-follow-up-due sentence names ("DXA follow-up due YYYY-MM-DD ...").
std::string NamedDueDate(const Finding& f) {
  const std::string marker = "due ";
  const size_t at = f.text.find(marker);
  return at == std::string::npos ? std::string() : f.text.substr(at + marker.size(), 10);
}

TEST(SpecV11CohortTest, ARuleHoldingAtBothDatesKeepsItsFlagIdentifier) {
  const RuleSet rules;
  int compared = 0;        // rules active at both dates
  int moved_due_date = 0;  // dxa-follow-up-due active at both, naming another due date
  int skipped = 0;
  for (uint64_t seed = 1; seed <= kPatients; ++seed) {
    testgen::Random rnd(seed * 31337 + 11);
    PatientRecord record = testgen::GeneratedRecord(seed + 500000);
    const MedicationUse* first_ai = nullptr;
    for (const MedicationUse& m : record.medications) {
      if (m.medication_class == MedicationClass::kAromataseInhibitor) {
        first_ai = &m;
        break;
      }
    }
    if (first_ai == nullptr) continue;
    Date d1 = first_ai->start.AddDays(rnd.Int(400, 900));
    if (seed % 4 == 0) {
      // A patient whose DXA due date moves: aged 55-64, on an open AI course,
      // one normal DXA, no risk factor; d1 is past the 24-month due date.
      const Date start = first_ai->start;
      const Date scan = start.AddDays(-rnd.Int(0, 300));
      d1 = scan.AddMonths(24).AddDays(rnd.Int(0, 200));
      PatientRecord moving;
      moving.patient_id = record.patient_id;
      moving.demographics.gender = Gender::kFemale;
      moving.demographics.birth_date = d1.AddDays(-rnd.Int(55 * 366, 64 * 365));
      MedicationUse ai = *first_ai;
      ai.status = MedicationStatus::kActive;
      ai.end.reset();
      moving.medications.push_back(ai);
      moving.facts.push_back(Fact{Concept::kDxaTScore,
                                  Site::kTotalHip,
                                  rnd.Grid(-0.9, 0.5, 0.1),
                                  scan,
                                  {"Observation", "scan", "1", ""},
                                  "final"});
      record = std::move(moving);
    }
    const Date d2 = d1.AddMonths(12);
    const Date cut = d1.AddDays(-31);
    if (record.demographics.birth_date) {
      const Date fifty = record.demographics.birth_date->AddMonths(12 * 50);
      if (fifty >= d1 && fifty <= d2) {
        ++skipped;
        continue;
      }
    }
    std::erase_if(record.facts, [&](const Fact& f) { return f.effective > cut; });
    std::erase_if(record.medications, [&](const MedicationUse& m) { return m.start > cut; });
    std::erase_if(record.risk_factors, [&](const RiskFactorFact& r) { return r.date > cut; });
    if (seed % 2 == 0) {
      RiskFactorFact smoker;
      smoker.kind = RiskFactorKind::kSmoker;
      smoker.origin = RiskFactorOrigin::kCondition;
      smoker.date = d1.AddDays(rnd.Int(30, 300));
      smoker.clinically_active = true;
      smoker.present = true;
      smoker.source = {"Condition", "added-smoker", "1", ""};
      record.risk_factors.push_back(smoker);
    }

    const Evaluation at_d1 = Evaluate(record, d1, rules);
    const Evaluation at_d2 = Evaluate(record, d2, rules);
    const auto before = ActiveByRule(at_d1);
    const auto after = ActiveByRule(at_d2);
    for (const auto& [rule, finding] : before) {
      const auto later = after.find(rule);
      if (later == after.end()) continue;
      ++compared;
      EXPECT_EQ(later->second->episode_start.ToString(), finding->episode_start.ToString())
          << "seed " << seed + 500000 << " rule " << rule << " at " << d1.ToString() << " and "
          << d2.ToString() << "\n"
          << at_d2.ToCanonicalString();
      if (rule == "dxa-follow-up-due" && NamedDueDate(*finding) != NamedDueDate(*later->second)) {
        ++moved_due_date;
      }
    }
  }
  // The cohort exercises what it claims to.
  EXPECT_GE(compared, 500);
  EXPECT_GE(moved_due_date, 100) << "patients whose DXA due date moved between the two dates";
  std::printf("compared %d active rules at both dates; %d DXA due dates moved; %d skipped\n",
              compared, moved_due_date, skipped);
}

}  // namespace
}  // namespace bonewatch::rules
