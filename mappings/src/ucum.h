// Internal: a small UCUM syntax check for the units table.
// Accepts the case-sensitive UCUM grammar (terms joined by '.' and '/',
// prefixes, integer exponents, parentheses, {annotations}, the unit "1")
// over the atoms that clinical chemistry uses; rejects anything else.
// Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace bonewatch::mappings::internal {

// "" if `unit` is a UCUM unit BoneWatch knows, else the reason
// ("'mcg' is not a UCUM unit"). The empty unit ("no unit") is accepted.
std::string CheckUcumUnit(std::string_view unit);

}  // namespace bonewatch::mappings::internal
