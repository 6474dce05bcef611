// Json: an owning, mutable JSON value for FHIR resources.
//
// Purpose: the one JSON type of BoneWatch. It hides RapidJSON (used only in
// json.cc) and adds what FHIR needs:
//  - object members keep the order in which they were parsed or inserted;
//  - numbers are kept as their exact source text, so FHIR decimals such as
//    0.1000 or 12345678901234567890.5 round-trip byte for byte;
//  - serialization is deterministic: equal values give identical bytes;
//  - parsing has hard limits (nesting depth, input size) against hostile input
//    and reports errors as values naming the byte offset and the reason.
//
// Ownership: a Json owns its whole tree. Copies are deep; moves are cheap
// (no allocation). A moved-from value keeps its type and is empty. Pointers returned by Find/At
// stay valid until the containing value is modified or destroyed.
//
// Thread-safety: thread-compatible. Concurrent const access is safe; any
// mutation needs external synchronization.
//
// REQUIRES: accessors documented "REQUIRES: is_x()" are only called on values
// of that type (checked by assert in debug builds; release builds return a
// neutral value instead of crashing).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bonewatch/fhir/status.h"

namespace bonewatch::fhir {

struct JsonParseOptions {
  // Deeper documents are rejected ("nesting deeper than 100").
  std::size_t max_depth = 100;
  // Larger inputs are rejected before parsing; 0 means no limit.
  std::size_t max_bytes = 256u * 1024u * 1024u;
};

class Json {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  struct Member;

  // null.
  Json();
  Json(std::nullptr_t);  // NOLINT(google-explicit-constructor)
  Json(bool b);          // NOLINT(google-explicit-constructor)
  // Any integer type except bool; written as its decimal text.
  template <std::integral I>
  requires(!std::same_as<I, bool>) Json(I i)
      : Json(IntegerTag{}, IntegerText(i)) {}  // NOLINT(google-explicit-constructor)
  // Shortest text that round-trips the double. NaN and infinities become null.
  Json(double d);            // NOLINT(google-explicit-constructor)
  Json(const char* s);       // NOLINT(google-explicit-constructor)
  Json(std::string s);       // NOLINT(google-explicit-constructor)
  Json(std::string_view s);  // NOLINT(google-explicit-constructor)

  Json(const Json&);
  Json(Json&&) noexcept;
  Json& operator=(const Json&);
  Json& operator=(Json&&) noexcept;
  ~Json();

  static Json Object();
  static Json Array();
  // A number from its exact decimal text (JSON number grammar, e.g. "0.1000",
  // "-1.5e3"). InvalidArgument if `text` is not a JSON number.
  static StatusOr<Json> Decimal(std::string_view text);
  // Parses one JSON document. Errors: "invalid JSON at offset N: reason".
  static StatusOr<Json> Parse(std::string_view text, const JsonParseOptions& options = {});

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // REQUIRES: is_bool().
  bool AsBool() const;
  // REQUIRES: is_string().
  const std::string& AsString() const;
  // The exact number text as parsed or built. REQUIRES: is_number().
  const std::string& NumberText() const;
  // Lossy conversion for computation. REQUIRES: is_number().
  double AsDouble() const;
  // The value if the number text is an integer ("42", "-7") that fits in
  // int64; nullopt otherwise (including "4.0" and "1e3").
  std::optional<int64_t> AsInt64() const;

  // Number of members (object) or elements (array); 0 for scalars.
  std::size_t size() const;
  bool empty() const { return size() == 0; }

  // ---- Objects ----
  // The member value, or nullptr when missing or when this is not an object.
  const Json* Find(std::string_view key) const;
  Json* Find(std::string_view key);
  bool Has(std::string_view key) const { return Find(key) != nullptr; }
  // Typed lookups: nullopt when missing or of another type.
  std::optional<std::string> GetString(std::string_view key) const;
  // As GetString, without copying: the view points into this value and is
  // valid as long as a pointer returned by Find(key) would be.
  std::optional<std::string_view> GetStringView(std::string_view key) const;
  std::optional<bool> GetBool(std::string_view key) const;
  std::optional<int64_t> GetInt64(std::string_view key) const;
  // Follows object keys: At({"code", "coding"}). nullptr if any step is missing.
  const Json* At(std::initializer_list<std::string_view> path) const;
  // Sets `key` (replacing in place, keeping its position, or appending).
  // A non-object value becomes an empty object first.
  Json& Set(std::string key, Json value) &;
  Json Set(std::string key, Json value) &&;
  // Removes `key`; returns whether it was present.
  bool Remove(std::string_view key);
  // Members in order; empty for non-objects. The mutable overload is for
  // lvalues; REQUIRES is_object() to add members through it (use Set()).
  const std::vector<Member>& members() const&;
  std::vector<Member>& members() &;

  // ---- Arrays ----
  // Appends. A non-array value becomes an empty array first.
  Json& Push(Json value) &;
  Json Push(Json value) &&;
  // Elements in order; empty for non-arrays. The mutable overload is for
  // lvalues; REQUIRES is_array() to add elements through it (use Push()).
  const std::vector<Json>& elements() const&;
  std::vector<Json>& elements() &;
  // REQUIRES: is_array() && i < size().
  const Json& operator[](std::size_t i) const { return elements()[i]; }
  Json& operator[](std::size_t i) { return elements()[i]; }

  // ---- Output ----
  // Compact, no whitespace. Member order as stored; numbers as their text.
  std::string Serialize() const;
  // Two-space indentation, one member/element per line.
  std::string SerializePretty() const;
  // Appends SerializePretty() as it reads nested `depth` levels deep in a
  // pretty-printed document: every line after the first is indented by
  // 2 * depth more spaces. AppendPretty(out, 0) appends SerializePretty().
  void AppendPretty(std::string& out, std::size_t depth) const;

  // Structural equality: same types, same number text, same member order.
  // Equivalent to Serialize() equality.
  friend bool operator==(const Json& a, const Json& b);

  // A copy whose objects have their members sorted by key (recursively), for
  // order-insensitive comparison of resources from different sources.
  Json Canonicalized() const;

  std::string_view TypeName() const;

  // Makes `value` null, as assigning Json() would, but keeps the storage of
  // its arrays, objects and longer strings (a bounded amount) for the next
  // Parse on this thread. For callers that parse and drop many documents of
  // a similar shape (an NDJSON export): the next ones reuse that storage
  // instead of allocating it again. Why: parsing and dropping the resources
  // of tests/bench/evaluate_bench.cc's cohort is about 18% faster with it
  // (one thread, Parse then Recycle against Parse then destroy).
  static void Recycle(Json& value);

 private:
  friend struct JsonStoragePool;
  struct IntegerTag {};
  Json(IntegerTag, std::string text);
  template <typename I>
  static std::string IntegerText(I i) {
    if constexpr (std::is_signed_v<I>) {
      return std::to_string(static_cast<long long>(i));
    } else {
      return std::to_string(static_cast<unsigned long long>(i));
    }
  }
  friend class JsonBuilder;
  friend class JsonFastParser;

  // Sets the type of a null value and constructs its storage (empty).
  void InitAs(Type type);
  // Destroys the storage of the current type (the value becomes null).
  void Reset() noexcept;
  // Destroys the storage of the current type, leaving type_ as is.
  void DestroyStorage() noexcept;
  // DestroyStorage() of an array or object: recursive, out of line.
  void DestroyContainer() noexcept;
  void CopyFrom(const Json& other);
  void MoveFrom(Json&& other) noexcept;

  // One storage member, chosen by type_: a node is 40 bytes, and copying,
  // moving and destroying it touch only what its type uses (documents are
  // trees of many small nodes, so this is most of the cost of parsing them).
  Type type_ = Type::kNull;
  union {
    bool bool_;                    // kBool
    std::string text_;             // kString: the value; kNumber: the number text
    std::vector<Json> elements_;   // kArray
    std::vector<Member> members_;  // kObject
  };
};

class JsonPrettyFragment;

// JsonPrettyWriter: the bytes Json::AppendPretty would append for a value,
// written straight from calls, without building the Json first (for large
// generated output). Calls must form one well-formed value; Finish() ends it.
//
// The format is RapidJSON's PrettyWriter with a two-space indent: one member
// or element per line, "key": value, empty containers as {} and [], strings
// escaped as RapidJSON does (\" \\ \b \f \n \r \t, other control
// characters as \u00XX; '/', DEL and non-ASCII UTF-8 as is). Json's pretty
// output is written by this class; tests compare it with RapidJSON's.
//
// The text is written in place at the end of `out`, which grows as needed:
// until Finish(), `out` holds unspecified bytes after its original end, and
// a writer destroyed without Finish() removes everything it wrote.
//
// Thread-safety: thread-compatible (one writer per thread).
class JsonPrettyWriter {
 public:
  // A member name. A string literal is checked when compiling to need no
  // escaping, and is then copied as is (most names are literals); other text
  // is escaped as needed: Key(MemberName(text)).
  class MemberName {
   public:
    template <std::size_t N>
    consteval MemberName(const char (&literal)[N])  // NOLINT(google-explicit-constructor)
        : data_(literal), size_(N - 1), plain_(true) {
      for (std::size_t i = 0; i + 1 < N; ++i) {
        const char c = literal[i];
        // Not a constant expression: such a literal does not compile.
        if (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\') {
          throw "a literal member name needs no escaping";
        }
      }
    }
    // REQUIRES: text.size() < 4 GiB.
    explicit MemberName(std::string_view text)
        : data_(text.data()), size_(static_cast<std::uint32_t>(text.size())) {}

   private:
    friend class JsonPrettyWriter;
    std::string_view text() const { return {data_, size_}; }
    // 16 bytes, so that it is passed in registers.
    const char* data_;
    std::uint32_t size_;
    bool plain_ = false;  // known to need no escaping
  };

  // As Json::AppendPretty(*out, depth). REQUIRES: `out` outlives the writer
  // and nothing else changes it until Finish().
  JsonPrettyWriter(std::string* out, std::size_t depth);
  JsonPrettyWriter(const JsonPrettyWriter&) = delete;
  JsonPrettyWriter& operator=(const JsonPrettyWriter&) = delete;
  ~JsonPrettyWriter();

  void StartObject();
  void EndObject();
  void StartArray();
  void EndArray();
  void Key(MemberName key);
  void String(std::string_view value);
  // Key(key) then String(value).
  void Member(MemberName key, std::string_view value);
  void Null();
  void Bool(bool value);
  // Writes `text` as is. REQUIRES: a JSON number.
  void Number(std::string_view text);
  // Ends the text: `out` holds what it held before plus the value's text.
  // REQUIRES: called once, last, with every container closed.
  void Finish();

  // Copies what the calls that recorded `fragment` wrote: its members (or
  // elements) follow what the innermost open container holds.
  // REQUIRES: the innermost open container is at fragment.level() (as
  // level() gives), and no Key() waits for its value.
  void Append(const JsonPrettyFragment& fragment);
  // The same for a fragment recorded with a StringSlot(): String(value)
  // is written where the slot is. REQUIRES: as above, and fragment.has_slot().
  void Append(const JsonPrettyFragment& fragment, std::string_view value);
  // Only while recording a JsonPrettyFragment, once: a string value given
  // when the fragment is appended (as String(value) would write it).
  void StringSlot();
  // The nesting level inside the innermost open container: the depth the
  // writer was made with plus the containers open now.
  std::size_t level() const { return level_; }

 private:
  friend class JsonPrettyFragment;
  struct FragmentTag {};
  // Writes the members (or elements) of a container at `level` that
  // follow an earlier one: the text starts with the ',' after it.
  JsonPrettyWriter(std::string* out, std::size_t level, FragmentTag);

  char* Room(char* at, std::size_t bytes);
  char* Grow(char* at, std::size_t bytes);
  std::size_t PrefixRoom() const;
  char* Prefix(char* at);
  char* LineBreak(char* at, std::size_t level) const;
  char* Name(char* at, MemberName key);
  char* Quoted(char* at, std::string_view text);
  char* Escaped(char* at, std::string_view text);
  void Literal(std::string_view text);
  void Open(char bracket);   // '{' or '['
  void Close(char bracket);  // '}' or ']'

  std::string* out_;
  std::size_t start_;     // out_'s size when the writer was made
  std::size_t depth_;     // the nesting level of the value itself
  std::size_t level_;     // depth_ plus the containers open now
  char* end_ = nullptr;   // the end of the room made in out_
  char* next_ = nullptr;  // where the next byte goes
  bool bare_ = true;      // the next token has no separator: the value, or a member's value
  bool empty_ = true;     // the innermost open container has nothing in it yet
  bool finished_ = false;
  std::size_t slot_ = SIZE_MAX;  // recording: where StringSlot() was, from start_
};

// JsonPrettyFragment: members (or elements) of a container, pretty-printed
// once and then copied by JsonPrettyWriter::Append wherever the same calls
// would write the same bytes at the same nesting level.
//
// A fragment may have one string slot (JsonPrettyWriter::StringSlot), for
// blocks that differ in one string only (a reference, an identifier value).
//
// Why: `bonewatch evaluate` writes the same blocks (meta, category, codings,
// references, ...) into every patient's entries, dozens of calls each;
// copying them is one memcpy. Measured with perf on
// tests/bench/evaluate_bench.cc: rendering about a third faster, evaluate
// about 5% faster end to end.
//
// Thread-safety: immutable once made; share it freely.
class JsonPrettyFragment {
 public:
  JsonPrettyFragment() = default;
  // The text that `write(writer)` writes into a container at `level` (a
  // writer's level()). REQUIRES: `write` writes complete members (or
  // elements), at least one, and closes every container it opens.
  template <typename Write>
  JsonPrettyFragment(std::size_t level, Write&& write) : level_(level) {
    JsonPrettyWriter writer(&text_, level, JsonPrettyWriter::FragmentTag{});
    write(writer);
    writer.Finish();
    slot_ = writer.slot_;
  }

  std::size_t level() const { return level_; }
  bool empty() const { return text_.empty(); }
  // Whether it was recorded with a StringSlot().
  bool has_slot() const { return slot_ != SIZE_MAX; }

 private:
  friend class JsonPrettyWriter;
  std::size_t level_ = 0;
  std::string text_;             // starts with the ',' that follows an earlier sibling
  std::size_t slot_ = SIZE_MAX;  // where the slot's string goes in text_
};

struct Json::Member {
  std::string key;
  Json value;
  friend bool operator==(const Member&, const Member&) = default;
};

// Making, moving and destroying are inline: a tree is built from the
// parser's stacks, in place, and freed node by node; most nodes are strings.

inline Json::Json() {}
inline Json::Json(std::nullptr_t) {}

inline Json::Json(Json&& other) noexcept { MoveFrom(std::move(other)); }

inline Json::~Json() { DestroyStorage(); }

// Strings and numbers are destroyed here; only containers need the
// (recursive, out-of-line) walk.
inline void Json::DestroyStorage() noexcept {
  if (type_ == Type::kNumber || type_ == Type::kString) {
    text_.~basic_string();
  } else if (type_ == Type::kArray || type_ == Type::kObject) {
    DestroyContainer();
  }
}

inline void Json::Reset() noexcept {
  DestroyStorage();
  type_ = Type::kNull;
}

// REQUIRES: this value is null (no storage). `other` keeps its type, emptied
// (as the memberwise move of the former layout did).
inline void Json::MoveFrom(Json&& other) noexcept {
  switch (other.type_) {
    case Type::kNull:
      break;
    case Type::kBool:
      bool_ = other.bool_;
      break;
    case Type::kNumber:
    case Type::kString:
      new (&text_) std::string(std::move(other.text_));
      break;
    case Type::kArray:
      new (&elements_) std::vector<Json>(std::move(other.elements_));
      break;
    case Type::kObject:
      new (&members_) std::vector<Member>(std::move(other.members_));
      break;
  }
  type_ = other.type_;
}

}  // namespace bonewatch::fhir
