#include "writer.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "bonewatch/fhir/bundle.h"
#include "bonewatch/fhir/datetime.h"
#include "writeback_device.h"

namespace bonewatch::adapter {
namespace {

using fhir::Json;

constexpr char kWritesTotal[] = "bonewatch_writes_total";

// Failures for which single requests may succeed where the transaction did not:
// structural problems and server limits (400/422), version conflicts (409/412),
// a resource deleted on the server (404/410), transactions not supported (405/501).
bool FallBackToSingles(StatusCode code) {
  return code == StatusCode::kInvalidArgument || code == StatusCode::kFailedPrecondition ||
         code == StatusCode::kNotFound || code == StatusCode::kUnimplemented;
}

std::string VersionedReference(const std::string& type, const WrittenVersion& version) {
  std::string reference = type + "/" + version.id;
  if (!version.version_id.empty()) reference += "/_history/" + version.version_id;
  return reference;
}

}  // namespace

Writer::Writer(WriterDeps deps) : deps_(deps) {
  options_.base = deps_.config.canonical_base;
  while (!options_.base.empty() && options_.base.back() == '/') options_.base.pop_back();
  deps_.metrics.DescribeCounter(kWritesTotal,
                                "Resources considered for write-back, by resource and result.");
}

void Writer::Count(const std::string& resource, const char* result, double by) {
  deps_.metrics.Increment(kWritesTotal, {{"type", resource}, {"result", result}}, by);
}

StatusOr<std::string> Writer::EnsureDevice() {
  ASSIGN_OR_RETURN(std::optional<std::string> known,
                   deps_.store.GetCursor(std::string(kDeviceCursor)));
  if (known && !known->empty()) return *known;
  const std::string query = DeviceConditionalQuery(options_);
  const size_t equals = query.find('=');
  ASSIGN_OR_RETURN(
      fhir::FhirResult result,
      deps_.client.CreateIfNoneExist(BuildDevice(options_),
                                     {{query.substr(0, equals), query.substr(equals + 1)}}));
  WrittenVersion version = VersionFromResponse(result.location, result.etag, &result.resource);
  if (version.id.empty()) version.id = result.id;
  if (version.id.empty()) return InternalError("Device conditional create: no id in the answer");
  const std::string reference = "Device/" + version.id;
  RETURN_IF_ERROR(deps_.store.SetCursor(std::string(kDeviceCursor), reference));
  deps_.logger.Info("writer.device", {{"device", reference}});
  return reference;
}

Status Writer::Write(const rules::Evaluation& evaluation) { return WriteTo(evaluation, nullptr); }

Status Writer::Write(const rules::Evaluation& evaluation, std::vector<WrittenResource>* recorded) {
  if (recorded == nullptr) return InvalidArgumentError("Writer::Write: no list to record into");
  return WriteTo(evaluation, recorded);
}

Status Writer::Put(const WrittenResource& written, Sink sink) {
  if (sink == nullptr) return deps_.store.PutWritten(written);
  sink->push_back(written);
  return Status::Ok();
}

Status Writer::WriteTo(const rules::Evaluation& evaluation, Sink sink) {
  ASSIGN_OR_RETURN(std::vector<WrittenResource> written,
                   deps_.store.WrittenForPatient(evaluation.patient_id));
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(deps_.clock.Now().time_since_epoch())
          .count();
  const std::string recorded = fhir::FormatInstant(now_ms);

  ASSIGN_OR_RETURN(std::optional<std::string> device,
                   deps_.store.GetCursor(std::string(kDeviceCursor)));
  std::string device_reference = device ? *device : DeviceFullUrl(options_);
  WritePlan plan = PlanWrites(evaluation, written, recorded, device_reference, options_);
  if (!plan.writes.empty() && (!device || device->empty())) {
    ASSIGN_OR_RETURN(device_reference, EnsureDevice());
    plan = PlanWrites(evaluation, written, recorded, device_reference, options_);
  }
  for (const auto& [type, n] : plan.unchanged) Count(type, "unchanged", static_cast<double>(n));
  for (const auto& [type, n] : plan.human_edited) {
    Count(type, "human-edited", static_cast<double>(n));
  }
  if (plan.writes.empty()) return Status::Ok();

  const size_t max_entries =
      static_cast<size_t>(std::max(1, deps_.config.fhir.transaction_max_entries));
  const size_t per_chunk = max_entries <= 1 ? 1 : max_entries - 1;  // + its Provenance
  Status first_error;
  for (size_t begin = 0; begin < plan.writes.size(); begin += per_chunk) {
    const size_t end = std::min(plan.writes.size(), begin + per_chunk);
    const std::vector<PlannedWrite> chunk(plan.writes.begin() + static_cast<std::ptrdiff_t>(begin),
                                          plan.writes.begin() + static_cast<std::ptrdiff_t>(end));
    std::vector<std::string> urls;
    for (const PlannedWrite& write : chunk) urls.push_back(write.entry.full_url);
    const fhir::RequestEntry provenance = ProvenanceFor(*plan.provenance, urls);
    Status status;
    if (max_entries <= 1) {
      status = WriteSingles(chunk, provenance, sink);
    } else {
      bool fall_back = false;
      status = WriteTransaction(chunk, provenance, &fall_back, sink);
      if (!status.ok() && fall_back) {
        deps_.logger.Warn("writer.transaction_fallback",
                          {{"patient", evaluation.patient_id},
                           {"entries", std::to_string(chunk.size() + 1)},
                           {"error", status.message()}});
        status = WriteSingles(chunk, provenance, sink);
      }
    }
    if (!status.ok() && first_error.ok()) first_error = status;
  }
  return first_error;
}

Status Writer::WriteTransaction(const std::vector<PlannedWrite>& writes,
                                const fhir::RequestEntry& provenance, bool* fall_back, Sink sink) {
  std::vector<fhir::RequestEntry> entries;
  entries.reserve(writes.size() + 1);
  for (const PlannedWrite& write : writes) entries.push_back(write.entry);
  entries.push_back(provenance);
  ASSIGN_OR_RETURN(Json bundle, fhir::BuildRequestBundle(fhir::BundleType::kTransaction, entries));
  StatusOr<fhir::FhirResult> result = deps_.client.Transaction(bundle);
  if (!result.ok()) {
    *fall_back = FallBackToSingles(result.status().code());
    if (!*fall_back) {
      for (const PlannedWrite& write : writes) Count(write.resource_type, "failed");
    }
    return result.status();
  }
  StatusOr<fhir::Bundle> response = fhir::ReadBundle(std::move(result->resource));
  if (!response.ok() || response->entries.size() != entries.size()) {
    // The writes happened but the answer cannot say where: the single requests
    // find them (If-Match 412 -> re-read -> same content -> recorded).
    *fall_back = true;
    return InternalError("transaction-response does not answer every entry");
  }
  // A server whose transactions are not atomic (Medplum without the transaction-bundles
  // feature) answers 200 with failed entries: the single requests sort out what was written.
  for (size_t i = 0; i < response->entries.size(); ++i) {
    const int code = response->entries[i].response ? response->entries[i].response->status_code : 0;
    if (code >= 300) {
      *fall_back = true;
      return FailedPreconditionError("transaction entry " + std::to_string(i) + " answered " +
                                     std::to_string(code));
    }
  }
  for (size_t i = 0; i < writes.size(); ++i) {
    const fhir::BundleEntry& entry = response->entries[i];
    const fhir::BundleEntryResponse answer = entry.response.value_or(fhir::BundleEntryResponse{});
    WrittenVersion version = VersionFromResponse(answer.location, answer.etag,
                                                 entry.resource ? &*entry.resource : nullptr);
    if (version.id.empty() && writes[i].prior) version.id = writes[i].prior->server_id;
    RETURN_IF_ERROR(Record(writes[i], version, answer.status_code == 201, sink));
  }
  return Status::Ok();
}

Status Writer::WriteSingles(const std::vector<PlannedWrite>& writes,
                            const fhir::RequestEntry& provenance, Sink sink) {
  Status first_error;
  std::vector<std::string> targets;
  for (const PlannedWrite& write : writes) {
    std::string reference;
    Status status = WriteSingle(write, &reference, sink);
    if (!status.ok()) {
      Count(write.resource_type, "failed");
      deps_.logger.Warn("writer.write_failed",
                        {{"identifier", write.identifier}, {"error", status.message()}});
      if (first_error.ok()) first_error = status;
      continue;
    }
    if (!reference.empty()) targets.push_back(std::move(reference));
  }
  if (!targets.empty() && provenance.resource) {
    Json resource = *provenance.resource;
    Json target = Json::Array();
    for (const std::string& reference : targets) {
      target.Push(Json::Object().Set("reference", Json(reference)));
    }
    resource.Set("target", std::move(target));
    // The written resources are recorded: a lost Provenance is logged, not retried.
    if (StatusOr<fhir::FhirResult> created = deps_.client.Create(resource); !created.ok()) {
      Count("Provenance", "failed");
      deps_.logger.Warn("writer.provenance_failed", {{"error", created.status().message()}});
    } else {
      Count("Provenance", "created");
    }
  }
  return first_error;
}

Status Writer::WriteSingle(const PlannedWrite& write, std::string* reference, Sink sink) {
  const Json& resource = *write.entry.resource;
  auto record = [&](const fhir::FhirResult& result) -> Status {
    WrittenVersion version = VersionFromResponse(result.location, result.etag, &result.resource);
    if (version.id.empty()) version.id = result.id;
    if (version.version_id.empty()) version.version_id = result.version_id;
    RETURN_IF_ERROR(Record(write, version, result.http_status == 201, sink));
    *reference = VersionedReference(write.resource_type, version);
    return Status::Ok();
  };
  auto by_identifier = [&]() -> Status {
    const fhir::RequestEntry entry = ByIdentifier(write);
    const size_t bar = write.identifier.find('|');
    ASSIGN_OR_RETURN(fhir::FhirResult result,
                     deps_.client.ConditionalUpdate(
                         *entry.resource, {{"identifier", write.identifier.substr(0, bar) + "|" +
                                                              write.identifier.substr(bar + 1)}}));
    return record(result);
  };
  if (!write.prior || write.entry.request.if_match.empty()) return by_identifier();

  const WrittenResource& prior = *write.prior;
  StatusOr<fhir::FhirResult> updated = deps_.client.Update(resource, prior.version_id);
  if (updated.ok()) return record(*updated);
  if (updated.status().code() == StatusCode::kNotFound) return by_identifier();
  if (updated.status().code() != StatusCode::kFailedPrecondition) return updated.status();

  // 412: the server holds another version than the one we last wrote.
  StatusOr<fhir::FhirResult> current = deps_.client.Read(write.resource_type, prior.server_id);
  if (!current.ok()) {
    if (current.status().code() == StatusCode::kNotFound) return by_identifier();
    return current.status();
  }
  std::string current_version = current->version_id;
  if (ContentHash(current->resource) == write.content_hash) {  // our own write, unrecorded
    WrittenVersion version = VersionFromResponse("", current->etag, &current->resource);
    if (version.id.empty()) version.id = prior.server_id;
    RETURN_IF_ERROR(Record(write, version, false, sink));
    *reference = VersionedReference(write.resource_type, version);
    return Status::Ok();
  }
  const std::string current_status = current->resource.GetString("status").value_or("");
  if (current_status != prior.status) return MarkHumanEdited(write, sink);
  if (current_version.empty()) {
    current_version = VersionFromResponse("", current->etag, &current->resource).version_id;
  }
  ASSIGN_OR_RETURN(fhir::FhirResult retried, deps_.client.Update(resource, current_version));
  return record(retried);
}

Status Writer::Record(const PlannedWrite& write, const WrittenVersion& version, bool created,
                      Sink sink) {
  WrittenResource written;
  written.identifier = write.identifier;
  written.resource_type = write.resource_type;
  written.patient_id = write.patient_id;
  written.server_id = version.id;
  written.version_id = version.version_id;
  written.content_hash = write.content_hash;
  written.status = write.status;
  RETURN_IF_ERROR(Put(written, sink));
  Count(write.resource_type, created ? "created" : "updated");
  deps_.logger.Debug("writer.written", {{"identifier", write.identifier},
                                        {"id", version.id},
                                        {"version", version.version_id},
                                        {"status", write.status}});
  return Status::Ok();
}

Status Writer::MarkHumanEdited(const PlannedWrite& write, Sink sink) {
  WrittenResource edited = *write.prior;
  edited.human_edited = true;
  RETURN_IF_ERROR(Put(edited, sink));
  Count(write.resource_type, "human-edited");
  deps_.logger.Info("writer.human_edit",
                    {{"identifier", write.identifier}, {"id", edited.server_id}});
  return Status::Ok();
}

}  // namespace bonewatch::adapter
