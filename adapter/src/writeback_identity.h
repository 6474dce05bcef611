// Write-back identity: the canonical base, identifier systems, deterministic
// identifiers and fullUrls of everything BoneWatch writes (spec §4).
//
// Purpose: one place that turns the configured canonical base into the
// systems of spec §4 ({base}/identifier/flag, {base}/CodeSystem/rule, ...)
// and builds the identifier values ({patientId}.{rule}.{YYYY-MM-DD},
// {patientId}.{courseStart}), so that every builder, the transaction and the
// daemon agree byte for byte.
//
// Deterministic urn:uuid fullUrls: a transaction entry's fullUrl is a name-
// based (SHA-1, version 5) UUID of its conditional key, so the same input
// gives the same Bundle bytes and no clock or random source is read.
//
// Thread-safety: plain values and pure functions; thread-safe.
// REQUIRES: WritebackOptions::base has no trailing '/'.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "bonewatch/fhir/json.h"
#include "bonewatch/rules/date.h"
#include "bonewatch/rules/model.h"
#include "sha1.h"

namespace bonewatch::adapter {

inline constexpr std::string_view kDefaultWritebackBase = "http://bonewatch.example/fhir";

struct WritebackOptions {
  // The configured canonical base (spec: `{base}`).
  std::string base = std::string(kDefaultWritebackBase);

  std::string TagSystem() const { return base + "/CodeSystem/tag"; }
  std::string RuleSystem() const { return base + "/CodeSystem/rule"; }
  std::string ActivitySystem() const { return base + "/CodeSystem/activity"; }
  std::string FlagIdentifierSystem() const { return base + "/identifier/flag"; }
  std::string CarePlanIdentifierSystem() const { return base + "/identifier/careplan"; }
  std::string DeviceIdentifierSystem() const { return base + "/identifier/device"; }
};

// The tag value every written resource carries.
inline constexpr std::string_view kBoneWatchTag = "bonewatch";
// The Device identifier value.
inline constexpr std::string_view kDeviceIdentifierValue = "bonewatch";

// {"tag":[{"system":"{base}/CodeSystem/tag","code":"bonewatch"}]}
fhir::Json WritebackMeta(const WritebackOptions& options);
// {"system":..., "value":...}
fhir::Json IdentifierJson(std::string_view system, std::string_view value);
// {"reference": text}
fhir::Json ReferenceJson(std::string_view text);

// "{patientId}.{rule}.{YYYY-MM-DD}".
std::string FlagIdentifierValue(std::string_view patient_id, std::string_view rule,
                                rules::Date episode_start);
// "{patientId}.{courseStart YYYY-MM-DD}".
std::string CarePlanIdentifierValue(std::string_view patient_id, rules::Date course_start);

// A Flag identifier value taken apart (for previously written Flags).
struct ParsedFlagIdentifier {
  std::string patient_id;
  std::string rule;  // one of rules::kRuleCodes
  rules::Date episode_start;
};
// nullopt unless `value` is "{patientId}.{known rule}.{YYYY-MM-DD}" with a non-empty patient id.
std::optional<ParsedFlagIdentifier> ParseFlagIdentifierValue(std::string_view value);

// "{patientId}.{YYYY-MM-DD}" taken apart.
struct ParsedCarePlanIdentifier {
  std::string patient_id;
  rules::Date course_start;
};
std::optional<ParsedCarePlanIdentifier> ParseCarePlanIdentifierValue(std::string_view value);

// The reference to the patient: "Patient/{id}"; a patient known only by a
// URN (a transaction Bundle's Patient without id) is referenced by the URN.
std::string PatientReference(std::string_view patient_id);

// "Type/id" (no version): what a Flag's flag-detail, a CarePlan's
// supportingInfo and outcomeReference cite. Stable across source versions, so
// a new version of a source that changes no finding changes no written Flag.
std::string UnversionedReference(const rules::SourceRef& source);
// "Type/id/_history/v" when the version is known, else "Type/id": what a
// Provenance cites.
std::string VersionedReference(const rules::SourceRef& source);

// "urn:uuid:<v5 uuid of name>" in the namespace of the canonical base.
std::string DeterministicUrnUuid(const WritebackOptions& options, std::string_view name);
// The same for the name that is the concatenation of `name_pieces`, hashed
// piece by piece: callers on the hot path need not join them first.
std::string DeterministicUrnUuid(const WritebackOptions& options,
                                 std::initializer_list<std::string_view> name_pieces);

// DeterministicUrnUuid() for many names that start alike, such as
// "Flag|{system}|{value}" for each value: the namespace and the common prefix
// are hashed once, at construction (for those names that is the whole first
// SHA-1 block, about a third of the work per name).
// A value; Make() only reads it, so a built maker may be shared by threads.
class UrnUuidMaker {
 public:
  UrnUuidMaker(const WritebackOptions& options, std::initializer_list<std::string_view> prefix);
  // DeterministicUrnUuid(options, {prefix..., rest}).
  std::string Make(std::string_view rest) const;

 private:
  Sha1 hashed_prefix_;
};

// The conditional query "identifier={system}|{value}" (no leading '?').
std::string IdentifierQuery(std::string_view system, std::string_view value);

}  // namespace bonewatch::adapter
