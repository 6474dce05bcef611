#include "bonewatch/fhir/json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// One value of every type, each with storage that is not all inline (long strings, children).
std::vector<Json> OneOfEachType() {
  return {Json(),
          Json(true),
          Json(false),
          *Json::Decimal("12345678901234567890.50"),
          Json("a string long enough to be allocated on the heap"),
          Json("short"),
          Json::Array().Push(1).Push("two").Push(Json::Object().Set("k", "v")),
          Json::Object().Set("b", 1).Set("a", Json::Array().Push(true)).Set("c", nullptr),
          Json::Array(),
          Json::Object()};
}

TEST(JsonValueTest, CopyMoveAndAssignBetweenEveryPairOfTypes) {
  const std::vector<Json> values = OneOfEachType();
  for (const Json& from : values) {
    const std::string text = from.Serialize();
    Json copy(from);
    EXPECT_EQ(copy, from);
    EXPECT_EQ(copy.Serialize(), text);
    Json moved(std::move(copy));
    EXPECT_EQ(moved.Serialize(), text);
    EXPECT_EQ(copy.type(), from.type());  // moved-from: same type, empty
    EXPECT_EQ(copy.size(), 0u);
    for (const Json& to : values) {
      Json assigned(to);
      assigned = from;
      EXPECT_EQ(assigned.Serialize(), text);
      EXPECT_EQ(assigned.type(), from.type());
      Json move_assigned(to);
      Json source(from);
      move_assigned = std::move(source);
      EXPECT_EQ(move_assigned.Serialize(), text);
      EXPECT_EQ(source.type(), from.type());
    }
  }
}

TEST(JsonValueTest, SelfAssignmentAndAssignmentFromOwnChild) {
  for (const Json& value : OneOfEachType()) {
    Json j(value);
    const Json& same = j;
    j = same;
    EXPECT_EQ(j, value);
    Json& alias = j;
    j = std::move(alias);
    EXPECT_EQ(j, value);
  }
  Json tree = *Json::Parse(R"({"a":{"b":[1,{"c":"a string that is not stored inline"}]},"d":2})");
  tree = *tree.Find("a");  // copy from a descendant
  EXPECT_EQ(tree.Serialize(), R"({"b":[1,{"c":"a string that is not stored inline"}]})");
  tree = std::move(*tree.Find("b"));  // move from a descendant
  EXPECT_EQ(tree.Serialize(), R"([1,{"c":"a string that is not stored inline"}])");
  tree = std::move(tree[1]);
  EXPECT_EQ(tree.Serialize(), R"({"c":"a string that is not stored inline"})");
  tree = tree.members()[0].value;
  EXPECT_EQ(tree, Json("a string that is not stored inline"));
}

TEST(JsonValueTest, DeepNestingCopiesMovesAndDestroys) {
  Json deep = *Json::Parse(std::string(100, '[') + "\"x\"" + std::string(100, ']'));
  Json copy = deep;
  EXPECT_EQ(copy, deep);
  Json moved = std::move(copy);
  EXPECT_EQ(moved.Serialize(), deep.Serialize());
  const Json* leaf = &deep;
  for (int i = 0; i < 100; ++i) leaf = &(*leaf)[0];
  EXPECT_EQ(leaf->AsString(), "x");
}

TEST(JsonValueTest, SetRemovePushKeepOrderAndChangeType) {
  Json j = Json::Object().Set("z", 1).Set("a", 2).Set("m", 3);
  j.Set("a", "replaced in place");
  j.Set("b", Json::Array());
  EXPECT_EQ(j.Serialize(), R"({"z":1,"a":"replaced in place","m":3,"b":[]})");
  EXPECT_TRUE(j.Remove("z"));
  EXPECT_FALSE(j.Remove("z"));
  EXPECT_EQ(j.Serialize(), R"({"a":"replaced in place","m":3,"b":[]})");
  j.Find("b")->Push(1).Push(Json::Object().Set("k", "v"));
  EXPECT_EQ(j.At({"b"})->Serialize(), R"([1,{"k":"v"}])");
  // Set on a non-object and Push on a non-array replace the value.
  Json s("text");
  s.Set("k", 1);
  EXPECT_EQ(s.Serialize(), R"({"k":1})");
  s.Push(2);
  EXPECT_EQ(s.Serialize(), "[2]");
  Json n = 5;
  EXPECT_FALSE(n.Remove("k"));
  EXPECT_EQ(n.Serialize(), "5");
  // Mutable access to members and elements.
  for (Json::Member& m : j.members()) m.value = m.key;
  EXPECT_EQ(j.Serialize(), R"({"a":"a","m":"m","b":"b"})");
  Json arr = Json::Array().Push(1).Push(2);
  arr.elements().push_back(3);
  arr[0] = "one";
  EXPECT_EQ(arr.Serialize(), R"(["one",2,3])");
}

TEST(JsonValueTest, ParsedMembersKeepOrderAndDuplicates) {
  auto j = Json::Parse(R"({"b":1,"a":{"y":2,"x":3},"b":4,"":null})");
  ASSERT_TRUE(j.ok());
  std::string keys;
  for (const Json::Member& m : j->members()) keys += m.key + ",";
  EXPECT_EQ(keys, "b,a,b,,");
  EXPECT_EQ(j->Serialize(), R"({"b":1,"a":{"y":2,"x":3},"b":4,"":null})");
}

TEST(JsonValueTest, GetStringViewDoesNotCopy) {
  auto j = Json::Parse(R"({"s":"a string that is not stored inline","n":1,"e":""})");
  ASSERT_TRUE(j.ok());
  const std::optional<std::string_view> s = j->GetStringView("s");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(*s, "a string that is not stored inline");
  EXPECT_EQ(s->data(), j->Find("s")->AsString().data());
  EXPECT_EQ(j->GetStringView("e"), std::string_view());
  EXPECT_EQ(j->GetStringView("n"), std::nullopt);  // not a string
  EXPECT_EQ(j->GetStringView("missing"), std::nullopt);
  EXPECT_EQ(Json("x").GetStringView("s"), std::nullopt);  // not an object
}

TEST(JsonValueTest, AccessorsOfOtherTypesAreNeutral) {
  for (const Json& value : OneOfEachType()) {
    if (!value.is_object()) {
      EXPECT_EQ(value.Find("k"), nullptr);
      EXPECT_TRUE(value.members().empty());
      Json mutable_value(value);
      EXPECT_TRUE(mutable_value.members().empty());
      EXPECT_EQ(mutable_value, value);
    }
    if (!value.is_array()) {
      EXPECT_TRUE(value.elements().empty());
      Json mutable_value(value);
      EXPECT_TRUE(mutable_value.elements().empty());
      EXPECT_EQ(mutable_value, value);
    }
    if (!value.is_number()) {
      EXPECT_EQ(value.AsInt64(), std::nullopt);
    }
  }
}

}  // namespace
}  // namespace bonewatch::fhir
