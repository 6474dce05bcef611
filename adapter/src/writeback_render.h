// Direct rendering of the offline write-back entries (`bonewatch evaluate`).
//
// Purpose: speed on large cohorts. RenderOfflineEntries writes the text that
// RenderPatientEntries(BuildPatientEntries({&evaluation, {}}, ...)) gives,
// byte for byte, straight from the Evaluation, without building the Flag,
// CarePlan and Provenance as Json first. The builders (writeback_flag.h,
// writeback_careplan.h, writeback_provenance.h) stay the definition: tests
// compare both paths, so a change there must be mirrored here.
//
// Offline only: no PriorWrites, so only active findings are written and a
// retracted course writes nothing.
//
// Thread-safety: thread-safe (each thread reuses its own scratch buffers).
#pragma once

#include <string_view>

#include "bonewatch/fhir/status.h"
#include "bonewatch/rules/evaluation.h"
#include "writeback_identity.h"
#include "writeback_transaction.h"

namespace bonewatch::adapter {

StatusOr<RenderedEntries> RenderOfflineEntries(const rules::Evaluation& evaluation,
                                               std::string_view recorded,
                                               const WritebackOptions& options);

// The same, into `rendered`, whose text keeps its capacity: a caller that
// renders many patients into the same few RenderedEntries allocates no text
// after the first ones. On an error `rendered` holds no entries.
Status RenderOfflineEntries(const rules::Evaluation& evaluation, std::string_view recorded,
                            const WritebackOptions& options, RenderedEntries& rendered);

}  // namespace bonewatch::adapter
