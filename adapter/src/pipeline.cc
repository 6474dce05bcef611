#include "pipeline.h"

#include <chrono>
#include <utility>

#include "bonewatch/fhir/datetime.h"
#include "bonewatch/fhir/reference.h"
#include "ops_metric_names.h"
#include "sha1.h"

namespace bonewatch::adapter {
namespace {

using fhir::Json;

constexpr char kResourcesTotal[] = "bonewatch_resources_total";
constexpr char kFactsGauge[] = "bonewatch_facts";
constexpr char kInboxDepth[] = "bonewatch_inbox_depth";
constexpr char kDeadLetters[] = "bonewatch_dead_letters";
constexpr char kDeadLettered[] = "bonewatch_dead_lettered_total";

std::string Sha1Hex(std::string_view bytes) {
  Sha1 sha1;
  sha1.Update(bytes);
  const Sha1Digest digest = sha1.Finish();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest.size() * 2);
  for (const unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

// DeadLetter::key of a rejected resource: its version, else its content.
std::string RejectedResourceKey(const std::string& type_and_id, const Json& resource,
                                const std::string& serialized) {
  if (const Json* vid = resource.At({"meta", "versionId"});
      vid != nullptr && vid->is_string() && !vid->AsString().empty()) {
    return type_and_id + "/_history/" + vid->AsString();
  }
  return type_and_id + "#sha1:" + Sha1Hex(serialized);
}

// DeadLetter::key of an inbox item refused as a whole (malformed, abandoned).
std::string InboxItemKey(const std::string& reason_code, const InboxItem& item) {
  return reason_code + ":" + item.hint + "#sha1:" + Sha1Hex(item.body);
}

std::string NowInstant(const Clock& clock) {
  return fhir::FormatInstant(
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.Now().time_since_epoch())
          .count());
}

bool Changed(UpsertOutcome outcome) {
  return outcome == UpsertOutcome::kInserted || outcome == UpsertOutcome::kReplaced;
}

}  // namespace

rules::Date TodayAt(std::chrono::system_clock::time_point now, const fhir::TimeZone& zone) {
  const fhir::LocalDate d = zone.LocalDateAt(now);
  return rules::Date::FromYmd(d.year, d.month, d.day);
}

Pipeline::Pipeline(PipelineDeps deps)
    : deps_(std::move(deps)),
      writer_(WriterDeps{deps_.config, deps_.store, deps_.client, deps_.metrics, deps_.logger,
                         deps_.clock}),
      events_(deps_.store) {
  decode_.own_tag_system = OwnTagSystem(deps_.config.canonical_base);
  decode_.events = &events_;
  Metrics& m = deps_.metrics;
  m.DescribeCounter(kResourcesTotal, "Resources through the Mapper, by type and result.");
  m.DescribeGauge(kFactsGauge, "Facts currently in the store.");
  m.DescribeGauge(kInboxDepth, "Inbox items waiting.");
  m.DescribeGauge(kDeadLetters, "Dead letters kept.");
  m.DescribeCounter(kDeadLettered, "Dead letters added, by reason.");
  m.DescribeCounter(metric::kRejections, "Inputs refused, repeats included, by reason.");
  m.DescribeGauge(metric::kDirtyPatients, "Patients waiting for evaluation and write-back.");
}

void Pipeline::UpdateGauges() {
  if (auto facts = deps_.store.FactCount(); facts.ok()) {
    deps_.metrics.SetGauge(kFactsGauge, {}, static_cast<double>(*facts));
  }
  if (auto depth = deps_.store.InboxDepth(); depth.ok()) {
    deps_.metrics.SetGauge(kInboxDepth, {}, static_cast<double>(*depth));
  }
  if (auto letters = deps_.store.DeadLetterDepth(); letters.ok()) {
    deps_.metrics.SetGauge(kDeadLetters, {}, static_cast<double>(*letters));
  }
  if (auto dirty = deps_.store.DirtyCount(); dirty.ok()) {
    deps_.metrics.SetGauge(metric::kDirtyPatients, {}, static_cast<double>(*dirty));
  }
}

void Pipeline::OpenInboxBatch() {
  inbox_batch_.emplace(deps_.store);
  // Not begun (the store failed to BEGIN): every call commits by itself, as safe, only slower.
}

Status Pipeline::CommitInboxBatch() {
  if (!inbox_batch_) return Status::Ok();
  Status status = inbox_batch_->Commit();
  inbox_batch_.reset();
  return status;
}

StatusOr<size_t> Pipeline::ProcessInbox(size_t max_items) {
  ASSIGN_OR_RETURN(std::vector<InboxItem> items, deps_.store.PeekInbox(max_items));
  if (items.empty()) return size_t{0};
  // The store changes of the whole batch (facts, dirty marks, dead letters,
  // acks) commit together: one fsync instead of ~5 per item. A crash keeps
  // all or none of them; the items not acknowledged are processed again
  // (idempotent). Network I/O commits first (CommitInboxBatch) so that the
  // notification endpoint's Enqueue never waits for the FHIR server.
  PrefetchHistories(items);
  OpenInboxBatch();
  StatusOr<size_t> result = ProcessInboxItems(items);
  Status committed = CommitInboxBatch();
  prefetched_history_.clear();
  UpdateGauges();
  if (!committed.ok()) return committed;
  return result;
}

void Pipeline::PrefetchHistories(const std::vector<InboxItem>& items) {
  prefetched_history_.clear();
  if (!deps_.fetch_history) return;
  DecodeOptions options = decode_;
  options.events = nullptr;  // decoding again below tracks the event numbers
  for (const InboxItem& item : items) {
    StatusOr<std::vector<WorkUnit>> units = DecodeInboxItem(item, options);
    if (!units.ok()) continue;
    for (const WorkUnit& unit : *units) {
      if (unit.kind != WorkUnit::Kind::kResource) continue;
      if (IsOwnWrite(unit.resource, decode_.own_tag_system)) continue;
      const mappings::MapResult result = deps_.mapper.Map(unit.resource);
      const std::string& patient_id = result.patient_id;
      if (result.outcome != mappings::MapOutcome::kMapped || patient_id.empty() ||
          prefetched_history_.count(patient_id) > 0) {
        continue;
      }
      StatusOr<bool> fetched = deps_.store.HistoryFetched(patient_id);
      if (!fetched.ok() || *fetched) continue;
      // A failure here is met again (and handled) when the item is processed.
      StatusOr<std::vector<Json>> history = deps_.fetch_history(patient_id);
      if (history.ok()) prefetched_history_.emplace(patient_id, std::move(history).value());
    }
  }
}

StatusOr<size_t> Pipeline::ProcessInboxItems(const std::vector<InboxItem>& items) {
  size_t acknowledged = 0;
  Status failure;
  for (const InboxItem& item : items) {
    Status status = ProcessItem(item);
    if (status.ok()) {
      status = deps_.store.AckInbox(item.id);
      if (status.ok()) {
        ++acknowledged;
        continue;
      }
    }
    // Infrastructure failure: keep the item for a retry, or give up on it.
    const std::string id = std::to_string(item.id);
    if (item.attempts + 1 >= deps_.config.max_inbox_attempts) {
      deps_.logger.Error("pipeline.item_abandoned",
                         {{"inbox_id", id},
                          {"attempts", std::to_string(item.attempts + 1)},
                          {"error", status.message()}});
      Status dead = DeadLetter(item, item.hint, "retries-exhausted",
                               "inbox item " + id + " failed " + std::to_string(item.attempts + 1) +
                                   " times; last error: " + status.message(),
                               item.body, InboxItemKey("retries-exhausted", item));
      if (dead.ok()) dead = deps_.store.AckInbox(item.id);
      if (dead.ok()) {
        ++acknowledged;
        continue;
      }
    } else {
      deps_.logger.Warn("pipeline.item_failed", {{"inbox_id", id}, {"error", status.message()}});
      deps_.store.FailInbox(item.id, status.message()).IgnoreError();
    }
    failure = status;
    break;  // the server or the store is in trouble: let the caller back off
  }
  if (!failure.ok()) return failure;
  return acknowledged;
}

Status Pipeline::ProcessItem(const InboxItem& item) {
  if (deps_.on_delivery && item.origin == "rest-hook" && !item.headers_json.empty()) {
    StatusOr<Json> headers = Json::Parse(item.headers_json);
    const std::string subscription =
        headers.ok() ? headers->GetString("x-medplum-subscription").value_or("") : "";
    if (!subscription.empty()) deps_.on_delivery(subscription, item.received_at);
  }
  StatusOr<std::vector<WorkUnit>> units = DecodeInboxItem(item, decode_);
  if (!units.ok()) {
    return DeadLetter(item, item.hint, "malformed", units.status().message(), item.body,
                      InboxItemKey("malformed", item));
  }
  for (const WorkUnit& unit : *units) RETURN_IF_ERROR(ProcessUnit(unit, item));
  return Status::Ok();
}

Status Pipeline::ProcessUnit(const WorkUnit& unit, const InboxItem& item) {
  switch (unit.kind) {
    case WorkUnit::Kind::kPollNow:
      if (deps_.poll_now) deps_.poll_now();
      return Status::Ok();
    case WorkUnit::Kind::kDelete:
      if (unit.resource_type == "Medication") {
        return MedicationChanged(unit.resource_id, std::nullopt, item);
      }
      return Retract(unit.resource_type, unit.resource_id);
    case WorkUnit::Kind::kFetch: {
      RETURN_IF_ERROR(CommitInboxBatch());
      StatusOr<fhir::FhirResult> read = deps_.client.Read(unit.resource_type, unit.resource_id);
      OpenInboxBatch();
      if (!read.ok()) {
        if (read.status().code() == StatusCode::kNotFound) {
          if (unit.resource_type == "Medication") {
            return MedicationChanged(unit.resource_id, std::nullopt, item);
          }
          return Retract(unit.resource_type, unit.resource_id);
        }
        return read.status();
      }
      return ProcessResource(read->resource, item, /*with_history=*/true);
    }
    case WorkUnit::Kind::kResource:
      return ProcessResource(unit.resource, item, /*with_history=*/true);
  }
  return Status::Ok();
}

Status Pipeline::ProcessResource(const Json& resource, const InboxItem& item, bool with_history) {
  if (IsOwnWrite(resource, decode_.own_tag_system)) {  // read by id, or in a patient's history
    const std::string what = resource.GetString("resourceType").value_or("") + "/" +
                             resource.GetString("id").value_or("");
    deps_.logger.Debug("pipeline.own_write", {{"resource", what}});
    return Status::Ok();
  }
  if (resource.GetStringView("resourceType") == "Medication") {
    return MedicationChanged(resource.GetString("id").value_or(""), resource, item);
  }
  RETURN_IF_ERROR(EnsureMedication(resource));
  const std::string& base_url = deps_.config.fhir.base_url;
  std::string medication_version;  // "Medication/{id}/_history/{v}" when one was resolved
  const mappings::ReferenceResolver resolver = [&](std::string_view reference) -> const Json* {
    const std::optional<std::string> medication_id = ServerMedicationId(reference, base_url);
    if (!medication_id) return nullptr;
    const MedicationCache::Entry* entry = medications_.Find(*medication_id);
    if (entry == nullptr || !entry->resource) return nullptr;
    medication_version = "Medication/" + *medication_id + "/_history/" + entry->version_id;
    return &*entry->resource;
  };
  const mappings::MapResult result = deps_.mapper.Map(resource, resolver);
  const std::string type = resource.GetString("resourceType").value_or(result.resource_type);
  const std::string id = resource.GetString("id").value_or(result.source.id);
  deps_.metrics.Increment(
      kResourcesTotal,
      {{"type", type}, {"result", std::string(mappings::MapOutcomeCode(result.outcome))}});
  switch (result.outcome) {
    case mappings::MapOutcome::kRejected: {
      deps_.logger.Info("pipeline.rejected",
                        {{"resource", type + "/" + id}, {"reason", result.reason_code}});
      const std::string payload = resource.Serialize();
      return DeadLetter(item, type + "/" + id, "rejected:" + result.reason_code, result.reason,
                        payload, RejectedResourceKey(type + "/" + id, resource, payload));
    }
    case mappings::MapOutcome::kRetracted:
      return Retract(result.source.resource_type.empty() ? type : result.source.resource_type,
                     result.source.id.empty() ? id : result.source.id);
    case mappings::MapOutcome::kIgnored:
      return Retract(type, id);  // a newer version that no longer maps withdraws the old facts
    case mappings::MapOutcome::kMapped:
      break;
  }
  SourceFacts source;
  source.patient_id = result.patient_id;
  source.resource_type = result.source.resource_type.empty() ? type : result.source.resource_type;
  source.resource_id = result.source.id.empty() ? id : result.source.id;
  source.version_id = result.source.version;
  if (const Json* updated = resource.At({"meta", "lastUpdated"});
      updated != nullptr && updated->is_string()) {
    source.last_updated = updated->AsString();
  }
  if (source.version_id.empty()) {
    if (const Json* vid = resource.At({"meta", "versionId"}); vid != nullptr && vid->is_string()) {
      source.version_id = vid->AsString();
    }
  }
  // What the facts of a resource mapped through a server Medication depend on: the resource's
  // version and the Medication's, so that a changed Medication replaces them (store.h: another
  // version with the same lastUpdated, read later, wins).
  if (!medication_version.empty()) source.version_id += "|" + medication_version;
  source.facts = result.facts;
  source.medications = result.medications;
  source.risk_factors = result.risk_factors;
  source.demographics = result.demographics;
  // A change marks the patient dirty in the same store transaction (store.h).
  ASSIGN_OR_RETURN(UpsertOutcome outcome, deps_.store.UpsertSource(source));
  deps_.logger.Debug("pipeline.stored",
                     {{"resource", source.resource_type + "/" + source.resource_id},
                      {"patient", source.patient_id},
                      {"changed", Changed(outcome) ? "true" : "false"}});
  if (with_history && !source.patient_id.empty()) {
    RETURN_IF_ERROR(EnsureHistory(source.patient_id, item));
  }
  return Status::Ok();
}

Status Pipeline::EnsureMedication(const Json& resource) {
  const Json* reference = resource.At({"medicationReference", "reference"});
  if (reference == nullptr || !reference->is_string()) return Status::Ok();
  const std::optional<std::string> id =
      ServerMedicationId(reference->AsString(), deps_.config.fhir.base_url);
  if (!id || medications_.Find(*id) != nullptr) return Status::Ok();
  RETURN_IF_ERROR(CommitInboxBatch());
  StatusOr<fhir::FhirResult> read = deps_.client.Read("Medication", *id);
  OpenInboxBatch();
  if (read.ok()) {
    medications_.Put(*id, {std::move(read->resource), read->version_id});
    return Status::Ok();
  }
  if (read.status().code() == StatusCode::kNotFound) {
    deps_.logger.Info("pipeline.medication_missing", {{"resource", "Medication/" + *id}});
    medications_.Put(*id, {std::nullopt, ""});
    return Status::Ok();
  }
  return read.status().WithContext("read Medication/" + *id + " referenced by " +
                                   resource.GetString("resourceType").value_or("") + "/" +
                                   resource.GetString("id").value_or(""));
}

Status Pipeline::MedicationChanged(const std::string& id, std::optional<Json> medication,
                                   const InboxItem& item) {
  if (!fhir::IsValidId(id)) return Status::Ok();
  std::string version;
  if (medication) {
    const Json* vid = medication->At({"meta", "versionId"});
    version = vid != nullptr && vid->is_string() ? vid->AsString() : "";
  }
  // The same version (or the same delete) again, from an overlapping poll or a repeated
  // notification: its users were already mapped with it.
  if (const MedicationCache::Entry* known = medications_.Find(id);
      known != nullptr && known->resource.has_value() == medication.has_value() &&
      (medication ? !version.empty() && known->version_id == version : true)) {
    return Status::Ok();
  }
  medications_.Put(id, {std::move(medication), version});
  std::vector<std::string> types = {"MedicationStatement"};
  if (deps_.config.inputs.medication_request) types.push_back("MedicationRequest");
  for (const std::string& type : types) {
    RETURN_IF_ERROR(CommitInboxBatch());
    StatusOr<std::vector<Json>> users =
        deps_.client.SearchAll(type, {{"medication", "Medication/" + id}, {"_count", "100"}});
    OpenInboxBatch();
    if (!users.ok()) return users.status().WithContext("Medication/" + id + " changed");
    deps_.logger.Info("pipeline.medication_changed", {{"resource", "Medication/" + id},
                                                      {"type", type},
                                                      {"users", std::to_string(users->size())}});
    for (const Json& user : *users) {
      RETURN_IF_ERROR(ProcessResource(user, item, /*with_history=*/true));
    }
  }
  return Status::Ok();
}

Status Pipeline::Retract(const std::string& type, const std::string& id) {
  // A retraction that found facts marks the patient dirty itself (store.h).
  ASSIGN_OR_RETURN(RetractOutcome outcome, deps_.store.RetractSource(type, id));
  if (!outcome.found) return Status::Ok();
  deps_.logger.Info("pipeline.retracted",
                    {{"resource", type + "/" + id}, {"patient", outcome.patient_id}});
  return Status::Ok();
}

Status Pipeline::EnsureHistory(const std::string& patient_id, const InboxItem& item) {
  if (!deps_.fetch_history) return Status::Ok();
  ASSIGN_OR_RETURN(bool fetched, deps_.store.HistoryFetched(patient_id));
  if (fetched) return Status::Ok();
  std::vector<Json> history;
  if (auto prefetched = prefetched_history_.find(patient_id);
      prefetched != prefetched_history_.end()) {
    history = std::move(prefetched->second);
    prefetched_history_.erase(prefetched);
  } else {
    RETURN_IF_ERROR(CommitInboxBatch());
    StatusOr<std::vector<Json>> fetched_history = deps_.fetch_history(patient_id);
    OpenInboxBatch();
    if (!fetched_history.ok()) return fetched_history.status();
    history = std::move(fetched_history).value();
  }
  for (const Json& resource : history) {
    RETURN_IF_ERROR(ProcessResource(resource, item, /*with_history=*/false));
  }
  RETURN_IF_ERROR(deps_.store.SetHistoryFetched(patient_id));
  RETURN_IF_ERROR(deps_.store.MarkDirty(patient_id));
  deps_.logger.Info("pipeline.history_fetched",
                    {{"patient", patient_id}, {"resources", std::to_string(history.size())}});
  return Status::Ok();
}

Status Pipeline::DeadLetter(const InboxItem& item, const std::string& resource,
                            const std::string& reason_code, const std::string& reason,
                            const std::string& payload, const std::string& key) {
  adapter::DeadLetter letter;
  letter.created_at = NowInstant(deps_.clock);
  letter.origin = item.origin;
  letter.resource = resource;
  letter.reason_code = reason_code;
  letter.reason = reason;
  letter.payload = payload;
  letter.key = key;
  ASSIGN_OR_RETURN(DeadLetterAdded added, deps_.store.AddDeadLetter(letter));
  deps_.metrics.Increment(metric::kRejections, {{"reason", reason_code}});
  const LogFields fields = {{"dead_letter_id", std::to_string(added.id)},
                            {"inbox_id", std::to_string(item.id)},
                            {"resource", resource},
                            {"reason", reason_code}};
  if (!added.added) {  // refused again: counted on the letter already kept
    deps_.logger.Debug("pipeline.dead_letter_again", fields);
    return Status::Ok();
  }
  deps_.metrics.Increment(kDeadLettered, {{"reason", reason_code}});
  deps_.logger.Warn("pipeline.dead_letter", fields);
  return Status::Ok();
}

}  // namespace bonewatch::adapter
