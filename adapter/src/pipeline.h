// Pipeline: inbox -> fetch -> map -> store -> mark dirty -> evaluate -> write
// (architecture "Data flow"; daemon issue "Pipeline").
//
// ProcessInbox(max_items) takes the oldest inbox items (Store::PeekInbox),
// decodes each into WorkUnits (DecodeInboxItem) and runs them. Decoding drops
// BoneWatch's own writes by their meta.tag {Config::canonical_base}/CodeSystem/tag
// (OwnTagSystem), as ProcessResource does for fetched and history resources, so
// our Flags/CarePlans never become input whatever the base. R4B/backport
// notification event numbers are kept per Subscription in Store cursors
// (StoreEventNumberTracker): a gap, also across restarts, runs poll_now.
// The units:
//  - kResource: Mapper::Map (a medicationReference to a server Medication is
//    read first and cached, see EnsureMedication; a Medication itself is not
//    mapped but re-maps the resources that reference it, MedicationChanged);
//    kMapped -> Store::UpsertSource (older versions
//    and duplicates change nothing); kRetracted -> RetractSource; kIgnored ->
//    RetractSource (a new version that no longer maps withdraws the facts of
//    the old one); kRejected -> a dead letter naming the resource and field;
//  - kFetch: Client::Read first; 404/410 is a delete;
//  - kDelete: RetractSource;
//  - kPollNow: the injected poll_now hook.
// Any change (inserted, replaced, retracted) marks the patient dirty. A
// patient seen for the first time (Store::HistoryFetched false) has their
// history fetched once through the fetch_history hook, mapped and stored.
// An item is acknowledged only after all its effects are stored. The store
// changes of one ProcessInbox call share one store transaction (StoreBatch),
// committed before every FHIR request and at the end. A malformed
// item is dead-lettered at once. An infrastructure failure (FHIR server, Store)
// records a failed attempt (FailInbox), stops the batch and is returned, so the
// caller backs off; after Config::max_inbox_attempts the item is dead-lettered.
// Returns the number of items acknowledged (dead-lettered ones included).
//
// EvaluateDirty(max_patients) evaluates the oldest dirty marks (PeekDirty):
// LoadRecord -> rules::Evaluate(today in Config::time_zone) ->
// Writer::Write, for up to Config::worker_threads patients at a time (one
// patient's writes stay in order on one thread; the fhir::Client must be
// thread-safe); then, in one store batch for the whole pass: PutWritten of
// what was written -> SetNextEvaluation -> ClearDirty(the mark as read). The
// mark stays until then, so a crash anywhere before leaves the patient dirty
// for the next process, and a mark renewed during the write (newer data) is
// kept.
// A patient whose write fails keeps the mark, moved behind the others
// (DeferDirty), and the first error is returned after the others were done.
// Returns the number of patients evaluated and written.
//
// Metrics (names as in ops_metric_names.h): bonewatch_resources_total{type,result},
// bonewatch_facts (gauge), bonewatch_evaluations_total,
// bonewatch_active_findings{rule} (gauge, from the evaluations this process
// ran), bonewatch_dead_letters and bonewatch_inbox_depth (gauges),
// bonewatch_dead_lettered_total{reason} (letters added),
// bonewatch_rejections_total{reason} (every refusal, repeats included),
// bonewatch_dirty_patients (gauge).
//
// Dead letters: one per refused input (Store::AddDeadLetter merges by key).
// A rejected resource is keyed by type, id and meta.versionId
// ("Observation/9/_history/3"), or by a SHA-1 of its JSON when it has no
// versionId; a malformed or abandoned inbox item by its reason, hint and a
// SHA-1 of its body. So overlapping polls, history reads and replays that fail
// the same way add no letter.
//
// Never throws. Ownership: the deps are references the caller keeps alive.
// Thread-safety: ProcessInbox and EvaluateDirty may run on different threads;
// each of them must not run concurrently with itself (inbox items are peeked,
// not claimed).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bonewatch/fhir/client.h"
#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/status.h"
#include "bonewatch/mappings/mapper.h"
#include "bonewatch/rules/date.h"
#include "bonewatch/rules/evaluation.h"
#include "bonewatch/rules/ruleset.h"
#include "clock.h"
#include "config.h"
#include "ingest_decode.h"
#include "logger.h"
#include "medication_cache.h"
#include "metrics.h"
#include "store.h"
#include "work_unit.h"
#include "writer.h"

namespace bonewatch::adapter {

// The relevant history of a first-seen patient (their Observations,
// medications, Conditions, Procedures and the Patient), read from the server.
using HistoryFetch =
    std::function<StatusOr<std::vector<fhir::Json>>(const std::string& patient_id)>;

struct PipelineDeps {
  const Config& config;
  Store& store;
  const fhir::Client& client;
  const mappings::Mapper& mapper;
  const rules::RuleSet& ruleset;
  Metrics& metrics;
  Logger& logger;
  const Clock& clock;
  HistoryFetch fetch_history;      // empty: history is not fetched
  std::function<void()> poll_now;  // empty: kPollNow is ignored
  // Called for each rest-hook item that names its Subscription (x-medplum-subscription), with
  // the item's received_at; empty: not reported.
  std::function<void(const std::string& subscription_id, const std::string& received_at)>
      on_delivery = {};
};

// Today's date at `now` in the configured zone (its offset at `now`).
rules::Date TodayAt(std::chrono::system_clock::time_point now, const fhir::TimeZone& zone);

class Pipeline {
 public:
  explicit Pipeline(PipelineDeps deps);
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  [[nodiscard]] StatusOr<size_t> ProcessInbox(size_t max_items);
  [[nodiscard]] StatusOr<size_t> EvaluateDirty(size_t max_patients);

  // Refreshes the store gauges (facts, inbox depth, dead letters).
  void UpdateGauges();

 private:
  StatusOr<size_t> ProcessInboxItems(const std::vector<InboxItem>& items);
  // Before the inbox batch opens: reads the histories of the first-seen
  // patients of full-resource items, so that the batch need not commit (one
  // fsync each) before every such patient's history request.
  void PrefetchHistories(const std::vector<InboxItem>& items);
  // The inbox batch's store transaction (Store::BeginBatch): open around the
  // store calls of ProcessInbox, committed before each network request.
  void OpenInboxBatch();
  Status CommitInboxBatch();
  // Bad data of one item: dead-lettered, acknowledged. Anything else: retried.
  Status ProcessItem(const InboxItem& item);
  Status ProcessUnit(const WorkUnit& unit, const InboxItem& item);
  // `with_history`: fetch a first-seen patient's history (not while storing it).
  Status ProcessResource(const fhir::Json& resource, const InboxItem& item, bool with_history);
  Status Retract(const std::string& type, const std::string& id);
  // A medicationReference to a Medication on the server: read into medications_ (outside the
  // inbox batch) unless cached. A 404/410 is cached as missing (the Mapper then rejects the
  // resource naming the reference); another failure is returned, so the item is retried and,
  // after Config::max_inbox_attempts, dead-lettered.
  Status EnsureMedication(const fhir::Json& resource);
  // Medication `id` changed (`medication`: its new version) or was deleted (nullopt): the cache
  // takes it, and the MedicationRequests and MedicationStatements on the server that reference
  // it are mapped again, so their patients are re-evaluated. A version (or delete) the cache
  // already holds does nothing: overlapping polls and repeated notifications search no more.
  Status MedicationChanged(const std::string& id, std::optional<fhir::Json> medication,
                           const InboxItem& item);
  Status EnsureHistory(const std::string& patient_id, const InboxItem& item);
  // `key`: DeadLetter::key (see the file comment).
  Status DeadLetter(const InboxItem& item, const std::string& resource,
                    const std::string& reason_code, const std::string& reason,
                    const std::string& payload, const std::string& key);
  // One patient evaluated and written back; nothing stored (EvaluateDirty does).
  struct EvaluatedPatient {
    Status status;                         // of the write-back
    std::vector<WrittenResource> written;  // to record, also after a failure
    std::optional<rules::Date> next_evaluation;
  };
  EvaluatedPatient EvaluateOne(const std::string& patient_id, rules::Date today);
  // Bit i of a mask is rules::kRuleCodes[i].
  using RuleMask = uint32_t;
  void TrackActiveFindings(const std::string& patient_id, RuleMask rules);

  PipelineDeps deps_;
  Writer writer_;
  StoreEventNumberTracker events_;                                     // used by ProcessInbox only
  std::optional<StoreBatch> inbox_batch_;                              // used by ProcessInbox only
  std::map<std::string, std::vector<fhir::Json>> prefetched_history_;  // ProcessInbox only
  MedicationCache medications_{10000};                                 // ProcessInbox only
  DecodeOptions decode_;
  std::mutex findings_mutex_;
  // Patients with at least one active finding only (a backfill of 100k
  // patients must not keep an entry per patient): the bonewatch_active_findings gauge.
  std::unordered_map<std::string, RuleMask> active_rules_;            // GUARDED_BY(findings_mutex_)
  std::array<int64_t, std::size(rules::kRuleCodes)> active_count_{};  // GUARDED_BY(findings_mutex_)
};

}  // namespace bonewatch::adapter
