#include "bonewatch/fhir/quantity.h"

#include "internal/json_fields.h"
#include "internal/json_number.h"

namespace bonewatch::fhir {
namespace {

std::string_view ComparatorText(QuantityComparator c) {
  switch (c) {
    case QuantityComparator::kNone:
      return "";
    case QuantityComparator::kLess:
      return "<";
    case QuantityComparator::kLessOrEqual:
      return "<=";
    case QuantityComparator::kGreaterOrEqual:
      return ">=";
    case QuantityComparator::kGreater:
      return ">";
  }
  return "";
}

StatusOr<QuantityComparator> ParseComparator(std::string_view text) {
  for (QuantityComparator c : {QuantityComparator::kLess, QuantityComparator::kLessOrEqual,
                               QuantityComparator::kGreaterOrEqual, QuantityComparator::kGreater}) {
    if (ComparatorText(c) == text) return c;
  }
  return InvalidArgumentError("Quantity.comparator: unknown value \"" + std::string(text) + "\"");
}

Status NotADecimal(std::string_view text) {
  return InvalidArgumentError("Quantity.value: not a decimal: \"" +
                              std::string(text.substr(0, 64)) + "\"");
}

}  // namespace

Status SetQuantityValue(Quantity& quantity, std::string_view text) {
  if (!internal::IsJsonNumber(text)) return NotADecimal(text);
  quantity.value_text = std::string(text);
  quantity.value = internal::NumberTextToDouble(text);
  return Status::Ok();
}

StatusOr<QuantityView> QuantityViewFromJson(const Json& json) {
  RETURN_IF_ERROR(internal::ExpectObject(json, "Quantity"));
  QuantityView q;
  if (const Json* v = json.Find("value"); v != nullptr) {
    if (!v->is_number()) {
      return InvalidArgumentError("Quantity.value: expected a number, got " +
                                  std::string(v->TypeName()));
    }
    const std::string& text = v->NumberText();
    if (!internal::IsJsonNumber(text)) return NotADecimal(text);
    q.value_text = text;
    q.value = internal::NumberTextToDouble(text);
  }
  ASSIGN_OR_RETURN(std::optional<std::string_view> comparator,
                   internal::OptionalStringViewField(json, "comparator", "Quantity"));
  if (comparator.has_value()) {
    ASSIGN_OR_RETURN(q.comparator, ParseComparator(*comparator));
  }
  ASSIGN_OR_RETURN(q.unit, internal::StringViewField(json, "unit", "Quantity"));
  ASSIGN_OR_RETURN(q.system, internal::StringViewField(json, "system", "Quantity"));
  ASSIGN_OR_RETURN(q.code, internal::StringViewField(json, "code", "Quantity"));
  return q;
}

StatusOr<Quantity> QuantityFromJson(const Json& json) {
  ASSIGN_OR_RETURN(const QuantityView view, QuantityViewFromJson(json));
  Quantity q;
  q.value_text = std::string(view.value_text);
  q.value = view.value;
  q.comparator = view.comparator;
  q.unit = std::string(view.unit);
  q.system = std::string(view.system);
  q.code = std::string(view.code);
  return q;
}

Json QuantityToJson(const Quantity& quantity) {
  Json j = Json::Object();
  if (quantity.has_value()) {
    auto number = Json::Decimal(quantity.value_text);
    if (number.ok()) j.Set("value", std::move(number).value());
  }
  internal::SetIfNotEmpty(j, "comparator", std::string(ComparatorText(quantity.comparator)));
  internal::SetIfNotEmpty(j, "unit", quantity.unit);
  internal::SetIfNotEmpty(j, "system", quantity.system);
  internal::SetIfNotEmpty(j, "code", quantity.code);
  return j;
}

}  // namespace bonewatch::fhir
