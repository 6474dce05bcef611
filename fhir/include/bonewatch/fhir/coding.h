// FHIR R4 Coding and CodeableConcept as plain structs, read from and written
// to Json.
//
// Purpose: mapping code asks "does this concept carry (system, code)?"; these
// helpers answer it without walking raw JSON.
// Ownership/thread-safety: plain values; thread-compatible.
// REQUIRES: nothing. Readers accept missing elements (FHIR allows them) and
// reject elements of the wrong JSON type with InvalidArgument naming the path.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/status.h"

namespace bonewatch::fhir {

struct Coding {
  std::string system;
  std::string version;
  std::string code;
  std::string display;
  std::optional<bool> user_selected;

  // Exact, case-sensitive match of system and code.
  bool Matches(std::string_view system_uri, std::string_view code_value) const {
    return system == system_uri && code == code_value;
  }
  friend bool operator==(const Coding&, const Coding&) = default;
};

struct CodeableConcept {
  std::vector<Coding> codings;
  std::string text;

  // True if any coding matches (system, code).
  bool Matches(std::string_view system_uri, std::string_view code_value) const;
  // The first coding in `system_uri`, or nullptr.
  const Coding* FindCoding(std::string_view system_uri) const;
  friend bool operator==(const CodeableConcept&, const CodeableConcept&) = default;
};

StatusOr<Coding> CodingFromJson(const Json& json);
Json CodingToJson(const Coding& coding);

StatusOr<CodeableConcept> CodeableConceptFromJson(const Json& json);
Json CodeableConceptToJson(const CodeableConcept& cc);

}  // namespace bonewatch::fhir
