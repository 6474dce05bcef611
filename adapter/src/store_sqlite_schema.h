// The SQLite store's schema: numbered migrations, applied in order at open.
//
// Each migration runs in one transaction together with the row that records
// its number in schema_version, so a crash leaves the file either before or
// after it. To add one: append {N+1, {"ALTER TABLE ...", ...}} to
// kSqliteMigrations in store_sqlite_schema.cc (never edit or reorder a
// released migration), keep the statements idempotent where they can be,
// update the readers/writers in store_sqlite*.cc, and extend
// SqliteStore.MigratesEmptyFileAndReopens in tests/adapter/store_test.cc.
// A file whose schema_version is newer than the last known migration is
// refused (a downgrade must not write into a schema it does not know).
//
// Thread-safety: REQUIRES the caller holds the store's session exclusively.
#pragma once

#include <Poco/Data/Session.h>

#include <string>
#include <vector>

#include "bonewatch/fhir/status.h"

namespace bonewatch::adapter {

struct SqliteMigration {
  int version;
  std::vector<std::string> statements;
};

const std::vector<SqliteMigration>& SqliteMigrations();

// Creates schema_version if needed and applies the missing migrations.
// Returns the resulting schema version. Never throws.
StatusOr<int> MigrateSqliteSchema(Poco::Data::Session& session, const std::string& path);

// Rolls back an open transaction, swallowing errors (the caller reports the
// one that made it roll back).
void RollbackQuietly(Poco::Data::Session& session);

}  // namespace bonewatch::adapter
