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
  entry.full_url = DeterministicUrnUuid(options, {type, "|", system, "|", value});
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
  return DeterministicUrnUuid(
      options, {"Device|", options.DeviceIdentifierSystem(), "|", kDeviceIdentifierValue});
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
  provenance.full_url =
      DeterministicUrnUuid(options, {"Provenance|", evaluation.patient_id, "|", recorded});
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

StatusOr<RenderedEntries> RenderPatientEntries(std::vector<fhir::RequestEntry> entries) {
  RenderedEntries rendered;
  if (entries.empty()) return rendered;
  ASSIGN_OR_RETURN(Json bundle,
                   fhir::BuildRequestBundle(fhir::BundleType::kTransaction, std::move(entries)));
  if (const Json* built = bundle.Find("entry")) {
    // An entry sits two levels deep in the Bundle (Bundle.entry[i]).
    for (const Json& entry : built->elements()) {
      rendered.text += ",\n    ";
      entry.AppendPretty(rendered.text, 2);
      ++rendered.count;
    }
  }
  return rendered;
}

TransactionWriter::TransactionWriter(std::ostream& out, WritebackOptions options)
    : out_(out), options_(std::move(options)) {}

Status TransactionWriter::Add(std::vector<fhir::RequestEntry> entries) {
  ASSIGN_OR_RETURN(RenderedEntries rendered, RenderPatientEntries(std::move(entries)));
  AddRendered(rendered);
  return Status::Ok();
}

void TransactionWriter::AddRendered(const RenderedEntries& rendered) {
  if (rendered.count == 0) return;
  if (entries_written_ == 0) {
    out_ << "{\n  \"resourceType\": \"Bundle\",\n  \"type\": \"transaction\",\n  \"entry\": [\n";
    std::vector<fhir::RequestEntry> device;
    device.push_back(DeviceEntry(options_));
    // The Device entry is built here from constants: it always validates.
    const StatusOr<RenderedEntries> first = RenderPatientEntries(std::move(device));
    const std::string_view text = first.ok() ? std::string_view(first->text) : std::string_view();
    out_ << text.substr(std::min<size_t>(2, text.size()));  // no ",\n" before the first entry
    ++entries_written_;
  }
  out_.write(rendered.text.data(), static_cast<std::streamsize>(rendered.text.size()));
  entries_written_ += rendered.count;
}

void TransactionWriter::Finish() {
  if (entries_written_ == 0) {
    out_ << "{\n  \"resourceType\": \"Bundle\",\n  \"type\": \"transaction\"\n}\n";
  } else {
    out_ << "\n  ]\n}\n";
  }
}

}  // namespace bonewatch::adapter
