// Internal: what every resource mapper shares: the result being built, the
// subject, dates, codings and the outcome helpers. One per Map() call.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "bonewatch/mappings/mapper.h"

namespace bonewatch::mappings::internal {

class MapContext {
 public:
  MapContext(const MappingSet& mappings, const MapperOptions& options,
             const ReferenceResolver& resolver, const fhir::Json& resource, MapResult& result);

  const MappingSet& mappings() const { return mappings_; }
  const MapperOptions& options() const { return options_; }
  const fhir::Json& resource() const { return resource_; }
  MapResult& result() { return result_; }

  // "Observation/o1" (or "Observation/(no id)").
  std::string Label() const;

  // Outcomes. `field` names the element ("valueQuantity.unit").
  void Reject(std::string_view code, std::string_view field, std::string_view why);
  void Ignore(std::string_view code, std::string_view why);
  void Retract(std::string_view why);
  void Mapped() { result_.outcome = MapOutcome::kMapped; }

  // Sets result().patient_id from `subject` (REQUIRED by spec), or rejects
  // and returns false.
  bool ResolveSubject();

  // The resource a reference denotes: a contained one ("#id") or one the
  // resolver returns; nullptr if neither.
  const fhir::Json* Resolve(std::string_view reference) const;

  // Reads a FHIR date/dateTime/instant element as a calendar date in the
  // configured offset. nullopt when absent; rejects (and returns nullopt with
  // *invalid = true) when it is not a valid value.
  std::optional<rules::Date> ReadDate(const fhir::Json* value, std::string_view field,
                                      bool* invalid);

  // The status string, "" when absent.
  std::string Status() const { return resource_.GetString("status").value_or(""); }

 private:
  struct Subject {
    std::string patient_id;  // "" when not found; then code/field/why say why
    std::string code;
    std::string field;
    std::string why;
  };
  Subject FindSubject() const;

  const MappingSet& mappings_;
  const MapperOptions& options_;
  const ReferenceResolver& resolver_;
  const fhir::Json& resource_;
  MapResult& result_;
};

// The system and code of one Coding, viewing the resource being mapped
// (valid while it is). "" when absent.
struct CodingRef {
  std::string_view system;
  std::string_view code;
};

// The codings of a CodeableConcept element: empty when absent or malformed
// (whatever fhir::CodeableConceptFromJson rejects), without copying any text.
std::vector<CodingRef> Codings(const fhir::Json* codeable_concept);

// "system|code" of the first coding, for messages.
std::string FirstCode(const std::vector<CodingRef>& codings);

}  // namespace bonewatch::mappings::internal
