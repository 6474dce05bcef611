#include "bonewatch/fhir/reference.h"

#include <algorithm>

#include "internal/json_fields.h"

namespace bonewatch::fhir {
namespace {

Status Invalid(std::string_view text, std::string_view why) {
  return InvalidArgumentError("invalid reference \"" + std::string(text.substr(0, 128)) +
                              "\": " + std::string(why));
}

}  // namespace

bool IsResourceTypeName(std::string_view text) {
  if (text.empty() || text[0] < 'A' || text[0] > 'Z') return false;
  for (char c : text) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

bool IsValidId(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string Reference::TypeAndId() const {
  if (is_urn || is_contained || is_conditional || type.empty() || id.empty()) return "";
  return type + "/" + id;
}

StatusOr<Reference> ParseReference(std::string_view text) {
  Reference ref;
  if (text.empty()) return Invalid(text, "empty");
  if (text[0] == '#') {
    ref.is_contained = true;
    ref.id = std::string(text.substr(1));
    if (!ref.id.empty() && !IsValidId(ref.id)) return Invalid(text, "bad contained id");
    return ref;
  }
  if (text.starts_with("urn:uuid:") || text.starts_with("urn:oid:")) {
    const std::size_t prefix = text.starts_with("urn:uuid:") ? 9 : 8;
    if (text.size() == prefix) return Invalid(text, "empty URN");
    ref.is_urn = true;
    ref.id = std::string(text);
    return ref;
  }
  if (const std::size_t q = text.find('?'); q != std::string_view::npos) {
    ref.type = std::string(text.substr(0, q));
    ref.query = std::string(text.substr(q + 1));
    if (!IsResourceTypeName(ref.type)) return Invalid(text, "bad resource type before '?'");
    if (ref.query.empty()) return Invalid(text, "empty conditional query");
    ref.is_conditional = true;
    return ref;
  }
  // [base/]Type/id[/_history/version], read from the right without
  // splitting (this runs for every subject of every resource mapped).
  std::string_view path = text;
  std::size_t slashes = static_cast<std::size_t>(std::count(text.begin(), text.end(), '/'));
  if (slashes >= 3) {
    const std::size_t last = path.rfind('/');
    const std::size_t before = path.rfind('/', last - 1);
    if (path.substr(before + 1, last - before - 1) == "_history") {
      ref.version = std::string(path.substr(last + 1));
      if (!IsValidId(ref.version)) return Invalid(text, "bad version id");
      path = path.substr(0, before);
      slashes -= 2;
    }
  }
  if (slashes < 1) return Invalid(text, "expected Type/id");
  const std::size_t id_slash = path.rfind('/');
  const std::size_t type_start = slashes >= 2 ? path.rfind('/', id_slash - 1) + 1 : 0;
  ref.type = std::string(path.substr(type_start, id_slash - type_start));
  ref.id = std::string(path.substr(id_slash + 1));
  if (!IsResourceTypeName(ref.type)) return Invalid(text, "bad resource type");
  if (!IsValidId(ref.id)) return Invalid(text, "bad id");
  if (slashes >= 2) {
    ref.base_url = std::string(text.substr(0, type_start - 1));
    const std::size_t scheme = ref.base_url.find("://");
    if (scheme == std::string::npos || scheme == 0) {
      return Invalid(text, "a reference with a base must be an absolute URL");
    }
  }
  return ref;
}

std::string FormatReference(const Reference& reference) {
  if (!reference.has_literal) return "";
  if (reference.is_contained) return "#" + reference.id;
  if (reference.is_urn) return reference.id;
  if (reference.is_conditional) return reference.type + "?" + reference.query;
  std::string out;
  if (!reference.base_url.empty()) out = reference.base_url + "/";
  out += reference.type + "/" + reference.id;
  if (!reference.version.empty()) out += "/_history/" + reference.version;
  return out;
}

StatusOr<Reference> ReferenceFromJson(const Json& json) {
  RETURN_IF_ERROR(internal::ExpectObject(json, "Reference"));
  ASSIGN_OR_RETURN(std::optional<std::string> literal,
                   internal::OptionalStringField(json, "reference", "Reference"));
  ASSIGN_OR_RETURN(std::string type, internal::StringField(json, "type", "Reference"));
  Reference ref;
  if (literal.has_value()) {
    ASSIGN_OR_RETURN(ref, ParseReference(*literal));
  } else {
    ref.has_literal = false;
  }
  if (ref.type.empty()) ref.type = type;
  ASSIGN_OR_RETURN(ref.display, internal::StringField(json, "display", "Reference"));
  if (const Json* identifier = json.Find("identifier"); identifier != nullptr) {
    auto id = IdentifierFromJson(*identifier);
    if (!id.ok()) return id.status().WithContext("Reference.identifier");
    ref.identifier = std::move(id).value();
  }
  if (!ref.has_literal && !ref.identifier.has_value()) {
    return InvalidArgumentError("Reference: neither reference nor identifier is present");
  }
  return ref;
}

Json ReferenceToJson(const Reference& reference) {
  Json j = Json::Object();
  internal::SetIfNotEmpty(j, "reference", FormatReference(reference));
  if (!reference.has_literal) internal::SetIfNotEmpty(j, "type", reference.type);
  if (reference.identifier.has_value()) {
    j.Set("identifier", IdentifierToJson(*reference.identifier));
  }
  internal::SetIfNotEmpty(j, "display", reference.display);
  return j;
}

}  // namespace bonewatch::fhir
