// CarePlan builder: the CarePlan of the monitored AI course, exactly as spec §4.
//
// One CarePlan per patient and course, identified by
// {base}/identifier/careplan|{patientId}.{courseStart}. Status follows the
// evaluation's disposition: active, completed (the course has ended) or
// entered-in-error (the AI course was retracted; BuildRetractedCarePlan
// rebuilds the resource from its identifier alone).
//
// Activities come in the evaluation's order (rules::kActivityKeys). Each
// detail.code carries the clinical coding of the activity (the VERIFIED codes
// of shared/spec/terminology.json; see ActivityClinicalCoding) and a second
// coding {base}/CodeSystem/activity|{key}. outcomeReference and
// supportingInfo cite resources without version ("Observation/12"), for the
// same reason as Flag.flag-detail (writeback_flag.h).
//
// Output member order follows the R4 element order; equal inputs give
// identical bytes. Thread-safety: pure functions.
// REQUIRES for BuildCarePlan: evaluation.course is set (disposition kActive
// or kCompleted).
#pragma once

#include <optional>
#include <string_view>

#include "bonewatch/fhir/json.h"
#include "bonewatch/rules/evaluation.h"
#include "writeback_identity.h"

namespace bonewatch::adapter {

inline constexpr std::string_view kCarePlanTitle =
    "Bone health monitoring during aromatase inhibitor therapy";
inline constexpr std::string_view kCarePlanCategorySystem =
    "http://hl7.org/fhir/us/core/CodeSystem/careplan-category";

// The clinical side of an activity: detail.kind, the clinical coding (empty
// system when terminology.json has no VERIFIED code for it) and a readable
// name (detail.code.text).
struct ActivityDefinition {
  std::string_view kind;  // ServiceRequest | NutritionOrder | MedicationRequest
  std::string_view system;
  std::string_view code;
  std::string_view display;
  std::string_view text;
};
// nullopt for an unknown key.
std::optional<ActivityDefinition> ActivityClinicalCoding(std::string_view key);

// CarePlan.status for a course's disposition (spec §4).
std::string_view CarePlanStatus(rules::Disposition disposition);

fhir::Json BuildCarePlan(const rules::Evaluation& evaluation, const WritebackOptions& options);

fhir::Json BuildRetractedCarePlan(const ParsedCarePlanIdentifier& identifier,
                                  const WritebackOptions& options);

}  // namespace bonewatch::adapter
