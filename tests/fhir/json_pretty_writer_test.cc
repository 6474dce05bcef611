// JsonPrettyWriter, and Json::SerializePretty / AppendPretty written with it,
// against RapidJSON's PrettyWriter (two-space indent): the format BoneWatch
// has always written, which must not change by a byte. RapidJSON is used here
// only as the reference.
#include <gtest/gtest.h>

#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/stringbuffer.h"

namespace bonewatch::fhir {
namespace {

using RapidPrettyWriter = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void RapidWrite(const Json& v, RapidPrettyWriter& w) {
  switch (v.type()) {
    case Json::Type::kNull:
      w.Null();
      return;
    case Json::Type::kBool:
      w.Bool(v.AsBool());
      return;
    case Json::Type::kNumber:
      w.RawValue(v.NumberText().data(), v.NumberText().size(), rapidjson::kNumberType);
      return;
    case Json::Type::kString:
      w.String(v.AsString().data(), static_cast<rapidjson::SizeType>(v.AsString().size()));
      return;
    case Json::Type::kArray:
      w.StartArray();
      for (const Json& e : v.elements()) RapidWrite(e, w);
      w.EndArray();
      return;
    case Json::Type::kObject:
      w.StartObject();
      for (const Json::Member& m : v.members()) {
        w.Key(m.key.data(), static_cast<rapidjson::SizeType>(m.key.size()));
        RapidWrite(m.value, w);
      }
      w.EndObject();
      return;
  }
}

// What RapidJSON writes for `v` nested `depth` levels deep: open `depth`
// arrays first, then drop their "[\n  [" and the value's own line break and
// indentation.
std::string RapidPretty(const Json& v, std::size_t depth) {
  rapidjson::StringBuffer buffer;
  RapidPrettyWriter writer(buffer);
  writer.SetIndent(' ', 2);
  for (std::size_t i = 0; i < depth; ++i) writer.StartArray();
  const std::size_t prefix = depth == 0 ? 0 : buffer.GetSize() + 1 + 2 * depth;
  RapidWrite(v, writer);
  return std::string(buffer.GetString() + prefix, buffer.GetSize() - prefix);
}

// Both ways, at depths 0 to 3, after some text already in the string.
void ExpectSameAsRapidJson(const Json& v) {
  ASSERT_EQ(v.SerializePretty(), RapidPretty(v, 0));
  for (std::size_t depth = 0; depth <= 3; ++depth) {
    std::string out = "before,\n    ";
    v.AppendPretty(out, depth);
    ASSERT_EQ(out, "before,\n    " + RapidPretty(v, depth)) << "depth " << depth;
  }
}

TEST(JsonPrettyWriterTest, Layout) {
  const auto v = Json::Parse(R"({"a":[],"b":{},"c":[1,{"d":"x","e":null}],"f":true})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->SerializePretty(),
            "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1,\n    {\n      \"d\": \"x\",\n"
            "      \"e\": null\n    }\n  ],\n  \"f\": true\n}");
  std::string out;
  v->Find("c")->AppendPretty(out, 2);
  EXPECT_EQ(out,
            "[\n      1,\n      {\n        \"d\": \"x\",\n        \"e\": null\n      }\n    ]");
  ExpectSameAsRapidJson(*v);
}

TEST(JsonPrettyWriterTest, Scalars) {
  for (const Json& v :
       {Json(), Json(true), Json(false), Json(0), Json(-42), Json(""), Json("plain"),
        *Json::Decimal("0.1000"), *Json::Decimal("-1.5e-10"), Json::Object(), Json::Array()}) {
    ExpectSameAsRapidJson(v);
  }
  EXPECT_EQ(Json::Object().SerializePretty(), "{}");
  EXPECT_EQ(Json::Array().SerializePretty(), "[]");
  EXPECT_EQ(Json(*Json::Decimal("12345678901234567890.5")).SerializePretty(),
            "12345678901234567890.5");
}

TEST(JsonPrettyWriterTest, Escapes) {
  EXPECT_EQ(Json(std::string("a\"b\\c/d\b\f\n\r\t\x01\x1f\x7f", 15)).SerializePretty(),
            "\"a\\\"b\\\\c/d\\b\\f\\n\\r\\t\\u0001\\u001F\x7f\"");
  EXPECT_EQ(Json(std::string("a\0b", 3)).SerializePretty(), "\"a\\u0000b\"");
  EXPECT_EQ(Json("Zoë 日本 🦴 −2.1").SerializePretty(), "\"Zoë 日本 🦴 −2.1\"");
  // Keys are escaped as strings are.
  EXPECT_EQ(Json::Object().Set("k\"\n", 1).SerializePretty(), "{\n  \"k\\\"\\n\": 1\n}");
}

// Every byte value at every position of a text spanning two 8-byte words and
// a tail, as a value and as a key: the word-at-a-time scan misses nothing.
TEST(JsonPrettyWriterTest, EveryByteAtEveryPosition) {
  for (int byte = 0; byte < 256; ++byte) {
    for (std::size_t pos = 0; pos < 19; ++pos) {
      std::string text(19, 'a');
      text[pos] = static_cast<char>(byte);
      const Json v = Json::Array().Push(text).Push(Json::Object().Set(text, text));
      ASSERT_EQ(v.SerializePretty(), RapidPretty(v, 0)) << "byte " << byte << " at " << pos;
    }
  }
}

// Long strings, many escapes and deep nesting make the writer grow the
// string many times, and indent beyond its copied block.
TEST(JsonPrettyWriterTest, LongTextAndDeepNesting) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += (i % 7 == 0) ? static_cast<char>(i % 32) : 'x';
  ExpectSameAsRapidJson(Json(text));
  ExpectSameAsRapidJson(Json::Array().Push(text).Push(std::string(5000, '"')));
  Json nested = Json("leaf");
  for (int i = 0; i < 60; ++i) {
    nested = (i % 2 == 0) ? Json::Array().Push(std::move(nested)).Push(i)
                          : Json::Object().Set("k" + std::to_string(i), std::move(nested));
  }
  ExpectSameAsRapidJson(nested);
}

// Random documents with tricky strings, empty and nested containers.
class RandomJson {
 public:
  explicit RandomJson(unsigned seed) : random_(seed) {}

  Json Value(int depth) {
    const int kind = Pick(depth >= 6 ? 5 : 8);
    switch (kind) {
      case 0:
        return Json();
      case 1:
        return Json(Pick(2) == 1);
      case 2:
        return *Json::Decimal(kNumbers[Pick(std::size(kNumbers))]);
      case 3:
      case 4:
        return Json(Text());
      case 5: {
        Json array = Json::Array();
        for (int i = Pick(5); i > 0; --i) array.Push(Value(depth + 1));
        return array;
      }
      default: {
        Json object = Json::Object();
        for (int i = Pick(5); i > 0; --i) object.Set(Text(), Value(depth + 1));
        return object;
      }
    }
  }

 private:
  static constexpr const char* kNumbers[] = {
      "0", "-0", "7", "-42", "0.1000", "1E+3", "-1.5e-10", "12345678901234567890.5"};

  int Pick(std::size_t n) { return static_cast<int>(random_() % n); }

  std::string Text() {
    static constexpr std::string_view kPieces[] = {"a",
                                                   "plain words",
                                                   "\"",
                                                   "\\",
                                                   "/",
                                                   "\b",
                                                   "\f",
                                                   "\n",
                                                   "\r",
                                                   "\t",
                                                   "\x01",
                                                   "\x1f",
                                                   "\x7f",
                                                   "é",
                                                   "−",
                                                   "🦴",
                                                   "urn:uuid:26c73566-1f72-535f-b248-a75b1f173d6e"};
    std::string text;
    for (int i = Pick(12); i > 0; --i) {
      if (Pick(8) == 0) {
        text += static_cast<char>(Pick(256));  // any byte, even invalid UTF-8, is kept
      } else {
        text += kPieces[Pick(std::size(kPieces))];
      }
    }
    if (Pick(10) == 0) text += std::string_view("\0nul", 4);
    return text;
  }

  std::mt19937 random_;
};

TEST(JsonPrettyWriterTest, RandomDocumentsMatchRapidJson) {
  RandomJson random(20260301);
  for (int i = 0; i < 3000; ++i) {
    const Json v = random.Value(0);
    ExpectSameAsRapidJson(v);
    if (HasFailure()) return;
  }
}

TEST(JsonPrettyWriterTest, WritesFromCallsAfterExistingText) {
  std::string out = "head";
  {
    JsonPrettyWriter w(&out, 1);
    w.StartObject();
    w.Member("k", "v");
    w.Key("list");
    w.StartArray();
    w.Null();
    w.Bool(false);
    w.Number("1.50");
    w.StartObject();
    w.EndObject();
    w.EndArray();
    w.EndObject();
    w.Finish();
  }
  EXPECT_EQ(out,
            "head{\n    \"k\": \"v\",\n    \"list\": [\n      null,\n      false,\n      1.50,\n"
            "      {}\n    ]\n  }");
}

TEST(JsonPrettyWriterTest, UnfinishedWriterLeavesTheStringAsItWas) {
  std::string out = "head";
  {
    JsonPrettyWriter w(&out, 0);
    w.StartArray();
    w.String(std::string(10000, 'x'));
  }
  EXPECT_EQ(out, "head");
}

// A fragment's copy is what the calls that made it write, first in its
// container or after a sibling, in objects and arrays.
TEST(JsonPrettyWriterTest, FragmentsAreTheCallsTheyRecorded) {
  auto members = [](JsonPrettyWriter& w) {
    w.Member("system", "http://example.org/\"quoted\"");
    w.Key("coding");
    w.StartArray();
    w.StartObject();
    w.Member("code", "x");
    w.EndObject();
    w.EndArray();
  };
  auto elements = [](JsonPrettyWriter& w) {
    w.StartObject();
    w.Member("reference", "Patient/1");
    w.EndObject();
    w.Number("1.50");
  };
  for (const bool after_sibling : {false, true}) {
    std::string direct = "head";
    std::string copied = "head";
    {
      JsonPrettyWriter d(&direct, 1);
      JsonPrettyWriter c(&copied, 1);
      d.StartObject();
      c.StartObject();
      if (after_sibling) {
        d.Member("first", "1");
        c.Member("first", "1");
      }
      const JsonPrettyFragment object_fragment(c.level(), members);
      members(d);
      c.Append(object_fragment);
      d.Key("list");
      c.Key("list");
      d.StartArray();
      c.StartArray();
      if (after_sibling) {
        d.Null();
        c.Null();
      }
      const JsonPrettyFragment array_fragment(c.level(), elements);
      elements(d);
      c.Append(array_fragment);
      d.EndArray();
      c.EndArray();
      d.EndObject();
      c.EndObject();
      d.Finish();
      c.Finish();
    }
    EXPECT_EQ(copied, direct) << "after_sibling " << after_sibling;
  }
}

// A fragment with a slot writes its value as String(value) would there,
// escaped, first in its container or after a sibling.
TEST(JsonPrettyWriterTest, FragmentSlotsAreStrings) {
  auto reference = [](JsonPrettyWriter& w, const std::string* value) {
    w.StartObject();
    w.Member("role", "source");
    w.Key("what");
    w.StartObject();
    w.Key("reference");
    if (value != nullptr) {
      w.String(*value);
    } else {
      w.StringSlot();
    }
    w.EndObject();
    w.EndObject();
  };
  const std::vector<std::string> values = {"Observation/1", "",
                                           "quote \" and \n, \x01 and long text"};
  for (const std::string& value : values) {
    for (const bool after_sibling : {false, true}) {
      std::string direct;
      std::string copied;
      {
        JsonPrettyWriter d(&direct, 0);
        JsonPrettyWriter c(&copied, 0);
        d.StartArray();
        c.StartArray();
        if (after_sibling) {
          d.Null();
          c.Null();
        }
        const JsonPrettyFragment fragment(c.level(),
                                          [&](JsonPrettyWriter& f) { reference(f, nullptr); });
        ASSERT_TRUE(fragment.has_slot());
        reference(d, &value);
        c.Append(fragment, value);
        d.EndArray();
        c.EndArray();
        d.Finish();
        c.Finish();
      }
      EXPECT_EQ(copied, direct) << "value \"" << value << "\" after_sibling " << after_sibling;
    }
  }
}

}  // namespace
}  // namespace bonewatch::fhir
