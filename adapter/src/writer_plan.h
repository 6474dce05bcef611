// Writer plan: which of a patient's desired resources must be written, and how.
//
// From an Evaluation and what the Store says was last written for the patient
// (WrittenResource), PlanWrites builds the write-back entries
// (BuildPatientEntries) and keeps only those that changed:
//  - a resource whose content hash equals the last written hash is skipped;
//  - a Flag marked human_edited (spec §4 "Human edits win") is skipped;
//  - a resource written before is updated by server id with
//    If-Match W/"{our last version}"; one the Store does not know is written
//    by conditional update on its identifier (crash-safe: a write whose record
//    was lost converges on the same server resource).
//  - a Flag we wrote whose episode no longer appears in the evaluation (its
//    data was corrected or withdrawn, or its start moved) becomes
//    entered-in-error, so that no stale active Flag is left behind.
// The Device reference (author, agent) is replaced by the known "Device/{id}"
// so that the content hash equals the hash of what the server holds.
//
// The content hash covers the resource without meta and id: equal for what
// we sent and for what the server returns when nobody changed it.
//
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/fhir/bundle.h"
#include "bonewatch/fhir/json.h"
#include "bonewatch/rules/evaluation.h"
#include "store.h"
#include "writeback_identity.h"
#include "writeback_transaction.h"

namespace bonewatch::adapter {

// SHA-256 (hex) of the canonicalized resource without meta and id.
std::string ContentHash(const fhir::Json& resource);

// The identifier values of previously written Flags and CarePlans.
PriorWrites PriorWritesFrom(const std::vector<WrittenResource>& written,
                            const WritebackOptions& options);

// Replaces every {"reference": from} in `value` by {"reference": to}.
void ReplaceReference(fhir::Json& value, std::string_view from, std::string_view to);

struct PlannedWrite {
  fhir::RequestEntry entry;  // PUT Type/{id} with If-Match, or PUT Type?identifier=...
  std::string identifier;    // "{system}|{value}"
  std::string patient_id;
  std::string resource_type;
  std::string content_hash;
  std::string status;                    // the status being written
  std::optional<WrittenResource> prior;  // what the Store knows (absent: conditional update)
};

struct WritePlan {
  std::vector<PlannedWrite> writes;              // changed resources, in entry order
  std::optional<fhir::RequestEntry> provenance;  // for all desired targets; filter per chunk
  std::map<std::string, size_t> unchanged;       // by resource type
  std::map<std::string, size_t> human_edited;    // by resource type
};

// REQUIRES: `device_reference` is "Device/{id}" of the BoneWatch Device.
WritePlan PlanWrites(const rules::Evaluation& evaluation,
                     const std::vector<WrittenResource>& written, std::string_view recorded,
                     std::string_view device_reference, const WritebackOptions& options);

// `provenance` with its targets restricted to `full_urls` (in any order).
fhir::RequestEntry ProvenanceFor(const fhir::RequestEntry& provenance,
                                 const std::vector<std::string>& full_urls);

// A conditional update of `write` by identifier (drops id and If-Match).
fhir::RequestEntry ByIdentifier(const PlannedWrite& write);

// Server id and version from a write answer: the Location
// ("[base/]Type/id/_history/vid"), else the ETag and the resource.
struct WrittenVersion {
  std::string id;
  std::string version_id;
};
WrittenVersion VersionFromResponse(std::string_view location, std::string_view etag,
                                   const fhir::Json* resource);

}  // namespace bonewatch::adapter
