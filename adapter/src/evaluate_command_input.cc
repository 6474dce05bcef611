#include "evaluate_command_input.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include "bonewatch/fhir/ndjson.h"
#include "evaluate_command_ndjson.h"
#include "evaluate_command_parallel.h"

namespace bonewatch::adapter {
namespace {

// NDJSON lines per worker thread in one batch, at least (plus the rest of
// the last block read; a batch's parsed resources are held at once: a few MB).
constexpr size_t kNdjsonLinesPerThreadBatch = 1024;
// Batches parsed ahead of the one applied: enough that the workers keep busy
// while the applying thread is slow for a while.
constexpr size_t kBatchesAhead = 2;

bool IsReadType(std::string_view type) {
  return type == "Observation" || type == "MedicationStatement" || type == "MedicationRequest" ||
         type == "Condition" || type == "Procedure" || type == "Patient";
}

bool IsMedicationUse(std::string_view type) {
  return type == "MedicationStatement" || type == "MedicationRequest";
}

// "Type/id" at the end of an absolute reference ("https://x/fhir/Patient/1").
std::string_view TrailingTypeAndId(std::string_view reference) {
  const size_t slash = reference.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return {};
  const size_t type_slash = reference.rfind('/', slash - 1);
  if (type_slash == std::string_view::npos) return {};
  return reference.substr(type_slash + 1);
}

// The string member `key` of an object, without copying it; nullopt when
// missing or not a string (as Json::GetString).
std::optional<std::string_view> StringMember(const fhir::Json& object, std::string_view key) {
  const fhir::Json* value = object.Find(key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string_view(value->AsString());
}

}  // namespace

std::string InputReader::Location::ToString() const {
  switch (kind) {
    case Kind::kLine:
      return std::string(text) + ":" + std::to_string(index);
    case Kind::kEntry:
      return std::string(text) + ": entry[" + std::to_string(index) + "]";
    case Kind::kText:
      break;
  }
  return std::string(text);
}

InputReader::InputReader(const mappings::Mapper& mapper, CohortStore& store, std::ostream& err,
                         std::string tag_system, unsigned threads)
    : mapper_(mapper),
      store_(store),
      err_(err),
      tag_system_(std::move(tag_system)),
      threads_(std::max(threads, 1u)) {}

void InputReader::Unusable(const std::string& message) {
  ++counts_.unusable;
  err_ << "bonewatch evaluate: " << message << "\n";
}

void InputReader::ReadFile(const std::string& path) {
  if (path.ends_with(".ndjson")) {
    ReadNdjson(path);
  } else {
    ReadJsonDocument(path);
  }
}

void InputReader::ReadNdjson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Unusable(path + ": cannot open: " + std::strerror(errno));
    return;
  }
  const mappings::ReferenceResolver resolver = [this](std::string_view reference) {
    auto it = medications_.find(reference);
    if (it == medications_.end()) it = medications_.find(TrailingTypeAndId(reference));
    return it == medications_.end() ? nullptr : &it->second;
  };
  // Lines are read a batch at a time and parsed (and mapped, when the mapping
  // looks nothing up) on the workers; the results are applied in file order
  // on this thread (a Medication must be known before the statements after
  // it). Up to kBatchesAhead batches are parsed while this thread applies
  // one: after batch k is parsed, this thread reads the lines of batch
  // k + kBatchesAhead into the slot of batch k - 1 (applied already), starts
  // it, and applies batch k.
  struct Slot {
    NdjsonBatch batch;
    std::vector<ParsedLine> parsed;
    bool has_lines = false;
  };
  NdjsonLineReader lines(in, fhir::NdjsonReader::Options().max_line_bytes);
  std::array<Slot, kBatchesAhead + 1> slots;
  const size_t batch_lines = kNdjsonLinesPerThreadBatch * threads_;
  WorkerPool pool(threads_);  // after what its batches use: destroyed (finished) first
  // Reads the next batch into `slot` and starts parsing it, if the input has
  // more lines.
  auto read_and_start = [&](Slot& slot) {
    slot.has_lines = lines.ReadBatch(batch_lines, slot.batch);
    if (!slot.has_lines) return;
    slot.parsed.resize(slot.batch.lines.size());
    pool.Start(slot.batch.lines.size(),
               [this, &slot](size_t i) { ParseLine(slot.batch, i, slot.parsed[i]); });
  };
  for (size_t k = 0; k < kBatchesAhead; ++k) {
    if (k == 0 || slots[k - 1].has_lines) read_and_start(slots[k]);
  }
  for (size_t k = 0; slots[k % slots.size()].has_lines; ++k) {
    Slot& slot = slots[k % slots.size()];
    const Status parallel = pool.Wait();
    if (!parallel.ok()) {
      Unusable(path + ": " + parallel.message());
      return;
    }
    const Slot& last_started = slots[(k + kBatchesAhead - 1) % slots.size()];
    Slot& free_slot = slots[(k + kBatchesAhead) % slots.size()];
    free_slot.has_lines = false;
    if (last_started.has_lines) read_and_start(free_slot);
    for (ParsedLine& line : slot.parsed) {
      const Location location{path, Location::Kind::kLine, line.record.line_number};
      switch (line.kind) {
        case ParsedLine::Kind::kUnusable:
          Unusable(location.ToString() + ": " + line.record.status.message());
          break;
        case ParsedLine::Kind::kSkipped:
          ++counts_.resources;
          ++counts_.skipped;
          break;
        case ParsedLine::Kind::kMapped:
          ++counts_.resources;
          Record(line.mapped, location, line.ai_source);
          break;
        case ParsedLine::Kind::kProcess:
          Process(line.record.value, location, resolver, /*may_defer=*/true);
          break;
      }
      // What the line holds is freed by the worker that parses the next
      // line into it, not here on the serial path.
    }
  }
  if (in.bad()) Unusable(path + ": read error after line " + std::to_string(lines.lines_read()));
}

void InputReader::ParseLine(const NdjsonBatch& batch, size_t index, ParsedLine& line) const {
  ParseNdjsonLine(batch, index, fhir::NdjsonReader::Options(), line.record);
  if (!line.record.ok()) {
    line.kind = ParsedLine::Kind::kUnusable;
    return;
  }
  const fhir::Json& resource = line.record.value;
  const std::optional<std::string_view> type = StringMember(resource, "resourceType");
  line.kind = ParsedLine::Kind::kProcess;
  // Resources without a type and Medications are for Process(), in order.
  if (!type || type->empty() || *type == "Medication") return;
  if (!IsReadType(*type) || IsOwnResource(resource)) {
    line.kind = ParsedLine::Kind::kSkipped;
  } else if (MapWithoutLookups(resource, *type, line)) {
    line.kind = ParsedLine::Kind::kMapped;
  } else {
    return;  // keeps the resource for Process()
  }
  fhir::Json::Recycle(line.record.value);  // for the next lines parsed on this thread
}

bool InputReader::MapWithoutLookups(const fhir::Json& resource, std::string_view type,
                                    ParsedLine& line) const {
  // A statement naming a Medication may be deferred (Process): never here.
  if (IsMedicationUse(type)) {
    const fhir::Json* reference = resource.Find("medicationReference");
    const std::string_view text =
        reference != nullptr ? StringMember(*reference, "reference").value_or("") : "";
    if (!text.empty() && !text.starts_with("#")) return false;
  }
  bool looked_up = false;
  const mappings::ReferenceResolver resolver = [&looked_up](std::string_view) {
    looked_up = true;
    return static_cast<const fhir::Json*>(nullptr);
  };
  // Into what the slot held, keeping its capacity.
  mapper_.Map(resource, resolver, line.mapped);
  if (looked_up) return false;  // depends on what was read before it
  line.ai_source = line.mapped.outcome == mappings::MapOutcome::kRetracted &&
                   IsMedicationUse(type) && IsAiMedication(resource);
  return true;
}

void InputReader::ReadJsonDocument(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Unusable(path + ": cannot open: " + std::strerror(errno));
    return;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    Unusable(path + ": read error");
    return;
  }
  auto json = fhir::Json::Parse(text);
  if (!json.ok()) {
    Unusable(path + ": " + json.status().message());
    return;
  }
  std::string().swap(text);
  if (!json->is_object() || !json->GetString("resourceType")) {
    Unusable(path + ": not a FHIR resource or Bundle (no resourceType at the top level)");
    return;
  }
  if (json->GetString("resourceType") == "Bundle") {
    ReadBundle(path, *json);
  } else {
    Process(*json, Location{path}, {}, /*may_defer=*/false);
  }
}

void InputReader::ReadBundle(const std::string& path, const fhir::Json& bundle) {
  const fhir::Json* entries = bundle.Find("entry");
  if (entries == nullptr) return;
  if (!entries->is_array()) {
    Unusable(path + ": Bundle.entry is not an array");
    return;
  }
  std::unordered_map<std::string, const fhir::Json*> index;
  for (const fhir::Json& entry : entries->elements()) {
    const fhir::Json* resource = entry.Find("resource");
    if (resource == nullptr || !resource->is_object()) continue;
    if (auto full_url = entry.GetString("fullUrl"); full_url && !full_url->empty()) {
      index.emplace(*full_url, resource);
    }
    const auto type = resource->GetString("resourceType");
    const auto id = resource->GetString("id");
    if (type && id) index.emplace(*type + "/" + *id, resource);
    if (type == "Medication" && id) medications_.insert_or_assign("Medication/" + *id, *resource);
  }
  const mappings::ReferenceResolver resolver =
      [this, &index](std::string_view reference) -> const fhir::Json* {
    auto it = index.find(std::string(reference));
    if (it != index.end()) return it->second;
    const std::string type_and_id(TrailingTypeAndId(reference));
    if (!type_and_id.empty()) {
      it = index.find(type_and_id);
      if (it != index.end()) return it->second;
    }
    auto med = medications_.find(type_and_id.empty() ? reference : std::string_view(type_and_id));
    return med == medications_.end() ? nullptr : &med->second;
  };
  for (size_t i = 0; i < entries->size(); ++i) {
    const fhir::Json& entry = (*entries)[i];
    const Location location{path, Location::Kind::kEntry, i};
    const fhir::Json* resource = entry.Find("resource");
    if (resource == nullptr) {
      // A history Bundle's DELETE: the resource is withdrawn.
      const fhir::Json* request = entry.Find("request");
      if (request != nullptr && request->GetString("method") == "DELETE") {
        const std::string url = request->GetString("url").value_or("");
        const size_t slash = url.find('/');
        if (slash != std::string::npos) {
          ++counts_.retracted;
          store_.Delete(std::string_view(url).substr(0, slash),
                        std::string_view(url).substr(slash + 1));
        }
      }
      continue;
    }
    Process(*resource, location, resolver, /*may_defer=*/false);
  }
}

bool InputReader::IsOwnResource(const fhir::Json& resource) const {
  const fhir::Json* tags = resource.At({"meta", "tag"});
  if (tags == nullptr) return false;
  for (const fhir::Json& tag : tags->elements()) {
    if (StringMember(tag, "system") == tag_system_ && StringMember(tag, "code") == "bonewatch") {
      return true;
    }
  }
  return false;
}

bool InputReader::IsAiMedication(const fhir::Json& resource) const {
  const fhir::Json* codings = resource.At({"medicationCodeableConcept", "coding"});
  if (codings == nullptr) return false;
  for (const fhir::Json& coding : codings->elements()) {
    const mappings::MedicationMapping* m = mapper_.mappings().FindMedication(
        coding.GetString("system").value_or(""), coding.GetString("code").value_or(""));
    if (m != nullptr && m->medication_class == rules::MedicationClass::kAromataseInhibitor) {
      return true;
    }
  }
  return false;
}

void InputReader::Process(const fhir::Json& resource, const Location& location,
                          const mappings::ReferenceResolver& resolver, bool may_defer) {
  ++counts_.resources;
  const std::string type = resource.GetString("resourceType").value_or("");
  if (type.empty()) {
    ++counts_.rejected;
    err_ << "bonewatch evaluate: " << location.ToString()
         << ": rejected: not a FHIR resource (no resourceType)\n";
    return;
  }
  if (type == "Medication") {
    if (auto id = resource.GetString("id"))
      medications_.insert_or_assign("Medication/" + *id, resource);
    ++counts_.skipped;
    return;
  }
  if (!IsReadType(type) || IsOwnResource(resource)) {
    ++counts_.skipped;
    return;
  }
  if (may_defer && IsMedicationUse(type)) {
    const auto reference = resource.At({"medicationReference"});
    const std::string text =
        reference != nullptr ? reference->GetString("reference").value_or("") : "";
    if (!text.empty() && !text.starts_with("#") && resolver(text) == nullptr) {
      --counts_.resources;  // counted when mapped at Finish()
      deferred_.push_back({resource, location.ToString()});
      return;
    }
  }
  const mappings::MapResult result = mapper_.Map(resource, resolver);
  Record(result, location,
         result.outcome == mappings::MapOutcome::kRetracted && IsMedicationUse(type) &&
             IsAiMedication(resource));
}

void InputReader::Record(const mappings::MapResult& result, const Location& location,
                         bool ai_source) {
  switch (result.outcome) {
    case mappings::MapOutcome::kMapped:
      ++counts_.mapped;
      break;
    case mappings::MapOutcome::kIgnored:
      ++counts_.ignored;
      break;
    case mappings::MapOutcome::kRetracted:
      ++counts_.retracted;
      break;
    case mappings::MapOutcome::kRejected:
      ++counts_.rejected;
      err_ << "bonewatch evaluate: " << location.ToString() << ": rejected: " << result.reason
           << "\n";
      return;
  }
  store_.Apply(result, ai_source);
}

void InputReader::Finish() {
  const mappings::ReferenceResolver resolver = [this](std::string_view reference) {
    auto it = medications_.find(reference);
    if (it == medications_.end()) it = medications_.find(TrailingTypeAndId(reference));
    return it == medications_.end() ? nullptr : &it->second;
  };
  std::vector<Deferred> deferred;
  deferred.swap(deferred_);
  for (const Deferred& d : deferred) {
    Process(d.resource, Location{d.location}, resolver, /*may_defer=*/false);
  }
}

}  // namespace bonewatch::adapter
