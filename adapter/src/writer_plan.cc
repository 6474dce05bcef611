#include "writer_plan.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include <algorithm>
#include <set>
#include <utility>

#include "writeback_flag.h"

namespace bonewatch::adapter {
namespace {

using fhir::Json;

// "{system}|{value}" of the resource's first identifier, "" when none.
std::string IdentifierKey(const Json& resource) {
  const Json* identifiers = resource.Find("identifier");
  if (identifiers == nullptr || !identifiers->is_array() || identifiers->empty()) return "";
  const Json& first = (*identifiers)[0];
  return first.GetString("system").value_or("") + "|" + first.GetString("value").value_or("");
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Flags we wrote whose episode no longer exists in the evaluation (its data
// was corrected or withdrawn, or an earlier session moved the episode start):
// they become entered-in-error, so that no stale active Flag stays behind.
void AddVanishedFlags(const rules::Evaluation& evaluation,
                      const std::vector<WrittenResource>& written, const WritebackOptions& options,
                      std::vector<fhir::RequestEntry>& entries) {
  if (evaluation.disposition != rules::Disposition::kActive &&
      evaluation.disposition != rules::Disposition::kCompleted) {
    return;
  }
  if (entries.empty() || !entries.back().resource ||
      entries.back().resource->GetString("resourceType") != "Provenance") {
    return;
  }
  std::set<std::string> desired;
  for (const fhir::RequestEntry& entry : entries) {
    if (entry.resource) desired.insert(IdentifierKey(*entry.resource));
  }
  const std::string system = options.FlagIdentifierSystem();
  const std::string device = DeviceFullUrl(options);
  fhir::RequestEntry provenance = std::move(entries.back());
  entries.pop_back();
  for (const WrittenResource& resource : written) {
    if (resource.resource_type != "Flag" || resource.human_edited ||
        resource.status == "entered-in-error" || desired.count(resource.identifier) > 0 ||
        !StartsWith(resource.identifier, system + "|")) {
      continue;
    }
    const std::string value = resource.identifier.substr(system.size() + 1);
    const auto parsed = ParseFlagIdentifierValue(value);
    if (!parsed || parsed->patient_id != evaluation.patient_id) continue;
    fhir::RequestEntry entry;
    entry.full_url = DeterministicUrnUuid(options, {"Flag|", system, "|", value});
    entry.resource = BuildRetractedFlag(*parsed, options, device);
    if (Json* code = entry.resource->Find("code"); code != nullptr && code->is_object()) {
      code->Set("text", Json("Entered in error: the data this flag was based on was corrected "
                             "or withdrawn"));
    }
    entry.request.method = "PUT";
    entry.request.url = "Flag?" + IdentifierQuery(system, value);
    if (Json* targets = provenance.resource->Find("target");
        targets != nullptr && targets->is_array()) {
      targets->Push(Json::Object().Set("reference", Json(entry.full_url)));
    }
    entries.push_back(std::move(entry));
  }
  entries.push_back(std::move(provenance));
}

}  // namespace

std::string ContentHash(const Json& resource) {
  Json copy = resource;
  if (copy.is_object()) {
    copy.Remove("meta");
    copy.Remove("id");
  }
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(copy.Canonicalized().Serialize());
  return Poco::DigestEngine::digestToHex(sha.digest());
}

PriorWrites PriorWritesFrom(const std::vector<WrittenResource>& written,
                            const WritebackOptions& options) {
  PriorWrites prior;
  const std::string flag_prefix = options.FlagIdentifierSystem() + "|";
  const std::string careplan_prefix = options.CarePlanIdentifierSystem() + "|";
  for (const WrittenResource& resource : written) {
    if (StartsWith(resource.identifier, flag_prefix)) {
      prior.flag_identifiers.push_back(resource.identifier.substr(flag_prefix.size()));
    } else if (StartsWith(resource.identifier, careplan_prefix)) {
      prior.careplan_identifiers.push_back(resource.identifier.substr(careplan_prefix.size()));
    }
  }
  return prior;
}

void ReplaceReference(Json& value, std::string_view from, std::string_view to) {
  if (value.is_array()) {
    for (Json& element : value.elements()) ReplaceReference(element, from, to);
  } else if (value.is_object()) {
    for (Json::Member& member : value.members()) {
      if (member.key == "reference" && member.value.is_string() &&
          member.value.AsString() == from) {
        member.value = Json(to);
      } else {
        ReplaceReference(member.value, from, to);
      }
    }
  }
}

WritePlan PlanWrites(const rules::Evaluation& evaluation,
                     const std::vector<WrittenResource>& written, std::string_view recorded,
                     std::string_view device_reference, const WritebackOptions& options) {
  std::map<std::string, const WrittenResource*> by_identifier;
  for (const WrittenResource& resource : written) by_identifier[resource.identifier] = &resource;

  WritebackInput input;
  input.evaluation = &evaluation;
  input.prior = PriorWritesFrom(written, options);
  std::vector<fhir::RequestEntry> entries = BuildPatientEntries(input, recorded, options);
  AddVanishedFlags(evaluation, written, options, entries);
  const std::string device_url = DeviceFullUrl(options);

  WritePlan plan;
  for (fhir::RequestEntry& entry : entries) {
    if (!entry.resource) continue;
    ReplaceReference(*entry.resource, device_url, device_reference);
    const std::string type = entry.resource->GetString("resourceType").value_or("");
    if (type == "Provenance") {
      plan.provenance = std::move(entry);
      continue;
    }
    PlannedWrite write;
    write.identifier = IdentifierKey(*entry.resource);
    write.patient_id = evaluation.patient_id;
    write.resource_type = type;
    write.content_hash = ContentHash(*entry.resource);
    write.status = entry.resource->GetString("status").value_or("");
    if (auto it = by_identifier.find(write.identifier); it != by_identifier.end()) {
      const WrittenResource& prior = *it->second;
      if (prior.human_edited) {
        ++plan.human_edited[type];
        continue;
      }
      if (prior.content_hash == write.content_hash) {
        ++plan.unchanged[type];
        continue;
      }
      write.prior = prior;
      if (!prior.server_id.empty() && !prior.version_id.empty()) {
        entry.resource->Set("id", Json(prior.server_id));
        entry.request.url = type + "/" + prior.server_id;
        entry.request.if_match = "W/\"" + prior.version_id + "\"";
      }
    }
    write.entry = std::move(entry);
    plan.writes.push_back(std::move(write));
  }
  if (plan.writes.empty()) plan.provenance.reset();
  return plan;
}

fhir::RequestEntry ProvenanceFor(const fhir::RequestEntry& provenance,
                                 const std::vector<std::string>& full_urls) {
  fhir::RequestEntry filtered = provenance;
  if (!filtered.resource) return filtered;
  if (Json* targets = filtered.resource->Find("target");
      targets != nullptr && targets->is_array()) {
    std::vector<Json>& elements = targets->elements();
    elements.erase(std::remove_if(elements.begin(), elements.end(),
                                  [&](const Json& target) {
                                    const std::string ref =
                                        target.GetString("reference").value_or("");
                                    return std::find(full_urls.begin(), full_urls.end(), ref) ==
                                           full_urls.end();
                                  }),
                   elements.end());
  }
  return filtered;
}

fhir::RequestEntry ByIdentifier(const PlannedWrite& write) {
  fhir::RequestEntry entry = write.entry;
  const size_t bar = write.identifier.find('|');
  entry.request.url =
      write.resource_type + "?" +
      IdentifierQuery(write.identifier.substr(0, bar),
                      bar == std::string::npos ? "" : write.identifier.substr(bar + 1));
  entry.request.if_match.clear();
  if (entry.resource) entry.resource->Remove("id");
  return entry;
}

WrittenVersion VersionFromResponse(std::string_view location, std::string_view etag,
                                   const Json* resource) {
  WrittenVersion version;
  if (const size_t history = location.find("/_history/"); history != std::string_view::npos) {
    version.version_id = std::string(location.substr(history + 10));
    const std::string_view before = location.substr(0, history);
    const size_t slash = before.rfind('/');
    version.id = std::string(slash == std::string_view::npos ? before : before.substr(slash + 1));
  }
  if (version.version_id.empty() && !etag.empty()) {
    std::string_view text = etag;
    if (StartsWith(text, "W/")) text.remove_prefix(2);
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
      text = text.substr(1, text.size() - 2);
    }
    version.version_id = std::string(text);
  }
  if (resource != nullptr && resource->is_object()) {
    if (version.id.empty()) version.id = resource->GetString("id").value_or("");
    if (version.version_id.empty()) {
      if (const Json* vid = resource->At({"meta", "versionId"});
          vid != nullptr && vid->is_string()) {
        version.version_id = vid->AsString();
      }
    }
  }
  return version;
}

}  // namespace bonewatch::adapter
