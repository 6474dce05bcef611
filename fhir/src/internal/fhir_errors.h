// HTTP answers and OperationOutcomes turned into Status values (internal to bonewatch_fhir).
#pragma once

#include <string>
#include <string_view>

#include "bonewatch/fhir/http.h"
#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/status.h"

namespace bonewatch::fhir::internal {

// The StatusCode for a non-2xx HTTP status (see client.h for the table).
StatusCode CodeForHttpStatus(int http_status);

// "[error processing] diagnostics; details.text" for each issue, joined with " | ".
// Empty when `resource` is not an OperationOutcome or has no text to show.
std::string SummarizeOutcome(const Json& resource);

// The error for a non-2xx answer to `description` ("GET http://..."):
// "GET http://...: HTTP 412 after 2 attempts: [error conflict] version mismatch".
// The body is shown only through its OperationOutcome; other bodies are left out (they may hold
// patient data).
Status HttpError(std::string_view description, const HttpResponse& response, int attempts);

}  // namespace bonewatch::fhir::internal
