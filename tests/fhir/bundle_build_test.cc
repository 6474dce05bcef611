// BuildRequestBundle: output shape, determinism, validation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "bonewatch/fhir/bundle.h"

namespace bonewatch::fhir {
namespace {

using ::testing::HasSubstr;

std::vector<RequestEntry> SampleEntries() {
  RequestEntry create_flag;
  create_flag.full_url = "urn:uuid:0b839b41-bb2d-4d2f-8f0e-000000000001";
  create_flag.resource =
      Json::Object()
          .Set("resourceType", "Flag")
          .Set("status", "active")
          .Set("identifier",
               Json::Array().Push(Json::Object().Set("system", "urn:bw").Set("value", "f-1")));
  create_flag.request.method = "POST";
  create_flag.request.url = "Flag";
  create_flag.request.if_none_exist = "identifier=urn:bw|f-1";

  RequestEntry update_plan;
  update_plan.resource = Json::Object().Set("resourceType", "CarePlan").Set("id", "c1");
  update_plan.request.method = "PUT";
  update_plan.request.url = "CarePlan/c1";
  update_plan.request.if_match = "W/\"3\"";

  RequestEntry remove;
  remove.request.method = "DELETE";
  remove.request.url = "Flag/old";
  return {create_flag, update_plan, remove};
}

TEST(BundleBuildTest, TransactionShape) {
  auto bundle = BuildRequestBundle(BundleType::kTransaction, SampleEntries());
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  EXPECT_EQ(bundle->Serialize(),
            R"({"resourceType":"Bundle","type":"transaction","entry":[)"
            R"({"fullUrl":"urn:uuid:0b839b41-bb2d-4d2f-8f0e-000000000001",)"
            R"("resource":{"resourceType":"Flag","status":"active",)"
            R"("identifier":[{"system":"urn:bw","value":"f-1"}]},)"
            R"("request":{"method":"POST","url":"Flag","ifNoneExist":"identifier=urn:bw|f-1"}},)"
            R"({"resource":{"resourceType":"CarePlan","id":"c1"},)"
            R"("request":{"method":"PUT","url":"CarePlan/c1","ifMatch":"W/\"3\""}},)"
            R"({"request":{"method":"DELETE","url":"Flag/old"}}]})");
}

TEST(BundleBuildTest, DeterministicAcrossBuilds) {
  auto a = BuildRequestBundle(BundleType::kBatch, SampleEntries());
  auto b = BuildRequestBundle(BundleType::kBatch, SampleEntries());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->Serialize(), b->Serialize());
  EXPECT_EQ(a->SerializePretty(), b->SerializePretty());
  EXPECT_EQ(a->GetString("type"), "batch");
}

TEST(BundleBuildTest, ReadsBackWhatItBuilds) {
  auto built = BuildRequestBundle(BundleType::kTransaction, SampleEntries());
  ASSERT_TRUE(built.ok());
  auto read = ReadBundle(*built);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->entries.size(), 3u);
  EXPECT_EQ(read->entries[0].request->if_none_exist, "identifier=urn:bw|f-1");
  EXPECT_EQ(read->entries[1].request->if_match, "W/\"3\"");
  EXPECT_FALSE(read->entries[2].resource.has_value());
}

TEST(BundleBuildTest, EmptyBatchHasNoEntryArray) {
  auto b = BuildRequestBundle(BundleType::kBatch, {});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->Serialize(), R"({"resourceType":"Bundle","type":"batch"})");
}

struct BadEntryCase {
  std::string name;
  std::function<void(std::vector<RequestEntry>&)> mutate;
  std::string reason;
};

class BundleBuildErrorTest : public ::testing::TestWithParam<BadEntryCase> {};

TEST_P(BundleBuildErrorTest, Rejects) {
  std::vector<RequestEntry> entries = SampleEntries();
  GetParam().mutate(entries);
  auto b = BuildRequestBundle(BundleType::kTransaction, entries);
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(b.status().message(), HasSubstr(GetParam().reason));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BundleBuildErrorTest,
    ::testing::Values(
        BadEntryCase{"UnknownMethod", [](auto& e) { e[0].request.method = "post"; },
                     "Bundle.entry[0].request.method: unknown value \"post\""},
        BadEntryCase{"MissingUrl", [](auto& e) { e[1].request.url.clear(); },
                     "Bundle.entry[1].request.url: missing"},
        BadEntryCase{"PutWithoutResource", [](auto& e) { e[1].resource.reset(); },
                     "Bundle.entry[1].resource: required for PUT"},
        BadEntryCase{"DeleteWithResource", [](auto& e) { e[2].resource = Json::Object(); },
                     "Bundle.entry[2].resource: not allowed for DELETE"},
        BadEntryCase{"ResourceWithoutType", [](auto& e) { e[1].resource = Json::Object(); },
                     "resourceType: missing"},
        BadEntryCase{"IfNoneExistOnPut", [](auto& e) { e[1].request.if_none_exist = "x=y"; },
                     "ifNoneExist: only allowed with POST"},
        BadEntryCase{"RelativeFullUrl", [](auto& e) { e[1].full_url = "CarePlan/c1"; },
                     "is neither an absolute URL"},
        BadEntryCase{"DuplicateFullUrl", [](auto& e) { e[1].full_url = e[0].full_url; },
                     "Bundle.entry[1].fullUrl: duplicate"}),
    [](const auto& p) { return p.param.name; });

TEST(BundleBuildTest, RejectsNonRequestBundleTypes) {
  EXPECT_THAT(BuildRequestBundle(BundleType::kSearchset, {}).status().message(),
              HasSubstr("must be transaction or batch"));
}

}  // namespace
}  // namespace bonewatch::fhir
