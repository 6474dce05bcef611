#include "evaluate_command_cohort.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace bonewatch::adapter {
namespace {

constexpr size_t kChunkBytes = 1u << 20;

std::optional<uint64_t> NumericVersion(std::string_view version) {
  uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(version.data(), version.data() + version.size(), value);
  if (ec != std::errc() || ptr != version.data() + version.size() || version.empty()) {
    return std::nullopt;
  }
  return value;
}

template <typename T, typename Pred>
void EraseIf(std::vector<T>& items, Pred pred) {
  items.erase(std::remove_if(items.begin(), items.end(), pred), items.end());
}

}  // namespace

CohortStore::CohortStore() {
  // Index 0: the empty word (Intern answers it without a lookup).
  vocabulary_.emplace_back();
  vocabulary_index_.emplace(std::string(), 0);
}

std::string_view CohortStore::Store(std::string_view text) {
  if (text.empty()) return {};
  if (chunks_.empty() || chunk_used_ + text.size() > chunk_size_) {
    chunk_size_ = std::max(kChunkBytes, text.size());
    chunks_.push_back(std::make_unique<char[]>(chunk_size_));
    chunk_used_ = 0;
  }
  char* at = chunks_.back().get() + chunk_used_;
  std::memcpy(at, text.data(), text.size());
  chunk_used_ += text.size();
  return {at, text.size()};
}

uint32_t CohortStore::Intern(std::string_view text) {
  if (text.empty()) return 0;
  for (const uint32_t recent : recent_words_) {
    if (vocabulary_[recent] == text) return recent;
  }
  uint32_t index = 0;
  if (auto it = vocabulary_index_.find(text); it != vocabulary_index_.end()) {
    index = it->second;
  } else {
    index = static_cast<uint32_t>(vocabulary_.size());
    vocabulary_.emplace_back(text);
    vocabulary_index_.emplace(std::string(text), index);
  }
  recent_words_[next_recent_word_++ % kRecentWords] = index;
  return index;
}

CohortStore::PackedSource CohortStore::Pack(const rules::SourceRef& source) {
  return PackedSource{Store(source.id), Intern(source.resource_type), Intern(source.version),
                      Intern(source.component)};
}

void CohortStore::Unpack(const PackedSource& source, rules::SourceRef& into) const {
  into.resource_type.assign(Word(source.type));
  into.id.assign(source.id);
  into.version.assign(Word(source.version));
  into.component.assign(Word(source.component));
}

CohortStore::Patient& CohortStore::PatientFor(std::string_view patient_id) {
  if (last_patient_ != nullptr && last_patient_->id == patient_id) return *last_patient_;
  const auto tag = static_cast<uint32_t>(std::hash<std::string_view>()(patient_id) >> 32);
  if (const std::optional<size_t> index = FindPatient(patient_id, tag)) {
    last_patient_ = &PatientAt(*index);
    return *last_patient_;
  }
  // Keep the load at most 1/2, so that probe runs stay short.
  if ((patient_count_ + 1) * 2 > patient_slots_.size()) {
    std::vector<uint64_t> slots(std::max<size_t>(64, patient_slots_.size() * 2), 0);
    slots.swap(patient_slots_);
    for (const uint64_t slot : slots) {
      if (slot != 0) InsertSlot(static_cast<uint32_t>(slot >> 32), (slot & 0xFFFFFFFFu) - 1);
    }
  }
  InsertSlot(tag, patient_count_);
  last_patient_ = &AddPatient(patient_id);
  return *last_patient_;
}

std::optional<size_t> CohortStore::FindPatient(std::string_view patient_id, uint32_t tag) const {
  if (patient_slots_.empty()) return std::nullopt;
  const size_t mask = patient_slots_.size() - 1;
  for (size_t i = tag & mask;; i = (i + 1) & mask) {
    const uint64_t slot = patient_slots_[i];
    if (slot == 0) return std::nullopt;
    if ((slot >> 32) == tag) {
      const size_t index = (slot & 0xFFFFFFFFu) - 1;
      if (PatientAt(index).id == patient_id) return index;
    }
  }
}

void CohortStore::InsertSlot(uint32_t tag, size_t index) {
  const size_t mask = patient_slots_.size() - 1;
  size_t i = tag & mask;
  while (patient_slots_[i] != 0) i = (i + 1) & mask;
  patient_slots_[i] = (uint64_t{tag} << 32) | (index + 1);
}

CohortStore::Patient& CohortStore::PatientNamed(std::string_view patient_id) const {
  const auto tag = static_cast<uint32_t>(std::hash<std::string_view>()(patient_id) >> 32);
  const std::optional<size_t> index = FindPatient(patient_id, tag);
  if (!index) throw std::out_of_range("CohortStore: no patient " + std::string(patient_id));
  return PatientAt(*index);
}

CohortStore::Patient& CohortStore::AddPatient(std::string_view patient_id) {
  if (patient_count_ % kPatientsPerChunk == 0) {
    patient_chunks_.push_back(std::make_unique<Patient[]>(kPatientsPerChunk));
  }
  Patient& patient = PatientAt(patient_count_++);
  patient.id = Store(patient_id);
  return patient;
}

bool CohortStore::SameResource(const PackedSource& a, uint32_t type, std::string_view id) {
  return a.type == type && a.id == id;
}

bool CohortStore::ReplaceSource(Patient& patient, const rules::SourceRef& incoming, bool* was_ai) {
  const uint32_t type = Intern(incoming.resource_type);
  const std::string_view id = incoming.id;
  // The version already held, if any.
  const PackedSource* held = nullptr;
  for (const PackedFact& f : patient.facts) {
    if (SameResource(f.source, type, id)) held = &f.source;
  }
  for (const PackedMedication& m : patient.medications) {
    if (SameResource(m.source, type, id)) {
      held = &m.source;
      if (m.medication_class == static_cast<uint8_t>(rules::MedicationClass::kAromataseInhibitor)) {
        *was_ai = true;
      }
    }
  }
  for (const PackedRiskFactor& r : patient.risk_factors) {
    if (SameResource(r.source, type, id)) held = &r.source;
  }
  if (patient.has_demographics && SameResource(patient.demographics_source, type, id)) {
    held = &patient.demographics_source;
  }
  if (held != nullptr) {
    const auto old_version = NumericVersion(Word(held->version));
    const auto new_version = NumericVersion(incoming.version);
    if (old_version && new_version && *new_version <= *old_version) return false;
  }
  auto same = [&](const auto& item) { return SameResource(item.source, type, id); };
  EraseIf(patient.facts, same);
  EraseIf(patient.medications, same);
  EraseIf(patient.risk_factors, same);
  return true;
}

void CohortStore::Apply(const mappings::MapResult& result, bool ai_source) {
  if (result.outcome == mappings::MapOutcome::kRejected || result.patient_id.empty()) return;
  Patient& patient = PatientFor(result.patient_id);
  bool was_ai = false;
  if (!ReplaceSource(patient, result.source, &was_ai)) return;
  if (result.outcome == mappings::MapOutcome::kRetracted) {
    if (was_ai || ai_source) patient.ai_medication_retracted = true;
    if (patient.has_demographics &&
        SameResource(patient.demographics_source, Intern(result.source.resource_type),
                     result.source.id)) {
      patient.has_demographics = false;
    }
    return;
  }
  if (result.outcome != mappings::MapOutcome::kMapped) return;
  for (const rules::Fact& fact : result.facts) {
    PackedFact p;
    p.source = Pack(fact.source);
    p.value = fact.value.value_or(0);
    p.has_value = fact.value.has_value();
    p.date = static_cast<int32_t>(fact.effective.days());
    p.status = Intern(fact.status);
    p.kind = static_cast<uint8_t>(fact.kind);
    p.site = static_cast<uint8_t>(fact.site);
    patient.facts.push_back(p);
  }
  for (const rules::MedicationUse& use : result.medications) {
    PackedMedication p;
    p.source = Pack(use.source);
    p.start = static_cast<int32_t>(use.start.days());
    p.has_end = use.end.has_value();
    p.end = use.end ? static_cast<int32_t>(use.end->days()) : 0;
    p.ingredient = Intern(use.ingredient);
    p.medication_class = static_cast<uint8_t>(use.medication_class);
    p.status = static_cast<uint8_t>(use.status);
    patient.medications.push_back(p);
  }
  for (const rules::RiskFactorFact& risk : result.risk_factors) {
    PackedRiskFactor p;
    p.source = Pack(risk.source);
    p.date = static_cast<int32_t>(risk.date.days());
    p.kind = static_cast<uint8_t>(risk.kind);
    p.origin = static_cast<uint8_t>(risk.origin);
    p.clinically_active = risk.clinically_active;
    p.present = risk.present;
    patient.risk_factors.push_back(p);
  }
  if (result.demographics) {
    patient.has_demographics = true;
    patient.demographics_source = Pack(result.source);
    patient.has_birth_date = result.demographics->birth_date.has_value();
    patient.birth_date =
        patient.has_birth_date ? static_cast<int32_t>(result.demographics->birth_date->days()) : 0;
    patient.gender = static_cast<uint8_t>(result.demographics->gender);
  }
}

void CohortStore::Delete(std::string_view resource_type, std::string_view id) {
  const uint32_t type = Intern(resource_type);
  for (size_t i = 0; i < patient_count_; ++i) {
    Patient& patient = PatientAt(i);
    auto same = [&](const auto& item) { return SameResource(item.source, type, id); };
    for (const PackedMedication& m : patient.medications) {
      if (same(m) &&
          m.medication_class == static_cast<uint8_t>(rules::MedicationClass::kAromataseInhibitor)) {
        patient.ai_medication_retracted = true;
      }
    }
    EraseIf(patient.facts, same);
    EraseIf(patient.medications, same);
    EraseIf(patient.risk_factors, same);
    if (patient.has_demographics && SameResource(patient.demographics_source, type, id)) {
      patient.has_demographics = false;
    }
  }
}

std::vector<std::string_view> CohortStore::SortedPatientIds() const {
  std::vector<std::string_view> ids;
  ids.reserve(patient_count_);
  for (size_t i = 0; i < patient_count_; ++i) ids.push_back(PatientAt(i).id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

rules::PatientRecord CohortStore::Record(std::string_view patient_id) const {
  return RecordOf(patient_id, PatientNamed(patient_id));
}

std::vector<CohortStore::PatientEntry> CohortStore::SortedPatients() {
  std::vector<PatientEntry> entries;
  entries.reserve(patient_count_);
  for (size_t i = 0; i < patient_count_; ++i) {
    PatientEntry& entry = entries.emplace_back();
    entry.patient_ = &PatientAt(i);
    entry.id_ = entry.patient_->id;
  }
  // Checking first makes an export already in id order cost one pass.
  const auto by_id = [](const PatientEntry& a, const PatientEntry& b) { return a.id_ < b.id_; };
  if (!std::is_sorted(entries.begin(), entries.end(), by_id)) {
    std::sort(entries.begin(), entries.end(), by_id);
  }
  return entries;
}

rules::PatientRecord CohortStore::TakeRecord(std::string_view patient_id) {
  PatientEntry entry;
  entry.id_ = patient_id;
  entry.patient_ = &PatientNamed(patient_id);
  return TakeRecord(entry);
}

rules::PatientRecord CohortStore::TakeRecord(const PatientEntry& entry) {
  rules::PatientRecord record;
  TakeRecord(entry, record);
  return record;
}

void CohortStore::TakeRecord(const PatientEntry& entry, rules::PatientRecord& record) {
  Patient& patient = *entry.patient_;
  RecordInto(entry.id_, patient, record);
  std::vector<PackedFact>().swap(patient.facts);
  std::vector<PackedMedication>().swap(patient.medications);
  std::vector<PackedRiskFactor>().swap(patient.risk_factors);
}

rules::PatientRecord CohortStore::RecordOf(std::string_view patient_id,
                                           const Patient& patient) const {
  rules::PatientRecord record;
  RecordInto(patient_id, patient, record);
  return record;
}

// Every member of `record` and of its elements is set: the elements are
// reused in place (their strings keep their capacity).
void CohortStore::RecordInto(std::string_view patient_id, const Patient& patient,
                             rules::PatientRecord& record) const {
  record.patient_id.assign(patient_id);
  record.demographics = rules::PatientDemographics();
  if (patient.has_demographics) {
    if (patient.has_birth_date)
      record.demographics.birth_date = rules::Date::FromDays(patient.birth_date);
    record.demographics.gender = static_cast<rules::Gender>(patient.gender);
  }
  record.facts.resize(patient.facts.size());
  for (size_t i = 0; i < patient.facts.size(); ++i) {
    const PackedFact& p = patient.facts[i];
    rules::Fact& fact = record.facts[i];
    fact.kind = static_cast<rules::Concept>(p.kind);
    fact.site = static_cast<rules::Site>(p.site);
    fact.value = p.has_value ? std::optional<double>(p.value) : std::nullopt;
    fact.effective = rules::Date::FromDays(p.date);
    Unpack(p.source, fact.source);
    fact.status.assign(Word(p.status));
  }
  record.medications.resize(patient.medications.size());
  for (size_t i = 0; i < patient.medications.size(); ++i) {
    const PackedMedication& p = patient.medications[i];
    rules::MedicationUse& use = record.medications[i];
    use.medication_class = static_cast<rules::MedicationClass>(p.medication_class);
    use.ingredient.assign(Word(p.ingredient));
    use.status = static_cast<rules::MedicationStatus>(p.status);
    use.start = rules::Date::FromDays(p.start);
    use.end = p.has_end ? std::optional<rules::Date>(rules::Date::FromDays(p.end)) : std::nullopt;
    Unpack(p.source, use.source);
  }
  record.risk_factors.resize(patient.risk_factors.size());
  for (size_t i = 0; i < patient.risk_factors.size(); ++i) {
    const PackedRiskFactor& p = patient.risk_factors[i];
    rules::RiskFactorFact& risk = record.risk_factors[i];
    risk.kind = static_cast<rules::RiskFactorKind>(p.kind);
    risk.origin = static_cast<rules::RiskFactorOrigin>(p.origin);
    risk.date = rules::Date::FromDays(p.date);
    risk.clinically_active = p.clinically_active;
    risk.present = p.present;
    Unpack(p.source, risk.source);
  }
  record.ai_medication_retracted = patient.ai_medication_retracted;
}

}  // namespace bonewatch::adapter
