// Json::Parse: a direct parser for the common case, and RapidJSON's SAX
// reader as the reference for everything else.
//
// JsonFastParser builds the tree straight from the bytes, in place, with no
// intermediate events or copies. It accepts a subset of what RapidJSON
// accepts and gives up ("declines") on anything else: malformed input, lone
// UTF-16 surrogates, numbers near the double range, nesting beyond the limit,
// bytes after the root. Declined input is parsed again by the RapidJSON path
// (JsonBuilder), which decides what it always decided: the same tree or the
// same error message. So the fast parser never has to reproduce RapidJSON's
// error offsets; it must only never accept what RapidJSON rejects, and give
// the same tree for what it accepts (tests/fhir/json_parse_test.cc checks
// both against RapidJSON directly).
//
// The RapidJSON reader runs in iterative mode (no recursion on the C++ stack)
// with numbers delivered as their source text, so decimals stay exact. Depth
// is limited in the handler. The fast parser is iterative as well.
#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "bonewatch/fhir/json.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"

namespace bonewatch::fhir {

// Storage that Json::Recycle kept for JsonFastParser, per thread: vectors
// by their capacity and strings by theirs, each kind up to a bound, so that
// documents of a similar shape take their storage from the ones before.
// Befriended by Json.
struct JsonStoragePool {
  // Objects and arrays with up to this many children; most have a few.
  static constexpr std::size_t kMaxChildren = 16;
  // Strings longer than the inline capacity of std::string, up to this.
  static constexpr std::size_t kMinString = 16;
  static constexpr std::size_t kMaxString = 96;
  // Per capacity: enough for the documents of an export, and a bound on
  // what a thread keeps (about 650 KB at most).
  static constexpr std::size_t kMaxKept = 32;

  std::array<std::vector<std::vector<Json::Member>>, kMaxChildren + 1> members;
  std::array<std::vector<std::vector<Json>>, kMaxChildren + 1> elements;
  std::array<std::vector<std::string>, kMaxString + 1> strings;

  static JsonStoragePool& ForThread() {
    thread_local JsonStoragePool pool;
    return pool;
  }

  // `text` constructed in `at` (raw storage), in a kept string if one fits.
  void ConstructString(std::string* at, std::string_view text) {
    const std::size_t size = text.size();
    if (size >= kMinString && size <= kMaxString) {
      // A string of the same size or a little larger.
      const std::size_t last = std::min(kMaxString, size + 8);
      for (std::size_t capacity = size; capacity <= last; ++capacity) {
        std::vector<std::string>& kept = strings[capacity];
        if (kept.empty()) continue;
        std::construct_at(at, std::move(kept.back()));
        kept.pop_back();
        at->assign(text.data(), size);
        return;
      }
    }
    std::construct_at(at, text);
  }

  // An empty vector with room for `count` children, constructed in `at`.
  template <typename T>
  static void ConstructVector(std::vector<T>* at, std::size_t count,
                              std::array<std::vector<std::vector<T>>, kMaxChildren + 1>& kept) {
    if (count <= kMaxChildren && !kept[count].empty()) {
      std::construct_at(at, std::move(kept[count].back()));
      kept[count].pop_back();
      return;
    }
    std::construct_at(at);
    at->reserve(count);
  }

  void KeepString(std::string& text) {
    if (text.capacity() < kMinString) return;  // inline: nothing to keep
    const std::size_t capacity = text.capacity();
    if (capacity >= kMinString && capacity <= kMaxString && strings[capacity].size() < kMaxKept) {
      strings[capacity].push_back(std::move(text));
    }
  }

  template <typename T>
  static void KeepVector(std::vector<T>& children,
                         std::array<std::vector<std::vector<T>>, kMaxChildren + 1>& kept) {
    children.clear();
    const std::size_t capacity = children.capacity();
    if (capacity <= kMaxChildren && capacity > 0 && kept[capacity].size() < kMaxKept) {
      kept[capacity].push_back(std::move(children));
    }
  }

  // Takes the storage of `value` (which becomes null), children first.
  // Scalars are taken inline: only containers cost a call.
  void Take(Json& value) {
    if (value.type_ == Json::Type::kNumber || value.type_ == Json::Type::kString) {
      KeepString(value.text_);
      std::destroy_at(&value.text_);
    } else if (value.type_ == Json::Type::kArray || value.type_ == Json::Type::kObject) {
      TakeContainer(value);
    }
    value.type_ = Json::Type::kNull;
  }

  void TakeContainer(Json& value) {
    if (value.type_ == Json::Type::kArray) {
      for (Json& element : value.elements_) Take(element);
      KeepVector(value.elements_, elements);
      std::destroy_at(&value.elements_);
    } else {
      for (Json::Member& member : value.members_) {
        KeepString(member.key);
        Take(member.value);
      }
      KeepVector(value.members_, members);
      std::destroy_at(&value.members_);
    }
  }
};

void Json::Recycle(Json& value) { JsonStoragePool::ForThread().Take(value); }

// Builds a Json tree from SAX events. Befriended by Json.
class JsonBuilder {
  struct Frame;

 public:
  // The builder's stacks, kept by the caller across documents (per thread)
  // so that parsing a document allocates only for what it returns.
  struct Scratch {
    std::vector<Frame> frames;
    std::vector<Json> elements;         // children of the open arrays
    std::vector<Json::Member> members;  // children of the open objects
  };

  JsonBuilder(std::size_t max_depth, Scratch& scratch)
      : max_depth_(max_depth),
        frames_(scratch.frames),
        elements_(scratch.elements),
        members_(scratch.members) {}
  JsonBuilder(const JsonBuilder&) = delete;
  JsonBuilder& operator=(const JsonBuilder&) = delete;
  // Leaves the scratch empty (after an error, children of unclosed containers remain).
  ~JsonBuilder() {
    frames_.clear();
    elements_.clear();
    members_.clear();
  }

  bool Null() { return Add(Json()); }
  bool Bool(bool b) { return Add(Json(b)); }
  bool Int(int i) { return Add(Json(i)); }
  bool Uint(unsigned u) { return Add(Json(u)); }
  bool Int64(int64_t i) { return Add(Json(i)); }
  bool Uint64(uint64_t u) { return Add(Json(u)); }
  bool Double(double d) { return Add(Json(d)); }
  bool RawNumber(const char* s, rapidjson::SizeType len, bool /*copy*/) {
    return Add(Json(Json::IntegerTag{}, std::string(s, len)));
  }
  bool String(const char* s, rapidjson::SizeType len, bool /*copy*/) {
    return Add(Json(std::string(s, len)));
  }
  bool Key(const char* s, rapidjson::SizeType len, bool /*copy*/) {
    key_.assign(s, len);
    return true;
  }
  bool StartObject() { return Open(/*is_array=*/false); }
  bool EndObject(rapidjson::SizeType /*members*/) { return Close(); }
  bool StartArray() { return Open(/*is_array=*/true); }
  bool EndArray(rapidjson::SizeType /*elements*/) { return Close(); }

  bool depth_exceeded() const { return depth_exceeded_; }
  Json TakeRoot() { return std::move(root_); }

 private:
  // An open container. Its children collect on the scratch stacks and move
  // into one exactly sized vector when it closes (no regrowth per member).
  struct Frame {
    bool is_array = false;
    std::size_t start = 0;  // its first child on the scratch stack
    std::string key;        // its own key in the parent object, if any
  };

  bool Add(Json v) {
    if (frames_.empty()) {
      root_ = std::move(v);
    } else if (frames_.back().is_array) {
      elements_.push_back(std::move(v));
    } else {
      members_.push_back(Json::Member{std::move(key_), std::move(v)});
      key_.clear();
    }
    return true;
  }
  bool Open(bool is_array) {
    if (frames_.size() >= max_depth_) {
      depth_exceeded_ = true;
      return false;
    }
    frames_.push_back(
        Frame{is_array, is_array ? elements_.size() : members_.size(), std::move(key_)});
    key_.clear();
    return true;
  }
  bool Close() {
    Frame frame = std::move(frames_.back());
    frames_.pop_back();
    Json container = frame.is_array ? Json::Array() : Json::Object();
    if (frame.is_array) {
      container.elements_.reserve(elements_.size() - frame.start);
      std::move(elements_.begin() + static_cast<std::ptrdiff_t>(frame.start), elements_.end(),
                std::back_inserter(container.elements_));
      elements_.resize(frame.start);
    } else {
      container.members_.reserve(members_.size() - frame.start);
      std::move(members_.begin() + static_cast<std::ptrdiff_t>(frame.start), members_.end(),
                std::back_inserter(container.members_));
      members_.resize(frame.start);
    }
    key_ = std::move(frame.key);
    return Add(std::move(container));
  }

  std::size_t max_depth_;
  bool depth_exceeded_ = false;
  Json root_;
  std::vector<Frame>& frames_;
  std::vector<Json>& elements_;
  std::vector<Json::Member>& members_;
  std::string key_;
};

// Parses the JSON grammar RapidJSON implements (RFC 8259, no extensions)
// into a Json tree, or declines. Befriended by Json.
//
// Children collect on a scratch stack and are built once, in an exactly
// sized vector, when their container closes. Until then a string or number
// child is only a view of its text (and a key only a view of its name), so
// its std::string is constructed once, in place, never moved. A container is
// built in the slot that its parent (or the root) already holds for it, so
// it never moves itself until its parent closes.
class JsonFastParser {
  struct Frame;
  struct Child;

 public:
  // Kept by the caller across documents (per thread) so that parsing a
  // document allocates only for what it returns.
  struct Scratch {
    std::vector<Frame> frames;    // the open containers
    std::vector<Child> children;  // children of the open containers
    std::string text;             // unescaped strings (the texts of views)
  };

  // The parser holds the scratch stacks (their storage) while it runs: as
  // its own members they are one load away in the inner loops.
  JsonFastParser(std::string_view text, std::size_t max_depth, Scratch& scratch)
      : p_(text.data()),
        end_(text.data() + text.size()),
        max_depth_(max_depth),
        scratch_(scratch),
        frames_(std::move(scratch.frames)),
        children_(std::move(scratch.children)),
        unescaped_(std::move(scratch.text)) {}
  JsonFastParser(const JsonFastParser&) = delete;
  JsonFastParser& operator=(const JsonFastParser&) = delete;
  // Returns the scratch, empty (after declining, children of open containers remain).
  ~JsonFastParser() {
    frames_.clear();
    children_.clear();
    unescaped_.clear();
    // Unescaped text reserves room for the rest of its document (see
    // ParseString): a large document's room is not kept for the next.
    if (unescaped_.capacity() > kKeptTextCapacity) unescaped_.shrink_to_fit();
    scratch_.frames = std::move(frames_);
    scratch_.children = std::move(children_);
    scratch_.text = std::move(unescaped_);
  }

  // The document, or false when declined (`root` is then unspecified).
  bool Parse(Json& root) {
    root_ = &root;
    SkipWhitespace();
    if (!ParseValue()) return false;
    for (;;) {
      // A value is complete: continue its container, or finish the document.
      SkipWhitespace();
      if (frames_.empty()) return p_ == end_;
      if (p_ == end_) return false;
      const bool in_array = frames_.back().is_array;
      const char c = *p_++;
      if (c == ',') {
        SkipWhitespace();
        if (!in_array && !ParseKey()) return false;
        if (!ParseValue()) return false;
      } else if (c == (in_array ? ']' : '}')) {
        Close();
      } else {
        return false;
      }
    }
  }

 private:
  static constexpr std::size_t kKeptTextCapacity = 64 * 1024;
  static constexpr std::size_t kRootSlot = SIZE_MAX;

  // An open container and where its own value lives.
  struct Frame {
    bool is_array;
    std::size_t slot;   // its Child in children_, or kRootSlot: *root_
    std::size_t start;  // its first child in children_
  };

  // An element of an open array or a member of an open object. The views
  // are of the input or of unescaped_, which stay put while parsing.
  struct Child {
    std::string_view key;  // a member's name; empty for elements
    // kString or kNumber: the value is `text`, built when the container
    // closes (`value` stays null). kNull: the value is `value`.
    Json::Type text_type = Json::Type::kNull;
    std::string_view text;
    Json value;
  };

  static bool IsWhitespace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  void SkipWhitespace() {
    while (p_ != end_ && IsWhitespace(*p_)) ++p_;
  }

  // The child that the next value goes to: a new array element, or the
  // member whose key was just parsed. nullptr: the value is the root.
  Child* NextChild() {
    if (frames_.empty()) return nullptr;
    if (frames_.back().is_array) return &children_.emplace_back();
    return &children_.back();
  }
  // The null value where the next value goes.
  Json& NextValue() {
    Child* const child = NextChild();
    return child != nullptr ? child->value : *root_;
  }
  // The next value is a string or number with this text.
  void AddText(Json::Type type, std::string_view text) {
    Child* const child = NextChild();
    if (child == nullptr) {
      InitText(*root_, type, text);
    } else {
      child->text_type = type;
      child->text = text;
    }
  }

  // Parses one value. A scalar is complete on return; a container is open
  // and its first value parsed, unless it is empty (then it is closed).
  // Loops rather than recursing into the first value of nested containers.
  bool ParseValue() {
    for (;;) {
      if (p_ == end_) return false;
      switch (*p_) {
        case '{':
        case '[': {
          const bool is_array = *p_ == '[';
          if (!Open(is_array)) return false;
          ++p_;
          SkipWhitespace();
          if (p_ != end_ && *p_ == (is_array ? ']' : '}')) {
            ++p_;
            Close();
            return true;
          }
          if (!is_array && !ParseKey()) return false;
          continue;  // its first value
        }
        case '"': {
          ++p_;
          const std::string_view text = ParseString();
          if (text.data() == nullptr) return false;
          AddText(Json::Type::kString, text);
          return true;
        }
        case 't':
          return ParseLiteral("true", Json::Type::kBool, true);
        case 'f':
          return ParseLiteral("false", Json::Type::kBool, false);
        case 'n':
          return ParseLiteral("null", Json::Type::kNull, false);
        default:
          return ParseNumber();
      }
    }
  }

  // `word` is the value of `type` (null, or a bool with value `b`).
  bool ParseLiteral(std::string_view word, Json::Type type, bool b) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::memcmp(p_, word.data(), word.size()) != 0) {
      return false;
    }
    p_ += word.size();
    Json& slot = NextValue();  // null: set in place
    if (type == Json::Type::kBool) {
      slot.bool_ = b;
      slot.type_ = Json::Type::kBool;
    }
    return true;
  }

  // JSON number grammar; the text is kept as is. Declines numbers RapidJSON
  // might reject as too big for a double: more than 300 integer digits, or
  // a positive exponent above 308 (RapidJSON's limits are at least these).
  bool ParseNumber() {
    const char* const start = p_;
    if (*p_ == '-') ++p_;
    if (p_ == end_) return false;
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      const char* const digits = p_;
      while (p_ != end_ && IsDigit(*p_)) ++p_;
      if (p_ - digits > 300) return false;
    } else {
      return false;
    }
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || !IsDigit(*p_)) return false;
      while (p_ != end_ && IsDigit(*p_)) ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      bool negative = false;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) negative = *p_++ == '-';
      if (p_ == end_ || !IsDigit(*p_)) return false;
      int exponent = 0;
      while (p_ != end_ && IsDigit(*p_)) {
        exponent = std::min(exponent * 10 + (*p_++ - '0'), 10000);
      }
      if (!negative && exponent > 308) return false;
    }
    AddText(Json::Type::kNumber, std::string_view(start, static_cast<std::size_t>(p_ - start)));
    return true;
  }

  // A member key and the ':' after it; then positioned at its value.
  bool ParseKey() {
    if (p_ == end_ || *p_ != '"') return false;
    ++p_;
    const std::string_view key = ParseString();
    if (key.data() == nullptr) return false;
    children_.emplace_back().key = key;
    SkipWhitespace();
    if (p_ == end_ || *p_ != ':') return false;
    ++p_;
    SkipWhitespace();
    return true;
  }

  // A null value becomes a string or number with this text.
  void InitText(Json& value, Json::Type type, std::string_view text) {
    pool_.ConstructString(&value.text_, text);
    value.type_ = type;
  }

  // After the opening quote: the string's bytes, past the closing quote, or
  // a view with no data (nullptr) to decline. The view is of the input when
  // the string has no escapes, else of unescaped_; both stay valid until the
  // parser is destroyed. (Returned, not stored through a pointer: a view
  // returns in two registers, and reading back one stored as two halves
  // stalls.)
  std::string_view ParseString() {
    // Most strings are plain ASCII with no escapes: a view of the input.
    const char* q = SkipPlain(p_);
    if (q != end_ && *q == '"') {
      const std::string_view text(p_, static_cast<std::size_t>(q - p_));
      p_ = q + 1;
      return text;
    }
    // Unescaped strings are appended to unescaped_, which must never
    // reallocate (earlier views point into it). Unescaping never lengthens
    // text, so what is yet to come fits in the bytes left of the input:
    // room for those, made before the first string, is enough for all.
    if (unescaped_.empty()) unescaped_.reserve(static_cast<std::size_t>(end_ - p_));
    const std::size_t start = unescaped_.size();
    [[maybe_unused]] const char* const data = unescaped_.data();
    for (;;) {
      unescaped_.append(p_, q);
      p_ = q;
      if (p_ == end_) return {};
      const unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        assert(unescaped_.data() == data);
        return std::string_view(unescaped_).substr(start);
      }
      if (c == '\\') {
        if (!ParseEscape()) return {};
      } else if (c < 0x80 || !CopyUtf8Sequence()) {
        return {};  // a control character, or not UTF-8
      }
      q = SkipPlain(p_);
    }
  }

  // A byte that stands for itself in a string: printable ASCII except '"' and '\\'.
  static bool IsPlain(char c) {
    const unsigned char u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
  }

  // The first byte at or after `q` that is not IsPlain (or end_). Tests 16
  // (SSE2) or eight bytes at a time (strings are most of a FHIR document's
  // bytes); with SSE2 the byte within a block comes from its bit mask.
  const char* SkipPlain(const char* q) const {
#if defined(__SSE2__)
    while (end_ - q >= 16) {
      const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
      // As signed bytes, both the control characters (0x00-0x1F) and the
      // non-ASCII bytes (0x80-0xFF) are less than 0x20.
      const __m128i special = _mm_or_si128(
          _mm_cmplt_epi8(block, _mm_set1_epi8(0x20)),
          _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8('"')),
                       _mm_cmpeq_epi8(block, _mm_set1_epi8('\\'))));
      const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(special));
      if (mask != 0) return q + std::countr_zero(mask);
      q += 16;
    }
#endif
    constexpr uint64_t kOnes = 0x0101010101010101u;
    constexpr uint64_t kHighs = 0x8080808080808080u;
    while (end_ - q >= 8) {
      uint64_t w;
      std::memcpy(&w, q, 8);
      // Per byte, the high bit is set if the byte is < 0x20, '"' or '\\'
      // (x - 1 borrows into the high bit only from a zero byte), or >= 0x80.
      const uint64_t quote = w ^ (kOnes * '"');
      const uint64_t backslash = w ^ (kOnes * '\\');
      const uint64_t special = ((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) |
                               ((backslash - kOnes) & ~backslash) | w;
      if ((special & kHighs) != 0) break;  // somewhere in these eight
      q += 8;
    }
    while (q != end_ && IsPlain(*q)) ++q;
    return q;
  }

  bool ParseEscape() {
    ++p_;  // the backslash
    if (p_ == end_) return false;
    const char e = *p_++;
    switch (e) {
      case '"':
      case '\\':
      case '/':
        unescaped_.push_back(e);
        return true;
      case 'b':
        unescaped_.push_back('\b');
        return true;
      case 'f':
        unescaped_.push_back('\f');
        return true;
      case 'n':
        unescaped_.push_back('\n');
        return true;
      case 'r':
        unescaped_.push_back('\r');
        return true;
      case 't':
        unescaped_.push_back('\t');
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    uint32_t code = 0;
    if (!ParseHex4(code)) return false;
    if (code >= 0xD800 && code <= 0xDFFF) {
      // Only a high surrogate followed by a low one; RapidJSON decides the rest.
      if (code > 0xDBFF) return false;
      uint32_t low = 0;
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
      p_ += 2;
      if (!ParseHex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(code);
    return true;
  }

  bool ParseHex4(uint32_t& code) {
    if (end_ - p_ < 4) return false;
    for (int i = 0; i < 4; ++i) {
      const char h = *p_++;
      code <<= 4;
      if (h >= '0' && h <= '9') {
        code |= static_cast<uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        code |= static_cast<uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        code |= static_cast<uint32_t>(h - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }

  void AppendUtf8(uint32_t code) {
    if (code < 0x80) {
      unescaped_.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      unescaped_.push_back(static_cast<char>(0xC0 | (code >> 6)));
      unescaped_.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
      unescaped_.push_back(static_cast<char>(0xE0 | (code >> 12)));
      unescaped_.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      unescaped_.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      unescaped_.push_back(static_cast<char>(0xF0 | (code >> 18)));
      unescaped_.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
      unescaped_.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      unescaped_.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
  }

  // One well-formed UTF-8 sequence (RFC 3629: no overlong forms, no
  // surrogates, nothing above U+10FFFF), the set RapidJSON validates.
  bool CopyUtf8Sequence() {
    const auto byte = [&](std::ptrdiff_t i) { return static_cast<unsigned char>(p_[i]); };
    const auto tail = [&](std::ptrdiff_t i) { return (byte(i) & 0xC0) == 0x80; };
    const std::ptrdiff_t left = end_ - p_;
    const unsigned char b0 = byte(0);
    std::ptrdiff_t n = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      n = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      n = 3;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      n = 4;
    } else {
      return false;
    }
    if (left < n) return false;
    for (std::ptrdiff_t i = 1; i < n; ++i) {
      if (!tail(i)) return false;
    }
    const unsigned char b1 = byte(1);
    if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F) || (b0 == 0xF0 && b1 < 0x90) ||
        (b0 == 0xF4 && b1 > 0x8F)) {
      return false;
    }
    unescaped_.append(p_, static_cast<std::size_t>(n));
    p_ += n;
    return true;
  }

  bool Open(bool is_array) {
    if (frames_.size() >= max_depth_) return false;
    Frame frame{is_array, kRootSlot, 0};
    // Its slot: a new array element, or the member whose key was just parsed.
    if (NextChild() != nullptr) frame.slot = children_.size() - 1;
    frame.start = children_.size();
    frames_.push_back(frame);
    return true;
  }

  // The container's children are built in its storage, allocated once at
  // their exact count, and popped; it is constructed in its null slot.
  void Close() {
    const Frame frame = frames_.back();
    frames_.pop_back();
    Json& container = frame.slot == kRootSlot ? *root_ : children_[frame.slot].value;
    const auto first = children_.begin() + static_cast<std::ptrdiff_t>(frame.start);
    const auto count = static_cast<std::size_t>(children_.end() - first);
    if (frame.is_array) {
      JsonStoragePool::ConstructVector(&container.elements_, count, pool_.elements);
      container.type_ = Json::Type::kArray;
      for (auto child = first; child != children_.end(); ++child) {
        Build(*child, container.elements_.emplace_back());
      }
    } else {
      JsonStoragePool::ConstructVector(&container.members_, count, pool_.members);
      container.type_ = Json::Type::kObject;
      for (auto child = first; child != children_.end(); ++child) {
        Json::Member& member = container.members_.emplace_back();
        std::destroy_at(&member.key);
        pool_.ConstructString(&member.key, child->key);
        Build(*child, member.value);
      }
    }
    children_.erase(first, children_.end());
  }

  // The child's value, built in `value` (null).
  void Build(Child& child, Json& value) {
    if (child.text_type != Json::Type::kNull) {
      InitText(value, child.text_type, child.text);
    } else {
      value.MoveFrom(std::move(child.value));
    }
  }

  const char* p_;
  const char* const end_;
  const std::size_t max_depth_;
  Json* root_ = nullptr;
  Scratch& scratch_;
  JsonStoragePool& pool_ = JsonStoragePool::ForThread();
  std::vector<Frame> frames_;
  std::vector<Child> children_;
  std::string unescaped_;
};

namespace {

bool IsAscii(std::string_view text) {
  unsigned char any = 0;
  for (const char c : text) any |= static_cast<unsigned char>(c);
  return (any & 0x80u) == 0;
}

}  // namespace

StatusOr<Json> Json::Parse(std::string_view text, const JsonParseOptions& options) {
  if (options.max_bytes != 0 && text.size() > options.max_bytes) {
    return InvalidArgumentError("JSON input of " + std::to_string(text.size()) +
                                " bytes exceeds the limit of " + std::to_string(options.max_bytes) +
                                " bytes");
  }
  {
    thread_local JsonFastParser::Scratch fast_scratch;
    Json root;
    if (JsonFastParser(text, options.max_depth, fast_scratch).Parse(root)) return root;
  }
  // Declined: RapidJSON decides, and names the error if there is one.
  constexpr unsigned kFlags =
      rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseIterativeFlag;
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::Reader reader;
  thread_local JsonBuilder::Scratch scratch;
  JsonBuilder builder(options.max_depth, scratch);
  // ASCII is valid UTF-8: only other input needs the encoding checked.
  rapidjson::ParseResult result =
      IsAscii(text) ? reader.Parse<kFlags>(stream, builder)
                    : reader.Parse<kFlags | rapidjson::kParseValidateEncodingFlag>(stream, builder);
  if (result.IsError()) {
    std::string reason = builder.depth_exceeded()
                             ? "nesting deeper than " + std::to_string(options.max_depth)
                             : std::string(rapidjson::GetParseError_En(result.Code()));
    return InvalidArgumentError("invalid JSON at offset " + std::to_string(result.Offset()) + ": " +
                                reason);
  }
  return builder.TakeRoot();
}

}  // namespace bonewatch::fhir
