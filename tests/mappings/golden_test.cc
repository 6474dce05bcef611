// Golden mapping cases: tests/mappings/cases/<name>.in.json ->
// <name>.expected.json (MapResultToJson, pretty-printed).
//
// An input is a FHIR resource (expected: one result), a Bundle (every entry is
// mapped with references resolved against the Bundle; expected: an array), or
// a test wrapper {"options": {"utcOffsetMinutes": N | "timeZone": "Area/City", ...},
// "input": ...}.
// Every case uses the shipped defaults plus tests/mappings/local-mappings.
// With BONEWATCH_UPDATE_GOLDEN=1 the expected files are rewritten: review
// every change by hand against the spec.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bonewatch/mappings/mapper.h"
#include "bundle_resolver.h"
#include "test_paths.h"

namespace bonewatch::mappings {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(testing::CasesDir())) {
    const std::string file = entry.path().filename().string();
    const std::string suffix = ".in.json";
    if (file.size() > suffix.size() && file.ends_with(suffix)) {
      names.push_back(file.substr(0, file.size() - suffix.size()));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

MapperOptions ReadOptions(const fhir::Json* options) {
  MapperOptions out;
  if (options == nullptr) return out;
  out.time_zone = fhir::TimeZone::FixedOffset(
      static_cast<int>(options->GetInt64("utcOffsetMinutes").value_or(0)));
  if (const fhir::Json* name = options->Find("timeZone"); name != nullptr) {
    StatusOr<fhir::TimeZone> zone = fhir::TimeZone::Named(name->AsString());
    if (zone.ok()) {
      out.time_zone = *zone;
    } else {
      ADD_FAILURE() << zone.status().message();
    }
  }
  out.medication_request_enabled = options->GetBool("medicationRequest").value_or(true);
  out.condition_enabled = options->GetBool("condition").value_or(true);
  out.procedure_enabled = options->GetBool("procedure").value_or(true);
  return out;
}

const MappingSet& Mappings() {
  static const MappingSet* set = [] {
    auto loaded = LoadMappings(LoadOptions{std::string(kDefaultBase), testing::DefaultMappingsDir(),
                                           testing::LocalMappingsDir()});
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.status().message();
      std::abort();
    }
    return new MappingSet(*std::move(loaded));
  }();
  return *set;
}

fhir::Json MapCase(const fhir::Json& in) {
  const fhir::Json* input = &in;
  const fhir::Json* options = nullptr;
  if (!in.Has("resourceType")) {
    options = in.Find("options");
    input = in.Find("input");
  }
  Mapper mapper(Mappings(), ReadOptions(options));
  if (input->GetString("resourceType") != "Bundle") {
    return MapResultToJson(mapper.Map(*input));
  }
  testing::BundleResolver resolver;
  resolver.AddBundle(*input);
  const ReferenceResolver resolve = resolver.AsResolver();
  fhir::Json results = fhir::Json::Array();
  for (const fhir::Json& entry : input->Find("entry")->elements()) {
    results.Push(MapResultToJson(mapper.Map(*entry.Find("resource"), resolve)));
  }
  return results;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesExpected) {
  const std::filesystem::path dir = testing::CasesDir();
  const std::string name = GetParam();
  auto in = fhir::Json::Parse(ReadFile(dir / (name + ".in.json")));
  ASSERT_TRUE(in.ok()) << name << ": " << in.status().message();
  const std::string actual = MapCase(*in).SerializePretty() + "\n";
  const std::filesystem::path expected_path = dir / (name + ".expected.json");
  const char* update = std::getenv("BONEWATCH_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(expected_path, std::ios::binary) << actual;
    return;
  }
  ASSERT_TRUE(std::filesystem::exists(expected_path))
      << expected_path << " is missing (run with BONEWATCH_UPDATE_GOLDEN=1, then review it)";
  EXPECT_EQ(actual, ReadFile(expected_path)) << "case " << name;
}

INSTANTIATE_TEST_SUITE_P(Cases, GoldenTest, ::testing::ValuesIn(CaseNames()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string n = param_info.param;
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace bonewatch::mappings
