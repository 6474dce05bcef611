// MedicationStatement / MedicationRequest -> MedicationUse (spec §1: class,
// ingredient, statuses, dates and implied ends, glucocorticoid route).
#include <cmath>
#include <optional>
#include <string>

#include "map_context.h"
#include "resource_mappers.h"

namespace bonewatch::mappings::internal {
namespace {

using fhir::Json;

constexpr int kDefaultRequestDays = 90;

std::optional<rules::MedicationStatus> UsedStatus(std::string_view status) {
  if (status == "active") return rules::MedicationStatus::kActive;
  if (status == "completed") return rules::MedicationStatus::kCompleted;
  if (status == "stopped") return rules::MedicationStatus::kStopped;
  if (status == "on-hold") return rules::MedicationStatus::kOnHold;
  return std::nullopt;
}

std::string_view IgnoredStatusReason(bool request, std::string_view status) {
  static constexpr std::string_view kStatement[] = {"not-taken", "intended", "unknown"};
  static constexpr std::string_view kRequest[] = {"cancelled", "draft", "unknown"};
  for (std::string_view s : request ? kRequest : kStatement) {
    if (status == s) return s;
  }
  return "other";
}

// Adds a FHIR Duration (value + d/wk/mo/a, or h/min) times `times` to `start`.
// nullopt when the unit is not a time unit we know.
std::optional<rules::Date> AddDuration(rules::Date start, const Json& duration, int64_t times) {
  const Json* value = duration.Find("value");
  if (value == nullptr || !value->is_number() || value->AsDouble() < 0) return std::nullopt;
  std::string unit = duration.GetString("code").value_or("");
  if (unit.empty()) unit = duration.GetString("unit").value_or("");
  const double total = value->AsDouble() * static_cast<double>(times);
  auto is = [&unit](std::initializer_list<std::string_view> names) {
    for (std::string_view n : names) {
      if (unit == n) return true;
    }
    return false;
  };
  double days = 0;
  if (is({"d", "day", "days"})) {
    days = total;
  } else if (is({"wk", "week", "weeks"})) {
    days = total * 7;
  } else if (is({"mo", "month", "months"}) || is({"a", "year", "years"})) {
    const double months = is({"a", "year", "years"}) ? total * 12 : total;
    if (months == std::floor(months)) return start.AddMonths(static_cast<int>(months));
    days = months * 30.4375;  // a fractional month: mean Gregorian month
  } else if (is({"h", "hour", "hours"})) {
    days = total / 24;
  } else if (is({"min", "minute", "minutes"})) {
    days = total / (24 * 60);
  } else {
    return std::nullopt;
  }
  return start.AddDays(static_cast<int64_t>(std::llround(days)));
}

class MedicationMapper {
 public:
  explicit MedicationMapper(MapContext& ctx)
      : ctx_(ctx), request_(ctx.result().resource_type == "MedicationRequest") {}

  void Map() {
    const MedicationMapping* mapping = nullptr;
    if (!FindMedication(mapping)) return;
    if (mapping == nullptr) return;  // ignored: not mapped
    const std::string status = ctx_.Status();
    const std::optional<rules::MedicationStatus> used = UsedStatus(status);
    if (!used) {
      if (status == "entered-in-error") {
        ctx_.Retract("status entered-in-error: its medication use is withdrawn");
      } else if (status.empty()) {
        ctx_.Reject("missing-status", "status", "missing");
      } else {
        ctx_.Ignore("status-" + std::string(IgnoredStatusReason(request_, status)),
                    "status " + status + " is not used");
      }
      return;
    }
    if (mapping->medication_class == rules::MedicationClass::kGlucocorticoid && !SystemicRoute()) {
      ctx_.Ignore("non-systemic-route",
                  "glucocorticoid with a non-systemic dosage route (topical, inhaled, ...)");
      return;
    }
    if (!ctx_.ResolveSubject()) return;
    rules::MedicationUse use;
    use.medication_class = mapping->medication_class;
    use.ingredient = mapping->ingredient;
    use.status = *used;
    use.source = ctx_.result().source;
    if (!(request_ ? RequestDates(use) : StatementDates(use))) return;
    ctx_.result().medications.push_back(std::move(use));
    ctx_.Mapped();
  }

 private:
  // Sets `mapping` (nullptr and ignores when not mapped); false after a rejection.
  bool FindMedication(const MedicationMapping*& mapping) {
    const Json& r = ctx_.resource();
    std::vector<CodingRef> codings;
    if (const Json* cc = r.Find("medicationCodeableConcept")) {
      codings = Codings(cc);
    } else if (const Json* ref = r.Find("medicationReference")) {
      const std::string text = ref->GetString("reference").value_or("");
      const Json* medication = text.empty() ? nullptr : ctx_.Resolve(text);
      if (medication == nullptr) {
        ctx_.Reject("unresolved-medication", "medicationReference.reference",
                    text.empty() ? "missing" : "'" + text + "' does not resolve to a Medication");
        return false;
      }
      if (medication->GetString("resourceType") != "Medication") {
        ctx_.Reject("unresolved-medication", "medicationReference.reference",
                    "'" + text + "' is not a Medication");
        return false;
      }
      codings = Codings(medication->Find("code"));
    } else {
      ctx_.Reject("missing-medication", "medication[x]",
                  "missing: medicationCodeableConcept or medicationReference is required");
      return false;
    }
    for (const CodingRef& c : codings) {
      if ((mapping = ctx_.mappings().FindMedication(c.system, c.code)) != nullptr) return true;
    }
    ctx_.Ignore("code-not-mapped", "medication " + FirstCode(codings) + " is not mapped");
    return true;
  }

  // Spec §1: a glucocorticoid counts when some dosage is oral or parenteral;
  // a dosage without a coded route counts as systemic.
  bool SystemicRoute() const {
    const Json* dosages = ctx_.resource().Find(request_ ? "dosageInstruction" : "dosage");
    if (dosages == nullptr || dosages->empty()) return true;
    for (const Json& dosage : dosages->elements()) {
      const std::vector<CodingRef> routes = Codings(dosage.Find("route"));
      if (routes.empty()) return true;
      for (const CodingRef& c : routes) {
        if (ctx_.mappings().IsSystemicRoute(c.system, c.code)) return true;
      }
    }
    return false;
  }

  bool StatementDates(rules::MedicationUse& use) {
    const Json& r = ctx_.resource();
    bool invalid = false;
    std::optional<rules::Date> start =
        ctx_.ReadDate(r.Find("effectiveDateTime"), "effectiveDateTime", &invalid);
    if (invalid) return false;
    if (!start) {
      start = ctx_.ReadDate(r.At({"effectivePeriod", "start"}), "effectivePeriod.start", &invalid);
      if (invalid) return false;
      use.end = ctx_.ReadDate(r.At({"effectivePeriod", "end"}), "effectivePeriod.end", &invalid);
      if (invalid) return false;
    }
    if (!start) start = ctx_.ReadDate(r.Find("dateAsserted"), "dateAsserted", &invalid);
    if (invalid) return false;
    if (!start) {
      ctx_.Reject("missing-date", "effective[x]",
                  "no effectiveDateTime, effectivePeriod.start or dateAsserted");
      return false;
    }
    use.start = *start;
    const bool finished = use.status == rules::MedicationStatus::kCompleted ||
                          use.status == rules::MedicationStatus::kStopped;
    if (finished && !use.end) use.end = use.start;  // a single dose or unknown duration
    return true;
  }

  bool RequestDates(rules::MedicationUse& use) {
    const Json& r = ctx_.resource();
    const Json* bounds = nullptr;
    if (const Json* dosages = r.Find("dosageInstruction");
        dosages != nullptr && !dosages->empty()) {
      bounds = (*dosages)[0].At({"timing", "repeat", "boundsPeriod"});
    }
    const std::string bounds_field = "dosageInstruction[0].timing.repeat.boundsPeriod";
    bool invalid = false;
    std::optional<rules::Date> start;
    std::optional<rules::Date> end;
    if (bounds != nullptr) {
      start = ctx_.ReadDate(bounds->Find("start"), bounds_field + ".start", &invalid);
      if (invalid) return false;
      end = ctx_.ReadDate(bounds->Find("end"), bounds_field + ".end", &invalid);
      if (invalid) return false;
    }
    if (!start) start = ctx_.ReadDate(r.Find("authoredOn"), "authoredOn", &invalid);
    if (invalid) return false;
    if (!start) {
      ctx_.Reject("missing-date", "authoredOn", "no boundsPeriod.start and no authoredOn");
      return false;
    }
    use.start = *start;
    switch (use.status) {
      case rules::MedicationStatus::kActive:
        use.end.reset();  // an active request is open
        break;
      case rules::MedicationStatus::kOnHold:
        use.end = end;
        break;
      case rules::MedicationStatus::kCompleted:
      case rules::MedicationStatus::kStopped:
        use.end = end ? end : ImpliedRequestEnd(use.start);
        break;
    }
    return true;
  }

  // start + expectedSupplyDuration x (1 + numberOfRepeatsAllowed), else + 90 days.
  rules::Date ImpliedRequestEnd(rules::Date start) const {
    const Json* dispense = ctx_.resource().Find("dispenseRequest");
    if (dispense != nullptr) {
      if (const Json* supply = dispense->Find("expectedSupplyDuration")) {
        const int64_t repeats =
            std::max<int64_t>(0, dispense->GetInt64("numberOfRepeatsAllowed").value_or(0));
        if (auto end = AddDuration(start, *supply, 1 + repeats)) return *end;
      }
    }
    return start.AddDays(kDefaultRequestDays);
  }

  MapContext& ctx_;
  const bool request_;
};

}  // namespace

void MapMedication(MapContext& ctx) { MedicationMapper(ctx).Map(); }

}  // namespace bonewatch::mappings::internal
