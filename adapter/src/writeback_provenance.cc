#include "writeback_provenance.h"

#include <set>

namespace bonewatch::adapter {

fhir::Json BuildProvenance(const std::vector<std::string>& targets, std::string_view recorded,
                           std::string_view agent_reference,
                           const std::vector<rules::SourceRef>& evidence,
                           const WritebackOptions& options) {
  using fhir::Json;
  Json target = Json::Array();
  for (const std::string& t : targets) target.Push(ReferenceJson(t));
  Json provenance =
      Json::Object()
          .Set("resourceType", "Provenance")
          .Set("meta", WritebackMeta(options))
          .Set("target", std::move(target))
          .Set("recorded", recorded)
          .Set("agent",
               Json::Array().Push(Json::Object().Set("who", ReferenceJson(agent_reference))));
  std::set<std::string> sources;  // sorted and unique
  for (const rules::SourceRef& source : evidence) sources.insert(VersionedReference(source));
  if (!sources.empty()) {
    Json entities = Json::Array();
    for (const std::string& s : sources) {
      entities.Push(Json::Object().Set("role", "source").Set("what", ReferenceJson(s)));
    }
    provenance.Set("entity", std::move(entities));
  }
  return provenance;
}

}  // namespace bonewatch::adapter
