// Helpers for JSON number text, shared by the Json value and FHIR datatypes.
// Internal to bonewatch_fhir. Pure functions; thread-safe.
#pragma once

#include <string_view>

namespace bonewatch::fhir::internal {

// True if `text` matches the JSON number grammar:
//   -? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?
bool IsJsonNumber(std::string_view text);

// Nearest double to `text`. REQUIRES: IsJsonNumber(text). Out-of-range values
// give +/-infinity or 0.
double NumberTextToDouble(std::string_view text);

}  // namespace bonewatch::fhir::internal
