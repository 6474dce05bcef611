// Robustness on third-party Synthea bundles (../shared/data/synthea): every
// bundle maps without a crash, and the facts listed in SOURCES.md come out.
// Each bundle is parsed and mapped once per test binary.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bonewatch/mappings/mapper.h"
#include "bundle_resolver.h"
#include "test_paths.h"

namespace bonewatch::mappings {
namespace {

using rules::Concept;
using rules::MedicationClass;

struct MappedBundle {
  std::vector<MapResult> results;
  MapCounters counters;
  std::string patient_id;
};

const std::map<std::string, MappedBundle>& AllBundles() {
  static const auto* bundles = [] {
    auto* out = new std::map<std::string, MappedBundle>();
    auto set =
        LoadMappings(LoadOptions{std::string(kDefaultBase), testing::DefaultMappingsDir(), ""});
    if (!set.ok()) return out;
    for (const auto& entry : std::filesystem::directory_iterator(testing::SyntheaDir())) {
      if (entry.path().extension() != ".json") continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      auto bundle = fhir::Json::Parse(text.str());
      if (!bundle.ok()) continue;
      testing::BundleResolver resolver;
      resolver.AddBundle(*bundle);
      const ReferenceResolver resolve = resolver.AsResolver();
      Mapper mapper(*set, MapperOptions{});
      MappedBundle mapped;
      for (const fhir::Json& e : bundle->Find("entry")->elements()) {
        mapped.results.push_back(mapper.Map(*e.Find("resource"), resolve));
        if (mapped.results.back().demographics)
          mapped.patient_id = mapped.results.back().patient_id;
      }
      mapped.counters = mapper.Counters();
      const std::string name = entry.path().filename().string();
      (*out)[name.substr(0, name.find('_'))] = std::move(mapped);
    }
    return out;
  }();
  return *bundles;
}

// The Synthea bundles live in ../shared beside the checkout (CI lays it there); a checkout
// without them skips these tests, as tests/fhir's Synthea tests do, instead of aborting.
class SyntheaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(testing::SyntheaDir())) {
      GTEST_SKIP() << "fixtures missing: " << testing::SyntheaDir();
    }
  }
};

const MappedBundle& Bundle(const std::string& first_name) {
  const auto& all = AllBundles();
  auto it = all.find(first_name);
  if (it == all.end()) {
    ADD_FAILURE() << first_name << " bundle not loaded";
    static const MappedBundle empty;
    return empty;
  }
  return it->second;
}

std::vector<rules::Fact> Facts(const MappedBundle& b, Concept kind) {
  std::vector<rules::Fact> out;
  for (const auto& r : b.results) {
    for (const auto& f : r.facts) {
      if (f.kind == kind) out.push_back(f);
    }
  }
  return out;
}

std::vector<rules::MedicationUse> Medications(const MappedBundle& b, MedicationClass cls) {
  std::vector<rules::MedicationUse> out;
  for (const auto& r : b.results) {
    for (const auto& m : r.medications) {
      if (m.medication_class == cls) out.push_back(m);
    }
  }
  return out;
}

TEST_F(SyntheaTest, EveryBundleMapsAndOnlyExpectedRejections) {
  ASSERT_EQ(AllBundles().size(), 10u);
  for (const auto& [name, b] : AllBundles()) {
    EXPECT_FALSE(b.patient_id.empty()) << name;
    for (const auto& r : b.results) {
      // Every mapped or retracted result belongs to the bundle's patient.
      if (r.outcome == MapOutcome::kMapped) {
        EXPECT_EQ(r.patient_id, b.patient_id) << r.reason;
      }
      EXPECT_NE(r.outcome, MapOutcome::kRejected) << name << ": " << r.reason;
    }
  }
}

TEST_F(SyntheaTest, Lyn897HasOneExemestaneStatementAndTwoDxaProcedures) {
  const MappedBundle& b = Bundle("Lyn897");
  const auto ai = Medications(b, MedicationClass::kAromataseInhibitor);
  ASSERT_EQ(ai.size(), 1u);
  EXPECT_EQ(ai[0].ingredient, "exemestane");
  EXPECT_EQ(ai[0].source.resource_type, "MedicationStatement");
  EXPECT_EQ(ai[0].status, rules::MedicationStatus::kCompleted);
  // 2018-03-25T18:03:59-04:00 is 2018-03-25 22:03 UTC; completed with no end ends on its start.
  EXPECT_EQ(ai[0].start.ToString(), "2018-03-25");
  EXPECT_EQ(ai[0].end->ToString(), "2018-03-25");
  const auto dxa = Facts(b, Concept::kDxaProcedure);
  ASSERT_EQ(dxa.size(), 2u);
  EXPECT_EQ(dxa[0].effective.ToString(), "2019-02-24");  // 17:03-05:00 = 22:03 UTC
  EXPECT_EQ(dxa[1].effective.ToString(), "2020-01-19");
}

TEST_F(SyntheaTest, Vanita165HasForearmTScoreAndBisphosphonateRequests) {
  const MappedBundle& b = Bundle("Vanita165");
  const auto t = Facts(b, Concept::kDxaTScore);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].site, rules::Site::kForearm);  // LOINC 38265-5
  EXPECT_NEAR(*t[0].value, -2.6432, 1e-9);
  EXPECT_EQ(t[0].effective.ToString(), "2021-02-06");
  const auto bp = Medications(b, MedicationClass::kBisphosphonate);
  EXPECT_EQ(bp.size(), 6u);  // 6x MedicationRequest 904419
  for (const auto& m : bp) {
    EXPECT_EQ(m.ingredient, "alendronate");
    EXPECT_EQ(m.source.resource_type, "MedicationRequest");
  }
  EXPECT_EQ(Facts(b, Concept::kDxaProcedure).size(), 1u);
  // Osteoporotic fracture of bone (443165006) is a fragility fracture.
  bool fracture = false;
  for (const auto& r : b.results) {
    for (const auto& rf : r.risk_factors) {
      fracture = fracture || rf.kind == rules::RiskFactorKind::kFragilityFracture;
    }
  }
  EXPECT_TRUE(fracture);
  EXPECT_TRUE(Medications(b, MedicationClass::kAromataseInhibitor).empty());
}

TEST_F(SyntheaTest, NegativeControlsHaveNoAromataseInhibitor) {
  for (const char* name : {"Luisa710", "Cherly215", "Lynne528"}) {
    EXPECT_TRUE(Medications(Bundle(name), MedicationClass::kAromataseInhibitor).empty()) << name;
  }
}

TEST_F(SyntheaTest, DxaTScoresMatchSources) {
  const std::map<std::string, std::vector<double>> expected = {{"Lynne528", {-0.23371}},
                                                               {"Charles364", {-0.34503}},
                                                               {"Gonzalo160", {-0.264, -3.51}},
                                                               {"Janene3", {-0.00694}},
                                                               {"Vanita165", {-2.64}},
                                                               {"Alexia", {-3.58}},
                                                               {"Hallie", {-0.0247, -3.31}},
                                                               {"Lyn897", {}},
                                                               {"Luisa710", {}},
                                                               {"Cherly215", {}}};
  for (const auto& [name, values] : expected) {
    const auto t = Facts(Bundle(name), Concept::kDxaTScore);
    ASSERT_EQ(t.size(), values.size()) << name;
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_NEAR(*t[i].value, values[i], 0.006) << name;
      EXPECT_EQ(t[i].site, rules::Site::kForearm) << name;
    }
  }
}

TEST_F(SyntheaTest, BisphosphonateRequestCounts) {
  EXPECT_EQ(Medications(Bundle("Gonzalo160"), MedicationClass::kBisphosphonate).size(), 7u);
  EXPECT_EQ(Medications(Bundle("Alexia"), MedicationClass::kBisphosphonate).size(), 1u);
  EXPECT_EQ(Medications(Bundle("Hallie"), MedicationClass::kBisphosphonate).size(), 1u);
}

TEST_F(SyntheaTest, SmokingStatusObservationsAndCounters) {
  const MappedBundle& b = Bundle("Vanita165");
  size_t smoking = 0;
  for (const auto& r : b.results) {
    for (const auto& rf : r.risk_factors) {
      if (rf.origin == rules::RiskFactorOrigin::kSmokingStatusObservation) {
        ++smoking;
        EXPECT_FALSE(rf.present);  // Ex-smoker
      }
    }
  }
  EXPECT_GT(smoking, 5u);
  const auto& counters = b.counters.by_type;
  ASSERT_TRUE(counters.contains("Observation"));
  EXPECT_GT(counters.at("Observation").ignored.at("code-not-mapped"), 100u);
  EXPECT_TRUE(counters.at("Claim").ignored.contains("type-not-used"));
}

}  // namespace
}  // namespace bonewatch::mappings
