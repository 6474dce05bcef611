#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "bonewatch/mappings/mapping_set.h"
#include "test_paths.h"

namespace bonewatch::mappings {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

// A temporary extra mapping directory holding the given files.
class ExtraDir {
 public:
  explicit ExtraDir(const std::string& name) {
    path_ = std::filesystem::temp_directory_path() /
            ("bw_map_" + name + "_" +
             std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ExtraDir() { std::filesystem::remove_all(path_); }
  void Write(const std::string& file, const std::string& text) {
    std::ofstream(path_ / file) << text;
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

LoadReport LoadWith(const ExtraDir& dir) {
  return LoadMappingsReport(
      LoadOptions{std::string(kDefaultBase), testing::DefaultMappingsDir(), dir.path()});
}

// A ConceptMap with one group mapping `code` in `source` to `target_json`.
std::string OneElementMap(const std::string& source, const std::string& target_cs,
                          const std::string& element_json) {
  return R"({"resourceType": "ConceptMap", "id": "local", "group": [{"source": ")" + source +
         R"(", "target": "http://bonewatch.example/fhir/CodeSystem/)" + target_cs +
         R"(", "element": [)" + element_json + "]}]}";
}

std::string Errors(const LoadReport& report) {
  std::string out;
  for (const auto& e : report.errors) out += e.ToString() + "\n";
  return out;
}

TEST(LoaderTest, DefaultsLoadAndCoverSpecCodes) {
  auto set =
      LoadMappings(LoadOptions{std::string(kDefaultBase), testing::DefaultMappingsDir(), ""});
  ASSERT_TRUE(set.ok()) << set.status().message();
  const auto* t = set->FindObservation("http://loinc.org", "38267-1");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->kind, rules::Concept::kDxaTScore);
  EXPECT_EQ(t->site, rules::Site::kLumbarSpine);
  EXPECT_FALSE(t->site_refinable);
  const auto* femur = set->FindObservation("http://loinc.org", "38263-0");
  ASSERT_NE(femur, nullptr);
  EXPECT_EQ(femur->site, rules::Site::kFemoralNeck);
  EXPECT_TRUE(femur->site_refinable);
  EXPECT_EQ(set->FindRiskFactor("http://hl7.org/fhir/sid/icd-10-cm", "M80.08XA"),
            rules::RiskFactorKind::kFragilityFracture);
  EXPECT_EQ(set->FindRiskFactor("http://hl7.org/fhir/sid/icd-10-cm", "F17.210"),
            rules::RiskFactorKind::kSmoker);
  EXPECT_EQ(set->FindRiskFactor("http://hl7.org/fhir/sid/icd-10-cm", "F17.1"), std::nullopt);
  EXPECT_EQ(set->FindRiskFactor("http://hl7.org/fhir/sid/icd-10-cm", "M81.0"), std::nullopt);
  EXPECT_TRUE(set->IsDxaProcedure("http://www.ama-assn.org/go/cpt", "77081"));
  ASSERT_NE(set->FindMedication("http://www.nlm.nih.gov/research/umls/rxnorm", "262485"), nullptr);
  EXPECT_EQ(
      set->FindMedication("http://www.nlm.nih.gov/research/umls/rxnorm", "262485")->ingredient,
      "anastrozole");
  EXPECT_EQ(set->Conversion(rules::Concept::kCtx, "ng/mL")->Apply(1.0), 1000.0);
  EXPECT_EQ(set->Conversion(rules::Concept::kDxaTScore, "{t-SCORE}")->Apply(1.0), 1.0);
  EXPECT_EQ(set->Conversion(rules::Concept::kCtx, "mg/dL"), std::nullopt);
  EXPECT_EQ(set->CanonicalUnit(rules::Concept::kVitaminD25oh), "ng/mL");
  EXPECT_TRUE(set->IsCurrentSmokerAnswer("http://loinc.org", "72166-2", "http://snomed.info/sct",
                                         "449868002"));
  EXPECT_FALSE(set->IsCurrentSmokerAnswer("http://loinc.org", "72166-2", "http://snomed.info/sct",
                                          "8517006"));
  EXPECT_THAT(set->files(), SizeIs(8));
}

TEST(LoaderTest, CriteriaListsFollowTheMappings) {
  auto set =
      LoadMappings(LoadOptions{std::string(kDefaultBase), testing::DefaultMappingsDir(), ""});
  ASSERT_TRUE(set.ok());
  const auto lists = set->CriteriaLists();
  ASSERT_THAT(lists, SizeIs(5));
  EXPECT_EQ(lists[0].resource_type, "Observation");
  EXPECT_THAT(lists[0].codes, ::testing::Contains(CriteriaCode{"http://loinc.org", "72166-2"}));
  EXPECT_THAT(lists[0].codes, ::testing::Contains(CriteriaCode{"http://loinc.org", "41171-0"}));
  // 37 concept codes, the smoking status and the DXA panel 83311-1 (searched by code= too).
  EXPECT_THAT(lists[0].codes, ::testing::Contains(CriteriaCode{"http://loinc.org", "83311-1"}));
  EXPECT_THAT(lists[0].codes, SizeIs(39));
  EXPECT_EQ(lists[2].resource_type, "MedicationRequest");
  EXPECT_THAT(lists[2].codes,
              ::testing::Contains(CriteriaCode{"http://www.whocc.no/atc", "L02BG03"}));
  EXPECT_EQ(lists[3].resource_type, "Condition");
  EXPECT_TRUE(lists[3].has_prefix_codes);
  EXPECT_THAT(lists[4].codes, SizeIs(4));
}

TEST(LoaderTest, LocalCodeIsAdded) {
  ExtraDir dir("add");
  dir.Write("labs.json", OneElementMap("http://hospital.example/labs", "concept",
                                       R"({"code": "CTX-S", "target": [{"code": "ctx"}]})"));
  auto report = LoadWith(dir);
  ASSERT_TRUE(report.mappings) << Errors(report);
  const auto* m = report.mappings->FindObservation("http://hospital.example/labs", "CTX-S");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->kind, rules::Concept::kCtx);
}

// Issue 13 item 1: IT teams declare their local DXA panel codes. A declared panel is searched
// and subscribed to by code= as well (servers without component-code search find it too).
TEST(LoaderTest, LocalDxaPanelCodeIsDeclaredAndSearched) {
  ExtraDir dir("panel");
  dir.Write("panels.json",
            OneElementMap("http://hospital.example/rad", "concept",
                          R"({"code": "DXA-PANEL", "target": [{"code": "dxa-panel"}]})"));
  auto report = LoadWith(dir);
  ASSERT_TRUE(report.mappings) << Errors(report);
  const MappingSet::ObservationCodeMappings found =
      report.mappings->FindObservationCode("http://hospital.example/rad", "DXA-PANEL");
  EXPECT_TRUE(found.dxa_panel);
  EXPECT_EQ(found.observation, nullptr);  // no value of its own
  EXPECT_EQ(report.mappings->FindObservation("http://hospital.example/rad", "DXA-PANEL"), nullptr);
  EXPECT_TRUE(report.mappings->FindObservationCode("http://loinc.org", "83311-1").dxa_panel);
  EXPECT_FALSE(report.mappings->FindObservationCode("http://loinc.org", "38267-1").dxa_panel);
  EXPECT_THAT(report.mappings->CriteriaLists()[0].codes,
              ::testing::Contains(CriteriaCode{"http://hospital.example/rad", "DXA-PANEL"}));
}

TEST(LoaderTest, MalformedJsonNamesFileAndOffset) {
  ExtraDir dir("malformed");
  dir.Write("broken.json", R"({"resourceType": "ConceptMap", "group": [})");
  auto report = LoadWith(dir);
  EXPECT_FALSE(report.mappings);
  EXPECT_THAT(Errors(report), HasSubstr("broken.json: invalid JSON at offset"));
}

TEST(LoaderTest, NotAConceptMap) {
  ExtraDir dir("notcm");
  dir.Write("vs.json", R"({"resourceType": "ValueSet", "id": "x"})");
  auto report = LoadWith(dir);
  EXPECT_FALSE(report.mappings);
  EXPECT_THAT(Errors(report),
              HasSubstr("vs.json: resourceType: not a ConceptMap: resourceType is 'ValueSet'"));
}

struct BadElementCase {
  std::string name;
  std::string source;
  std::string target_cs;
  std::string element;
  std::string expected;  // substring of the error, after the file name
};

class BadElementTest : public ::testing::TestWithParam<BadElementCase> {};

TEST_P(BadElementTest, ErrorNamesFileElementAndReason) {
  const BadElementCase& c = GetParam();
  ExtraDir dir(c.name);
  dir.Write("local.json", OneElementMap(c.source, c.target_cs, c.element));
  auto report = LoadWith(dir);
  EXPECT_FALSE(report.mappings) << "a bad file must fail the whole load";
  ASSERT_THAT(report.errors, SizeIs(1)) << Errors(report);
  EXPECT_THAT(report.errors[0].file, HasSubstr("local.json"));
  EXPECT_THAT(report.errors[0].ToString(), HasSubstr(c.expected));
}

INSTANTIATE_TEST_SUITE_P(
    Validation, BadElementTest,
    ::testing::Values(
        BadElementCase{"unknown_concept", "http://hospital.example/labs", "concept",
                       R"({"code": "CTX-S", "target": [{"code": "ctx-serum"}]})",
                       "group[0].element[0] (http://hospital.example/labs|CTX-S): unknown target "
                       "concept 'ctx-serum'"},
        BadElementCase{"unknown_class", "http://hospital.example/drugs", "medication-class",
                       R"({"code": "D1", "target": [{"code": "ssri", "product": [{"property":
                           "http://bonewatch.example/fhir/concept-property/ingredient",
                           "value": "x"}]}]})",
                       "group[0].element[0] (http://hospital.example/drugs|D1): unknown "
                       "medication class 'ssri'"},
        BadElementCase{"unknown_risk", "http://hospital.example/dx", "risk-factor",
                       R"({"code": "X1", "target": [{"code": "diabetes"}]})",
                       "group[0].element[0] (http://hospital.example/dx|X1): unknown risk factor "
                       "'diabetes'"},
        BadElementCase{
            "unknown_site", "http://hospital.example/labs", "concept",
            R"({"code": "T1", "target": [{"code": "dxa-t-score", "product": [{"property":
                           "http://bonewatch.example/fhir/concept-property/site",
                           "value": "knee"}]}]})",
            "group[0].element[0] (http://hospital.example/labs|T1): unknown site 'knee'"},
        BadElementCase{
            "unknown_body_site", "http://snomed.info/sct", "site",
            R"({"code": "72696002", "target": [{"code": "knee"}]})",
            "group[0].element[0] (http://snomed.info/sct|72696002): unknown site 'knee'"},
        BadElementCase{"duplicate_across_files", "http://loinc.org", "concept",
                       R"({"code": "41171-0", "target": [{"code": "ctx"}]})",
                       "group[0].element[0] (http://loinc.org|41171-0): duplicate source code: "
                       "already mapped by"},
        BadElementCase{"conflict_across_files", "http://loinc.org", "concept",
                       R"({"code": "41171-0", "target": [{"code": "p1np"}]})",
                       "group[0].element[0] (http://loinc.org|41171-0): conflicting source code: "
                       "mapped here to p1np but"},
        BadElementCase{"wildcard_without_extension", "http://hl7.org/fhir/sid/icd-10-cm",
                       "risk-factor",
                       R"({"code": "M81.*", "target": [{"code": "fragility-fracture"}]})",
                       "(http://hl7.org/fhir/sid/icd-10-cm|M81.*): the code contains '*' but the "
                       "element has no code-match extension"},
        BadElementCase{
            "panel_with_site", "http://hospital.example/rad", "concept",
            R"({"code": "P1", "target": [{"code": "dxa-panel", "product": [{"property":
                           "http://bonewatch.example/fhir/concept-property/site",
                           "value": "total-hip"}]}]})",
            "group[0].element[0] (http://hospital.example/rad|P1): this target takes no product "
            "or dependsOn properties"},
        BadElementCase{"panel_code_already_a_concept", "http://loinc.org", "concept",
                       R"({"code": "38267-1", "target": [{"code": "dxa-panel"}]})",
                       "group[0].element[0] (http://loinc.org|38267-1): conflicting source code: "
                       "mapped here to dxa-panel but"},
        BadElementCase{"unknown_target_system", "http://loinc.org", "thing",
                       R"({"code": "1-1", "target": [{"code": "ctx"}]})",
                       "group[0].target: 'http://bonewatch.example/fhir/CodeSystem/thing' is not a "
                       "BoneWatch code system"}),
    [](const ::testing::TestParamInfo<BadElementCase>& param_info) {
      return param_info.param.name;
    });

TEST(LoaderTest, DuplicateWithinOneFile) {
  ExtraDir dir("dup_in_file");
  dir.Write("local.json", OneElementMap("http://hospital.example/labs", "concept",
                                        R"({"code": "A", "target": [{"code": "ctx"}]},
                             {"code": "A", "target": [{"code": "ntx"}]})"));
  auto report = LoadWith(dir);
  EXPECT_FALSE(report.mappings);
  EXPECT_THAT(Errors(report),
              HasSubstr("group[0].element[1] (http://hospital.example/labs|A): conflicting source "
                        "code: mapped here to ntx but"));
  EXPECT_THAT(
      Errors(report),
      HasSubstr("local.json group[0].element[0] (http://hospital.example/labs|A) maps it to ctx"));
}

std::string UnitsFile(const std::string& accept_json, const std::string& canonical = "") {
  return R"({"resourceType": "BoneWatchUnits", "concept": [{"concept": "ctx", )" +
         (canonical.empty() ? "" : R"("canonical": ")" + canonical + R"(", )") + R"("accept": [)" +
         accept_json + "]}]}";
}

TEST(LoaderTest, LocalUnitIsAdded) {
  ExtraDir dir("unit_ok");
  dir.Write("units-local.json", UnitsFile(R"({"unit": "pg/dL", "multiply": 10})"));
  auto report = LoadWith(dir);
  ASSERT_TRUE(report.mappings) << Errors(report);
  EXPECT_EQ(report.mappings->Conversion(rules::Concept::kCtx, "pg/dL")->Apply(1.0), 10.0);
}

TEST(LoaderTest, UnknownUnit) {
  ExtraDir dir("unit_unknown");
  dir.Write("units-local.json", UnitsFile(R"({"unit": "mcg/L", "multiply": 1000})"));
  auto report = LoadWith(dir);
  EXPECT_FALSE(report.mappings);
  EXPECT_THAT(Errors(report), HasSubstr("units-local.json: concept[0] (ctx).accept[0] 'mcg/L': "
                                        "unknown unit 'mcg/L': 'mcg' is not a UCUM unit"));
}

TEST(LoaderTest, WrongCanonicalUnit) {
  ExtraDir dir("unit_canonical");
  dir.Write("units-local.json", UnitsFile(R"({"unit": "pg/dL", "multiply": 10})", "ng/mL"));
  auto report = LoadWith(dir);
  EXPECT_FALSE(report.mappings);
  EXPECT_THAT(Errors(report), HasSubstr("concept[0] (ctx).canonical: unknown unit 'ng/mL': the "
                                        "canonical unit of ctx is 'ng/L'"));
}

TEST(LoaderTest, NonPositiveFactor) {
  ExtraDir dir("unit_factor");
  dir.Write("units-local.json", UnitsFile(R"({"unit": "pg/dL", "multiply": 0})"));
  auto report = LoadWith(dir);
  EXPECT_FALSE(report.mappings);
  EXPECT_THAT(Errors(report), HasSubstr("concept[0] (ctx).accept[0] 'pg/dL': the conversion factor "
                                        "must be a positive number, got 0"));
  ExtraDir dir2("unit_factor_neg");
  dir2.Write("u.json", UnitsFile(R"({"unit": "pg/dL", "divide": -2.5})"));
  EXPECT_THAT(Errors(LoadWith(dir2)), HasSubstr("must be a positive number, got -2.5"));
}

TEST(LoaderTest, ConflictingUnit) {
  ExtraDir dir("unit_conflict");
  dir.Write("units-local.json", UnitsFile(R"({"unit": "ng/mL", "multiply": 1})"));
  auto report = LoadWith(dir);
  EXPECT_FALSE(report.mappings);
  EXPECT_THAT(Errors(report), HasSubstr("conflicting unit: factor 1 here but 1000 in"));
}

TEST(LoaderTest, AllErrorsAreCollected) {
  ExtraDir dir("many");
  dir.Write("a.json", "{");
  dir.Write("b.json", OneElementMap("http://x", "concept",
                                    R"({"code": "1", "target": [{"code": "nope"}]},
                                       {"code": "2", "target": [{"code": "nope2"}]})"));
  auto report = LoadWith(dir);
  EXPECT_FALSE(report.mappings);
  EXPECT_THAT(report.errors, SizeIs(3)) << Errors(report);
  auto status = LoadMappings(
      LoadOptions{std::string(kDefaultBase), testing::DefaultMappingsDir(), dir.path()});
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.status().message(), HasSubstr("nope2"));
}

TEST(LoaderTest, ConfiguredBaseAcceptsShippedFilesAndItsOwnUris) {
  ExtraDir dir("base");
  dir.Write("labs.json",
            R"({"resourceType": "ConceptMap", "group": [{"source": "http://h/labs",
                "target": "https://bw.hospital.org/fhir/CodeSystem/concept",
                "element": [{"code": "C", "target": [{"code": "ctx"}]}]}]})");
  auto set = LoadMappings(
      LoadOptions{"https://bw.hospital.org/fhir", testing::DefaultMappingsDir(), dir.path()});
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_NE(set->FindObservation("http://h/labs", "C"), nullptr);
  EXPECT_EQ(set->base(), "https://bw.hospital.org/fhir");
}

TEST(LoaderTest, MissingDirectory) {
  auto report = LoadMappingsReport(LoadOptions{std::string(kDefaultBase), "/nonexistent/dir", ""});
  EXPECT_FALSE(report.mappings);
  EXPECT_THAT(Errors(report), HasSubstr("/nonexistent/dir: not a directory"));
}

}  // namespace
}  // namespace bonewatch::mappings
