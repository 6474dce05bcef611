#include "medication_cache.h"

#include "bonewatch/fhir/reference.h"

namespace bonewatch::adapter {

const MedicationCache::Entry* MedicationCache::Find(const std::string& id) {
  auto it = index_.find(id);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second.position);
  return &it->second.entry;
}

void MedicationCache::Put(const std::string& id, Entry entry) {
  if (auto it = index_.find(id); it != index_.end()) {
    it->second.entry = std::move(entry);
    order_.splice(order_.begin(), order_, it->second.position);
    return;
  }
  while (index_.size() >= capacity_) {
    index_.erase(order_.back());
    order_.pop_back();
  }
  order_.push_front(id);
  index_.emplace(id, Slot{std::move(entry), order_.begin()});
}

void MedicationCache::Invalidate(const std::string& id) {
  auto it = index_.find(id);
  if (it == index_.end()) return;
  order_.erase(it->second.position);
  index_.erase(it);
}

std::optional<std::string> ServerMedicationId(std::string_view reference,
                                              std::string_view base_url) {
  if (reference.starts_with("#") || reference.starts_with("urn:")) return std::nullopt;
  std::string_view relative = reference;
  if (reference.find("://") != std::string_view::npos) {
    while (base_url.ends_with("/")) base_url.remove_suffix(1);
    if (base_url.empty() || !reference.starts_with(base_url) ||
        reference.substr(base_url.size(), 1) != "/") {
      return std::nullopt;
    }
    relative = reference.substr(base_url.size() + 1);
  }
  auto parsed = fhir::ParseReference(relative);
  if (!parsed.ok() || parsed->type != "Medication" || !fhir::IsValidId(parsed->id)) {
    return std::nullopt;
  }
  return std::string(parsed->id);
}

}  // namespace bonewatch::adapter
