#include "writeback_transaction.h"

#include <algorithm>
#include <utility>

#include "writeback_careplan.h"
#include "writeback_device.h"
#include "writeback_flag.h"
#include "writeback_provenance.h"

namespace bonewatch::adapter {
namespace {

using fhir::Json;

bool Contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// A PUT by identifier, with a fullUrl derived from the identifier.
fhir::RequestEntry ConditionalUpdate(std::string_view type, const std::string& system,
                                     const std::string& value, Json resource,
                                     const WritebackOptions& options) {
  fhir::RequestEntry entry;
  entry.full_url = DeterministicUrnUuid(options, std::string(type) + "|" + system + "|" + value);
  entry.resource = std::move(resource);
  entry.request.method = "PUT";
  entry.request.url = std::string(type) + "?" + IdentifierQuery(system, value);
  return entry;
}

void Append(std::vector<rules::SourceRef>& to, const std::vector<rules::SourceRef>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

// Flags and CarePlan entered-in-error for a retracted course.
void AddRetractions(const rules::Evaluation& evaluation, const PriorWrites& prior,
                    const WritebackOptions& options, const std::string& device,
                    std::vector<fhir::RequestEntry>& entries) {
  for (const std::string& value : prior.flag_identifiers) {
    const auto parsed = ParseFlagIdentifierValue(value);
    if (!parsed || parsed->patient_id != evaluation.patient_id) continue;
    entries.push_back(ConditionalUpdate("Flag", options.FlagIdentifierSystem(), value,
                                        BuildRetractedFlag(*parsed, options, device), options));
  }
  for (const std::string& value : prior.careplan_identifiers) {
    const auto parsed = ParseCarePlanIdentifierValue(value);
    if (!parsed || parsed->patient_id != evaluation.patient_id) continue;
    entries.push_back(ConditionalUpdate("CarePlan", options.CarePlanIdentifierSystem(), value,
                                        BuildRetractedCarePlan(*parsed, options), options));
  }
}

}  // namespace

std::vector<const rules::Finding*> WrittenFindings(const rules::Evaluation& evaluation,
                                                   const PriorWrites& prior) {
  std::vector<const rules::Finding*> written;
  if (evaluation.disposition != rules::Disposition::kActive &&
      evaluation.disposition != rules::Disposition::kCompleted) {
    return written;
  }
  for (const rules::Finding& finding : evaluation.findings) {
    if (finding.status == rules::FindingStatus::kActive ||
        Contains(prior.flag_identifiers,
                 FlagIdentifierValue(evaluation.patient_id, finding.rule, finding.episode_start))) {
      written.push_back(&finding);
    }
  }
  return written;
}

std::string DeviceFullUrl(const WritebackOptions& options) {
  return DeterministicUrnUuid(options, "Device|" + options.DeviceIdentifierSystem() + "|" +
                                           std::string(kDeviceIdentifierValue));
}

fhir::RequestEntry DeviceEntry(const WritebackOptions& options) {
  fhir::RequestEntry entry;
  entry.full_url = DeviceFullUrl(options);
  entry.resource = BuildDevice(options);
  entry.request.method = "POST";
  entry.request.url = "Device";
  entry.request.if_none_exist = DeviceConditionalQuery(options);
  return entry;
}

std::vector<fhir::RequestEntry> BuildPatientEntries(const WritebackInput& input,
                                                    std::string_view recorded,
                                                    const WritebackOptions& options) {
  const rules::Evaluation& evaluation = *input.evaluation;
  const std::string device = DeviceFullUrl(options);
  std::vector<fhir::RequestEntry> entries;
  std::vector<rules::SourceRef> evidence;
  if (evaluation.disposition == rules::Disposition::kRetracted) {
    AddRetractions(evaluation, input.prior, options, device, entries);
  } else if (evaluation.course && (evaluation.disposition == rules::Disposition::kActive ||
                                   evaluation.disposition == rules::Disposition::kCompleted)) {
    for (const rules::Finding* finding : WrittenFindings(evaluation, input.prior)) {
      entries.push_back(ConditionalUpdate(
          "Flag", options.FlagIdentifierSystem(),
          FlagIdentifierValue(evaluation.patient_id, finding->rule, finding->episode_start),
          BuildFlag(*finding, evaluation.patient_id, options, device), options));
      Append(evidence, finding->evidence);
    }
    entries.push_back(
        ConditionalUpdate("CarePlan", options.CarePlanIdentifierSystem(),
                          CarePlanIdentifierValue(evaluation.patient_id, evaluation.course->start),
                          BuildCarePlan(evaluation, options), options));
    Append(evidence, evaluation.course->medications);
    for (const rules::PlanActivity& activity : evaluation.plan) Append(evidence, activity.outcome);
  }
  if (entries.empty()) return entries;
  std::vector<std::string> targets;
  targets.reserve(entries.size());
  for (const fhir::RequestEntry& entry : entries) targets.push_back(entry.full_url);
  fhir::RequestEntry provenance;
  provenance.full_url = DeterministicUrnUuid(
      options, "Provenance|" + evaluation.patient_id + "|" + std::string(recorded));
  provenance.resource = BuildProvenance(targets, recorded, device, evidence, options);
  provenance.request.method = "POST";
  provenance.request.url = "Provenance";
  entries.push_back(std::move(provenance));
  return entries;
}

StatusOr<Json> BuildWritebackTransaction(const std::vector<WritebackInput>& inputs,
                                         std::string_view recorded,
                                         const WritebackOptions& options) {
  std::vector<fhir::RequestEntry> all;
  for (const WritebackInput& input : inputs) {
    std::vector<fhir::RequestEntry> entries = BuildPatientEntries(input, recorded, options);
    std::move(entries.begin(), entries.end(), std::back_inserter(all));
  }
  if (!all.empty()) all.insert(all.begin(), DeviceEntry(options));
  return fhir::BuildRequestBundle(fhir::BundleType::kTransaction, all);
}

TransactionWriter::TransactionWriter(std::ostream& out, WritebackOptions options)
    : out_(out), options_(std::move(options)) {}

void TransactionWriter::WriteEntry(const Json& entry) {
  // The entry sits two levels deep in the Bundle: indent every line by four spaces.
  const std::string text = entry.SerializePretty();
  std::string indented;
  indented.reserve(text.size() + text.size() / 8 + 8);
  if (entries_written_ > 0) indented += ",\n";
  indented += "    ";
  for (const char c : text) {
    indented += c;
    if (c == '\n') indented += "    ";
  }
  out_.write(indented.data(), static_cast<std::streamsize>(indented.size()));
  ++entries_written_;
}

Status TransactionWriter::Add(const std::vector<fhir::RequestEntry>& entries) {
  if (entries.empty()) return Status::Ok();
  std::vector<fhir::RequestEntry> with_device;
  const std::vector<fhir::RequestEntry>* to_write = &entries;
  if (entries_written_ == 0) {
    out_ << "{\n  \"resourceType\": \"Bundle\",\n  \"type\": \"transaction\",\n  \"entry\": [\n";
    with_device.reserve(entries.size() + 1);
    with_device.push_back(DeviceEntry(options_));
    with_device.insert(with_device.end(), entries.begin(), entries.end());
    to_write = &with_device;
  }
  ASSIGN_OR_RETURN(Json bundle,
                   fhir::BuildRequestBundle(fhir::BundleType::kTransaction, *to_write));
  if (const Json* built = bundle.Find("entry")) {
    for (const Json& entry : built->elements()) WriteEntry(entry);
  }
  return Status::Ok();
}

void TransactionWriter::Finish() {
  if (entries_written_ == 0) {
    out_ << "{\n  \"resourceType\": \"Bundle\",\n  \"type\": \"transaction\"\n}\n";
  } else {
    out_ << "\n  ]\n}\n";
  }
}

}  // namespace bonewatch::adapter
