// Store codec: the compact JSON blob in which a Store keeps one source's
// facts, and the version ordering shared by every Store implementation.
//
// Payload format (one JSON object per source version; short keys because a
// large hospital has millions of facts):
//   {"f":[{"k":"dxa-t-score","s":"lumbar-spine","v":-2.6,"d":"2024-03-05",
//          "st":"final","c":"component","ver":"3"}],
//    "m":[{"k":"aromatase-inhibitor","i":"anastrozole","st":"active",
//          "b":"2024-01-01","e":"2024-06-30","c":"","ver":"3"}],
//    "r":[{"k":"smoker","o":"condition","d":"2020-01-01","a":true,"p":true,"c":"","ver":"3"}],
//    "demo":{"birth":"1960-05-01","g":"female"}}
// Empty arrays and absent demographics are omitted. Each item's SourceRef
// type and id are the source's own (not repeated); "c" is the component,
// "ver" the version the item was read at. Doubles are written as their
// shortest round-trip text, so decode(encode(x)) == x exactly. Decoding
// validates every code, so a corrupt row is a DataLoss error, not a crash.
//
// Version ordering (CompareSourceVersions): the spec's idempotency contract,
// see store.h. Both last_updated values are parsed as FHIR instants and
// compared as points in time (offsets differ between servers and
// proxies). versionIds are opaque (UUIDs on Medplum): they are only ever
// compared for equality, and, when two different versions carry the same
// instant, lexicographically as a deterministic tie-break so that every
// delivery order converges to the same stored version.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "bonewatch/fhir/status.h"
#include "store.h"

namespace bonewatch::adapter {

std::string EncodeSourcePayload(const SourceFacts& source);
// Fills facts/medications/risk_factors/demographics of `source`, whose
// resource_type, resource_id and patient_id must already be set (they are
// the SourceRef of every decoded item).
Status DecodeSourcePayload(std::string_view payload, SourceFacts* source);

bool HasAiMedication(const SourceFacts& source);
// Facts + medications + risk factors (demographics are not facts).
uint64_t FactItemCount(const SourceFacts& source);

enum class VersionOrder { kNewer, kSame, kOlder };

// What the stored version of a source is to an incoming one. `stored_payload`
// and `incoming_payload` are EncodeSourcePayload() texts, used when the
// instants are equal or absent ("same content" is the same version).
// Rules, in order:
//  1. equal non-empty version ids -> kSame;
//  2. both last_updated present: later instant -> kNewer, earlier -> kOlder;
//     equal instant: equal content -> kSame, else the lexicographically
//     greater version id is newer;
//  3. otherwise (a server that sends no meta.lastUpdated): equal content ->
//     kSame, else the incoming one is newer (last delivery wins).
// InvalidArgument when a non-empty last_updated is not a FHIR instant.
StatusOr<VersionOrder> CompareSourceVersions(std::string_view stored_version_id,
                                             std::string_view stored_last_updated,
                                             std::string_view stored_payload,
                                             const SourceFacts& incoming,
                                             std::string_view incoming_payload);

}  // namespace bonewatch::adapter
