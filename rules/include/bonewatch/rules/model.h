// The rule engine's input model: one patient's timeline as plain facts.
//
// Everything here is plain data with value semantics: no FHIR JSON, no I/O.
// The mappings layer builds these from FHIR resources (applying the status,
// date and implied-end rules of spec §1); the Store persists them; the
// Evaluator reads them. Codes returned by the *Code() functions are the
// spec's codes exactly (system {base}/CodeSystem/concept).
//
// Thread-compatible: const access from many threads is safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/rules/date.h"

namespace bonewatch::rules {

// The resource a fact came from. `version` is the meta.versionId it was read
// at (empty when unknown). `component` distinguishes several facts from one
// resource (panel components); empty for a single-valued resource.
struct SourceRef {
  std::string resource_type;  // "Observation", "MedicationStatement", ...
  std::string id;
  std::string version;
  std::string component;

  // "Observation/123" (no version).
  std::string Reference() const { return resource_type + "/" + id; }
  friend bool operator==(const SourceRef&, const SourceRef&) = default;
  friend auto operator<=>(const SourceRef&, const SourceRef&) = default;
};

// Observation concepts of spec §1, plus kDxaProcedure: a completed DXA
// Procedure, which carries no value.
enum class Concept {
  kDxaTScore,
  kDxaZScore,
  kDxaBmd,
  kCtx,
  kNtx,
  kP1np,
  kBalp,
  kVitaminD25oh,
  kBmi,
  kDxaProcedure,
};
std::string_view ConceptCode(Concept c);  // "dxa-t-score", ..., "dxa-procedure"
std::optional<Concept> ConceptFromCode(std::string_view code);
bool IsDxaConcept(Concept c);  // T, Z, BMD and procedure

enum class Site { kNone, kLumbarSpine, kTotalHip, kFemoralNeck, kForearm, kUnspecified };
std::string_view SiteCode(Site s);     // "lumbar-spine", ...; "" for kNone
std::string_view SiteDisplay(Site s);  // "lumbar spine", "total hip", ...
std::optional<Site> SiteFromCode(std::string_view code);

// One observed value (or a DXA procedure) in the concept's canonical unit.
struct Fact {
  Concept kind = Concept::kDxaTScore;  // "concept" is a C++20 keyword
  Site site = Site::kNone;
  std::optional<double> value;  // absent only for kDxaProcedure
  Date effective;               // calendar date in the configured time zone
  SourceRef source;
  std::string status;  // the source status that was accepted: "final", "amended", ...
};

enum class MedicationClass {
  kAromataseInhibitor,
  kOvarianSuppression,
  kBisphosphonate,
  kDenosumab,
  kGlucocorticoid,
};
std::string_view MedicationClassCode(MedicationClass c);  // "aromatase-inhibitor", ...
std::optional<MedicationClass> MedicationClassFromCode(std::string_view code);

enum class MedicationStatus { kActive, kCompleted, kStopped, kOnHold };
std::string_view MedicationStatusCode(MedicationStatus s);

// One MedicationStatement or MedicationRequest, normalised by the mapper.
// `end` is explicit, or implied by the mapper as spec §1 says (a completed or
// stopped statement with no end ends on its start date; a completed/stopped
// request ends after its supply duration, else 90 days after its start).
struct MedicationUse {
  MedicationClass medication_class = MedicationClass::kAromataseInhibitor;
  std::string ingredient;  // normalised, e.g. "anastrozole", "zoledronic-acid"
  MedicationStatus status = MedicationStatus::kActive;
  Date start;
  std::optional<Date> end;
  SourceRef source;

  bool IsFinished() const {
    return (status == MedicationStatus::kCompleted || status == MedicationStatus::kStopped) &&
           end.has_value();
  }
};

enum class RiskFactorKind {
  kFragilityFracture,
  kFamilyHipFracture,
  kSmoker,
  kRheumatoidArthritis,
  kPremenopausal,
};
std::string_view RiskFactorCode(RiskFactorKind k);  // "fragility-fracture", ...
std::optional<RiskFactorKind> RiskFactorFromCode(std::string_view code);

// Where a risk-factor fact came from: a Condition, or a LOINC 72166-2
// smoking-status Observation (which counts only when it is the latest one).
enum class RiskFactorOrigin { kCondition, kSmokingStatusObservation };

// A risk-factor Condition or smoking-status Observation. The mapper drops
// refuted/entered-in-error conditions. `clinically_active` is false when the
// Condition's clinicalStatus is present and not active; for a smoking-status
// Observation, `present` says whether the answer is a current-smoker answer.
struct RiskFactorFact {
  RiskFactorKind kind = RiskFactorKind::kSmoker;
  RiskFactorOrigin origin = RiskFactorOrigin::kCondition;
  Date date;  // onset, else recorded date, else the observation date
  bool clinically_active = true;
  bool present = true;
  SourceRef source;
};

enum class Gender { kUnknown, kFemale, kMale, kOther };
// FHIR administrative-gender codes: "female", "male", "other", "unknown".
std::string_view GenderCode(Gender g);
std::optional<Gender> GenderFromCode(std::string_view code);

struct PatientDemographics {
  std::optional<Date> birth_date;
  Gender gender = Gender::kUnknown;
};

// One patient's whole timeline, as currently stored.
struct PatientRecord {
  std::string patient_id;  // the FHIR Patient id
  PatientDemographics demographics;
  std::vector<Fact> facts;
  std::vector<MedicationUse> medications;
  std::vector<RiskFactorFact> risk_factors;
  // True when aromatase-inhibitor sources of this patient were retracted
  // (entered-in-error or deleted). With no AI course left, the evaluation's
  // disposition is then kRetracted rather than kOutOfScope.
  bool ai_medication_retracted = false;
};

}  // namespace bonewatch::rules
