// CohortStore: the mapped facts of every patient of an offline evaluation,
// kept compact so that a large NDJSON export fits in bounded memory.
//
// Purpose: `bonewatch evaluate` must group resources by patient before it can
// evaluate anyone (a Bulk Data export has one file per resource type), so it
// holds every patient's facts until the input ends. It keeps them packed
// (~48 bytes a fact, ids in an arena, small vocabularies interned) instead of
// as rules::PatientRecord (~250 bytes a fact) or as FHIR JSON (kilobytes a
// resource), and rebuilds one PatientRecord at a time for evaluation.
//
// Same semantics as the daemon's Store, for one pass over the input:
//  - a resource's facts are keyed by its source (type, id): a later version
//    (meta.versionId, compared numerically when both are numbers; otherwise
//    the later one read) replaces what an earlier one gave; an older or
//    duplicate version changes nothing;
//  - an ignored resource withdraws what an earlier version of it gave;
//  - a retracted (entered-in-error, cancelled) or deleted resource withdraws
//    its facts; retracting an aromatase-inhibitor source marks the patient
//    (PatientRecord::ai_medication_retracted).
//
// Thread-safety: not thread-safe, except that once nothing is applied or
// deleted any more, Record() and TakeRecord() may run concurrently for
// different patients (evaluate's worker threads do). Ownership: owns
// everything it holds.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bonewatch/mappings/mapper.h"
#include "bonewatch/rules/model.h"

namespace bonewatch::adapter {

class CohortStore {
  struct Patient;  // the packed facts of one patient, below

 public:
  CohortStore();
  CohortStore(const CohortStore&) = delete;
  CohortStore& operator=(const CohortStore&) = delete;

  // Applies one MapResult (mapped, ignored or retracted; rejections are the
  // caller's to report and change nothing). `ai_source` says whether a
  // retracted resource was an aromatase-inhibitor medication.
  void Apply(const mappings::MapResult& result, bool ai_source);
  // A deleted resource ("Observation", "12"): withdraws its facts wherever held.
  void Delete(std::string_view resource_type, std::string_view id);

  size_t patient_count() const { return patient_count_; }
  // Patient ids in ascending order.
  std::vector<std::string_view> SortedPatientIds() const;

  // A patient of SortedPatients(): its id, and where its facts are held, so
  // that taking its record needs no lookup by id (in a large cohort, one
  // that misses the caches).
  class PatientEntry {
   public:
    std::string_view id() const { return id_; }

   private:
    friend class CohortStore;
    std::string_view id_;
    Patient* patient_ = nullptr;
  };
  // Every patient, in ascending id order. The entries stay valid as long as
  // the store, once nothing is applied or deleted any more.
  std::vector<PatientEntry> SortedPatients();
  // The record of `patient_id`. REQUIRES: the id is one of SortedPatientIds().
  rules::PatientRecord Record(std::string_view patient_id) const;
  // The record of `patient_id`, freeing its packed data (evaluate needs each
  // patient once). REQUIRES: as Record().
  rules::PatientRecord TakeRecord(std::string_view patient_id);
  // The same for an entry of SortedPatients(), without looking it up.
  rules::PatientRecord TakeRecord(const PatientEntry& entry);
  // The same, into `record` (whatever it held is replaced): its lists and
  // strings keep their capacity, so that a thread taking many records into
  // one allocates little after the first ones.
  void TakeRecord(const PatientEntry& entry, rules::PatientRecord& record);

 private:
  struct PackedSource {
    std::string_view id;  // in the arena
    uint32_t type = 0;    // vocabulary indices
    uint32_t version = 0;
    uint32_t component = 0;
  };
  struct PackedFact {
    PackedSource source;
    double value = 0;
    int32_t date = 0;
    uint32_t status = 0;
    uint8_t kind = 0;
    uint8_t site = 0;
    bool has_value = false;
  };
  struct PackedMedication {
    PackedSource source;
    int32_t start = 0;
    int32_t end = 0;
    uint32_t ingredient = 0;
    uint8_t medication_class = 0;
    uint8_t status = 0;
    bool has_end = false;
  };
  struct PackedRiskFactor {
    PackedSource source;
    int32_t date = 0;
    uint8_t kind = 0;
    uint8_t origin = 0;
    bool clinically_active = true;
    bool present = true;
  };
  struct Patient {
    std::string_view id;  // in the arena
    std::vector<PackedFact> facts;
    std::vector<PackedMedication> medications;
    std::vector<PackedRiskFactor> risk_factors;
    PackedSource demographics_source;
    int32_t birth_date = 0;
    uint8_t gender = 0;
    bool has_birth_date = false;
    bool has_demographics = false;
    bool ai_medication_retracted = false;
  };

  rules::PatientRecord RecordOf(std::string_view patient_id, const Patient& patient) const;
  void RecordInto(std::string_view patient_id, const Patient& patient,
                  rules::PatientRecord& record) const;
  std::string_view Store(std::string_view text);
  uint32_t Intern(std::string_view text);
  const std::string& Word(uint32_t index) const { return vocabulary_[index]; }
  PackedSource Pack(const rules::SourceRef& source);
  void Unpack(const PackedSource& source, rules::SourceRef& into) const;
  Patient& PatientFor(std::string_view patient_id);
  // Whether `incoming` should replace what `patient` holds for its source
  // (false for an older or duplicate version); removes the old contribution
  // when it should.
  bool ReplaceSource(Patient& patient, const rules::SourceRef& incoming, bool* was_ai);
  static bool SameResource(const PackedSource& a, uint32_t type, std::string_view id);

  // Arena of id strings: fixed chunks, never moved.
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t chunk_used_ = 0;
  size_t chunk_size_ = 0;

  // Looked up by string_view: interning a word that is already known (almost
  // every call) allocates nothing.
  struct WordHash {
    using is_transparent = void;
    size_t operator()(std::string_view word) const { return std::hash<std::string_view>()(word); }
  };
  std::vector<std::string> vocabulary_;
  std::unordered_map<std::string, uint32_t, WordHash, std::equal_to<>> vocabulary_index_;
  // The words interned last, tried before hashing: a resource's facts name
  // the same few (type, version, status) again and again. Interning was
  // about a third of Apply, which runs on evaluate's reading thread alone.
  static constexpr size_t kRecentWords = 8;
  std::array<uint32_t, kRecentWords> recent_words_{};  // indices; 0 is the empty word
  size_t next_recent_word_ = 0;

  // Patients in the order first seen, in fixed-size chunks that never move:
  // adding one allocates only once per kPatientsPerChunk, destroying them
  // all is a few frees, and SortedPatients() walks them in memory order
  // (their order is often the sorted order already).
  static constexpr size_t kPatientsPerChunk = 4096;
  std::vector<std::unique_ptr<Patient[]>> patient_chunks_;
  size_t patient_count_ = 0;
  Patient& PatientAt(size_t index) const {
    return patient_chunks_[index / kPatientsPerChunk][index % kPatientsPerChunk];
  }
  Patient& AddPatient(std::string_view patient_id);
  // Throws std::out_of_range for an id never applied (a caller's bug).
  Patient& PatientNamed(std::string_view patient_id) const;
  // Index of patients by id: open addressing with linear probing over a
  // power-of-two number of slots. A slot holds a 32-bit tag of the id (the
  // high half of its hash, which also chooses the first slot to probe) and
  // the patient's index + 1 (0: empty). A lookup reads one slot, and the
  // patient only when the tag matches: in a large cohort one or two cache
  // misses where a node-based table has three or four; growing it needs no
  // rehashing of ids. Patients are never removed. REQUIRES: < 2^32 patients.
  std::vector<uint64_t> patient_slots_;
  std::optional<size_t> FindPatient(std::string_view patient_id, uint32_t tag) const;
  void InsertSlot(uint32_t tag, size_t index);
  // The patient of the last Apply(): consecutive resources are often the same
  // patient's (a per-patient Bundle or export). Patients never move, so it
  // stays valid.
  Patient* last_patient_ = nullptr;
};

}  // namespace bonewatch::adapter
