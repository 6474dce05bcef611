#include "bonewatch/fhir/coding.h"

#include "internal/json_fields.h"

namespace bonewatch::fhir {

using internal::SetIfNotEmpty;
using internal::StringField;

bool CodeableConcept::Matches(std::string_view system_uri, std::string_view code_value) const {
  for (const Coding& c : codings) {
    if (c.Matches(system_uri, code_value)) return true;
  }
  return false;
}

const Coding* CodeableConcept::FindCoding(std::string_view system_uri) const {
  for (const Coding& c : codings) {
    if (c.system == system_uri) return &c;
  }
  return nullptr;
}

StatusOr<Coding> CodingFromJson(const Json& json) {
  RETURN_IF_ERROR(internal::ExpectObject(json, "Coding"));
  Coding c;
  ASSIGN_OR_RETURN(c.system, StringField(json, "system", "Coding"));
  ASSIGN_OR_RETURN(c.version, StringField(json, "version", "Coding"));
  ASSIGN_OR_RETURN(c.code, StringField(json, "code", "Coding"));
  ASSIGN_OR_RETURN(c.display, StringField(json, "display", "Coding"));
  if (const Json* us = json.Find("userSelected"); us != nullptr) {
    if (!us->is_bool()) return InvalidArgumentError("Coding.userSelected: expected a boolean");
    c.user_selected = us->AsBool();
  }
  return c;
}

Json CodingToJson(const Coding& coding) {
  Json j = Json::Object();
  SetIfNotEmpty(j, "system", coding.system);
  SetIfNotEmpty(j, "version", coding.version);
  SetIfNotEmpty(j, "code", coding.code);
  SetIfNotEmpty(j, "display", coding.display);
  if (coding.user_selected.has_value()) j.Set("userSelected", *coding.user_selected);
  return j;
}

StatusOr<CodeableConcept> CodeableConceptFromJson(const Json& json) {
  RETURN_IF_ERROR(internal::ExpectObject(json, "CodeableConcept"));
  CodeableConcept cc;
  ASSIGN_OR_RETURN(cc.text, StringField(json, "text", "CodeableConcept"));
  if (const Json* coding = json.Find("coding"); coding != nullptr) {
    if (!coding->is_array()) {
      return InvalidArgumentError("CodeableConcept.coding: expected an array, got " +
                                  std::string(coding->TypeName()));
    }
    for (std::size_t i = 0; i < coding->size(); ++i) {
      auto c = CodingFromJson((*coding)[i]);
      if (!c.ok()) {
        return c.status().WithContext("CodeableConcept.coding[" + std::to_string(i) + "]");
      }
      cc.codings.push_back(std::move(c).value());
    }
  }
  return cc;
}

Json CodeableConceptToJson(const CodeableConcept& cc) {
  Json j = Json::Object();
  if (!cc.codings.empty()) {
    Json arr = Json::Array();
    for (const Coding& c : cc.codings) arr.Push(CodingToJson(c));
    j.Set("coding", std::move(arr));
  }
  SetIfNotEmpty(j, "text", cc.text);
  return j;
}

}  // namespace bonewatch::fhir
