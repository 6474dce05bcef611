// Reconciler: finds the source resources that were deleted on the server while no delete
// notification reached the daemon (issue 13 item 5), and retracts them.
//
// Searching cannot show deletes, and type-level `_history` is missing on servers such as Medplum
// (fhir-servers.md), so the daemon never relies on it: a periodic, bounded pass walks the sources
// the store holds facts for, in (type, id) order from a cursor kept in the store
// ("reconcile:position", so a restart resumes where it stopped), and asks the server for them in
// batches (`{Type}?_id=a,b,c&_elements=id`). A source the search does not return is read by id;
// only a 404/410 counts as deleted (a search that hides a resource, e.g. through an access
// policy, retracts nothing). A deleted source is enqueued as a delete InboxItem (origin
// "reconcile", the Medplum delete form: body `{}` with x-medplum-deleted-resource), so that the
// Pipeline retracts it and re-evaluates its patient through the durable inbox like any other
// delete. After the last source the cursor wraps: the next pass starts over.
//
// RunIfDue() runs a pass when `interval_seconds` have passed since the last one; a pass sends at
// most `max_batches_per_run` searches of `batch_size` ids (plus a read per missing source).
//
// Metrics: bonewatch_reconcile_checked_total{type}, bonewatch_reconcile_deleted_total{type},
// bonewatch_reconcile_errors_total.
//
// Ownership: borrows the client, Store, Metrics, Logger and Clock (REQUIRES: they outlive it).
// Thread-safety: call from one thread (the worker's poll step) at a time.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "bonewatch/fhir/client.h"
#include "bonewatch/fhir/status.h"
#include "clock.h"
#include "config.h"
#include "ingest_types.h"
#include "logger.h"
#include "metrics.h"
#include "store.h"

namespace bonewatch::adapter {

using ReconcilerDeps = ServerReadDeps;

struct ReconcileStats {
  int checked = 0;
  int deleted = 0;
  int searches = 0;
  bool wrapped = false;  // the pass reached the last source
};

class Reconciler {
 public:
  static constexpr char kCursor[] = "reconcile:position";

  Reconciler(Config::Reconcile config, ReconcilerDeps deps);
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  Status RunIfDue();
  Status RunOnce(ReconcileStats* stats = nullptr);

 private:
  // Checks one batch of ids of one type; enqueues the deleted ones.
  Status CheckBatch(const std::string& type, const std::vector<std::string>& ids,
                    ReconcileStats& stats);

  const Config::Reconcile config_;
  ReconcilerDeps deps_;
  std::optional<std::chrono::system_clock::time_point> last_run_;
};

}  // namespace bonewatch::adapter
