// Condition -> RiskFactorFact, Procedure -> DXA procedure Fact, Patient ->
// demographics (spec §1).
#include <optional>
#include <string>

#include "bonewatch/fhir/datetime.h"
#include "map_context.h"
#include "resource_mappers.h"

namespace bonewatch::mappings::internal {
namespace {

using fhir::Json;

// The first code of the CodeableConcept `element` of `r`.
std::string StatusCode(const Json& r, std::string_view element) {
  const std::vector<CodingRef> codings = Codings(r.Find(element));
  return codings.empty() ? std::string() : std::string(codings[0].code);
}

}  // namespace

void MapCondition(MapContext& ctx) {
  const Json& r = ctx.resource();
  const std::vector<CodingRef> codings = Codings(r.Find("code"));
  std::optional<rules::RiskFactorKind> kind;
  for (const CodingRef& c : codings) {
    if ((kind = ctx.mappings().FindRiskFactor(c.system, c.code))) break;
  }
  if (!kind) {
    ctx.Ignore("code-not-mapped", "code " + FirstCode(codings) + " is not mapped");
    return;
  }
  const std::string verification = StatusCode(r, "verificationStatus");
  if (verification == "refuted" || verification == "entered-in-error") {
    ctx.Ignore("verification-" + verification, "verificationStatus " + verification);
    return;
  }
  if (!ctx.ResolveSubject()) return;
  bool invalid = false;
  std::optional<rules::Date> date =
      ctx.ReadDate(r.Find("onsetDateTime"), "onsetDateTime", &invalid);
  if (!date && !invalid) {
    date = ctx.ReadDate(r.At({"onsetPeriod", "start"}), "onsetPeriod.start", &invalid);
  }
  if (!date && !invalid) date = ctx.ReadDate(r.Find("recordedDate"), "recordedDate", &invalid);
  if (invalid) return;
  if (!date) {
    ctx.Reject("missing-date", "onset[x]", "no onsetDateTime, onsetPeriod.start or recordedDate");
    return;
  }
  const std::string clinical = StatusCode(r, "clinicalStatus");
  rules::RiskFactorFact fact;
  fact.kind = *kind;
  fact.origin = rules::RiskFactorOrigin::kCondition;
  fact.date = *date;
  // Absent counts as active; recurrence and relapse are active states.
  fact.clinically_active =
      clinical.empty() || clinical == "active" || clinical == "recurrence" || clinical == "relapse";
  fact.present = true;
  fact.source = ctx.result().source;
  ctx.result().risk_factors.push_back(std::move(fact));
  ctx.Mapped();
}

void MapProcedure(MapContext& ctx) {
  const Json& r = ctx.resource();
  const std::vector<CodingRef> codings = Codings(r.Find("code"));
  bool dxa = false;
  for (const CodingRef& c : codings) dxa = dxa || ctx.mappings().IsDxaProcedure(c.system, c.code);
  if (!dxa) {
    ctx.Ignore("code-not-mapped", "code " + FirstCode(codings) + " is not mapped");
    return;
  }
  const std::string status = ctx.Status();
  if (status == "entered-in-error") {
    ctx.Retract("status entered-in-error: its DXA procedure is withdrawn");
    return;
  }
  if (status != "completed") {
    if (status.empty()) {
      ctx.Reject("missing-status", "status", "missing");
    } else {
      ctx.Ignore("status-not-completed", "status " + status + " is not completed");
    }
    return;
  }
  if (!ctx.ResolveSubject()) return;
  bool invalid = false;
  std::optional<rules::Date> date =
      ctx.ReadDate(r.Find("performedDateTime"), "performedDateTime", &invalid);
  if (!date && !invalid) {
    date = ctx.ReadDate(r.At({"performedPeriod", "start"}), "performedPeriod.start", &invalid);
  }
  if (invalid) return;
  if (!date) {
    ctx.Reject("missing-date", "performed[x]", "no performedDateTime or performedPeriod.start");
    return;
  }
  rules::Fact fact;
  fact.kind = rules::Concept::kDxaProcedure;
  fact.site = rules::Site::kNone;
  fact.effective = *date;
  fact.source = ctx.result().source;
  fact.status = status;
  ctx.result().facts.push_back(std::move(fact));
  ctx.Mapped();
}

void MapPatient(MapContext& ctx) {
  const Json& r = ctx.resource();
  MapResult& result = ctx.result();
  if (result.source.id.empty()) {
    ctx.Reject("missing-id", "id", "missing: a Patient needs an id");
    return;
  }
  result.patient_id = result.source.id;
  rules::PatientDemographics demographics;
  if (const Json* birth = r.Find("birthDate")) {
    auto parsed = birth->is_string()
                      ? fhir::DateTime::ParseDate(birth->AsString())
                      : StatusOr<fhir::DateTime>(InvalidArgumentError("not a string"));
    if (!parsed.ok()) {
      ctx.Reject("invalid-date", "birthDate",
                 "not a FHIR date: " + std::string(parsed.status().message()));
      return;
    }
    demographics.birth_date = rules::Date::FromYmd(parsed->year, parsed->month, parsed->day);
  }
  demographics.gender = rules::GenderFromCode(r.GetStringView("gender").value_or(""))
                            .value_or(rules::Gender::kUnknown);
  result.demographics = demographics;
  ctx.Mapped();
}

}  // namespace bonewatch::mappings::internal
