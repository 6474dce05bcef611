// SqliteInbox (store_sqlite_inbox.h), and the session opening and exception
// conversion that it shares with SqliteStore.
#include "store_sqlite_inbox.h"

#include <Poco/Data/LOB.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Exception.h>

#include <algorithm>
#include <exception>
#include <limits>

#include "store_sqlite_schema.h"

namespace bonewatch::adapter {

using namespace Poco::Data::Keywords;  // NOLINT(google-build-using-namespace): into/bind/now
using Poco::Data::BLOB;
using Poco::Data::Session;

namespace {

constexpr int kInboxFileVersion = 1;

}  // namespace

BLOB ToSqliteBlob(const std::string& bytes) {
  return BLOB(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}
std::string FromSqliteBlob(const BLOB& blob) {
  if (blob.size() == 0) return {};
  return std::string(reinterpret_cast<const char*>(blob.rawContent()), blob.size());
}

Status SqliteExceptionStatus(const std::string& op) {
  try {
    throw;
  } catch (const Poco::Data::SQLite::DBLockedException& e) {
    return UnavailableError("sqlite " + op + ": database is locked (" + e.displayText() + ")");
  } catch (const Poco::Data::SQLite::TableLockedException& e) {
    return UnavailableError("sqlite " + op + ": table is locked (" + e.displayText() + ")");
  } catch (const Poco::Data::SQLite::IOErrorException& e) {
    return UnavailableError("sqlite " + op + ": " + e.displayText());
  } catch (const Poco::Data::SQLite::DatabaseFullException& e) {
    return UnavailableError("sqlite " + op + ": " + e.displayText());
  } catch (const Poco::Exception& e) {
    return InternalError("sqlite " + op + ": " + e.displayText());
  } catch (const std::exception& e) {
    return InternalError("sqlite " + op + ": " + e.what());
  } catch (...) {
    return InternalError("sqlite " + op + ": unknown exception");
  }
}

std::vector<InboxItem> SelectInboxItems(Session& s, size_t limit) {
  std::vector<Poco::Int64> id;
  std::vector<std::string> received, origin, headers, hint, error;
  std::vector<BLOB> body;
  std::vector<int> attempts;
  const auto n = static_cast<Poco::Int64>(
      std::min<size_t>(limit, static_cast<size_t>(std::numeric_limits<Poco::Int64>::max())));
  s << "SELECT id, received_at, origin, headers_json, body, hint, attempts, last_error"
       " FROM inbox ORDER BY id LIMIT ?",
      bind(n), into(id), into(received), into(origin), into(headers), into(body), into(hint),
      into(attempts), into(error), now;
  std::vector<InboxItem> out;
  out.reserve(id.size());
  for (size_t i = 0; i < id.size(); ++i) {
    out.push_back(InboxItem{id[i], received[i], origin[i], headers[i], FromSqliteBlob(body[i]),
                            hint[i], attempts[i], error[i]});
  }
  return out;
}

StatusOr<std::unique_ptr<Session>> OpenSqliteSession(const std::string& path) {
  try {
    Poco::Data::SQLite::Connector::registerConnector();  // idempotent
    // Poco retries a failed open for the whole login timeout (60 s by default);
    // a local file either opens at once or never.
    constexpr std::size_t kOpenTimeoutSeconds = 3;
    auto session = std::make_unique<Session>("SQLite", path, kOpenTimeoutSeconds);
    int busy_timeout = 0;
    std::string journal_mode;
    *session << "PRAGMA busy_timeout = 5000", into(busy_timeout), now;
    *session << "PRAGMA journal_mode = WAL", into(journal_mode), now;
    *session << "PRAGMA synchronous = FULL", now;
    *session << "PRAGMA foreign_keys = ON", now;
    std::transform(journal_mode.begin(), journal_mode.end(), journal_mode.begin(), ::tolower);
    // ":memory:" databases cannot use WAL and report "memory".
    if (journal_mode != "wal" && journal_mode != "memory") {
      return UnavailableError("sqlite open " + path + ": journal_mode is '" + journal_mode +
                              "', WAL could not be enabled");
    }
    return session;
  } catch (const Poco::Exception& e) {
    return UnavailableError("sqlite open " + path + ": " + e.displayText());
  } catch (const std::exception& e) {
    return InternalError("sqlite open " + path + ": " + e.what());
  }
}

std::string SqliteInbox::PathFor(const std::string& store_path) {
  if (store_path.empty() || store_path == ":memory:") return store_path;
  return store_path + ".inbox";
}

StatusOr<std::unique_ptr<SqliteInbox>> SqliteInbox::Open(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<Session> session, OpenSqliteSession(path));
  try {
    int version = 0;
    *session << "PRAGMA user_version", into(version), now;
    if (version > kInboxFileVersion) {
      return FailedPreconditionError("sqlite open " + path + ": inbox file version " +
                                     std::to_string(version) + " is newer than this bonewatch (" +
                                     std::to_string(kInboxFileVersion) + ")");
    }
    // The columns of the store file's inbox table (store_sqlite_schema.cc, version 1).
    *session << "CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                " received_at TEXT NOT NULL, origin TEXT NOT NULL, headers_json TEXT NOT NULL,"
                " body BLOB, hint TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
                " last_error TEXT NOT NULL DEFAULT '')",
        now;
    *session << "PRAGMA user_version = " + std::to_string(kInboxFileVersion), now;
    Poco::Int64 depth = 0;
    *session << "SELECT COUNT(*) FROM inbox", into(depth), now;
    return std::make_unique<SqliteInbox>(std::move(session), path, static_cast<uint64_t>(depth));
  } catch (...) {
    return SqliteExceptionStatus("open " + path);
  }
}

SqliteInbox::SqliteInbox(std::unique_ptr<Session> session, std::string path, uint64_t depth)
    : session_(std::move(session)), path_(std::move(path)), depth_(depth) {}

Status SqliteInbox::Run(const std::string& op, bool transaction,
                        const std::function<Status(Session&)>& body) {
  std::lock_guard lock(mu_);
  Session& s = *session_;
  try {
    if (transaction) s.begin();
    Status status = body(s);
    if (transaction) {
      if (status.ok()) {
        s.commit();
      } else {
        RollbackQuietly(s);
      }
    }
    return status.WithContext("sqlite " + op);
  } catch (...) {
    if (transaction) RollbackQuietly(s);
    return SqliteExceptionStatus(op);
  }
}

StatusOr<int64_t> SqliteInbox::Enqueue(const InboxItem& item) {
  Poco::Int64 id = 0;
  RETURN_IF_ERROR(Run("Enqueue " + item.origin, true, [&](Session& s) {
    s << "INSERT INTO inbox (received_at, origin, headers_json, body, hint, attempts, last_error)"
         " VALUES (?, ?, ?, ?, ?, ?, ?)",
        bind(item.received_at), bind(item.origin), bind(item.headers_json),
        bind(ToSqliteBlob(item.body)), bind(item.hint), bind(item.attempts), bind(item.last_error),
        now;
    s << "SELECT last_insert_rowid()", into(id), now;
    return Status::Ok();
  }));
  depth_.fetch_add(1);
  return static_cast<int64_t>(id);
}

Status SqliteInbox::Adopt(const std::vector<InboxItem>& items) {
  if (items.empty()) return Status::Ok();
  uint64_t added = 0;
  Status status = Run("adopt the store file's inbox", true, [&](Session& s) {
    added = 0;
    for (const InboxItem& item : items) {
      Poco::Data::Statement insert(s);
      insert << "INSERT OR IGNORE INTO inbox (id, received_at, origin, headers_json, body, hint,"
                " attempts, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          bind(static_cast<Poco::Int64>(item.id)), bind(item.received_at), bind(item.origin),
          bind(item.headers_json), bind(ToSqliteBlob(item.body)), bind(item.hint),
          bind(item.attempts), bind(item.last_error);
      if (insert.execute() == 1) {
        ++added;
        continue;
      }
      // The id is taken. The same item (a move interrupted by a crash, moved again) is
      // skipped; another one (the inbox file kept from before a downgrade and an upgrade,
      // whose ids went on separately) is kept under a new id, at the back of the queue.
      std::vector<std::string> received;
      std::vector<Poco::Data::BLOB> body;
      s << "SELECT received_at, body FROM inbox WHERE id = ?",
          bind(static_cast<Poco::Int64>(item.id)), into(received), into(body), now;
      if (!received.empty() && received[0] == item.received_at &&
          FromSqliteBlob(body[0]) == item.body) {
        continue;
      }
      s << "INSERT INTO inbox (received_at, origin, headers_json, body, hint, attempts,"
           " last_error) VALUES (?, ?, ?, ?, ?, ?, ?)",
          bind(item.received_at), bind(item.origin), bind(item.headers_json),
          bind(ToSqliteBlob(item.body)), bind(item.hint), bind(item.attempts),
          bind(item.last_error), now;
      ++added;
    }
    return Status::Ok();
  });
  if (status.ok()) depth_.fetch_add(added);
  return status;
}

StatusOr<std::vector<InboxItem>> SqliteInbox::Peek(size_t limit) {
  std::vector<InboxItem> out;
  RETURN_IF_ERROR(Run("PeekInbox", false, [&](Session& s) {
    out = SelectInboxItems(s, limit);
    // Other processes (`bonewatch dead-letters replay`, `backfill`) write this file too: a
    // short page is the whole inbox, a full one a lower bound, so the count corrects itself
    // at the worker's next look (under mu_: no Enqueue of ours in between).
    if (out.size() < limit) {
      depth_.store(out.size());
    } else if (depth_.load() < out.size()) {
      depth_.store(out.size());
    }
    return Status::Ok();
  }));
  return out;
}

Status SqliteInbox::Remove(const std::vector<int64_t>& ids) {
  if (ids.empty()) return Status::Ok();
  uint64_t removed = 0;
  Status status =
      Run("AckInbox " + std::to_string(ids.front()) +
              (ids.size() > 1 ? " and " + std::to_string(ids.size() - 1) + " more" : ""),
          true, [&](Session& s) {
            removed = 0;
            for (const int64_t id : ids) {
              Poco::Data::Statement remove(s);
              remove << "DELETE FROM inbox WHERE id = ?", bind(static_cast<Poco::Int64>(id));
              removed += remove.execute();
            }
            return Status::Ok();
          });
  if (status.ok()) depth_.fetch_sub(std::min<uint64_t>(removed, depth_.load()));
  return status;
}

Status SqliteInbox::Fail(int64_t id, const std::string& error) {
  return Run("FailInbox " + std::to_string(id), false, [&](Session& s) -> Status {
    Poco::Data::Statement update(s);
    update << "UPDATE inbox SET attempts = attempts + 1, last_error = ? WHERE id = ?", bind(error),
        bind(static_cast<Poco::Int64>(id));
    if (update.execute() == 0) return NotFoundError("no inbox item " + std::to_string(id));
    return Status::Ok();
  });
}

}  // namespace bonewatch::adapter
