// Golden tests of `bonewatch evaluate`: tests/adapter/cases/<name>.in.json (a
// FHIR Bundle, one patient) -> <name>.expected.json, the exact transaction
// Bundle printed at --as-of 2026-03-01. Regenerate with
// BONEWATCH_UPDATE_GOLDEN=1 and review every changed file by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "bonewatch/rules/evaluation.h"
#include "evaluate_command.h"

namespace bonewatch::adapter {
namespace {

namespace fs = std::filesystem;

const fs::path kCasesDir = fs::path(BONEWATCH_SOURCE_DIR) / "tests/adapter/cases";
constexpr const char* kAsOf = "2026-03-01";

std::vector<fs::path> CaseInputs() {
  std::vector<fs::path> inputs;
  for (const auto& entry : fs::directory_iterator(kCasesDir)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".in.json")) inputs.push_back(entry.path());
  }
  std::sort(inputs.begin(), inputs.end());
  return inputs;
}

std::string CaseName(const fs::path& input) {
  const std::string name = input.filename().string();
  return name.substr(0, name.size() - std::string(".in.json").size());
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct RunResult {
  int code = 0;
  std::string out;
  std::string err;
};

RunResult Evaluate(std::vector<std::string> files,
                   EvaluateFormat format = EvaluateFormat::kBundle) {
  EvaluateOptions options;
  options.as_of = *rules::Date::Parse(kAsOf);
  options.format = format;
  options.files = std::move(files);
  std::ostringstream out;
  std::ostringstream err;
  RunResult run;
  run.code = RunEvaluate(options, out, err);
  run.out = out.str();
  run.err = err.str();
  return run;
}

TEST(EvaluateGolden, EveryCaseGivesItsExpectedTransaction) {
  const bool update = std::getenv("BONEWATCH_UPDATE_GOLDEN") != nullptr;
  const std::vector<fs::path> inputs = CaseInputs();
  ASSERT_GE(inputs.size(), 12u);
  for (const fs::path& input : inputs) {
    SCOPED_TRACE(input.filename().string());
    const RunResult run = Evaluate({input.string()});
    ASSERT_EQ(run.code, 0) << run.err;
    const fs::path expected_path = kCasesDir / (CaseName(input) + ".expected.json");
    if (update) {
      std::ofstream(expected_path, std::ios::binary) << run.out;
      continue;
    }
    ASSERT_TRUE(fs::exists(expected_path)) << "run with BONEWATCH_UPDATE_GOLDEN=1";
    EXPECT_EQ(run.out, ReadText(expected_path));
  }
}

TEST(EvaluateGolden, CasesTogetherTouchEveryRuleAndActivity) {
  std::string all;
  for (const fs::path& input : CaseInputs()) {
    all += ReadText(kCasesDir / (CaseName(input) + ".expected.json"));
  }
  for (std::string_view rule : rules::kRuleCodes) {
    EXPECT_NE(all.find("\"code\": \"" + std::string(rule) + "\""), std::string::npos) << rule;
  }
  for (std::string_view key : rules::kActivityKeys) {
    EXPECT_NE(all.find("\"code\": \"" + std::string(key) + "\""), std::string::npos) << key;
  }
  for (std::string_view status :
       {"not-started", "scheduled", "in-progress", "completed", "cancelled"}) {
    EXPECT_NE(all.find("\"status\": \"" + std::string(status) + "\""), std::string::npos) << status;
  }
}

TEST(EvaluateGolden, AllCasesInOneRunShareOneDeviceAndKeepEveryPatientsEntries) {
  std::vector<std::string> files;
  size_t expected_entries = 0;
  for (const fs::path& input : CaseInputs()) {
    files.push_back(input.string());
    auto single = fhir::Json::Parse(ReadText(kCasesDir / (CaseName(input) + ".expected.json")));
    ASSERT_TRUE(single.ok());
    if (const fhir::Json* entries = single->Find("entry")) expected_entries += entries->size() - 1;
  }
  const RunResult run = Evaluate(files);
  ASSERT_EQ(run.code, 0) << run.err;
  auto bundle = fhir::Json::Parse(run.out);
  ASSERT_TRUE(bundle.ok());
  const fhir::Json& entries = *bundle->Find("entry");
  EXPECT_EQ(entries.size(), expected_entries + 1);
  EXPECT_EQ(entries[0].At({"resource", "resourceType"})->AsString(), "Device");
  // Deterministic: the same input again gives the same bytes, whatever the file order.
  std::reverse(files.begin(), files.end());
  EXPECT_EQ(Evaluate(files).out, run.out);
}

TEST(EvaluateGolden, OutOfScopeAndOfflineRetractionWriteNothing) {
  for (const char* name : {"out-of-scope-tamoxifen", "retracted-course"}) {
    const RunResult run = Evaluate({(kCasesDir / (std::string(name) + ".in.json")).string()});
    EXPECT_EQ(run.out, "{\n  \"resourceType\": \"Bundle\",\n  \"type\": \"transaction\"\n}\n")
        << name;
  }
}

TEST(EvaluateGolden, RejectedResourceIsReportedOnStderrAndDoesNotFail) {
  const RunResult run = Evaluate({(kCasesDir / "transaction-urn-references.in.json").string()});
  EXPECT_EQ(run.code, 0);
  EXPECT_NE(run.err.find("transaction-urn-references.in.json: entry[6]: rejected: "
                         "Observation/bw-14-bad: valueString"),
            std::string::npos)
      << run.err;
}

TEST(EvaluateGolden, SummaryNamesPatientRulePrioritySinceAndText) {
  const RunResult run = Evaluate({(kCasesDir / "osteoporosis.in.json").string(),
                                  (kCasesDir / "out-of-scope-tamoxifen.in.json").string()},
                                 EvaluateFormat::kSummary);
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.out,
            "PATIENT  RULE                      PRIORITY  SINCE       TEXT\n"
            "bw-02    osteoporosis              PH        2025-06-01  Lowest T-score \u22122.7 "
            "(total hip, 2025-05-20): osteoporosis range; consider bone-directed therapy\n"
            "bw-02    antiresorptive-indicated  PH        2025-06-01  Bone-directed therapy "
            "indicated: lowest T-score \u22122.7 (2025-05-20). No current antiresorptive therapy: "
            "consider a bisphosphonate or denosumab\n"
            "\n"
            "2 patient(s) read: 1 in scope (1 on an active aromatase inhibitor course, 0 course "
            "ended, 0 retracted), 1 out of scope; 2 active finding(s)\n");
}

}  // namespace
}  // namespace bonewatch::adapter
