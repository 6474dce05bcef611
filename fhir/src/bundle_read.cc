// ReadBundle and the response helpers.
#include <array>
#include <utility>

#include "bonewatch/fhir/bundle.h"
#include "internal/json_fields.h"

namespace bonewatch::fhir {
namespace {

using internal::StringField;

constexpr std::array<std::pair<BundleType, std::string_view>, 10> kTypeCodes = {{
    {BundleType::kDocument, "document"},
    {BundleType::kMessage, "message"},
    {BundleType::kTransaction, "transaction"},
    {BundleType::kTransactionResponse, "transaction-response"},
    {BundleType::kBatch, "batch"},
    {BundleType::kBatchResponse, "batch-response"},
    {BundleType::kHistory, "history"},
    {BundleType::kSearchset, "searchset"},
    {BundleType::kCollection, "collection"},
    {BundleType::kSubscriptionNotification, "subscription-notification"},
}};

bool IsKnownMethod(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "POST" || m == "PUT" || m == "DELETE" || m == "PATCH";
}

StatusOr<BundleEntryRequest> ReadRequest(const Json& json, const std::string& where) {
  RETURN_IF_ERROR(internal::ExpectObject(json, where));
  BundleEntryRequest r;
  ASSIGN_OR_RETURN(r.method, StringField(json, "method", where));
  ASSIGN_OR_RETURN(r.url, StringField(json, "url", where));
  ASSIGN_OR_RETURN(r.if_none_match, StringField(json, "ifNoneMatch", where));
  ASSIGN_OR_RETURN(r.if_modified_since, StringField(json, "ifModifiedSince", where));
  ASSIGN_OR_RETURN(r.if_match, StringField(json, "ifMatch", where));
  ASSIGN_OR_RETURN(r.if_none_exist, StringField(json, "ifNoneExist", where));
  if (!IsKnownMethod(r.method)) {
    return InvalidArgumentError(where + ".method: unknown value \"" + r.method + "\"");
  }
  if (r.url.empty()) return InvalidArgumentError(where + ".url: missing");
  return r;
}

StatusOr<BundleEntryResponse> ReadResponse(Json& json, const std::string& where) {
  RETURN_IF_ERROR(internal::ExpectObject(json, where));
  BundleEntryResponse r;
  ASSIGN_OR_RETURN(r.status, StringField(json, "status", where));
  ASSIGN_OR_RETURN(r.location, StringField(json, "location", where));
  ASSIGN_OR_RETURN(r.etag, StringField(json, "etag", where));
  ASSIGN_OR_RETURN(r.last_modified, StringField(json, "lastModified", where));
  if (r.status.empty()) return InvalidArgumentError(where + ".status: missing");
  auto code = ParseHttpStatusCode(r.status);
  r.status_code = code.ok() ? *code : 0;
  if (Json* outcome = json.Find("outcome"); outcome != nullptr) {
    RETURN_IF_ERROR(internal::ExpectObject(*outcome, where + ".outcome"));
    r.outcome = std::move(*outcome);
  }
  return r;
}

StatusOr<BundleEntry> ReadEntry(Json& json, const std::string& where) {
  RETURN_IF_ERROR(internal::ExpectObject(json, where));
  BundleEntry e;
  ASSIGN_OR_RETURN(e.full_url, StringField(json, "fullUrl", where));
  if (const Json* search = json.Find("search"); search != nullptr) {
    RETURN_IF_ERROR(internal::ExpectObject(*search, where + ".search"));
    ASSIGN_OR_RETURN(e.search_mode, StringField(*search, "mode", where + ".search"));
  }
  if (const Json* request = json.Find("request"); request != nullptr) {
    ASSIGN_OR_RETURN(e.request, ReadRequest(*request, where + ".request"));
  }
  if (Json* response = json.Find("response"); response != nullptr) {
    ASSIGN_OR_RETURN(e.response, ReadResponse(*response, where + ".response"));
  }
  if (Json* resource = json.Find("resource"); resource != nullptr) {
    RETURN_IF_ERROR(internal::ExpectObject(*resource, where + ".resource"));
    ASSIGN_OR_RETURN(std::string type, StringField(*resource, "resourceType", where + ".resource"));
    if (type.empty()) return InvalidArgumentError(where + ".resource.resourceType: missing");
    e.resource = std::move(*resource);
  }
  return e;
}

// Entries that each Bundle type requires to carry request/response. History
// entries should carry a request too (bdl-3), but notification Bundles from
// backport servers omit it on the status entry, so history is not checked.
Status CheckEntryShape(BundleType type, const BundleEntry& e, const std::string& where) {
  const bool needs_request = type == BundleType::kTransaction || type == BundleType::kBatch;
  const bool needs_response =
      type == BundleType::kTransactionResponse || type == BundleType::kBatchResponse;
  if (needs_request && !e.request.has_value()) {
    return InvalidArgumentError(where + ".request: missing in a " +
                                std::string(BundleTypeCode(type)) + " Bundle");
  }
  if (needs_response && !e.response.has_value()) {
    return InvalidArgumentError(where + ".response: missing in a " +
                                std::string(BundleTypeCode(type)) + " Bundle");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<BundleType> ParseBundleType(std::string_view code) {
  for (const auto& [type, text] : kTypeCodes) {
    if (text == code) return type;
  }
  return InvalidArgumentError("Bundle.type: unknown value \"" + std::string(code) + "\"");
}

std::string_view BundleTypeCode(BundleType type) {
  for (const auto& [t, text] : kTypeCodes) {
    if (t == type) return text;
  }
  return "";
}

StatusOr<int> ParseHttpStatusCode(std::string_view status) {
  if (status.size() < 3 || (status.size() > 3 && status[3] != ' ')) {
    return InvalidArgumentError("not an HTTP status: \"" + std::string(status) + "\"");
  }
  int code = 0;
  for (int i = 0; i < 3; ++i) {
    if (status[i] < '0' || status[i] > '9') {
      return InvalidArgumentError("not an HTTP status: \"" + std::string(status) + "\"");
    }
    code = code * 10 + (status[i] - '0');
  }
  return code;
}

std::string BundleEntry::ResourceType() const {
  if (!resource.has_value()) return "";
  return resource->GetString("resourceType").value_or("");
}

std::optional<std::string> Bundle::Link(std::string_view relation) const {
  for (const BundleLink& l : links) {
    if (l.relation == relation) return l.url;
  }
  return std::nullopt;
}

StatusOr<Bundle> ReadBundle(Json json) {
  RETURN_IF_ERROR(internal::ExpectObject(json, "Bundle"));
  if (json.GetString("resourceType") != "Bundle") {
    return InvalidArgumentError("Bundle: resourceType is not \"Bundle\"");
  }
  Bundle b;
  ASSIGN_OR_RETURN(std::string type, StringField(json, "type", "Bundle"));
  ASSIGN_OR_RETURN(b.type, ParseBundleType(type));
  ASSIGN_OR_RETURN(b.id, StringField(json, "id", "Bundle"));
  ASSIGN_OR_RETURN(b.timestamp, StringField(json, "timestamp", "Bundle"));
  if (const Json* total = json.Find("total"); total != nullptr) {
    std::optional<int64_t> t = total->AsInt64();
    if (!t.has_value() || *t < 0) return InvalidArgumentError("Bundle.total: not an unsignedInt");
    b.total = t;
  }
  if (const Json* links = json.Find("link"); links != nullptr) {
    if (!links->is_array()) return InvalidArgumentError("Bundle.link: expected an array");
    for (std::size_t i = 0; i < links->size(); ++i) {
      const std::string where = "Bundle.link[" + std::to_string(i) + "]";
      RETURN_IF_ERROR(internal::ExpectObject((*links)[i], where));
      BundleLink l;
      ASSIGN_OR_RETURN(l.relation, StringField((*links)[i], "relation", where));
      ASSIGN_OR_RETURN(l.url, StringField((*links)[i], "url", where));
      b.links.push_back(std::move(l));
    }
  }
  if (Json* entries = json.Find("entry"); entries != nullptr) {
    if (!entries->is_array()) return InvalidArgumentError("Bundle.entry: expected an array");
    b.entries.reserve(entries->size());
    for (std::size_t i = 0; i < entries->size(); ++i) {
      const std::string where = "Bundle.entry[" + std::to_string(i) + "]";
      ASSIGN_OR_RETURN(BundleEntry e, ReadEntry((*entries)[i], where));
      RETURN_IF_ERROR(CheckEntryShape(b.type, e, where));
      b.entries.push_back(std::move(e));
    }
  }
  return b;
}

bool AllEntriesSucceeded(const Bundle& bundle) { return FailedEntryIndices(bundle).empty(); }

std::vector<std::size_t> FailedEntryIndices(const Bundle& bundle) {
  std::vector<std::size_t> failed;
  for (std::size_t i = 0; i < bundle.entries.size(); ++i) {
    const auto& response = bundle.entries[i].response;
    if (!response.has_value() || !response->succeeded()) failed.push_back(i);
  }
  return failed;
}

}  // namespace bonewatch::fhir
