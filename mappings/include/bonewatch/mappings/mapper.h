// Mapper: one FHIR R4 resource (JSON) -> rule-model facts, per spec §1.
//
// Purpose: the single place where FHIR meets the bone-health model. It reads
// Observation, MedicationStatement, MedicationRequest, Condition, Procedure
// and Patient, applies the status, date, unit, body-site, route and
// implied-end rules of spec §1, and says why when it does not map:
//  - kMapped:    facts / medication uses / risk factors / demographics;
//  - kIgnored:   nothing to keep (not our code, a status the spec ignores,
//                a resource type we do not use, a non-systemic
//                glucocorticoid, ...). It contributes no facts: a store that
//                holds facts of an older version of the resource drops them;
//  - kRejected:  bad data (missing subject, non-numeric value, unknown or
//                unconvertible unit, invalid date, ...). The reason names the
//                resource type/id and the field;
//  - kRetracted: cancelled / entered-in-error: whatever the resource gave
//                before is withdrawn (`source` says which resource).
// `reason_code` is short and stable (for metrics labels); `reason` is the
// sentence for logs and operators.
//
// References: `subject` may be "Patient/id", an absolute URL, or a urn:uuid
// resolved through the ReferenceResolver; medicationReference may point to a
// contained Medication ("#id") or to one the resolver returns (Bundle entries
// by fullUrl/urn:uuid or by "Type/id"). The resolver may be empty.
//
// Dates are calendar dates in MapperOptions::time_zone: a dateTime with a
// time is an instant, dated by the zone's offset at that instant (daylight
// saving time included); a date without a time is taken as written; partial
// dates take the first day of their period.
//
// Ownership/thread-safety: Map() is const and thread-safe; the counters are
// guarded by internal mutexes (one per shard, see Mapper). The resolver is
// called only during Map() and returned pointers must stay valid for that
// call.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/time_zone.h"
#include "bonewatch/mappings/mapping_set.h"
#include "bonewatch/rules/model.h"

namespace bonewatch::mappings {

enum class MapOutcome { kMapped, kIgnored, kRejected, kRetracted };
std::string_view MapOutcomeCode(MapOutcome outcome);  // "mapped", "ignored", ...

struct MapResult {
  MapOutcome outcome = MapOutcome::kIgnored;
  std::string resource_type;
  rules::SourceRef source;  // type, id, meta.versionId ("" component)
  std::string patient_id;   // "" when unknown (rejections, some ignores)
  std::vector<rules::Fact> facts;
  std::vector<rules::MedicationUse> medications;
  std::vector<rules::RiskFactorFact> risk_factors;
  std::optional<rules::PatientDemographics> demographics;
  std::string reason_code;  // "" when mapped
  std::string reason;
};

// Returns the resource a reference (as written, e.g. "urn:uuid:..." or
// "Medication/12") denotes, or nullptr.
using ReferenceResolver = std::function<const fhir::Json*(std::string_view reference)>;

struct MapperOptions {
  // The configured time zone (a fixed offset or an IANA zone; default UTC).
  fhir::TimeZone time_zone;
  // Input switches of spec §1 ("where enabled").
  bool medication_request_enabled = true;
  bool condition_enabled = true;
  bool procedure_enabled = true;
};

// Outcome counts per resource type; ignored/rejected also by reason_code.
struct MapCounters {
  struct PerType {
    uint64_t mapped = 0;
    uint64_t retracted = 0;
    std::map<std::string, uint64_t> ignored;
    std::map<std::string, uint64_t> rejected;
  };
  std::map<std::string, PerType> by_type;
};

class Mapper {
 public:
  Mapper(MappingSet mappings, MapperOptions options);
  Mapper(const Mapper&) = delete;
  Mapper& operator=(const Mapper&) = delete;

  // Maps one resource and counts the outcome.
  MapResult Map(const fhir::Json& resource, const ReferenceResolver& resolver = {}) const;
  // The same, into `result` (whatever it held is replaced): its strings and
  // lists keep their capacity, so that a caller mapping many resources into
  // the same few results allocates little after the first ones.
  void Map(const fhir::Json& resource, const ReferenceResolver& resolver, MapResult& result) const;

  // A snapshot of the counters.
  MapCounters Counters() const;

  const MappingSet& mappings() const { return mappings_; }
  const MapperOptions& options() const { return options_; }

 private:
  // The resource types Map() dispatches on (see kMappedTypes in mapper.cc).
  static constexpr std::size_t kMappedTypeCount = 6;
  // Counting runs once per resource on every mapping thread: the counts are
  // kept in shards chosen by thread, so that threads do not contend for one
  // lock and cache line, and the mapped types are counted by index instead
  // of looking their names up. Counters() adds the shards up.
  struct alignas(64) CounterShard {
    std::mutex mutex;
    std::array<MapCounters::PerType, kMappedTypeCount> mapped_types;  // GUARDED_BY(mutex)
    std::array<bool, kMappedTypeCount> mapped_type_seen{};            // GUARDED_BY(mutex)
    MapCounters other_types;  // GUARDED_BY(mutex): by name, the other types
  };
  static constexpr std::size_t kCounterShards = 8;

  // `type_index` is the index of result.resource_type among the mapped types,
  // or kMappedTypeCount for any other type.
  void Count(const MapResult& result, std::size_t type_index) const;

  MappingSet mappings_;
  MapperOptions options_;
  mutable std::array<CounterShard, kCounterShards> shards_;
};

// A stable JSON rendering of a MapResult (golden files, debugging): members
// in a fixed order, dates as YYYY-MM-DD, values as shortest round-trip
// decimals. Empty lists are omitted.
fhir::Json MapResultToJson(const MapResult& result);

}  // namespace bonewatch::mappings
