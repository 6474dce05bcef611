#include "ingest_types.h"

namespace bonewatch::adapter {

std::vector<std::string> IngestTypes(const Config::Inputs& inputs) {
  std::vector<std::string> types = {"Observation", "MedicationStatement"};
  if (inputs.medication_request) types.push_back("MedicationRequest");
  if (inputs.condition) types.push_back("Condition");
  if (inputs.procedure) types.push_back("Procedure");
  return types;
}

std::vector<std::string> WatchedTypes(const Config::Inputs& inputs) {
  std::vector<std::string> types = IngestTypes(inputs);
  types.push_back("Medication");
  return types;
}

const mappings::Criteria* FindCriteria(const std::vector<mappings::Criteria>& criteria,
                                       const std::string& type) {
  for (const mappings::Criteria& c : criteria) {
    if (c.resource_type == type) return &c;
  }
  return nullptr;
}

std::vector<std::string> CodeSearchParameters(const std::string& type) {
  if (type == "Observation") return {"code", "component-code"};
  return {"code"};
}

std::vector<std::string> CodeFilterChunks(const mappings::Criteria* criteria, size_t max_chars) {
  std::vector<std::string> chunks;
  if (criteria == nullptr || criteria->has_prefix_codes || criteria->codes.empty()) return chunks;
  std::string current;
  for (const mappings::CriteriaCode& code : criteria->codes) {
    const std::string token = code.system.empty() ? code.code : code.system + "|" + code.code;
    if (!current.empty() && current.size() + 1 + token.size() > max_chars) {
      chunks.push_back(std::move(current));
      current.clear();
    }
    if (!current.empty()) current += ',';
    current += token;
  }
  if (!current.empty()) chunks.push_back(std::move(current));
  return chunks;
}

std::optional<std::string> CodeFilter(const mappings::Criteria* criteria, size_t max_chars) {
  std::vector<std::string> chunks = CodeFilterChunks(criteria, max_chars);
  if (chunks.size() != 1) return std::nullopt;
  return std::move(chunks[0]);
}

}  // namespace bonewatch::adapter
