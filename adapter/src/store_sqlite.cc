// SqliteStore: open, error conversion, facts and patients (store_sqlite.h).
#include "store_sqlite.h"

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Exception.h>

#include <algorithm>
#include <exception>
#include <limits>

#include "store_codec.h"
#include "store_sqlite_schema.h"

namespace bonewatch::adapter {

using namespace Poco::Data::Keywords;  // NOLINT(google-build-using-namespace): into/bind/now
using Poco::Data::Session;

namespace {

std::string Ref(const std::string& type, const std::string& id) { return type + "/" + id; }

}  // namespace

void EnsurePatient(Session& s, const std::string& patient_id) {
  s << "INSERT OR IGNORE INTO patients (patient_id) VALUES (?)", bind(patient_id), now;
}

SqliteStore::SqliteStore(std::unique_ptr<Session> session, std::unique_ptr<SqliteInbox> inbox,
                         std::string path)
    : session_(std::move(session)), inbox_(std::move(inbox)), path_(std::move(path)) {}

namespace {

// Undoes one call inside a batch; false when even that failed (the batch is
// then rolled back as a whole).
bool RollbackToSavepoint(Session& s) {
  try {
    s << "ROLLBACK TO SAVEPOINT store_call", now;
    s << "RELEASE SAVEPOINT store_call", now;
    return true;
  } catch (...) {  // NOLINT(bugprone-empty-catch): the caller reports the original error
    return false;
  }
}

}  // namespace

Status SqliteStore::BeginBatch() {
  std::unique_lock lock(mu_);
  if (in_batch_) return FailedPreconditionError("sqlite BeginBatch: a batch is already open");
  try {
    session_->begin();
  } catch (const Poco::Exception& e) {
    return UnavailableError("sqlite BeginBatch: " + e.displayText());
  }
  in_batch_ = true;
  batch_lock_ = std::move(lock);
  return Status::Ok();
}

Status SqliteStore::CommitBatch() {
  std::lock_guard lock(mu_);
  if (!in_batch_) return FailedPreconditionError("sqlite CommitBatch: no batch is open");
  Status status;
  if (batch_broken_) {
    RollbackQuietly(*session_);
    status = UnavailableError("sqlite CommitBatch: the batch was rolled back after an error");
  } else {
    try {
      session_->commit();
    } catch (const Poco::Exception& e) {
      RollbackQuietly(*session_);
      status = UnavailableError("sqlite CommitBatch: " + e.displayText());
    }
  }
  in_batch_ = false;
  batch_broken_ = false;
  std::vector<int64_t> acks = std::move(pending_acks_);
  pending_acks_.clear();
  // Only now that the batch's effects are durable do its items leave the
  // inbox. Failing here, they are processed again (idempotent).
  if (status.ok()) status = inbox_->Remove(acks);
  batch_lock_ = {};  // the lock_guard above still holds mu_ until return
  return status;
}

void SqliteStore::AbortBatch() {
  std::lock_guard lock(mu_);
  if (!in_batch_) return;
  RollbackQuietly(*session_);
  in_batch_ = false;
  batch_broken_ = false;
  pending_acks_.clear();
  batch_lock_ = {};
}

Status SqliteStore::Run(const std::string& op, bool transaction,
                        const std::function<Status(Session&)>& body) {
  std::lock_guard lock(mu_);
  Session& s = *session_;
  const bool savepoint = transaction && in_batch_;
  const bool own_transaction = transaction && !in_batch_;
  // Undoes this call only: its savepoint inside a batch, else its transaction.
  auto undo = [&] {
    if (own_transaction) {
      RollbackQuietly(s);
    } else if (savepoint && !RollbackToSavepoint(s)) {
      RollbackQuietly(s);  // the batch is lost: CommitBatch reports it
      batch_broken_ = true;
    }
  };
  if (in_batch_ && batch_broken_) {
    return UnavailableError("sqlite " + op + ": the batch was rolled back after an error");
  }
  try {
    if (own_transaction) s.begin();
    if (savepoint) s << "SAVEPOINT store_call", now;
    Status status = body(s);
    if (status.ok()) {
      if (own_transaction) s.commit();
      if (savepoint) s << "RELEASE SAVEPOINT store_call", now;
    } else {
      undo();
    }
    return status.WithContext("sqlite " + op);
  } catch (...) {
    undo();
    return SqliteExceptionStatus(op);
  }
}

namespace {

// Moves the rows of the store file's inbox table (where versions before the
// inbox file kept them) into the inbox file, ids kept. Copied first, deleted
// after: a crash in between leaves them in both, and the copy is ignored.
Status MoveLegacyInbox(Session& session, SqliteInbox& inbox, const std::string& path) {
  try {
    const std::vector<InboxItem> items =
        SelectInboxItems(session, std::numeric_limits<size_t>::max());
    if (items.empty()) return Status::Ok();
    RETURN_IF_ERROR(inbox.Adopt(items));
    session << "DELETE FROM inbox", now;
    return Status::Ok();
  } catch (...) {
    return SqliteExceptionStatus("open " + path + ": moving the inbox to its own file");
  }
}

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<Session> session, OpenSqliteSession(path));
  StatusOr<int> version = MigrateSqliteSchema(*session, path);
  if (!version.ok()) return version.status();
  ASSIGN_OR_RETURN(std::unique_ptr<SqliteInbox> inbox,
                   SqliteInbox::Open(SqliteInbox::PathFor(path)));
  RETURN_IF_ERROR(MoveLegacyInbox(*session, *inbox, path));
  return std::unique_ptr<Store>(
      std::make_unique<SqliteStore>(std::move(session), std::move(inbox), path));
}

// ---- Facts and patients ----

StatusOr<UpsertOutcome> SqliteStore::UpsertSource(const SourceFacts& source) {
  const std::string payload = EncodeSourcePayload(source);
  return RunFor<UpsertOutcome>(
      "UpsertSource " + Ref(source.resource_type, source.resource_id), true,
      [&](Session& s) -> StatusOr<UpsertOutcome> {
        std::vector<std::string> versions, instants, payloads;
        s << "SELECT version_id, last_updated, payload FROM sources"
             " WHERE resource_type = ? AND resource_id = ?",
            bind(source.resource_type), bind(source.resource_id), into(versions), into(instants),
            into(payloads), now;
        UpsertOutcome outcome = UpsertOutcome::kInserted;
        if (!versions.empty()) {
          StatusOr<VersionOrder> order =
              CompareSourceVersions(versions[0], instants[0], payloads[0], source, payload);
          if (!order.ok()) return order.status();
          if (*order == VersionOrder::kOlder) return UpsertOutcome::kStale;
          if (*order == VersionOrder::kSame) return UpsertOutcome::kUnchanged;
          outcome = UpsertOutcome::kReplaced;
        } else {
          StatusOr<VersionOrder> valid = CompareSourceVersions("", "", "", source, payload);
          if (!valid.ok()) return valid.status();
        }
        const auto fact_count = static_cast<Poco::Int64>(FactItemCount(source));
        // INSERT or UPDATE, never INSERT OR REPLACE: the fact_total triggers
        // (schema version 3) see inserts and updates; REPLACE's delete fires none.
        if (outcome == UpsertOutcome::kInserted) {
          s << "INSERT INTO sources (resource_type, resource_id, patient_id, version_id,"
               " last_updated, retracted, fact_count, payload) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
              bind(source.resource_type), bind(source.resource_id), bind(source.patient_id),
              bind(source.version_id), bind(source.last_updated), bind(fact_count), bind(payload),
              now;
        } else {
          s << "UPDATE sources SET patient_id = ?, version_id = ?, last_updated = ?,"
               " retracted = 0, fact_count = ?, payload = ?"
               " WHERE resource_type = ? AND resource_id = ?",
              bind(source.patient_id), bind(source.version_id), bind(source.last_updated),
              bind(fact_count), bind(payload), bind(source.resource_type), bind(source.resource_id),
              now;
        }
        if (!source.patient_id.empty()) {
          EnsurePatient(s, source.patient_id);
          MarkDirtyInTransaction(s, source.patient_id);
        }
        return outcome;
      });
}

StatusOr<RetractOutcome> SqliteStore::RetractSource(const std::string& resource_type,
                                                    const std::string& resource_id) {
  return RunFor<RetractOutcome>(
      "RetractSource " + Ref(resource_type, resource_id), true,
      [&](Session& s) -> StatusOr<RetractOutcome> {
        std::vector<std::string> patients, payloads;
        s << "SELECT patient_id, payload FROM sources"
             " WHERE resource_type = ? AND resource_id = ? AND retracted = 0",
            bind(resource_type), bind(resource_id), into(patients), into(payloads), now;
        RetractOutcome out;
        if (patients.empty()) return out;
        SourceFacts stored;
        stored.resource_type = resource_type;
        stored.resource_id = resource_id;
        stored.patient_id = patients[0];
        RETURN_IF_ERROR(DecodeSourcePayload(payloads[0], &stored));
        out.found = true;
        out.patient_id = patients[0];
        out.ai_medication = HasAiMedication(stored);
        SourceFacts tombstone;
        const std::string empty_payload = EncodeSourcePayload(tombstone);
        s << "UPDATE sources SET retracted = 1, fact_count = 0, payload = ?"
             " WHERE resource_type = ? AND resource_id = ?",
            bind(empty_payload), bind(resource_type), bind(resource_id), now;
        if (out.ai_medication && !out.patient_id.empty()) {
          EnsurePatient(s, out.patient_id);
          s << "UPDATE patients SET ai_medication_retracted = 1 WHERE patient_id = ?",
              bind(out.patient_id), now;
        }
        if (!out.patient_id.empty()) {
          EnsurePatient(s, out.patient_id);
          MarkDirtyInTransaction(s, out.patient_id);
        }
        return out;
      });
}

StatusOr<rules::PatientRecord> SqliteStore::LoadRecord(const std::string& patient_id) {
  return RunFor<rules::PatientRecord>(
      "LoadRecord Patient/" + patient_id, false, [&](Session& s) -> StatusOr<rules::PatientRecord> {
        std::vector<std::string> types, ids, payloads;
        s << "SELECT resource_type, resource_id, payload FROM sources"
             " WHERE patient_id = ? AND retracted = 0 ORDER BY resource_type, resource_id",
            bind(patient_id), into(types), into(ids), into(payloads), now;
        rules::PatientRecord record;
        record.patient_id = patient_id;
        for (size_t i = 0; i < types.size(); ++i) {
          SourceFacts source;
          source.patient_id = patient_id;
          source.resource_type = types[i];
          source.resource_id = ids[i];
          RETURN_IF_ERROR(DecodeSourcePayload(payloads[i], &source));
          auto append = [](auto& to, auto& from) {
            to.insert(to.end(), std::make_move_iterator(from.begin()),
                      std::make_move_iterator(from.end()));
          };
          append(record.facts, source.facts);
          append(record.medications, source.medications);
          append(record.risk_factors, source.risk_factors);
          if (source.demographics && source.resource_type == "Patient") {
            record.demographics = *source.demographics;
          }
        }
        std::vector<int> retracted;
        s << "SELECT ai_medication_retracted FROM patients WHERE patient_id = ?", bind(patient_id),
            into(retracted), now;
        record.ai_medication_retracted = !retracted.empty() && retracted[0] != 0;
        return record;
      });
}

StatusOr<std::vector<std::string>> SqliteStore::PatientIds() {
  return RunFor<std::vector<std::string>>(
      "PatientIds", false, [&](Session& s) -> StatusOr<std::vector<std::string>> {
        std::vector<std::string> ids;
        s << "SELECT patient_id FROM patients ORDER BY patient_id", into(ids), now;
        return ids;
      });
}

StatusOr<std::vector<std::pair<std::string, std::string>>> SqliteStore::ListSources(
    const std::string& after_type, const std::string& after_id, size_t limit) {
  using Keys = std::vector<std::pair<std::string, std::string>>;
  return RunFor<Keys>("ListSources", false, [&](Session& s) -> StatusOr<Keys> {
    std::vector<std::string> types;
    std::vector<std::string> ids;
    const Poco::Int64 n = static_cast<Poco::Int64>(limit);
    // The primary key's order; the row value comparison uses the primary key index.
    s << "SELECT resource_type, resource_id FROM sources WHERE retracted = 0 AND"
         " (resource_type, resource_id) > (?, ?) ORDER BY resource_type, resource_id LIMIT ?",
        bind(after_type), bind(after_id), bind(n), into(types), into(ids), now;
    Keys keys;
    keys.reserve(types.size());
    for (size_t i = 0; i < types.size(); ++i) keys.emplace_back(types[i], ids[i]);
    return keys;
  });
}

StatusOr<uint64_t> SqliteStore::FactCount() {
  return RunFor<uint64_t>("FactCount", false, [&](Session& s) -> StatusOr<uint64_t> {
    Poco::Int64 n = 0;
    s << "SELECT n FROM fact_total WHERE id = 1", into(n), now;  // kept by triggers
    return static_cast<uint64_t>(n);
  });
}

StatusOr<bool> SqliteStore::HistoryFetched(const std::string& patient_id) {
  return RunFor<bool>("HistoryFetched Patient/" + patient_id, false,
                      [&](Session& s) -> StatusOr<bool> {
                        std::vector<int> fetched;
                        s << "SELECT history_fetched FROM patients WHERE patient_id = ?",
                            bind(patient_id), into(fetched), now;
                        return !fetched.empty() && fetched[0] != 0;
                      });
}

Status SqliteStore::SetHistoryFetched(const std::string& patient_id) {
  return Run("SetHistoryFetched Patient/" + patient_id, true, [&](Session& s) {
    EnsurePatient(s, patient_id);
    s << "UPDATE patients SET history_fetched = 1 WHERE patient_id = ?", bind(patient_id), now;
    return Status::Ok();
  });
}

Status SqliteStore::SetNextEvaluation(const std::string& patient_id,
                                      std::optional<rules::Date> date) {
  return Run("SetNextEvaluation Patient/" + patient_id, true, [&](Session& s) {
    EnsurePatient(s, patient_id);
    if (date) {
      s << "UPDATE patients SET next_evaluation = ? WHERE patient_id = ?",
          bind(static_cast<Poco::Int64>(date->days())), bind(patient_id), now;
    } else {
      s << "UPDATE patients SET next_evaluation = NULL WHERE patient_id = ?", bind(patient_id), now;
    }
    return Status::Ok();
  });
}

StatusOr<std::vector<std::string>> SqliteStore::DueForEvaluation(rules::Date today) {
  return RunFor<std::vector<std::string>>(
      "DueForEvaluation", false, [&](Session& s) -> StatusOr<std::vector<std::string>> {
        std::vector<std::string> ids;
        s << "SELECT patient_id FROM patients"
             " WHERE next_evaluation IS NOT NULL AND next_evaluation <= ?"
             " ORDER BY next_evaluation, patient_id",
            bind(static_cast<Poco::Int64>(today.days())), into(ids), now;
        return ids;
      });
}

}  // namespace bonewatch::adapter
