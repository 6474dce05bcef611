// FHIR R4 Reference: parsing and formatting of Reference.reference strings,
// and the Reference element as a struct.
//
// Forms understood by ParseReference:
//   relative      Patient/1                     type, id
//   versioned     Patient/1/_history/2          type, id, version
//   absolute      https://x/fhir/Patient/1      base_url, type, id (+ version)
//   urn           urn:uuid:... / urn:oid:...    is_urn, id = the whole URN
//   contained     #p1                           is_contained, id = "p1"
//   conditional   Patient?identifier=s|v        is_conditional, type, query
//                 (only valid inside transaction Bundles)
// FormatReference writes the same forms back.
//
// Ownership/thread-safety: plain values; thread-compatible.
// REQUIRES: nothing. Types must look like FHIR resource types ([A-Z][A-Za-z]*)
// and ids match [A-Za-z0-9-.]{1,64}; anything else is InvalidArgument.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "bonewatch/fhir/identifier.h"
#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/status.h"

namespace bonewatch::fhir {

struct Reference {
  std::string base_url;  // "https://x/fhir" for absolute references, else ""
  std::string type;      // resource type, e.g. "Patient"
  std::string id;        // logical id; the whole URN if is_urn; contained id
  std::string version;   // from /_history/<version>, else ""
  std::string query;     // search part of a conditional reference
  bool is_urn = false;
  bool is_contained = false;
  bool is_conditional = false;

  // Element-level fields, filled by ReferenceFromJson only.
  std::string display;
  std::optional<Identifier> identifier;  // logical reference
  bool has_literal = true;               // false when the element carried no .reference

  // "Type/id" for relative, versioned and absolute references (no base, no
  // version): the key under which the target is known locally. "" otherwise.
  std::string TypeAndId() const;
  friend bool operator==(const Reference&, const Reference&) = default;
};

StatusOr<Reference> ParseReference(std::string_view text);
// The reference string; "" when has_literal is false.
std::string FormatReference(const Reference& reference);

// Reads a Reference element. Either .reference or .identifier must be present.
// `type` (Reference.type) is used when .reference carries no type.
StatusOr<Reference> ReferenceFromJson(const Json& json);
Json ReferenceToJson(const Reference& reference);

// True if `text` is a plausible FHIR resource type name / logical id.
bool IsResourceTypeName(std::string_view text);
bool IsValidId(std::string_view text);

}  // namespace bonewatch::fhir
