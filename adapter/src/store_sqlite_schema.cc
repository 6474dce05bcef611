#include "store_sqlite_schema.h"

#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

#include <exception>

namespace bonewatch::adapter {

using namespace Poco::Data::Keywords;  // NOLINT(google-build-using-namespace): into/bind/now

const std::vector<SqliteMigration>& SqliteMigrations() {
  static const std::vector<SqliteMigration> kMigrations = {
      {1,
       {
           // One row per source resource; its facts are one JSON blob (store_codec.h).
           // A retracted source keeps its version as a tombstone (retracted = 1, no facts).
           "CREATE TABLE sources ("
           " resource_type TEXT NOT NULL, resource_id TEXT NOT NULL,"
           " patient_id TEXT NOT NULL, version_id TEXT NOT NULL, last_updated TEXT NOT NULL,"
           " retracted INTEGER NOT NULL DEFAULT 0, fact_count INTEGER NOT NULL DEFAULT 0,"
           " payload TEXT NOT NULL,"
           " PRIMARY KEY (resource_type, resource_id)) WITHOUT ROWID",
           "CREATE INDEX sources_by_patient ON sources (patient_id)",
           // next_evaluation: days since 1970-01-01 (rules::Date::days()), NULL = none.
           "CREATE TABLE patients ("
           " patient_id TEXT PRIMARY KEY, history_fetched INTEGER NOT NULL DEFAULT 0,"
           " ai_medication_retracted INTEGER NOT NULL DEFAULT 0, next_evaluation INTEGER)"
           " WITHOUT ROWID",
           "CREATE INDEX patients_by_next_evaluation ON patients (next_evaluation)"
           " WHERE next_evaluation IS NOT NULL",
           "CREATE TABLE dirty (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
           " patient_id TEXT NOT NULL UNIQUE)",
           "CREATE TABLE written ("
           " identifier TEXT PRIMARY KEY, resource_type TEXT NOT NULL, patient_id TEXT NOT NULL,"
           " server_id TEXT NOT NULL, version_id TEXT NOT NULL, content_hash TEXT NOT NULL,"
           " status TEXT NOT NULL, human_edited INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID",
           "CREATE INDEX written_by_patient ON written (patient_id)",
           // Bodies are BLOBs: a notification body may hold any bytes.
           "CREATE TABLE inbox (id INTEGER PRIMARY KEY AUTOINCREMENT,"
           " received_at TEXT NOT NULL, origin TEXT NOT NULL, headers_json TEXT NOT NULL,"
           " body BLOB, hint TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
           " last_error TEXT NOT NULL DEFAULT '')",
           "CREATE TABLE dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT,"
           " created_at TEXT NOT NULL, origin TEXT NOT NULL, resource TEXT NOT NULL,"
           " reason_code TEXT NOT NULL, reason TEXT NOT NULL, payload BLOB)",
           "CREATE TABLE cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
       }},
      {2,
       {
           // Dirty marks stay until their write-back succeeded (store.h): each mark
           // carries the generation of the newest MarkDirty; ClearDirty removes it
           // only at that generation. Marks of version 1 get generation 0.
           "ALTER TABLE dirty ADD COLUMN generation INTEGER NOT NULL DEFAULT 0",
           // One row: the last generation handed out (never reused, even when the
           // dirty table is empty).
           "CREATE TABLE dirty_generation (id INTEGER PRIMARY KEY CHECK (id = 1),"
           " last INTEGER NOT NULL)",
           "INSERT INTO dirty_generation (id, last) VALUES (1, 0)",
       }},
      {3,
       {
           // The facts gauge as a running total, kept in the same transaction as
           // every change of sources.fact_count (a SUM over sources is a full
           // scan: ~110 ms at 100k patients). UpsertSource inserts or updates,
           // never REPLACEs (whose implicit delete fires no trigger).
           "CREATE TABLE fact_total (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)",
           "INSERT INTO fact_total (id, n) SELECT 1, COALESCE(SUM(fact_count), 0) FROM sources",
           "CREATE TRIGGER sources_fact_total_insert AFTER INSERT ON sources BEGIN"
           " UPDATE fact_total SET n = n + NEW.fact_count WHERE id = 1; END",
           "CREATE TRIGGER sources_fact_total_update AFTER UPDATE OF fact_count ON sources BEGIN"
           " UPDATE fact_total SET n = n + NEW.fact_count - OLD.fact_count WHERE id = 1; END",
           "CREATE TRIGGER sources_fact_total_delete AFTER DELETE ON sources BEGIN"
           " UPDATE fact_total SET n = n - OLD.fact_count WHERE id = 1; END",
       }},
      {4,
       {
           // One dead letter per refused input (DeadLetter::key, '' = never merged):
           // a version re-read by every poll used to add a letter each time.
           "ALTER TABLE dead_letters ADD COLUMN dedup_key TEXT NOT NULL DEFAULT ''",
           "ALTER TABLE dead_letters ADD COLUMN times_seen INTEGER NOT NULL DEFAULT 1",
           "ALTER TABLE dead_letters ADD COLUMN last_seen_at TEXT NOT NULL DEFAULT ''",
           // The letters kept so far: rejected resource versions get their key, and
           // their repeats collapse into the first letter (which counts them).
           "UPDATE dead_letters SET dedup_key = resource || '/_history/' ||"
           " json_extract(CAST(payload AS TEXT), '$.meta.versionId')"
           " WHERE reason_code LIKE 'rejected:%' AND resource <> ''"
           " AND json_valid(CAST(payload AS TEXT))"
           " AND json_type(CAST(payload AS TEXT), '$.meta.versionId') = 'text'"
           " AND json_extract(CAST(payload AS TEXT), '$.meta.versionId') <> ''",
           "UPDATE dead_letters SET"
           " times_seen = (SELECT COUNT(*) FROM dead_letters d"
           " WHERE d.dedup_key = dead_letters.dedup_key),"
           " last_seen_at = (SELECT MAX(created_at) FROM dead_letters d"
           " WHERE d.dedup_key = dead_letters.dedup_key)"
           " WHERE dedup_key <> ''",
           "DELETE FROM dead_letters WHERE dedup_key <> '' AND id <> (SELECT MIN(id)"
           " FROM dead_letters d WHERE d.dedup_key = dead_letters.dedup_key)",
           "UPDATE dead_letters SET last_seen_at = created_at WHERE last_seen_at = ''",
           "CREATE UNIQUE INDEX dead_letters_by_key ON dead_letters (dedup_key)"
           " WHERE dedup_key <> ''",
       }},
  };
  return kMigrations;
}

void RollbackQuietly(Poco::Data::Session& session) {
  try {
    if (session.isTransaction()) session.rollback();
  } catch (...) {  // NOLINT(bugprone-empty-catch): the original error is reported
  }
}

StatusOr<int> MigrateSqliteSchema(Poco::Data::Session& session, const std::string& path) {
  int current = 0;
  int applying = 0;
  try {
    session << "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", now;
    std::vector<int> versions;
    session << "SELECT COALESCE(MAX(version), 0) FROM schema_version", into(versions), now;
    current = versions.empty() ? 0 : versions[0];
    const int latest = SqliteMigrations().empty() ? 0 : SqliteMigrations().back().version;
    if (current > latest) {
      return FailedPreconditionError("sqlite open " + path + ": schema version " +
                                     std::to_string(current) + " is newer than this build's " +
                                     std::to_string(latest) + " (downgrade?)");
    }
    for (const SqliteMigration& migration : SqliteMigrations()) {
      if (migration.version <= current) continue;
      applying = migration.version;
      session.begin();
      for (const std::string& sql : migration.statements) session << sql, now;
      session << "INSERT INTO schema_version (version) VALUES (?)", bind(migration.version), now;
      session.commit();
      current = migration.version;
    }
    return current;
  } catch (const Poco::Exception& e) {
    RollbackQuietly(session);
    return UnavailableError("sqlite open " + path + ": migration " + std::to_string(applying) +
                            ": " + e.displayText());
  } catch (const std::exception& e) {
    RollbackQuietly(session);
    return InternalError("sqlite open " + path + ": migration " + std::to_string(applying) + ": " +
                         e.what());
  }
}

}  // namespace bonewatch::adapter
