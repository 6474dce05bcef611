// SqliteStore: what was written, the inbox, dead letters and cursors
// (store_sqlite.h).
#include <Poco/Data/LOB.h>

#include <algorithm>
#include <limits>

#include "store_sqlite.h"

namespace bonewatch::adapter {

using namespace Poco::Data::Keywords;  // NOLINT(google-build-using-namespace): into/bind/now
using Poco::Data::BLOB;
using Poco::Data::Session;

namespace {

Poco::Int64 SqlLimit(size_t limit) {
  return static_cast<Poco::Int64>(
      std::min<size_t>(limit, static_cast<size_t>(std::numeric_limits<Poco::Int64>::max())));
}

constexpr const char* kWrittenColumns =
    "SELECT identifier, resource_type, patient_id, server_id, version_id, content_hash, status,"
    " human_edited FROM written ";

std::vector<WrittenResource> SelectWritten(Session& s, const std::string& where,
                                           const std::string& key) {
  std::vector<std::string> identifier, type, patient, server, version, hash, status;
  std::vector<int> edited;
  s << std::string(kWrittenColumns) + where, bind(key), into(identifier), into(type), into(patient),
      into(server), into(version), into(hash), into(status), into(edited), now;
  std::vector<WrittenResource> out;
  for (size_t i = 0; i < identifier.size(); ++i) {
    out.push_back(WrittenResource{identifier[i], type[i], patient[i], server[i], version[i],
                                  hash[i], status[i], edited[i] != 0});
  }
  return out;
}

}  // namespace

// ---- What was written ----

StatusOr<std::optional<WrittenResource>> SqliteStore::GetWritten(const std::string& identifier) {
  return RunFor<std::optional<WrittenResource>>(
      "GetWritten " + identifier, false,
      [&](Session& s) -> StatusOr<std::optional<WrittenResource>> {
        std::vector<WrittenResource> rows = SelectWritten(s, "WHERE identifier = ?", identifier);
        if (rows.empty()) return std::optional<WrittenResource>();
        return std::optional<WrittenResource>(std::move(rows[0]));
      });
}

StatusOr<std::vector<WrittenResource>> SqliteStore::WrittenForPatient(
    const std::string& patient_id) {
  return RunFor<std::vector<WrittenResource>>(
      "WrittenForPatient Patient/" + patient_id, false,
      [&](Session& s) -> StatusOr<std::vector<WrittenResource>> {
        return SelectWritten(s, "WHERE patient_id = ? ORDER BY identifier", patient_id);
      });
}

Status SqliteStore::PutWritten(const WrittenResource& w) {
  if (w.identifier.empty()) return InvalidArgumentError("sqlite PutWritten: empty identifier");
  return Run("PutWritten " + w.identifier, false, [&](Session& s) {
    const int edited = w.human_edited ? 1 : 0;
    s << "INSERT OR REPLACE INTO written (identifier, resource_type, patient_id, server_id,"
         " version_id, content_hash, status, human_edited) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        bind(w.identifier), bind(w.resource_type), bind(w.patient_id), bind(w.server_id),
        bind(w.version_id), bind(w.content_hash), bind(w.status), bind(edited), now;
    return Status::Ok();
  });
}

// ---- Inbox (store_sqlite_inbox.h) ----

StatusOr<int64_t> SqliteStore::Enqueue(const InboxItem& item) { return inbox_->Enqueue(item); }

StatusOr<std::vector<InboxItem>> SqliteStore::PeekInbox(size_t limit) {
  return inbox_->Peek(limit);
}

Status SqliteStore::AckInbox(int64_t id) {
  {
    std::lock_guard lock(mu_);  // the batch's owner already holds it (recursive)
    if (in_batch_) {
      pending_acks_.push_back(id);
      return Status::Ok();
    }
  }
  return inbox_->Remove({id});
}

Status SqliteStore::FailInbox(int64_t id, const std::string& error) {
  return inbox_->Fail(id, error);
}

StatusOr<uint64_t> SqliteStore::InboxDepth() { return inbox_->Depth(); }

// ---- Dead letters ----

StatusOr<DeadLetterAdded> SqliteStore::AddDeadLetter(const DeadLetter& d) {
  return RunFor<DeadLetterAdded>(
      "AddDeadLetter " + d.resource, true, [&](Session& s) -> StatusOr<DeadLetterAdded> {
        if (!d.key.empty()) {
          std::vector<Poco::Int64> kept;
          s << "SELECT id FROM dead_letters WHERE dedup_key = ?", bind(d.key), into(kept), now;
          if (!kept.empty()) {
            s << "UPDATE dead_letters SET reason_code = ?, reason = ?, last_seen_at = ?,"
                 " times_seen = times_seen + 1 WHERE id = ?",
                bind(d.reason_code), bind(d.reason), bind(d.created_at), bind(kept[0]), now;
            return DeadLetterAdded{static_cast<int64_t>(kept[0]), false};
          }
        }
        const std::string last_seen = d.last_seen_at.empty() ? d.created_at : d.last_seen_at;
        const Poco::Int64 times_seen = d.times_seen < 1 ? 1 : d.times_seen;
        s << "INSERT INTO dead_letters (created_at, origin, resource, reason_code, reason,"
             " payload, dedup_key, times_seen, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            bind(d.created_at), bind(d.origin), bind(d.resource), bind(d.reason_code),
            bind(d.reason), bind(ToSqliteBlob(d.payload)), bind(d.key), bind(times_seen),
            bind(last_seen), now;
        Poco::Int64 id = 0;
        s << "SELECT last_insert_rowid()", into(id), now;
        return DeadLetterAdded{static_cast<int64_t>(id), true};
      });
}

namespace {
std::vector<DeadLetter> SelectDeadLetters(Session& s, const std::string& tail, Poco::Int64 key) {
  std::vector<Poco::Int64> id, times_seen;
  std::vector<std::string> created, origin, resource, code, reason, dedup_key, last_seen;
  std::vector<BLOB> payload;
  s << "SELECT id, created_at, origin, resource, reason_code, reason, payload, dedup_key,"
       " times_seen, last_seen_at FROM dead_letters " +
           tail,
      bind(key), into(id), into(created), into(origin), into(resource), into(code), into(reason),
      into(payload), into(dedup_key), into(times_seen), into(last_seen), now;
  std::vector<DeadLetter> out;
  for (size_t i = 0; i < id.size(); ++i) {
    DeadLetter letter;
    letter.id = id[i];
    letter.created_at = std::move(created[i]);
    letter.origin = std::move(origin[i]);
    letter.resource = std::move(resource[i]);
    letter.reason_code = std::move(code[i]);
    letter.reason = std::move(reason[i]);
    letter.payload = FromSqliteBlob(payload[i]);
    letter.key = std::move(dedup_key[i]);
    letter.times_seen = times_seen[i];
    letter.last_seen_at = std::move(last_seen[i]);
    out.push_back(std::move(letter));
  }
  return out;
}
}  // namespace

StatusOr<std::vector<DeadLetter>> SqliteStore::ListDeadLetters(size_t limit) {
  return RunFor<std::vector<DeadLetter>>(
      "ListDeadLetters", false, [&](Session& s) -> StatusOr<std::vector<DeadLetter>> {
        return SelectDeadLetters(s, "ORDER BY id LIMIT ?", SqlLimit(limit));
      });
}

StatusOr<DeadLetter> SqliteStore::TakeDeadLetter(int64_t id) {
  return RunFor<DeadLetter>(
      "TakeDeadLetter " + std::to_string(id), true, [&](Session& s) -> StatusOr<DeadLetter> {
        std::vector<DeadLetter> rows = SelectDeadLetters(s, "WHERE id = ?", id);
        if (rows.empty()) return NotFoundError("no dead letter " + std::to_string(id));
        s << "DELETE FROM dead_letters WHERE id = ?", bind(static_cast<Poco::Int64>(id)), now;
        return std::move(rows[0]);
      });
}

StatusOr<uint64_t> SqliteStore::DeadLetterDepth() {
  return RunFor<uint64_t>("DeadLetterDepth", false, [&](Session& s) -> StatusOr<uint64_t> {
    Poco::Int64 n = 0;
    s << "SELECT COUNT(*) FROM dead_letters", into(n), now;
    return static_cast<uint64_t>(n);
  });
}

// ---- Cursors ----

StatusOr<std::optional<std::string>> SqliteStore::GetCursor(const std::string& name) {
  return RunFor<std::optional<std::string>>(
      "GetCursor " + name, false, [&](Session& s) -> StatusOr<std::optional<std::string>> {
        std::vector<std::string> values;
        s << "SELECT value FROM cursors WHERE name = ?", bind(name), into(values), now;
        if (values.empty()) return std::optional<std::string>();
        return std::optional<std::string>(values[0]);
      });
}

Status SqliteStore::SetCursor(const std::string& name, const std::string& value) {
  return Run("SetCursor " + name, false, [&](Session& s) {
    s << "INSERT OR REPLACE INTO cursors (name, value) VALUES (?, ?)", bind(name), bind(value), now;
    return Status::Ok();
  });
}

}  // namespace bonewatch::adapter
