// Json::Parse: RapidJSON's SAX reader feeding a tree of fhir::Json.
//
// The reader runs in iterative mode (no recursion on the C++ stack) with
// numbers delivered as their source text, so decimals stay exact. Depth is
// limited in the handler.
#include <string>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"

namespace bonewatch::fhir {

// Builds a Json tree from SAX events. Befriended by Json.
class JsonBuilder {
 public:
  explicit JsonBuilder(std::size_t max_depth) : max_depth_(max_depth) {}

  bool Null() { return Add(Json()) != nullptr; }
  bool Bool(bool b) { return Add(Json(b)) != nullptr; }
  bool Int(int i) { return Add(Json(i)) != nullptr; }
  bool Uint(unsigned u) { return Add(Json(u)) != nullptr; }
  bool Int64(int64_t i) { return Add(Json(i)) != nullptr; }
  bool Uint64(uint64_t u) { return Add(Json(u)) != nullptr; }
  bool Double(double d) { return Add(Json(d)) != nullptr; }
  bool RawNumber(const char* s, rapidjson::SizeType len, bool /*copy*/) {
    return Add(Json(Json::IntegerTag{}, std::string(s, len))) != nullptr;
  }
  bool String(const char* s, rapidjson::SizeType len, bool /*copy*/) {
    return Add(Json(std::string(s, len))) != nullptr;
  }
  bool Key(const char* s, rapidjson::SizeType len, bool /*copy*/) {
    key_.assign(s, len);
    return true;
  }
  bool StartObject() { return Open(Json::Object()); }
  bool EndObject(rapidjson::SizeType /*members*/) { return Close(); }
  bool StartArray() { return Open(Json::Array()); }
  bool EndArray(rapidjson::SizeType /*elements*/) { return Close(); }

  bool depth_exceeded() const { return depth_exceeded_; }
  Json TakeRoot() { return std::move(root_); }

 private:
  // Appends to the innermost open container. Pointers held in stack_ stay
  // valid because only the innermost container ever grows.
  Json* Add(Json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Json* top = stack_.back();
    if (top->is_array()) {
      top->elements_.push_back(std::move(v));
      return &top->elements_.back();
    }
    top->members_.push_back(Json::Member{std::move(key_), std::move(v)});
    key_.clear();
    return &top->members_.back().value;
  }
  bool Open(Json container) {
    if (stack_.size() >= max_depth_) {
      depth_exceeded_ = true;
      return false;
    }
    stack_.push_back(Add(std::move(container)));
    return true;
  }
  bool Close() {
    stack_.pop_back();
    return true;
  }

  std::size_t max_depth_;
  bool depth_exceeded_ = false;
  Json root_;
  std::vector<Json*> stack_;
  std::string key_;
};

StatusOr<Json> Json::Parse(std::string_view text, const JsonParseOptions& options) {
  if (options.max_bytes != 0 && text.size() > options.max_bytes) {
    return InvalidArgumentError("JSON input of " + std::to_string(text.size()) +
                                " bytes exceeds the limit of " + std::to_string(options.max_bytes) +
                                " bytes");
  }
  constexpr unsigned kFlags = rapidjson::kParseNumbersAsStringsFlag |
                              rapidjson::kParseIterativeFlag |
                              rapidjson::kParseValidateEncodingFlag;
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::Reader reader;
  JsonBuilder builder(options.max_depth);
  rapidjson::ParseResult result = reader.Parse<kFlags>(stream, builder);
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
