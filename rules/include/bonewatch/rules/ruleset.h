// RuleSet: every threshold and window of the monitoring rules.
//
// Defaults match spec §3 and rules/default-rules.json (a test keeps the two
// equal). Operators override values by key; the keys are the camelCase names
// used in that file (e.g. "dxaIntervalMonths"). rules/ does no I/O: the
// adapter reads the JSON file and passes the entries here for validation.
// Plain data; thread-compatible.
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

namespace bonewatch::rules {

struct RuleSet {
  // Course and session structure (spec §2).
  int courseGapDays = 90;
  int dxaSessionGapDays = 30;
  int baselineDxaLookbackMonths = 12;
  // baseline-dxa-missing: PH once now > start + baselineDxaDueMonths.
  int baselineDxaDueMonths = 3;
  // dxa-follow-up-due.
  int dxaIntervalMonths = 24;
  int dxaIntervalHighRiskMonths = 12;
  int dxaOverdueEscalationMonths = 3;
  // T/Z-score categories.
  double osteoporosisTScore = -2.5;
  double osteopeniaTScore = -1.0;
  double lowBmdForAgeZScore = -2.0;
  int premenopausalAgeYears = 50;
  // bmd-significant-loss.
  double bmdSignificantLossPercent = 5.0;
  // Bone turnover markers.
  int btmBaselineBeforeMonths = 3;
  int btmBaselineAfterDays = 14;
  int btmFollowUpWindowStartMonths = 2;
  int btmFollowUpDueMonths = 3;
  int btmFollowUpScheduledEndMonths = 4;
  int btmFollowUpWindowEndMonths = 6;
  double btmSignificantRisePercent = 30.0;
  // antiresorptive-indicated.
  double antiresorptiveTScore = -2.0;
  double antiresorptiveTScoreWithRiskFactor = -1.5;
  int antiresorptiveRiskFactorCount = 2;
  int riskAgeYears = 65;
  double riskBmi = 20.0;
  int glucocorticoidCourseDays = 182;
  // On antiresorptive therapy.
  int denosumabCoverMonths = 7;
  int zoledronicAcidCoverMonths = 12;
  // Vitamin D (ng/mL).
  double vitaminDDeficientBelow = 20.0;
  double vitaminDInsufficientBelow = 30.0;
  // denosumab-overdue: due = last dose + 6 months; raised after due + 4 weeks;
  // PH once more than 16 weeks past due.
  int denosumabIntervalMonths = 6;
  int denosumabGraceWeeks = 4;
  int denosumabEscalationWeeks = 16;

  static RuleSet Defaults() { return RuleSet(); }

  // Every key, with its current value as a number.
  std::map<std::string, double> ToEntries() const;
};

struct RuleSetError {
  std::string key;
  std::string reason;  // "unknown key", "must be an integer in [1, 120]", ...
};

// Applies `entries` over `base`. Rejects unknown keys, non-integers for
// integer keys and out-of-range values; every error names its key. On any
// error nothing is applied and the errors are returned.
std::variant<RuleSet, std::vector<RuleSetError>> ApplyRuleSetEntries(
    const RuleSet& base, const std::map<std::string, double>& entries);

}  // namespace bonewatch::rules
