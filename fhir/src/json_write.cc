// Json serialization. Compact output goes through RapidJSON's Writer, with
// numbers written from their stored text with RawValue (RapidJSON 1.1's
// RawNumber would quote them), so decimals round-trip byte for byte. Pretty
// output is written by JsonPrettyWriter, which writes RapidJSON's
// PrettyWriter format straight into the caller's string (the bulk of
// `bonewatch evaluate`'s output is pretty-printed; tests hold the two equal).
#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <string>

#include "bonewatch/fhir/json.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace bonewatch::fhir {
namespace {

void Write(const Json& v, rapidjson::Writer<rapidjson::StringBuffer>& w) {
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
      for (const Json& e : v.elements()) Write(e, w);
      w.EndArray();
      return;
    case Json::Type::kObject:
      w.StartObject();
      for (const Json::Member& m : v.members()) {
        w.Key(m.key.data(), static_cast<rapidjson::SizeType>(m.key.size()));
        Write(m.value, w);
      }
      w.EndObject();
      return;
  }
}

void WritePretty(const Json& v, JsonPrettyWriter& w) {
  switch (v.type()) {
    case Json::Type::kNull:
      w.Null();
      return;
    case Json::Type::kBool:
      w.Bool(v.AsBool());
      return;
    case Json::Type::kNumber:
      w.Number(v.NumberText());
      return;
    case Json::Type::kString:
      w.String(v.AsString());
      return;
    case Json::Type::kArray:
      w.StartArray();
      for (const Json& e : v.elements()) WritePretty(e, w);
      w.EndArray();
      return;
    case Json::Type::kObject:
      w.StartObject();
      for (const Json::Member& m : v.members()) {
        w.Key(m.key);
        WritePretty(m.value, w);
      }
      w.EndObject();
      return;
  }
}

// The escape of each byte in a string, as RapidJSON's Writer::WriteString:
// 0 for none, 'u' for \u00XX, else the letter after the backslash.
constexpr std::array<char, 256> kEscapes = [] {
  std::array<char, 256> escapes{};
  for (int c = 0; c < 0x20; ++c) escapes[c] = 'u';
  escapes['\b'] = 'b';
  escapes['\t'] = 't';
  escapes['\n'] = 'n';
  escapes['\f'] = 'f';
  escapes['\r'] = 'r';
  escapes['"'] = '"';
  escapes['\\'] = '\\';
  return escapes;
}();
constexpr char kHexDigits[] = "0123456789ABCDEF";  // upper case, as RapidJSON
constexpr std::size_t kMaxEscapeBytes = 6;          // \u00XX

// Whether any of the 8 bytes of `word` needs an escape: a control character
// (below 0x20), '"' or '\\'. Exact, branch-free byte tests on a whole word
// (Bit Twiddling Hacks, "determine if a word has a byte less than n"), so
// that runs of plain text are copied 8 bytes at a time.
constexpr bool NeedsEscape(std::uint64_t word) {
  constexpr std::uint64_t kOnes = 0x0101010101010101u;
  constexpr std::uint64_t kHighBits = 0x8080808080808080u;
  const std::uint64_t quote = word ^ (kOnes * '"');
  const std::uint64_t backslash = word ^ (kOnes * '\\');
  const std::uint64_t below_space = (word - kOnes * 0x20) & ~word;
  const std::uint64_t is_quote = (quote - kOnes) & ~quote;
  const std::uint64_t is_backslash = (backslash - kOnes) & ~backslash;
  return ((below_space | is_quote | is_backslash) & kHighBits) != 0;
}

// A line break and the deepest indentation copied as one fixed-size block;
// deeper lines are indented with memset.
constexpr char kLineBreak[] =
    "\n                                                                ";
constexpr std::size_t kLineBreakBytes = sizeof(kLineBreak) - 1;
constexpr std::size_t kMaxCopiedIndent = kLineBreakBytes - 1;
static_assert(kMaxCopiedIndent == 64);

// How much `out` grows at least when the writer needs room: a value of many
// small tokens resizes it seldom.
constexpr std::size_t kGrowth = 2048;

}  // namespace

std::string Json::Serialize() const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  Write(*this, writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string Json::SerializePretty() const {
  std::string out;
  AppendPretty(out, 0);
  return out;
}

void Json::AppendPretty(std::string& out, std::size_t depth) const {
  JsonPrettyWriter writer(&out, depth);
  WritePretty(*this, writer);
  writer.Finish();
}

JsonPrettyWriter::JsonPrettyWriter(std::string* out, std::size_t depth)
    : out_(out), start_(out->size()), depth_(depth), level_(depth) {
  end_ = next_ = out_->data() + start_;
}

JsonPrettyWriter::~JsonPrettyWriter() {
  if (!finished_) out_->resize(start_);
}

// Makes room for `bytes` bytes at `at` (a position in out_ up to end_) and
// returns that position, which moves when out_ is reallocated.
char* JsonPrettyWriter::Room(char* at, std::size_t bytes) {
  if (static_cast<std::size_t>(end_ - at) >= bytes) return at;
  const auto used = static_cast<std::size_t>(at - out_->data());
  out_->resize(used + std::max(bytes, kGrowth));
  end_ = out_->data() + out_->size();
  return out_->data() + used;
}

// The room Prefix needs at most.
std::size_t JsonPrettyWriter::PrefixRoom() const { return 1 + kLineBreakBytes + 2 * level_; }

// What comes before a token: nothing before the value itself or a member's
// value (the key wrote its ": "), else a ',' after a sibling and a new line.
char* JsonPrettyWriter::Prefix(char* at) {
  if (bare_) {
    bare_ = false;
    return at;
  }
  if (!empty_) *at++ = ',';
  empty_ = false;
  return LineBreak(at, level_);
}

char* JsonPrettyWriter::LineBreak(char* at, std::size_t level) const {
  const std::size_t indent = 2 * level;
  if (indent <= kMaxCopiedIndent) {
    // The spaces past the indentation are overwritten or cut off by Finish().
    std::memcpy(at, kLineBreak, kLineBreakBytes);
    return at + 1 + indent;
  }
  *at++ = '\n';
  std::memset(at, ' ', indent);
  return at + indent;
}

// `text` in quotes and escaped; leaves room for 2 more bytes after it.
char* JsonPrettyWriter::Quoted(char* at, std::string_view text) {
  at = Room(at, text.size() + 4);
  *at++ = '"';
  const char* in = text.data();
  const char* const end = in + text.size();
  while (in != end) {
    if (end - in >= 8) {
      std::uint64_t word;
      std::memcpy(&word, in, 8);
      if (!NeedsEscape(word)) {
        std::memcpy(at, &word, 8);
        at += 8;
        in += 8;
        continue;
      }
    }
    // A word with something to escape, or the last bytes: one at a time.
    const char* const stop = in + std::min<std::ptrdiff_t>(8, end - in);
    for (; in != stop; ++in) {
      const auto c = static_cast<unsigned char>(*in);
      const char escape = kEscapes[c];
      if (escape == 0) {
        *at++ = *in;
        continue;
      }
      // The room counted 1 byte for this one: make room for its escape, the
      // rest of the text, the closing quote and 2 more.
      at = Room(at, kMaxEscapeBytes + static_cast<std::size_t>(end - in) + 3);
      *at++ = '\\';
      *at++ = escape;
      if (escape == 'u') {
        *at++ = '0';
        *at++ = '0';
        *at++ = kHexDigits[c >> 4];
        *at++ = kHexDigits[c & 0xF];
      }
    }
  }
  *at++ = '"';
  return at;
}

void JsonPrettyWriter::StartObject() {
  char* at = Prefix(Room(next_, PrefixRoom() + 1));
  *at++ = '{';
  next_ = at;
  ++level_;
  empty_ = true;
}

void JsonPrettyWriter::EndObject() {
  assert(level_ > depth_);
  --level_;
  char* at = Room(next_, PrefixRoom() + 1);
  if (!empty_) at = LineBreak(at, level_);
  *at++ = '}';
  next_ = at;
  empty_ = false;  // the enclosing container holds at least this object
}

void JsonPrettyWriter::StartArray() {
  char* at = Prefix(Room(next_, PrefixRoom() + 1));
  *at++ = '[';
  next_ = at;
  ++level_;
  empty_ = true;
}

void JsonPrettyWriter::EndArray() {
  assert(level_ > depth_);
  --level_;
  char* at = Room(next_, PrefixRoom() + 1);
  if (!empty_) at = LineBreak(at, level_);
  *at++ = ']';
  next_ = at;
  empty_ = false;
}

void JsonPrettyWriter::Key(std::string_view key) {
  char* at = Quoted(Prefix(Room(next_, PrefixRoom())), key);
  *at++ = ':';
  *at++ = ' ';
  next_ = at;
  bare_ = true;  // the member's value follows the ": "
}

void JsonPrettyWriter::String(std::string_view value) {
  next_ = Quoted(Prefix(Room(next_, PrefixRoom())), value);
}

void JsonPrettyWriter::Member(std::string_view key, std::string_view value) {
  Key(key);
  String(value);
}

void JsonPrettyWriter::Null() { Literal("null"); }

void JsonPrettyWriter::Bool(bool value) { Literal(value ? "true" : "false"); }

void JsonPrettyWriter::Number(std::string_view text) { Literal(text); }

// A token written as is.
void JsonPrettyWriter::Literal(std::string_view text) {
  char* at = Prefix(Room(next_, PrefixRoom() + text.size()));
  std::memcpy(at, text.data(), text.size());
  next_ = at + text.size();
}

void JsonPrettyWriter::Finish() {
  assert(level_ == depth_ && !finished_);
  out_->resize(static_cast<std::size_t>(next_ - out_->data()));
  finished_ = true;
}

}  // namespace bonewatch::fhir
