#include "ingest_history.h"

#include <set>
#include <utility>

#include "bonewatch/fhir/reference.h"
#include "ingest_types.h"

namespace bonewatch::adapter {

StatusOr<std::vector<fhir::Json>> FetchPatientHistory(
    const fhir::Client& client, const std::string& patient_id, const Config::Inputs& inputs,
    const std::vector<mappings::Criteria>& criteria, const HistoryFetchOptions& options) {
  if (!fhir::IsValidId(patient_id)) {
    return InvalidArgumentError("history fetch: \"" + patient_id + "\" is not a Patient id");
  }
  const std::string where = "history fetch for Patient/" + patient_id;
  std::vector<fhir::Json> resources;
  StatusOr<fhir::FhirResult> patient = client.Read("Patient", patient_id);
  if (!patient.ok()) return patient.status().WithContext(where);
  resources.push_back(std::move(patient->resource));

  std::set<std::string> seen;
  for (const std::string& type : IngestTypes(inputs)) {
    std::vector<std::string> chunks =
        CodeFilterChunks(FindCriteria(criteria, type), options.max_code_filter_chars);
    // (code parameter, codes) searches; one without a code filter when there is none.
    std::vector<std::pair<std::string, std::string>> searches;
    if (chunks.empty()) searches.emplace_back("", "");
    for (const std::string& parameter : CodeSearchParameters(type)) {
      for (const std::string& codes : chunks) searches.emplace_back(parameter, codes);
    }
    for (const auto& [parameter, codes] : searches) {
      fhir::SearchParams params = {{"subject", "Patient/" + patient_id},
                                   {"_count", std::to_string(options.page_size)}};
      if (!codes.empty()) params.emplace_back(parameter, codes);
      StatusOr<std::vector<fhir::Json>> found = client.SearchAll(type, params);
      if (!found.ok()) return found.status().WithContext(where);
      for (fhir::Json& resource : *found) {
        const std::string key = resource.GetString("resourceType").value_or("") + "/" +
                                resource.GetString("id").value_or("");
        if (!seen.insert(key).second) continue;
        resources.push_back(std::move(resource));
      }
    }
  }
  return resources;
}

}  // namespace bonewatch::adapter
