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

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "bonewatch/fhir/json.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace bonewatch::fhir {
namespace {

// What differs between the two writers Json is written with: RapidJSON's
// compact Writer (Serialize) and JsonPrettyWriter (SerializePretty, AppendPretty).
using CompactWriter = rapidjson::Writer<rapidjson::StringBuffer>;
void PutNumber(CompactWriter& w, const std::string& text) {
  w.RawValue(text.data(), text.size(), rapidjson::kNumberType);
}
void PutNumber(JsonPrettyWriter& w, const std::string& text) { w.Number(text); }
void PutString(CompactWriter& w, const std::string& text) {
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}
void PutString(JsonPrettyWriter& w, const std::string& text) { w.String(text); }
void PutKey(CompactWriter& w, const std::string& key) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}
void PutKey(JsonPrettyWriter& w, const std::string& key) {
  w.Key(JsonPrettyWriter::MemberName(key));
}

template <typename Writer>
void Write(const Json& v, Writer& w) {
  switch (v.type()) {
    case Json::Type::kNull:
      w.Null();
      return;
    case Json::Type::kBool:
      w.Bool(v.AsBool());
      return;
    case Json::Type::kNumber:
      PutNumber(w, v.NumberText());
      return;
    case Json::Type::kString:
      PutString(w, v.AsString());
      return;
    case Json::Type::kArray:
      w.StartArray();
      for (const Json& e : v.elements()) Write(e, w);
      w.EndArray();
      return;
    case Json::Type::kObject:
      w.StartObject();
      for (const Json::Member& m : v.members()) {
        PutKey(w, m.key);
        Write(m.value, w);
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
constexpr std::size_t kMaxEscapeBytes = 6;         // \u00XX

// Whether any byte of `word` needs an escape: a control character (below
// 0x20), '"' or '\\'. Exact, branch-free byte tests on a whole word (Bit
// Twiddling Hacks, "determine if a word has a byte less than n").
template <typename Word>
constexpr bool NeedsEscape(Word word) {
  constexpr Word kOnes = static_cast<Word>(~Word{0}) / 0xFF;  // 0x0101...01
  constexpr Word kHighBits = kOnes * 0x80;
  const Word quote = word ^ (kOnes * '"');
  const Word backslash = word ^ (kOnes * '\\');
  const Word below_space = (word - kOnes * 0x20) & ~word;
  const Word is_quote = (quote - kOnes) & ~quote;
  const Word is_backslash = (backslash - kOnes) & ~backslash;
  return ((below_space | is_quote | is_backslash) & kHighBits) != 0;
}

template <typename Word>
Word Load(const char* from) {
  Word word;
  std::memcpy(&word, from, sizeof word);
  return word;
}

template <typename Word>
void Store(char* to, Word word) {
  std::memcpy(to, &word, sizeof word);
}

// Copies the kBlockBytes bytes at `from` to `to` if none needs an escape
// (or kCheck is false), and returns whether it did.
#if defined(__SSE2__)
constexpr std::size_t kBlockBytes = 16;

template <bool kCheck>
bool CopyBlock(char* to, const char* from) {
  const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from));
  if constexpr (kCheck) {
    // Unsigned bytes below 0x20 saturate to 0 when 0x1F is subtracted.
    const __m128i control =
        _mm_cmpeq_epi8(_mm_subs_epu8(block, _mm_set1_epi8(0x1F)), _mm_setzero_si128());
    const __m128i quote = _mm_cmpeq_epi8(block, _mm_set1_epi8('"'));
    const __m128i backslash = _mm_cmpeq_epi8(block, _mm_set1_epi8('\\'));
    if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(control, quote), backslash)) != 0) {
      return false;
    }
  }
  _mm_storeu_si128(reinterpret_cast<__m128i*>(to), block);
  return true;
}
#else
constexpr std::size_t kBlockBytes = 8;

template <bool kCheck>
bool CopyBlock(char* to, const char* from) {
  const auto block = Load<std::uint64_t>(from);
  if (kCheck && NeedsEscape(block)) return false;
  Store(to, block);
  return true;
}
#endif

// Copies the `size` bytes at `from` to `to` if none needs an escape (or
// kCheck is false), and returns whether it did; if not, [to, to + size) is
// partly written. Most texts are short: they are moved as two words that may
// overlap, and long ones by blocks, the last of which may overlap the one
// before. So no call to memcpy is made per text, and nothing is read or
// written outside the two ranges.
template <bool kCheck>
bool CopyText(char* to, const char* from, std::size_t size) {
  if (size >= kBlockBytes) {
    std::size_t i = 0;
    for (; i + kBlockBytes <= size; i += kBlockBytes) {
      if (!CopyBlock<kCheck>(to + i, from + i)) return false;
    }
    return i == size || CopyBlock<kCheck>(to + size - kBlockBytes, from + size - kBlockBytes);
  }
  auto copy_two = [&]<typename Word>(Word) {
    const auto first = Load<Word>(from);
    const auto last = Load<Word>(from + size - sizeof(Word));
    if (kCheck && (NeedsEscape(first) || NeedsEscape(last))) return false;
    Store(to, first);
    Store(to + size - sizeof(Word), last);
    return true;
  };
  if (size >= 8) return copy_two(std::uint64_t{});
  if (size >= 4) return copy_two(std::uint32_t{});
  for (std::size_t i = 0; i < size; ++i) {
    if (kCheck && kEscapes[static_cast<unsigned char>(from[i])] != 0) return false;
    to[i] = from[i];
  }
  return true;
}

// A line break and the deepest indentation copied as one fixed-size block;
// deeper lines are indented with memset.
constexpr char kLineBreak[] = "\n                                                                ";
constexpr std::size_t kLineBreakBytes = sizeof(kLineBreak) - 1;
constexpr std::size_t kMaxCopiedIndent = kLineBreakBytes - 1;
static_assert(kMaxCopiedIndent == 64);

// How much `out` grows at least when the writer needs room: a value of many
// small tokens resizes it seldom.
constexpr std::size_t kGrowth = 2048;

}  // namespace

std::string Json::Serialize() const {
  rapidjson::StringBuffer buffer;
  CompactWriter writer(buffer);
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
  Write(*this, writer);
  writer.Finish();
}

JsonPrettyWriter::JsonPrettyWriter(std::string* out, std::size_t depth)
    : out_(out), start_(out->size()), depth_(depth), level_(depth) {
  end_ = next_ = out_->data() + start_;
}

JsonPrettyWriter::JsonPrettyWriter(std::string* out, std::size_t level, FragmentTag)
    : JsonPrettyWriter(out, level) {
  bare_ = false;
  empty_ = false;
}

JsonPrettyWriter::~JsonPrettyWriter() {
  if (!finished_) out_->resize(start_);
}

// Makes room for `bytes` bytes at `at` (a position in out_ up to end_) and
// returns that position, which moves when out_ is reallocated.
inline char* JsonPrettyWriter::Room(char* at, std::size_t bytes) {
  if (static_cast<std::size_t>(end_ - at) >= bytes) [[likely]] {
    return at;
  }
  return Grow(at, bytes);
}

char* JsonPrettyWriter::Grow(char* at, std::size_t bytes) {
  const auto used = static_cast<std::size_t>(at - out_->data());
  out_->resize(used + std::max(bytes, kGrowth));
  end_ = out_->data() + out_->size();
  return out_->data() + used;
}

// The room Prefix needs at most.
inline std::size_t JsonPrettyWriter::PrefixRoom() const { return 1 + kLineBreakBytes + 2 * level_; }

// What comes before a token: nothing before the value itself or a member's
// value (the key wrote its ": "), else a ',' after a sibling and a new line.
inline char* JsonPrettyWriter::Prefix(char* at) {
  if (bare_) {
    bare_ = false;
    return at;
  }
  if (!empty_) *at++ = ',';
  empty_ = false;
  return LineBreak(at, level_);
}

inline char* JsonPrettyWriter::LineBreak(char* at, std::size_t level) const {
  const std::size_t indent = 2 * level;
  if (indent <= kMaxCopiedIndent) [[likely]] {
    // The spaces past the indentation are overwritten or cut off by Finish().
    std::memcpy(at, kLineBreak, kLineBreakBytes);
    return at + 1 + indent;
  }
  *at++ = '\n';
  std::memset(at, ' ', indent);
  return at + indent;
}

// "name": with room for the prefix made.
inline char* JsonPrettyWriter::Name(char* at, MemberName key) {
  if (key.plain_) {
    at = Room(at, key.size_ + 4);
    *at++ = '"';
    CopyText<false>(at, key.data_, key.size_);
    at += key.size_;
    *at++ = '"';
  } else {
    at = Quoted(at, key.text());
  }
  *at++ = ':';
  *at++ = ' ';
  bare_ = true;  // the member's value follows the ": "
  return at;
}

// `text` in quotes and escaped; leaves room for 2 more bytes after it.
inline char* JsonPrettyWriter::Quoted(char* at, std::string_view text) {
  at = Room(at, text.size() + 4);
  *at++ = '"';
  if (CopyText<true>(at, text.data(), text.size())) [[likely]] {
    at += text.size();
  } else {
    at = Escaped(at, text);
  }
  *at++ = '"';
  return at;
}

// `text` escaped, with room for its unescaped size and 3 more bytes made.
char* JsonPrettyWriter::Escaped(char* at, std::string_view text) {
  const char* in = text.data();
  const char* const end = in + text.size();
  while (in != end) {
    if (end - in >= 8 && !NeedsEscape(Load<std::uint64_t>(in))) {
      CopyText<false>(at, in, 8);
      at += 8;
      in += 8;
      continue;
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
  return at;
}

void JsonPrettyWriter::Open(char bracket) {
  char* at = Prefix(Room(next_, PrefixRoom() + 1));
  *at++ = bracket;
  next_ = at;
  ++level_;
  empty_ = true;
}

void JsonPrettyWriter::Close(char bracket) {
  assert(level_ > depth_);
  --level_;
  char* at = Room(next_, PrefixRoom() + 1);
  if (!empty_) at = LineBreak(at, level_);
  *at++ = bracket;
  next_ = at;
  empty_ = false;  // the enclosing container holds at least this one
}

void JsonPrettyWriter::StartObject() { Open('{'); }
void JsonPrettyWriter::EndObject() { Close('}'); }
void JsonPrettyWriter::StartArray() { Open('['); }
void JsonPrettyWriter::EndArray() { Close(']'); }

void JsonPrettyWriter::Key(MemberName key) { next_ = Name(Prefix(Room(next_, PrefixRoom())), key); }

void JsonPrettyWriter::String(std::string_view value) {
  next_ = Quoted(Prefix(Room(next_, PrefixRoom())), value);
}

void JsonPrettyWriter::Member(MemberName key, std::string_view value) {
  char* at = Name(Prefix(Room(next_, PrefixRoom())), key);
  bare_ = false;
  next_ = Quoted(at, value);
}

void JsonPrettyWriter::Null() { Literal("null"); }

void JsonPrettyWriter::Bool(bool value) { Literal(value ? "true" : "false"); }

void JsonPrettyWriter::Number(std::string_view text) { Literal(text); }

// A token written as is.
void JsonPrettyWriter::Literal(std::string_view text) {
  char* at = Prefix(Room(next_, PrefixRoom() + text.size()));
  CopyText<false>(at, text.data(), text.size());
  next_ = at + text.size();
}

void JsonPrettyWriter::Append(const JsonPrettyFragment& fragment, std::string_view value) {
  assert(!bare_ && level_ == fragment.level_ && fragment.has_slot());
  const std::string_view text = fragment.text_;
  std::string_view before = text.substr(0, fragment.slot_);
  const std::string_view after = text.substr(fragment.slot_);
  if (empty_) before.remove_prefix(1);  // the first in its container: no ','
  char* at = Room(next_, before.size());
  std::memcpy(at, before.data(), before.size());
  at = Quoted(at + before.size(), value);
  at = Room(at, after.size());
  std::memcpy(at, after.data(), after.size());
  next_ = at + after.size();
  empty_ = false;
}

void JsonPrettyWriter::StringSlot() {
  assert(slot_ == SIZE_MAX);
  char* at = Prefix(Room(next_, PrefixRoom()));
  slot_ = static_cast<std::size_t>(at - (out_->data() + start_));
  next_ = at;
}

void JsonPrettyWriter::Append(const JsonPrettyFragment& fragment) {
  assert(!bare_ && level_ == fragment.level_ && !fragment.text_.empty() && !fragment.has_slot());
  std::string_view text = fragment.text_;
  if (text.empty()) return;
  if (empty_) text.remove_prefix(1);  // the first in its container: no ','
  char* at = Room(next_, text.size());
  std::memcpy(at, text.data(), text.size());
  next_ = at + text.size();
  empty_ = false;
}

void JsonPrettyWriter::Finish() {
  assert(level_ == depth_ && !finished_);
  out_->resize(static_cast<std::size_t>(next_ - out_->data()));
  finished_ = true;
}

}  // namespace bonewatch::fhir
