// MappingSet: the loaded, validated code tables that drive the Mapper.
//
// Purpose: IT teams teach BoneWatch their codes with mapping files, never C++.
// A mapping directory holds FHIR R4 ConceptMap resources (*.json) and units
// tables (resourceType "BoneWatchUnits"); docs/mappings.md describes both.
// LoadMappings reads the shipped defaults (mappings/default/) and then,
// optionally, an extra directory whose files are merged over them:
//  - a code not yet mapped is added;
//  - a code mapped twice (in one file or across files, identical or not) is
//    an error: a local file never silently overrides a default;
//  - a prefix code ("M80.*", marked with the code-match extension) matches
//    every code that starts with the text before the '*'; an exact code wins
//    over a prefix, and a longer prefix over a shorter one.
// Every error is collected (file, group/element, reason); if there is any,
// nothing is loaded: a bad file fails the whole load, never half-loads.
//
// Canonical URLs: target systems are {base}/CodeSystem/..., where {base} is
// LoadOptions::base. The shipped files are written with the default base
// (kDefaultBase), which is always accepted as an alias of the configured one.
//
// Ownership/thread-safety: a MappingSet is immutable after loading and cheap
// to copy (shared immutable tables); concurrent const use is safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/fhir/status.h"
#include "bonewatch/rules/model.h"

namespace bonewatch::mappings {

inline constexpr std::string_view kDefaultBase = "http://bonewatch.example/fhir";

struct LoadOptions {
  // The configured canonical base, without a trailing '/'.
  std::string base = std::string(kDefaultBase);
  // REQUIRED: the shipped defaults directory (mappings/default).
  std::string default_dir;
  // Optional extra directory merged over the defaults; empty for none.
  std::string extra_dir;
};

// One validation problem. ToString(): "FILE: WHERE: REASON" (WHERE may be
// empty), e.g. "local/labs.json: group[1].element[3] (http://loinc.org|38267-1):
// unknown target concept 'ctx-serum'".
struct LoadError {
  std::string file;
  std::string where;
  std::string reason;
  std::string ToString() const;
};

// What one file contributed, for `bonewatch check-config`.
struct FileSummary {
  std::string file;
  std::string kind;    // "ConceptMap" or "BoneWatchUnits"
  std::string id;      // ConceptMap.id ("" for units tables)
  size_t entries = 0;  // mapped codes, or accepted units
};

// Where an Observation code maps.
struct ObservationMapping {
  rules::Concept kind = rules::Concept::kDxaTScore;
  rules::Site site = rules::Site::kNone;
  // True when `site` is a default that a recognised bodySite may refine
  // (the femur, spine and site-unspecified codes).
  bool site_refinable = false;
};

struct MedicationMapping {
  rules::MedicationClass medication_class = rules::MedicationClass::kAromataseInhibitor;
  std::string ingredient;  // e.g. "anastrozole"
};

// A code that, as Observation.code, makes the Observation a smoking-status
// observation for risk factor `kind` (today always kSmoker).
struct SmokingStatusMapping {
  rules::RiskFactorKind kind = rules::RiskFactorKind::kSmoker;
};

// canonical value = value * multiply / divide (both positive; the units table
// gives one of them, the other is 1, so "nmol/L divide 2.496" stays exact).
struct UnitConversion {
  double multiply = 1.0;
  double divide = 1.0;
  // Rounded to 12 significant digits when not the identity, so that
  // 37.44 nmol/L / 2.496 gives 15 ng/mL, not 14.999999999999998.
  double Apply(double value) const;
  friend bool operator==(const UnitConversion&, const UnitConversion&) = default;
};

// A code as searched on a FHIR server: "system|code".
struct CriteriaCode {
  std::string system;
  std::string code;
  friend bool operator==(const CriteriaCode&, const CriteriaCode&) = default;
};

// The codes the daemon subscribes to and searches for, for one resource type.
// `has_prefix_codes` is true when some mapped codes are prefixes (M80.*),
// which a FHIR token search cannot express: search that type without a code
// filter (by patient) and let the Mapper filter.
struct Criteria {
  std::string resource_type;
  std::vector<CriteriaCode> codes;  // sorted, unique
  bool has_prefix_codes = false;
};

namespace internal {
struct Tables;
}

class MappingSet {
 public:
  // Lookups return nullptr / nullopt when the code is not mapped.
  const ObservationMapping* FindObservation(std::string_view system, std::string_view code) const;
  const SmokingStatusMapping* FindSmokingStatus(std::string_view system,
                                                std::string_view code) const;
  // Both of the above with one lookup (the Observation mapper asks both of
  // every coding).
  struct ObservationCodeMappings {
    const ObservationMapping* observation = nullptr;
    const SmokingStatusMapping* smoking_status = nullptr;
    // A declared DXA panel code (target "dxa-panel"): no value of its own; its components
    // carry the values, and a panel none of whose components maps is refused, not ignored.
    bool dxa_panel = false;
  };
  ObservationCodeMappings FindObservationCode(std::string_view system, std::string_view code) const;
  // True if (system, code) is a current-smoker answer of smoking-status code
  // (obs_system, obs_code).
  bool IsCurrentSmokerAnswer(std::string_view obs_system, std::string_view obs_code,
                             std::string_view system, std::string_view code) const;
  const MedicationMapping* FindMedication(std::string_view system, std::string_view code) const;
  std::optional<rules::RiskFactorKind> FindRiskFactor(std::string_view system,
                                                      std::string_view code) const;
  bool IsDxaProcedure(std::string_view system, std::string_view code) const;
  std::optional<rules::Site> FindBodySite(std::string_view system, std::string_view code) const;
  bool IsSystemicRoute(std::string_view system, std::string_view code) const;

  // The canonical unit of `kind` (e.g. "ng/L" for ctx).
  const std::string& CanonicalUnit(rules::Concept kind) const;
  // How a value in `unit` converts to the canonical unit; nullopt if `unit`
  // is not accepted for `kind`. Compared case-insensitively; "" means "no unit".
  std::optional<UnitConversion> Conversion(rules::Concept kind, std::string_view unit) const;

  // Criteria per resource type: Observation, MedicationStatement,
  // MedicationRequest, Condition, Procedure (in that order).
  std::vector<Criteria> CriteriaLists() const;

  const std::string& base() const;
  const std::vector<FileSummary>& files() const;

 private:
  friend class Loader;
  explicit MappingSet(std::shared_ptr<const internal::Tables> tables);
  std::shared_ptr<const internal::Tables> tables_;
};

// All problems found, or a MappingSet when there are none.
struct LoadReport {
  std::optional<MappingSet> mappings;
  std::vector<LoadError> errors;
};

// Loads and validates `options.default_dir` then `options.extra_dir`.
LoadReport LoadMappingsReport(const LoadOptions& options);

// As LoadMappingsReport; the errors become one InvalidArgument Status whose
// message lists them, one per line.
StatusOr<MappingSet> LoadMappings(const LoadOptions& options);

}  // namespace bonewatch::mappings
