#include "evaluate_command_input.h"

#include <algorithm>
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

// NDJSON lines per worker thread in one batch (a batch's parsed resources are
// held at once: a few MB).
constexpr size_t kNdjsonLinesPerThreadBatch = 1024;

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

}  // namespace

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
    auto it = medications_.find(std::string(reference));
    if (it == medications_.end()) it = medications_.find(std::string(TrailingTypeAndId(reference)));
    return it == medications_.end() ? nullptr : &it->second;
  };
  // Lines are read a batch at a time, parsed in parallel, then mapped in
  // file order (a Medication must be known before the statements after it).
  // Resources whose mapping does not look anything up are mapped there too.
  struct Line {
    fhir::NdjsonRecord record;
    std::optional<mappings::MapResult> mapped;
  };
  NdjsonLineReader lines(in, fhir::NdjsonReader::Options().max_line_bytes);
  NdjsonBatch batch;
  std::vector<Line> parsed;
  const size_t batch_lines = kNdjsonLinesPerThreadBatch * threads_;
  while (lines.ReadBatch(batch_lines, batch)) {
    parsed.resize(batch.lines.size());
    const Status parallel = ParallelFor(batch.lines.size(), threads_, [&](size_t i) {
      Line& line = parsed[i];
      ParseNdjsonLine(batch, i, fhir::NdjsonReader::Options(), line.record);
      line.mapped.reset();
      if (line.record.ok()) line.mapped = MapWithoutLookups(line.record.value);
      if (line.mapped) line.record.value = fhir::Json();
    });
    if (!parallel.ok()) {
      Unusable(path + ": " + parallel.message());
      return;
    }
    for (Line& line : parsed) {
      const std::string location = path + ":" + std::to_string(line.record.line_number);
      if (!line.record.ok()) {
        Unusable(location + ": " + line.record.status.message());
      } else if (line.mapped) {
        ++counts_.resources;
        Record(*line.mapped, location, /*ai_source=*/false);
      } else {
        Process(line.record.value, location, resolver, /*may_defer=*/true);
      }
      line.record.value = fhir::Json();
      line.mapped.reset();
    }
  }
  if (in.bad()) Unusable(path + ": read error after line " + std::to_string(lines.lines_read()));
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
    Process(*json, path, {}, /*may_defer=*/false);
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
    auto med = medications_.find(type_and_id.empty() ? std::string(reference) : type_and_id);
    return med == medications_.end() ? nullptr : &med->second;
  };
  for (size_t i = 0; i < entries->size(); ++i) {
    const fhir::Json& entry = (*entries)[i];
    const std::string location = path + ": entry[" + std::to_string(i) + "]";
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
    if (tag.GetString("system") == tag_system_ && tag.GetString("code") == "bonewatch") return true;
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

void InputReader::Process(const fhir::Json& resource, const std::string& location,
                          const mappings::ReferenceResolver& resolver, bool may_defer) {
  ++counts_.resources;
  const std::string type = resource.GetString("resourceType").value_or("");
  if (type.empty()) {
    ++counts_.rejected;
    err_ << "bonewatch evaluate: " << location
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
      deferred_.push_back({resource, location});
      return;
    }
  }
  const mappings::MapResult result = mapper_.Map(resource, resolver);
  Record(result, location,
         result.outcome == mappings::MapOutcome::kRetracted && IsMedicationUse(type) &&
             IsAiMedication(resource));
}

std::optional<mappings::MapResult> InputReader::MapWithoutLookups(
    const fhir::Json& resource) const {
  const std::optional<std::string> type = resource.GetString("resourceType");
  // Medication statements and requests may be deferred (Process): never here.
  if (!type || !IsReadType(*type) || IsMedicationUse(*type) || IsOwnResource(resource)) {
    return std::nullopt;
  }
  bool looked_up = false;
  const mappings::ReferenceResolver resolver = [&looked_up](std::string_view) {
    looked_up = true;
    return static_cast<const fhir::Json*>(nullptr);
  };
  mappings::MapResult result = mapper_.Map(resource, resolver);
  if (looked_up) return std::nullopt;  // depends on what was read before it
  return result;
}

void InputReader::Record(const mappings::MapResult& result, const std::string& location,
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
      err_ << "bonewatch evaluate: " << location << ": rejected: " << result.reason << "\n";
      return;
  }
  store_.Apply(result, ai_source);
}

void InputReader::Finish() {
  const mappings::ReferenceResolver resolver = [this](std::string_view reference) {
    auto it = medications_.find(std::string(reference));
    if (it == medications_.end()) it = medications_.find(std::string(TrailingTypeAndId(reference)));
    return it == medications_.end() ? nullptr : &it->second;
  };
  std::vector<Deferred> deferred;
  deferred.swap(deferred_);
  for (const Deferred& d : deferred) Process(d.resource, d.location, resolver, /*may_defer=*/false);
}

}  // namespace bonewatch::adapter
