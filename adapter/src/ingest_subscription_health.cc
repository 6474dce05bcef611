#include "ingest_subscription_health.h"

#include <map>
#include <utility>

#include "ops_metric_names.h"

namespace bonewatch::adapter {

void SubscriptionHealth::Publish(std::vector<SubscriptionState> states, size_t desired,
                                 const std::string& at) {
  std::map<std::string, int> by_status = {
      {"active", 0}, {"requested", 0}, {"error", 0}, {"off", 0}, {"other", 0}};
  for (const SubscriptionState& s : states) {
    auto it = by_status.find(s.status);
    ++(it != by_status.end() ? it->second : by_status["other"]);
  }
  {
    std::lock_guard lock(mutex_);
    checked_ = true;
    desired_ = desired;
    states_ = std::move(states);
    last_check_ = at;
    last_error_.clear();
  }
  if (metrics_ != nullptr) {
    for (const auto& [status, count] : by_status) {
      metrics_->SetGauge(metric::kSubscriptions, {{"status", status}}, count);
    }
  }
}

void SubscriptionHealth::CheckFailed(const std::string& error, const std::string& at) {
  std::lock_guard lock(mutex_);
  last_check_ = at;
  last_error_ = error;
}

void SubscriptionHealth::RecordDelivery(const std::string& id, const std::string& at) {
  std::lock_guard lock(mutex_);
  // Bounded: only the ids we manage are kept.
  bool ours = false;
  for (const SubscriptionState& s : states_) ours = ours || s.id == id;
  if (!ours) return;
  if (at > last_delivery_) last_delivery_ = at;
  std::string& last = last_delivery_by_id_[id];
  if (at > last) last = at;
}

bool SubscriptionHealth::Delivering() const {
  std::lock_guard lock(mutex_);
  if (!checked_ || states_.size() < desired_) return false;
  for (const SubscriptionState& s : states_) {
    if (s.status != "active") return false;
  }
  return true;
}

std::vector<SubscriptionState> SubscriptionHealth::States() const {
  std::lock_guard lock(mutex_);
  return states_;
}

fhir::Json SubscriptionHealth::ToJson() const {
  const bool delivering = Delivering();
  std::lock_guard lock(mutex_);
  fhir::Json items = fhir::Json::Array();
  for (const SubscriptionState& s : states_) {
    fhir::Json item = fhir::Json::Object()
                          .Set("id", s.id)
                          .Set("key", s.key)
                          .Set("criteria", s.criteria)
                          .Set("status", s.status)
                          .Set("lastCheck", s.last_check)
                          .Set("repairs", static_cast<int64_t>(s.repairs));
    if (!s.not_active_since.empty()) item.Set("notActiveSince", s.not_active_since);
    if (auto it = last_delivery_by_id_.find(s.id); it != last_delivery_by_id_.end()) {
      item.Set("lastDelivery", it->second);
    }
    items.Push(std::move(item));
  }
  fhir::Json j = fhir::Json::Object()
                     .Set("delivering", delivering)
                     .Set("desired", static_cast<int64_t>(desired_))
                     .Set("items", std::move(items));
  if (!last_check_.empty()) j.Set("lastCheck", last_check_);
  if (!last_error_.empty()) j.Set("lastError", last_error_);
  if (!last_delivery_.empty()) j.Set("lastDelivery", last_delivery_);
  return j;
}

}  // namespace bonewatch::adapter
