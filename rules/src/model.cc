// Code tables of the rule model (spec §1 codes, exactly).
#include "bonewatch/rules/model.h"

#include <array>
#include <utility>

namespace bonewatch::rules {
namespace {

template <typename Enum, size_t N>
std::optional<Enum> FromCode(const std::array<std::pair<Enum, std::string_view>, N>& table,
                             std::string_view code) {
  for (const auto& [value, text] : table) {
    if (text == code) return value;
  }
  return std::nullopt;
}

template <typename Enum, size_t N>
std::string_view ToCode(const std::array<std::pair<Enum, std::string_view>, N>& table, Enum value) {
  for (const auto& [v, text] : table) {
    if (v == value) return text;
  }
  return {};
}

constexpr std::array<std::pair<Concept, std::string_view>, 10> kConcepts = {{
    {Concept::kDxaTScore, "dxa-t-score"},
    {Concept::kDxaZScore, "dxa-z-score"},
    {Concept::kDxaBmd, "dxa-bmd"},
    {Concept::kCtx, "ctx"},
    {Concept::kNtx, "ntx"},
    {Concept::kP1np, "p1np"},
    {Concept::kBalp, "balp"},
    {Concept::kVitaminD25oh, "vitamin-d-25oh"},
    {Concept::kBmi, "bmi"},
    {Concept::kDxaProcedure, "dxa-procedure"},
}};

constexpr std::array<std::pair<Site, std::string_view>, 5> kSites = {{
    {Site::kLumbarSpine, "lumbar-spine"},
    {Site::kTotalHip, "total-hip"},
    {Site::kFemoralNeck, "femoral-neck"},
    {Site::kForearm, "forearm"},
    {Site::kUnspecified, "unspecified"},
}};

constexpr std::array<std::pair<Site, std::string_view>, 5> kSiteDisplays = {{
    {Site::kLumbarSpine, "lumbar spine"},
    {Site::kTotalHip, "total hip"},
    {Site::kFemoralNeck, "femoral neck"},
    {Site::kForearm, "forearm"},
    {Site::kUnspecified, "site unspecified"},
}};

constexpr std::array<std::pair<MedicationClass, std::string_view>, 5> kClasses = {{
    {MedicationClass::kAromataseInhibitor, "aromatase-inhibitor"},
    {MedicationClass::kOvarianSuppression, "ovarian-suppression"},
    {MedicationClass::kBisphosphonate, "bisphosphonate"},
    {MedicationClass::kDenosumab, "denosumab"},
    {MedicationClass::kGlucocorticoid, "glucocorticoid"},
}};

constexpr std::array<std::pair<MedicationStatus, std::string_view>, 4> kMedStatuses = {{
    {MedicationStatus::kActive, "active"},
    {MedicationStatus::kCompleted, "completed"},
    {MedicationStatus::kStopped, "stopped"},
    {MedicationStatus::kOnHold, "on-hold"},
}};

constexpr std::array<std::pair<RiskFactorKind, std::string_view>, 5> kRiskFactors = {{
    {RiskFactorKind::kFragilityFracture, "fragility-fracture"},
    {RiskFactorKind::kFamilyHipFracture, "family-hip-fracture"},
    {RiskFactorKind::kSmoker, "smoker"},
    {RiskFactorKind::kRheumatoidArthritis, "rheumatoid-arthritis"},
    {RiskFactorKind::kPremenopausal, "premenopausal"},
}};

}  // namespace

std::string_view ConceptCode(Concept c) { return ToCode(kConcepts, c); }
std::optional<Concept> ConceptFromCode(std::string_view code) { return FromCode(kConcepts, code); }
bool IsDxaConcept(Concept c) {
  return c == Concept::kDxaTScore || c == Concept::kDxaZScore || c == Concept::kDxaBmd ||
         c == Concept::kDxaProcedure;
}

std::string_view SiteCode(Site s) { return ToCode(kSites, s); }
std::string_view SiteDisplay(Site s) { return ToCode(kSiteDisplays, s); }
std::optional<Site> SiteFromCode(std::string_view code) { return FromCode(kSites, code); }

std::string_view MedicationClassCode(MedicationClass c) { return ToCode(kClasses, c); }
std::optional<MedicationClass> MedicationClassFromCode(std::string_view code) {
  return FromCode(kClasses, code);
}
std::string_view MedicationStatusCode(MedicationStatus s) { return ToCode(kMedStatuses, s); }

std::string_view RiskFactorCode(RiskFactorKind k) { return ToCode(kRiskFactors, k); }
std::optional<RiskFactorKind> RiskFactorFromCode(std::string_view code) {
  return FromCode(kRiskFactors, code);
}

std::string_view GenderCode(Gender g) {
  switch (g) {
    case Gender::kFemale:
      return "female";
    case Gender::kMale:
      return "male";
    case Gender::kOther:
      return "other";
    case Gender::kUnknown:
      break;
  }
  return "unknown";
}

std::optional<Gender> GenderFromCode(std::string_view code) {
  for (Gender g : {Gender::kFemale, Gender::kMale, Gender::kOther, Gender::kUnknown}) {
    if (GenderCode(g) == code) return g;
  }
  return std::nullopt;
}

}  // namespace bonewatch::rules
