// SubscriptionHealth: what BoneWatch last saw of its rest-hook Subscriptions on the FHIR server,
// published by SubscriptionManager (ingest_subscriptions.h) after every check and read by /status,
// /metrics and the worker (faster polling while a Subscription does not deliver).
//
// "Delivering" means: at least one check has succeeded, every desired Subscription was found,
// and each one's status is `active`. Until the first successful check nothing is known to
// deliver, so Delivering() is false. A failed check keeps the last known states (and says so in
// ToJson()).
//
// Metrics (ops_metric_names.h): bonewatch_subscriptions{status} gauges (active, requested,
// error, off, and other for any other value), set on every Publish().
//
// Thread-safety: every method may be called from any thread (one mutex).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "metrics.h"

namespace bonewatch::adapter {

struct SubscriptionState {
  std::string id;
  std::string key;  // our subscription-key tag, e.g. "Observation-1"
  std::string criteria;
  std::string status;            // as the server holds it: active, requested, error, off, ...
  std::string last_check;        // FHIR instant of the read that saw `status`
  std::string not_active_since;  // FHIR instant; "" while active
  int repairs = 0;               // by this process
};

class SubscriptionHealth {
 public:
  explicit SubscriptionHealth(Metrics* metrics = nullptr) : metrics_(metrics) {}
  SubscriptionHealth(const SubscriptionHealth&) = delete;
  SubscriptionHealth& operator=(const SubscriptionHealth&) = delete;

  // After a successful check: the states of every Subscription of ours, and how many we want.
  void Publish(std::vector<SubscriptionState> states, size_t desired, const std::string& at);
  // After a failed check: the last states are kept.
  void CheckFailed(const std::string& error, const std::string& at);
  // A notification from Subscription `id` arrived at `at` (shown as lastDelivery).
  void RecordDelivery(const std::string& id, const std::string& at);

  bool Delivering() const;
  std::vector<SubscriptionState> States() const;
  // {"delivering": bool, "lastCheck": instant, "lastError": "...", "desired": n,
  //  "lastDelivery": instant, "items": [{"id","key","criteria","status","lastCheck",
  //  "notActiveSince","repairs","lastDelivery"}]} (lastDelivery when known: the server named
  //  the Subscription in x-medplum-subscription)
  fhir::Json ToJson() const;

 private:
  Metrics* const metrics_;
  mutable std::mutex mutex_;
  bool checked_ = false;                                    // GUARDED_BY(mutex_)
  size_t desired_ = 0;                                      // GUARDED_BY(mutex_)
  std::vector<SubscriptionState> states_;                   // GUARDED_BY(mutex_)
  std::string last_check_;                                  // GUARDED_BY(mutex_)
  std::string last_error_;                                  // GUARDED_BY(mutex_)
  std::string last_delivery_;                               // GUARDED_BY(mutex_)
  std::map<std::string, std::string> last_delivery_by_id_;  // GUARDED_BY(mutex_)
};

}  // namespace bonewatch::adapter
