#include "loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace bonewatch::mappings {

std::string LoadError::ToString() const {
  std::string out = file + ": ";
  if (!where.empty()) out += where + ": ";
  return out + reason;
}

Loader::Loader(std::string base) : tables_(std::make_shared<internal::Tables>()) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  bases_.push_back(base);
  if (base != kDefaultBase) bases_.emplace_back(kDefaultBase);
  tables_->base = std::move(base);
}

void Loader::Error(const std::string& file, std::string where, std::string reason) {
  errors_.push_back(LoadError{file, std::move(where), std::move(reason)});
}

bool Loader::IsOurUri(std::string_view uri, std::string_view suffix) const {
  for (const std::string& base : bases_) {
    if (uri.size() == base.size() + suffix.size() && uri.starts_with(base) &&
        uri.ends_with(suffix)) {
      return true;
    }
  }
  return false;
}

std::string Loader::OurCodeSystem(std::string_view uri) const {
  for (const std::string& base : bases_) {
    const std::string prefix = base + "/CodeSystem/";
    if (uri.size() > prefix.size() && uri.starts_with(prefix)) {
      return std::string(uri.substr(prefix.size()));
    }
  }
  return "";
}

void Loader::LoadDirectory(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    Error(dir, "", "not a directory (mapping files are read from a directory of *.json files)");
    return;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  }
  if (ec) {
    Error(dir, "", "cannot list the directory: " + ec.message());
    return;
  }
  if (files.empty()) {
    Error(dir, "", "no *.json mapping files in the directory");
    return;
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      Error(path.string(), "", "cannot open the file");
      continue;
    }
    std::ostringstream contents;
    contents << in.rdbuf();
    LoadText(path.string(), contents.str());
  }
}

void Loader::LoadText(const std::string& file, std::string_view text) {
  auto parsed = fhir::Json::Parse(text);
  if (!parsed.ok()) {
    Error(file, "", parsed.status().message());
    return;
  }
  const fhir::Json& root = *parsed;
  const std::optional<std::string> type = root.GetString("resourceType");
  if (type == "ConceptMap") {
    LoadConceptMap(file, root);
  } else if (type == "BoneWatchUnits") {
    LoadUnits(file, root);
  } else {
    Error(file, "resourceType",
          type ? "not a ConceptMap: resourceType is '" + *type +
                     "' (expected 'ConceptMap', or 'BoneWatchUnits' for a units table)"
               : "not a ConceptMap: the file has no resourceType (expected 'ConceptMap', or "
                 "'BoneWatchUnits' for a units table)");
  }
}

void Loader::LoadConceptMap(const std::string& file, const fhir::Json& root) {
  const size_t before = errors_.size();
  const size_t entries = internal::ReadConceptMap(*this, file, root);
  if (errors_.size() == before) {
    tables_->files.push_back(
        FileSummary{file, "ConceptMap", root.GetString("id").value_or(""), entries});
  }
}

void Loader::LoadUnits(const std::string& file, const fhir::Json& root) {
  const size_t before = errors_.size();
  const size_t entries = internal::ReadUnitsTable(*this, file, root);
  if (errors_.size() == before) {
    tables_->files.push_back(FileSummary{file, "BoneWatchUnits", "", entries});
  }
}

LoadReport Loader::Finish() {
  LoadReport report;
  if (errors_.empty()) {
    for (size_t i = 0; i < internal::kConceptCount; ++i) {
      const auto kind = static_cast<rules::Concept>(i);
      if (kind == rules::Concept::kDxaProcedure) continue;
      if (tables_->units[i].canonical.empty()) {
        Error("(units)", "",
              "no units table entry for concept '" + std::string(rules::ConceptCode(kind)) + "'");
      }
    }
  }
  if (!errors_.empty()) {
    report.errors = std::move(errors_);
    return report;
  }
  report.mappings = MappingSet(std::move(tables_));
  return report;
}

LoadReport LoadMappingsReport(const LoadOptions& options) {
  Loader loader(options.base);
  loader.LoadDirectory(options.default_dir);
  if (!options.extra_dir.empty()) loader.LoadDirectory(options.extra_dir);
  return loader.Finish();
}

StatusOr<MappingSet> LoadMappings(const LoadOptions& options) {
  LoadReport report = LoadMappingsReport(options);
  if (report.mappings) return *std::move(report.mappings);
  std::string message;
  for (const LoadError& e : report.errors) {
    if (!message.empty()) message += "\n";
    message += e.ToString();
  }
  return InvalidArgumentError(message);
}

}  // namespace bonewatch::mappings
