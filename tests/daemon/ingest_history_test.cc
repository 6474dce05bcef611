// FetchPatientHistory against the real test FHIR server.
#include "ingest_history.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "bonewatch/fhir/client.h"
#include "test_fhir_server.h"
#include "test_server_client.h"

namespace bonewatch::adapter {
namespace {

class IngestHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server().Reset();
    auto connection = testing::ConnectTestServer(server().base_url());
    ASSERT_TRUE(connection.ok()) << connection.status().ToString();
    connection_ = std::move(*connection);
  }
  static testing::TestFhirServer& server() { return testing::SharedTestFhirServer(); }

  std::string Create(const fhir::Json& resource) {
    StatusOr<fhir::FhirResult> created = connection_.client->Create(resource);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? created->id : "";
  }
  fhir::Json Observation(const std::string& patient, const std::string& code) {
    return fhir::Json::Object()
        .Set("resourceType", "Observation")
        .Set("status", "final")
        .Set("subject", fhir::Json::Object().Set("reference", "Patient/" + patient))
        .Set("code",
             fhir::Json::Object().Set(
                 "coding",
                 fhir::Json::Array().Push(
                     fhir::Json::Object().Set("system", "http://loinc.org").Set("code", code))));
  }

  testing::TestServerClient connection_;
};

TEST_F(IngestHistoryTest, PatientThenTheirRelevantResourcesOnly) {
  const std::string p1 = Create(fhir::Json::Object()
                                    .Set("resourceType", "Patient")
                                    .Set("birthDate", "1960-02-03")
                                    .Set("gender", "female"));
  const std::string p2 = Create(fhir::Json::Object().Set("resourceType", "Patient"));
  std::vector<std::string> mine;
  for (int i = 0; i < 5; ++i) mine.push_back(Create(Observation(p1, "38267-1")));
  Create(Observation(p1, "9999-9"));   // not mapped
  Create(Observation(p2, "38267-1"));  // another patient
  const std::string condition =
      Create(fhir::Json::Object()
                 .Set("resourceType", "Condition")
                 .Set("subject", fhir::Json::Object().Set("reference", "Patient/" + p1))
                 .Set("code", fhir::Json::Object().Set(
                                  "coding", fhir::Json::Array().Push(
                                                fhir::Json::Object()
                                                    .Set("system", "http://hl7.org/fhir/sid/icd-10")
                                                    .Set("code", "M80.08")))));
  std::vector<mappings::Criteria> criteria = {
      {"Observation", {{"http://loinc.org", "38267-1"}}, false},
      {"Condition", {{"http://hl7.org/fhir/sid/icd-10", "M80"}}, true},
  };
  Config::Inputs inputs;
  HistoryFetchOptions options;
  options.page_size = 2;  // paging
  StatusOr<std::vector<fhir::Json>> history =
      FetchPatientHistory(*connection_.client, p1, inputs, criteria, options);
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  std::vector<std::string> got;
  for (const fhir::Json& r : *history) {
    got.push_back(r.GetString("resourceType").value_or("") + "/" + r.GetString("id").value_or(""));
  }
  std::vector<std::string> expected = {"Patient/" + p1};
  for (const std::string& id : mine) expected.push_back("Observation/" + id);
  expected.push_back("Condition/" + condition);
  EXPECT_THAT(got, ::testing::UnorderedElementsAreArray(expected));
  EXPECT_EQ(got.front(), "Patient/" + p1);
  EXPECT_EQ((*history)[0].GetString("birthDate"), "1960-02-03");
}

TEST_F(IngestHistoryTest, MissingPatientIsNotFound) {
  StatusOr<std::vector<fhir::Json>> history =
      FetchPatientHistory(*connection_.client, "nope", Config::Inputs{}, {});
  ASSERT_FALSE(history.ok());
  EXPECT_EQ(history.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(
      FetchPatientHistory(*connection_.client, "bad id!", Config::Inputs{}, {}).status().code(),
      StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bonewatch::adapter
