#include "ingest_reconcile.h"

#include <set>
#include <utility>
#include <vector>

#include "bonewatch/fhir/datetime.h"

namespace bonewatch::adapter {
namespace {

constexpr char kChecked[] = "bonewatch_reconcile_checked_total";
constexpr char kDeleted[] = "bonewatch_reconcile_deleted_total";
constexpr char kErrors[] = "bonewatch_reconcile_errors_total";

std::string Join(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    if (!out.empty()) out += ',';
    out += id;
  }
  return out;
}

}  // namespace

Reconciler::Reconciler(Config::Reconcile config, ReconcilerDeps deps)
    : config_(config), deps_(deps) {
  deps_.metrics->DescribeCounter(kChecked, "Sources checked by the reconciliation pass, by type.");
  deps_.metrics->DescribeCounter(kDeleted,
                                 "Sources the reconciliation pass found deleted, by type.");
  deps_.metrics->DescribeCounter(kErrors, "Failed reconciliation passes.");
}

Status Reconciler::RunIfDue() {
  if (!config_.enabled) return Status::Ok();
  const auto now = deps_.clock->Now();
  if (last_run_ && now - *last_run_ < std::chrono::seconds(config_.interval_seconds)) {
    return Status::Ok();
  }
  last_run_ = now;
  Status status = RunOnce();
  if (!status.ok()) {
    deps_.metrics->Increment(kErrors, {});
    deps_.logger->Warn("reconcile.failed", {{"reason", status.message()}});
  }
  return status;
}

Status Reconciler::RunOnce(ReconcileStats* stats_out) {
  ReconcileStats stats;
  ASSIGN_OR_RETURN(std::optional<std::string> cursor, deps_.store->GetCursor(kCursor));
  std::string after_type;
  std::string after_id;
  if (cursor && !cursor->empty()) {
    const size_t slash = cursor->find('/');
    after_type = cursor->substr(0, slash);
    after_id = slash == std::string::npos ? "" : cursor->substr(slash + 1);
  }
  const size_t batch = static_cast<size_t>(config_.batch_size);
  for (int b = 0; b < config_.max_batches_per_run; ++b) {
    ASSIGN_OR_RETURN(auto keys, deps_.store->ListSources(after_type, after_id, batch));
    if (keys.empty()) {
      stats.wrapped = true;
      after_type.clear();
      after_id.clear();
      break;
    }
    // One search per type within the batch (keys are in type order).
    size_t i = 0;
    while (i < keys.size()) {
      const std::string& type = keys[i].first;
      std::vector<std::string> ids;
      for (; i < keys.size() && keys[i].first == type; ++i) ids.push_back(keys[i].second);
      RETURN_IF_ERROR(CheckBatch(type, ids, stats));
    }
    after_type = keys.back().first;
    after_id = keys.back().second;
    // The position is stored once the batch is checked (its deletes enqueued).
    RETURN_IF_ERROR(deps_.store->SetCursor(kCursor, after_type + "/" + after_id));
    if (keys.size() < batch) {
      stats.wrapped = true;
      after_type.clear();
      after_id.clear();
      break;
    }
  }
  if (stats.wrapped) RETURN_IF_ERROR(deps_.store->SetCursor(kCursor, ""));
  deps_.logger->Info("reconcile.done", {{"checked", std::to_string(stats.checked)},
                                        {"deleted", std::to_string(stats.deleted)},
                                        {"searches", std::to_string(stats.searches)},
                                        {"wrapped", stats.wrapped ? "true" : "false"}});
  if (stats_out != nullptr) *stats_out = stats;
  return Status::Ok();
}

Status Reconciler::CheckBatch(const std::string& type, const std::vector<std::string>& ids,
                              ReconcileStats& stats) {
  ++stats.searches;
  StatusOr<std::vector<fhir::Json>> found = deps_.client->SearchAll(
      type, {{"_id", Join(ids)}, {"_elements", "id"}, {"_count", std::to_string(ids.size())}});
  if (!found.ok()) return found.status().WithContext("reconcile " + type);
  std::set<std::string> present;
  for (const fhir::Json& resource : *found) present.insert(resource.GetString("id").value_or(""));
  stats.checked += static_cast<int>(ids.size());
  deps_.metrics->Increment(kChecked, {{"type", type}}, static_cast<int64_t>(ids.size()));
  for (const std::string& id : ids) {
    if (present.count(id) > 0) continue;
    // Confirmed by a read: only a 404/410 is a delete.
    StatusOr<fhir::FhirResult> read = deps_.client->Read(type, id);
    if (read.ok()) {
      deps_.logger->Warn("reconcile.search_missed", {{"resource", type + "/" + id}});
      continue;
    }
    if (read.status().code() != StatusCode::kNotFound) {
      return read.status().WithContext("reconcile " + type + "/" + id);
    }
    InboxItem item;
    item.origin = "reconcile";
    item.received_at = fhir::FormatInstant(
        std::chrono::duration_cast<std::chrono::milliseconds>(deps_.clock->Now().time_since_epoch())
            .count());
    item.headers_json = fhir::Json::Object()
                            .Set("x-medplum-interaction", "delete")
                            .Set("x-medplum-deleted-resource", type + "/" + id)
                            .Serialize();
    item.body = "{}";
    item.hint = type + "/" + id;
    ASSIGN_OR_RETURN(int64_t enqueued, deps_.store->Enqueue(item));
    ++stats.deleted;
    deps_.metrics->Increment(kDeleted, {{"type", type}});
    deps_.logger->Info("reconcile.deleted",
                       {{"resource", type + "/" + id}, {"inbox_id", std::to_string(enqueued)}});
  }
  return Status::Ok();
}

}  // namespace bonewatch::adapter
