#include "bonewatch/mappings/mapping_set.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "tables.h"

namespace bonewatch::mappings {

double UnitConversion::Apply(double value) const {
  if (multiply == 1.0 && divide == 1.0) return value;
  char text[32];
  std::snprintf(text, sizeof(text), "%.12g", value * multiply / divide);
  return std::strtod(text, nullptr);
}

MappingSet::MappingSet(std::shared_ptr<const internal::Tables> tables)
    : tables_(std::move(tables)) {}

const ObservationMapping* MappingSet::FindObservation(std::string_view system,
                                                      std::string_view code) const {
  const internal::ObservationCode* entry = tables_->observation.Find(system, code);
  return entry != nullptr && entry->mapping ? &*entry->mapping : nullptr;
}

const SmokingStatusMapping* MappingSet::FindSmokingStatus(std::string_view system,
                                                          std::string_view code) const {
  const internal::ObservationCode* entry = tables_->observation.Find(system, code);
  return entry != nullptr && entry->smoking ? &*entry->smoking : nullptr;
}

MappingSet::ObservationCodeMappings MappingSet::FindObservationCode(std::string_view system,
                                                                    std::string_view code) const {
  const internal::ObservationCode* entry = tables_->observation.Find(system, code);
  if (entry == nullptr) return {};
  return {entry->mapping ? &*entry->mapping : nullptr, entry->smoking ? &*entry->smoking : nullptr,
          entry->dxa_panel};
}

bool MappingSet::IsCurrentSmokerAnswer(std::string_view obs_system, std::string_view obs_code,
                                       std::string_view system, std::string_view code) const {
  const internal::ObservationCode* entry = tables_->observation.Find(obs_system, obs_code);
  return entry != nullptr &&
         entry->current_smoker_answers.contains(internal::CodeKey(system, code));
}

const MedicationMapping* MappingSet::FindMedication(std::string_view system,
                                                    std::string_view code) const {
  return tables_->medication.Find(system, code);
}

std::optional<rules::RiskFactorKind> MappingSet::FindRiskFactor(std::string_view system,
                                                                std::string_view code) const {
  const rules::RiskFactorKind* kind = tables_->risk_factor.Find(system, code);
  return kind != nullptr ? std::optional(*kind) : std::nullopt;
}

bool MappingSet::IsDxaProcedure(std::string_view system, std::string_view code) const {
  return tables_->dxa_procedure.Find(system, code) != nullptr;
}

std::optional<rules::Site> MappingSet::FindBodySite(std::string_view system,
                                                    std::string_view code) const {
  const rules::Site* site = tables_->body_site.Find(system, code);
  return site != nullptr ? std::optional(*site) : std::nullopt;
}

bool MappingSet::IsSystemicRoute(std::string_view system, std::string_view code) const {
  return tables_->route.Find(system, code) != nullptr;
}

const std::string& MappingSet::CanonicalUnit(rules::Concept kind) const {
  return tables_->units[static_cast<size_t>(kind)].canonical;
}

std::optional<UnitConversion> MappingSet::Conversion(rules::Concept kind,
                                                     std::string_view unit) const {
  const auto& accepted = tables_->units[static_cast<size_t>(kind)].accepted;
  auto it = accepted.find(internal::AsciiLower(unit));
  if (it == accepted.end()) return std::nullopt;
  return it->second.conversion;
}

namespace {

template <typename T>
void AddCodes(const internal::CodeTable<T>& table, Criteria& criteria) {
  std::set<std::pair<std::string, std::string>> codes;
  for (const auto& [key, entry] : table.exact()) {
    const size_t bar = key.rfind('|');
    codes.emplace(key.substr(0, bar), key.substr(bar + 1));
  }
  for (const auto& c : criteria.codes) codes.emplace(c.system, c.code);
  criteria.codes.clear();
  for (const auto& [system, code] : codes) criteria.codes.push_back(CriteriaCode{system, code});
  if (!table.prefixes().empty()) criteria.has_prefix_codes = true;
}

}  // namespace

std::vector<Criteria> MappingSet::CriteriaLists() const {
  std::vector<Criteria> out;
  Criteria observation{"Observation", {}, false};
  AddCodes(tables_->observation, observation);
  out.push_back(observation);
  Criteria statement{"MedicationStatement", {}, false};
  AddCodes(tables_->medication, statement);
  out.push_back(statement);
  Criteria request = statement;
  request.resource_type = "MedicationRequest";
  out.push_back(request);
  Criteria condition{"Condition", {}, false};
  AddCodes(tables_->risk_factor, condition);
  out.push_back(condition);
  Criteria procedure{"Procedure", {}, false};
  AddCodes(tables_->dxa_procedure, procedure);
  out.push_back(procedure);
  return out;
}

const std::string& MappingSet::base() const { return tables_->base; }
const std::vector<FileSummary>& MappingSet::files() const { return tables_->files; }

}  // namespace bonewatch::mappings
