// `bonewatch check-config` validates the shipped mappings and, with
// --mappings DIR, local mapping files over them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli.h"

namespace bonewatch::adapter {
namespace {

using ::testing::HasSubstr;

int RunBonewatch(std::vector<std::string> args, std::string* out, std::string* err) {
  args.insert(args.begin(), "bonewatch");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int rc = RunCli(static_cast<int>(argv.size()), argv.data());
  *out = ::testing::internal::GetCapturedStdout();
  *err = ::testing::internal::GetCapturedStderr();
  return rc;
}

TEST(CheckConfigTest, ValidatesShippedMappings) {
  std::string out, err;
  EXPECT_EQ(RunBonewatch({"check-config"}, &out, &err), 0) << err;
  EXPECT_THAT(
      out, HasSubstr("observation-concepts.json: OK (ConceptMap observation-concepts, 38 codes)"));
  EXPECT_THAT(out, HasSubstr("units.json: OK (BoneWatchUnits"));
}

TEST(CheckConfigTest, ValidatesLocalMappingsOverTheDefaults) {
  std::string out, err;
  const std::string dir = std::string(BONEWATCH_SOURCE_DIR) + "/tests/mappings/local-mappings";
  EXPECT_EQ(RunBonewatch({"check-config", "--mappings", dir}, &out, &err), 0) << err;
  EXPECT_THAT(out, HasSubstr("local-labs.json: OK (ConceptMap hospital-labs, 1 codes)"));
}

TEST(CheckConfigTest, ReportsMappingErrorsAndFails) {
  const auto dir = std::filesystem::temp_directory_path() / "bw_check_config_bad_mappings";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "labs.json")
      << R"({"resourceType": "ConceptMap", "group": [{"source": "http://hospital.example/labs",
            "target": "http://bonewatch.example/fhir/CodeSystem/concept",
            "element": [{"code": "CTX-S", "target": [{"code": "ctx-serum"}]}]}]})";
  std::string out, err;
  EXPECT_EQ(RunBonewatch({"check-config", "--mappings", dir.string()}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr("labs.json: group[0].element[0] (http://hospital.example/labs|CTX-S): "
                             "unknown target concept 'ctx-serum'"));
  EXPECT_THAT(err, HasSubstr("nothing was loaded"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bonewatch::adapter
