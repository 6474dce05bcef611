// ReadSubscriptionNotification: R4B/R5 SubscriptionStatus and the R4
// backport IG's Parameters form, normalised into one struct.
#include <array>
#include <charconv>
#include <utility>

#include "bonewatch/fhir/bundle.h"
#include "internal/json_fields.h"

namespace bonewatch::fhir {
namespace {

using internal::StringField;

constexpr std::array<std::pair<NotificationType, std::string_view>, 5> kTypeCodes = {{
    {NotificationType::kHandshake, "handshake"},
    {NotificationType::kHeartbeat, "heartbeat"},
    {NotificationType::kEventNotification, "event-notification"},
    {NotificationType::kQueryStatus, "query-status"},
    {NotificationType::kQueryEvent, "query-event"},
}};

StatusOr<NotificationType> ParseNotificationType(std::string_view code, std::string_view where) {
  for (const auto& [type, text] : kTypeCodes) {
    if (text == code) return type;
  }
  return InvalidArgumentError(std::string(where) + ": unknown notification type \"" +
                              std::string(code) + "\"");
}

// integer64 arrives as a JSON string (R5), a string (R4B, backport) or, from
// lenient servers, a number.
StatusOr<int64_t> ReadCount(const Json& v, std::string_view where) {
  std::optional<int64_t> out;
  if (v.is_number()) {
    out = v.AsInt64();
  } else if (v.is_string()) {
    int64_t n = 0;
    const std::string& s = v.AsString();
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && ptr == s.data() + s.size()) out = n;
  }
  if (!out.has_value() || *out < 0) {
    return InvalidArgumentError(std::string(where) + ": not a non-negative integer");
  }
  return *out;
}

StatusOr<Reference> ReadRef(const Json& v, const std::string& where) {
  auto ref = ReferenceFromJson(v);
  if (!ref.ok()) return ref.status().WithContext(where);
  return std::move(ref).value();
}

Status ReadSubscriptionStatus(const Json& s, SubscriptionNotification& n) {
  constexpr std::string_view kWhere = "SubscriptionStatus";
  ASSIGN_OR_RETURN(n.status, StringField(s, "status", kWhere));
  ASSIGN_OR_RETURN(std::string type, StringField(s, "type", kWhere));
  ASSIGN_OR_RETURN(n.type, ParseNotificationType(type, "SubscriptionStatus.type"));
  ASSIGN_OR_RETURN(n.topic, StringField(s, "topic", kWhere));
  if (const Json* sub = s.Find("subscription"); sub != nullptr) {
    ASSIGN_OR_RETURN(Reference ref, ReadRef(*sub, "SubscriptionStatus.subscription"));
    n.subscription = FormatReference(ref);
  }
  if (const Json* count = s.Find("eventsSinceSubscriptionStart"); count != nullptr) {
    ASSIGN_OR_RETURN(n.events_since_subscription_start,
                     ReadCount(*count, "SubscriptionStatus.eventsSinceSubscriptionStart"));
  }
  const Json* events = s.Find("notificationEvent");
  if (events == nullptr) return Status::Ok();
  for (std::size_t i = 0; i < events->size(); ++i) {
    const Json& e = (*events)[i];
    const std::string where = "SubscriptionStatus.notificationEvent[" + std::to_string(i) + "]";
    RETURN_IF_ERROR(internal::ExpectObject(e, where));
    NotificationEvent ev;
    const Json* number = e.Find("eventNumber");
    if (number == nullptr) return InvalidArgumentError(where + ".eventNumber: missing");
    ASSIGN_OR_RETURN(ev.event_number, ReadCount(*number, where + ".eventNumber"));
    ASSIGN_OR_RETURN(ev.timestamp, StringField(e, "timestamp", where));
    if (const Json* focus = e.Find("focus"); focus != nullptr) {
      ASSIGN_OR_RETURN(ev.focus, ReadRef(*focus, where + ".focus"));
    }
    for (const Json& ctx : internal::ArrayField(e, "additionalContext")) {
      ASSIGN_OR_RETURN(Reference ref, ReadRef(ctx, where + ".additionalContext"));
      ev.additional_context.push_back(std::move(ref));
    }
    n.events.push_back(std::move(ev));
  }
  return Status::Ok();
}

// The value[x] of a Parameters.parameter, whatever its type suffix.
const Json* ParameterValue(const Json& param) {
  for (const Json::Member& m : param.members()) {
    if (m.key.starts_with("value")) return &m.value;
  }
  return nullptr;
}

Status ReadBackportEvent(const Json& param, NotificationEvent& ev) {
  const std::string where = "Parameters.notification-event";
  bool has_number = false;
  for (const Json& part : internal::ArrayField(param, "part")) {
    const std::string name = part.GetString("name").value_or("");
    const Json* value = ParameterValue(part);
    if (value == nullptr) continue;
    if (name == "event-number") {
      ASSIGN_OR_RETURN(ev.event_number, ReadCount(*value, where + ".event-number"));
      has_number = true;
    } else if (name == "timestamp" && value->is_string()) {
      ev.timestamp = value->AsString();
    } else if (name == "focus") {
      ASSIGN_OR_RETURN(ev.focus, ReadRef(*value, where + ".focus"));
    } else if (name == "additional-context") {
      ASSIGN_OR_RETURN(Reference ref, ReadRef(*value, where + ".additional-context"));
      ev.additional_context.push_back(std::move(ref));
    }
  }
  if (!has_number) return InvalidArgumentError(where + ".event-number: missing");
  return Status::Ok();
}

Status ReadBackportParameters(const Json& p, SubscriptionNotification& n) {
  bool has_type = false;
  for (const Json& param : internal::ArrayField(p, "parameter")) {
    const std::string name = param.GetString("name").value_or("");
    if (name == "notification-event") {
      NotificationEvent ev;
      RETURN_IF_ERROR(ReadBackportEvent(param, ev));
      n.events.push_back(std::move(ev));
      continue;
    }
    const Json* value = ParameterValue(param);
    if (value == nullptr) continue;
    if (name == "subscription") {
      ASSIGN_OR_RETURN(Reference ref, ReadRef(*value, "Parameters.subscription"));
      n.subscription = FormatReference(ref);
    } else if (name == "topic" && value->is_string()) {
      n.topic = value->AsString();
    } else if (name == "status" && value->is_string()) {
      n.status = value->AsString();
    } else if (name == "type" && value->is_string()) {
      ASSIGN_OR_RETURN(n.type, ParseNotificationType(value->AsString(), "Parameters.type"));
      has_type = true;
    } else if (name == "events-since-subscription-start") {
      ASSIGN_OR_RETURN(n.events_since_subscription_start,
                       ReadCount(*value, "Parameters.events-since-subscription-start"));
    }
  }
  if (!has_type) return InvalidArgumentError("Parameters.type: missing");
  return Status::Ok();
}

}  // namespace

StatusOr<SubscriptionNotification> ReadSubscriptionNotification(Bundle bundle) {
  if (bundle.type != BundleType::kSubscriptionNotification && bundle.type != BundleType::kHistory) {
    return InvalidArgumentError("notification Bundle has type \"" +
                                std::string(BundleTypeCode(bundle.type)) +
                                "\", expected subscription-notification or history");
  }
  if (bundle.entries.empty() || !bundle.entries[0].resource.has_value()) {
    return InvalidArgumentError("notification Bundle: the first entry has no status resource");
  }
  SubscriptionNotification n;
  const Json& status = *bundle.entries[0].resource;
  const std::string type = bundle.entries[0].ResourceType();
  if (type == "SubscriptionStatus") {
    RETURN_IF_ERROR(ReadSubscriptionStatus(status, n));
  } else if (type == "Parameters") {
    RETURN_IF_ERROR(ReadBackportParameters(status, n));
  } else {
    return InvalidArgumentError("notification Bundle: the first entry is a " + type +
                                ", expected SubscriptionStatus or Parameters");
  }
  for (std::size_t i = 1; i < bundle.entries.size(); ++i) {
    BundleEntry& e = bundle.entries[i];
    if (e.resource.has_value()) {
      n.content = NotificationContent::kFullResource;
    } else if (n.content == NotificationContent::kEmpty) {
      n.content = NotificationContent::kIdOnly;
    }
    n.entries.push_back(std::move(e));
  }
  return n;
}

}  // namespace bonewatch::fhir
