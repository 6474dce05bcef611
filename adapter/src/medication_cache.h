// MedicationCache: the Medication resources that MedicationRequests and MedicationStatements
// reference on the server (`medicationReference: {reference: "Medication/123"}`, as Epic, Cerner
// and most EHRs send them), read once and kept for the Mapper (issue 13 item 2).
//
// Bounded: at most `capacity` Medications, the least recently used dropped first (a hospital's
// formulary holds thousands; a patient's medications a handful). An entry is either the resource
// as read, or "missing" (the server answered 404/410), so that a reference to a deleted
// Medication is not read again for every resource that names it. Invalidate() drops an entry
// when the Medication changed (a notification or a poll page carried it).
//
// Not thread-safe: owned by the Pipeline's inbox thread.
#pragma once

#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "bonewatch/fhir/json.h"

namespace bonewatch::adapter {

class MedicationCache {
 public:
  explicit MedicationCache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  MedicationCache(const MedicationCache&) = delete;
  MedicationCache& operator=(const MedicationCache&) = delete;

  struct Entry {
    std::optional<fhir::Json> resource;  // nullopt: the server has no such Medication
    std::string version_id;              // of the resource, "" when missing or unversioned
  };

  // The entry for Medication `id`, or nullptr when it was never read (or was dropped).
  const Entry* Find(const std::string& id);
  void Put(const std::string& id, Entry entry);
  void Invalidate(const std::string& id);
  size_t size() const { return index_.size(); }

 private:
  using Order = std::list<std::string>;  // most recently used first
  struct Slot {
    Entry entry;
    Order::iterator position;
  };
  const size_t capacity_;
  Order order_;
  std::unordered_map<std::string, Slot> index_;
};

// The id of a server Medication named by `reference` ("Medication/123", or an absolute URL on
// `base_url` ending in Medication/123, optionally with /_history/N), or nullopt for anything else
// (contained "#m1", urn:uuid, another server's URL).
std::optional<std::string> ServerMedicationId(std::string_view reference,
                                              std::string_view base_url);

}  // namespace bonewatch::adapter
