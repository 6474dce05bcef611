#include "writeback_render.h"

#include <set>
#include <string>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "writeback_careplan.h"
#include "writeback_flag.h"

namespace bonewatch::adapter {
namespace {

using fhir::JsonPrettyWriter;

void Reference(JsonPrettyWriter& w, std::string_view key, std::string_view reference) {
  w.Key(key);
  w.StartObject();
  w.Member("reference", reference);
  w.EndObject();
}

void Meta(JsonPrettyWriter& w, const std::string& tag_system) {
  w.Key("meta");
  w.StartObject();
  w.Key("tag");
  w.StartArray();
  w.StartObject();
  w.Member("system", tag_system);
  w.Member("code", kBoneWatchTag);
  w.EndObject();
  w.EndArray();
  w.EndObject();
}

void Identifier(JsonPrettyWriter& w, std::string_view system, std::string_view value) {
  w.Key("identifier");
  w.StartArray();
  w.StartObject();
  w.Member("system", system);
  w.Member("value", value);
  w.EndObject();
  w.EndArray();
}

// {"coding":[{system, code, display}]} as a one-element array (category).
void Category(JsonPrettyWriter& w, std::string_view system, std::string_view code,
              std::string_view display) {
  w.Key("category");
  w.StartArray();
  w.StartObject();
  w.Key("coding");
  w.StartArray();
  w.StartObject();
  w.Member("system", system);
  w.Member("code", code);
  w.Member("display", display);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  w.EndArray();
}

void Period(JsonPrettyWriter& w, std::string_view key, const std::optional<rules::Date>& start,
            const std::optional<rules::Date>& end) {
  w.Key(key);
  w.StartObject();
  if (start) w.Member("start", start->ToString());
  if (end) w.Member("end", end->ToString());
  w.EndObject();
}

// An entry: {"fullUrl", "resource": <body>, "request": {method, url}}.
template <typename Body>
void Entry(std::string& out, const std::string& full_url, std::string_view method,
           const std::string& url, Body&& body) {
  out += ",\n    ";
  JsonPrettyWriter w(&out, 2);
  w.StartObject();
  w.Member("fullUrl", full_url);
  w.Key("resource");
  w.StartObject();
  body(w);
  w.EndObject();
  w.Key("request");
  w.StartObject();
  w.Member("method", method);
  w.Member("url", url);
  w.EndObject();
  w.EndObject();
  w.Finish();
}

void FlagBody(JsonPrettyWriter& w, const rules::Finding& finding, std::string_view patient_id,
              const std::string& identifier, const WritebackOptions& options,
              const std::string& tag_system, std::string_view device) {
  w.Member("resourceType", "Flag");
  Meta(w, tag_system);
  w.Key("extension");
  w.StartArray();
  w.StartObject();
  w.Member("url", kFlagPriorityExtension);
  w.Key("valueCodeableConcept");
  w.StartObject();
  w.Key("coding");
  w.StartArray();
  w.StartObject();
  w.Member("system", kFlagPrioritySystem);
  w.Member("code", rules::PriorityCode(finding.priority));
  w.Member("display", PriorityDisplay(finding.priority));
  w.EndObject();
  w.EndArray();
  w.EndObject();
  w.EndObject();
  std::set<std::string> cited;  // one flag-detail per resource, not per component
  for (const rules::SourceRef& source : finding.evidence) {
    std::string reference = UnversionedReference(source);
    if (!cited.insert(reference).second) continue;
    w.StartObject();
    w.Member("url", kFlagDetailExtension);
    Reference(w, "valueReference", reference);
    w.EndObject();
  }
  w.EndArray();
  Identifier(w, options.FlagIdentifierSystem(), identifier);
  const bool active = finding.status == rules::FindingStatus::kActive;
  w.Member("status", active ? "active" : "inactive");
  Category(w, kFlagCategorySystem, "clinical", "Clinical");
  w.Key("code");
  w.StartObject();
  w.Key("coding");
  w.StartArray();
  w.StartObject();
  w.Member("system", options.RuleSystem());
  w.Member("code", finding.rule);
  w.Member("display", rules::RuleDisplay(finding.rule));
  w.EndObject();
  w.EndArray();
  if (!finding.text.empty()) w.Member("text", finding.text);
  w.EndObject();
  Reference(w, "subject", PatientReference(patient_id));
  Period(w, "period", finding.episode_start, active ? std::nullopt : finding.episode_end);
  Reference(w, "author", device);
}

void UniqueReferences(JsonPrettyWriter& w, std::string_view key,
                      const std::vector<rules::SourceRef>& sources) {
  w.Key(key);
  w.StartArray();
  std::set<std::string> seen;
  for (const rules::SourceRef& source : sources) {
    std::string reference = UnversionedReference(source);
    if (!seen.insert(reference).second) continue;
    w.StartObject();
    w.Member("reference", reference);
    w.EndObject();
  }
  w.EndArray();
}

void Activity(JsonPrettyWriter& w, const rules::PlanActivity& activity,
              const WritebackOptions& options) {
  const std::optional<ActivityDefinition> def = ActivityClinicalCoding(activity.key);
  w.StartObject();
  if (!activity.outcome.empty()) UniqueReferences(w, "outcomeReference", activity.outcome);
  w.Key("detail");
  w.StartObject();
  if (def) w.Member("kind", def->kind);
  w.Key("code");
  w.StartObject();
  w.Key("coding");
  w.StartArray();
  if (def && !def->system.empty()) {
    w.StartObject();
    w.Member("system", def->system);
    w.Member("code", def->code);
    w.Member("display", def->display);
    w.EndObject();
  }
  w.StartObject();
  w.Member("system", options.ActivitySystem());
  w.Member("code", activity.key);
  w.EndObject();
  w.EndArray();
  if (def) w.Member("text", def->text);
  w.EndObject();
  w.Member("status", rules::ActivityStatusCode(activity.status));
  if (activity.scheduled_start || activity.scheduled_end) {
    Period(w, "scheduledPeriod", activity.scheduled_start, activity.scheduled_end);
  } else if (!activity.scheduled_text.empty()) {
    w.Member("scheduledString", activity.scheduled_text);
  }
  if (!activity.description.empty()) w.Member("description", activity.description);
  w.EndObject();
  w.EndObject();
}

void CarePlanBody(JsonPrettyWriter& w, const rules::Evaluation& evaluation,
                  const std::string& identifier, const WritebackOptions& options,
                  const std::string& tag_system) {
  const rules::CourseSummary& course = *evaluation.course;
  w.Member("resourceType", "CarePlan");
  Meta(w, tag_system);
  Identifier(w, options.CarePlanIdentifierSystem(), identifier);
  w.Member("status", CarePlanStatus(evaluation.disposition));
  w.Member("intent", "plan");
  Category(w, kCarePlanCategorySystem, "assess-plan", "Assessment and Plan of Treatment");
  w.Member("title", kCarePlanTitle);
  Reference(w, "subject", PatientReference(evaluation.patient_id));
  Period(w, "period", course.start, course.end);
  if (!course.medications.empty()) UniqueReferences(w, "supportingInfo", course.medications);
  if (!evaluation.plan.empty()) {
    w.Key("activity");
    w.StartArray();
    for (const rules::PlanActivity& activity : evaluation.plan) Activity(w, activity, options);
    w.EndArray();
  }
}

void ProvenanceBody(JsonPrettyWriter& w, const std::vector<std::string>& targets,
                    std::string_view recorded, std::string_view device,
                    const std::set<std::string>& sources, const std::string& tag_system) {
  w.Member("resourceType", "Provenance");
  Meta(w, tag_system);
  w.Key("target");
  w.StartArray();
  for (const std::string& target : targets) {
    w.StartObject();
    w.Member("reference", target);
    w.EndObject();
  }
  w.EndArray();
  w.Member("recorded", recorded);
  w.Key("agent");
  w.StartArray();
  w.StartObject();
  Reference(w, "who", device);
  w.EndObject();
  w.EndArray();
  if (!sources.empty()) {
    w.Key("entity");
    w.StartArray();
    for (const std::string& source : sources) {
      w.StartObject();
      w.Member("role", "source");
      Reference(w, "what", source);
      w.EndObject();
    }
    w.EndArray();
  }
}

}  // namespace

StatusOr<RenderedEntries> RenderOfflineEntries(const rules::Evaluation& evaluation,
                                               std::string_view recorded,
                                               const WritebackOptions& options) {
  RenderedEntries rendered;
  if (!evaluation.course || (evaluation.disposition != rules::Disposition::kActive &&
                             evaluation.disposition != rules::Disposition::kCompleted)) {
    return rendered;  // out of scope, or retracted with nothing written before
  }
  const std::string device = DeviceFullUrl(options);
  const std::string tag_system = options.TagSystem();
  std::vector<std::string> targets;
  std::set<std::string> sources;  // the Provenance's entities: sorted, unique
  auto add_sources = [&](const std::vector<rules::SourceRef>& refs) {
    for (const rules::SourceRef& ref : refs) sources.insert(VersionedReference(ref));
  };
  // As fhir::BuildRequestBundle checks: fullUrls are unique within the entries.
  auto add_target = [&](std::string full_url) -> Status {
    for (const std::string& target : targets) {
      if (target == full_url) {
        return InvalidArgumentError("Bundle.entry[" + std::to_string(targets.size()) +
                                    "].fullUrl: duplicate \"" + full_url + "\"");
      }
    }
    targets.push_back(std::move(full_url));
    return Status::Ok();
  };
  const std::string flag_system = options.FlagIdentifierSystem();
  for (const rules::Finding& finding : evaluation.findings) {
    if (finding.status != rules::FindingStatus::kActive) continue;
    const std::string identifier =
        FlagIdentifierValue(evaluation.patient_id, finding.rule, finding.episode_start);
    RETURN_IF_ERROR(
        add_target(DeterministicUrnUuid(options, "Flag|" + flag_system + "|" + identifier)));
    Entry(rendered.text, targets.back(), "PUT", "Flag?" + IdentifierQuery(flag_system, identifier),
          [&](JsonPrettyWriter& w) {
            FlagBody(w, finding, evaluation.patient_id, identifier, options, tag_system, device);
          });
    ++rendered.count;
    add_sources(finding.evidence);
  }
  const std::string careplan_system = options.CarePlanIdentifierSystem();
  const std::string careplan_identifier =
      CarePlanIdentifierValue(evaluation.patient_id, evaluation.course->start);
  RETURN_IF_ERROR(add_target(
      DeterministicUrnUuid(options, "CarePlan|" + careplan_system + "|" + careplan_identifier)));
  Entry(rendered.text, targets.back(), "PUT",
        "CarePlan?" + IdentifierQuery(careplan_system, careplan_identifier),
        [&](JsonPrettyWriter& w) {
          CarePlanBody(w, evaluation, careplan_identifier, options, tag_system);
        });
  ++rendered.count;
  add_sources(evaluation.course->medications);
  for (const rules::PlanActivity& activity : evaluation.plan) add_sources(activity.outcome);
  const std::string provenance_url = DeterministicUrnUuid(
      options, "Provenance|" + evaluation.patient_id + "|" + std::string(recorded));
  for (const std::string& target : targets) {
    if (target == provenance_url) {
      return InvalidArgumentError("Bundle.entry[" + std::to_string(targets.size()) +
                                  "].fullUrl: duplicate \"" + provenance_url + "\"");
    }
  }
  Entry(rendered.text, provenance_url, "POST", "Provenance", [&](JsonPrettyWriter& w) {
    ProvenanceBody(w, targets, recorded, device, sources, tag_system);
  });
  ++rendered.count;
  return rendered;
}

}  // namespace bonewatch::adapter
