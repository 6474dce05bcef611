// ReadBundle over searchset, history, transaction-/batch-response, collection.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "bonewatch/fhir/bundle.h"

namespace bonewatch::fhir {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

StatusOr<Bundle> Read(std::string_view text) {
  ASSIGN_OR_RETURN(Json json, Json::Parse(text));
  return ReadBundle(std::move(json));
}

constexpr char kSearchset[] = R"({
  "resourceType": "Bundle", "id": "s1", "type": "searchset", "total": 3,
  "link": [
    {"relation": "self", "url": "https://ehr.example/fhir/Observation?code=http://loinc.org|38265-5"},
    {"relation": "next", "url": "https://ehr.example/fhir?_getpages=abc&_getpagesoffset=2&_count=2"}
  ],
  "entry": [
    {"fullUrl": "https://ehr.example/fhir/Observation/o1",
     "resource": {"resourceType": "Observation", "id": "o1", "status": "final",
                  "valueQuantity": {"value": -2.50, "unit": "{T-score}"}},
     "search": {"mode": "match"}},
    {"fullUrl": "https://ehr.example/fhir/Observation/o2",
     "resource": {"resourceType": "Observation", "id": "o2", "status": "final"},
     "search": {"mode": "match"}},
    {"fullUrl": "https://ehr.example/fhir/Patient/p1",
     "resource": {"resourceType": "Patient", "id": "p1"},
     "search": {"mode": "include"}}
  ]
})";

TEST(BundleReadTest, Searchset) {
  auto b = Read(kSearchset);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->type, BundleType::kSearchset);
  EXPECT_EQ(b->id, "s1");
  EXPECT_EQ(b->total, 3);
  EXPECT_EQ(b->NextLink(), "https://ehr.example/fhir?_getpages=abc&_getpagesoffset=2&_count=2");
  EXPECT_EQ(b->Link("previous"), std::nullopt);
  ASSERT_EQ(b->entries.size(), 3u);
  EXPECT_EQ(b->entries[0].ResourceType(), "Observation");
  EXPECT_EQ(b->entries[0].search_mode, "match");
  EXPECT_EQ(b->entries[2].search_mode, "include");
  EXPECT_EQ(b->entries[0].resource->At({"valueQuantity", "value"})->NumberText(), "-2.50");
}

TEST(BundleReadTest, EmptySearchsetWithoutEntries) {
  auto b = Read(R"({"resourceType":"Bundle","type":"searchset","total":0})");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->entries.empty());
  EXPECT_EQ(b->NextLink(), std::nullopt);
}

constexpr char kHistory[] = R"({
  "resourceType": "Bundle", "type": "history",
  "entry": [
    {"fullUrl": "https://ehr.example/fhir/Observation/o1",
     "resource": {"resourceType": "Observation", "id": "o1", "meta": {"versionId": "2"}},
     "request": {"method": "PUT", "url": "Observation/o1"},
     "response": {"status": "200 OK", "etag": "W/\"2\"", "lastModified": "2024-03-05T10:00:00Z"}},
    {"fullUrl": "https://ehr.example/fhir/Observation/o9",
     "request": {"method": "DELETE", "url": "Observation/o9"},
     "response": {"status": "204 No Content"}},
    {"fullUrl": "https://ehr.example/fhir/Observation/o1",
     "resource": {"resourceType": "Observation", "id": "o1", "meta": {"versionId": "1"}},
     "request": {"method": "POST", "url": "Observation"},
     "response": {"status": "201 Created", "location": "Observation/o1/_history/1"}}
  ]
})";

TEST(BundleReadTest, HistoryWithDelete) {
  auto b = Read(kHistory);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->type, BundleType::kHistory);
  ASSERT_EQ(b->entries.size(), 3u);
  const BundleEntry& deleted = b->entries[1];
  EXPECT_FALSE(deleted.resource.has_value());
  EXPECT_EQ(deleted.request->method, "DELETE");
  EXPECT_EQ(deleted.request->url, "Observation/o9");
  EXPECT_EQ(deleted.response->status_code, 204);
  EXPECT_EQ(b->entries[0].response->etag, "W/\"2\"");
  EXPECT_EQ(b->entries[2].response->location, "Observation/o1/_history/1");
}

constexpr char kBatchResponse[] = R"({
  "resourceType": "Bundle", "type": "batch-response",
  "entry": [
    {"response": {"status": "201 Created", "location": "Flag/f1/_history/1", "etag": "W/\"1\""}},
    {"response": {"status": "412 Precondition Failed",
                  "outcome": {"resourceType": "OperationOutcome",
                              "issue": [{"severity": "error", "code": "conflict",
                                         "diagnostics": "Version mismatch"}]}}},
    {"resource": {"resourceType": "CarePlan", "id": "c1"}, "response": {"status": "200"}}
  ]
})";

TEST(BundleReadTest, BatchResponseWithFailedEntry) {
  auto b = Read(kBatchResponse);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_FALSE(AllEntriesSucceeded(*b));
  EXPECT_THAT(FailedEntryIndices(*b), ElementsAre(1));
  const BundleEntryResponse& failed = *b->entries[1].response;
  EXPECT_EQ(failed.status_code, 412);
  ASSERT_TRUE(failed.outcome.has_value());
  EXPECT_EQ(failed.outcome->GetString("resourceType"), "OperationOutcome");
  EXPECT_EQ(b->entries[2].response->status_code, 200);
  EXPECT_EQ(b->entries[0].response->location, "Flag/f1/_history/1");
}

TEST(BundleReadTest, TransactionResponseAllSucceeded) {
  auto b = Read(R"({"resourceType":"Bundle","type":"transaction-response","entry":[
      {"response":{"status":"201 Created","location":"Flag/f1/_history/1"}},
      {"response":{"status":"200 OK"}},
      {"response":{"status":"304 Not Modified"}}]})");
  ASSERT_TRUE(b.ok());
  EXPECT_THAT(FailedEntryIndices(*b), ElementsAre(2));  // 304 is not 2xx
  auto ok = Read(R"({"resourceType":"Bundle","type":"transaction-response","entry":[
      {"response":{"status":"201 Created"}},{"response":{"status":"200 OK"}}]})");
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(AllEntriesSucceeded(*ok));
}

TEST(BundleReadTest, CollectionAndDocument) {
  auto b = Read(R"({"resourceType":"Bundle","type":"collection","entry":[
      {"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient"}}]})");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->type, BundleType::kCollection);
  EXPECT_EQ(b->entries[0].full_url, "urn:uuid:1");
  EXPECT_TRUE(Read(R"({"resourceType":"Bundle","type":"document"})").ok());
}

struct BadBundleCase {
  std::string name;
  std::string json;
  std::string reason;
};

class BundleReadErrorTest : public ::testing::TestWithParam<BadBundleCase> {};

TEST_P(BundleReadErrorTest, Rejects) {
  auto b = Read(GetParam().json);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(b.status().message(), HasSubstr(GetParam().reason));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BundleReadErrorTest,
    ::testing::Values(
        BadBundleCase{"NotABundle", R"({"resourceType":"Patient"})", "not \"Bundle\""},
        BadBundleCase{"UnknownType", R"({"resourceType":"Bundle","type":"bag"})",
                      "Bundle.type: unknown value \"bag\""},
        BadBundleCase{"NegativeTotal", R"({"resourceType":"Bundle","type":"searchset","total":-1})",
                      "Bundle.total"},
        BadBundleCase{"EntryNotArray", R"({"resourceType":"Bundle","type":"searchset","entry":{}})",
                      "Bundle.entry: expected an array"},
        BadBundleCase{"ResourceWithoutType",
                      R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":{}}]})",
                      "Bundle.entry[0].resource.resourceType: missing"},
        BadBundleCase{"BadMethod",
                      R"({"resourceType":"Bundle","type":"batch","entry":[)"
                      R"({"request":{"method":"FETCH","url":"Patient"}}]})",
                      "Bundle.entry[0].request.method: unknown value \"FETCH\""},
        BadBundleCase{"TransactionEntryWithoutRequest",
                      R"({"resourceType":"Bundle","type":"transaction","entry":[)"
                      R"({"resource":{"resourceType":"Patient"}}]})",
                      "Bundle.entry[0].request: missing in a transaction Bundle"},
        BadBundleCase{"ResponseWithoutStatus",
                      R"({"resourceType":"Bundle","type":"batch-response","entry":[)"
                      R"({"response":{}}]})",
                      "Bundle.entry[0].response.status: missing"},
        BadBundleCase{"BatchResponseEntryWithoutResponse",
                      R"({"resourceType":"Bundle","type":"batch-response","entry":[{}]})",
                      "response: missing in a batch-response Bundle"}),
    [](const auto& p) { return p.param.name; });

TEST(HttpStatusTest, ParsesLeadingCode) {
  EXPECT_EQ(*ParseHttpStatusCode("201 Created"), 201);
  EXPECT_EQ(*ParseHttpStatusCode("200"), 200);
  EXPECT_FALSE(ParseHttpStatusCode("OK").ok());
  EXPECT_FALSE(ParseHttpStatusCode("2001").ok());
}

}  // namespace
}  // namespace bonewatch::fhir
