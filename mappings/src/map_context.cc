#include "map_context.h"

#include "bonewatch/fhir/datetime.h"
#include "bonewatch/fhir/reference.h"

namespace bonewatch::mappings::internal {

MapContext::MapContext(const MappingSet& mappings, const MapperOptions& options,
                       const ReferenceResolver& resolver, const fhir::Json& resource,
                       MapResult& result)
    : mappings_(mappings),
      options_(options),
      resolver_(resolver),
      resource_(resource),
      result_(result) {}

std::string MapContext::Label() const {
  return result_.resource_type + "/" +
         (result_.source.id.empty() ? std::string("(no id)") : result_.source.id);
}

void MapContext::Reject(std::string_view code, std::string_view field, std::string_view why) {
  result_.outcome = MapOutcome::kRejected;
  result_.reason_code = code;
  result_.reason = Label() + ": " + std::string(field) + ": " + std::string(why);
  result_.facts.clear();
  result_.medications.clear();
  result_.risk_factors.clear();
  result_.demographics.reset();
}

void MapContext::Ignore(std::string_view code, std::string_view why) {
  result_.outcome = MapOutcome::kIgnored;
  result_.reason_code = code;
  result_.reason = Label() + ": " + std::string(why);
}

void MapContext::Retract(std::string_view why) {
  result_.outcome = MapOutcome::kRetracted;
  result_.reason_code = "retracted";
  result_.patient_id = FindSubject().patient_id;  // when known; a retraction needs none
  result_.reason = Label() + ": " + std::string(why);
}

const fhir::Json* MapContext::Resolve(std::string_view reference) const {
  if (reference.starts_with("#")) {
    const fhir::Json* contained = resource_.Find("contained");
    if (contained == nullptr) return nullptr;
    for (const fhir::Json& r : contained->elements()) {
      if (r.GetStringView("id") == reference.substr(1)) return &r;
    }
    return nullptr;
  }
  return resolver_ ? resolver_(reference) : nullptr;
}

MapContext::Subject MapContext::FindSubject() const {
  const fhir::Json* subject = resource_.Find("subject");
  if (subject == nullptr)
    return {"", "missing-subject", "subject", "missing: the patient is required"};
  const std::string_view text = subject->GetStringView("reference").value_or("");
  if (text.empty()) {
    return {"", "missing-subject", "subject.reference",
            "missing: a literal reference to the Patient is required"};
  }
  // Almost every subject is "Patient/{id}": what ParseReference would find
  // (a relative reference, type Patient), without making a whole Reference.
  // About a sixth of mapping an Observation was parsing its subject.
  constexpr std::string_view kPatientPrefix = "Patient/";
  if (text.starts_with(kPatientPrefix) && fhir::IsValidId(text.substr(kPatientPrefix.size()))) {
    return {std::string(text.substr(kPatientPrefix.size())), "", "", ""};
  }
  auto parsed = fhir::ParseReference(text);
  if (!parsed.ok()) return {"", "invalid-subject", "subject.reference", parsed.status().message()};
  if (parsed->is_urn || parsed->is_contained) {
    const fhir::Json* target = Resolve(text);
    if (target == nullptr) {
      return {"", "unresolved-subject", "subject.reference",
              "'" + std::string(text) + "' does not resolve to a resource"};
    }
    const std::string type = target->GetString("resourceType").value_or("");
    if (type != "Patient") {
      return {"", "invalid-subject", "subject.reference",
              "'" + std::string(text) + "' is a " +
                  (type.empty() ? "resource without type" : type) + ", not a Patient"};
    }
    // A Patient without an id inside a transaction Bundle is known by its URN.
    const std::string id = target->GetString("id").value_or("");
    return {id.empty() ? parsed->id : id, "", "", ""};
  }
  if (parsed->type != "Patient") {
    return {"", "invalid-subject", "subject.reference",
            "'" + std::string(text) + "' is not a Patient reference"};
  }
  return {parsed->id, "", "", ""};
}

bool MapContext::ResolveSubject() {
  const Subject subject = FindSubject();
  if (subject.patient_id.empty()) {
    Reject(subject.code, subject.field, subject.why);
    return false;
  }
  result_.patient_id = subject.patient_id;
  return true;
}

std::optional<rules::Date> MapContext::ReadDate(const fhir::Json* value, std::string_view field,
                                                bool* invalid) {
  *invalid = false;
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) {
    *invalid = true;
    Reject("invalid-date", field, "expected a date string, got " + std::string(value->TypeName()));
    return std::nullopt;
  }
  auto parsed = fhir::DateTime::ParseDateTime(value->AsString());
  if (!parsed.ok()) {
    *invalid = true;
    Reject("invalid-date", field,
           "'" + value->AsString() + "' is not a FHIR date/dateTime: " + parsed.status().message());
    return std::nullopt;
  }
  const fhir::LocalDate d = options_.time_zone.LocalDateOf(*parsed);
  return rules::Date::FromYmd(d.year, d.month, d.day);
}

namespace {

bool AbsentOrString(const fhir::Json& object, std::string_view key) {
  const fhir::Json* v = object.Find(key);
  return v == nullptr || v->is_string();
}

std::string_view StringOrEmpty(const fhir::Json& object, std::string_view key) {
  const fhir::Json* v = object.Find(key);
  return v != nullptr ? std::string_view(v->AsString()) : std::string_view();
}

}  // namespace

std::vector<CodingRef> Codings(const fhir::Json* codeable_concept) {
  // The checks of fhir::CodeableConceptFromJson and CodingFromJson, which
  // would copy every string of every coding.
  if (codeable_concept == nullptr || !codeable_concept->is_object() ||
      !AbsentOrString(*codeable_concept, "text")) {
    return {};
  }
  const fhir::Json* coding = codeable_concept->Find("coding");
  if (coding == nullptr || !coding->is_array()) return {};
  std::vector<CodingRef> codings;
  codings.reserve(coding->size());
  for (const fhir::Json& c : coding->elements()) {
    if (!c.is_object() || !AbsentOrString(c, "system") || !AbsentOrString(c, "version") ||
        !AbsentOrString(c, "code") || !AbsentOrString(c, "display")) {
      return {};
    }
    if (const fhir::Json* us = c.Find("userSelected"); us != nullptr && !us->is_bool()) return {};
    codings.push_back(CodingRef{StringOrEmpty(c, "system"), StringOrEmpty(c, "code")});
  }
  return codings;
}

std::string FirstCode(const std::vector<CodingRef>& codings) {
  if (codings.empty()) return "(no coding)";
  return std::string(codings[0].system) + "|" + std::string(codings[0].code);
}

}  // namespace bonewatch::mappings::internal
