// Whole real Synthea transaction Bundles from ../shared/data/synthea: they
// must parse, read as Bundles, keep exact decimals and round-trip byte-exact.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "bonewatch/fhir/bundle.h"
#include "bonewatch/fhir/reference.h"

namespace bonewatch::fhir {
namespace {

const std::filesystem::path kSyntheaDir =
    std::filesystem::path(BONEWATCH_SHARED_DIR) / "data" / "synthea";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(SyntheaBundleTest, CountsEntriesByResourceType) {
  const auto path = kSyntheaDir / "Lyn897_Schiller186_44b9bd8f-2fe3-4c5b-b9c7-8a8993084b07.json";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "fixture missing: " << path;
  auto json = Json::Parse(ReadFile(path));
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  auto bundle = ReadBundle(std::move(json).value());
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  EXPECT_EQ(bundle->type, BundleType::kTransaction);
  std::map<std::string, int> counts;
  for (const BundleEntry& e : bundle->entries) ++counts[e.ResourceType()];
  EXPECT_EQ(bundle->entries.size(), 417u);
  EXPECT_EQ(counts["Patient"], 1);
  EXPECT_EQ(counts["Procedure"], 91);
  EXPECT_EQ(counts["Observation"], 81);
  EXPECT_EQ(counts["DiagnosticReport"], 75);
  EXPECT_EQ(counts["Encounter"], 70);
  EXPECT_EQ(bundle->entries[0].request->method, "POST");
  EXPECT_EQ(bundle->entries[0].request->url, "Patient");
}

TEST(SyntheaBundleTest, EveryFileReadsAndRoundTripsByteExact) {
  if (!std::filesystem::exists(kSyntheaDir)) GTEST_SKIP() << "fixtures missing";
  int files = 0;
  for (const auto& file : std::filesystem::directory_iterator(kSyntheaDir)) {
    if (file.path().extension() != ".json") continue;
    ++files;
    SCOPED_TRACE(file.path().filename().string());
    const std::string text = ReadFile(file.path());
    auto json = Json::Parse(text);
    ASSERT_TRUE(json.ok()) << json.status().ToString();
    // Serialize -> parse -> serialize is a fixed point, and pretty output
    // parses back to the same value.
    const std::string compact = json->Serialize();
    auto again = Json::Parse(compact);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->Serialize(), compact);
    EXPECT_EQ(*Json::Parse(json->SerializePretty()), *json);
    auto bundle = ReadBundle(std::move(json).value());
    ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
    EXPECT_GT(bundle->entries.size(), 100u);
    // Every entry of a Synthea transaction is a POST with a urn:uuid fullUrl.
    for (const BundleEntry& e : bundle->entries) {
      ASSERT_TRUE(e.request.has_value());
      EXPECT_TRUE(e.full_url.starts_with("urn:uuid:")) << e.full_url;
    }
  }
  EXPECT_GE(files, 10);
}

TEST(SyntheaBundleTest, ReferencesAllParse) {
  const auto path = kSyntheaDir / "Alexia_Senger_a5f5a550-b13e-4f92-b194-6d118f67fcdb.json";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "fixture missing: " << path;
  auto json = Json::Parse(ReadFile(path));
  ASSERT_TRUE(json.ok());
  // Walk the tree and parse every "reference" string member.
  int parsed = 0;
  std::vector<const Json*> stack = {&*json};
  while (!stack.empty()) {
    const Json* v = stack.back();
    stack.pop_back();
    for (const Json& e : v->elements()) stack.push_back(&e);
    for (const Json::Member& m : v->members()) {
      if (m.key == "reference" && m.value.is_string()) {
        auto ref = ParseReference(m.value.AsString());
        EXPECT_TRUE(ref.ok()) << ref.status().ToString();
        ++parsed;
      }
      stack.push_back(&m.value);
    }
  }
  EXPECT_GT(parsed, 500);
}

}  // namespace
}  // namespace bonewatch::fhir
