// BuildRequestBundle: transaction and batch Bundles with validated entries.
#include <set>
#include <utility>

#include "bonewatch/fhir/bundle.h"
#include "internal/json_fields.h"

namespace bonewatch::fhir {
namespace {

using internal::SetIfNotEmpty;

bool IsAcceptableFullUrl(std::string_view url) {
  if (url.starts_with("urn:uuid:") || url.starts_with("urn:oid:")) return true;
  const std::size_t scheme = url.find("://");
  return scheme != std::string_view::npos && scheme > 0;
}

Status CheckEntry(const RequestEntry& entry, const std::string& where) {
  const std::string& m = entry.request.method;
  const bool with_body = m == "POST" || m == "PUT" || m == "PATCH";
  const bool without_body = m == "GET" || m == "HEAD" || m == "DELETE";
  if (!with_body && !without_body) {
    return InvalidArgumentError(where + ".request.method: unknown value \"" + m + "\"");
  }
  if (entry.request.url.empty()) return InvalidArgumentError(where + ".request.url: missing");
  if (with_body && !entry.resource.has_value()) {
    return InvalidArgumentError(where + ".resource: required for " + m);
  }
  if (without_body && entry.resource.has_value()) {
    return InvalidArgumentError(where + ".resource: not allowed for " + m);
  }
  if (entry.resource.has_value() && !entry.resource->GetString("resourceType").has_value()) {
    return InvalidArgumentError(where + ".resource.resourceType: missing");
  }
  if (!entry.request.if_none_exist.empty() && m != "POST") {
    return InvalidArgumentError(where + ".request.ifNoneExist: only allowed with POST");
  }
  if (!entry.full_url.empty() && !IsAcceptableFullUrl(entry.full_url)) {
    return InvalidArgumentError(where + ".fullUrl: \"" + entry.full_url +
                                "\" is neither an absolute URL nor a urn:uuid:/urn:oid:");
  }
  return Status::Ok();
}

Json RequestToJson(const BundleEntryRequest& r) {
  // Member order follows the R4 spec's element order.
  Json j = Json::Object().Set("method", r.method).Set("url", r.url);
  SetIfNotEmpty(j, "ifNoneMatch", r.if_none_match);
  SetIfNotEmpty(j, "ifModifiedSince", r.if_modified_since);
  SetIfNotEmpty(j, "ifMatch", r.if_match);
  SetIfNotEmpty(j, "ifNoneExist", r.if_none_exist);
  return j;
}

// Shared by both overloads: `Entries` is const (copies resources) or not (moves them).
template <typename Entries>
StatusOr<Json> BuildRequestBundleFrom(BundleType type, Entries& entries) {
  if (type != BundleType::kTransaction && type != BundleType::kBatch) {
    return InvalidArgumentError("BuildRequestBundle: type must be transaction or batch, not " +
                                std::string(BundleTypeCode(type)));
  }
  std::set<std::string> full_urls;
  Json entry_array = Json::Array();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto& e = entries[i];
    const std::string where = "Bundle.entry[" + std::to_string(i) + "]";
    RETURN_IF_ERROR(CheckEntry(e, where));
    if (!e.full_url.empty() && !full_urls.insert(e.full_url).second) {
      return InvalidArgumentError(where + ".fullUrl: duplicate \"" + e.full_url + "\"");
    }
    Json j = Json::Object();
    SetIfNotEmpty(j, "fullUrl", e.full_url);
    if (e.resource.has_value()) j.Set("resource", std::move(*e.resource));
    j.Set("request", RequestToJson(e.request));
    entry_array.Push(std::move(j));
  }
  Json bundle =
      Json::Object().Set("resourceType", "Bundle").Set("type", std::string(BundleTypeCode(type)));
  if (!entry_array.empty()) bundle.Set("entry", std::move(entry_array));
  return bundle;
}

}  // namespace

StatusOr<Json> BuildRequestBundle(BundleType type, const std::vector<RequestEntry>& entries) {
  return BuildRequestBundleFrom(type, entries);
}

StatusOr<Json> BuildRequestBundle(BundleType type, std::vector<RequestEntry>&& entries) {
  return BuildRequestBundleFrom(type, entries);
}

}  // namespace bonewatch::fhir
