#include "bonewatch/mappings/mapper.h"

#include "map_context.h"
#include "resource_mappers.h"

namespace bonewatch::mappings {

std::string_view MapOutcomeCode(MapOutcome outcome) {
  switch (outcome) {
    case MapOutcome::kMapped:
      return "mapped";
    case MapOutcome::kIgnored:
      return "ignored";
    case MapOutcome::kRejected:
      return "rejected";
    case MapOutcome::kRetracted:
      return "retracted";
  }
  return "";
}

Mapper::Mapper(MappingSet mappings, MapperOptions options)
    : mappings_(std::move(mappings)), options_(options) {}

MapResult Mapper::Map(const fhir::Json& resource, const ReferenceResolver& resolver) const {
  MapResult result;
  result.resource_type = resource.GetString("resourceType").value_or("");
  result.source.resource_type = result.resource_type;
  result.source.id = resource.GetString("id").value_or("");
  if (const fhir::Json* version = resource.At({"meta", "versionId"});
      version != nullptr && version->is_string()) {
    result.source.version = version->AsString();
  }
  internal::MapContext ctx(mappings_, options_, resolver, resource, result);
  const std::string& type = result.resource_type;
  void (*map)(internal::MapContext&) = nullptr;
  bool enabled = true;
  if (type == "Observation") {
    map = internal::MapObservation;
  } else if (type == "MedicationStatement") {
    map = internal::MapMedication;
  } else if (type == "MedicationRequest") {
    map = internal::MapMedication;
    enabled = options_.medication_request_enabled;
  } else if (type == "Condition") {
    map = internal::MapCondition;
    enabled = options_.condition_enabled;
  } else if (type == "Procedure") {
    map = internal::MapProcedure;
    enabled = options_.procedure_enabled;
  } else if (type == "Patient") {
    map = internal::MapPatient;
  }
  if (!resource.is_object() || type.empty()) {
    if (result.resource_type.empty()) result.resource_type = "(unknown)";
    ctx.Reject("not-a-resource", "resourceType", "missing: not a FHIR resource");
  } else if (map == nullptr) {
    ctx.Ignore("type-not-used", "resource type " + type + " is not used");
  } else if (!enabled) {
    ctx.Ignore("type-disabled", type + " input is turned off");
  } else if (result.source.id.empty()) {
    ctx.Reject("missing-id", "id", "missing: the resource needs an id");
  } else {
    map(ctx);
  }
  Count(result);
  return result;
}

void Mapper::Count(const MapResult& result) const {
  std::lock_guard<std::mutex> lock(mutex_);
  MapCounters::PerType& counts = counters_.by_type[result.resource_type];
  switch (result.outcome) {
    case MapOutcome::kMapped:
      ++counts.mapped;
      break;
    case MapOutcome::kRetracted:
      ++counts.retracted;
      break;
    case MapOutcome::kIgnored:
      ++counts.ignored[result.reason_code];
      break;
    case MapOutcome::kRejected:
      ++counts.rejected[result.reason_code];
      break;
  }
}

MapCounters Mapper::Counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

}  // namespace bonewatch::mappings
