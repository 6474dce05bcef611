// SqliteStore: dirty marks kept until their write-back succeeded (store.h).
//
// Table dirty (seq, patient_id, generation): seq orders the queue (a new mark
// and a deferred one go to the back), generation identifies the newest mark.
// Generations come from the one-row table dirty_generation, so they are never
// reused, even after the queue was empty.
#include <algorithm>
#include <limits>

#include "store_sqlite.h"

namespace bonewatch::adapter {

using namespace Poco::Data::Keywords;  // NOLINT(google-build-using-namespace): into/bind/now
using Poco::Data::Session;

void MarkDirtyInTransaction(Session& s, const std::string& patient_id) {
  s << "UPDATE dirty_generation SET last = last + 1 WHERE id = 1", now;
  Poco::Int64 generation = 0;
  s << "SELECT last FROM dirty_generation WHERE id = 1", into(generation), now;
  s << "INSERT OR IGNORE INTO dirty (patient_id, generation) VALUES (?, ?)", bind(patient_id),
      bind(generation), now;
  s << "UPDATE dirty SET generation = ? WHERE patient_id = ?", bind(generation), bind(patient_id),
      now;
}

Status SqliteStore::MarkDirty(const std::string& patient_id) {
  return Run("MarkDirty Patient/" + patient_id, true, [&](Session& s) {
    EnsurePatient(s, patient_id);
    MarkDirtyInTransaction(s, patient_id);
    return Status::Ok();
  });
}

StatusOr<std::vector<DirtyMark>> SqliteStore::PeekDirty(size_t limit) {
  const auto sql_limit = static_cast<Poco::Int64>(
      std::min<size_t>(limit, static_cast<size_t>(std::numeric_limits<Poco::Int64>::max())));
  return RunFor<std::vector<DirtyMark>>(
      "PeekDirty", false, [&](Session& s) -> StatusOr<std::vector<DirtyMark>> {
        std::vector<std::string> ids;
        std::vector<Poco::Int64> generations;
        s << "SELECT patient_id, generation FROM dirty ORDER BY seq LIMIT ?", bind(sql_limit),
            into(ids), into(generations), now;
        std::vector<DirtyMark> marks;
        marks.reserve(ids.size());
        for (size_t i = 0; i < ids.size() && i < generations.size(); ++i) {
          marks.push_back(DirtyMark{ids[i], generations[i]});
        }
        return marks;
      });
}

Status SqliteStore::ClearDirty(const DirtyMark& mark) {
  const auto generation = static_cast<Poco::Int64>(mark.generation);
  return Run("ClearDirty Patient/" + mark.patient_id, true, [&](Session& s) {
    s << "DELETE FROM dirty WHERE patient_id = ? AND generation = ?", bind(mark.patient_id),
        bind(generation), now;
    return Status::Ok();
  });
}

Status SqliteStore::DeferDirty(const std::string& patient_id) {
  return Run("DeferDirty Patient/" + patient_id, true, [&](Session& s) {
    std::vector<Poco::Int64> generations;
    s << "SELECT generation FROM dirty WHERE patient_id = ?", bind(patient_id), into(generations),
        now;
    if (generations.empty()) return Status::Ok();
    const Poco::Int64 generation = generations[0];
    s << "DELETE FROM dirty WHERE patient_id = ?", bind(patient_id), now;
    s << "INSERT INTO dirty (patient_id, generation) VALUES (?, ?)", bind(patient_id),
        bind(generation), now;
    return Status::Ok();
  });
}

StatusOr<uint64_t> SqliteStore::DirtyCount() {
  return RunFor<uint64_t>("DirtyCount", false, [&](Session& s) -> StatusOr<uint64_t> {
    Poco::Int64 n = 0;
    s << "SELECT COUNT(*) FROM dirty", into(n), now;
    return static_cast<uint64_t>(n);
  });
}

}  // namespace bonewatch::adapter
