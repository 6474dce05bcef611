// Observation -> Facts (values per concept, unit-normalised) or a smoking
// status RiskFactorFact. Spec §1: concepts, panels, bodySite, statuses, dates.
#include <array>
#include <optional>
#include <string>

#include "bonewatch/fhir/quantity.h"
#include "map_context.h"
#include "resource_mappers.h"
#include "ucum.h"

namespace bonewatch::mappings::internal {
namespace {

using fhir::Json;

constexpr std::array<std::string_view, 10> kNonQuantityValues = {
    "valueCodeableConcept", "valueString",      "valueBoolean", "valueInteger",  "valueRange",
    "valueRatio",           "valueSampledData", "valueTime",    "valueDateTime", "valuePeriod"};

const ObservationMapping* FindConcept(const MappingSet& mappings,
                                      const std::vector<CodingRef>& codings) {
  for (const CodingRef& c : codings) {
    if (const ObservationMapping* m = mappings.FindObservation(c.system, c.code)) return m;
  }
  return nullptr;
}

std::string_view StatusReason(std::string_view status) {
  for (std::string_view s : {"preliminary", "registered", "unknown"}) {
    if (status == s) return s;
  }
  return "other";
}

// "component codes: a|1, b|2" or "no components", for a refusal message (at most 5 listed).
std::string ComponentCodes(const Json* components) {
  if (components == nullptr || components->size() == 0) return "no components";
  std::string out = "component codes: ";
  const size_t n = components->size();
  for (size_t i = 0; i < n && i < 5; ++i) {
    if (i > 0) out += ", ";
    out += FirstCode(Codings((*components)[i].Find("code")));
  }
  if (n > 5) out += ", and " + std::to_string(n - 5) + " more";
  return out;
}

class ObservationMapper {
 public:
  explicit ObservationMapper(MapContext& ctx) : ctx_(ctx), mappings_(ctx.mappings()) {}

  void Map() {
    const Json& obs = ctx_.resource();
    const std::vector<CodingRef> codings = Codings(obs.Find("code"));
    // The first coding that is a smoking-status code, and the first that
    // maps to a concept: one table lookup per coding.
    const SmokingStatusMapping* smoking = nullptr;
    const CodingRef* smoking_code = nullptr;
    const ObservationMapping* own = nullptr;
    const CodingRef* panel = nullptr;  // a declared DXA panel code (target dxa-panel)
    for (const CodingRef& c : codings) {
      if (smoking != nullptr && own != nullptr) break;
      const MappingSet::ObservationCodeMappings found =
          mappings_.FindObservationCode(c.system, c.code);
      if (panel == nullptr && found.dxa_panel) panel = &c;
      if (smoking == nullptr && found.smoking_status != nullptr) {
        smoking = found.smoking_status;
        smoking_code = &c;
      }
      if (own == nullptr) own = found.observation;
    }
    const Json* components = obs.Find("component");
    std::vector<std::pair<size_t, const ObservationMapping*>> mapped_components;
    if (components != nullptr) {
      for (size_t i = 0; i < components->size(); ++i) {
        if (const auto* m = FindConcept(mappings_, Codings((*components)[i].Find("code")))) {
          mapped_components.emplace_back(i, m);
        }
      }
    }
    if (smoking == nullptr && own == nullptr && mapped_components.empty()) {
      if (panel == nullptr) {
        ctx_.Ignore("code-not-mapped", "code " + FirstCode(codings) + " is not mapped");
        return;
      }
      // A declared DXA panel whose values cannot be read: refused (kept as a dead letter,
      // naming the component codes an IT team would map), unless its status or subject
      // already rules it out.
      if (!CheckStatus() || !ctx_.ResolveSubject()) return;
      ctx_.Reject("panel-components-not-mapped", "component",
                  "DXA panel " + std::string(panel->system) + "|" + std::string(panel->code) +
                      " has no component with a mapped code (" + ComponentCodes(components) +
                      "): map them in the mappings (docs/mappings.md)");
      return;
    }
    if (!CheckStatus() || !ctx_.ResolveSubject()) return;
    const std::optional<rules::Date> date = ReadEffective();
    if (!date) return;
    if (smoking != nullptr) {
      MapSmokingStatus(*smoking, *smoking_code, *date);
      return;
    }
    const std::optional<rules::Site> body_site = ReadBodySite();
    if (own != nullptr) {
      const bool have_components = !mapped_components.empty();
      if (!AddFact(obs, "", *own, body_site, *date, /*value_optional=*/have_components)) return;
    }
    for (const auto& [i, m] : mapped_components) {
      if (!AddFact((*components)[i], "component[" + std::to_string(i) + "]", *m, body_site, *date,
                   /*value_optional=*/false)) {
        return;
      }
    }
    if (ctx_.result().facts.empty()) {
      ctx_.Ignore("data-absent", "no value (dataAbsentReason)");
      return;
    }
    ctx_.Mapped();
  }

 private:
  bool CheckStatus() {
    const std::string status = ctx_.Status();
    if (status == "final" || status == "amended" || status == "corrected") return true;
    if (status == "cancelled" || status == "entered-in-error") {
      ctx_.Retract("status " + status + ": its facts are withdrawn");
    } else if (status.empty()) {
      ctx_.Reject("missing-status", "status", "missing");
    } else {
      ctx_.Ignore("status-" + std::string(StatusReason(status)),
                  "status " + status + " is not used");
    }
    return false;
  }

  std::optional<rules::Date> ReadEffective() {
    const Json& obs = ctx_.resource();
    bool invalid = false;
    std::optional<rules::Date> date =
        ctx_.ReadDate(obs.Find("effectiveDateTime"), "effectiveDateTime", &invalid);
    if (!date && !invalid) {
      date = ctx_.ReadDate(obs.At({"effectivePeriod", "start"}), "effectivePeriod.start", &invalid);
    }
    if (!date && !invalid) {
      date = ctx_.ReadDate(obs.Find("effectiveInstant"), "effectiveInstant", &invalid);
    }
    if (!date && !invalid) date = ctx_.ReadDate(obs.Find("issued"), "issued", &invalid);
    if (!date && !invalid) {
      ctx_.Reject("missing-date", "effective[x]",
                  "no effectiveDateTime, effectivePeriod.start or issued");
    }
    return date;
  }

  std::optional<rules::Site> ReadBodySite() {
    for (const CodingRef& c : Codings(ctx_.resource().Find("bodySite"))) {
      if (auto site = mappings_.FindBodySite(c.system, c.code)) return site;
    }
    return std::nullopt;
  }

  void MapSmokingStatus(const SmokingStatusMapping& smoking, const CodingRef& code,
                        rules::Date date) {
    const Json* value = ctx_.resource().Find("valueCodeableConcept");
    if (value == nullptr) {
      ctx_.Reject("non-coded-value", "valueCodeableConcept",
                  "missing: a smoking-status observation needs a coded answer");
      return;
    }
    bool present = false;
    for (const CodingRef& answer : Codings(value)) {
      if (mappings_.IsCurrentSmokerAnswer(code.system, code.code, answer.system, answer.code)) {
        present = true;
      }
    }
    rules::RiskFactorFact fact;
    fact.kind = smoking.kind;
    fact.origin = rules::RiskFactorOrigin::kSmokingStatusObservation;
    fact.date = date;
    fact.clinically_active = true;
    fact.present = present;
    fact.source = ctx_.result().source;
    ctx_.result().risk_factors.push_back(std::move(fact));
    ctx_.Mapped();
  }

  // Adds the fact carried by `holder` (the Observation or one component).
  // Returns false after a rejection.
  bool AddFact(const Json& holder, const std::string& component, const ObservationMapping& m,
               std::optional<rules::Site> body_site, rules::Date date, bool value_optional) {
    const std::string prefix = component.empty() ? "" : component + ".";
    const Json* quantity_json = holder.Find("valueQuantity");
    if (quantity_json == nullptr) {
      for (std::string_view key : kNonQuantityValues) {
        if (holder.Has(key)) {
          ctx_.Reject(
              "non-numeric-value", prefix + std::string(key),
              "a numeric valueQuantity is required for " + std::string(rules::ConceptCode(m.kind)));
          return false;
        }
      }
      if (value_optional || holder.Has("dataAbsentReason")) return true;
      ctx_.Reject("missing-value", prefix + "valueQuantity",
                  "missing: a " + std::string(rules::ConceptCode(m.kind)) + " value is required");
      return false;
    }
    // Read without copying its texts: only the value and the unit are used.
    auto quantity = fhir::QuantityViewFromJson(*quantity_json);
    if (!quantity.ok() || !quantity->has_value()) {
      ctx_.Reject("non-numeric-value", prefix + "valueQuantity.value",
                  quantity.ok() ? "missing" : quantity.status().message());
      return false;
    }
    const std::optional<UnitConversion> conversion = FindConversion(*quantity, m.kind, prefix);
    if (!conversion) return false;
    rules::Fact fact;
    fact.kind = m.kind;
    fact.site = m.site_refinable && body_site ? *body_site : m.site;
    fact.value = conversion->Apply(quantity->value);
    fact.effective = date;
    fact.source = ctx_.result().source;
    fact.source.component = component;
    fact.status = ctx_.Status();
    ctx_.result().facts.push_back(std::move(fact));
    return true;
  }

  std::optional<UnitConversion> FindConversion(const fhir::QuantityView& q, rules::Concept kind,
                                               const std::string& prefix) {
    if (!q.code.empty()) {
      if (auto f = mappings_.Conversion(kind, q.code)) return f;
    }
    if (!q.unit.empty() || q.code.empty()) {
      if (auto f = mappings_.Conversion(kind, q.unit)) return f;
    }
    const std::string unit(q.code.empty() ? q.unit : q.code);
    const std::string field =
        prefix + (q.code.empty() ? "valueQuantity.unit" : "valueQuantity.code");
    const std::string concept_code(rules::ConceptCode(kind));
    const std::string canonical = mappings_.CanonicalUnit(kind);
    if (unit.empty()) {
      ctx_.Reject(
          "missing-unit", prefix + "valueQuantity",
          "no unit: a " + concept_code + " value needs a unit (canonical " + canonical + ")");
    } else if (const std::string why = CheckUcumUnit(unit); !why.empty()) {
      ctx_.Reject("unknown-unit", field, "unknown unit '" + unit + "': " + why);
    } else {
      ctx_.Reject("unconvertible-unit", field,
                  "unit '" + unit + "' cannot be converted to " + canonical + " for " +
                      concept_code + " (add it to a units table if it is convertible)");
    }
    return std::nullopt;
  }

  MapContext& ctx_;
  const MappingSet& mappings_;
};

}  // namespace

void MapObservation(MapContext& ctx) { ObservationMapper(ctx).Map(); }

}  // namespace bonewatch::mappings::internal
