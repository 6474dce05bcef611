#include "medication_cache.h"

#include <gtest/gtest.h>

namespace bonewatch::adapter {
namespace {

fhir::Json Medication(const std::string& code) {
  return fhir::Json::Object().Set("resourceType", "Medication").Set("id", code);
}

TEST(MedicationCache, KeepsAtMostItsCapacityDroppingTheLeastRecentlyUsed) {
  MedicationCache cache(2);
  cache.Put("a", {Medication("a"), "1"});
  cache.Put("b", {Medication("b"), "1"});
  ASSERT_NE(cache.Find("a"), nullptr);  // a is now the most recently used
  cache.Put("c", {Medication("c"), "1"});
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.Find("b"), nullptr);
  EXPECT_NE(cache.Find("a"), nullptr);
  EXPECT_NE(cache.Find("c"), nullptr);
}

TEST(MedicationCache, MissingIsRememberedAndInvalidateForgets) {
  MedicationCache cache(10);
  cache.Put("gone", {std::nullopt, ""});
  const MedicationCache::Entry* entry = cache.Find("gone");
  ASSERT_NE(entry, nullptr);
  EXPECT_FALSE(entry->resource.has_value());
  cache.Put("gone", {Medication("gone"), "2"});  // replaced in place
  EXPECT_EQ(cache.Find("gone")->version_id, "2");
  cache.Invalidate("gone");
  EXPECT_EQ(cache.Find("gone"), nullptr);
  cache.Invalidate("never");  // harmless
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ServerMedicationId, RelativeAndAbsoluteOnTheServerOnly) {
  const std::string base = "https://fhir.example.org/r4/";
  EXPECT_EQ(ServerMedicationId("Medication/123", base), "123");
  EXPECT_EQ(ServerMedicationId("Medication/123/_history/4", base), "123");
  EXPECT_EQ(ServerMedicationId("https://fhir.example.org/r4/Medication/abc", base), "abc");
  EXPECT_EQ(ServerMedicationId("https://other.example.org/r4/Medication/abc", base), std::nullopt);
  EXPECT_EQ(ServerMedicationId("https://fhir.example.org/r4x/Medication/abc", base), std::nullopt);
  EXPECT_EQ(ServerMedicationId("#med1", base), std::nullopt);
  EXPECT_EQ(ServerMedicationId("urn:uuid:0b6f1a9e-0000-4000-8000-000000000001", base),
            std::nullopt);
  EXPECT_EQ(ServerMedicationId("Substance/1", base), std::nullopt);
  EXPECT_EQ(ServerMedicationId("Medication/bad id!", base), std::nullopt);
}

}  // namespace
}  // namespace bonewatch::adapter
