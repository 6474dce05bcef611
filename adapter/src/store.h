// Store: the daemon's durable state (architecture "Data flow").
//
// It holds, per the daemon issue:
//  - facts, keyed by their source resource (type, id) and version: what the
//    Mapper produced from the newest version seen of each source;
//  - patients: demographics, whether their history was fetched, whether an
//    AI source of theirs was retracted, the dirty mark and the next
//    re-evaluation date;
//  - dirty marks: patients whose stored record changed (or whose re-evaluation
//    is due) and whose write-back has not succeeded since. A mark carries a
//    generation, renewed by every MarkDirty; it is removed only by ClearDirty
//    with that generation, after the write-back succeeded. So a crash between
//    reading the marks and writing leaves them, and a mark made meanwhile
//    (newer data arrived during the write) survives the clear;
//  - what was last written: per written resource identifier, the server id,
//    versionId, content hash and status;
//  - the durable inbox of notifications/poll results not yet processed;
//  - dead letters: inputs that could not be processed, kept for replay. One
//    per `DeadLetter::key`: the same input refused again (a resource version
//    re-read by overlapping polls or history reads, a replay that fails the
//    same way) adds no letter; it counts on the one that is there;
//  - cursors: named string values (poll watermarks, subscription state).
//
// Idempotency contract of UpsertSource: a newer version (by meta.lastUpdated;
// versionIds are opaque and never ordered) replaces all facts of that source;
// an equal version (same version id, or same last_updated and same content)
// or an older one changes nothing. When the two versions carry no comparable
// timestamps (one is missing, or they are equal) and their content differs,
// the one read later wins. RetractSource removes a source's facts.
// A change (kInserted, kReplaced, or a retraction that found facts) marks the
// patient dirty in the same transaction, so that no crash can store the
// change without the mark (a re-delivery would then be kUnchanged and never
// mark it).
//
// Errors are values: every method returns Status/StatusOr; an I/O failure is
// kUnavailable or kInternal with the operation named. The Store never throws.
//
// Unit of work (BeginBatch/CommitBatch/AbortBatch, or the StoreBatch scope):
// the calls one thread makes between BeginBatch and CommitBatch share one
// transaction, so a crash leaves all of their changes or none, and the
// SQLite store pays one commit (one fsync) for all of them. Each call inside
// stays atomic by itself (a failed call changes nothing; the batch goes on).
// Other threads' calls wait until the batch ends, so keep batches free of
// network I/O. Batches do not nest. Reads inside see the batch's changes.
// The inbox is outside batches: Enqueue, PeekInbox, FailInbox and InboxDepth
// never wait for one and are never undone by one (the notification endpoint
// answers a server only after Enqueue, and must not wait for evaluations).
// An AckInbox made inside a batch takes effect when the batch commits, and is
// dropped when it does not: an item leaves the inbox only after its effects
// are durable (at least once; processing an item again is idempotent).
//
// Thread-safety: implementations are safe to call from several threads
// (SQLite: one connection guarded by a mutex, WAL mode). Ownership: the
// caller owns the Store; values returned are copies.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bonewatch/fhir/status.h"
#include "bonewatch/rules/date.h"
#include "bonewatch/rules/model.h"

namespace bonewatch::adapter {

// Everything one version of one source resource contributed.
struct SourceFacts {
  std::string patient_id;
  std::string resource_type;
  std::string resource_id;
  std::string version_id;    // meta.versionId ("" when the server gives none)
  std::string last_updated;  // meta.lastUpdated as sent (FHIR instant), "" when absent
  std::vector<rules::Fact> facts;
  std::vector<rules::MedicationUse> medications;
  std::vector<rules::RiskFactorFact> risk_factors;
  std::optional<rules::PatientDemographics> demographics;  // from a Patient resource
};

enum class UpsertOutcome {
  kInserted,   // first time this source is seen
  kReplaced,   // a newer version replaced the facts
  kUnchanged,  // the same version again (duplicate delivery)
  kStale,      // an older version: ignored
};

struct RetractOutcome {
  bool found = false;          // the source had facts stored
  std::string patient_id;      // whose facts they were
  bool ai_medication = false;  // an aromatase-inhibitor use was among them
};

// A resource BoneWatch wrote, as last written.
struct WrittenResource {
  std::string identifier;     // "{system}|{value}", the conditional-update key
  std::string resource_type;  // "Flag", "CarePlan"
  std::string patient_id;
  std::string server_id;      // the id the server assigned
  std::string version_id;     // the versionId of our last write
  std::string content_hash;   // hash of what we wrote (without meta/id)
  std::string status;         // the status we wrote
  bool human_edited = false;  // a person changed it: leave it alone (spec §4)
};

// A dirty mark as read by PeekDirty.
struct DirtyMark {
  std::string patient_id;
  int64_t generation = 0;  // increases with every MarkDirty of any patient
  bool operator==(const DirtyMark&) const = default;
};

struct InboxItem {
  int64_t id = 0;            // assigned by Enqueue
  std::string received_at;   // FHIR instant
  std::string origin;        // "rest-hook", "poll", "backfill", "replay"
  std::string headers_json;  // the relevant request headers, as a JSON object
  std::string body;          // the raw body (may be empty)
  std::string hint;          // "Observation/123" from the URL or headers, "" when none
  int attempts = 0;
  std::string last_error;
};

struct DeadLetter {
  int64_t id = 0;
  std::string created_at;  // FHIR instant
  std::string origin;
  std::string resource;     // "Observation/123" when known
  std::string reason_code;  // short, for metrics labels ("rejected:unknown-unit", "malformed-json")
  std::string reason;       // for operators: names the resource, file/field and what is wrong
  std::string payload;      // the body or resource JSON, to replay
  // What was refused, so that refusing it again adds nothing: for a rejected
  // resource "Observation/9/_history/3" (or "Observation/9#sha1:<content>"
  // without a versionId); see Pipeline. "" = never merged with another.
  std::string key;
  int64_t times_seen = 1;    // how often it was refused (the first time included)
  std::string last_seen_at;  // FHIR instant of the latest refusal ("" = created_at)
};

// What AddDeadLetter did.
struct DeadLetterAdded {
  int64_t id = 0;      // the letter's id (the one already kept, when not added)
  bool added = false;  // false: a letter with the same non-empty key was already kept
};

class Store {
 public:
  virtual ~Store() = default;
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // ---- Unit of work (see the file comment) ----
  // FailedPrecondition when this thread already has a batch open.
  virtual Status BeginBatch() = 0;
  // Commits every change since BeginBatch. On error nothing of the batch is
  // kept. Either way the batch is over.
  virtual Status CommitBatch() = 0;
  // Drops every change since BeginBatch and ends the batch.
  virtual void AbortBatch() = 0;

  // ---- Facts and patients ----
  virtual StatusOr<UpsertOutcome> UpsertSource(const SourceFacts& source) = 0;
  virtual StatusOr<RetractOutcome> RetractSource(const std::string& resource_type,
                                                 const std::string& resource_id) = 0;
  // The patient's whole record (empty record with the id when unknown).
  virtual StatusOr<rules::PatientRecord> LoadRecord(const std::string& patient_id) = 0;
  virtual StatusOr<std::vector<std::string>> PatientIds() = 0;
  // Up to `limit` (type, id) of the sources that still have facts (not retracted), in (type,
  // id) order, after (after_type, after_id) ("", "" for the first); for the reconciliation pass.
  virtual StatusOr<std::vector<std::pair<std::string, std::string>>> ListSources(
      const std::string& after_type, const std::string& after_id, size_t limit) = 0;
  virtual StatusOr<uint64_t> FactCount() = 0;

  // First-seen patients: true once their history has been fetched.
  virtual StatusOr<bool> HistoryFetched(const std::string& patient_id) = 0;
  virtual Status SetHistoryFetched(const std::string& patient_id) = 0;

  // Dirty patients wait for evaluation and write-back (see the file comment).
  // MarkDirty gives the mark a new generation; a patient already dirty keeps
  // its place in the queue.
  virtual Status MarkDirty(const std::string& patient_id) = 0;
  // Up to `limit` marks, oldest first, without removing them.
  virtual StatusOr<std::vector<DirtyMark>> PeekDirty(size_t limit) = 0;
  // Removes the mark if its generation is still `mark.generation` (no newer
  // MarkDirty since it was read); otherwise leaves it. Ok either way.
  virtual Status ClearDirty(const DirtyMark& mark) = 0;
  // Moves the patient's mark to the back of the queue, its generation
  // unchanged (after a failed write-back, so that failing patients do not
  // hold up the others). Ok when the patient is not dirty.
  virtual Status DeferDirty(const std::string& patient_id) = 0;
  virtual StatusOr<uint64_t> DirtyCount() = 0;
  // Re-evaluation schedule (Evaluation::next_evaluation); nullopt clears it.
  virtual Status SetNextEvaluation(const std::string& patient_id,
                                   std::optional<rules::Date> date) = 0;
  // Patients whose next evaluation date is on or before `today`.
  virtual StatusOr<std::vector<std::string>> DueForEvaluation(rules::Date today) = 0;

  // ---- What was written ----
  virtual StatusOr<std::optional<WrittenResource>> GetWritten(const std::string& identifier) = 0;
  virtual StatusOr<std::vector<WrittenResource>> WrittenForPatient(
      const std::string& patient_id) = 0;
  virtual Status PutWritten(const WrittenResource& written) = 0;

  // ---- Inbox ----
  // Durable before it returns (the endpoint answers 2xx only after this).
  virtual StatusOr<int64_t> Enqueue(const InboxItem& item) = 0;
  // The oldest items, without removing them.
  virtual StatusOr<std::vector<InboxItem>> PeekInbox(size_t limit) = 0;
  virtual Status AckInbox(int64_t id) = 0;
  // Records a failed attempt (the item stays for a retry).
  virtual Status FailInbox(int64_t id, const std::string& error) = 0;
  virtual StatusOr<uint64_t> InboxDepth() = 0;

  // ---- Dead letters ----
  // Keeps `letter` under a new id (last_seen_at "" = created_at). When a
  // letter with the same non-empty key is kept already, adds none: that one
  // takes the new reason_code and reason, last_seen_at = letter.created_at,
  // and times_seen + 1.
  virtual StatusOr<DeadLetterAdded> AddDeadLetter(const DeadLetter& letter) = 0;
  virtual StatusOr<std::vector<DeadLetter>> ListDeadLetters(size_t limit) = 0;
  // Removes and returns one (for replay); NotFound when absent.
  virtual StatusOr<DeadLetter> TakeDeadLetter(int64_t id) = 0;
  virtual StatusOr<uint64_t> DeadLetterDepth() = 0;

  // ---- Cursors ----
  virtual StatusOr<std::optional<std::string>> GetCursor(const std::string& name) = 0;
  virtual Status SetCursor(const std::string& name, const std::string& value) = 0;
};

// A batch as a scope: begun by the constructor, aborted by the destructor
// unless Commit() was called. REQUIRES: used by one thread.
class StoreBatch {
 public:
  explicit StoreBatch(Store& store) : store_(store), begun_(store.BeginBatch()) {}
  ~StoreBatch() {
    if (begun_.ok() && !ended_) store_.AbortBatch();
  }
  StoreBatch(const StoreBatch&) = delete;
  StoreBatch& operator=(const StoreBatch&) = delete;

  // Whether BeginBatch succeeded (the calls made meanwhile are batched).
  [[nodiscard]] const Status& begun() const { return begun_; }
  [[nodiscard]] Status Commit() {
    if (!begun_.ok()) return begun_;
    if (ended_) return FailedPreconditionError("store batch already ended");
    ended_ = true;
    return store_.CommitBatch();
  }

 private:
  Store& store_;
  const Status begun_;
  bool ended_ = false;
};

// SQLite through Poco Data, one file, WAL mode, versioned schema with
// migrations applied at open. `path` ":memory:" gives a private in-memory DB.
StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

// A plain in-memory Store for unit tests (same contract, no persistence).
std::unique_ptr<Store> NewMemoryStore();

}  // namespace bonewatch::adapter
