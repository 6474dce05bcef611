// Ingest decoding: an InboxItem (what arrived, raw) -> the WorkUnits the pipeline runs.
//
// Shapes understood (../shared/design/fhir-servers.md):
//  - empty body                        -> kPollNow; kFetch when the hint names "Type/id"
//                                         (HAPI's PUT {endpoint}/{type}/{id} without payload);
//  - x-medplum-interaction: delete with x-medplum-deleted-resource: Type/id (body `{}` or
//    empty)                            -> kDelete;
//  - `{}` without a delete header      -> like an empty body;
//  - a bare resource (Medplum POST, HAPI PUT with payload) -> kResource;
//  - an R4B/R5 subscription-notification Bundle, or an R4 backport history Bundle whose first
//    entry is a Parameters/SubscriptionStatus: kResource per full-resource entry, kFetch per
//    id-only focus, kPollNow for `empty` content and when the event numbers show a gap
//    (inside the Bundle, or against the EventNumberTracker when one is given); handshakes and
//    heartbeats give nothing (a heartbeat with a gap gives kPollNow);
//  - a searchset/history/collection Bundle (the poller, backfill) -> kResource per entry;
//    history entries with request.method DELETE -> kDelete.
// Resources BoneWatch wrote itself (meta.tag {tag_system}|bonewatch) are dropped: they never
// become work. Malformed JSON and unknown shapes are kInvalidArgument naming the inbox item id
// and the field ("inbox item 12: body: invalid JSON at offset 3: ...").
//
// The headers JSON is an object of lower-cased header names to string values (as
// NotificationServer stores it); an empty string is allowed.
//
// Thread-safety: DecodeInboxItem is a pure function apart from the optional tracker, which
// must be safe for the caller's use (the store-backed one is as thread-safe as the Store).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/fhir/status.h"
#include "store.h"
#include "work_unit.h"

namespace bonewatch::adapter {

// Remembers the highest notification event number seen per Subscription, so that a gap across
// notifications (a missed one) can be noticed.
class EventNumberTracker {
 public:
  virtual ~EventNumberTracker() = default;
  EventNumberTracker() = default;
  EventNumberTracker(const EventNumberTracker&) = delete;
  EventNumberTracker& operator=(const EventNumberTracker&) = delete;

  // The highest event number recorded for `subscription`, nullopt when none.
  virtual std::optional<int64_t> Last(const std::string& subscription) = 0;
  virtual void Record(const std::string& subscription, int64_t event_number) = 0;
};

// Keeps the numbers in Store cursors "events:{subscription}". Store errors make Last() answer
// nullopt (no gap claimed) and Record() a no-op: the poller still catches what was missed.
// REQUIRES: `store` outlives the tracker.
class StoreEventNumberTracker final : public EventNumberTracker {
 public:
  explicit StoreEventNumberTracker(Store& store) : store_(store) {}
  std::optional<int64_t> Last(const std::string& subscription) override;
  void Record(const std::string& subscription, int64_t event_number) override;

 private:
  Store& store_;
};

struct DecodeOptions {
  // meta.tag system of BoneWatch's own writes ({base}/CodeSystem/tag); code "bonewatch".
  std::string own_tag_system = "http://bonewatch.example/fhir/CodeSystem/tag";
  // Optional; not owned. When null, only gaps inside one notification are detected.
  EventNumberTracker* events = nullptr;
};

StatusOr<std::vector<WorkUnit>> DecodeInboxItem(const InboxItem& item,
                                                const DecodeOptions& options);

// The meta.tag system of BoneWatch's own writes for a configured canonical base:
// "{base}/CodeSystem/tag", trailing '/' of the base ignored (as the Writer builds it).
std::string OwnTagSystem(std::string_view canonical_base);

// True if `resource` carries meta.tag {tag_system}|bonewatch.
bool IsOwnWrite(const fhir::Json& resource, const std::string& tag_system);

}  // namespace bonewatch::adapter
