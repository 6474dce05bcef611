#include "bonewatch/fhir/identifier.h"

#include <vector>

#include "internal/json_fields.h"

namespace bonewatch::fhir {

using internal::SetIfNotEmpty;
using internal::StringField;

std::string EscapeSearchValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == ',' || c == '$' || c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string Identifier::ToSearchToken() const {
  if (system.empty()) return EscapeSearchValue(value);
  return EscapeSearchValue(system) + "|" + EscapeSearchValue(value);
}

StatusOr<Identifier> ParseSearchToken(std::string_view token) {
  std::vector<std::string> parts(1);
  for (std::size_t i = 0; i < token.size(); ++i) {
    const char c = token[i];
    if (c == '\\') {
      if (i + 1 >= token.size()) {
        return InvalidArgumentError("search token ends with a lone '\\'");
      }
      const char next = token[++i];
      if (next != '\\' && next != ',' && next != '$' && next != '|') {
        return InvalidArgumentError(std::string("search token has unknown escape '\\") + next +
                                    "'");
      }
      parts.back() += next;
    } else if (c == '|') {
      if (parts.size() == 2) return InvalidArgumentError("search token has more than one '|'");
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  Identifier id;
  if (parts.size() == 2) {
    id.system = std::move(parts[0]);
    id.value = std::move(parts[1]);
  } else {
    id.value = std::move(parts[0]);
  }
  return id;
}

StatusOr<Identifier> IdentifierFromJson(const Json& json) {
  RETURN_IF_ERROR(internal::ExpectObject(json, "Identifier"));
  Identifier id;
  ASSIGN_OR_RETURN(id.use, StringField(json, "use", "Identifier"));
  ASSIGN_OR_RETURN(id.system, StringField(json, "system", "Identifier"));
  ASSIGN_OR_RETURN(id.value, StringField(json, "value", "Identifier"));
  if (const Json* type = json.Find("type"); type != nullptr) {
    auto cc = CodeableConceptFromJson(*type);
    if (!cc.ok()) return cc.status().WithContext("Identifier.type");
    id.type = std::move(cc).value();
  }
  return id;
}

Json IdentifierToJson(const Identifier& identifier) {
  Json j = Json::Object();
  SetIfNotEmpty(j, "use", identifier.use);
  if (identifier.type.has_value()) j.Set("type", CodeableConceptToJson(*identifier.type));
  SetIfNotEmpty(j, "system", identifier.system);
  SetIfNotEmpty(j, "value", identifier.value);
  return j;
}

}  // namespace bonewatch::fhir
