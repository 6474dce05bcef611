// Mapper::Counters(): outcome counts per resource type and reason, also when
// several threads map with one Mapper.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "bonewatch/mappings/mapper.h"
#include "test_paths.h"

namespace bonewatch::mappings {
namespace {

const MappingSet& Mappings() {
  static const MappingSet* set = [] {
    auto loaded =
        LoadMappings(LoadOptions{std::string(kDefaultBase), testing::DefaultMappingsDir(), ""});
    if (!loaded.ok()) {
      ADD_FAILURE() << loaded.status().message();
      std::abort();
    }
    return new MappingSet(*std::move(loaded));
  }();
  return *set;
}

fhir::Json Parse(const char* text) {
  auto parsed = fhir::Json::Parse(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? *std::move(parsed) : fhir::Json();
}

std::vector<fhir::Json> Resources() {
  std::vector<fhir::Json> out;
  out.push_back(Parse(R"({"resourceType":"Patient","id":"p1","gender":"female"})"));
  out.push_back(Parse(R"({"resourceType":"Patient","gender":"female"})"));  // missing-id
  out.push_back(Parse(R"({"resourceType":"Encounter","id":"e1"})"));        // type-not-used
  out.push_back(Parse(R"({"resourceType":"Condition","id":"c1"})"));        // type-disabled
  out.push_back(Parse(R"({"id":"x"})"));                                    // not-a-resource
  out.push_back(Parse(R"([1])"));                                           // not-a-resource
  out.push_back(Parse(
      R"({"resourceType":"Observation","id":"o1","status":"final",)"
      R"("code":{"coding":[{"system":"http://example.org","code":"x"}]}})"));  // code-not-mapped
  return out;
}

MapCounters Expected(uint64_t times) {
  MapCounters c;
  c.by_type["Patient"].mapped = times;
  c.by_type["Patient"].rejected["missing-id"] = times;
  c.by_type["Encounter"].ignored["type-not-used"] = times;
  c.by_type["Condition"].ignored["type-disabled"] = times;
  c.by_type["(unknown)"].rejected["not-a-resource"] = 2 * times;
  c.by_type["Observation"].ignored["code-not-mapped"] = times;
  return c;
}

void ExpectEqual(const MapCounters& actual, const MapCounters& expected) {
  ASSERT_EQ(actual.by_type.size(), expected.by_type.size());
  for (const auto& [type, counts] : expected.by_type) {
    auto it = actual.by_type.find(type);
    ASSERT_NE(it, actual.by_type.end()) << type;
    EXPECT_EQ(it->second.mapped, counts.mapped) << type;
    EXPECT_EQ(it->second.retracted, counts.retracted) << type;
    EXPECT_EQ(it->second.ignored, counts.ignored) << type;
    EXPECT_EQ(it->second.rejected, counts.rejected) << type;
  }
}

MapperOptions NoConditions() {
  MapperOptions options;
  options.condition_enabled = false;
  return options;
}

TEST(MapperCounters, EmptyBeforeMapping) {
  Mapper mapper(Mappings(), MapperOptions{});
  EXPECT_TRUE(mapper.Counters().by_type.empty());
}

TEST(MapperCounters, CountsPerTypeAndReason) {
  Mapper mapper(Mappings(), NoConditions());
  const std::vector<fhir::Json> resources = Resources();
  for (const fhir::Json& r : resources) mapper.Map(r);
  ExpectEqual(mapper.Counters(), Expected(1));
  for (const fhir::Json& r : resources) mapper.Map(r);
  ExpectEqual(mapper.Counters(), Expected(2));
}

TEST(MapperCounters, AddsUpTheCountsOfAllThreads) {
  Mapper mapper(Mappings(), NoConditions());
  const std::vector<fhir::Json> resources = Resources();
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        for (const fhir::Json& r : resources) mapper.Map(r);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  ExpectEqual(mapper.Counters(), Expected(kThreads * kRounds));
}

}  // namespace
}  // namespace bonewatch::mappings
