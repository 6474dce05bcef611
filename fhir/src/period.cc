#include "bonewatch/fhir/period.h"

#include "internal/json_fields.h"

namespace bonewatch::fhir {
namespace {

StatusOr<std::optional<DateTime>> ReadBound(const Json& json, std::string_view key) {
  ASSIGN_OR_RETURN(std::optional<std::string> text,
                   internal::OptionalStringField(json, key, "Period"));
  if (!text.has_value()) return std::optional<DateTime>();
  auto dt = DateTime::ParseDateTime(*text);
  if (!dt.ok()) return dt.status().WithContext("Period." + std::string(key));
  return std::optional<DateTime>(std::move(dt).value());
}

}  // namespace

StatusOr<Period> PeriodFromJson(const Json& json) {
  RETURN_IF_ERROR(internal::ExpectObject(json, "Period"));
  Period p;
  ASSIGN_OR_RETURN(p.start, ReadBound(json, "start"));
  ASSIGN_OR_RETURN(p.end, ReadBound(json, "end"));
  // Only values of the same kind are compared: a date against a time with an
  // offset has no unambiguous order, and real servers send such pairs.
  if (p.start.has_value() && p.end.has_value() && p.start->has_time() == p.end->has_time() &&
      p.start->ToEpochMillis() > p.end->ToEpochMillis()) {
    return InvalidArgumentError("Period: start " + p.start->ToString() + " is after end " +
                                p.end->ToString());
  }
  return p;
}

Json PeriodToJson(const Period& period) {
  Json j = Json::Object();
  if (period.start.has_value()) j.Set("start", period.start->ToString());
  if (period.end.has_value()) j.Set("end", period.end->ToString());
  return j;
}

}  // namespace bonewatch::fhir
