// Patient history fetch: for a patient seen for the first time, every relevant resource of theirs
// (architecture "A patient seen for the first time has their relevant history fetched once, by
// subject"), plus the Patient itself (birthDate, gender).
//
// Per ingest type (ingest_types.h): {Type}?subject=Patient/{id}[&code=...]&_count=... following
// next links; long code lists are searched in chunks, and types whose codes cannot be expressed
// as tokens (prefix codes) are searched without a code filter (the Mapper filters). The Patient
// comes first in the result, then the resources by type, each resource once.
//
// Errors: any failed request fails the fetch (the caller retries later; nothing is partial).
// A missing Patient (404/410) is kNotFound.
// Thread-safety: as thread-safe as the Client.
#pragma once

#include <string>
#include <vector>

#include "bonewatch/fhir/client.h"
#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/status.h"
#include "bonewatch/mappings/mapping_set.h"
#include "config.h"

namespace bonewatch::adapter {

struct HistoryFetchOptions {
  int page_size = 200;
  size_t max_code_filter_chars = 1500;
};

StatusOr<std::vector<fhir::Json>> FetchPatientHistory(
    const fhir::Client& client, const std::string& patient_id, const Config::Inputs& inputs,
    const std::vector<mappings::Criteria>& criteria, const HistoryFetchOptions& options = {});

}  // namespace bonewatch::adapter
