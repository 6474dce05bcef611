// Provenance builder: one Provenance per write (spec §4).
//
//  - target: the version-specific references of the written resources. In a
//    transaction these are the urn:uuid fullUrls of the written entries; the
//    server rewrites them to the ids (and versions) it assigns.
//  - recorded: the evaluation instant (an xs:dateTime with zone, e.g.
//    "2026-03-02T00:00:00Z"; the offline CLI uses midnight UTC of --as-of).
//  - agent.who: the BoneWatch Device.
//  - entity (role source): the version-specific references of the evidence
//    ("Observation/12/_history/3"; "Observation/12" when the source carried
//    no meta.versionId), each resource once, sorted.
//
// Thread-safety: pure functions. REQUIRES: `targets` is not empty.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "bonewatch/rules/model.h"
#include "writeback_identity.h"

namespace bonewatch::adapter {

fhir::Json BuildProvenance(const std::vector<std::string>& targets, std::string_view recorded,
                           std::string_view agent_reference,
                           const std::vector<rules::SourceRef>& evidence,
                           const WritebackOptions& options);

}  // namespace bonewatch::adapter
