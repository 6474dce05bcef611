#include "writeback_render.h"

#include <algorithm>
#include <array>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "writeback_careplan.h"
#include "writeback_flag.h"

namespace bonewatch::adapter {
namespace {

using fhir::JsonPrettyFragment;
using fhir::JsonPrettyWriter;
using MemberName = fhir::JsonPrettyWriter::MemberName;

// Fragments keyed by a short text (a rule or activity code): a handful each.
class FragmentsByCode {
 public:
  JsonPrettyFragment& For(std::string_view code) {
    for (auto& [known, fragment] : fragments_) {
      if (known == code) return fragment;
    }
    return fragments_.emplace_back(std::string(code), JsonPrettyFragment()).second;
  }

 private:
  std::vector<std::pair<std::string, JsonPrettyFragment>> fragments_;
};

// The blocks that are the same in every patient's entries (for one base),
// pretty-printed once per thread and copied (fhir::JsonPrettyFragment).
struct Fragments {
  JsonPrettyFragment flag_head;  // resourceType and meta
  JsonPrettyFragment careplan_head;
  JsonPrettyFragment provenance_head;
  std::array<JsonPrettyFragment, 3> flag_priority;  // the priority extension, by rules::Priority
  JsonPrettyFragment flag_category;
  FragmentsByCode flag_coding;  // by rule code
  JsonPrettyFragment author;
  JsonPrettyFragment careplan_intent_to_title;
  FragmentsByCode activity_kind_and_code;  // by activity key
  JsonPrettyFragment provenance_agent;
  // With a slot for the one string that differs (JsonPrettyWriter::StringSlot):
  std::array<JsonPrettyFragment, 16> reference_element;  // {"reference": _}, by level
  JsonPrettyFragment subject;                            // "subject": {"reference": _}
  JsonPrettyFragment period_start;                       // "period": {"start": _}
  JsonPrettyFragment flag_detail;                        // the flag-detail extension
  JsonPrettyFragment flag_identifier;                    // "identifier": [{system, "value": _}]
  JsonPrettyFragment careplan_identifier;
  JsonPrettyFragment entity;  // {"role": "source", "what": {"reference": _}}
  FragmentsByCode request;    // "request": {method, "url": _}, by method
};

// Appends `fragment`, made by `write` first if it was not made for the
// writer's level (as the first time).
template <typename Write>
void AppendCached(JsonPrettyWriter& w, JsonPrettyFragment& fragment, Write&& write) {
  if (fragment.empty() || fragment.level() != w.level()) {
    fragment = JsonPrettyFragment(w.level(), std::forward<Write>(write));
  }
  w.Append(fragment);
}

// The same for a fragment with a slot: `value` is written in it.
template <typename Write>
void AppendCached(JsonPrettyWriter& w, JsonPrettyFragment& fragment, std::string_view value,
                  Write&& write) {
  if (fragment.empty() || fragment.level() != w.level()) {
    fragment = JsonPrettyFragment(w.level(), std::forward<Write>(write));
  }
  w.Append(fragment, value);
}

// "key": {"reference": _}, the reference a slot.
void ReferenceSlot(JsonPrettyWriter& f, MemberName key) {
  f.Key(key);
  f.StartObject();
  f.Key("reference");
  f.StringSlot();
  f.EndObject();
}

// {"reference": _} as an element; elements at levels past the cache are
// written call by call.
void ReferenceElement(JsonPrettyWriter& w, Fragments& fragments, std::string_view reference) {
  if (w.level() < fragments.reference_element.size()) {
    AppendCached(w, fragments.reference_element[w.level()], reference, [](JsonPrettyWriter& f) {
      f.StartObject();
      f.Key("reference");
      f.StringSlot();
      f.EndObject();
    });
    return;
  }
  w.StartObject();
  w.Member("reference", reference);
  w.EndObject();
}

// Reference texts put together in one buffer, so that a patient's references
// cost no allocation each once the buffers have grown.
class ReferenceTexts {
 public:
  void Clear() {
    buffer_.clear();
    spans_.clear();
  }
  bool empty() const { return spans_.empty(); }

  // UnversionedReference(source): "Type/id".
  void AddUnversioned(const rules::SourceRef& source) {
    const std::size_t begin = buffer_.size();
    AppendTypeAndId(source);
    spans_.emplace_back(begin, buffer_.size() - begin);
  }
  // VersionedReference(source): "Type/id/_history/v", or "Type/id" when the
  // version is unknown.
  void AddVersioned(const rules::SourceRef& source) {
    const std::size_t begin = buffer_.size();
    AppendTypeAndId(source);
    if (!source.version.empty()) {
      buffer_ += "/_history/";
      buffer_ += source.version;
    }
    spans_.emplace_back(begin, buffer_.size() - begin);
  }

  // The texts in the order added, each once (where it came first), as a
  // std::set of the texts seen so far would keep them.
  const std::vector<std::string_view>& UniqueInOrder() {
    MakeViews();
    if (views_.size() <= 1) return views_;
    SortOrder();
    keep_.assign(views_.size(), true);
    for (std::size_t k = 1; k < order_.size(); ++k) {
      if (views_[order_[k]] == views_[order_[k - 1]]) keep_[order_[k]] = false;
    }
    result_.clear();
    for (std::size_t i = 0; i < views_.size(); ++i) {
      if (keep_[i]) result_.push_back(views_[i]);
    }
    return result_;
  }

  // The texts sorted, each once, as a std::set of them holds them.
  const std::vector<std::string_view>& SortedUnique() {
    MakeViews();
    result_ = views_;
    std::sort(result_.begin(), result_.end());
    result_.erase(std::unique(result_.begin(), result_.end()), result_.end());
    return result_;
  }

 private:
  void AppendTypeAndId(const rules::SourceRef& source) {
    buffer_ += source.resource_type;
    buffer_ += '/';
    buffer_ += source.id;
  }
  // Views into buffer_, which no longer moves once every text is added.
  void MakeViews() {
    views_.clear();
    for (const auto& [begin, size] : spans_) views_.emplace_back(buffer_.data() + begin, size);
  }
  // order_: the indices of views_ by text, then by index.
  void SortOrder() {
    order_.resize(views_.size());
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    std::sort(order_.begin(), order_.end(), [this](std::size_t a, std::size_t b) {
      const int c = views_[a].compare(views_[b]);
      return c != 0 ? c < 0 : a < b;
    });
  }

  std::string buffer_;
  std::vector<std::pair<std::size_t, std::size_t>> spans_;  // offset and size in buffer_
  std::vector<std::string_view> views_;
  std::vector<std::size_t> order_;
  std::vector<bool> keep_;
  std::vector<std::string_view> result_;
};

// Per thread: the texts every entry of a run shares, derived from the options
// once (and again when another base comes, as in tests), and scratch buffers
// that keep their capacity from patient to patient.
struct RenderState {
  std::string base;  // what the texts below were made for
  bool ready = false;
  std::string device;  // the Device's fullUrl
  std::string tag_system;
  std::string flag_system;
  std::string careplan_system;
  std::string rule_system;
  std::string activity_system;
  // The fullUrls of the conditional updates: UUIDs of "{type}|{system}|{value}".
  std::optional<UrnUuidMaker> flag_full_urls;
  std::optional<UrnUuidMaker> careplan_full_urls;
  Fragments fragments;

  std::string patient_reference;
  std::string identifier;            // the identifier value of the entry being written
  std::string url;                   // a request url
  std::vector<std::string> targets;  // the fullUrls the Provenance targets
  ReferenceTexts references;         // the references of one list in an entry
  ReferenceTexts sources;            // the Provenance's entities
  std::size_t typical_size = 0;      // room to reserve for a patient's text
};

RenderState& StateFor(const WritebackOptions& options) {
  thread_local RenderState state;
  if (!state.ready || state.base != options.base) {
    state.base = options.base;
    state.device = DeviceFullUrl(options);
    state.tag_system = options.TagSystem();
    state.flag_system = options.FlagIdentifierSystem();
    state.careplan_system = options.CarePlanIdentifierSystem();
    state.rule_system = options.RuleSystem();
    state.activity_system = options.ActivitySystem();
    state.flag_full_urls.emplace(
        options, std::initializer_list<std::string_view>{"Flag|", state.flag_system, "|"});
    state.careplan_full_urls.emplace(
        options, std::initializer_list<std::string_view>{"CarePlan|", state.careplan_system, "|"});
    state.fragments = Fragments();
    state.ready = true;
  }
  return state;
}

// PatientReference(patient_id), into `out`.
void SetPatientReference(std::string_view patient_id, std::string& out) {
  out.clear();
  if (!patient_id.starts_with("urn:")) out += "Patient/";
  out += patient_id;
}

// "{type}?" + IdentifierQuery(system, value): a conditional update's url.
void SetConditionalUrl(std::string_view type, std::string_view system, std::string_view value,
                       std::string& out) {
  out.assign(type);
  out += "?identifier=";
  out += system;
  out += '|';
  out += value;
}

void Reference(JsonPrettyWriter& w, MemberName key, std::string_view reference) {
  w.Key(key);
  w.StartObject();
  w.Member("reference", reference);
  w.EndObject();
}

void Meta(JsonPrettyWriter& w, std::string_view tag_system) {
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

// "YYYY-MM-DD", or empty.
std::string DateText(const std::optional<rules::Date>& date) {
  return date ? date->ToString() : std::string();
}

// {"start", "end"} with the dates given (not empty).
void Period(JsonPrettyWriter& w, MemberName key, std::string_view start, std::string_view end) {
  w.Key(key);
  w.StartObject();
  if (!start.empty()) w.Member("start", start);
  if (!end.empty()) w.Member("end", end);
  w.EndObject();
}

// Identifier(w, system, _), the value a slot.
void IdentifierSlot(JsonPrettyWriter& f, std::string_view system) {
  f.Key("identifier");
  f.StartArray();
  f.StartObject();
  f.Member("system", system);
  f.Key("value");
  f.StringSlot();
  f.EndObject();
  f.EndArray();
}

// Period(w, "period", start, end); copied when there is only a start.
void PeriodOf(JsonPrettyWriter& w, Fragments& fragments, std::string_view start,
              std::string_view end) {
  if (start.empty() || !end.empty()) {
    Period(w, "period", start, end);
    return;
  }
  AppendCached(w, fragments.period_start, start, [](JsonPrettyWriter& f) {
    f.Key("period");
    f.StartObject();
    f.Key("start");
    f.StringSlot();
    f.EndObject();
  });
}

// An entry: {"fullUrl", "resource": <body>, "request": {method, url}}.
template <typename Body>
void Entry(Fragments& fragments, std::string& out, std::string_view full_url,
           std::string_view method, std::string_view url, Body&& body) {
  out += ",\n    ";
  JsonPrettyWriter w(&out, 2);
  w.StartObject();
  w.Member("fullUrl", full_url);
  w.Key("resource");
  w.StartObject();
  body(w);
  w.EndObject();
  AppendCached(w, fragments.request.For(method), url, [&](JsonPrettyWriter& f) {
    f.Key("request");
    f.StartObject();
    f.Member("method", method);
    f.Key("url");
    f.StringSlot();
    f.EndObject();
  });
  w.EndObject();
  w.Finish();
}

void FlagBody(JsonPrettyWriter& w, const rules::Finding& finding, std::string_view start,
              std::string_view identifier, RenderState& state) {
  Fragments& fragments = state.fragments;
  AppendCached(w, fragments.flag_head, [&](JsonPrettyWriter& f) {
    f.Member("resourceType", "Flag");
    Meta(f, state.tag_system);
  });
  w.Key("extension");
  w.StartArray();
  AppendCached(w, fragments.flag_priority[static_cast<std::size_t>(finding.priority)],
               [&](JsonPrettyWriter& f) {
                 f.StartObject();
                 f.Member("url", kFlagPriorityExtension);
                 f.Key("valueCodeableConcept");
                 f.StartObject();
                 f.Key("coding");
                 f.StartArray();
                 f.StartObject();
                 f.Member("system", kFlagPrioritySystem);
                 f.Member("code", rules::PriorityCode(finding.priority));
                 f.Member("display", PriorityDisplay(finding.priority));
                 f.EndObject();
                 f.EndArray();
                 f.EndObject();
                 f.EndObject();
               });
  // One flag-detail per resource, not per component.
  state.references.Clear();
  for (const rules::SourceRef& source : finding.evidence) state.references.AddUnversioned(source);
  for (std::string_view reference : state.references.UniqueInOrder()) {
    AppendCached(w, fragments.flag_detail, reference, [](JsonPrettyWriter& f) {
      f.StartObject();
      f.Member("url", kFlagDetailExtension);
      ReferenceSlot(f, "valueReference");
      f.EndObject();
    });
  }
  w.EndArray();
  AppendCached(w, fragments.flag_identifier, identifier,
               [&](JsonPrettyWriter& f) { IdentifierSlot(f, state.flag_system); });
  const bool active = finding.status == rules::FindingStatus::kActive;
  w.Member("status", active ? "active" : "inactive");
  AppendCached(w, fragments.flag_category, [](JsonPrettyWriter& f) {
    Category(f, kFlagCategorySystem, "clinical", "Clinical");
  });
  w.Key("code");
  w.StartObject();
  AppendCached(w, fragments.flag_coding.For(finding.rule), [&](JsonPrettyWriter& f) {
    f.Key("coding");
    f.StartArray();
    f.StartObject();
    f.Member("system", state.rule_system);
    f.Member("code", finding.rule);
    f.Member("display", rules::RuleDisplay(finding.rule));
    f.EndObject();
    f.EndArray();
  });
  if (!finding.text.empty()) w.Member("text", finding.text);
  w.EndObject();
  AppendCached(w, fragments.subject, state.patient_reference,
               [](JsonPrettyWriter& f) { ReferenceSlot(f, "subject"); });
  PeriodOf(w, fragments, start, active ? std::string() : DateText(finding.episode_end));
  AppendCached(w, fragments.author,
               [&](JsonPrettyWriter& f) { Reference(f, "author", state.device); });
}

// References to `sources`, each resource once.
void UniqueReferences(JsonPrettyWriter& w, MemberName key,
                      const std::vector<rules::SourceRef>& sources, ReferenceTexts& references,
                      Fragments& fragments) {
  w.Key(key);
  w.StartArray();
  references.Clear();
  for (const rules::SourceRef& source : sources) references.AddUnversioned(source);
  for (std::string_view reference : references.UniqueInOrder()) {
    ReferenceElement(w, fragments, reference);
  }
  w.EndArray();
}

// detail.kind and detail.code of an activity: a function of its key.
void ActivityKindAndCode(JsonPrettyWriter& w, std::string_view key, const RenderState& state) {
  const std::optional<ActivityDefinition> def = ActivityClinicalCoding(key);
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
  w.Member("system", state.activity_system);
  w.Member("code", key);
  w.EndObject();
  w.EndArray();
  if (def) w.Member("text", def->text);
  w.EndObject();
}

void Activity(JsonPrettyWriter& w, const rules::PlanActivity& activity, RenderState& state) {
  w.StartObject();
  if (!activity.outcome.empty()) {
    UniqueReferences(w, "outcomeReference", activity.outcome, state.references, state.fragments);
  }
  w.Key("detail");
  w.StartObject();
  AppendCached(w, state.fragments.activity_kind_and_code.For(activity.key),
               [&](JsonPrettyWriter& f) { ActivityKindAndCode(f, activity.key, state); });
  w.Member("status", rules::ActivityStatusCode(activity.status));
  if (activity.scheduled_start || activity.scheduled_end) {
    Period(w, "scheduledPeriod", DateText(activity.scheduled_start),
           DateText(activity.scheduled_end));
  } else if (!activity.scheduled_text.empty()) {
    w.Member("scheduledString", activity.scheduled_text);
  }
  if (!activity.description.empty()) w.Member("description", activity.description);
  w.EndObject();
  w.EndObject();
}

void CarePlanBody(JsonPrettyWriter& w, const rules::Evaluation& evaluation, std::string_view start,
                  std::string_view identifier, RenderState& state) {
  const rules::CourseSummary& course = *evaluation.course;
  AppendCached(w, state.fragments.careplan_head, [&](JsonPrettyWriter& f) {
    f.Member("resourceType", "CarePlan");
    Meta(f, state.tag_system);
  });
  AppendCached(w, state.fragments.careplan_identifier, identifier,
               [&](JsonPrettyWriter& f) { IdentifierSlot(f, state.careplan_system); });
  w.Member("status", CarePlanStatus(evaluation.disposition));
  AppendCached(w, state.fragments.careplan_intent_to_title, [](JsonPrettyWriter& f) {
    f.Member("intent", "plan");
    Category(f, kCarePlanCategorySystem, "assess-plan", "Assessment and Plan of Treatment");
    f.Member("title", kCarePlanTitle);
  });
  AppendCached(w, state.fragments.subject, state.patient_reference,
               [](JsonPrettyWriter& f) { ReferenceSlot(f, "subject"); });
  PeriodOf(w, state.fragments, start, DateText(course.end));
  if (!course.medications.empty()) {
    UniqueReferences(w, "supportingInfo", course.medications, state.references, state.fragments);
  }
  if (!evaluation.plan.empty()) {
    w.Key("activity");
    w.StartArray();
    for (const rules::PlanActivity& activity : evaluation.plan) Activity(w, activity, state);
    w.EndArray();
  }
}

void ProvenanceBody(JsonPrettyWriter& w, std::string_view recorded, RenderState& state) {
  AppendCached(w, state.fragments.provenance_head, [&](JsonPrettyWriter& f) {
    f.Member("resourceType", "Provenance");
    Meta(f, state.tag_system);
  });
  w.Key("target");
  w.StartArray();
  for (const std::string& target : state.targets) ReferenceElement(w, state.fragments, target);
  w.EndArray();
  w.Member("recorded", recorded);
  AppendCached(w, state.fragments.provenance_agent, [&](JsonPrettyWriter& f) {
    f.Key("agent");
    f.StartArray();
    f.StartObject();
    Reference(f, "who", state.device);
    f.EndObject();
    f.EndArray();
  });
  if (!state.sources.empty()) {
    w.Key("entity");
    w.StartArray();
    for (std::string_view source : state.sources.SortedUnique()) {
      AppendCached(w, state.fragments.entity, source, [](JsonPrettyWriter& f) {
        f.StartObject();
        f.Member("role", "source");
        ReferenceSlot(f, "what");
        f.EndObject();
      });
    }
    w.EndArray();
  }
}

// As fhir::BuildRequestBundle checks: fullUrls are unique within the entries.
Status CheckNewFullUrl(const std::vector<std::string>& targets, std::string_view full_url) {
  for (const std::string& target : targets) {
    if (target == full_url) {
      return InvalidArgumentError("Bundle.entry[" + std::to_string(targets.size()) +
                                  "].fullUrl: duplicate \"" + std::string(full_url) + "\"");
    }
  }
  return Status::Ok();
}

// The entry of a conditional update (PUT {type}?identifier={system}|{identifier}):
// its fullUrl, checked to be new and kept as a Provenance target, then its body.
template <typename Body>
Status ConditionalEntry(const UrnUuidMaker& full_urls, std::string_view type,
                        std::string_view system, std::string_view identifier, RenderState& state,
                        RenderedEntries& rendered, const Body& body) {
  std::string full_url = full_urls.Make(identifier);
  RETURN_IF_ERROR(CheckNewFullUrl(state.targets, full_url));
  state.targets.push_back(std::move(full_url));
  SetConditionalUrl(type, system, identifier, state.url);
  Entry(state.fragments, rendered.text, state.targets.back(), "PUT", state.url, body);
  ++rendered.count;
  return Status::Ok();
}

Status RenderInto(const rules::Evaluation& evaluation, std::string_view recorded,
                  const WritebackOptions& options, RenderedEntries& rendered) {
  RenderState& state = StateFor(options);
  // Patients of a cohort tend to write alike: room for about the most that
  // recent ones wrote saves growing the text step by step.
  constexpr std::size_t kMaxReserve = 1 << 16;
  rendered.text.reserve(std::min(state.typical_size, kMaxReserve));
  SetPatientReference(evaluation.patient_id, state.patient_reference);
  state.targets.clear();
  state.sources.Clear();  // sorted and made unique when written
  for (const rules::Finding& finding : evaluation.findings) {
    if (finding.status != rules::FindingStatus::kActive) continue;
    // FlagIdentifierValue(), with the date written once for the period too.
    const std::string start = finding.episode_start.ToString();
    std::string& identifier = state.identifier;
    identifier.assign(evaluation.patient_id);
    identifier += '.';
    identifier += finding.rule;
    identifier += '.';
    identifier += start;
    RETURN_IF_ERROR(ConditionalEntry(
        *state.flag_full_urls, "Flag", state.flag_system, identifier, state, rendered,
        [&](JsonPrettyWriter& w) { FlagBody(w, finding, start, identifier, state); }));
    for (const rules::SourceRef& ref : finding.evidence) state.sources.AddVersioned(ref);
  }
  // CarePlanIdentifierValue(), with the date written once for the period too.
  const std::string start = evaluation.course->start.ToString();
  std::string& careplan_identifier = state.identifier;
  careplan_identifier.assign(evaluation.patient_id);
  careplan_identifier += '.';
  careplan_identifier += start;
  RETURN_IF_ERROR(ConditionalEntry(*state.careplan_full_urls, "CarePlan", state.careplan_system,
                                   careplan_identifier, state, rendered, [&](JsonPrettyWriter& w) {
                                     CarePlanBody(w, evaluation, start, careplan_identifier, state);
                                   }));
  for (const rules::SourceRef& ref : evaluation.course->medications) {
    state.sources.AddVersioned(ref);
  }
  for (const rules::PlanActivity& activity : evaluation.plan) {
    for (const rules::SourceRef& ref : activity.outcome) state.sources.AddVersioned(ref);
  }
  const std::string provenance_url =
      DeterministicUrnUuid(options, {"Provenance|", evaluation.patient_id, "|", recorded});
  RETURN_IF_ERROR(CheckNewFullUrl(state.targets, provenance_url));
  Entry(state.fragments, rendered.text, provenance_url, "POST", "Provenance",
        [&](JsonPrettyWriter& w) { ProvenanceBody(w, recorded, state); });
  ++rendered.count;
  // Follows the largest sizes, forgetting an outlier slowly.
  state.typical_size = std::max(rendered.text.size() + rendered.text.size() / 8,
                                state.typical_size - state.typical_size / 32);
  return Status::Ok();
}

}  // namespace

StatusOr<RenderedEntries> RenderOfflineEntries(const rules::Evaluation& evaluation,
                                               std::string_view recorded,
                                               const WritebackOptions& options) {
  RenderedEntries rendered;
  RETURN_IF_ERROR(RenderOfflineEntries(evaluation, recorded, options, rendered));
  return rendered;
}

Status RenderOfflineEntries(const rules::Evaluation& evaluation, std::string_view recorded,
                            const WritebackOptions& options, RenderedEntries& rendered) {
  rendered.text.clear();
  rendered.count = 0;
  if (!evaluation.course || (evaluation.disposition != rules::Disposition::kActive &&
                             evaluation.disposition != rules::Disposition::kCompleted)) {
    return Status::Ok();  // out of scope, or retracted with nothing written before
  }
  const Status status = RenderInto(evaluation, recorded, options, rendered);
  if (!status.ok()) {
    rendered.text.clear();
    rendered.count = 0;
  }
  return status;
}

}  // namespace bonewatch::adapter
