// NewMemoryStore: the Store contract (store.h) over std containers, for unit
// tests and fakes. Same ordering, tombstone and error semantics as the SQLite
// store (store_sqlite.cc); the shared parts live in store_codec.h.
#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store.h"
#include "store_codec.h"

namespace bonewatch::adapter {
namespace {

struct StoredSource {
  SourceFacts facts;  // empty facts when retracted
  std::string payload;
  bool retracted = false;
};

struct PatientState {
  bool history_fetched = false;
  bool ai_medication_retracted = false;
  std::optional<rules::Date> next_evaluation;
};

class MemoryStore final : public Store {
 public:
  // A batch holds the mutex and keeps a copy of the state to restore on abort.
  Status BeginBatch() override {
    std::unique_lock lock(mu_);
    if (batch_) return FailedPreconditionError("memory BeginBatch: a batch is already open");
    batch_.emplace(Snapshot{sources_, patients_, dirty_, dirty_order_, last_dirty_generation_,
                            written_, dead_letters_, last_dead_letter_id_, cursors_});
    batch_lock_ = std::move(lock);
    return Status::Ok();
  }
  Status CommitBatch() override {
    std::lock_guard lock(mu_);
    if (!batch_) return FailedPreconditionError("memory CommitBatch: no batch is open");
    batch_.reset();
    {
      std::lock_guard inbox_lock(inbox_mu_);
      for (const int64_t id : pending_acks_) inbox_.erase(id);
    }
    pending_acks_.clear();
    batch_lock_ = {};
    return Status::Ok();
  }
  void AbortBatch() override {
    std::lock_guard lock(mu_);
    if (!batch_) return;
    Snapshot& b = *batch_;
    sources_ = std::move(b.sources);
    patients_ = std::move(b.patients);
    dirty_ = std::move(b.dirty);
    dirty_order_ = std::move(b.dirty_order);
    last_dirty_generation_ = b.last_dirty_generation;
    written_ = std::move(b.written);
    pending_acks_.clear();
    dead_letters_ = std::move(b.dead_letters);
    last_dead_letter_id_ = b.last_dead_letter_id;
    cursors_ = std::move(b.cursors);
    batch_.reset();
    batch_lock_ = {};
  }

  StatusOr<UpsertOutcome> UpsertSource(const SourceFacts& source) override {
    std::lock_guard lock(mu_);
    const std::string payload = EncodeSourcePayload(source);
    auto key = std::make_pair(source.resource_type, source.resource_id);
    auto it = sources_.find(key);
    UpsertOutcome outcome = UpsertOutcome::kInserted;
    if (it != sources_.end()) {
      StatusOr<VersionOrder> order =
          CompareSourceVersions(it->second.facts.version_id, it->second.facts.last_updated,
                                it->second.payload, source, payload);
      if (!order.ok()) return order.status().WithContext(Where("UpsertSource", source));
      if (*order == VersionOrder::kOlder) return UpsertOutcome::kStale;
      if (*order == VersionOrder::kSame) return UpsertOutcome::kUnchanged;
      outcome = UpsertOutcome::kReplaced;
    } else if (!source.last_updated.empty()) {
      StatusOr<VersionOrder> order = CompareSourceVersions("", "", "", source, payload);
      if (!order.ok()) return order.status().WithContext(Where("UpsertSource", source));
    }
    sources_[key] = StoredSource{source, payload, false};
    if (!source.patient_id.empty()) MarkDirtyLocked(source.patient_id);
    return outcome;
  }

  StatusOr<RetractOutcome> RetractSource(const std::string& resource_type,
                                         const std::string& resource_id) override {
    std::lock_guard lock(mu_);
    RetractOutcome out;
    auto it = sources_.find(std::make_pair(resource_type, resource_id));
    if (it == sources_.end() || it->second.retracted) return out;
    StoredSource& stored = it->second;
    out.found = true;
    out.patient_id = stored.facts.patient_id;
    out.ai_medication = HasAiMedication(stored.facts);
    if (out.ai_medication && !out.patient_id.empty()) {
      patients_[out.patient_id].ai_medication_retracted = true;
    }
    // Keep a tombstone (version and instant) so a late, older delivery stays stale.
    stored.retracted = true;
    stored.facts.facts.clear();
    stored.facts.medications.clear();
    stored.facts.risk_factors.clear();
    stored.facts.demographics.reset();
    stored.payload = EncodeSourcePayload(stored.facts);
    if (!out.patient_id.empty()) MarkDirtyLocked(out.patient_id);
    return out;
  }

  StatusOr<rules::PatientRecord> LoadRecord(const std::string& patient_id) override {
    std::lock_guard lock(mu_);
    rules::PatientRecord record;
    record.patient_id = patient_id;
    for (const auto& [key, stored] : sources_) {
      const SourceFacts& s = stored.facts;
      if (stored.retracted || s.patient_id != patient_id) continue;
      record.facts.insert(record.facts.end(), s.facts.begin(), s.facts.end());
      record.medications.insert(record.medications.end(), s.medications.begin(),
                                s.medications.end());
      record.risk_factors.insert(record.risk_factors.end(), s.risk_factors.begin(),
                                 s.risk_factors.end());
      if (s.demographics && s.resource_type == "Patient") {
        record.demographics = *s.demographics;
      }
    }
    auto p = patients_.find(patient_id);
    if (p != patients_.end()) record.ai_medication_retracted = p->second.ai_medication_retracted;
    return record;
  }

  StatusOr<std::vector<std::pair<std::string, std::string>>> ListSources(
      const std::string& after_type, const std::string& after_id, size_t limit) override {
    std::lock_guard lock(mu_);
    std::vector<std::pair<std::string, std::string>> out;
    for (auto it = sources_.upper_bound(std::make_pair(after_type, after_id));
         it != sources_.end() && out.size() < limit; ++it) {
      if (!it->second.retracted) out.push_back(it->first);
    }
    return out;
  }

  StatusOr<std::vector<std::string>> PatientIds() override {
    std::lock_guard lock(mu_);
    std::vector<std::string> ids;
    for (const auto& [id, state] : patients_) ids.push_back(id);
    return ids;
  }

  StatusOr<uint64_t> FactCount() override {
    std::lock_guard lock(mu_);
    uint64_t n = 0;
    for (const auto& [key, stored] : sources_) n += FactItemCount(stored.facts);
    return n;
  }

  StatusOr<bool> HistoryFetched(const std::string& patient_id) override {
    std::lock_guard lock(mu_);
    auto p = patients_.find(patient_id);
    return p != patients_.end() && p->second.history_fetched;
  }
  Status SetHistoryFetched(const std::string& patient_id) override {
    std::lock_guard lock(mu_);
    patients_[patient_id].history_fetched = true;
    return Status::Ok();
  }

  Status MarkDirty(const std::string& patient_id) override {
    std::lock_guard lock(mu_);
    MarkDirtyLocked(patient_id);
    return Status::Ok();
  }
  StatusOr<std::vector<DirtyMark>> PeekDirty(size_t limit) override {
    std::lock_guard lock(mu_);
    std::vector<DirtyMark> marks;
    for (auto it = dirty_order_.begin(); it != dirty_order_.end() && marks.size() < limit; ++it) {
      marks.push_back(DirtyMark{*it, dirty_.at(*it)});
    }
    return marks;
  }
  Status ClearDirty(const DirtyMark& mark) override {
    std::lock_guard lock(mu_);
    auto it = dirty_.find(mark.patient_id);
    if (it == dirty_.end() || it->second != mark.generation) return Status::Ok();
    dirty_.erase(it);
    std::erase(dirty_order_, mark.patient_id);
    return Status::Ok();
  }
  Status DeferDirty(const std::string& patient_id) override {
    std::lock_guard lock(mu_);
    if (dirty_.count(patient_id) == 0) return Status::Ok();
    std::erase(dirty_order_, patient_id);
    dirty_order_.push_back(patient_id);
    return Status::Ok();
  }
  StatusOr<uint64_t> DirtyCount() override {
    std::lock_guard lock(mu_);
    return static_cast<uint64_t>(dirty_.size());
  }
  Status SetNextEvaluation(const std::string& patient_id,
                           std::optional<rules::Date> date) override {
    std::lock_guard lock(mu_);
    patients_[patient_id].next_evaluation = date;
    return Status::Ok();
  }
  StatusOr<std::vector<std::string>> DueForEvaluation(rules::Date today) override {
    std::lock_guard lock(mu_);
    std::vector<std::pair<rules::Date, std::string>> due;
    for (const auto& [id, state] : patients_) {
      if (state.next_evaluation && *state.next_evaluation <= today) {
        due.emplace_back(*state.next_evaluation, id);
      }
    }
    std::sort(due.begin(), due.end());
    std::vector<std::string> ids;
    for (auto& [date, id] : due) ids.push_back(std::move(id));
    return ids;
  }

  StatusOr<std::optional<WrittenResource>> GetWritten(const std::string& identifier) override {
    std::lock_guard lock(mu_);
    auto it = written_.find(identifier);
    if (it == written_.end()) return std::optional<WrittenResource>();
    return std::optional<WrittenResource>(it->second);
  }
  StatusOr<std::vector<WrittenResource>> WrittenForPatient(const std::string& patient_id) override {
    std::lock_guard lock(mu_);
    std::vector<WrittenResource> out;
    for (const auto& [id, w] : written_) {
      if (w.patient_id == patient_id) out.push_back(w);
    }
    return out;
  }
  Status PutWritten(const WrittenResource& written) override {
    std::lock_guard lock(mu_);
    if (written.identifier.empty()) return InvalidArgumentError("PutWritten: empty identifier");
    written_[written.identifier] = written;
    return Status::Ok();
  }

  // The inbox has its own mutex (as the SQLite store's has its own file): the
  // endpoint never waits for a batch. Acks inside a batch wait for its commit.
  StatusOr<int64_t> Enqueue(const InboxItem& item) override {
    std::lock_guard lock(inbox_mu_);
    InboxItem stored = item;
    stored.id = ++last_inbox_id_;
    inbox_[stored.id] = std::move(stored);
    return last_inbox_id_;
  }
  StatusOr<std::vector<InboxItem>> PeekInbox(size_t limit) override {
    std::lock_guard lock(inbox_mu_);
    std::vector<InboxItem> out;
    for (auto it = inbox_.begin(); it != inbox_.end() && out.size() < limit; ++it) {
      out.push_back(it->second);
    }
    return out;
  }
  Status AckInbox(int64_t id) override {
    std::lock_guard lock(mu_);
    if (batch_) {
      pending_acks_.push_back(id);
      return Status::Ok();
    }
    std::lock_guard inbox_lock(inbox_mu_);
    inbox_.erase(id);
    return Status::Ok();
  }
  Status FailInbox(int64_t id, const std::string& error) override {
    std::lock_guard lock(inbox_mu_);
    auto it = inbox_.find(id);
    if (it == inbox_.end()) return NotFoundError("FailInbox: no inbox item " + std::to_string(id));
    ++it->second.attempts;
    it->second.last_error = error;
    return Status::Ok();
  }
  StatusOr<uint64_t> InboxDepth() override {
    std::lock_guard lock(inbox_mu_);
    return static_cast<uint64_t>(inbox_.size());
  }

  StatusOr<DeadLetterAdded> AddDeadLetter(const DeadLetter& letter) override {
    std::lock_guard lock(mu_);
    if (!letter.key.empty()) {  // few letters (one per refused input): a scan will do
      for (auto& [id, kept] : dead_letters_) {
        if (kept.key != letter.key) continue;
        kept.reason_code = letter.reason_code;
        kept.reason = letter.reason;
        kept.last_seen_at = letter.created_at;
        ++kept.times_seen;
        return DeadLetterAdded{id, false};
      }
    }
    DeadLetter stored = letter;
    stored.id = ++last_dead_letter_id_;
    if (stored.last_seen_at.empty()) stored.last_seen_at = stored.created_at;
    dead_letters_[stored.id] = std::move(stored);
    return DeadLetterAdded{last_dead_letter_id_, true};
  }
  StatusOr<std::vector<DeadLetter>> ListDeadLetters(size_t limit) override {
    std::lock_guard lock(mu_);
    std::vector<DeadLetter> out;
    for (auto it = dead_letters_.begin(); it != dead_letters_.end() && out.size() < limit; ++it) {
      out.push_back(it->second);
    }
    return out;
  }
  StatusOr<DeadLetter> TakeDeadLetter(int64_t id) override {
    std::lock_guard lock(mu_);
    auto it = dead_letters_.find(id);
    if (it == dead_letters_.end()) {
      return NotFoundError("TakeDeadLetter: no dead letter " + std::to_string(id));
    }
    DeadLetter letter = std::move(it->second);
    dead_letters_.erase(it);
    return letter;
  }
  StatusOr<uint64_t> DeadLetterDepth() override {
    std::lock_guard lock(mu_);
    return static_cast<uint64_t>(dead_letters_.size());
  }

  StatusOr<std::optional<std::string>> GetCursor(const std::string& name) override {
    std::lock_guard lock(mu_);
    auto it = cursors_.find(name);
    if (it == cursors_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status SetCursor(const std::string& name, const std::string& value) override {
    std::lock_guard lock(mu_);
    cursors_[name] = value;
    return Status::Ok();
  }

 private:
  // REQUIRES: mu_ held.
  void MarkDirtyLocked(const std::string& patient_id) {
    patients_[patient_id];
    auto [it, inserted] = dirty_.try_emplace(patient_id, 0);
    it->second = ++last_dirty_generation_;
    if (inserted) dirty_order_.push_back(patient_id);
  }

  static std::string Where(std::string_view op, const SourceFacts& s) {
    return "memory " + std::string(op) + " " + s.resource_type + "/" + s.resource_id;
  }

  struct Snapshot {
    std::map<std::pair<std::string, std::string>, StoredSource> sources;
    std::map<std::string, PatientState> patients;
    std::map<std::string, int64_t> dirty;
    std::vector<std::string> dirty_order;
    int64_t last_dirty_generation;
    std::map<std::string, WrittenResource> written;
    std::map<int64_t, DeadLetter> dead_letters;
    int64_t last_dead_letter_id;
    std::map<std::string, std::string> cursors;
  };

  std::recursive_mutex mu_;
  // All below GUARDED_BY(mu_).
  std::unique_lock<std::recursive_mutex> batch_lock_;  // held while a batch is open
  std::optional<Snapshot> batch_;                      // the state at BeginBatch
  std::map<std::pair<std::string, std::string>, StoredSource> sources_;
  std::map<std::string, PatientState> patients_;
  std::map<std::string, int64_t> dirty_;  // patient -> generation of the newest mark
  std::vector<std::string> dirty_order_;  // the queue: first marked (or deferred) first
  int64_t last_dirty_generation_ = 0;
  std::map<std::string, WrittenResource> written_;
  std::vector<int64_t> pending_acks_;   // AckInbox inside the open batch
  std::mutex inbox_mu_;                 // never held while waiting for mu_
  std::map<int64_t, InboxItem> inbox_;  // GUARDED_BY(inbox_mu_)
  int64_t last_inbox_id_ = 0;           // GUARDED_BY(inbox_mu_)
  std::map<int64_t, DeadLetter> dead_letters_;
  int64_t last_dead_letter_id_ = 0;
  std::map<std::string, std::string> cursors_;
};

}  // namespace

std::unique_ptr<Store> NewMemoryStore() { return std::make_unique<MemoryStore>(); }

}  // namespace bonewatch::adapter
