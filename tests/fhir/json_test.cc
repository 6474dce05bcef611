#include "bonewatch/fhir/json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace bonewatch::fhir {
namespace {

using ::testing::HasSubstr;

struct RoundTripCase {
  std::string name;
  std::string input;
  std::string compact;  // expected Serialize(); empty means "same as input"
};

class JsonRoundTripTest : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(JsonRoundTripTest, SerializesByteExact) {
  const RoundTripCase& c = GetParam();
  auto parsed = Json::Parse(c.input);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const std::string expected = c.compact.empty() ? c.input : c.compact;
  EXPECT_EQ(parsed->Serialize(), expected);
  // Serializing the re-parsed output is a fixed point.
  auto again = Json::Parse(parsed->Serialize());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *parsed);
  EXPECT_EQ(again->Serialize(), expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JsonRoundTripTest,
    ::testing::Values(
        RoundTripCase{"Null", "null", ""}, RoundTripCase{"True", "true", ""},
        RoundTripCase{"EmptyObject", "{}", ""}, RoundTripCase{"EmptyArray", "[]", ""},
        RoundTripCase{"DecimalTrailingZeros", R"({"value":0.1000})", ""},
        RoundTripCase{"HugeDecimal", R"({"value":12345678901234567890.5})", ""},
        RoundTripCase{"NegativeExponent", R"([-1.5e-10,1E+3,0,-0])", ""},
        RoundTripCase{"Integer64", R"([9223372036854775807,-9223372036854775808])", ""},
        RoundTripCase{"BeyondInt64", R"([99999999999999999999999999])", ""},
        RoundTripCase{"KeyOrderKept", R"({"z":1,"a":2,"m":{"y":1,"b":2}})", ""},
        RoundTripCase{"Whitespace", " { \"a\" : [ 1 , 2 ] }\n", R"({"a":[1,2]})"},
        RoundTripCase{"Utf8Kept", R"({"name":"Zoë 日本 🦴"})", ""},
        RoundTripCase{"UnicodeEscapeDecoded", R"(["\u00e9\ud83e\uddb4"])", "[\"é🦴\"]"},
        RoundTripCase{"EscapesNormalized", R"(["a\"b\\c\/d\b\f\n\r\t"])",
                      R"(["a\"b\\c/d\b\f\n\r\t"])"},
        RoundTripCase{"ControlCharEscaped", R"(["\u0001"])", R"(["\u0001"])"},
        RoundTripCase{"EmbeddedNul", R"(["a\u0000b"])", R"(["a\u0000b"])"}),
    [](const auto& p) { return p.param.name; });

struct MalformedCase {
  std::string name;
  std::string input;
  std::string message;  // substring of the error
};

class JsonMalformedTest : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(JsonMalformedTest, ReportsOffsetAndReason) {
  const MalformedCase& c = GetParam();
  auto parsed = Json::Parse(c.input);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(), HasSubstr(c.message));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JsonMalformedTest,
    ::testing::Values(
        MalformedCase{"Empty", "", "invalid JSON at offset 0: The document is empty."},
        MalformedCase{"MissingComma", R"({"a":1 "b":2})",
                      "invalid JSON at offset 7: Missing a comma or '}'"},
        MalformedCase{"TrailingComma", R"([1,2,])", "invalid JSON at offset 5"},
        MalformedCase{"TrailingGarbage", R"({} x)", "offset 3: The document root must not"},
        MalformedCase{"UnclosedString", R"(["abc)", "Missing a closing quotation mark"},
        MalformedCase{"BadNumber", R"([01])", "invalid JSON at offset 2"},
        MalformedCase{"BadLiteral", R"([tru])", "Invalid value"},
        MalformedCase{"SingleQuotes", R"({'a':1})", "offset 1"},
        MalformedCase{"InvalidUtf8", "[\"\xff\"]", "Invalid encoding"},
        MalformedCase{"LoneSurrogate", R"(["\ud800"])", "surrogate"},
        MalformedCase{"NulInsideDocument", std::string("[1,\0 2]", 7), "invalid JSON at offset"}),
    [](const auto& p) { return p.param.name; });

std::string Nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(JsonLimitsTest, DepthAtLimitIsAccepted) { EXPECT_TRUE(Json::Parse(Nested(100)).ok()); }

TEST(JsonLimitsTest, DepthBeyondLimitIsRejected) {
  auto parsed = Json::Parse(Nested(101));
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("nesting deeper than 100"));
}

TEST(JsonLimitsTest, HostileDepthDoesNotOverflowTheStack) {
  auto parsed = Json::Parse(Nested(1'000'000));
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(parsed.status().message(), HasSubstr("invalid JSON at offset 100: nesting deeper"));
}

TEST(JsonLimitsTest, ConfigurableDepthAndSize) {
  EXPECT_FALSE(Json::Parse(Nested(3), {.max_depth = 2}).ok());
  auto big = Json::Parse("[1,2,3]", {.max_bytes = 4});
  ASSERT_FALSE(big.ok());
  EXPECT_THAT(big.status().message(), HasSubstr("7 bytes exceeds the limit of 4 bytes"));
}

TEST(JsonNumberTest, Accessors) {
  auto j =
      Json::Parse(R"({"d":0.1000,"i":42,"neg":-7,"f":4.0,"e":1e3,"big":99999999999999999999})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->Find("d")->NumberText(), "0.1000");
  EXPECT_DOUBLE_EQ(j->Find("d")->AsDouble(), 0.1);
  EXPECT_EQ(j->GetInt64("i"), 42);
  EXPECT_EQ(j->GetInt64("neg"), -7);
  EXPECT_EQ(j->GetInt64("f"), std::nullopt);
  EXPECT_EQ(j->GetInt64("e"), std::nullopt);
  EXPECT_DOUBLE_EQ(j->Find("e")->AsDouble(), 1000.0);
  EXPECT_EQ(j->GetInt64("big"), std::nullopt);
  EXPECT_EQ(j->GetInt64("missing"), std::nullopt);
}

TEST(JsonNumberTest, Constructors) {
  EXPECT_EQ(Json(42).Serialize(), "42");
  EXPECT_EQ(Json(int64_t{-9'000'000'000}).Serialize(), "-9000000000");
  EXPECT_EQ(Json(uint64_t{18446744073709551615u}).Serialize(), "18446744073709551615");
  EXPECT_EQ(Json(0.1).Serialize(), "0.1");
  EXPECT_EQ(Json(2.5).Serialize(), "2.5");
  EXPECT_EQ(Json(1.0 / 0.0).Serialize(), "null");
  EXPECT_EQ(Json::Decimal("12.50")->Serialize(), "12.50");
  EXPECT_FALSE(Json::Decimal("12.").ok());
  EXPECT_FALSE(Json::Decimal("+1").ok());
  EXPECT_FALSE(Json::Decimal("0x10").ok());
  EXPECT_FALSE(Json::Decimal("").ok());
  EXPECT_FALSE(Json::Decimal("1 ").ok());
}

TEST(JsonNumberTest, DecimalTextDistinguishesEquality) {
  EXPECT_NE(*Json::Decimal("1.0"), *Json::Decimal("1"));
  EXPECT_EQ(*Json::Decimal("1.0"), *Json::Decimal("1.0"));
}

TEST(JsonBuildTest, BuildersAndAccessors) {
  Json obj = Json::Object()
                 .Set("resourceType", "Observation")
                 .Set("status", "final")
                 .Set("valueQuantity", Json::Object().Set("value", *Json::Decimal("12.0")))
                 .Set("issued", nullptr)
                 .Set("flag", true);
  obj.Set("status", "amended");  // replaced in place, position kept
  EXPECT_EQ(obj.Serialize(),
            R"({"resourceType":"Observation","status":"amended","valueQuantity":{"value":12.0},)"
            R"("issued":null,"flag":true})");
  EXPECT_EQ(obj.GetString("status"), "amended");
  EXPECT_EQ(obj.GetString("flag"), std::nullopt);  // wrong type
  EXPECT_EQ(obj.GetBool("flag"), true);
  ASSERT_NE(obj.At({"valueQuantity", "value"}), nullptr);
  EXPECT_EQ(obj.At({"valueQuantity", "value"})->NumberText(), "12.0");
  EXPECT_EQ(obj.At({"valueQuantity", "unit"}), nullptr);
  EXPECT_EQ(obj.At({"status", "x"}), nullptr);  // through a string
  EXPECT_TRUE(obj.Remove("issued"));
  EXPECT_FALSE(obj.Remove("issued"));
  EXPECT_EQ(obj.size(), 4u);

  Json arr = Json::Array().Push(1).Push("two").Push(Json::Array());
  EXPECT_EQ(arr.Serialize(), R"([1,"two",[]])");
  EXPECT_EQ(arr[1].AsString(), "two");
  int count = 0;
  for (const Json& e : arr.elements()) count += e.is_number() ? 1 : 0;
  EXPECT_EQ(count, 1);
  std::string keys;
  for (const Json::Member& m : obj.members()) keys += m.key + ",";
  EXPECT_EQ(keys, "resourceType,status,valueQuantity,flag,");
}

TEST(JsonBuildTest, ScalarsHaveNoMembers) {
  Json s("x");
  EXPECT_EQ(s.Find("a"), nullptr);
  EXPECT_TRUE(s.members().empty());
  EXPECT_TRUE(s.elements().empty());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_TRUE(s.is_string());  // reading through mutable accessors changes nothing
  EXPECT_TRUE(Json(5).elements().empty());
}

TEST(JsonBuildTest, MovesAreCheapAndLeaveSourceUsable) {
  Json big = Json::Array();
  for (int i = 0; i < 1000; ++i) big.Push(i);
  Json moved = std::move(big);
  EXPECT_EQ(moved.size(), 1000u);
}

TEST(JsonSerializeTest, PrettyIsDeterministicAndReparses) {
  const std::string text = R"({"b":[1,{"c":0.50}],"a":"x"})";
  auto j1 = Json::Parse(text);
  auto j2 = Json::Parse(text);
  ASSERT_TRUE(j1.ok() && j2.ok());
  EXPECT_EQ(j1->SerializePretty(), j2->SerializePretty());
  EXPECT_EQ(j1->SerializePretty(),
            "{\n  \"b\": [\n    1,\n    {\n      \"c\": 0.50\n    }\n  ],\n  \"a\": \"x\"\n}");
  EXPECT_EQ(*Json::Parse(j1->SerializePretty()), *j1);
}

TEST(JsonSerializeTest, CanonicalizedSortsKeysRecursively) {
  auto a = Json::Parse(R"({"b":1,"a":{"y":[{"d":1,"c":2}],"x":2}})");
  auto b = Json::Parse(R"({"a":{"x":2,"y":[{"c":2,"d":1}]},"b":1})");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->Canonicalized(), b->Canonicalized());
  EXPECT_EQ(a->Canonicalized().Serialize(), R"({"a":{"x":2,"y":[{"c":2,"d":1}]},"b":1})");
}

TEST(JsonParseTest, DuplicateKeysKeepFirstForFind) {
  auto j = Json::Parse(R"({"a":1,"a":2})");
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->GetInt64("a"), 1);
  EXPECT_EQ(j->Serialize(), R"({"a":1,"a":2})");
}

}  // namespace
}  // namespace bonewatch::fhir
