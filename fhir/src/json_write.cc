// Json serialization through RapidJSON writers. Numbers are written from
// their stored text with RawValue (RapidJSON 1.1's RawNumber would quote
// them), so decimals round-trip byte for byte.
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

}  // namespace bonewatch::fhir
