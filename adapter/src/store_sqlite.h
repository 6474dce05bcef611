// SqliteStore: the Store (store.h) in one SQLite file through Poco Data.
// Private to the adapter; construct it with OpenSqliteStore().
//
// - One Poco::Data::Session guarded by one (recursive) mutex: SQLite
//   serialises writers anyway, and one connection keeps transactions simple.
//   Every method holds the mutex for its whole transaction. A batch
//   (Store::BeginBatch) holds the mutex from BEGIN to COMMIT; the methods
//   called inside it run in a SAVEPOINT each instead of a transaction, so a
//   failed call is undone alone and the batch goes on.
// - PRAGMA journal_mode=WAL: readers never block the writer and a crash
//   leaves a consistent file. PRAGMA synchronous=FULL: in WAL mode NORMAL can
//   lose the last commits on power loss or an OS crash; the inbox promises
//   that a notification is durable before its 2xx, and Medplum does not
//   redeliver, so every commit is fsynced (one fsync per commit; at the
//   target 100 notifications/s that is well within an SSD's budget).
// - busy_timeout 5 s, so that another process (sqlite3 CLI, a backup) holding
//   the lock briefly does not fail a call; past it the error is kUnavailable
//   "sqlite <Op> <what>: database is locked".
// - Facts: one row per source with a JSON blob (store_codec.h).
// - Dirty marks: store_sqlite_dirty.cc; dead letters, cursors:
//   store_sqlite_queues.cc.
// - The inbox is in a second file with its own connection and mutex
//   (store_sqlite_inbox.h), so that the notification endpoint's Enqueue never
//   waits for a batch. An AckInbox made inside a batch is applied to it only
//   after the batch has committed (dropped when the batch is rolled back).
// - Schema and migrations: store_sqlite_schema.h.
// Poco exceptions are caught in Run() and become Status values naming the
// operation; nothing throws out of the Store.
#pragma once

#include <Poco/Data/Session.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "store.h"
#include "store_sqlite_inbox.h"

namespace bonewatch::adapter {

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Poco::Data::Session> session, std::unique_ptr<SqliteInbox> inbox,
              std::string path);

  Status BeginBatch() override;
  Status CommitBatch() override;
  void AbortBatch() override;

  StatusOr<UpsertOutcome> UpsertSource(const SourceFacts& source) override;
  StatusOr<RetractOutcome> RetractSource(const std::string& resource_type,
                                         const std::string& resource_id) override;
  StatusOr<rules::PatientRecord> LoadRecord(const std::string& patient_id) override;
  StatusOr<std::vector<std::string>> PatientIds() override;
  StatusOr<std::vector<std::pair<std::string, std::string>>> ListSources(
      const std::string& after_type, const std::string& after_id, size_t limit) override;
  StatusOr<uint64_t> FactCount() override;
  StatusOr<bool> HistoryFetched(const std::string& patient_id) override;
  Status SetHistoryFetched(const std::string& patient_id) override;
  Status MarkDirty(const std::string& patient_id) override;
  StatusOr<std::vector<DirtyMark>> PeekDirty(size_t limit) override;
  Status ClearDirty(const DirtyMark& mark) override;
  Status DeferDirty(const std::string& patient_id) override;
  StatusOr<uint64_t> DirtyCount() override;
  Status SetNextEvaluation(const std::string& patient_id, std::optional<rules::Date> date) override;
  StatusOr<std::vector<std::string>> DueForEvaluation(rules::Date today) override;

  StatusOr<std::optional<WrittenResource>> GetWritten(const std::string& identifier) override;
  StatusOr<std::vector<WrittenResource>> WrittenForPatient(const std::string& patient_id) override;
  Status PutWritten(const WrittenResource& written) override;
  StatusOr<int64_t> Enqueue(const InboxItem& item) override;
  StatusOr<std::vector<InboxItem>> PeekInbox(size_t limit) override;
  Status AckInbox(int64_t id) override;
  Status FailInbox(int64_t id, const std::string& error) override;
  StatusOr<uint64_t> InboxDepth() override;
  StatusOr<DeadLetterAdded> AddDeadLetter(const DeadLetter& letter) override;
  StatusOr<std::vector<DeadLetter>> ListDeadLetters(size_t limit) override;
  StatusOr<DeadLetter> TakeDeadLetter(int64_t id) override;
  StatusOr<uint64_t> DeadLetterDepth() override;
  StatusOr<std::optional<std::string>> GetCursor(const std::string& name) override;
  Status SetCursor(const std::string& name, const std::string& value) override;

 private:
  // Runs `body` holding the mutex, inside a transaction when `transaction`;
  // converts any exception to a Status "sqlite <op>: <what>" and rolls back.
  Status Run(const std::string& op, bool transaction,
             const std::function<Status(Poco::Data::Session&)>& body);
  template <typename T>
  StatusOr<T> RunFor(const std::string& op, bool transaction,
                     const std::function<StatusOr<T>(Poco::Data::Session&)>& body) {
    std::optional<T> result;
    Status status = Run(op, transaction, [&](Poco::Data::Session& s) -> Status {
      StatusOr<T> r = body(s);
      if (!r.ok()) return r.status();
      result = std::move(r).value();
      return Status::Ok();
    });
    if (!status.ok()) return status;
    return std::move(*result);
  }

  std::recursive_mutex mu_;
  std::unique_ptr<Poco::Data::Session> session_;  // GUARDED_BY(mu_)
  // The open batch: holds mu_ for its owner thread. Only that thread sees
  // in_batch_ true (the others wait on mu_ until the batch ends).
  std::unique_lock<std::recursive_mutex> batch_lock_;  // GUARDED_BY(mu_)
  bool in_batch_ = false;                              // GUARDED_BY(mu_)
  // A call inside the batch could not be undone alone: the batch was rolled
  // back, the calls until its end fail and CommitBatch reports it.
  bool batch_broken_ = false;  // GUARDED_BY(mu_)
  // Acks made inside the open batch, applied to inbox_ after it commits.
  std::vector<int64_t> pending_acks_;  // GUARDED_BY(mu_)
  // Its own mutex: never waits for mu_.
  const std::unique_ptr<SqliteInbox> inbox_;
  const std::string path_;
};

// Statement helpers shared by the store_sqlite*.cc files. REQUIRES: the
// caller holds the store's mutex (inside Run); they throw Poco exceptions,
// which Run converts.
void EnsurePatient(Poco::Data::Session& s, const std::string& patient_id);
// Marks the patient dirty with a new generation (store_sqlite_dirty.cc).
void MarkDirtyInTransaction(Poco::Data::Session& s, const std::string& patient_id);

}  // namespace bonewatch::adapter
