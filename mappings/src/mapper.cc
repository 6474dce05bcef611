#include "bonewatch/mappings/mapper.h"

#include <array>
#include <atomic>
#include <cstdint>

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

namespace {

// The resource types Map() maps, in the order of Mapper's per-type counters.
struct MappedType {
  std::string_view name;
  void (*map)(internal::MapContext&);
  // The input switch of the type; nullptr when it is always on.
  bool MapperOptions::*enabled;
};
constexpr std::array<MappedType, 6> kMappedTypes = {{
    {"Observation", internal::MapObservation, nullptr},
    {"MedicationStatement", internal::MapMedication, nullptr},
    {"MedicationRequest", internal::MapMedication, &MapperOptions::medication_request_enabled},
    {"Condition", internal::MapCondition, &MapperOptions::condition_enabled},
    {"Procedure", internal::MapProcedure, &MapperOptions::procedure_enabled},
    {"Patient", internal::MapPatient, nullptr},
}};

void CountOutcome(const MapResult& result, MapCounters::PerType& counts) {
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

void AddCounts(const MapCounters::PerType& from, MapCounters::PerType& to) {
  to.mapped += from.mapped;
  to.retracted += from.retracted;
  for (const auto& [code, n] : from.ignored) to.ignored[code] += n;
  for (const auto& [code, n] : from.rejected) to.rejected[code] += n;
}

// The shard of the calling thread: threads are numbered in the order they
// first count, so that threads counting at the same time use different
// shards (up to the shard count). Hashing the address of a thread-local
// object, as before, gave evaluate's two threads the same shard: every
// Map() then contended for one lock and cache line.
std::size_t ThreadShard(std::size_t shards) {
  static std::atomic<std::size_t> next_thread{0};
  thread_local const std::size_t thread_number =
      next_thread.fetch_add(1, std::memory_order_relaxed);
  return thread_number % shards;
}

}  // namespace

Mapper::Mapper(MappingSet mappings, MapperOptions options)
    : mappings_(std::move(mappings)), options_(options) {}

MapResult Mapper::Map(const fhir::Json& resource, const ReferenceResolver& resolver) const {
  MapResult result;
  Map(resource, resolver, result);
  return result;
}

void Mapper::Map(const fhir::Json& resource, const ReferenceResolver& resolver,
                 MapResult& result) const {
  // As a new MapResult, keeping the capacity.
  result.outcome = MapOutcome::kIgnored;
  result.resource_type.assign(resource.GetStringView("resourceType").value_or(""));
  result.source.resource_type.assign(result.resource_type);
  result.source.id.assign(resource.GetStringView("id").value_or(""));
  result.source.version.clear();
  result.source.component.clear();
  result.patient_id.clear();
  result.facts.clear();
  result.medications.clear();
  result.risk_factors.clear();
  result.demographics.reset();
  result.reason_code.clear();
  result.reason.clear();
  if (const fhir::Json* version = resource.At({"meta", "versionId"});
      version != nullptr && version->is_string()) {
    result.source.version = version->AsString();
  }
  internal::MapContext ctx(mappings_, options_, resolver, resource, result);
  const std::string& type = result.resource_type;
  std::size_t type_index = 0;
  while (type_index < kMappedTypes.size() && kMappedTypes[type_index].name != type) ++type_index;
  void (*map)(internal::MapContext&) = nullptr;
  bool enabled = true;
  if (type_index < kMappedTypes.size()) {
    const MappedType& mapped = kMappedTypes[type_index];
    map = mapped.map;
    enabled = mapped.enabled == nullptr || options_.*mapped.enabled;
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
  Count(result, type_index);
}

void Mapper::Count(const MapResult& result, std::size_t type_index) const {
  static_assert(kMappedTypes.size() == kMappedTypeCount);
  CounterShard& shard = shards_[ThreadShard(shards_.size())];
  std::lock_guard<std::mutex> lock(shard.mutex);
  if (type_index < kMappedTypeCount) {
    shard.mapped_type_seen[type_index] = true;
    CountOutcome(result, shard.mapped_types[type_index]);
  } else {
    CountOutcome(result, shard.other_types.by_type[result.resource_type]);
  }
}

MapCounters Mapper::Counters() const {
  MapCounters counters;
  for (CounterShard& shard : shards_) {
    std::lock_guard<std::mutex> lock(shard.mutex);
    for (std::size_t i = 0; i < kMappedTypeCount; ++i) {
      if (shard.mapped_type_seen[i]) {
        AddCounts(shard.mapped_types[i], counters.by_type[std::string(kMappedTypes[i].name)]);
      }
    }
    for (const auto& [type, counts] : shard.other_types.by_type) {
      AddCounts(counts, counters.by_type[type]);
    }
  }
  return counters;
}

}  // namespace bonewatch::mappings
