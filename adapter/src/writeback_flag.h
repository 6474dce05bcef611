// Flag builder: one FHIR R4 Flag per finding episode, exactly as spec §4.
//
// Output member order follows the R4 element order (resourceType, meta,
// extension, identifier, status, category, code, subject, period, author) so
// that equal inputs give identical bytes. The resource has no id: it is
// written by conditional update on its identifier.
//
// Choices the spec leaves open:
//  - flag-detail cites each evidence resource once, without version
//    ("Observation/12"): a new version of a source that changes no finding
//    must not change the Flag, or every re-read would rewrite it. The versions
//    are recorded in the Provenance of the write (writeback_provenance.h).
//  - flag-priority is a valueCodeableConcept in
//    http://hl7.org/fhir/flag-priority-code with the code's display.
//  - A Flag made entered-in-error after a retraction (BuildRetractedFlag) is
//    rebuilt from its identifier alone: same identifier, code and
//    period.start, no priority or detail.
//
// Thread-safety: pure functions. REQUIRES: `author_reference` is the
// BoneWatch Device ("Device/id", or the urn:uuid fullUrl of the Device entry
// of the same transaction).
#pragma once

#include <string_view>

#include "bonewatch/fhir/json.h"
#include "bonewatch/rules/evaluation.h"
#include "writeback_identity.h"

namespace bonewatch::adapter {

inline constexpr std::string_view kFlagPriorityExtension =
    "http://hl7.org/fhir/StructureDefinition/flag-priority";
inline constexpr std::string_view kFlagPrioritySystem = "http://hl7.org/fhir/flag-priority-code";
inline constexpr std::string_view kFlagDetailExtension =
    "http://hl7.org/fhir/StructureDefinition/flag-detail";
inline constexpr std::string_view kFlagCategorySystem =
    "http://terminology.hl7.org/CodeSystem/flag-category";

// The Flag for `finding` of `patient_id`: status active or inactive (with
// period.end) as the finding says.
// The flag-priority coding's display ("Low priority", ...).
std::string_view PriorityDisplay(rules::Priority priority);

fhir::Json BuildFlag(const rules::Finding& finding, std::string_view patient_id,
                     const WritebackOptions& options, std::string_view author_reference);

// An entered-in-error Flag for a previously written Flag identifier.
fhir::Json BuildRetractedFlag(const ParsedFlagIdentifier& identifier,
                              const WritebackOptions& options, std::string_view author_reference);

}  // namespace bonewatch::adapter
