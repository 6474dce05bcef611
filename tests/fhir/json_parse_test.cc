// Json::Parse against RapidJSON itself: for any input, the same tree (types, number text,
// string bytes, member order) or the same error message as RapidJSON's SAX reader with
// the flags Json::Parse documents (numbers as text, UTF-8 validated for non-ASCII input).
// Json::Parse has its own parser for the common case (json_parse.cc); these tests are what
// keeps its acceptance and its trees identical to RapidJSON's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bonewatch/fhir/json.h"

namespace bonewatch::fhir {
namespace {

// A typed dump, the same for a Json tree and for a stream of SAX events.
void AppendBytes(std::string& out, char tag, std::string_view bytes) {
  out += tag;
  out += std::to_string(bytes.size());
  out += ':';
  out += bytes;
}

void Dump(const Json& j, std::string& out) {
  switch (j.type()) {
    case Json::Type::kNull:
      out += 'n';
      break;
    case Json::Type::kBool:
      out += j.AsBool() ? 't' : 'f';
      break;
    case Json::Type::kNumber:
      AppendBytes(out, '#', j.NumberText());
      break;
    case Json::Type::kString:
      AppendBytes(out, 's', j.AsString());
      break;
    case Json::Type::kArray:
      out += '[';
      for (const Json& e : j.elements()) Dump(e, out);
      out += ']';
      break;
    case Json::Type::kObject:
      out += '{';
      for (const Json::Member& m : j.members()) {
        AppendBytes(out, 'k', m.key);
        Dump(m.value, out);
      }
      out += '}';
      break;
  }
}

struct DumpHandler {
  std::string out;
  bool Null() {
    out += 'n';
    return true;
  }
  bool Bool(bool b) {
    out += b ? 't' : 'f';
    return true;
  }
  // Numbers come as text (RawNumber) with the flags used.
  bool Int(int) { return false; }
  bool Uint(unsigned) { return false; }
  bool Int64(int64_t) { return false; }
  bool Uint64(uint64_t) { return false; }
  bool Double(double) { return false; }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    AppendBytes(out, '#', {s, n});
    return true;
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    AppendBytes(out, 's', {s, n});
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    AppendBytes(out, 'k', {s, n});
    return true;
  }
  bool StartObject() {
    out += '{';
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    out += '}';
    return true;
  }
  bool StartArray() {
    out += '[';
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    out += ']';
    return true;
  }
};

// What Json::Parse must return for `text` (depth within the limit): the dump, or the error.
std::string Reference(std::string_view text) {
  bool ascii = true;
  for (char c : text) ascii = ascii && (static_cast<unsigned char>(c) & 0x80) == 0;
  constexpr unsigned kFlags =
      rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseIterativeFlag;
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::Reader reader;
  DumpHandler handler;
  const rapidjson::ParseResult result =
      ascii ? reader.Parse<kFlags>(stream, handler)
            : reader.Parse<kFlags | rapidjson::kParseValidateEncodingFlag>(stream, handler);
  if (result.IsError()) {
    return "invalid JSON at offset " + std::to_string(result.Offset()) + ": " +
           rapidjson::GetParseError_En(result.Code());
  }
  return handler.out;
}

std::string Actual(std::string_view text) {
  auto parsed = Json::Parse(text, {.max_depth = 1000, .max_bytes = 0});
  if (!parsed.ok()) return std::string(parsed.status().message());
  std::string out;
  Dump(*parsed, out);
  return out;
}

void ExpectSameAsRapidJson(std::string_view text) {
  EXPECT_EQ(Actual(text), Reference(text)) << "input: \"" << text << "\"";
}

TEST(JsonParseDifferentialTest, EdgeCases) {
  // clang-format off
  const std::vector<std::string> cases = {
      // Whitespace, roots, literals.
      "", " ", "\t\r\n", "null", "true", "false", "nul", "tru", "fals", "nullx", "truefalse",
      " {} ", "{}", "[]", "[ ]", "{ }", "\"\"", "1", " 1 ", "{}{}", "{} x", "[1] 2",
      std::string("{}\0x", 4), std::string("[1,\0 2]", 7), std::string("\0", 1), "\xef\xbb\xbf{}",
      // Structure.
      "[", "]", "{", "}", "[1,]", "[,1]", "[1 2]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
      "{,\"a\":1}", "{\"a\" 1}", "{a:1}", "{'a':1}", "{\"a\":1 \"b\":2}", "[[[]]]", "[[[]]",
      "{\"a\":{\"b\":{\"c\":[1,{\"d\":null}]}}}", "{\"a\":1,\"a\":2}", "[{},[],{}]",
      "{\"\":\"\"}", "[\"a\" , \"b\"\n,\t\"c\"]",
      // Numbers.
      "0", "-0", "-", "--1", "+1", ".5", "1.", "1.e5", "1e", "1e+", "1E-", "01", "-01", "00",
      "0.0", "0.10", "1e308", "1e309", "-1e309", "1E+308", "1e0000308", "1e0000309",
      "1.5e309", "1.55e310", "0.0e-999999999999", "123456789012345678901234567890",
      "-9223372036854775808", "18446744073709551616", "1e-400", "2.", "1x", "[1x]", "-a",
      "[0.0000000000000000000000001e-5]", "1.7976931348623157e308", "[1e5,2E-3,3e+2]",
      std::string(300, '9'), std::string(301, '9'), std::string(310, '9'),
      "1" + std::string(400, '0') + ".5", "0." + std::string(400, '1'),
      // Strings and escapes.
      "\"abc", "\"a\\\"b\"", "\"\\\\\"", "\"\\/\"", "\"\\b\\f\\n\\r\\t\"", "\"\\x\"", "\"\\",
      "\"\\u\"", "\"\\u00\"", "\"\\u00e9\"", "\"\\u00E9\"", "\"\\u0000\"", "\"a\\u0000b\"",
      "\"\\u12g4\"", "\"\\ud83e\\uddb4\"", "\"\\ud800\"", "\"\\ud800x\"", "\"\\ud800\\u0041\"",
      "\"\\ud800\\udbff\"", "\"\\udc00\"", "\"\\udfff\\ud800\"", "\"\\uDBFF\\uDFFF\"",
      "\"a\tb\"", "\"a\nb\"", "\"\x1f\"", "\"\x7f\"", "\"\\u007f\"",
      std::string("\"a\0b\"", 5), "{\"k\\u0065y\":1}", "{\"\\ud800\":1}", "{\"\\udc00\":1}",
      // UTF-8.
      "\"Zo\xc3\xab\"", "\"\xe6\x97\xa5\"", "\"\xf0\x9f\xa6\xb4\"", "\"\xc3\"", "\"\xc3x\"",
      "\"\xc0\x80\"", "\"\xc1\xbf\"", "\"\xe0\x80\x80\"", "\"\xe0\xa0\x80\"", "\"\xed\x9f\xbf\"",
      "\"\xed\xa0\x80\"", "\"\xef\xbf\xbf\"", "\"\xf0\x80\x80\x80\"", "\"\xf0\x90\x80\x80\"",
      "\"\xf4\x8f\xbf\xbf\"", "\"\xf4\x90\x80\x80\"", "\"\xf5\x80\x80\x80\"", "\"\xff\"",
      "\"\x80\"", "\"\xe6\x97\"", "\"\xe6\x97", "[\"\xc3\xa9\",\"\\u00e9\"]", "\xc3\xa9",
      "{\"\xc3\xa9\":\"\xc3\xa9\"}", "[1,\"\xe6\x97\xa5\"] \xc3\xa9",
  };
  // clang-format on
  for (const std::string& c : cases) ExpectSameAsRapidJson(c);
}

// Strings are scanned several bytes at a time: every special byte at every position of
// strings around that width, and the bytes next to the special ranges.
TEST(JsonParseDifferentialTest, EveryByteAtEveryPositionOfAString) {
  const std::vector<std::string> bytes = {
      "\"",   "\\",     "\\n",      "\x1f", "\x20",
      "\x21", "\x23",   "\x5b",     "\x5d", "\x7e",
      "\x7f", "\x80",   "\xc3\xa9", "\xff", std::string(1, '\0'),
      "\x01", "\\u0041"};
  for (std::size_t length = 1; length <= 20; ++length) {
    for (std::size_t pos = 0; pos < length; ++pos) {
      for (const std::string& b : bytes) {
        std::string text(length, 'a');
        text.replace(pos, 1, b);
        ExpectSameAsRapidJson("[\"" + text + "\",1]");
        ExpectSameAsRapidJson("{\"" + text + "\":1}");
      }
    }
  }
}

// Keys and strings with escapes are held as views of unescaped text until
// their container closes: many of them, nested, in one document, and a
// document that is one escaped string after another.
TEST(JsonParseDifferentialTest, ManyEscapedStringsInOneDocument) {
  ExpectSameAsRapidJson(
      "{\"k\\u0065y\":\"a\\nb\",\"plain\":\"x\",\"\\u00e9\":[\"\\t\",\"\xc3\xa9\","
      "{\"q\\\"\":\"\\\\\",\"\\ud83e\\uddb4\":[\"\\/\",\"long escaped text \\u0041"
      " that needs the heap\"]}],\"z\\r\":\"\\b\\f\"}");
  std::string array = "[";
  std::string object = "{";
  for (int i = 0; i < 200; ++i) {
    const std::string n = std::to_string(i);
    const std::string xs(static_cast<std::size_t>(i % 40), 'x');
    const std::string ys(static_cast<std::size_t>(i % 25), 'y');
    array += (i > 0 ? ",\"" : "\"") + n + "\\u00e9" + xs + "\"";
    object += (i > 0 ? ",\"k\\n" : "\"k\\n") + n + "\":\"" + ys + "\\\"\"";
  }
  array += "]";
  object += "}";
  ExpectSameAsRapidJson(array);
  ExpectSameAsRapidJson(object);
  ExpectSameAsRapidJson("[" + object + "," + array + "," + object + "]");
  ExpectSameAsRapidJson("\"\\u00e9 root\"");
}

TEST(JsonParseDifferentialTest, DepthLimitIsExact) {
  for (std::size_t limit : {0u, 1u, 2u, 5u}) {
    for (int depth = 0; depth <= 6; ++depth) {
      const std::string arrays =
          depth == 0 ? "1" : std::string(depth, '[') + std::string(depth, ']');
      std::string objects = "1";
      for (int i = 0; i < depth; ++i) objects = "{\"a\":" + objects + "}";
      for (const std::string& text : {arrays, objects}) {
        auto parsed = Json::Parse(text, {.max_depth = limit});
        EXPECT_EQ(parsed.ok(), static_cast<std::size_t>(depth) <= limit) << text;
        if (!parsed.ok()) {
          EXPECT_THAT(parsed.status().message(),
                      ::testing::HasSubstr("nesting deeper than " + std::to_string(limit)));
        }
      }
    }
  }
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Real documents: the sample cohort, the Synthea bundles, a bench cohort line.
std::vector<std::string> Seeds() {
  std::vector<std::string> seeds = {
      R"({"resourceType":"Observation","id":"t1-0000000","meta":{"versionId":"1"},"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"38267-1"}]},"subject":{"reference":"Patient/pt-0000000"},"effectiveDateTime":"2023-12-01T09:30:00Z","valueQuantity":{"value":-0.0,"unit":"{T-score}","system":"http://unitsofmeasure.org","code":"{T-score}"}})",
      R"({"a":[1,-2.5e+3,true,false,null,"x\"\\\/\b\f\n\r\t\u00e9\ud83e\uddb4"],"b":{}})",
      "{\"name\":\"Zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\xa6\xb4\",\"n\":[0.1000,1E3]}",
  };
  const std::filesystem::path source(BONEWATCH_SOURCE_DIR);
  std::ifstream cohort(source / "tests/data/sample-cohort.ndjson");
  for (std::string line; std::getline(cohort, line);) seeds.push_back(line);
  seeds.push_back(ReadFile(source / "tests/data/sample-cohort.json"));
  const std::filesystem::path synthea =
      std::filesystem::path(BONEWATCH_SHARED_DIR) / "data/synthea";
  if (std::filesystem::is_directory(synthea)) {
    for (const auto& entry : std::filesystem::directory_iterator(synthea)) {
      if (entry.path().extension() == ".json") seeds.push_back(ReadFile(entry.path()));
    }
  }
  return seeds;
}

TEST(JsonParseDifferentialTest, RealDocuments) {
  const std::vector<std::string> seeds = Seeds();
  ASSERT_GT(seeds.size(), 3u);
  for (const std::string& seed : seeds) {
    ASSERT_TRUE(Json::Parse(seed, {.max_depth = 1000, .max_bytes = 0}).ok());
    ExpectSameAsRapidJson(seed);
  }
}

TEST(JsonParseDifferentialTest, EveryTruncationOfADocument) {
  const std::string doc = Seeds()[1];
  for (std::size_t n = 0; n <= doc.size(); ++n) ExpectSameAsRapidJson(doc.substr(0, n));
}

// Random single-byte edits of small documents, biased to bytes that matter to JSON.
TEST(JsonParseDifferentialTest, MutatedDocuments) {
  std::vector<std::string> seeds = Seeds();
  seeds.resize(3);  // the small ones: many mutations each
  const std::string interesting =
      "{}[]\":,\\/ \t\r\n0123456789-+.eEtrufalsn\x01\x1f\x7f\x80\xbf\xc0\xc3\xe0\xed\xf0\xf4\xff"
      "u\0";
  std::mt19937 rng(20261127);
  for (int i = 0; i < 30000; ++i) {
    std::string text = seeds[static_cast<std::size_t>(i) % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t pos = rng() % text.size();
      const char byte = interesting[rng() % (interesting.size() + 1)];  // incl. the final NUL
      switch (rng() % 3) {
        case 0:
          text[pos] = byte;
          break;
        case 1:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(pos), byte);
          break;
        default:
          text.erase(pos, 1);
          break;
      }
    }
    ExpectSameAsRapidJson(text);
    if (HasFailure()) break;  // one input is enough to debug
  }
}

// Json::Recycle: trees parsed into storage kept from earlier trees (of
// other shapes, and built ones) are the same as parsed into new storage.
TEST(JsonParseDifferentialTest, RecycledStorageGivesTheSameTrees) {
  std::vector<std::string> docs = Seeds();
  docs.push_back(R"({"a":"a string longer than sixteen","b":[1,2,3],"c":{"d":"x"}})");
  docs.push_back(R"(["a string longer than sixteen bytes, escaped \u00e9 \n",[],{},"short"])");
  Json built = Json::Object()
                   .Set("a member name longer than 16", "a string longer than sixteen")
                   .Set("array", Json::Array().Push("one").Push(2));
  Json::Recycle(built);
  EXPECT_TRUE(built.is_null());
  for (int round = 0; round < 3; ++round) {
    for (const std::string& doc : docs) {
      auto parsed = Json::Parse(doc, {.max_depth = 1000, .max_bytes = 0});
      ASSERT_TRUE(parsed.ok());
      std::string out;
      Dump(*parsed, out);
      EXPECT_EQ(out, Reference(doc)) << "round " << round;
      Json::Recycle(*parsed);
      EXPECT_TRUE(parsed->is_null());
    }
  }
}

}  // namespace
}  // namespace bonewatch::fhir
