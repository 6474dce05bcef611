#include "ingest_subscriptions.h"

#include <map>
#include <set>
#include <utility>

#include "bonewatch/fhir/datetime.h"
#include "ingest_decode.h"
#include "ingest_types.h"
#include "ops_metric_names.h"

namespace bonewatch::adapter {

SubscriptionManager::SubscriptionManager(Config::Notifications notifications, Config::Inputs inputs,
                                         std::vector<mappings::Criteria> criteria,
                                         SubscriptionManagerDeps deps)
    : notifications_(std::move(notifications)),
      inputs_(inputs),
      criteria_(std::move(criteria)),
      deps_(std::move(deps)) {}

std::vector<fhir::Json> SubscriptionManager::Desired() const {
  std::vector<fhir::Json> desired;
  for (const std::string& type : WatchedTypes(inputs_)) {
    std::vector<std::string> chunks =
        CodeFilterChunks(FindCriteria(criteria_, type), deps_.max_criteria_chars);
    std::vector<std::string> criteria_texts;
    if (chunks.empty()) {
      criteria_texts.push_back(type);
    } else {
      for (const std::string& parameter : CodeSearchParameters(type)) {
        for (const std::string& chunk : chunks) {
          criteria_texts.push_back(type + "?" + parameter + "=" + chunk);
        }
      }
    }
    for (size_t i = 0; i < criteria_texts.size(); ++i) {
      fhir::Json channel = fhir::Json::Object()
                               .Set("type", "rest-hook")
                               .Set("endpoint", notifications_.public_endpoint)
                               .Set("payload", "application/fhir+json");
      fhir::Json headers = fhir::Json::Array();
      if (!notifications_.shared_secret.empty()) {
        headers.Push(notifications_.secret_header + ": " + notifications_.shared_secret);
      }
      if (!notifications_.bearer_token.empty()) {
        headers.Push("Authorization: Bearer " + notifications_.bearer_token);
      }
      if (!headers.elements().empty()) channel.Set("header", std::move(headers));
      const std::string key = type + "-" + std::to_string(i + 1);
      fhir::Json tags =
          fhir::Json::Array()
              .Push(fhir::Json::Object().Set("system", TagSystem()).Set("code", "bonewatch"))
              .Push(fhir::Json::Object().Set("system", KeySystem()).Set("code", key));
      desired.push_back(fhir::Json::Object()
                            .Set("resourceType", "Subscription")
                            .Set("meta", fhir::Json::Object().Set("tag", std::move(tags)))
                            .Set("status", "active")
                            .Set("reason", "BoneWatch bone-health monitoring: " + type + " (" +
                                               std::to_string(i + 1) + " of " +
                                               std::to_string(criteria_texts.size()) + ")")
                            .Set("criteria", criteria_texts[i])
                            .Set("channel", std::move(channel)));
    }
  }
  return desired;
}

std::string SubscriptionManager::KeyOf(const fhir::Json& subscription) const {
  const fhir::Json* tags = subscription.At({"meta", "tag"});
  if (tags == nullptr) return "";
  for (const fhir::Json& tag : tags->elements()) {
    if (tag.GetString("system") == KeySystem()) return tag.GetString("code").value_or("");
  }
  return "";
}

bool SubscriptionManager::SameContent(const fhir::Json& existing, const fhir::Json& desired) const {
  // The status is judged by EnsureOnce() (activation time limit, repairs).
  if (existing.GetString("criteria") != desired.GetString("criteria")) return false;
  if (existing.GetString("reason") != desired.GetString("reason")) return false;
  const fhir::Json* have = existing.Find("channel");
  const fhir::Json* want = desired.Find("channel");
  if (have == nullptr || want == nullptr) return false;
  for (const char* field : {"type", "endpoint", "payload"}) {
    if (have->GetString(field) != want->GetString(field)) return false;
  }
  const fhir::Json empty = fhir::Json::Array();
  const fhir::Json* have_header = have->Find("header");
  const fhir::Json* want_header = want->Find("header");
  return (have_header != nullptr ? *have_header : empty) ==
         (want_header != nullptr ? *want_header : empty);
}

namespace {

std::string Instant(std::chrono::system_clock::time_point t) {
  return fhir::FormatInstant(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

// HTTP 400/422: the server does not accept the Subscription as written (e.g. `active` on a
// server that wants `requested`).
bool Refused(const Status& status) { return status.code() == StatusCode::kInvalidArgument; }

}  // namespace

std::chrono::system_clock::time_point SubscriptionManager::Now() const {
  return deps_.clock != nullptr ? deps_.clock->Now() : std::chrono::system_clock::now();
}

StatusOr<std::string> SubscriptionManager::Create(const fhir::Json& desired,
                                                  const std::string& key) {
  const fhir::Client& client = *deps_.client;
  fhir::Json subscription = desired;
  if (!write_active_) subscription.Set("status", "requested");
  StatusOr<fhir::FhirResult> created = client.Create(subscription);
  if (!created.ok() && write_active_ && Refused(created.status())) {
    write_active_ = false;
    deps_.logger->Info("subscription.active_refused",
                       {{"key", key}, {"error", created.status().message()}});
    subscription.Set("status", "requested");
    created = client.Create(subscription);
  }
  if (!created.ok()) return created.status().WithContext("subscriptions: create " + key);
  deps_.logger->Info(
      "subscription.created",
      {{"id", created->id}, {"key", key}, {"status", *subscription.GetString("status")}});
  return created->id;
}

Status SubscriptionManager::Write(const fhir::Json& desired, const std::string& id) {
  const fhir::Client& client = *deps_.client;
  fhir::Json update = desired;
  update.Set("id", id);
  if (!write_active_) update.Set("status", "requested");
  Status written = client.Update(update).status();
  if (!written.ok() && write_active_ && Refused(written)) {
    write_active_ = false;
    deps_.logger->Info("subscription.active_refused", {{"id", id}, {"error", written.message()}});
    update.Set("status", "requested");
    written = client.Update(update).status();
  }
  return written.WithContext("subscriptions: update Subscription/" + id);
}

StatusOr<std::string> SubscriptionManager::Repair(const fhir::Json& desired, const std::string& id,
                                                  const std::string& key, const std::string& status,
                                                  const std::string& why) {
  deps_.logger->Warn("subscription.repair",
                     {{"id", id}, {"key", key}, {"status", status}, {"reason", why}});
  if (deps_.metrics != nullptr) {
    deps_.metrics->Increment(metric::kSubscriptionRepairs,
                             {{"status", status.empty() ? "unknown" : status}});
  }
  first_not_active_.erase(id);
  Status written = Write(desired, id);
  if (written.ok()) {
    ++repairs_[id];
    return id;
  }
  // The server would not take it back: start afresh.
  deps_.logger->Warn("subscription.recreate", {{"id", id}, {"error", written.message()}});
  RETURN_IF_ERROR(deps_.client->Delete("Subscription", id)
                      .status()
                      .WithContext("subscriptions: delete Subscription/" + id));
  ASSIGN_OR_RETURN(std::string new_id, Create(desired, key));
  repairs_[new_id] = repairs_[id] + 1;
  repairs_.erase(id);
  return new_id;
}

SubscriptionState SubscriptionManager::ReadBack(const std::string& id, const std::string& key) {
  SubscriptionState state;
  state.id = id;
  state.key = key;
  state.last_check = Instant(Now());
  StatusOr<fhir::FhirResult> read = deps_.client->Read("Subscription", id);
  if (!read.ok()) {
    deps_.logger->Warn("subscription.read_failed",
                       {{"id", id}, {"error", read.status().message()}});
    return state;
  }
  state.status = read->resource.GetString("status").value_or("");
  state.criteria = read->resource.GetString("criteria").value_or("");
  return state;
}

void SubscriptionManager::Track(SubscriptionState& state) {
  if (state.status == "active") {
    first_not_active_.erase(state.id);
  } else {
    auto [it, inserted] = first_not_active_.emplace(state.id, Now());
    state.not_active_since = Instant(it->second);
  }
  auto repairs = repairs_.find(state.id);
  state.repairs = repairs != repairs_.end() ? repairs->second : 0;
}

Status SubscriptionManager::Ensure(EnsureStats* stats_out) {
  EnsureStats stats;
  std::vector<SubscriptionState> states;
  Status status = EnsureOnce(stats, states);
  if (deps_.health != nullptr) {
    if (status.ok()) {
      deps_.health->Publish(std::move(states), Desired().size(), Instant(Now()));
    } else {
      deps_.health->CheckFailed(status.message(), Instant(Now()));
    }
  }
  if (stats_out != nullptr) *stats_out = stats;
  return status;
}

Status SubscriptionManager::EnsureOnce(EnsureStats& stats, std::vector<SubscriptionState>& states) {
  if (notifications_.public_endpoint.empty()) {
    return FailedPreconditionError(
        "subscriptions: notifications.publicEndpoint is not set (BONEWATCH_NOTIFY_ENDPOINT)");
  }
  const fhir::Client& client = *deps_.client;
  StatusOr<std::vector<fhir::Json>> found =
      client.SearchAll("Subscription", {{"_tag", TagSystem() + "|bonewatch"}});
  if (!found.ok()) return found.status().WithContext("subscriptions: list ours");

  std::map<std::string, fhir::Json> desired;
  for (fhir::Json& d : Desired()) desired.emplace(KeyOf(d), std::move(d));

  std::set<std::string> kept;
  std::set<std::string> seen_ids;
  const std::string checked_at = Instant(Now());
  for (const fhir::Json& existing : *found) {
    if (!IsOwnWrite(existing, TagSystem())) continue;  // never touch others'
    const std::string id = existing.GetString("id").value_or("");
    if (id.empty()) continue;
    const std::string key = KeyOf(existing);
    auto want = desired.find(key);
    if (want == desired.end() || kept.count(key) > 0) {  // stale, or a duplicate of a kept one
      RETURN_IF_ERROR(client.Delete("Subscription", id)
                          .status()
                          .WithContext("subscriptions: delete Subscription/" + id));
      deps_.logger->Info("subscription.deleted", {{"id", id}, {"key", key}});
      ++stats.deleted;
      continue;
    }
    kept.insert(key);
    const std::string status = existing.GetString("status").value_or("");
    if (!SameContent(existing, want->second)) {
      RETURN_IF_ERROR(Write(want->second, id));
      deps_.logger->Info("subscription.updated", {{"id", id}, {"key", key}});
      ++stats.updated;
      first_not_active_.erase(id);
      SubscriptionState state = ReadBack(id, key);
      Track(state);
      states.push_back(std::move(state));
      seen_ids.insert(id);
      continue;
    }
    SubscriptionState state;
    state.id = id;
    state.key = key;
    state.criteria = existing.GetString("criteria").value_or("");
    state.status = status;
    state.last_check = checked_at;
    Track(state);
    std::string why;
    if (status != "active" && status != "requested") {
      why = "status " + (status.empty() ? std::string("missing") : status);
    } else if (status == "requested" && Now() - first_not_active_[id] >= deps_.activation_timeout) {
      why = "still requested after " + std::to_string(deps_.activation_timeout.count()) + " s";
    }
    if (why.empty()) {
      ++stats.unchanged;
      states.push_back(std::move(state));
      seen_ids.insert(id);
      continue;
    }
    ASSIGN_OR_RETURN(std::string now_id, Repair(want->second, id, key, status, why));
    ++stats.repaired;
    SubscriptionState repaired = ReadBack(now_id, key);
    Track(repaired);
    states.push_back(std::move(repaired));
    seen_ids.insert(now_id);
  }
  for (const auto& [key, subscription] : desired) {
    if (kept.count(key) > 0) continue;
    ASSIGN_OR_RETURN(std::string id, Create(subscription, key));
    ++stats.created;
    SubscriptionState state = ReadBack(id, key);
    Track(state);
    states.push_back(std::move(state));
    seen_ids.insert(id);
  }
  // Forget the ids that are gone.
  std::erase_if(first_not_active_, [&](const auto& e) { return seen_ids.count(e.first) == 0; });
  std::erase_if(repairs_, [&](const auto& e) { return seen_ids.count(e.first) == 0; });
  return Status::Ok();
}

}  // namespace bonewatch::adapter
