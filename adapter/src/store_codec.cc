#include "store_codec.h"

#include <optional>
#include <utility>

#include "bonewatch/fhir/datetime.h"
#include "bonewatch/fhir/json.h"

namespace bonewatch::adapter {
namespace {

using fhir::Json;

Json RefFields(Json item, const rules::SourceRef& ref) {
  if (!ref.component.empty()) item.Set("c", Json(ref.component));
  if (!ref.version.empty()) item.Set("ver", Json(ref.version));
  return item;
}

std::optional<rules::MedicationStatus> MedicationStatusFromCode(std::string_view code) {
  for (auto s : {rules::MedicationStatus::kActive, rules::MedicationStatus::kCompleted,
                 rules::MedicationStatus::kStopped, rules::MedicationStatus::kOnHold}) {
    if (rules::MedicationStatusCode(s) == code) return s;
  }
  return std::nullopt;
}

// Decoding helpers: each failure names the item and key.
class Reader {
 public:
  Reader(const Json& item, std::string where) : item_(item), where_(std::move(where)) {}
  const Status& status() const { return status_; }

  std::string String(std::string_view key, bool required = true) {
    std::optional<std::string> s = item_.GetString(key);
    if (!s && required) Fail(key, "missing or not a string");
    return s.value_or("");
  }
  rules::Date DateField(std::string_view key) {
    std::optional<rules::Date> d = rules::Date::Parse(String(key));
    if (!d) {
      Fail(key, "not a YYYY-MM-DD date");
      return {};
    }
    return *d;
  }
  std::optional<rules::Date> OptionalDate(std::string_view key) {
    if (!item_.Has(key)) return std::nullopt;
    return DateField(key);
  }
  bool Bool(std::string_view key) {
    std::optional<bool> b = item_.GetBool(key);
    if (!b) Fail(key, "missing or not a boolean");
    return b.value_or(false);
  }
  void Fail(std::string_view key, std::string_view what) {
    if (status_.ok())
      status_ = DataLossError(where_ + "." + std::string(key) + ": " + std::string(what));
  }

 private:
  const Json& item_;
  std::string where_;
  Status status_;
};

rules::SourceRef ReadRef(Reader& r, const SourceFacts& source) {
  return rules::SourceRef{source.resource_type, source.resource_id, r.String("ver", false),
                          r.String("c", false)};
}

Status DecodeFact(const Json& j, const std::string& where, const SourceFacts& source,
                  rules::Fact* out) {
  Reader r(j, where);
  std::optional<rules::Concept> kind = rules::ConceptFromCode(r.String("k"));
  if (!kind) r.Fail("k", "unknown concept");
  out->kind = kind.value_or(rules::Concept::kDxaTScore);
  const std::string site = r.String("s", false);
  std::optional<rules::Site> parsed_site =
      site.empty() ? rules::Site::kNone : rules::SiteFromCode(site);
  if (!parsed_site) r.Fail("s", "unknown site");
  out->site = parsed_site.value_or(rules::Site::kNone);
  if (const Json* v = j.Find("v")) {
    if (!v->is_number())
      r.Fail("v", "not a number");
    else
      out->value = v->AsDouble();
  }
  out->effective = r.DateField("d");
  out->status = r.String("st", false);
  out->source = ReadRef(r, source);
  return r.status();
}

Status DecodeMedication(const Json& j, const std::string& where, const SourceFacts& source,
                        rules::MedicationUse* out) {
  Reader r(j, where);
  std::optional<rules::MedicationClass> cls = rules::MedicationClassFromCode(r.String("k"));
  if (!cls) r.Fail("k", "unknown medication class");
  out->medication_class = cls.value_or(rules::MedicationClass::kAromataseInhibitor);
  out->ingredient = r.String("i", false);
  std::optional<rules::MedicationStatus> st = MedicationStatusFromCode(r.String("st"));
  if (!st) r.Fail("st", "unknown medication status");
  out->status = st.value_or(rules::MedicationStatus::kActive);
  out->start = r.DateField("b");
  out->end = r.OptionalDate("e");
  out->source = ReadRef(r, source);
  return r.status();
}

Status DecodeRiskFactor(const Json& j, const std::string& where, const SourceFacts& source,
                        rules::RiskFactorFact* out) {
  Reader r(j, where);
  std::optional<rules::RiskFactorKind> kind = rules::RiskFactorFromCode(r.String("k"));
  if (!kind) r.Fail("k", "unknown risk factor");
  out->kind = kind.value_or(rules::RiskFactorKind::kSmoker);
  const std::string origin = r.String("o");
  if (origin == "condition")
    out->origin = rules::RiskFactorOrigin::kCondition;
  else if (origin == "smoking-status")
    out->origin = rules::RiskFactorOrigin::kSmokingStatusObservation;
  else
    r.Fail("o", "unknown origin");
  out->date = r.DateField("d");
  out->clinically_active = r.Bool("a");
  out->present = r.Bool("p");
  out->source = ReadRef(r, source);
  return r.status();
}

}  // namespace

std::string EncodeSourcePayload(const SourceFacts& source) {
  Json root = Json::Object();
  if (!source.facts.empty()) {
    Json facts = Json::Array();
    for (const rules::Fact& f : source.facts) {
      Json item = Json::Object();
      item.Set("k", Json(rules::ConceptCode(f.kind)));
      if (f.site != rules::Site::kNone) item.Set("s", Json(rules::SiteCode(f.site)));
      if (f.value) item.Set("v", Json(*f.value));
      item.Set("d", Json(f.effective.ToString()));
      if (!f.status.empty()) item.Set("st", Json(f.status));
      facts.Push(RefFields(std::move(item), f.source));
    }
    root.Set("f", std::move(facts));
  }
  if (!source.medications.empty()) {
    Json meds = Json::Array();
    for (const rules::MedicationUse& m : source.medications) {
      Json item = Json::Object();
      item.Set("k", Json(rules::MedicationClassCode(m.medication_class)));
      if (!m.ingredient.empty()) item.Set("i", Json(m.ingredient));
      item.Set("st", Json(rules::MedicationStatusCode(m.status)));
      item.Set("b", Json(m.start.ToString()));
      if (m.end) item.Set("e", Json(m.end->ToString()));
      meds.Push(RefFields(std::move(item), m.source));
    }
    root.Set("m", std::move(meds));
  }
  if (!source.risk_factors.empty()) {
    Json risks = Json::Array();
    for (const rules::RiskFactorFact& rf : source.risk_factors) {
      Json item = Json::Object();
      item.Set("k", Json(rules::RiskFactorCode(rf.kind)));
      item.Set("o", Json(rf.origin == rules::RiskFactorOrigin::kCondition ? "condition"
                                                                          : "smoking-status"));
      item.Set("d", Json(rf.date.ToString()));
      item.Set("a", Json(rf.clinically_active));
      item.Set("p", Json(rf.present));
      risks.Push(RefFields(std::move(item), rf.source));
    }
    root.Set("r", std::move(risks));
  }
  if (source.demographics) {
    Json demo = Json::Object();
    if (source.demographics->birth_date) {
      demo.Set("birth", Json(source.demographics->birth_date->ToString()));
    }
    demo.Set("g", Json(rules::GenderCode(source.demographics->gender)));
    root.Set("demo", std::move(demo));
  }
  return root.Serialize();
}

Status DecodeSourcePayload(std::string_view payload, SourceFacts* source) {
  const std::string where = "stored facts of " + source->resource_type + "/" + source->resource_id;
  StatusOr<Json> parsed = Json::Parse(payload);
  if (!parsed.ok()) return DataLossError(where + ": " + parsed.status().message());
  const Json& root = *parsed;
  if (!root.is_object()) return DataLossError(where + ": not a JSON object");
  source->facts.clear();
  source->medications.clear();
  source->risk_factors.clear();
  source->demographics.reset();
  if (const Json* facts = root.Find("f")) {
    for (size_t i = 0; i < facts->size(); ++i) {
      rules::Fact f;
      RETURN_IF_ERROR(
          DecodeFact((*facts)[i], where + ": f[" + std::to_string(i) + "]", *source, &f));
      source->facts.push_back(std::move(f));
    }
  }
  if (const Json* meds = root.Find("m")) {
    for (size_t i = 0; i < meds->size(); ++i) {
      rules::MedicationUse m;
      RETURN_IF_ERROR(
          DecodeMedication((*meds)[i], where + ": m[" + std::to_string(i) + "]", *source, &m));
      source->medications.push_back(std::move(m));
    }
  }
  if (const Json* risks = root.Find("r")) {
    for (size_t i = 0; i < risks->size(); ++i) {
      rules::RiskFactorFact rf;
      RETURN_IF_ERROR(
          DecodeRiskFactor((*risks)[i], where + ": r[" + std::to_string(i) + "]", *source, &rf));
      source->risk_factors.push_back(std::move(rf));
    }
  }
  if (const Json* demo = root.Find("demo")) {
    Reader r(*demo, where + ": demo");
    rules::PatientDemographics d;
    d.birth_date = r.OptionalDate("birth");
    std::optional<rules::Gender> g = rules::GenderFromCode(r.String("g"));
    if (!g) r.Fail("g", "unknown gender");
    d.gender = g.value_or(rules::Gender::kUnknown);
    RETURN_IF_ERROR(r.status());
    source->demographics = d;
  }
  return Status::Ok();
}

bool HasAiMedication(const SourceFacts& source) {
  for (const rules::MedicationUse& m : source.medications) {
    if (m.medication_class == rules::MedicationClass::kAromataseInhibitor) return true;
  }
  return false;
}

uint64_t FactItemCount(const SourceFacts& source) {
  return source.facts.size() + source.medications.size() + source.risk_factors.size();
}

StatusOr<VersionOrder> CompareSourceVersions(std::string_view stored_version_id,
                                             std::string_view stored_last_updated,
                                             std::string_view stored_payload,
                                             const SourceFacts& incoming,
                                             std::string_view incoming_payload) {
  if (!stored_version_id.empty() && stored_version_id == incoming.version_id) {
    return VersionOrder::kSame;
  }
  const bool same_content = stored_payload == incoming_payload;
  if (!stored_last_updated.empty() && !incoming.last_updated.empty()) {
    StatusOr<fhir::DateTime> stored = fhir::DateTime::ParseInstant(stored_last_updated);
    StatusOr<fhir::DateTime> next = fhir::DateTime::ParseInstant(incoming.last_updated);
    if (!next.ok()) {
      return InvalidArgumentError("meta.lastUpdated '" + incoming.last_updated +
                                  "' is not a FHIR instant: " + next.status().message());
    }
    if (stored.ok()) {
      const int64_t a = stored->ToEpochMillis();
      const int64_t b = next->ToEpochMillis();
      if (b > a) return VersionOrder::kNewer;
      if (b < a) return VersionOrder::kOlder;
      // Equal instants, other content: versionIds are opaque (UUIDs on
      // Medplum, numbers on HAPI) and never ordered, so the read later wins.
      return same_content ? VersionOrder::kSame : VersionOrder::kNewer;
    }
  } else if (!incoming.last_updated.empty()) {
    StatusOr<fhir::DateTime> next = fhir::DateTime::ParseInstant(incoming.last_updated);
    if (!next.ok()) {
      return InvalidArgumentError("meta.lastUpdated '" + incoming.last_updated +
                                  "' is not a FHIR instant: " + next.status().message());
    }
  }
  return same_content ? VersionOrder::kSame : VersionOrder::kNewer;
}

}  // namespace bonewatch::adapter
