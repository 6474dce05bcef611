#include "writeback_flag.h"

#include <set>
#include <string>

namespace bonewatch::adapter {

std::string_view PriorityDisplay(rules::Priority priority) {
  switch (priority) {
    case rules::Priority::kLow:
      return "Low priority";
    case rules::Priority::kMedium:
      return "Medium priority";
    case rules::Priority::kHigh:
      return "High priority";
  }
  return "";
}

namespace {

using fhir::Json;

Json PriorityExtension(rules::Priority priority) {
  Json coding = Json::Object()
                    .Set("system", kFlagPrioritySystem)
                    .Set("code", rules::PriorityCode(priority))
                    .Set("display", PriorityDisplay(priority));
  return Json::Object()
      .Set("url", kFlagPriorityExtension)
      .Set("valueCodeableConcept", Json::Object().Set("coding", Json::Array().Push(coding)));
}

Json Category() {
  Json coding = Json::Object()
                    .Set("system", kFlagCategorySystem)
                    .Set("code", "clinical")
                    .Set("display", "Clinical");
  return Json::Array().Push(Json::Object().Set("coding", Json::Array().Push(coding)));
}

Json RuleCode(std::string_view rule, std::string_view text, const WritebackOptions& options) {
  Json coding = Json::Object()
                    .Set("system", options.RuleSystem())
                    .Set("code", rule)
                    .Set("display", rules::RuleDisplay(rule));
  Json code = Json::Object().Set("coding", Json::Array().Push(coding));
  if (!text.empty()) code.Set("text", text);
  return code;
}

// Members shared by every Flag, in R4 element order after `extension`.
void SetBody(Json& flag, const ParsedFlagIdentifier& id, std::string_view status,
             std::string_view text, const std::optional<rules::Date>& end,
             const WritebackOptions& options, std::string_view author_reference) {
  flag.Set("identifier", Json::Array().Push(IdentifierJson(
                             options.FlagIdentifierSystem(),
                             FlagIdentifierValue(id.patient_id, id.rule, id.episode_start))));
  flag.Set("status", status);
  flag.Set("category", Category());
  flag.Set("code", RuleCode(id.rule, text, options));
  flag.Set("subject", ReferenceJson(PatientReference(id.patient_id)));
  Json period = Json::Object().Set("start", id.episode_start.ToString());
  if (end) period.Set("end", end->ToString());
  flag.Set("period", std::move(period));
  flag.Set("author", ReferenceJson(author_reference));
}

}  // namespace

Json BuildFlag(const rules::Finding& finding, std::string_view patient_id,
               const WritebackOptions& options, std::string_view author_reference) {
  Json flag = Json::Object().Set("resourceType", "Flag").Set("meta", WritebackMeta(options));
  Json extensions = Json::Array().Push(PriorityExtension(finding.priority));
  std::set<std::string> cited;  // one flag-detail per resource, not per component
  for (const rules::SourceRef& source : finding.evidence) {
    std::string reference = UnversionedReference(source);
    if (!cited.insert(reference).second) continue;
    extensions.Push(Json::Object()
                        .Set("url", kFlagDetailExtension)
                        .Set("valueReference", ReferenceJson(reference)));
  }
  flag.Set("extension", std::move(extensions));
  const bool active = finding.status == rules::FindingStatus::kActive;
  SetBody(flag, ParsedFlagIdentifier{std::string(patient_id), finding.rule, finding.episode_start},
          active ? "active" : "inactive", finding.text, active ? std::nullopt : finding.episode_end,
          options, author_reference);
  return flag;
}

Json BuildRetractedFlag(const ParsedFlagIdentifier& identifier, const WritebackOptions& options,
                        std::string_view author_reference) {
  Json flag = Json::Object().Set("resourceType", "Flag").Set("meta", WritebackMeta(options));
  SetBody(flag, identifier, "entered-in-error",
          "Entered in error: the aromatase inhibitor record this flag was based on was retracted",
          std::nullopt, options, author_reference);
  return flag;
}

}  // namespace bonewatch::adapter
