#include "ingest_decode.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string_view>
#include <utility>

#include "bonewatch/fhir/bundle.h"
#include "bonewatch/fhir/reference.h"

namespace bonewatch::adapter {
namespace {

constexpr std::string_view kOwnTagCode = "bonewatch";
constexpr std::string_view kEventCursorPrefix = "events:";

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Decodes one item; `where` prefixes every error ("inbox item 12").
class Decoder {
 public:
  Decoder(const InboxItem& item, const DecodeOptions& options)
      : item_(item), options_(options), where_("inbox item " + std::to_string(item.id)) {}

  StatusOr<std::vector<WorkUnit>> Run() {
    RETURN_IF_ERROR(ReadHeaders());
    const std::string interaction = Header("x-medplum-interaction");
    if (EqualsIgnoreCase(interaction, "delete")) return DecodeDelete();

    const std::string_view body = Trim(item_.body);
    if (body.empty()) return DecodeEmpty();
    StatusOr<fhir::Json> json = fhir::Json::Parse(body);
    if (!json.ok()) return Error("body", json.status().message());
    if (!json->is_object()) {
      return Error("body", "expected a JSON object, got " + std::string(json->TypeName()));
    }
    if (json->empty()) return DecodeEmpty();  // `{}`: nothing to say beyond "something changed"
    const std::optional<std::string> type = json->GetString("resourceType");
    if (!type.has_value()) return Error("body.resourceType", "missing or not a string");
    if (*type == "Bundle") return DecodeBundle(std::move(*json));
    return DecodeBareResource(std::move(*json));
  }

 private:
  Status Error(std::string_view field, std::string_view reason) const {
    return InvalidArgumentError(where_ + ": " + std::string(field) + ": " + std::string(reason));
  }

  Status ReadHeaders() {
    if (Trim(item_.headers_json).empty()) return Status::Ok();
    StatusOr<fhir::Json> json = fhir::Json::Parse(item_.headers_json);
    if (!json.ok()) return Error("headers", json.status().message());
    if (!json->is_object()) return Error("headers", "expected a JSON object");
    headers_ = std::move(*json);
    return Status::Ok();
  }

  std::string Header(std::string_view name) const {
    for (const fhir::Json::Member& m : headers_.members()) {
      if (EqualsIgnoreCase(m.key, name) && m.value.is_string()) return m.value.AsString();
    }
    return "";
  }

  // "Type/id" (relative or absolute) -> reference; error naming `field` otherwise.
  StatusOr<fhir::Reference> TypeAndId(std::string_view text, std::string_view field) const {
    StatusOr<fhir::Reference> ref = fhir::ParseReference(Trim(text));
    if (!ref.ok()) return Error(field, ref.status().message());
    if (ref->type.empty() || ref->id.empty() || ref->is_urn || ref->is_contained ||
        ref->is_conditional) {
      return Error(field, "\"" + std::string(text) + "\" is not a Type/id reference");
    }
    return *ref;
  }

  static WorkUnit Unit(WorkUnit::Kind kind, const fhir::Reference& ref) {
    WorkUnit unit;
    unit.kind = kind;
    unit.resource_type = ref.type;
    unit.resource_id = ref.id;
    return unit;
  }

  StatusOr<std::vector<WorkUnit>> DecodeDelete() const {
    std::string target = Header("x-medplum-deleted-resource");
    std::string field = "headers.x-medplum-deleted-resource";
    if (target.empty()) {
      target = item_.hint;
      field = "hint";
    }
    if (target.empty()) return Error("headers.x-medplum-deleted-resource", "missing");
    ASSIGN_OR_RETURN(fhir::Reference ref, TypeAndId(target, field));
    return std::vector<WorkUnit>{Unit(WorkUnit::Kind::kDelete, ref)};
  }

  StatusOr<std::vector<WorkUnit>> DecodeEmpty() const {
    if (item_.hint.empty())
      return std::vector<WorkUnit>{WorkUnit{WorkUnit::Kind::kPollNow, {}, {}, {}}};
    ASSIGN_OR_RETURN(fhir::Reference ref, TypeAndId(item_.hint, "hint"));
    return std::vector<WorkUnit>{Unit(WorkUnit::Kind::kFetch, ref)};
  }

  // A resource as the body, or as a Bundle entry. Own writes are dropped (no unit).
  Status AddResource(fhir::Json resource, std::string_view field, std::string_view fallback_id) {
    const std::optional<std::string> type = resource.GetString("resourceType");
    if (!type.has_value() || !fhir::IsResourceTypeName(*type)) {
      return Error(std::string(field) + ".resourceType", "missing or not a resource type");
    }
    std::string id = resource.GetString("id").value_or(std::string(fallback_id));
    if (id.empty()) return Error(std::string(field) + ".id", "missing");
    if (!fhir::IsValidId(id)) return Error(std::string(field) + ".id", "not a valid id");
    if (IsOwnWrite(resource, options_.own_tag_system)) return Status::Ok();
    WorkUnit unit;
    unit.kind = WorkUnit::Kind::kResource;
    unit.resource_type = *type;
    unit.resource_id = std::move(id);
    unit.resource = std::move(resource);
    units_.push_back(std::move(unit));
    return Status::Ok();
  }

  StatusOr<std::vector<WorkUnit>> DecodeBareResource(fhir::Json resource) {
    std::string hint_id;
    if (!item_.hint.empty()) {
      ASSIGN_OR_RETURN(fhir::Reference ref, TypeAndId(item_.hint, "hint"));
      if (resource.GetString("resourceType") == ref.type) hint_id = ref.id;
    }
    RETURN_IF_ERROR(AddResource(std::move(resource), "body", hint_id));
    return std::move(units_);
  }

  static bool IsNotificationBundle(const fhir::Bundle& bundle) {
    if (bundle.type == fhir::BundleType::kSubscriptionNotification) return true;
    if (bundle.type != fhir::BundleType::kHistory || bundle.entries.empty()) return false;
    const std::string first = bundle.entries[0].ResourceType();
    return first == "SubscriptionStatus" || first == "Parameters";
  }

  StatusOr<std::vector<WorkUnit>> DecodeBundle(fhir::Json json) {
    StatusOr<fhir::Bundle> bundle = fhir::ReadBundle(std::move(json));
    if (!bundle.ok()) return Error("body", bundle.status().message());
    if (IsNotificationBundle(*bundle)) return DecodeNotification(std::move(*bundle));
    switch (bundle->type) {
      case fhir::BundleType::kSearchset:
      case fhir::BundleType::kHistory:
      case fhir::BundleType::kCollection:
        break;
      default:
        return Error("body.type", "unsupported Bundle type \"" +
                                      std::string(fhir::BundleTypeCode(bundle->type)) + "\"");
    }
    for (size_t i = 0; i < bundle->entries.size(); ++i) {
      RETURN_IF_ERROR(AddEntry(bundle->entries[i], "body.entry[" + std::to_string(i) + "]",
                               /*id_only_fetch=*/false));
    }
    return std::move(units_);
  }

  // An entry of a search/history/notification Bundle. Without a resource: a DELETE request
  // gives kDelete; otherwise, when `id_only_fetch`, the fullUrl (or request.url) gives kFetch.
  Status AddEntry(fhir::BundleEntry& entry, const std::string& field, bool id_only_fetch) {
    if (entry.resource.has_value()) {
      if (entry.search_mode == "outcome" || entry.ResourceType() == "OperationOutcome") {
        return Status::Ok();
      }
      return AddResource(std::move(*entry.resource), field + ".resource", "");
    }
    if (entry.request.has_value() && entry.request->method == "DELETE") {
      ASSIGN_OR_RETURN(fhir::Reference ref, TypeAndId(entry.request->url, field + ".request.url"));
      units_.push_back(Unit(WorkUnit::Kind::kDelete, ref));
      return Status::Ok();
    }
    if (!id_only_fetch) return Error(field, "no resource and no DELETE request");
    std::string target = entry.full_url;
    std::string target_field = field + ".fullUrl";
    if (target.empty() && entry.request.has_value()) {
      target = entry.request->url;
      target_field = field + ".request.url";
    }
    if (target.empty()) return Error(field, "no resource, fullUrl or request.url");
    ASSIGN_OR_RETURN(fhir::Reference ref, TypeAndId(target, target_field));
    AddFetch(ref);
    return Status::Ok();
  }

  void AddFetch(const fhir::Reference& ref) {
    const std::string key = ref.type + "/" + ref.id;
    if (!fetched_.insert(key).second) return;
    units_.push_back(Unit(WorkUnit::Kind::kFetch, ref));
  }

  // True when event numbers show that notifications were missed.
  bool HasGap(const fhir::SubscriptionNotification& n) const {
    std::vector<int64_t> numbers;
    for (const fhir::NotificationEvent& e : n.events) numbers.push_back(e.event_number);
    std::sort(numbers.begin(), numbers.end());
    numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
    for (size_t i = 1; i < numbers.size(); ++i) {
      if (numbers[i] != numbers[i - 1] + 1) return true;
    }
    const std::optional<int64_t> since = n.events_since_subscription_start;
    if (!numbers.empty() && since.has_value() && *since > numbers.back()) return true;
    if (options_.events == nullptr || n.subscription.empty()) return false;
    const std::optional<int64_t> last = options_.events->Last(n.subscription);
    if (!last.has_value()) return false;
    if (!numbers.empty()) return numbers.front() > *last + 1;
    return since.has_value() && *since > *last;  // heartbeat: events happened we never saw
  }

  void RecordEvents(const fhir::SubscriptionNotification& n) const {
    if (options_.events == nullptr || n.subscription.empty()) return;
    std::optional<int64_t> highest = n.events_since_subscription_start;
    for (const fhir::NotificationEvent& e : n.events) {
      if (!highest.has_value() || e.event_number > *highest) highest = e.event_number;
    }
    if (!highest.has_value()) return;
    const std::optional<int64_t> last = options_.events->Last(n.subscription);
    if (!last.has_value() || *highest > *last) options_.events->Record(n.subscription, *highest);
  }

  StatusOr<std::vector<WorkUnit>> DecodeNotification(fhir::Bundle bundle) {
    StatusOr<fhir::SubscriptionNotification> read =
        fhir::ReadSubscriptionNotification(std::move(bundle));
    if (!read.ok()) return Error("body", read.status().message());
    fhir::SubscriptionNotification& n = *read;
    bool poll = HasGap(n);
    RecordEvents(n);
    const bool is_event = n.type == fhir::NotificationType::kEventNotification ||
                          n.type == fhir::NotificationType::kQueryEvent;
    if (is_event) {
      switch (n.content) {
        case fhir::NotificationContent::kEmpty:
        case fhir::NotificationContent::kIdOnly:
          // Content is inferred from the entries; a focus without entries is still an id.
          for (const fhir::NotificationEvent& e : n.events) {
            if (e.focus.has_value() && !e.focus->type.empty() && !e.focus->id.empty()) {
              AddFetch(*e.focus);
            }
          }
          if (n.content == fhir::NotificationContent::kEmpty && units_.empty()) poll = true;
          [[fallthrough]];
        case fhir::NotificationContent::kFullResource:
          for (size_t i = 0; i < n.entries.size(); ++i) {
            // entry[0] was the status; the rest start at 1.
            RETURN_IF_ERROR(AddEntry(n.entries[i], "body.entry[" + std::to_string(i + 1) + "]",
                                     /*id_only_fetch=*/true));
          }
          break;
      }
    }
    if (poll) units_.push_back(WorkUnit{WorkUnit::Kind::kPollNow, {}, {}, {}});
    return std::move(units_);
  }

  const InboxItem& item_;
  const DecodeOptions& options_;
  const std::string where_;
  fhir::Json headers_ = fhir::Json::Object();
  std::vector<WorkUnit> units_;
  std::set<std::string> fetched_;
};

}  // namespace

std::string OwnTagSystem(std::string_view canonical_base) {
  while (!canonical_base.empty() && canonical_base.back() == '/') canonical_base.remove_suffix(1);
  return std::string(canonical_base) + "/CodeSystem/tag";
}

bool IsOwnWrite(const fhir::Json& resource, const std::string& tag_system) {
  const fhir::Json* tags = resource.At({"meta", "tag"});
  if (tags == nullptr) return false;
  for (const fhir::Json& tag : tags->elements()) {
    if (tag.GetString("system") == tag_system && tag.GetString("code") == kOwnTagCode) return true;
  }
  return false;
}

std::optional<int64_t> StoreEventNumberTracker::Last(const std::string& subscription) {
  StatusOr<std::optional<std::string>> value =
      store_.GetCursor(std::string(kEventCursorPrefix) + subscription);
  if (!value.ok() || !value->has_value()) return std::nullopt;
  const std::string& text = **value;
  if (text.empty() || text.size() > 18 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoll(text);
}

void StoreEventNumberTracker::Record(const std::string& subscription, int64_t event_number) {
  store_.SetCursor(std::string(kEventCursorPrefix) + subscription, std::to_string(event_number))
      .IgnoreError();
}

StatusOr<std::vector<WorkUnit>> DecodeInboxItem(const InboxItem& item,
                                                const DecodeOptions& options) {
  return Decoder(item, options).Run();
}

StatusOr<std::vector<WorkUnit>> DecodeInboxItem(const InboxItem& item) {
  return DecodeInboxItem(item, DecodeOptions{});
}

}  // namespace bonewatch::adapter
