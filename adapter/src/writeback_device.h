// The BoneWatch Device: the author of every Flag and the agent of every
// Provenance BoneWatch writes (spec §4).
//
// It is created once, by conditional create on
// {base}/identifier/device|bonewatch (DeviceConditionalQuery), and never
// updated. It carries no version number, so the resource (and every golden
// transaction) is the same across releases.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "bonewatch/fhir/json.h"
#include "writeback_identity.h"

namespace bonewatch::adapter {

fhir::Json BuildDevice(const WritebackOptions& options);

// "identifier={base}/identifier/device|bonewatch": the If-None-Exist query.
std::string DeviceConditionalQuery(const WritebackOptions& options);

}  // namespace bonewatch::adapter
