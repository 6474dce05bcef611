// Internal: builds a MappingSet from mapping files, collecting every error.
// Not thread-safe (one Loader per load).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "bonewatch/mappings/mapping_set.h"
#include "tables.h"

namespace bonewatch::mappings {

class Loader {
 public:
  explicit Loader(std::string base);

  // Reads every *.json file of `dir` (sorted by name). A missing or empty
  // directory is an error.
  void LoadDirectory(const std::string& dir);
  // Validates and adds one file's contents (`file` names it in errors).
  void LoadText(const std::string& file, std::string_view text);
  // Final checks (every concept has units); then the set, or the errors.
  LoadReport Finish();

  // Records an error.
  void Error(const std::string& file, std::string where, std::string reason);

  // The part of `uri` after "{base}/CodeSystem/", or "" if it is not one of ours.
  std::string OurCodeSystem(std::string_view uri) const;
  bool IsOurUri(std::string_view uri, std::string_view suffix) const;

  internal::Tables& tables() { return *tables_; }

 private:
  void LoadConceptMap(const std::string& file, const fhir::Json& root);
  void LoadUnits(const std::string& file, const fhir::Json& root);

  std::vector<std::string> bases_;
  std::shared_ptr<internal::Tables> tables_;
  std::vector<LoadError> errors_;
};

// Implemented in concept_map_reader.cc / units_reader.cc.
namespace internal {
size_t ReadConceptMap(Loader& loader, const std::string& file, const fhir::Json& root);
size_t ReadUnitsTable(Loader& loader, const std::string& file, const fhir::Json& root);
}  // namespace internal

}  // namespace bonewatch::mappings
