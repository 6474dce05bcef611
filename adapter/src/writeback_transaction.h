// The write-back transaction: what BoneWatch writes for a set of evaluations,
// as one FHIR R4 transaction Bundle (spec §3 "What gets written", §4, §5).
//
// Entries, in this order:
//  1. the BoneWatch Device: POST Device with ifNoneExist
//     identifier={base}/identifier/device|bonewatch (conditional create), with
//     a urn:uuid fullUrl that Flags (author) and Provenances (agent) reference;
//  2. per evaluation, in the order given:
//     - its Flags: PUT Flag?identifier={system}|{value} (conditional update),
//       in the evaluation's finding order;
//     - its CarePlan: PUT CarePlan?identifier={system}|{value};
//     - a Provenance (POST) whose targets are the urn:uuid fullUrls of the
//       Flag and CarePlan entries above.
// The Device entry is present only when something else is written; a Bundle
// with nothing to write has no entries.
//
// Which Flags are written (WrittenFindings):
//  - every finding whose episode is active at the evaluation date;
//  - an inactive finding only when its Flag was written before
//    (PriorWrites), so that it is updated when its episode ends. An episode
//    that began and ended before the first write is never written. Offline
//    (no PriorWrites) only active episodes are written.
// Disposition:
//  - out of scope: nothing;
//  - active / completed: the Flags above and the CarePlan (active/completed);
//  - retracted: every previously written Flag and CarePlan of the patient is
//    rewritten entered-in-error (offline there are none: nothing is written).
//
// fullUrls are name-based UUIDs (writeback_identity.h): the same input gives
// byte-identical output. Thread-safety: pure functions; TransactionWriter is
// not thread-safe.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/fhir/bundle.h"
#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/status.h"
#include "bonewatch/rules/evaluation.h"
#include "writeback_identity.h"

namespace bonewatch::adapter {

// What BoneWatch wrote earlier for one patient (identifier values), as the
// daemon's Store knows it. Empty offline.
struct PriorWrites {
  std::vector<std::string> flag_identifiers;
  std::vector<std::string> careplan_identifiers;
};

struct WritebackInput {
  const rules::Evaluation* evaluation = nullptr;  // REQUIRED
  PriorWrites prior;
};

// The findings whose Flags are written (see above), in evaluation order.
std::vector<const rules::Finding*> WrittenFindings(const rules::Evaluation& evaluation,
                                                   const PriorWrites& prior);

// The Device's fullUrl in a transaction.
std::string DeviceFullUrl(const WritebackOptions& options);
fhir::RequestEntry DeviceEntry(const WritebackOptions& options);

// The Flag, CarePlan and Provenance entries of one evaluation (no Device);
// empty when nothing is written. `recorded` is the evaluation instant.
std::vector<fhir::RequestEntry> BuildPatientEntries(const WritebackInput& input,
                                                    std::string_view recorded,
                                                    const WritebackOptions& options);

// The whole transaction Bundle for `inputs`.
StatusOr<fhir::Json> BuildWritebackTransaction(const std::vector<WritebackInput>& inputs,
                                               std::string_view recorded,
                                               const WritebackOptions& options);

// One patient's entries as text, ready for TransactionWriter::AddRendered:
// each entry pretty-printed at its depth in the Bundle and preceded by ",\n".
struct RenderedEntries {
  std::string text;
  size_t count = 0;
};

// Validates (as fhir::BuildRequestBundle does) and renders one patient's
// entries (from BuildPatientEntries). A pure function: thread-safe, so
// patients can be rendered in parallel and written in order.
StatusOr<RenderedEntries> RenderPatientEntries(std::vector<fhir::RequestEntry> entries);

// Streams the same transaction Bundle, pretty-printed, one patient at a time,
// so that memory does not grow with the cohort. The bytes equal
// BuildWritebackTransaction(...)->SerializePretty() followed by "\n".
class TransactionWriter {
 public:
  TransactionWriter(std::ostream& out, WritebackOptions options);
  TransactionWriter(const TransactionWriter&) = delete;
  TransactionWriter& operator=(const TransactionWriter&) = delete;

  // Appends one patient's entries (from BuildPatientEntries).
  Status Add(std::vector<fhir::RequestEntry> entries);
  // Appends one patient's entries rendered by RenderPatientEntries.
  void AddRendered(const RenderedEntries& rendered);
  // Closes the Bundle. REQUIRES: called once, last.
  void Finish();

  size_t entries_written() const { return entries_written_; }

 private:
  std::ostream& out_;
  WritebackOptions options_;
  size_t entries_written_ = 0;
};

}  // namespace bonewatch::adapter
