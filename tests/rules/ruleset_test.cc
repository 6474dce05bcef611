// RuleSet entries: defaults, overrides, and validation that names the key.
#include "bonewatch/rules/ruleset.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace bonewatch::rules {
namespace {

std::vector<RuleSetError> Errors(const std::map<std::string, double>& entries) {
  auto result = ApplyRuleSetEntries(RuleSet(), entries);
  if (auto* errors = std::get_if<std::vector<RuleSetError>>(&result)) return *errors;
  return {};
}

TEST(RuleSetTest, DefaultsMatchSpec) {
  const RuleSet r = RuleSet::Defaults();
  EXPECT_EQ(r.courseGapDays, 90);
  EXPECT_EQ(r.dxaSessionGapDays, 30);
  EXPECT_EQ(r.dxaIntervalMonths, 24);
  EXPECT_EQ(r.dxaIntervalHighRiskMonths, 12);
  EXPECT_DOUBLE_EQ(r.osteoporosisTScore, -2.5);
  EXPECT_DOUBLE_EQ(r.bmdSignificantLossPercent, 5.0);
  EXPECT_DOUBLE_EQ(r.btmSignificantRisePercent, 30.0);
  EXPECT_EQ(r.glucocorticoidCourseDays, 182);
  EXPECT_EQ(r.denosumabCoverMonths, 7);
  EXPECT_EQ(r.zoledronicAcidCoverMonths, 12);
}

TEST(RuleSetTest, ToEntriesListsEveryKeyAndRoundTrips) {
  const std::map<std::string, double> entries = RuleSet().ToEntries();
  EXPECT_EQ(entries.size(), 32u);
  EXPECT_EQ(entries.at("dxaIntervalMonths"), 24);
  EXPECT_EQ(entries.at("osteopeniaTScore"), -1.0);
  auto result = ApplyRuleSetEntries(RuleSet(), entries);
  ASSERT_TRUE(std::holds_alternative<RuleSet>(result));
  EXPECT_EQ(std::get<RuleSet>(result).ToEntries(), entries);
}

TEST(RuleSetTest, AppliesOverrides) {
  auto result = ApplyRuleSetEntries(
      RuleSet(), {{"dxaIntervalMonths", 18.0}, {"vitaminDInsufficientBelow", 32.5}});
  ASSERT_TRUE(std::holds_alternative<RuleSet>(result));
  const RuleSet& r = std::get<RuleSet>(result);
  EXPECT_EQ(r.dxaIntervalMonths, 18);
  EXPECT_DOUBLE_EQ(r.vitaminDInsufficientBelow, 32.5);
  EXPECT_EQ(r.dxaIntervalHighRiskMonths, 12);  // untouched
}

struct BadEntry {
  const char* name;
  const char* key;
  double value;
  const char* reason_mentions;
};

class RuleSetRejectTest : public ::testing::TestWithParam<BadEntry> {};

TEST_P(RuleSetRejectTest, NamesTheKey) {
  const BadEntry& row = GetParam();
  const std::vector<RuleSetError> errors = Errors({{row.key, row.value}});
  ASSERT_EQ(errors.size(), 1u) << row.name;
  EXPECT_EQ(errors[0].key, row.key);
  EXPECT_NE(errors[0].reason.find(row.reason_mentions), std::string::npos) << errors[0].reason;
}

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

INSTANTIATE_TEST_SUITE_P(
    Table, RuleSetRejectTest,
    ::testing::Values(BadEntry{"unknown", "dxaIntervalMonth", 24, "unknown key"},
                      BadEntry{"fraction_for_integer", "dxaIntervalMonths", 2.5, "integer"},
                      BadEntry{"months_above_120", "dxaIntervalMonths", 121, "[1, 120]"},
                      BadEntry{"months_zero_interval", "dxaIntervalMonths", 0, "[1, 120]"},
                      BadEntry{"negative_days", "courseGapDays", -1, "[0, 3650]"},
                      BadEntry{"days_above_3650", "glucocorticoidCourseDays", 3651, "[0, 3650]"},
                      BadEntry{"positive_t_score", "osteoporosisTScore", 0.5, "[-6, 0]"},
                      BadEntry{"t_score_below_minus_6", "antiresorptiveTScore", -6.5, "[-6, 0]"},
                      BadEntry{"percent_above_100", "bmdSignificantLossPercent", 100.5, "[0, 100]"},
                      BadEntry{"negative_percent", "btmSignificantRisePercent", -1, "[0, 100]"},
                      BadEntry{"nan", "riskBmi", kNan, "number"},
                      BadEntry{"infinity", "courseGapDays", kInf, "integer"}),
    [](const auto& row) { return std::string(row.param.name); });

TEST(RuleSetTest, AcceptsIntegralDoubleAndRangeEnds) {
  EXPECT_TRUE(Errors({{"dxaIntervalMonths", 24.0}}).empty());
  EXPECT_TRUE(Errors({{"courseGapDays", 0}}).empty());
  EXPECT_TRUE(Errors({{"courseGapDays", 3650}}).empty());
  EXPECT_TRUE(Errors({{"bmdSignificantLossPercent", 100}}).empty());
  EXPECT_TRUE(Errors({{"bmdSignificantLossPercent", 0}}).empty());
  EXPECT_TRUE(Errors({{"lowBmdForAgeZScore", -6}}).empty());
}

TEST(RuleSetTest, ReportsEveryErrorAndAppliesNothing) {
  auto result = ApplyRuleSetEntries(
      RuleSet(), {{"bogus", 1}, {"dxaIntervalMonths", 2.5}, {"courseGapDays", 60}});
  ASSERT_TRUE(std::holds_alternative<std::vector<RuleSetError>>(result));
  const auto& errors = std::get<std::vector<RuleSetError>>(result);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].key, "bogus");
  EXPECT_EQ(errors[1].key, "dxaIntervalMonths");
}

TEST(RuleSetTest, RejectsInconsistentThresholds) {
  std::vector<RuleSetError> errors = Errors({{"osteoporosisTScore", -1.0}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "osteoporosisTScore");
  errors = Errors({{"vitaminDDeficientBelow", 35}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "vitaminDDeficientBelow");
  errors = Errors({{"btmFollowUpDueMonths", 7}});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "btmFollowUpDueMonths");
}

}  // namespace
}  // namespace bonewatch::rules
