// RuleSet entries: the key table, ranges and validation.
#include "bonewatch/rules/ruleset.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace bonewatch::rules {
namespace {

struct KeySpec {
  const char* key;
  int RuleSet::*int_member;  // exactly one of the two members is set
  double RuleSet::*double_member;
  double min;
  double max;
};

constexpr int kMonths = 120;
constexpr int kDays = 3650;
constexpr int kWeeks = 520;

#define BW_INT(name, lo, hi) \
  { #name, &RuleSet::name, nullptr, lo, hi }
#define BW_DOUBLE(name, lo, hi) \
  { #name, nullptr, &RuleSet::name, lo, hi }

const KeySpec kKeys[] = {
    BW_INT(courseGapDays, 0, kDays),
    BW_INT(dxaSessionGapDays, 0, kDays),
    BW_INT(baselineDxaLookbackMonths, 0, kMonths),
    BW_INT(baselineDxaDueMonths, 0, kMonths),
    BW_INT(dxaIntervalMonths, 1, kMonths),
    BW_INT(dxaIntervalHighRiskMonths, 1, kMonths),
    BW_INT(dxaOverdueEscalationMonths, 0, kMonths),
    BW_DOUBLE(osteoporosisTScore, -6, 0),
    BW_DOUBLE(osteopeniaTScore, -6, 0),
    BW_DOUBLE(lowBmdForAgeZScore, -6, 0),
    BW_INT(premenopausalAgeYears, 0, 120),
    BW_DOUBLE(bmdSignificantLossPercent, 0, 100),
    BW_INT(btmBaselineBeforeMonths, 0, kMonths),
    BW_INT(btmBaselineAfterDays, 0, kDays),
    BW_INT(btmFollowUpWindowStartMonths, 0, kMonths),
    BW_INT(btmFollowUpDueMonths, 0, kMonths),
    BW_INT(btmFollowUpScheduledEndMonths, 0, kMonths),
    BW_INT(btmFollowUpWindowEndMonths, 0, kMonths),
    BW_DOUBLE(btmSignificantRisePercent, 0, 100),
    BW_DOUBLE(antiresorptiveTScore, -6, 0),
    BW_DOUBLE(antiresorptiveTScoreWithRiskFactor, -6, 0),
    BW_INT(antiresorptiveRiskFactorCount, 1, 7),
    BW_INT(riskAgeYears, 0, 120),
    BW_DOUBLE(riskBmi, 0, 100),
    BW_INT(glucocorticoidCourseDays, 0, kDays),
    BW_INT(denosumabCoverMonths, 0, kMonths),
    BW_INT(zoledronicAcidCoverMonths, 0, kMonths),
    BW_DOUBLE(vitaminDDeficientBelow, 0, 200),
    BW_DOUBLE(vitaminDInsufficientBelow, 0, 200),
    BW_INT(denosumabIntervalMonths, 1, kMonths),
    BW_INT(denosumabGraceWeeks, 0, kWeeks),
    BW_INT(denosumabEscalationWeeks, 0, kWeeks),
};

#undef BW_INT
#undef BW_DOUBLE

const KeySpec* FindKey(const std::string& key) {
  for (const KeySpec& spec : kKeys) {
    if (key == spec.key) return &spec;
  }
  return nullptr;
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string RangeReason(const KeySpec& spec) {
  return std::string(spec.int_member ? "must be an integer in [" : "must be a number in [") +
         Number(spec.min) + ", " + Number(spec.max) + "]";
}

// Cross-key consistency: thresholds that only make sense in one order.
void CheckConsistency(const RuleSet& r, std::vector<RuleSetError>& errors) {
  if (!(r.osteoporosisTScore < r.osteopeniaTScore)) {
    errors.push_back({"osteoporosisTScore", "must be below osteopeniaTScore"});
  }
  if (!(r.antiresorptiveTScore <= r.antiresorptiveTScoreWithRiskFactor)) {
    errors.push_back(
        {"antiresorptiveTScore", "must not be above antiresorptiveTScoreWithRiskFactor"});
  }
  if (!(r.vitaminDDeficientBelow <= r.vitaminDInsufficientBelow)) {
    errors.push_back({"vitaminDDeficientBelow", "must not be above vitaminDInsufficientBelow"});
  }
  if (!(r.btmFollowUpWindowStartMonths <= r.btmFollowUpDueMonths &&
        r.btmFollowUpDueMonths <= r.btmFollowUpWindowEndMonths)) {
    errors.push_back(
        {"btmFollowUpDueMonths",
         "must lie within [btmFollowUpWindowStartMonths, btmFollowUpWindowEndMonths]"});
  }
  if (!(r.btmFollowUpWindowStartMonths <= r.btmFollowUpScheduledEndMonths &&
        r.btmFollowUpScheduledEndMonths <= r.btmFollowUpWindowEndMonths)) {
    errors.push_back(
        {"btmFollowUpScheduledEndMonths",
         "must lie within [btmFollowUpWindowStartMonths, btmFollowUpWindowEndMonths]"});
  }
}

}  // namespace

std::map<std::string, double> RuleSet::ToEntries() const {
  std::map<std::string, double> out;
  for (const KeySpec& spec : kKeys) {
    out[spec.key] =
        spec.int_member ? static_cast<double>(this->*spec.int_member) : this->*spec.double_member;
  }
  return out;
}

std::variant<RuleSet, std::vector<RuleSetError>> ApplyRuleSetEntries(
    const RuleSet& base, const std::map<std::string, double>& entries) {
  RuleSet result = base;
  std::vector<RuleSetError> errors;
  for (const auto& [key, value] : entries) {
    const KeySpec* spec = FindKey(key);
    if (spec == nullptr) {
      errors.push_back({key, "unknown key"});
      continue;
    }
    const bool in_range = std::isfinite(value) && value >= spec->min && value <= spec->max;
    if (spec->int_member) {
      if (!in_range || std::trunc(value) != value) {
        errors.push_back({key, RangeReason(*spec)});
        continue;
      }
      result.*spec->int_member = static_cast<int>(value);
    } else {
      if (!in_range) {
        errors.push_back({key, RangeReason(*spec)});
        continue;
      }
      result.*spec->double_member = value;
    }
  }
  if (errors.empty()) CheckConsistency(result, errors);
  if (!errors.empty()) return errors;
  return result;
}

}  // namespace bonewatch::rules
