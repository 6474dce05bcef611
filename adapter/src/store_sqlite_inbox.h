// SqliteInbox: the durable inbox of the SQLite store, in a file of its own.
// Private to SqliteStore (store_sqlite.h).
//
// Why a second file: the notification endpoint answers a FHIR server only
// after the notification is durable (Store::Enqueue), and servers deliver one
// notification at a time per Subscription, so every slow answer delays the
// ones behind it. In the store's file the INSERT had to wait for SQLite's
// write lock, which an inbox or evaluation batch holds from its first write to
// its COMMIT (tens of ms at 100 notifications/s; issue 13 item 10 measured a
// p50 of 293 ms from "Observation committed" to "rest-hook answered").
// SQLite has one writer per database file, so a second connection to the same
// file would wait just the same. This file has its own connection, its own
// mutex and its own write lock: an Enqueue is one short WAL transaction (one
// fsync, ~0.5 ms here) whatever the batches do.
//
// The file is "<store path>.inbox" (":memory:" for ":memory:"), WAL,
// synchronous=FULL, PRAGMA user_version = 1. Its ids continue the store's:
// rows of the store file's legacy inbox table are moved here at open, ids kept.
//
// Acknowledgement across the two files: SqliteStore defers an ack made inside
// a batch until that batch has committed (store.h), so an item leaves the inbox
// only after its effects are durable. A crash between the two commits leaves
// the item to be processed again, which is idempotent (same version =
// unchanged, one dead letter per version).
//
// Thread-safety: every method locks the inbox's own mutex; never the store's.
#pragma once

#include <Poco/Data/LOB.h>
#include <Poco/Data/Session.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store.h"

namespace bonewatch::adapter {

class SqliteInbox {
 public:
  // Opens (creating if needed) the inbox file; "sqlite open <path>: ..." on failure.
  static StatusOr<std::unique_ptr<SqliteInbox>> Open(const std::string& path);
  // The inbox file of the store file `store_path`.
  static std::string PathFor(const std::string& store_path);

  StatusOr<int64_t> Enqueue(const InboxItem& item);
  // Inserts `items` with their ids, in one transaction (the move from the store file). An id
  // already taken by the same item (received_at and body) is skipped, by another item gets
  // a new id: nothing is lost.
  Status Adopt(const std::vector<InboxItem>& items);
  StatusOr<std::vector<InboxItem>> Peek(size_t limit);
  // Removes the items (ids not present are ignored), in one transaction.
  Status Remove(const std::vector<int64_t>& ids);
  Status Fail(int64_t id, const std::string& error);
  // Kept in memory (counted at open, then +1/-n, and corrected by every Peek for
  // the items other processes added): the endpoint reads it after every Enqueue,
  // and COUNT(*) is linear in the backlog.
  uint64_t Depth() const { return depth_.load(); }

  SqliteInbox(std::unique_ptr<Poco::Data::Session> session, std::string path, uint64_t depth);

 private:
  Status Run(const std::string& op, bool transaction,
             const std::function<Status(Poco::Data::Session&)>& body);

  std::mutex mu_;
  std::unique_ptr<Poco::Data::Session> session_;  // GUARDED_BY(mu_)
  const std::string path_;
  std::atomic<uint64_t> depth_;
};

// Opens a SQLite session on `path` with the store's settings: busy_timeout 5 s,
// WAL (":memory:" reports "memory"), synchronous=FULL, foreign keys on.
StatusOr<std::unique_ptr<Poco::Data::Session>> OpenSqliteSession(const std::string& path);

// The oldest `limit` rows of the `inbox` table of `s` (the inbox file's, or the store file's
// legacy one), in id order. Throws Poco exceptions.
std::vector<InboxItem> SelectInboxItems(Poco::Data::Session& s, size_t limit);

// Bodies and payloads are BLOBs: they may hold any bytes.
Poco::Data::BLOB ToSqliteBlob(const std::string& bytes);
std::string FromSqliteBlob(const Poco::Data::BLOB& blob);

// Inside a catch block: the current exception as a Status "sqlite <op>: ...":
// kUnavailable for a locked database/table, I/O errors and a full disk (worth
// a retry), kInternal otherwise.
Status SqliteExceptionStatus(const std::string& op);

}  // namespace bonewatch::adapter
