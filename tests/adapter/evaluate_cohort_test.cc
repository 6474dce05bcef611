// CohortStore: patients found by id whatever the order their resources come
// in, listed in id order, each with exactly the facts applied to it.
#include "evaluate_command_cohort.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace bonewatch::adapter {
namespace {

mappings::MapResult Observation(const std::string& patient, const std::string& id, double value) {
  mappings::MapResult result;
  result.outcome = mappings::MapOutcome::kMapped;
  result.resource_type = "Observation";
  result.source = rules::SourceRef{"Observation", id, "1", ""};
  result.patient_id = patient;
  rules::Fact fact;
  fact.kind = rules::Concept::kDxaTScore;
  fact.value = value;
  fact.effective = *rules::Date::Parse("2025-01-01");
  fact.source = result.source;
  fact.status = "final";
  result.facts.push_back(fact);
  return result;
}

// Ids of many lengths and forms, so that tags and probe runs vary.
std::vector<std::string> PatientIds(std::size_t count) {
  std::vector<std::string> ids;
  std::mt19937 rng(20261127);
  for (std::size_t i = 0; i < count; ++i) {
    std::string id = (i % 3 == 0 ? "urn:uuid:" : "p") + std::to_string(rng() % 1000000007u) +
                     std::string(i % 7, 'x') + "-" + std::to_string(i);
    ids.push_back(id);
  }
  return ids;
}

void ExpectEveryPatientHasItsFacts(CohortStore& store, const std::map<std::string, int>& facts) {
  ASSERT_EQ(store.patient_count(), facts.size());
  const std::vector<CohortStore::PatientEntry> entries = store.SortedPatients();
  ASSERT_EQ(entries.size(), facts.size());
  auto expected = facts.begin();
  for (const CohortStore::PatientEntry& entry : entries) {
    ASSERT_EQ(entry.id(), expected->first) << "in id order";
    const rules::PatientRecord record = store.TakeRecord(entry);
    EXPECT_EQ(record.patient_id, expected->first);
    ASSERT_EQ(record.facts.size(), static_cast<std::size_t>(expected->second)) << entry.id();
    for (const rules::Fact& fact : record.facts) {
      EXPECT_TRUE(fact.source.id.starts_with(expected->first + "/obs")) << fact.source.id;
    }
    ++expected;
  }
}

// Resources of 10 000 patients (several chunks, the table grown many times)
// in random order, as a Bulk Data export by resource type gives them.
TEST(CohortStore, PatientsInAnyOrderAreFoundAndListedInIdOrder) {
  const std::vector<std::string> ids = PatientIds(10000);
  std::vector<std::pair<std::string, std::string>> resources;  // patient, resource id
  std::map<std::string, int> facts;
  std::mt19937 rng(7);
  for (const std::string& id : ids) {
    const int count = 1 + static_cast<int>(rng() % 3);
    facts[id] = count;
    for (int k = 0; k < count; ++k) resources.emplace_back(id, id + "/obs" + std::to_string(k));
  }
  std::shuffle(resources.begin(), resources.end(), rng);
  CohortStore store;
  for (const auto& [patient, resource] : resources) {
    store.Apply(Observation(patient, resource, -1.0), /*ai_source=*/false);
  }
  // Lookups by id, for every patient and for one never applied.
  for (std::size_t i = 0; i < ids.size(); i += 97) {
    EXPECT_EQ(store.Record(ids[i]).facts.size(), static_cast<std::size_t>(facts[ids[i]]));
  }
  EXPECT_THROW(static_cast<void>(store.Record("never-applied")), std::out_of_range);
  ExpectEveryPatientHasItsFacts(store, facts);
}

// Already in id order (a per-patient export), and each patient's resources
// together: the same result.
TEST(CohortStore, PatientsInIdOrderAreListedTheSame) {
  std::vector<std::string> ids = PatientIds(5000);
  std::sort(ids.begin(), ids.end());
  CohortStore store;
  std::map<std::string, int> facts;
  for (const std::string& id : ids) {
    facts[id] = 2;
    store.Apply(Observation(id, id + "/obs0", 1.0), false);
    store.Apply(Observation(id, id + "/obs1", 2.0), false);
  }
  ExpectEveryPatientHasItsFacts(store, facts);
}

}  // namespace
}  // namespace bonewatch::adapter
