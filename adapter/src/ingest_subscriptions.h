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
// whose criteria/channel/status differ, deletes ours that are no longer desired (and duplicates),
// and never touches Subscriptions without our tag. Idempotent: a second call writes nothing.
// One BoneWatch per canonical base per FHIR server (two would fight over the same tags).
//
// Ownership: borrows the client and logger (REQUIRES: they outlive the manager).
// Thread-safety: Ensure() is not reentrant.
#pragma once

#include <string>
#include <vector>

#include "bonewatch/fhir/client.h"
#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/status.h"
#include "bonewatch/mappings/mapping_set.h"
#include "config.h"
#include "logger.h"

namespace bonewatch::adapter {

struct SubscriptionManagerDeps {
  const fhir::Client* client = nullptr;  // REQUIRED
  Logger* logger = nullptr;              // REQUIRED
  std::string canonical_base = "http://bonewatch.example/fhir";
  size_t max_criteria_chars = 1500;  // of the code list in one Subscription's criteria
};

struct EnsureStats {
  int created = 0;
  int updated = 0;
  int deleted = 0;
  int unchanged = 0;
};

class SubscriptionManager {
 public:
  SubscriptionManager(Config::Notifications notifications, Config::Inputs inputs,
                      std::vector<mappings::Criteria> criteria, SubscriptionManagerDeps deps);
  SubscriptionManager(const SubscriptionManager&) = delete;
  SubscriptionManager& operator=(const SubscriptionManager&) = delete;

  // REQUIRES: notifications.public_endpoint is set (else kFailedPrecondition).
  Status Ensure(EnsureStats* stats = nullptr);

  // The Subscriptions we want, each with its key tag (no id). For tests and check-config.
  std::vector<fhir::Json> Desired() const;

 private:
  std::string TagSystem() const { return deps_.canonical_base + "/CodeSystem/tag"; }
  std::string KeySystem() const { return deps_.canonical_base + "/CodeSystem/subscription-key"; }
  std::string KeyOf(const fhir::Json& subscription) const;
  bool SameContent(const fhir::Json& existing, const fhir::Json& desired) const;

  const Config::Notifications notifications_;
  const Config::Inputs inputs_;
  const std::vector<mappings::Criteria> criteria_;
  SubscriptionManagerDeps deps_;
};

}  // namespace bonewatch::adapter
