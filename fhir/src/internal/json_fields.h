// Typed field readers shared by the FHIR datatype and Bundle parsers.
// Internal to bonewatch_fhir. Pure functions; thread-safe.
//
// Errors name the element path and the problem, e.g.
// "Coding.code: expected a string, got number".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/status.h"

namespace bonewatch::fhir::internal {

// Fails unless `value` is an object. `where` names the element ("Coding").
Status ExpectObject(const Json& value, std::string_view where);

// The string member `key` of `object`, "" when missing; an error when the
// member exists with another type.
StatusOr<std::string> StringField(const Json& object, std::string_view key, std::string_view where);

// Like StringField but nullopt when missing.
StatusOr<std::optional<std::string>> OptionalStringField(const Json& object, std::string_view key,
                                                         std::string_view where);

// As OptionalStringField / StringField, viewing the text in `object`
// (valid while it is unchanged) instead of copying it.
StatusOr<std::optional<std::string_view>> OptionalStringViewField(const Json& object,
                                                                  std::string_view key,
                                                                  std::string_view where);
StatusOr<std::string_view> StringViewField(const Json& object, std::string_view key,
                                           std::string_view where);

// The elements of the array member `key`; empty when missing or not an array.
const std::vector<Json>& ArrayField(const Json& object, std::string_view key);

// Sets `key` to `value` on `object` unless `value` is empty.
void SetIfNotEmpty(Json& object, std::string_view key, const std::string& value);

}  // namespace bonewatch::fhir::internal
