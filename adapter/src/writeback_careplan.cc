#include "writeback_careplan.h"

#include <array>
#include <set>
#include <string>
#include <vector>

namespace bonewatch::adapter {

std::string_view CarePlanStatus(rules::Disposition disposition) {
  switch (disposition) {
    case rules::Disposition::kCompleted:
      return "completed";
    case rules::Disposition::kRetracted:
      return "entered-in-error";
    case rules::Disposition::kActive:
    case rules::Disposition::kOutOfScope:
      break;
  }
  return "active";
}

namespace {

using fhir::Json;

constexpr std::string_view kSnomed = "http://snomed.info/sct";
constexpr std::string_view kLoinc = "http://loinc.org";
constexpr std::string_view kAtc = "http://www.whocc.no/atc";

// Codes and displays verbatim from shared/spec/terminology.json (VERIFIED).
// calcium-vitamin-d and bone-directed-therapy have no verified code of their
// own there, so they carry only the activity coding (and text).
constexpr std::array<std::pair<std::string_view, ActivityDefinition>, 7> kActivities = {{
    {"baseline-dxa",
     {"ServiceRequest", kSnomed, "312681000", "Bone density scan (procedure)",
      "Baseline DXA scan"}},
    {"btm-baseline",
     {"ServiceRequest", kLoinc, "41171-0",
      "Collagen crosslinked C-telopeptide [Mass/volume] in Serum or Plasma",
      "Baseline bone turnover marker (serum CTX)"}},
    {"btm-3-month",
     {"ServiceRequest", kLoinc, "41171-0",
      "Collagen crosslinked C-telopeptide [Mass/volume] in Serum or Plasma",
      "3-month bone turnover marker (serum CTX)"}},
    {"dxa-follow-up",
     {"ServiceRequest", kSnomed, "312681000", "Bone density scan (procedure)",
      "Follow-up DXA scan"}},
    {"calcium-vitamin-d", {"NutritionOrder", "", "", "", "Calcium and vitamin D"}},
    {"bone-directed-therapy",
     {"MedicationRequest", "", "", "", "Bone-directed therapy (bisphosphonate or denosumab)"}},
    {"denosumab-next-dose",
     {"MedicationRequest", kAtc, "M05BX04", "Denosumab", "Next denosumab dose"}},
}};

Json Category() {
  Json coding = Json::Object()
                    .Set("system", kCarePlanCategorySystem)
                    .Set("code", "assess-plan")
                    .Set("display", "Assessment and Plan of Treatment");
  return Json::Array().Push(Json::Object().Set("coding", Json::Array().Push(coding)));
}

Json Period(rules::Date start, const std::optional<rules::Date>& end) {
  Json period = Json::Object().Set("start", start.ToString());
  if (end) period.Set("end", end->ToString());
  return period;
}

// References to each resource once, in the given (sorted) order.
Json UniqueReferences(const std::vector<rules::SourceRef>& sources) {
  Json refs = Json::Array();
  std::set<std::string> seen;
  for (const rules::SourceRef& source : sources) {
    std::string reference = UnversionedReference(source);
    if (seen.insert(reference).second) refs.Push(ReferenceJson(reference));
  }
  return refs;
}

Json ActivityCode(std::string_view key, const WritebackOptions& options) {
  Json codings = Json::Array();
  const std::optional<ActivityDefinition> def = ActivityClinicalCoding(key);
  if (def && !def->system.empty()) {
    codings.Push(Json::Object()
                     .Set("system", def->system)
                     .Set("code", def->code)
                     .Set("display", def->display));
  }
  codings.Push(Json::Object().Set("system", options.ActivitySystem()).Set("code", key));
  Json code = Json::Object().Set("coding", std::move(codings));
  if (def) code.Set("text", def->text);
  return code;
}

Json Activity(const rules::PlanActivity& activity, const WritebackOptions& options) {
  const std::optional<ActivityDefinition> def = ActivityClinicalCoding(activity.key);
  Json detail = Json::Object();
  if (def) detail.Set("kind", def->kind);
  detail.Set("code", ActivityCode(activity.key, options));
  detail.Set("status", rules::ActivityStatusCode(activity.status));
  if (activity.scheduled_start || activity.scheduled_end) {
    Json period = Json::Object();
    if (activity.scheduled_start) period.Set("start", activity.scheduled_start->ToString());
    if (activity.scheduled_end) period.Set("end", activity.scheduled_end->ToString());
    detail.Set("scheduledPeriod", std::move(period));
  } else if (!activity.scheduled_text.empty()) {
    detail.Set("scheduledString", activity.scheduled_text);
  }
  if (!activity.description.empty()) detail.Set("description", activity.description);
  Json out = Json::Object();
  if (!activity.outcome.empty()) out.Set("outcomeReference", UniqueReferences(activity.outcome));
  out.Set("detail", std::move(detail));
  return out;
}

Json Header(std::string_view patient_id, rules::Date course_start, std::string_view status,
            const WritebackOptions& options) {
  return Json::Object()
      .Set("resourceType", "CarePlan")
      .Set("meta", WritebackMeta(options))
      .Set("identifier",
           Json::Array().Push(IdentifierJson(options.CarePlanIdentifierSystem(),
                                             CarePlanIdentifierValue(patient_id, course_start))))
      .Set("status", status)
      .Set("intent", "plan")
      .Set("category", Category())
      .Set("title", kCarePlanTitle)
      .Set("subject", ReferenceJson(PatientReference(patient_id)));
}

}  // namespace

std::optional<ActivityDefinition> ActivityClinicalCoding(std::string_view key) {
  for (const auto& [activity_key, def] : kActivities) {
    if (activity_key == key) return def;
  }
  return std::nullopt;
}

Json BuildCarePlan(const rules::Evaluation& evaluation, const WritebackOptions& options) {
  const rules::CourseSummary& course = *evaluation.course;
  Json plan =
      Header(evaluation.patient_id, course.start, CarePlanStatus(evaluation.disposition), options);
  plan.Set("period", Period(course.start, course.end));
  if (!course.medications.empty()) {
    plan.Set("supportingInfo", UniqueReferences(course.medications));
  }
  if (!evaluation.plan.empty()) {
    Json activities = Json::Array();
    for (const rules::PlanActivity& activity : evaluation.plan) {
      activities.Push(Activity(activity, options));
    }
    plan.Set("activity", std::move(activities));
  }
  return plan;
}

Json BuildRetractedCarePlan(const ParsedCarePlanIdentifier& identifier,
                            const WritebackOptions& options) {
  Json plan = Header(identifier.patient_id, identifier.course_start, "entered-in-error", options);
  plan.Set("period", Period(identifier.course_start, std::nullopt));
  return plan;
}

}  // namespace bonewatch::adapter
