// FHIR R4 Bundles: reading every kind BoneWatch receives, and building the
// transaction and batch Bundles it sends.
//
// Reading (ReadBundle) accepts searchset, history, transaction, batch,
// transaction-response, batch-response, collection, document, message and
// subscription-notification (R4B/R5) Bundles and returns plain structs. The
// resources stay Json and are moved, not copied, out of the input.
// ReadSubscriptionNotification then interprets a notification Bundle in
// either shape:
//  - R4B/R5: type "subscription-notification", first entry SubscriptionStatus;
//  - R4 backport IG: type "history", first entry a Parameters resource with
//    subscription / topic / status / type / events-since-subscription-start /
//    notification-event parameters.
// A transaction-response answers all-or-nothing, but a batch-response (and a
// server that treats a transaction as a batch) can answer 200 with failed
// entries: use AllEntriesSucceeded / FailedEntryIndices on every response.
//
// Building (BuildRequestBundle) validates each entry and writes members in the
// order the FHIR spec lists them, so equal inputs give identical bytes.
//
// Ownership: all results own their data. Thread-safety: plain values and
// free functions; thread-compatible.
// REQUIRES: nothing; malformed input gives InvalidArgument naming the element
// ("Bundle.entry[3].request.method: ...").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/reference.h"
#include "bonewatch/fhir/status.h"

namespace bonewatch::fhir {

enum class BundleType {
  kDocument,
  kMessage,
  kTransaction,
  kTransactionResponse,
  kBatch,
  kBatchResponse,
  kHistory,
  kSearchset,
  kCollection,
  kSubscriptionNotification,
};

// "transaction-response" etc.; InvalidArgument for an unknown code.
StatusOr<BundleType> ParseBundleType(std::string_view code);
std::string_view BundleTypeCode(BundleType type);

struct BundleLink {
  std::string relation;  // self | next | previous | first | last
  std::string url;
  friend bool operator==(const BundleLink&, const BundleLink&) = default;
};

struct BundleEntryRequest {
  std::string method;  // GET | HEAD | POST | PUT | DELETE | PATCH
  std::string url;     // "Patient", "Patient/1", "Observation?identifier=s|v"
  std::string if_none_match;
  std::string if_modified_since;
  std::string if_match;       // e.g. W/"3"
  std::string if_none_exist;  // search query without '?', for conditional create
  friend bool operator==(const BundleEntryRequest&, const BundleEntryRequest&) = default;
};

struct BundleEntryResponse {
  std::string status;    // as sent: "201 Created"
  int status_code = 0;   // 201; 0 if the status does not start with 3 digits
  std::string location;  // "Patient/1/_history/1"
  std::string etag;      // W/"1"
  std::string last_modified;
  std::optional<Json> outcome;  // OperationOutcome
  bool succeeded() const { return status_code >= 200 && status_code < 300; }
};

struct BundleEntry {
  std::string full_url;
  std::optional<Json> resource;  // absent e.g. for DELETE in history, id-only
  std::string search_mode;       // match | include | outcome (searchset only)
  std::optional<BundleEntryRequest> request;
  std::optional<BundleEntryResponse> response;

  // resource.resourceType, or "" without a resource.
  std::string ResourceType() const;
};

struct Bundle {
  BundleType type = BundleType::kCollection;
  std::string id;
  std::string timestamp;
  std::optional<int64_t> total;  // searchset/history total, when the server sent it
  std::vector<BundleLink> links;
  std::vector<BundleEntry> entries;

  // The url of the first link with this relation.
  std::optional<std::string> Link(std::string_view relation) const;
  std::optional<std::string> NextLink() const { return Link("next"); }
};

// Reads a Bundle resource. Checks the structure, not the contained resources
// (beyond each being an object with a resourceType).
StatusOr<Bundle> ReadBundle(Json json);

// Parses the leading HTTP status code of "201 Created"; InvalidArgument if
// the text does not start with three digits.
StatusOr<int> ParseHttpStatusCode(std::string_view status);

// For transaction-/batch-response Bundles: true if every entry has a 2xx
// response. False for an entry without a response.
bool AllEntriesSucceeded(const Bundle& bundle);
std::vector<std::size_t> FailedEntryIndices(const Bundle& bundle);

// ---- Subscription notifications ----

enum class NotificationType {
  kHandshake,
  kHeartbeat,
  kEventNotification,
  kQueryStatus,
  kQueryEvent
};
enum class NotificationContent { kEmpty, kIdOnly, kFullResource };

struct NotificationEvent {
  int64_t event_number = 0;
  std::string timestamp;
  std::optional<Reference> focus;
  std::vector<Reference> additional_context;
};

struct SubscriptionNotification {
  std::string subscription;  // reference to the Subscription, as sent
  std::string topic;         // canonical URL of the SubscriptionTopic
  std::string status;        // requested | active | error | off
  NotificationType type = NotificationType::kEventNotification;
  std::optional<int64_t> events_since_subscription_start;
  std::vector<NotificationEvent> events;
  // Inferred from the entries after the status entry: none -> kEmpty; any
  // with a resource -> kFullResource; otherwise kIdOnly.
  NotificationContent content = NotificationContent::kEmpty;
  std::vector<BundleEntry> entries;  // the entries after the status entry
};

StatusOr<SubscriptionNotification> ReadSubscriptionNotification(Bundle bundle);

// ---- Building ----

struct RequestEntry {
  std::string full_url;  // optional; absolute URL or urn:uuid:/urn:oid:
  std::optional<Json> resource;
  BundleEntryRequest request;
};

// Builds a transaction or batch Bundle. REQUIRES: type is kTransaction or
// kBatch (else InvalidArgument). Each entry needs a known method and a url;
// POST/PUT/PATCH need a resource and GET/HEAD/DELETE must not have one;
// ifNoneExist is only allowed on POST; fullUrls must be unique.
StatusOr<Json> BuildRequestBundle(BundleType type, const std::vector<RequestEntry>& entries);
// The same, moving the resources out of `entries` instead of copying them.
StatusOr<Json> BuildRequestBundle(BundleType type, std::vector<RequestEntry>&& entries);

}  // namespace bonewatch::fhir
