// Which resource types ingest reads, and how their mapping criteria become search parameters.
// Shared by the Poller, the SubscriptionManager and the patient history fetch.
//
// Types: Observation and MedicationStatement always; MedicationRequest, Condition and Procedure
// when enabled in Config::Inputs (spec §1 "where enabled").
// A code filter is "system|code,system|code,..." from mappings::Criteria. There is none (nullopt:
// search without a code filter and let the Mapper filter) when the type maps prefix codes
// (M80.*), has no codes, or the joined list is longer than `max_chars`.
//
// Thread-safety: pure functions; ServerReadDeps is plain data.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bonewatch/fhir/client.h"
#include "bonewatch/mappings/mapping_set.h"
#include "clock.h"
#include "config.h"
#include "logger.h"
#include "metrics.h"
#include "store.h"

namespace bonewatch::adapter {

// What the Poller and the Reconciler borrow to read the server into the store (REQUIRES: all
// set, and they outlive the user).
struct ServerReadDeps {
  const fhir::Client* client = nullptr;
  Store* store = nullptr;
  Metrics* metrics = nullptr;
  Logger* logger = nullptr;
  const Clock* clock = nullptr;
};

std::vector<std::string> IngestTypes(const Config::Inputs& inputs);

// The types whose changes the daemon watches (Subscriptions and the Poller): the ingest types and
// Medication, whose changes re-map the MedicationRequests and MedicationStatements that reference
// it (issue 13 item 2). Not searched by patient: a Medication has no subject.
std::vector<std::string> WatchedTypes(const Config::Inputs& inputs);

// The criteria of `type` in `criteria` (nullptr when absent).
const mappings::Criteria* FindCriteria(const std::vector<mappings::Criteria>& criteria,
                                       const std::string& type);

// The token search parameters that find a type's mapped codes, "code" first. Observation's are
// also searched in component.code ("component-code"): a DXA report sent as a panel has the panel's
// code in Observation.code and the mapped T-scores and BMDs only in its components (spec §1), and
// `code=` matches only Observation.code. Every path that searches or subscribes by code uses all
// of them: the Poller (one watermark each), the history fetch, and the Subscriptions.
std::vector<std::string> CodeSearchParameters(const std::string& type);

// Joined code list; nullopt when no filter should be used (see file comment).
std::optional<std::string> CodeFilter(const mappings::Criteria* criteria, size_t max_chars);

// The code list split into comma-joined chunks of at most `max_chars` each (a single longer code
// gets a chunk of its own). Empty when the type has no usable code filter (prefix codes / none).
std::vector<std::string> CodeFilterChunks(const mappings::Criteria* criteria, size_t max_chars);

}  // namespace bonewatch::adapter
