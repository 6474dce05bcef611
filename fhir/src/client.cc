#include "bonewatch/fhir/client.h"

#include <cstdlib>
#include <set>
#include <utility>

#include "internal/encoding.h"
#include "internal/fhir_errors.h"

namespace bonewatch::fhir {
namespace {

constexpr std::string_view kFhirJson = "application/fhir+json";

std::string StripTrailingSlashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// W/"3" -> 3; "3" -> 3.
std::string VersionFromEtag(std::string_view etag) {
  if (etag.rfind("W/", 0) == 0) etag.remove_prefix(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

// ".../Type/id/_history/v" -> {id, v}; ".../Type/id" -> {id, ""}.
std::pair<std::string, std::string> IdAndVersionFromLocation(std::string_view location) {
  location = location.substr(0, location.find_first_of("?#"));
  std::string version;
  if (std::size_t h = location.find("/_history/"); h != std::string_view::npos) {
    version = std::string(location.substr(h + 10));
    location = location.substr(0, h);
  }
  std::size_t slash = location.rfind('/');
  if (slash == std::string_view::npos) return {};
  return {std::string(location.substr(slash + 1)), version};
}

// "201 Created" -> 201; 0 when unparseable.
int LeadingStatus(std::string_view text) {
  int value = 0;
  std::size_t i = 0;
  for (; i < text.size() && i < 3 && text[i] >= '0' && text[i] <= '9'; ++i) {
    value = value * 10 + (text[i] - '0');
  }
  return i == 3 ? value : 0;
}

// The origin ("scheme://authority") of an absolute URL.
std::string_view Origin(std::string_view url) {
  std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  std::size_t end = url.find_first_of("/?#", scheme + 3);
  return url.substr(0, end);
}

// First entry of a transaction response whose response.status is not 2xx, as an error.
Status CheckTransactionEntries(std::string_view description, const Json& bundle) {
  const Json* entries = bundle.Find("entry");
  if (entries == nullptr || !entries->is_array()) return Status::Ok();
  const std::size_t total = entries->size();
  for (std::size_t i = 0; i < total; ++i) {
    const Json* status_text = (*entries)[i].At({"response", "status"});
    std::string text = status_text != nullptr && status_text->is_string() ? status_text->AsString()
                                                                          : std::string();
    int status = LeadingStatus(text);
    if (status >= 200 && status <= 299) continue;
    std::string message = std::string(description) + ": entry " + std::to_string(i + 1) + " of " +
                          std::to_string(total) + " failed with '" + text + "'";
    if (const Json* outcome = (*entries)[i].At({"response", "outcome"}); outcome != nullptr) {
      std::string summary = internal::SummarizeOutcome(*outcome);
      if (!summary.empty()) message += ": " + summary;
    }
    message +=
        " (HTTP 200: the server did not apply the transaction atomically; other entries "
        "may have been applied)";
    return Status(status == 0 ? StatusCode::kInternal : internal::CodeForHttpStatus(status),
                  std::move(message));
  }
  return Status::Ok();
}

}  // namespace

struct Client::Call {
  std::string_view interaction;
  HttpRequest request;  // before authorization
};

Client::Client(ClientOptions options, HttpTransport& transport, AuthProvider& auth)
    : options_(std::move(options)),
      base_url_(StripTrailingSlashes(options_.base_url)),
      transport_(transport),
      auth_(auth),
      retry_(options_.retry, options_.retry_environment) {}

std::string Client::TypeUrl(std::string_view type) const {
  return base_url_ + "/" + internal::PercentEncode(type);
}

StatusOr<FhirResult> Client::Execute(const Call& call) const {
  const auto start = std::chrono::steady_clock::now();
  const std::string description = DescribeRequest(call.request.method, call.request.url);
  int attempts = 0;
  int http_status = 0;
  bool reauthorized = false;
  auto finish = [&](StatusOr<FhirResult> result) {
    if (options_.on_request) {
      options_.on_request(RequestMetrics{call.interaction, call.request.method, http_status,
                                         result.status().code(), attempts, reauthorized,
                                         std::chrono::steady_clock::now() - start});
    }
    return result;
  };

  RetryPolicy::Outcome outcome;
  for (int round = 0; round < 2; ++round) {
    HttpRequest request = call.request;
    if (Status s = auth_.Authorize(request); !s.ok()) return finish(s.WithContext(description));
    outcome = retry_.Execute(transport_, request);
    attempts += outcome.attempts;
    bool unauthorized = outcome.result.ok() && outcome.result->status == 401;
    if (!unauthorized || round == 1 || !auth_.RefreshAfterUnauthorized()) break;
    reauthorized = true;
  }

  if (!outcome.result.ok()) {
    Status error = outcome.result.status();
    if (attempts > 1) {
      error = Status(error.code(),
                     error.message() + " (after " + std::to_string(attempts) + " attempts)");
    }
    return finish(error);
  }
  const HttpResponse& response = *outcome.result;
  http_status = response.status;
  if (response.status < 200 || response.status > 299) {
    return finish(internal::HttpError(description, response, attempts));
  }

  FhirResult result;
  result.http_status = response.status;
  result.etag = response.headers.Get("ETag").value_or("");
  result.location = response.headers.Get("Location")
                        .value_or(response.headers.Get("Content-Location").value_or(""));
  result.last_modified = response.headers.Get("Last-Modified").value_or("");
  result.version_id = VersionFromEtag(result.etag);
  if (!response.body.empty()) {
    StatusOr<Json> body = Json::Parse(response.body);
    if (!body.ok()) {
      return finish(InternalError(description + ": HTTP " + std::to_string(response.status) +
                                  " with a body that is not JSON: " + body.status().message()));
    }
    result.resource = std::move(*body);
  }
  result.id = result.resource.GetString("id").value_or("");
  if (result.version_id.empty()) {
    if (const Json* v = result.resource.At({"meta", "versionId"}); v != nullptr && v->is_string()) {
      result.version_id = v->AsString();
    }
  }
  if (!result.location.empty()) {
    auto [id, version] = IdAndVersionFromLocation(result.location);
    if (result.id.empty()) result.id = id;
    if (result.version_id.empty()) result.version_id = version;
  }
  if (call.interaction == "transaction") {
    if (Status s = CheckTransactionEntries(description, result.resource); !s.ok()) {
      return finish(s);
    }
  }
  return finish(std::move(result));
}

namespace {

HttpRequest NewRequest(std::string method, std::string url) {
  HttpRequest request{std::move(method), std::move(url), {}, ""};
  request.headers.Set("Accept", kFhirJson);
  return request;
}

void SetBody(HttpRequest& request, const Json& resource) {
  request.headers.Set("Content-Type", kFhirJson);
  request.headers.Set("Prefer", "return=representation");
  request.body = resource.Serialize();
}

StatusOr<std::string> ResourceType(const Json& resource) {
  std::optional<std::string> type = resource.GetString("resourceType");
  if (!type || type->empty()) return InvalidArgumentError("resource has no resourceType");
  return *type;
}

}  // namespace

StatusOr<FhirResult> Client::Read(std::string_view type, std::string_view id) const {
  return Execute({"read", NewRequest("GET", TypeUrl(type) + "/" + internal::PercentEncode(id))});
}

StatusOr<FhirResult> Client::VRead(std::string_view type, std::string_view id,
                                   std::string_view version_id) const {
  return Execute(
      {"vread", NewRequest("GET", TypeUrl(type) + "/" + internal::PercentEncode(id) + "/_history/" +
                                      internal::PercentEncode(version_id))});
}

StatusOr<SearchPage> Client::GetPage(std::string url) const {
  ASSIGN_OR_RETURN(FhirResult result, Execute({"search", NewRequest("GET", std::move(url))}));
  SearchPage page;
  if (const Json* entries = result.resource.Find("entry"); entries != nullptr) {
    for (const Json& entry : entries->elements()) {
      if (const Json* resource = entry.Find("resource"); resource != nullptr) {
        page.resources.push_back(*resource);
      }
    }
  }
  if (const Json* links = result.resource.Find("link"); links != nullptr) {
    for (const Json& link : links->elements()) {
      if (link.GetString("relation") == "next") page.next_url = link.GetString("url");
    }
  }
  page.result = std::move(result);
  return page;
}

StatusOr<SearchPage> Client::Search(std::string_view type, const SearchParams& params) const {
  std::string url = TypeUrl(type);
  if (!params.empty()) {
    // Two appends rather than `"?" + query`: GCC 12 -O3 reports a false -Wrestrict on the latter.
    url += '?';
    url += internal::EncodeQuery(params);
  }
  return GetPage(std::move(url));
}

StatusOr<SearchPage> Client::FetchPage(const std::string& url) const {
  std::string absolute = url;
  if (Origin(url).empty()) {  // relative link: resolve against the base
    absolute =
        url.rfind('/', 0) == 0 ? std::string(Origin(base_url_)) + url : base_url_ + "/" + url;
  }
  bool under_base = absolute.rfind(base_url_, 0) == 0 &&
                    (absolute.size() == base_url_.size() || absolute[base_url_.size()] == '/' ||
                     absolute[base_url_.size()] == '?');
  if (!under_base) {
    return FailedPreconditionError("paging link " + DescribeRequest("GET", absolute).substr(4) +
                                   " is not under the base URL " + base_url_ +
                                   "; refusing to follow it (credentials would go elsewhere)");
  }
  return GetPage(std::move(absolute));
}

StatusOr<std::vector<Json>> Client::SearchAll(std::string_view type,
                                              const SearchParams& params) const {
  ASSIGN_OR_RETURN(SearchPage page, Search(type, params));
  std::vector<Json> all = std::move(page.resources);
  std::set<std::string> seen;
  int pages = 1;
  while (page.next_url) {
    const std::string next = *page.next_url;
    if (!seen.insert(next).second) {
      return InternalError("search " + std::string(type) + ": paging loops back to " + next);
    }
    if (pages >= options_.max_search_pages) {
      return FailedPreconditionError(
          "search " + std::string(type) + "?" + internal::EncodeQuery(params) + ": more than " +
          std::to_string(options_.max_search_pages) +
          " pages (ClientOptions::max_search_pages); narrow the search or raise the cap");
    }
    ASSIGN_OR_RETURN(page, FetchPage(next));
    ++pages;
    for (Json& resource : page.resources) all.push_back(std::move(resource));
  }
  return all;
}

Status Client::SearchEach(std::string_view type, const SearchParams& params,
                          const std::function<Status(std::vector<Json>&)>& on_page) const {
  ASSIGN_OR_RETURN(SearchPage page, Search(type, params));
  std::set<std::string> seen;
  for (;;) {
    RETURN_IF_ERROR(on_page(page.resources));
    if (!page.next_url) return Status::Ok();
    std::string next = std::move(*page.next_url);
    if (!seen.insert(next).second) {
      return InternalError("search " + std::string(type) + ": paging loops back to " + next);
    }
    page = SearchPage();  // the previous page's memory goes before the next one arrives
    ASSIGN_OR_RETURN(page, FetchPage(next));
  }
}

StatusOr<FhirResult> Client::Create(const Json& resource) const {
  ASSIGN_OR_RETURN(std::string type, ResourceType(resource));
  HttpRequest request = NewRequest("POST", TypeUrl(type));
  SetBody(request, resource);
  return Execute({"create", std::move(request)});
}

StatusOr<FhirResult> Client::CreateIfNoneExist(const Json& resource,
                                               const SearchParams& criteria) const {
  ASSIGN_OR_RETURN(std::string type, ResourceType(resource));
  if (criteria.empty()) return InvalidArgumentError("conditional create needs criteria");
  HttpRequest request = NewRequest("POST", TypeUrl(type));
  SetBody(request, resource);
  request.headers.Set("If-None-Exist", internal::EncodeQuery(criteria));
  return Execute({"create", std::move(request)});
}

StatusOr<FhirResult> Client::Update(const Json& resource,
                                    std::optional<std::string> if_match_version) const {
  ASSIGN_OR_RETURN(std::string type, ResourceType(resource));
  std::optional<std::string> id = resource.GetString("id");
  if (!id || id->empty()) return InvalidArgumentError("update of a " + type + " without an id");
  HttpRequest request = NewRequest("PUT", TypeUrl(type) + "/" + internal::PercentEncode(*id));
  SetBody(request, resource);
  if (if_match_version) request.headers.Set("If-Match", "W/\"" + *if_match_version + "\"");
  return Execute({"update", std::move(request)});
}

StatusOr<FhirResult> Client::ConditionalUpdate(const Json& resource,
                                               const SearchParams& criteria) const {
  ASSIGN_OR_RETURN(std::string type, ResourceType(resource));
  if (criteria.empty()) return InvalidArgumentError("conditional update needs criteria");
  HttpRequest request = NewRequest("PUT", TypeUrl(type) + "?" + internal::EncodeQuery(criteria));
  SetBody(request, resource);
  return Execute({"update", std::move(request)});
}

StatusOr<FhirResult> Client::Delete(std::string_view type, std::string_view id) const {
  return Execute(
      {"delete", NewRequest("DELETE", TypeUrl(type) + "/" + internal::PercentEncode(id))});
}

StatusOr<FhirResult> Client::Transaction(const Json& bundle) const {
  if (bundle.GetString("resourceType") != "Bundle" || bundle.GetString("type") != "transaction") {
    return InvalidArgumentError("Transaction() needs a Bundle of type transaction");
  }
  HttpRequest request = NewRequest("POST", base_url_);
  SetBody(request, bundle);
  return Execute({"transaction", std::move(request)});
}

StatusOr<FhirResult> Client::Batch(const Json& bundle) const {
  if (bundle.GetString("resourceType") != "Bundle" || bundle.GetString("type") != "batch") {
    return InvalidArgumentError("Batch() needs a Bundle of type batch");
  }
  HttpRequest request = NewRequest("POST", base_url_);
  SetBody(request, bundle);
  return Execute({"batch", std::move(request)});
}

StatusOr<FhirResult> Client::Capabilities() const {
  return Execute({"capabilities", NewRequest("GET", base_url_ + "/metadata")});
}

}  // namespace bonewatch::fhir
