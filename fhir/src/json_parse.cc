// Json::Parse: RapidJSON's SAX reader feeding a tree of fhir::Json.
//
// The reader runs in iterative mode (no recursion on the C++ stack) with
// numbers delivered as their source text, so decimals stay exact. Depth is
// limited in the handler.
#include <algorithm>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"

namespace bonewatch::fhir {

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
