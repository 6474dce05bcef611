#include "ruleset_file.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <variant>

#include "bonewatch/fhir/json.h"

namespace bonewatch::adapter {

StatusOr<rules::RuleSet> ParseRuleSetJson(const std::string& text, const std::string& file_name,
                                          const rules::RuleSet& base) {
  auto parsed = fhir::Json::Parse(text);
  if (!parsed.ok()) return parsed.status().WithContext(file_name);
  const fhir::Json& root = *parsed;
  if (!root.is_object()) {
    return InvalidArgumentError(file_name + ": the top level must be a JSON object of numbers");
  }
  std::map<std::string, double> entries;
  std::string errors;
  for (const auto& member : root.members()) {
    if (member.key.starts_with("_")) continue;  // "_comment" and similar annotations
    if (!member.value.is_number()) {
      errors += (errors.empty() ? "" : "; ") + ("key '" + member.key + "': must be a number, not " +
                                                std::string(member.value.TypeName()));
      continue;
    }
    entries[member.key] = member.value.AsDouble();
  }
  if (!errors.empty()) return InvalidArgumentError(file_name + ": " + errors);

  auto applied = rules::ApplyRuleSetEntries(base, entries);
  if (auto* list = std::get_if<std::vector<rules::RuleSetError>>(&applied)) {
    for (const auto& e : *list) {
      errors += (errors.empty() ? "" : "; ") + ("key '" + e.key + "': " + e.reason);
    }
    return InvalidArgumentError(file_name + ": " + errors);
  }
  return std::get<rules::RuleSet>(std::move(applied));
}

StatusOr<rules::RuleSet> LoadRuleSetFile(const std::string& path, const rules::RuleSet& base) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(path + ": cannot open the rules file");
  std::ostringstream contents;
  contents << in.rdbuf();
  return ParseRuleSetJson(contents.str(), path, base);
}

std::string DefaultRuleSetPath() {
  if (const char* dir = std::getenv("BONEWATCH_DATA_DIR"); dir != nullptr && *dir != '\0') {
    return std::string(dir) + "/rules/default-rules.json";
  }
  return std::string(BONEWATCH_SOURCE_DIR) + "/rules/default-rules.json";
}

}  // namespace bonewatch::adapter
