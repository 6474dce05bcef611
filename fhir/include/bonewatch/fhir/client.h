// fhir::Client: the FHIR R4 REST interactions BoneWatch uses, over an HttpTransport, an
// AuthProvider and a RetryPolicy.
//
// Every call sends `Accept: application/fhir+json` (and `Content-Type: application/fhir+json`
// with a body), authorizes through the AuthProvider (a 401 makes it refresh once and the request
// is retried once), and retries per retry.h (never resending a non-idempotent request that may
// have arrived).
//
// Results: a 2xx answer gives a FhirResult. Anything else is an error Status whose message holds
// the method, the URL, the HTTP status, the attempt count when retried, and the
// OperationOutcome's issue diagnostics / details.text when the server sent one:
//   400, 422 -> kInvalidArgument     401 -> kUnauthenticated     403 -> kPermissionDenied
//   404, 410 -> kNotFound            409, 412 -> kFailedPrecondition
//   405, 501 -> kUnimplemented       408, 429, 5xx (after retries) -> kUnavailable
// Network failures keep the transport's code (kUnavailable, kDeadlineExceeded).
//
// Ownership: the Client does not own the transport or the auth provider.
// REQUIRES: both outlive the Client.
// Thread-safety: the Client is immutable after construction; it is as thread-safe as its
// transport and auth provider (the ones in this library are).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bonewatch/fhir/auth.h"
#include "bonewatch/fhir/http.h"
#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/retry.h"
#include "bonewatch/fhir/status.h"

namespace bonewatch::fhir {

// Search or conditional-operation parameters, in order; repeated names are allowed. Names and
// values are percent-encoded by the client ("code" -> "http://loinc.org|1234").
using SearchParams = std::vector<std::pair<std::string, std::string>>;

// What one request cost; handed to ClientOptions::on_request after every interaction.
struct RequestMetrics {
  // "read", "vread", "search", "create", "update", "delete", "transaction", "batch",
  // "capabilities" (static storage: the view stays valid after the callback).
  std::string_view interaction;
  std::string method;   // "GET", "POST", ...
  int http_status = 0;  // 0 when no answer was received
  StatusCode code = StatusCode::kOk;
  int attempts = 0;  // transport sends, including retries and the post-401 retry
  // The server answered 401, the token was renewed and the request sent again (whatever the
  // second answer was).
  bool reauthorized = false;
  std::chrono::steady_clock::duration latency{};
};

struct ClientOptions {
  // Service base, e.g. "https://fhir.example.org/fhir". A trailing '/' is ignored.
  std::string base_url;
  RetryOptions retry;
  RetryEnvironment retry_environment;  // defaults: real sleep, clock and RNG
  // SearchAll() fails with kFailedPrecondition rather than fetch more pages than this.
  int max_search_pages = 100;
  // Called once per interaction, on the calling thread. Must not throw.
  std::function<void(const RequestMetrics&)> on_request;
};

struct FhirResult {
  int http_status = 0;
  std::string etag;        // as sent, e.g. W/"3"
  std::string version_id;  // from the ETag, else the resource's meta.versionId
  std::string location;    // Location (or Content-Location) header, absolute as sent
  std::string id;          // the resource id, from the body or the Location
  std::string last_modified;
  Json resource;  // parsed body; null when the server sent none
};

struct SearchPage {
  FhirResult result;                    // result.resource is the searchset Bundle
  std::vector<Json> resources;          // entry[].resource, in order
  std::optional<std::string> next_url;  // the Bundle's "next" link, if any
};

class Client {
 public:
  Client(ClientOptions options, HttpTransport& transport, AuthProvider& auth);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const std::string& base_url() const { return base_url_; }

  StatusOr<FhirResult> Read(std::string_view type, std::string_view id) const;
  StatusOr<FhirResult> VRead(std::string_view type, std::string_view id,
                             std::string_view version_id) const;
  // GET {base}/{type}?params. The first page only.
  StatusOr<SearchPage> Search(std::string_view type, const SearchParams& params) const;
  // GET of a paging link from a previous page. REQUIRES: `url` is under base_url() (paging links
  // elsewhere are refused so that credentials never go to another origin).
  StatusOr<SearchPage> FetchPage(const std::string& url) const;
  // Follows "next" links and returns every entry resource of every page.
  StatusOr<std::vector<Json>> SearchAll(std::string_view type, const SearchParams& params) const;
  // Follows "next" links like SearchAll, but hands each page's entry resources
  // to `on_page` as it arrives and keeps nothing, so memory stays that of one
  // page however many there are (no max_search_pages cap). A non-OK Status
  // from `on_page` stops the search and is returned.
  Status SearchEach(std::string_view type, const SearchParams& params,
                    const std::function<Status(std::vector<Json>& resources)>& on_page) const;

  // POST {base}/{resourceType}. Not idempotent: not retried once it may have arrived.
  StatusOr<FhirResult> Create(const Json& resource) const;
  // POST with If-None-Exist: creates (201) unless a match exists (200, nothing written).
  StatusOr<FhirResult> CreateIfNoneExist(const Json& resource, const SearchParams& criteria) const;
  // PUT {base}/{type}/{id}. With `if_match_version`, sends If-Match: W/"<version>" and a stale
  // version gives kFailedPrecondition (HTTP 412).
  StatusOr<FhirResult> Update(const Json& resource,
                              std::optional<std::string> if_match_version = std::nullopt) const;
  // PUT {base}/{type}?criteria: creates (201) when nothing matches, updates (200) one match.
  StatusOr<FhirResult> ConditionalUpdate(const Json& resource, const SearchParams& criteria) const;
  StatusOr<FhirResult> Delete(std::string_view type, std::string_view id) const;

  // POST a Bundle of type "transaction" to the base. Beyond the HTTP status, every entry's
  // response.status must be 2xx: servers without atomic transactions answer 200 with failed
  // entries, and that is reported as an error naming the first failed entry.
  StatusOr<FhirResult> Transaction(const Json& bundle) const;
  // POST a Bundle of type "batch". Entries fail independently: inspect the response Bundle.
  StatusOr<FhirResult> Batch(const Json& bundle) const;
  // GET {base}/metadata.
  StatusOr<FhirResult> Capabilities() const;

 private:
  struct Call;
  StatusOr<FhirResult> Execute(const Call& call) const;
  StatusOr<SearchPage> GetPage(std::string url) const;
  std::string TypeUrl(std::string_view type) const;

  const ClientOptions options_;
  const std::string base_url_;
  HttpTransport& transport_;
  AuthProvider& auth_;
  const RetryPolicy retry_;
};

}  // namespace bonewatch::fhir
