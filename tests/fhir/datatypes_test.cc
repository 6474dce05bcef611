// Coding, CodeableConcept, Identifier (incl. search tokens), Quantity, Period.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "bonewatch/fhir/coding.h"
#include "bonewatch/fhir/identifier.h"
#include "bonewatch/fhir/period.h"
#include "bonewatch/fhir/quantity.h"

namespace bonewatch::fhir {
namespace {

using ::testing::HasSubstr;

Json J(std::string_view text) {
  auto j = Json::Parse(text);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return j.ok() ? *j : Json();
}

constexpr char kLoinc[] = "http://loinc.org";
constexpr char kSnomed[] = "http://snomed.info/sct";

TEST(CodeableConceptTest, ReadsMatchesAndRoundTrips) {
  const std::string text =
      R"({"coding":[{"system":"http://loinc.org","code":"38265-5","display":"DXA"},)"
      R"({"system":"http://snomed.info/sct","code":"312681000","userSelected":true}],)"
      R"("text":"Bone density"})";
  auto cc = CodeableConceptFromJson(J(text));
  ASSERT_TRUE(cc.ok()) << cc.status().ToString();
  EXPECT_TRUE(cc->Matches(kLoinc, "38265-5"));
  EXPECT_TRUE(cc->Matches(kSnomed, "312681000"));
  EXPECT_FALSE(cc->Matches(kLoinc, "312681000"));
  EXPECT_FALSE(cc->Matches("http://LOINC.org", "38265-5"));
  ASSERT_NE(cc->FindCoding(kSnomed), nullptr);
  EXPECT_EQ(cc->FindCoding(kSnomed)->user_selected, true);
  EXPECT_EQ(cc->FindCoding("urn:other"), nullptr);
  EXPECT_EQ(CodeableConceptToJson(*cc).Serialize(), text);
}

struct BadElementCase {
  std::string name;
  std::string json;
  std::string reason;
};

class CodeableConceptBadTest : public ::testing::TestWithParam<BadElementCase> {};

TEST_P(CodeableConceptBadTest, Rejects) {
  auto cc = CodeableConceptFromJson(J(GetParam().json));
  ASSERT_FALSE(cc.ok());
  EXPECT_THAT(cc.status().message(), HasSubstr(GetParam().reason));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CodeableConceptBadTest,
    ::testing::Values(
        BadElementCase{"NotObject", R"("x")", "CodeableConcept: expected an object, got string"},
        BadElementCase{"CodingNotArray", R"({"coding":{}})", "coding: expected an array"},
        BadElementCase{"CodeNumber", R"({"coding":[{"code":5}]})",
                       "CodeableConcept.coding[0]: Coding.code: expected a string, got number"},
        BadElementCase{"UserSelectedString", R"({"coding":[{"userSelected":"yes"}]})",
                       "userSelected: expected a boolean"}),
    [](const auto& p) { return p.param.name; });

struct TokenCase {
  std::string name;
  std::string system;
  std::string value;
  std::string token;
};

class SearchTokenTest : public ::testing::TestWithParam<TokenCase> {};

TEST_P(SearchTokenTest, EscapesAndParsesBack) {
  const TokenCase& c = GetParam();
  Identifier id;
  id.system = c.system;
  id.value = c.value;
  EXPECT_EQ(id.ToSearchToken(), c.token);
  auto parsed = ParseSearchToken(c.token);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->system, c.system);
  EXPECT_EQ(parsed->value, c.value);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SearchTokenTest,
    ::testing::Values(TokenCase{"Plain", "urn:mrn", "42", "urn:mrn|42"},
                      TokenCase{"NoSystem", "", "42", "42"},
                      TokenCase{"Pipe", "urn:a", "x|y", "urn:a|x\\|y"},
                      TokenCase{"Comma", "urn:a", "1,2", "urn:a|1\\,2"},
                      TokenCase{"Dollar", "urn:a$b", "v", "urn:a\\$b|v"},
                      TokenCase{"Backslash", "urn:a", "c:\\dir", "urn:a|c:\\\\dir"},
                      TokenCase{"AllSpecials", "s|,", "\\$", "s\\|\\,|\\\\\\$"}),
    [](const auto& p) { return p.param.name; });

TEST(SearchTokenTest, ParsesEmptySystemAndRejectsBadEscapes) {
  auto no_system = ParseSearchToken("|42");
  ASSERT_TRUE(no_system.ok());
  EXPECT_EQ(no_system->system, "");
  EXPECT_EQ(no_system->value, "42");
  EXPECT_THAT(ParseSearchToken("a\\").status().message(), HasSubstr("lone"));
  EXPECT_THAT(ParseSearchToken("a\\x").status().message(), HasSubstr("unknown escape"));
  EXPECT_THAT(ParseSearchToken("a|b|c").status().message(), HasSubstr("more than one"));
}

TEST(IdentifierTest, ReadsAndRoundTrips) {
  const std::string text =
      R"({"use":"official","type":{"coding":[{"system":"http://terminology.hl7.org/)"
      R"(CodeSystem/v2-0203","code":"MR"}]},"system":"urn:mrn","value":"0042"})";
  auto id = IdentifierFromJson(J(text));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->use, "official");
  EXPECT_TRUE(id->type->Matches("http://terminology.hl7.org/CodeSystem/v2-0203", "MR"));
  EXPECT_EQ(id->ToSearchToken(), "urn:mrn|0042");
  EXPECT_EQ(IdentifierToJson(*id).Serialize(), text);
  EXPECT_THAT(IdentifierFromJson(J(R"({"value":42})")).status().message(),
              HasSubstr("Identifier.value: expected a string"));
}

struct QuantityCase {
  std::string name;
  std::string json;
  std::string value_text;
  double value;
  QuantityComparator comparator;
};

class QuantityTest : public ::testing::TestWithParam<QuantityCase> {};

TEST_P(QuantityTest, KeepsExactDecimalAndRoundTrips) {
  const QuantityCase& c = GetParam();
  auto q = QuantityFromJson(J(c.json));
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->value_text, c.value_text);
  EXPECT_DOUBLE_EQ(q->value, c.value);
  EXPECT_EQ(q->comparator, c.comparator);
  EXPECT_EQ(QuantityToJson(*q).Serialize(), c.json);
}

using QC = QuantityComparator;
INSTANTIATE_TEST_SUITE_P(
    Cases, QuantityTest,
    ::testing::Values(
        QuantityCase{"TScore",
                     R"({"value":-2.50,"unit":"{T-score}","system":"http://unitsofmeasure.org",)"
                     R"("code":"{T-score}"})",
                     "-2.50", -2.5, QC::kNone},
        QuantityCase{"TrailingZeros", R"({"value":0.1000,"unit":"g/cm2"})", "0.1000", 0.1,
                     QC::kNone},
        QuantityCase{"LongDecimal", R"({"value":12345678901234567890.5})", "12345678901234567890.5",
                     12345678901234567890.5, QC::kNone},
        QuantityCase{"LessThan", R"({"value":5,"comparator":"<","unit":"ng/mL"})", "5", 5.0,
                     QC::kLess},
        QuantityCase{"GreaterOrEqual", R"({"value":90,"comparator":">="})", "90", 90.0,
                     QC::kGreaterOrEqual},
        QuantityCase{"NoValue", R"({"unit":"mg"})", "", 0.0, QC::kNone}),
    [](const auto& p) { return p.param.name; });

TEST(QuantityTest, RejectsBadValues) {
  EXPECT_THAT(QuantityFromJson(J(R"({"value":"1.0"})")).status().message(),
              HasSubstr("Quantity.value: expected a number, got string"));
  EXPECT_THAT(QuantityFromJson(J(R"({"value":1,"comparator":"~"})")).status().message(),
              HasSubstr("unknown value \"~\""));
  Quantity q;
  EXPECT_FALSE(SetQuantityValue(q, "1.").ok());
  EXPECT_TRUE(SetQuantityValue(q, "70.25").ok());
  EXPECT_EQ(QuantityToJson(q).Serialize(), R"({"value":70.25})");
}

struct PeriodCase {
  std::string name;
  std::string json;
  bool ok;
  std::string reason;
};

class PeriodTest : public ::testing::TestWithParam<PeriodCase> {};

TEST_P(PeriodTest, ParsesOrRejects) {
  const PeriodCase& c = GetParam();
  auto p = PeriodFromJson(J(c.json));
  ASSERT_EQ(p.ok(), c.ok) << p.status().ToString();
  if (c.ok) {
    EXPECT_EQ(PeriodToJson(*p).Serialize(), c.json);
  } else {
    EXPECT_THAT(p.status().message(), HasSubstr(c.reason));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PeriodTest,
    ::testing::Values(
        PeriodCase{"Both", R"({"start":"2018-03-25T18:03:59-04:00","end":"2019-03-25"})", true, ""},
        PeriodCase{"OpenEnded", R"({"start":"2024-02"})", true, ""},
        PeriodCase{"EndOnly", R"({"end":"2024"})", true, ""}, PeriodCase{"Empty", "{}", true, ""},
        PeriodCase{"StartAfterEnd", R"({"start":"2024-03-02","end":"2024-03-01"})", false,
                   "is after end"},
        PeriodCase{"InstantStartAfterEnd",
                   R"({"start":"2024-03-01T10:00:00+01:00","end":"2024-03-01T08:00:00Z"})", false,
                   "is after end"},
        PeriodCase{"SameInstantDifferentZones",
                   R"({"start":"2024-03-01T10:00:00+01:00","end":"2024-03-01T09:00:00Z"})", true,
                   ""},
        PeriodCase{"InvalidStart", R"({"start":"2023-02-29"})", false,
                   "Period.start: invalid FHIR dateTime"},
        PeriodCase{"NumberEnd", R"({"end":2024})", false, "Period.end: expected a string"}),
    [](const auto& p) { return p.param.name; });

}  // namespace
}  // namespace bonewatch::fhir
