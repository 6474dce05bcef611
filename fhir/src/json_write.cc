// Json serialization through RapidJSON writers. Numbers are written from
// their stored text with RawValue (RapidJSON 1.1's RawNumber would quote
// them), so decimals round-trip byte for byte.
#include <memory>
#include <string>

#include "bonewatch/fhir/json.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace bonewatch::fhir {
namespace {

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

}  // namespace

std::string Json::Serialize() const {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  Write(*this, writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string Json::SerializePretty() const {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  Write(*this, writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

void Json::AppendPretty(std::string& out, std::size_t depth) const {
  // The PrettyWriter indents by its own nesting level, so open `depth` arrays
  // first; the value's text then starts after their "[\n  [" and its own
  // "\n" plus 2 * depth spaces.
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  for (std::size_t i = 0; i < depth; ++i) writer.StartArray();
  const std::size_t prefix = depth == 0 ? 0 : buffer.GetSize() + 1 + 2 * depth;
  Write(*this, writer);
  out.append(buffer.GetString() + prefix, buffer.GetSize() - prefix);
}

struct JsonPrettyWriter::Impl {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer{buffer};
  std::size_t depth = 0;
  std::size_t prefix = 0;  // what the opening arrays and the first indent wrote
  bool started = false;

  // The value's first token: only now do we know where its text starts.
  void BeforeFirstToken() {
    if (started) return;
    started = true;
    prefix = depth == 0 ? 0 : buffer.GetSize() + 1 + 2 * depth;
  }
};

namespace {

// One Impl per thread is reused (its buffer keeps its capacity); a writer
// made while another is alive on the same thread gets its own.
struct ImplCache {
  std::unique_ptr<JsonPrettyWriter::Impl> impl;
  bool in_use = false;
};

}  // namespace

JsonPrettyWriter::JsonPrettyWriter(std::string* out, std::size_t depth) : out_(out) {
  thread_local ImplCache cache;
  if (!cache.in_use) {
    if (cache.impl == nullptr) cache.impl = std::make_unique<Impl>();
    cache.in_use = true;
    impl_ = cache.impl.get();
    reused_ = &cache.in_use;
    impl_->buffer.Clear();
    impl_->writer.Reset(impl_->buffer);
    impl_->started = false;
    impl_->prefix = 0;
  } else {
    impl_ = new Impl;
  }
  impl_->writer.SetIndent(' ', 2);
  impl_->depth = depth;
  for (std::size_t i = 0; i < depth; ++i) impl_->writer.StartArray();
}

JsonPrettyWriter::~JsonPrettyWriter() {
  if (reused_ != nullptr) {
    *reused_ = false;
  } else {
    delete impl_;
  }
}

void JsonPrettyWriter::StartObject() {
  impl_->BeforeFirstToken();
  impl_->writer.StartObject();
}
void JsonPrettyWriter::EndObject() { impl_->writer.EndObject(); }
void JsonPrettyWriter::StartArray() {
  impl_->BeforeFirstToken();
  impl_->writer.StartArray();
}
void JsonPrettyWriter::EndArray() { impl_->writer.EndArray(); }
void JsonPrettyWriter::Key(std::string_view key) {
  impl_->writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}
void JsonPrettyWriter::String(std::string_view value) {
  impl_->BeforeFirstToken();
  impl_->writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void JsonPrettyWriter::Finish() {
  out_->append(impl_->buffer.GetString() + impl_->prefix, impl_->buffer.GetSize() - impl_->prefix);
}

}  // namespace bonewatch::fhir
