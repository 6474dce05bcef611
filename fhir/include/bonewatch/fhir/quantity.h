// FHIR R4 Quantity with its value kept as exact decimal text.
//
// Purpose: lab values such as 0.1000 g/cm2 keep their written precision
// (value_text) while computations use the double (value).
// Ownership/thread-safety: plain values; thread-compatible.
// REQUIRES: nothing. QuantityFromJson rejects a value that is not a JSON
// number and an unknown comparator.
#pragma once

#include <string>
#include <string_view>

#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/status.h"

namespace bonewatch::fhir {

enum class QuantityComparator { kNone, kLess, kLessOrEqual, kGreaterOrEqual, kGreater };

struct Quantity {
  std::string value_text;  // exact decimal text; empty when there is no value
  double value = 0.0;      // lossy, for computation; 0 when there is no value
  QuantityComparator comparator = QuantityComparator::kNone;
  std::string unit;    // human-readable unit
  std::string system;  // usually http://unitsofmeasure.org
  std::string code;    // coded unit (UCUM)

  bool has_value() const { return !value_text.empty(); }
  friend bool operator==(const Quantity&, const Quantity&) = default;
};

StatusOr<Quantity> QuantityFromJson(const Json& json);

// A Quantity read without copying its texts: the views point into the Json it
// was read from and are valid as long as that value is unchanged (for the
// mappers, which read a quantity from every Observation).
struct QuantityView {
  std::string_view value_text;  // exact decimal text; empty when there is no value
  double value = 0.0;           // lossy, for computation; 0 when there is no value
  QuantityComparator comparator = QuantityComparator::kNone;
  std::string_view unit;
  std::string_view system;
  std::string_view code;

  bool has_value() const { return !value_text.empty(); }
};
// As QuantityFromJson: the same checks and errors.
StatusOr<QuantityView> QuantityViewFromJson(const Json& json);
// REQUIRES: value_text is empty or a JSON number (as produced by
// QuantityFromJson or MakeQuantityValue); an invalid value_text is omitted.
Json QuantityToJson(const Quantity& quantity);

// Sets value_text and value from decimal text. InvalidArgument if `text` is
// not a JSON number.
Status SetQuantityValue(Quantity& quantity, std::string_view text);

}  // namespace bonewatch::fhir
