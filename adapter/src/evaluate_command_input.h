// Reading the input files of `bonewatch evaluate` (spec §5) into a CohortStore.
//
//  - FILE.ndjson: streamed one line at a time (fhir::NdjsonReader); memory
//    does not grow with the file beyond the packed facts.
//  - any other FILE: one JSON document, a Bundle of any type (collection,
//    searchset, transaction, history, ...) or a single resource.
// Inside a Bundle, a reference to an entry's fullUrl (urn:uuid:, or an
// absolute URL) resolves to that entry's resource, as does "Type/id".
// medicationReference resolves to a contained Medication, to a Medication of
// the same Bundle, or to any Medication read so far ("Medication/id"). An
// NDJSON MedicationStatement/Request whose Medication has not been read yet
// (Medication.ndjson after MedicationRequest.ndjson) is kept and mapped at
// Finish(), once every file has been read.
//
// Resource types BoneWatch does not read are skipped silently, as are
// resources BoneWatch wrote itself (meta.tag {base}/CodeSystem/tag|bonewatch).
// A rejected resource is reported on `err` ("FILE:LINE: Observation/x:
// rejected: reason"; entry index for Bundles) and reading goes on. Unusable
// input (unreadable file, invalid JSON at the top level or on an NDJSON line,
// a document that is not a FHIR resource) is reported on `err` naming the
// file and the byte offset or line, and counted in `unusable`.
//
// Thread-safety: not thread-safe (it runs its own parse threads inside
// ReadFile: the lines of an NDJSON file are parsed, and mapped when their
// mapping looks nothing up, a batch at a time on the workers while the
// calling thread applies earlier batches to the store in file order). The
// Mapper and the CohortStore are borrowed and must outlive the reader.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "bonewatch/mappings/mapper.h"
#include "evaluate_command_cohort.h"
#include "evaluate_command_ndjson.h"

namespace bonewatch::adapter {

struct InputCounts {
  uint64_t resources = 0;  // resources seen (all types)
  uint64_t skipped = 0;    // types not read, and BoneWatch's own resources
  uint64_t mapped = 0;
  uint64_t ignored = 0;
  uint64_t rejected = 0;
  uint64_t retracted = 0;
  uint64_t unusable = 0;  // files or NDJSON lines that could not be read at all
};

class InputReader {
 public:
  // `threads`: NDJSON lines are parsed on this many threads (the output does
  // not depend on it).
  InputReader(const mappings::Mapper& mapper, CohortStore& store, std::ostream& err,
              std::string tag_system, unsigned threads = 1);
  InputReader(const InputReader&) = delete;
  InputReader& operator=(const InputReader&) = delete;

  // Reads one file. Problems are reported on `err` and counted.
  void ReadFile(const std::string& path);
  // Maps the resources kept for Medications that were not read yet.
  void Finish();

  const InputCounts& counts() const { return counts_; }

 private:
  // Where a resource was read, as messages name it: "FILE", "FILE:LINE" or
  // "FILE: entry[I]". Made into text only when something is reported.
  struct Location {
    enum class Kind { kText, kLine, kEntry };
    std::string_view text;  // the file, or the whole location (kText)
    Kind kind = Kind::kText;
    size_t index = 0;  // line number (kLine) or entry index (kEntry)
    std::string ToString() const;
  };
  struct Deferred {
    fhir::Json resource;
    std::string location;
  };
  // An NDJSON line as the workers leave it for the calling thread.
  struct ParsedLine {
    enum class Kind {
      kUnusable,  // record.status says why
      kSkipped,   // a type BoneWatch does not read, or its own resource
      kMapped,    // `mapped` (and `ai_source`) are final; only then are they set
      kProcess,   // record.value goes through Process() in file order
    };
    Kind kind = Kind::kProcess;
    fhir::NdjsonRecord record;
    mappings::MapResult mapped;
    bool ai_source = false;
  };

  void ReadNdjson(const std::string& path);
  void ReadJsonDocument(const std::string& path);
  void ReadBundle(const std::string& path, const fhir::Json& bundle);
  void Process(const fhir::Json& resource, const Location& location,
               const mappings::ReferenceResolver& resolver, bool may_defer);
  // Counts a mapped, ignored, retracted or rejected resource (reporting a
  // rejection) and applies it to the store.
  void Record(const mappings::MapResult& result, const Location& location, bool ai_source);
  // Parses line `index` of `batch` into `line`, and settles what does not
  // depend on the lines before it (see ParsedLine). Thread-safe.
  void ParseLine(const NdjsonBatch& batch, size_t index, ParsedLine& line) const;
  // Whether `resource`, of a type BoneWatch reads, is mapped the same
  // whatever was read before it; sets `line` if so. Thread-safe.
  bool MapWithoutLookups(const fhir::Json& resource, std::string_view type, ParsedLine& line) const;
  bool IsAiMedication(const fhir::Json& resource) const;
  bool IsOwnResource(const fhir::Json& resource) const;
  void Unusable(const std::string& message);

  const mappings::Mapper& mapper_;
  CohortStore& store_;
  std::ostream& err_;
  std::string tag_system_;
  unsigned threads_;
  InputCounts counts_;
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>()(key); }
  };
  // Every Medication read so far, by "Medication/id" (small: one per drug product).
  std::unordered_map<std::string, fhir::Json, KeyHash, std::equal_to<>> medications_;
  std::vector<Deferred> deferred_;
};

}  // namespace bonewatch::adapter
