// Writer: puts one patient's Evaluation on the FHIR server (spec §3 "What gets
// written", §4; architecture "Write-back is idempotent").
//
// Write(evaluation):
//  1. plans the desired Flags/CarePlan against Store::WrittenForPatient
//     (writer_plan.h): unchanged resources and human-edited Flags are skipped;
//     when nothing changed, no request is sent at all;
//  2. ensures the BoneWatch Device once (conditional create), remembered in the
//     Store cursor kDeviceCursor;
//  3. sends transactions of at most Config::fhir.transaction_max_entries
//     entries, each with a Provenance of its own targets. A transaction that
//     fails for a structural reason, a server limit or a version conflict
//     (400/412/422, also as a failed entry of a non-atomic 200 answer) falls
//     back to single requests;
//  4. single requests: update by id with If-Match W/"{our version}"; on 412
//     the resource is re-read: if it already holds what we want (our own write
//     whose record was lost), it is recorded; if its status differs from the
//     status we last wrote, a person changed it: it is marked human_edited and
//     left alone (spec §4 "Human edits win"); otherwise the update is retried
//     once with the server's version;
//  5. records every successful write (Store::PutWritten: server id, version,
//     content hash, status).
// A failure returns a non-OK Status (the caller marks the patient dirty again
// and retries later); what was written before the failure stays recorded, so a
// retry writes only the rest.
//
// Metrics: bonewatch_writes_total{type,result} with result created | updated |
// unchanged | human-edited | failed (names as in ops_metric_names.h).
//
// Ownership: the deps are references the caller keeps alive. Thread-safety:
// Write() may run concurrently for different patients (the Store and Client
// are thread-safe); not for the same patient.
#pragma once

#include <string>
#include <vector>

#include "bonewatch/fhir/client.h"
#include "bonewatch/fhir/status.h"
#include "bonewatch/rules/evaluation.h"
#include "clock.h"
#include "config.h"
#include "logger.h"
#include "metrics.h"
#include "store.h"
#include "writeback_identity.h"
#include "writer_plan.h"

namespace bonewatch::adapter {

// Store cursor holding "Device/{id}" of the BoneWatch Device.
inline constexpr std::string_view kDeviceCursor = "writer.device";

struct WriterDeps {
  const Config& config;
  Store& store;
  const fhir::Client& client;
  Metrics& metrics;
  Logger& logger;
  const Clock& clock;
};

class Writer {
 public:
  explicit Writer(WriterDeps deps);
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  [[nodiscard]] Status Write(const rules::Evaluation& evaluation);
  // As Write, but what step 5 would record (PutWritten) is appended to
  // *recorded instead, also when a later write fails; the caller stores it
  // (Pipeline::EvaluateDirty: all patients of a pass in one store batch).
  // REQUIRES: recorded != nullptr.
  [[nodiscard]] Status Write(const rules::Evaluation& evaluation,
                             std::vector<WrittenResource>* recorded);

 private:
  // Where Record/MarkHumanEdited put what was written: the Store, or a list.
  using Sink = std::vector<WrittenResource>*;  // nullptr: Store::PutWritten
  Status WriteTo(const rules::Evaluation& evaluation, Sink sink);
  StatusOr<std::string> EnsureDevice();
  Status WriteTransaction(const std::vector<PlannedWrite>& writes,
                          const fhir::RequestEntry& provenance, bool* fall_back, Sink sink);
  Status WriteSingles(const std::vector<PlannedWrite>& writes, const fhir::RequestEntry& provenance,
                      Sink sink);
  // One resource by itself; sets *reference to "Type/id/_history/v" when written,
  // leaves it empty when left alone.
  Status WriteSingle(const PlannedWrite& write, std::string* reference, Sink sink);
  Status Record(const PlannedWrite& write, const WrittenVersion& version, bool created, Sink sink);
  Status MarkHumanEdited(const PlannedWrite& write, Sink sink);
  Status Put(const WrittenResource& written, Sink sink);
  void Count(const std::string& resource, const char* result, double by = 1);

  WriterDeps deps_;
  WritebackOptions options_;
};

}  // namespace bonewatch::adapter
