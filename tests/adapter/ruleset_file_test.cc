#include "ruleset_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "bonewatch/fhir/json.h"

namespace bonewatch::adapter {
namespace {

using rules::RuleSet;

TEST(RuleSetFile, ShippedDefaultsFileMatchesCompiledDefaults) {
  const std::string path = std::string(BONEWATCH_SOURCE_DIR) + "/rules/default-rules.json";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::stringstream text;
  text << in.rdbuf();
  auto json = fhir::Json::Parse(text.str());
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  // The file lists every key, each with the compiled default value.
  std::map<std::string, double> in_file;
  for (const auto& m : json->members()) {
    if (!m.key.starts_with("_")) in_file[m.key] = m.value.AsDouble();
  }
  EXPECT_EQ(in_file, RuleSet::Defaults().ToEntries());

  auto loaded = LoadRuleSetFile(path, RuleSet::Defaults());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->ToEntries(), RuleSet::Defaults().ToEntries());
}

TEST(RuleSetFile, OverrideReplacesOnlyNamedKeys) {
  auto r = ParseRuleSetJson(R"({"dxaIntervalMonths": 18, "_comment": "local policy"})",
                            "override.json", RuleSet::Defaults());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->dxaIntervalMonths, 18);
  EXPECT_EQ(r->dxaIntervalHighRiskMonths, RuleSet::Defaults().dxaIntervalHighRiskMonths);
}

struct BadCase {
  const char* name;
  const char* json;
  const char* must_mention;
};

class RuleSetFileErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(RuleSetFileErrors, NameTheFileAndTheKey) {
  auto r = ParseRuleSetJson(GetParam().json, "site-rules.json", RuleSet::Defaults());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("site-rules.json"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find(GetParam().must_mention), std::string::npos)
      << r.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    All, RuleSetFileErrors,
    ::testing::Values(BadCase{"MalformedJson", R"({"dxaIntervalMonths": )", "offset"},
                      BadCase{"NotAnObject", R"([1,2])", "object"},
                      BadCase{"UnknownKey", R"({"dxaIntervalMonth": 12})", "dxaIntervalMonth"},
                      BadCase{"StringValue", R"({"dxaIntervalMonths": "12"})", "dxaIntervalMonths"},
                      BadCase{"NonInteger", R"({"dxaIntervalMonths": 12.5})", "dxaIntervalMonths"},
                      BadCase{"OutOfRange", R"({"bmdSignificantLossPercent": -1})",
                              "bmdSignificantLossPercent"}),
    [](const ::testing::TestParamInfo<BadCase>& p) { return std::string(p.param.name); });

TEST(RuleSetFile, MissingFileIsNotFoundAndNamesThePath) {
  auto r = LoadRuleSetFile("/nonexistent/rules.json", RuleSet::Defaults());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/rules.json"), std::string::npos);
}

}  // namespace
}  // namespace bonewatch::adapter
