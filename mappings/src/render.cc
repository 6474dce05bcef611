// MapResultToJson: the stable rendering used by the golden tests.
#include "bonewatch/mappings/mapper.h"

namespace bonewatch::mappings {
namespace {

using fhir::Json;

std::string SourceText(const rules::SourceRef& source) {
  std::string out = source.Reference();
  if (!source.component.empty()) out += "#" + source.component;
  return out;
}

Json FactJson(const rules::Fact& f) {
  Json j = Json::Object();
  j.Set("concept", Json(std::string(rules::ConceptCode(f.kind))));
  if (f.site != rules::Site::kNone) j.Set("site", Json(std::string(rules::SiteCode(f.site))));
  if (f.value) j.Set("value", Json(*f.value));
  j.Set("effective", Json(f.effective.ToString()));
  j.Set("status", Json(f.status));
  j.Set("source", Json(SourceText(f.source)));
  return j;
}

Json MedicationJson(const rules::MedicationUse& m) {
  Json j = Json::Object();
  j.Set("class", Json(std::string(rules::MedicationClassCode(m.medication_class))));
  j.Set("ingredient", Json(m.ingredient));
  j.Set("status", Json(std::string(rules::MedicationStatusCode(m.status))));
  j.Set("start", Json(m.start.ToString()));
  j.Set("end", m.end ? Json(m.end->ToString()) : Json(nullptr));
  j.Set("source", Json(SourceText(m.source)));
  return j;
}

Json RiskFactorJson(const rules::RiskFactorFact& r) {
  Json j = Json::Object();
  j.Set("kind", Json(std::string(rules::RiskFactorCode(r.kind))));
  j.Set("origin",
        Json(r.origin == rules::RiskFactorOrigin::kCondition ? "condition"
                                                             : "smoking-status-observation"));
  j.Set("date", Json(r.date.ToString()));
  j.Set("clinicallyActive", Json(r.clinically_active));
  j.Set("present", Json(r.present));
  j.Set("source", Json(SourceText(r.source)));
  return j;
}

}  // namespace

Json MapResultToJson(const MapResult& result) {
  Json j = Json::Object();
  j.Set("outcome", Json(std::string(MapOutcomeCode(result.outcome))));
  j.Set("resource", Json(SourceText(result.source)));
  if (!result.source.version.empty()) j.Set("version", Json(result.source.version));
  if (!result.patient_id.empty()) j.Set("patient", Json(result.patient_id));
  if (!result.reason_code.empty()) j.Set("reasonCode", Json(result.reason_code));
  if (!result.reason.empty()) j.Set("reason", Json(result.reason));
  if (!result.facts.empty()) {
    Json list = Json::Array();
    for (const auto& f : result.facts) list.Push(FactJson(f));
    j.Set("facts", std::move(list));
  }
  if (!result.medications.empty()) {
    Json list = Json::Array();
    for (const auto& m : result.medications) list.Push(MedicationJson(m));
    j.Set("medications", std::move(list));
  }
  if (!result.risk_factors.empty()) {
    Json list = Json::Array();
    for (const auto& r : result.risk_factors) list.Push(RiskFactorJson(r));
    j.Set("riskFactors", std::move(list));
  }
  if (result.demographics) {
    Json d = Json::Object();
    d.Set("birthDate", result.demographics->birth_date
                           ? Json(result.demographics->birth_date->ToString())
                           : Json(nullptr));
    d.Set("gender", Json(std::string(rules::GenderCode(result.demographics->gender))));
    j.Set("demographics", std::move(d));
  }
  return j;
}

}  // namespace bonewatch::mappings
