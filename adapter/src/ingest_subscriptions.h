// SubscriptionManager: keeps BoneWatch's rest-hook Subscriptions on the FHIR server in line with
// the configuration and the mappings.
//
// Desired state: for each ingest type (ingest_types.h) one Subscription with criteria
// "{Type}?code=system|code,..." built from the mapping criteria lists; a code list longer than
// max_criteria_chars is split over several Subscriptions; a type without a usable code filter
// (prefix codes such as M80.*) is subscribed to without one ("{Type}") and the Mapper filters.
// channel: rest-hook, endpoint = Config::Notifications::public_endpoint, payload
// application/fhir+json, header "{secret_header}: {shared_secret}" when a secret is configured.
//
// Ours are recognised by meta.tag {base}/CodeSystem/tag|bonewatch and keyed by a second tag
// {base}/CodeSystem/subscription-key|{Type}-{n}. Ensure(): creates missing ones, updates ours
// whose criteria/channel differ, deletes ours that are no longer desired (and duplicates),
// and never touches Subscriptions without our tag. Idempotent: a second call writes nothing
// while every Subscription is active. One BoneWatch per canonical base per FHIR server (two
// would fight over the same tags).
//
// Delivery (../shared/design/fhir-servers.md): Medplum delivers only for Subscriptions written
// `active` and leaves `requested` ones as they are; HAPI expects `requested` and activates it.
// So Subscriptions are written `active`; when the server refuses that (HTTP 400/422), they are
// written `requested` from then on and the server is expected to activate them. Each one written
// is read back. Ensure() is also the periodic check (the worker calls it every
// subscriptions.checkIntervalSeconds, sooner while one is not active): a Subscription found
// `requested` for longer than activation_timeout, or in any status other than active/requested
// (error, off), is repaired: re-written active (or requested, see above), else deleted and
// re-created; each repair logs a warning "subscription.repair" naming the id and status, and
// counts bonewatch_subscription_repairs_total{status}. The states found are published to
// SubscriptionHealth (/status, bonewatch_subscriptions{status}, faster polling).
//
// Ownership: borrows the client, logger, clock, metrics and health (REQUIRES: they outlive the
// manager).
// Thread-safety: Ensure() is not reentrant; the published SubscriptionHealth is thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "bonewatch/fhir/client.h"
#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/status.h"
#include "bonewatch/mappings/mapping_set.h"
#include "clock.h"
#include "config.h"
#include "ingest_subscription_health.h"
#include "logger.h"
#include "metrics.h"

namespace bonewatch::adapter {

struct SubscriptionManagerDeps {
  const fhir::Client* client = nullptr;  // REQUIRED
  Logger* logger = nullptr;              // REQUIRED
  std::string canonical_base = "http://bonewatch.example/fhir";
  size_t max_criteria_chars = 1500;      // of the code list in one Subscription's criteria
  const Clock* clock = nullptr;          // OPTIONAL: the system clock when null
  Metrics* metrics = nullptr;            // OPTIONAL: repairs counter
  SubscriptionHealth* health = nullptr;  // OPTIONAL: where the states found are published
  // A Subscription still `requested` this long after it was first seen so is repaired.
  std::chrono::seconds activation_timeout{60};
};

struct EnsureStats {
  int created = 0;
  int updated = 0;
  int deleted = 0;
  int unchanged = 0;
  int repaired = 0;
};

class SubscriptionManager {
 public:
  SubscriptionManager(Config::Notifications notifications, Config::Inputs inputs,
                      std::vector<mappings::Criteria> criteria, SubscriptionManagerDeps deps);
  SubscriptionManager(const SubscriptionManager&) = delete;
  SubscriptionManager& operator=(const SubscriptionManager&) = delete;

  // REQUIRES: notifications.public_endpoint is set (else kFailedPrecondition).
  // Failures are also published to the health (CheckFailed).
  Status Ensure(EnsureStats* stats = nullptr);

  // True until a server has refused a Subscription written `active` (then `requested`).
  bool writes_active() const { return write_active_; }

  // The Subscriptions we want, each with its key tag (no id). For tests and check-config.
  std::vector<fhir::Json> Desired() const;

 private:
  std::string TagSystem() const { return deps_.canonical_base + "/CodeSystem/tag"; }
  std::string KeySystem() const { return deps_.canonical_base + "/CodeSystem/subscription-key"; }
  std::string KeyOf(const fhir::Json& subscription) const;
  bool SameContent(const fhir::Json& existing, const fhir::Json& desired) const;
  Status EnsureOnce(EnsureStats& stats, std::vector<SubscriptionState>& states);
  // POST `desired` (active, else requested when refused); returns the new id.
  StatusOr<std::string> Create(const fhir::Json& desired, const std::string& key);
  // PUT `desired` under `id` (active, else requested when refused).
  Status Write(const fhir::Json& desired, const std::string& id);
  // Repairs Subscription/id found in `status`: Write(), else delete and Create(). Returns the id
  // it has now.
  StatusOr<std::string> Repair(const fhir::Json& desired, const std::string& id,
                               const std::string& key, const std::string& status,
                               const std::string& why);
  // GET Subscription/id: its state now (status "" when it cannot be read).
  SubscriptionState ReadBack(const std::string& id, const std::string& key);
  // Fills in not_active_since from first_not_active_ (and updates it).
  void Track(SubscriptionState& state);
  std::chrono::system_clock::time_point Now() const;

  const Config::Notifications notifications_;
  const Config::Inputs inputs_;
  const std::vector<mappings::Criteria> criteria_;
  SubscriptionManagerDeps deps_;
  bool write_active_ = true;
  // Subscription id -> when it was first seen not active (cleared once active).
  std::map<std::string, std::chrono::system_clock::time_point> first_not_active_;
  std::map<std::string, int> repairs_;  // Subscription id -> repairs by this process
};

}  // namespace bonewatch::adapter
