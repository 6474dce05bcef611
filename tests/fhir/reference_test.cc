#include "bonewatch/fhir/reference.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace bonewatch::fhir {
namespace {

struct ValidCase {
  std::string name;
  std::string text;
  std::string base_url;
  std::string type;
  std::string id;
  std::string version;
  bool is_urn;
  bool is_contained;
  bool is_conditional;
  std::string type_and_id;
};

class ReferenceValidTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(ReferenceValidTest, ParsesAndFormatsBack) {
  const ValidCase& c = GetParam();
  auto ref = ParseReference(c.text);
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_EQ(ref->base_url, c.base_url);
  EXPECT_EQ(ref->type, c.type);
  EXPECT_EQ(ref->id, c.id);
  EXPECT_EQ(ref->version, c.version);
  EXPECT_EQ(ref->is_urn, c.is_urn);
  EXPECT_EQ(ref->is_contained, c.is_contained);
  EXPECT_EQ(ref->is_conditional, c.is_conditional);
  EXPECT_EQ(ref->TypeAndId(), c.type_and_id);
  EXPECT_EQ(FormatReference(*ref), c.text);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ReferenceValidTest,
    ::testing::Values(
        ValidCase{"Relative", "Patient/1", "", "Patient", "1", "", false, false, false,
                  "Patient/1"},
        ValidCase{"RelativeUuidId", "Observation/a5f5a550-b13e-4f92-b194-6d118f67fcdb", "",
                  "Observation", "a5f5a550-b13e-4f92-b194-6d118f67fcdb", "", false, false, false,
                  "Observation/a5f5a550-b13e-4f92-b194-6d118f67fcdb"},
        ValidCase{"Versioned", "Patient/1/_history/2", "", "Patient", "1", "2", false, false, false,
                  "Patient/1"},
        ValidCase{"Absolute", "https://x.example/fhir/Patient/1", "https://x.example/fhir",
                  "Patient", "1", "", false, false, false, "Patient/1"},
        ValidCase{"AbsoluteVersioned", "http://h:8080/r4/base/Observation/o.1/_history/7",
                  "http://h:8080/r4/base", "Observation", "o.1", "7", false, false, false,
                  "Observation/o.1"},
        ValidCase{"UrnUuid", "urn:uuid:44b9bd8f-2fe3-4c5b-b9c7-8a8993084b07", "", "",
                  "urn:uuid:44b9bd8f-2fe3-4c5b-b9c7-8a8993084b07", "", true, false, false, ""},
        ValidCase{"UrnOid", "urn:oid:1.2.3.4", "", "", "urn:oid:1.2.3.4", "", true, false, false,
                  ""},
        ValidCase{"Contained", "#referral", "", "", "referral", "", false, true, false, ""},
        ValidCase{"Conditional",
                  "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999967793", "",
                  "Practitioner", "", "", false, false, true, ""}),
    [](const auto& p) { return p.param.name; });

struct InvalidCase {
  std::string name;
  std::string text;
  std::string reason;
};

class ReferenceInvalidTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(ReferenceInvalidTest, Rejects) {
  const InvalidCase& c = GetParam();
  auto ref = ParseReference(c.text);
  ASSERT_FALSE(ref.ok());
  EXPECT_THAT(ref.status().message(), ::testing::HasSubstr(c.reason));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ReferenceInvalidTest,
    ::testing::Values(InvalidCase{"Empty", "", "empty"},
                      InvalidCase{"TypeOnly", "Patient", "expected Type/id"},
                      InvalidCase{"LowercaseType", "patient/1", "bad resource type"},
                      InvalidCase{"BadIdChars", "Patient/a b", "bad id"},
                      InvalidCase{"IdTooLong", "Patient/" + std::string(65, 'x'), "bad id"},
                      InvalidCase{"TrailingSlash", "Patient/1/", "bad"},
                      InvalidCase{"RelativeWithPrefix", "foo/Patient/1", "absolute URL"},
                      InvalidCase{"EmptyUrn", "urn:uuid:", "empty URN"},
                      InvalidCase{"EmptyQuery", "Patient?", "empty conditional query"},
                      InvalidCase{"BadVersion", "Patient/1/_history/a b", "bad version"},
                      InvalidCase{"EmptyVersion", "Patient/1/_history/", "bad version id"},
                      InvalidCase{"HistoryAsType", "x/_history/1", "bad resource type"},
                      InvalidCase{"EmptyTypeBeforeHistory", "a//1/_history/2", "bad resource type"},
                      InvalidCase{"EmptyId", "Patient/", "bad id"},
                      InvalidCase{"EmptyType", "/1", "bad resource type"},
                      InvalidCase{"OnlySlashes", "///", "bad resource type"},
                      InvalidCase{"SchemeOnlyBase", "://Patient/1", "absolute URL"}),
    [](const auto& p) { return p.param.name; });

TEST(ReferenceJsonTest, ReadsElementFields) {
  auto json = Json::Parse(R"({"reference":"Patient/p1","type":"Patient","display":"Jane",)"
                          R"("identifier":{"system":"urn:mrn","value":"42"}})");
  ASSERT_TRUE(json.ok());
  auto ref = ReferenceFromJson(*json);
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_EQ(ref->TypeAndId(), "Patient/p1");
  EXPECT_EQ(ref->display, "Jane");
  ASSERT_TRUE(ref->identifier.has_value());
  EXPECT_EQ(ref->identifier->value, "42");
  EXPECT_EQ(ReferenceToJson(*ref).Serialize(),
            R"({"reference":"Patient/p1","identifier":{"system":"urn:mrn","value":"42"},)"
            R"("display":"Jane"})");
}

TEST(ReferenceJsonTest, LogicalReferenceOnly) {
  auto json = Json::Parse(R"({"type":"Patient","identifier":{"system":"s","value":"v"}})");
  auto ref = ReferenceFromJson(*json);
  ASSERT_TRUE(ref.ok());
  EXPECT_FALSE(ref->has_literal);
  EXPECT_EQ(ref->type, "Patient");
  EXPECT_EQ(ReferenceToJson(*ref).Serialize(),
            R"({"type":"Patient","identifier":{"system":"s","value":"v"}})");
}

TEST(ReferenceJsonTest, Errors) {
  EXPECT_THAT(ReferenceFromJson(*Json::Parse(R"({"display":"x"})")).status().message(),
              ::testing::HasSubstr("neither reference nor identifier"));
  EXPECT_THAT(ReferenceFromJson(*Json::Parse(R"({"reference":5})")).status().message(),
              ::testing::HasSubstr("Reference.reference: expected a string, got number"));
  EXPECT_FALSE(ReferenceFromJson(Json("Patient/1")).ok());
}

}  // namespace
}  // namespace bonewatch::fhir
