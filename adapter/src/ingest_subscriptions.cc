#include "ingest_subscriptions.h"

#include <map>
#include <set>
#include <utility>

#include "ingest_decode.h"
#include "ingest_types.h"

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
                            .Set("status", "requested")
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
  const std::optional<std::string> status = existing.GetString("status");
  if (status != "active" && status != "requested") return false;  // error/off: re-request
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

Status SubscriptionManager::Ensure(EnsureStats* stats_out) {
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

  EnsureStats stats;
  std::set<std::string> kept;
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
    if (SameContent(existing, want->second)) {
      ++stats.unchanged;
      continue;
    }
    fhir::Json update = want->second;
    update.Set("id", id);
    RETURN_IF_ERROR(
        client.Update(update).status().WithContext("subscriptions: update Subscription/" + id));
    deps_.logger->Info("subscription.updated", {{"id", id}, {"key", key}});
    ++stats.updated;
  }
  for (const auto& [key, subscription] : desired) {
    if (kept.count(key) > 0) continue;
    StatusOr<fhir::FhirResult> created = client.Create(subscription);
    if (!created.ok()) return created.status().WithContext("subscriptions: create " + key);
    deps_.logger->Info("subscription.created", {{"id", created->id}, {"key", key}});
    ++stats.created;
  }
  if (stats_out != nullptr) *stats_out = stats;
  return Status::Ok();
}

}  // namespace bonewatch::adapter
