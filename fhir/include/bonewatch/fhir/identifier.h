// FHIR R4 Identifier, and the search token form "system|value".
//
// Purpose: read/write Identifiers and build token search parameters
// (identifier=system|value, If-None-Exist) with FHIR search escaping: the
// characters `\` `,` `$` `|` inside a system or value are escaped with `\`.
// The token is not percent-encoded; URL encoding is the HTTP client's job.
// Ownership/thread-safety: plain values; thread-compatible.
// REQUIRES: nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bonewatch/fhir/coding.h"
#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/status.h"

namespace bonewatch::fhir {

struct Identifier {
  std::string use;  // usual | official | temp | secondary | old
  std::optional<CodeableConcept> type;
  std::string system;
  std::string value;

  // "system|value" (both escaped); just "value" when system is empty, which
  // matches the value in any system.
  std::string ToSearchToken() const;
  friend bool operator==(const Identifier&, const Identifier&) = default;
};

StatusOr<Identifier> IdentifierFromJson(const Json& json);
Json IdentifierToJson(const Identifier& identifier);

// FHIR search escaping of one value: `\` -> `\\`, `,` -> `\,`, `$` -> `\$`,
// `|` -> `\|`.
std::string EscapeSearchValue(std::string_view value);

// Parses "system|value", "|value" (no system) or "value" (any system; system
// stays empty) and unescapes both parts. InvalidArgument for a trailing lone
// `\`, an unknown escape, or more than one unescaped `|`.
StatusOr<Identifier> ParseSearchToken(std::string_view token);

}  // namespace bonewatch::fhir
