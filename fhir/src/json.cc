// Json value operations: construction, access, building, equality.
// Parsing lives in json_parse.cc and serialization in json_write.cc.
#include "bonewatch/fhir/json.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstring>
#include <new>
#include <system_error>

#include "internal/json_number.h"

namespace bonewatch::fhir {
namespace {

constexpr std::size_t kBuiltObjectCapacity = 8;

const std::string& EmptyString() {
  static const std::string* const kEmpty = new std::string();
  return *kEmpty;
}
const std::vector<Json>& EmptyElements() {
  static const std::vector<Json>* const kEmpty = new std::vector<Json>();
  return *kEmpty;
}
const std::vector<Json::Member>& EmptyMembers() {
  static const std::vector<Json::Member>* const kEmpty = new std::vector<Json::Member>();
  return *kEmpty;
}

}  // namespace

Json::Json(bool b) : type_(Type::kBool), bool_(b) {}
Json::Json(IntegerTag, std::string text) : type_(Type::kNumber), text_(std::move(text)) {}
Json::Json(double d) {
  if (!std::isfinite(d)) return;  // null
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  assert(ec == std::errc());
  (void)ec;
  type_ = Type::kNumber;
  new (&text_) std::string(buf, end);
}
Json::Json(const char* s) : type_(Type::kString), text_(s == nullptr ? "" : s) {}
Json::Json(std::string s) : type_(Type::kString), text_(std::move(s)) {}
Json::Json(std::string_view s) : type_(Type::kString), text_(s) {}

Json::Json(const Json& other) { CopyFrom(other); }

Json& Json::operator=(const Json& other) {
  if (this != &other) {
    // Copy first: `other` may be part of this value's tree.
    Json copy(other);
    Reset();
    MoveFrom(std::move(copy));
  }
  return *this;
}

Json& Json::operator=(Json&& other) noexcept {
  if (this != &other) {
    // Take `other` out first: it may be part of this value's tree.
    Json taken(std::move(other));
    Reset();
    MoveFrom(std::move(taken));
  }
  return *this;
}

void Json::InitAs(Type type) {
  assert(type_ == Type::kNull);
  type_ = type;
  switch (type) {
    case Type::kNull:
      break;
    case Type::kBool:
      bool_ = false;
      break;
    case Type::kNumber:
    case Type::kString:
      new (&text_) std::string();
      break;
    case Type::kArray:
      new (&elements_) std::vector<Json>();
      break;
    case Type::kObject:
      new (&members_) std::vector<Member>();
      break;
  }
}

void Json::DestroyContainer() noexcept {
  if (type_ == Type::kArray) {
    elements_.~vector();
  } else {
    members_.~vector();
  }
}

// REQUIRES (both): this value is null (no storage).
void Json::CopyFrom(const Json& other) {
  switch (other.type_) {
    case Type::kNull:
      break;
    case Type::kBool:
      bool_ = other.bool_;
      break;
    case Type::kNumber:
    case Type::kString:
      new (&text_) std::string(other.text_);
      break;
    case Type::kArray:
      new (&elements_) std::vector<Json>(other.elements_);
      break;
    case Type::kObject:
      new (&members_) std::vector<Member>(other.members_);
      break;
  }
  type_ = other.type_;
}

Json Json::Object() {
  Json j;
  j.InitAs(Type::kObject);
  return j;
}

Json Json::Array() {
  Json j;
  j.InitAs(Type::kArray);
  return j;
}

StatusOr<Json> Json::Decimal(std::string_view text) {
  if (!internal::IsJsonNumber(text)) {
    return InvalidArgumentError("not a JSON number: \"" + std::string(text.substr(0, 64)) + "\"");
  }
  return Json(IntegerTag{}, std::string(text));
}

bool Json::AsBool() const {
  assert(is_bool());
  return is_bool() && bool_;
}

const std::string& Json::AsString() const {
  assert(is_string());
  return is_string() ? text_ : EmptyString();
}

const std::string& Json::NumberText() const {
  assert(is_number());
  return is_number() ? text_ : EmptyString();
}

double Json::AsDouble() const {
  assert(is_number());
  if (!is_number()) return 0.0;
  return internal::NumberTextToDouble(text_);
}

std::optional<int64_t> Json::AsInt64() const {
  if (!is_number()) return std::nullopt;
  int64_t v = 0;
  const char* first = text_.data();
  const char* last = first + text_.size();
  auto [ptr, ec] = std::from_chars(first, last, v);
  if (ec != std::errc() || ptr != last) return std::nullopt;
  return v;
}

std::size_t Json::size() const {
  if (is_object()) return members_.size();
  if (is_array()) return elements_.size();
  return 0;
}

namespace {

uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
uint32_t Load32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// a[0, n) == b[0, n). Member names are short: up to 16 bytes are compared
// inline with two (overlapping) loads each, without a call to memcmp.
bool SameBytes(const char* a, const char* b, std::size_t n) {
  if (n > 16) return std::memcmp(a, b, n) == 0;
  if (n >= 8) return Load64(a) == Load64(b) && Load64(a + n - 8) == Load64(b + n - 8);
  if (n >= 4) return Load32(a) == Load32(b) && Load32(a + n - 4) == Load32(b + n - 4);
  if (n == 0) return true;
  return a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1];
}

}  // namespace

const Json* Json::Find(std::string_view key) const {
  if (!is_object()) return nullptr;
  // The mappers look up many keys per resource, most of them missing or not
  // the member at hand: compare the size before the bytes.
  const std::size_t size = key.size();
  for (const Member& m : members_) {
    if (m.key.size() == size && SameBytes(m.key.data(), key.data(), size)) return &m.value;
  }
  return nullptr;
}

Json* Json::Find(std::string_view key) {
  return const_cast<Json*>(static_cast<const Json*>(this)->Find(key));
}

std::optional<std::string> Json::GetString(std::string_view key) const {
  const Json* v = Find(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->text_;
}

std::optional<std::string_view> Json::GetStringView(std::string_view key) const {
  const Json* v = Find(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string_view(v->text_);
}

std::optional<bool> Json::GetBool(std::string_view key) const {
  const Json* v = Find(key);
  if (v == nullptr || !v->is_bool()) return std::nullopt;
  return v->bool_;
}

std::optional<int64_t> Json::GetInt64(std::string_view key) const {
  const Json* v = Find(key);
  if (v == nullptr) return std::nullopt;
  return v->AsInt64();
}

const Json* Json::At(std::initializer_list<std::string_view> path) const {
  const Json* cur = this;
  for (std::string_view key : path) {
    cur = cur->Find(key);
    if (cur == nullptr) return nullptr;
  }
  return cur;
}

Json& Json::Set(std::string key, Json value) & {
  if (!is_object()) *this = Object();
  for (Member& m : members_) {
    if (m.key == key) {
      m.value = std::move(value);
      return *this;
    }
  }
  // Built objects (resources, codings) mostly have a handful of members:
  // one allocation instead of regrowing 1, 2, 4, 8.
  if (members_.capacity() == 0) members_.reserve(kBuiltObjectCapacity);
  members_.push_back(Member{std::move(key), std::move(value)});
  return *this;
}

Json Json::Set(std::string key, Json value) && {
  Set(std::move(key), std::move(value));
  return std::move(*this);
}

bool Json::Remove(std::string_view key) {
  if (!is_object()) return false;
  auto it =
      std::find_if(members_.begin(), members_.end(), [&](const Member& m) { return m.key == key; });
  if (it == members_.end()) return false;
  members_.erase(it);
  return true;
}

const std::vector<Json::Member>& Json::members() const& {
  return is_object() ? members_ : EmptyMembers();
}

std::vector<Json::Member>& Json::members() & {
  if (is_object()) return members_;
  // Non-objects have no member storage: an empty vector that is never kept
  // (REQUIRES forbids adding to it; emptied again on every call regardless).
  thread_local std::vector<Member> none;
  none.clear();
  return none;
}

Json& Json::Push(Json value) & {
  if (!is_array()) *this = Array();
  elements_.push_back(std::move(value));
  return *this;
}

Json Json::Push(Json value) && {
  Push(std::move(value));
  return std::move(*this);
}

const std::vector<Json>& Json::elements() const& {
  return is_array() ? elements_ : EmptyElements();
}

std::vector<Json>& Json::elements() & {
  if (is_array()) return elements_;
  // Non-arrays have no element storage: see members().
  thread_local std::vector<Json> none;
  none.clear();
  return none;
}

bool operator==(const Json& a, const Json& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case Json::Type::kNull:
      return true;
    case Json::Type::kBool:
      return a.bool_ == b.bool_;
    case Json::Type::kNumber:
    case Json::Type::kString:
      return a.text_ == b.text_;
    case Json::Type::kArray:
      return a.elements_ == b.elements_;
    case Json::Type::kObject:
      return a.members_ == b.members_;
  }
  return false;
}

Json Json::Canonicalized() const {
  if (is_object()) {
    Json out = Object();
    out.members_.reserve(members_.size());
    for (const Member& m : members_) out.members_.push_back(Member{m.key, m.value.Canonicalized()});
    std::stable_sort(out.members_.begin(), out.members_.end(),
                     [](const Member& x, const Member& y) { return x.key < y.key; });
    return out;
  }
  if (is_array()) {
    Json out = Array();
    out.elements_.reserve(elements_.size());
    for (const Json& e : elements_) out.elements_.push_back(e.Canonicalized());
    return out;
  }
  return *this;
}

std::string_view Json::TypeName() const {
  switch (type_) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "boolean";
    case Type::kNumber:
      return "number";
    case Type::kString:
      return "string";
    case Type::kArray:
      return "array";
    case Type::kObject:
      return "object";
  }
  return "unknown";
}

}  // namespace bonewatch::fhir
