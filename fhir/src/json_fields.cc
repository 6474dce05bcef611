#include "internal/json_fields.h"

namespace bonewatch::fhir::internal {

Status ExpectObject(const Json& value, std::string_view where) {
  if (value.is_object()) return Status::Ok();
  return InvalidArgumentError(std::string(where) + ": expected an object, got " +
                              std::string(value.TypeName()));
}

StatusOr<std::optional<std::string_view>> OptionalStringViewField(const Json& object,
                                                                  std::string_view key,
                                                                  std::string_view where) {
  const Json* v = object.Find(key);
  if (v == nullptr) return std::optional<std::string_view>();
  if (!v->is_string()) {
    return InvalidArgumentError(std::string(where) + "." + std::string(key) +
                                ": expected a string, got " + std::string(v->TypeName()));
  }
  return std::optional<std::string_view>(v->AsString());
}

StatusOr<std::string_view> StringViewField(const Json& object, std::string_view key,
                                           std::string_view where) {
  ASSIGN_OR_RETURN(std::optional<std::string_view> v, OptionalStringViewField(object, key, where));
  return v.value_or(std::string_view());
}

StatusOr<std::optional<std::string>> OptionalStringField(const Json& object, std::string_view key,
                                                         std::string_view where) {
  ASSIGN_OR_RETURN(std::optional<std::string_view> v, OptionalStringViewField(object, key, where));
  if (!v.has_value()) return std::optional<std::string>();
  return std::optional<std::string>(std::string(*v));
}

StatusOr<std::string> StringField(const Json& object, std::string_view key,
                                  std::string_view where) {
  ASSIGN_OR_RETURN(std::optional<std::string_view> v, OptionalStringViewField(object, key, where));
  return std::string(v.value_or(std::string_view()));
}

const std::vector<Json>& ArrayField(const Json& object, std::string_view key) {
  static const Json* const kNull = new Json();
  const Json* v = object.Find(key);
  return (v != nullptr ? *v : *kNull).elements();
}

void SetIfNotEmpty(Json& object, std::string_view key, const std::string& value) {
  if (!value.empty()) object.Set(std::string(key), value);
}

}  // namespace bonewatch::fhir::internal
