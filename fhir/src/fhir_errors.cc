#include "internal/fhir_errors.h"

namespace bonewatch::fhir::internal {

StatusCode CodeForHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
    case 422:
      return StatusCode::kInvalidArgument;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
    case 410:
      return StatusCode::kNotFound;
    case 409:
    case 412:
      return StatusCode::kFailedPrecondition;
    case 405:
    case 501:
      return StatusCode::kUnimplemented;
    case 408:
    case 429:
      return StatusCode::kUnavailable;
    default:
      break;
  }
  if (http_status >= 500 && http_status <= 599) return StatusCode::kUnavailable;
  if (http_status >= 400 && http_status <= 499) return StatusCode::kInvalidArgument;
  return StatusCode::kInternal;
}

std::string SummarizeOutcome(const Json& resource) {
  if (resource.GetString("resourceType") != "OperationOutcome") return {};
  const Json* issues = resource.Find("issue");
  if (issues == nullptr || !issues->is_array()) return {};
  std::string out;
  for (const Json& issue : issues->elements()) {
    std::string text;
    std::string severity = issue.GetString("severity").value_or("");
    std::string code = issue.GetString("code").value_or("");
    if (!severity.empty() || !code.empty()) {
      text = "[" + severity + (severity.empty() || code.empty() ? "" : " ") + code + "]";
    }
    std::optional<std::string> diagnostics = issue.GetString("diagnostics");
    const Json* details = issue.At({"details", "text"});
    std::optional<std::string> details_text = details != nullptr && details->is_string()
                                                  ? std::optional(details->AsString())
                                                  : std::nullopt;
    if (diagnostics) text += (text.empty() ? "" : " ") + *diagnostics;
    if (details_text && details_text != diagnostics) {
      text += (text.empty() ? "" : (diagnostics ? "; " : " ")) + *details_text;
    }
    if (text.empty()) continue;
    if (!out.empty()) out += " | ";
    out += text;
  }
  return out;
}

Status HttpError(std::string_view description, const HttpResponse& response, int attempts) {
  std::string message(description);
  message += ": HTTP " + std::to_string(response.status);
  if (attempts > 1) message += " after " + std::to_string(attempts) + " attempts";
  if (!response.body.empty()) {
    StatusOr<Json> body = Json::Parse(response.body);
    if (body.ok()) {
      std::string outcome = SummarizeOutcome(*body);
      if (!outcome.empty()) message += ": " + outcome;
    }
  }
  return Status(CodeForHttpStatus(response.status), std::move(message));
}

}  // namespace bonewatch::fhir::internal
