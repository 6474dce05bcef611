// Internal: the code tables behind a MappingSet, and the generic CodeTable.
// Built once by the Loader, then read-only (thread-safe const access).
#pragma once

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bonewatch/mappings/mapping_set.h"

namespace bonewatch::mappings::internal {

// "system|code".
inline std::string CodeKey(std::string_view system, std::string_view code) {
  std::string key;
  key.reserve(system.size() + code.size() + 1);
  key.append(system).append("|").append(code);
  return key;
}

// Exact codes and prefix codes of one system, mapped to T. `origin` names the
// file and element that defined an entry, for duplicate/conflict messages.
template <typename T>
class CodeTable {
 public:
  struct Entry {
    T value;
    std::string origin;
    std::string signature;  // equal signatures = identical mappings
  };
  struct Prefix {
    std::string system;
    std::string prefix;
    Entry entry;
  };

  // The entry already defined for this key, or nullptr after adding it.
  const Entry* Add(std::string_view system, std::string_view code, bool is_prefix, Entry entry) {
    if (!is_prefix) {
      auto [it, inserted] = exact_.try_emplace(CodeKey(system, code), std::move(entry));
      return inserted ? nullptr : &it->second;
    }
    for (const Prefix& p : prefixes_) {
      if (p.system == system && p.prefix == code) return &p.entry;
    }
    prefixes_.push_back(Prefix{std::string(system), std::string(code), std::move(entry)});
    std::stable_sort(prefixes_.begin(), prefixes_.end(), [](const Prefix& a, const Prefix& b) {
      return a.prefix.size() > b.prefix.size();
    });
    return nullptr;
  }

  const T* Find(std::string_view system, std::string_view code) const {
    if (!exact_.empty()) {
      // Called for every coding of every resource mapped: the key is built in
      // a per-thread buffer rather than a new string each time.
      thread_local std::string key;
      key.assign(system).append("|").append(code);
      auto it = exact_.find(key);
      if (it != exact_.end()) return &it->second.value;
    }
    for (const Prefix& p : prefixes_) {  // longest prefix first
      if (p.system == system && code.starts_with(p.prefix)) return &p.entry.value;
    }
    return nullptr;
  }

  Entry* MutableExact(std::string_view system, std::string_view code) {
    auto it = exact_.find(CodeKey(system, code));
    return it == exact_.end() ? nullptr : &it->second;
  }

  size_t size() const { return exact_.size() + prefixes_.size(); }
  const std::unordered_map<std::string, Entry>& exact() const { return exact_; }
  const std::vector<Prefix>& prefixes() const { return prefixes_; }

 private:
  std::unordered_map<std::string, Entry> exact_;
  std::vector<Prefix> prefixes_;
};

// An Observation code maps to a concept, or marks a smoking-status observation.
struct ObservationCode {
  std::optional<ObservationMapping> mapping;
  std::optional<SmokingStatusMapping> smoking;
  // Target "dxa-panel": the code of a DXA panel, whose values are in its components.
  bool dxa_panel = false;
  std::unordered_set<std::string> current_smoker_answers;  // CodeKeys
};

struct UnitFactor {
  std::string unit;  // as written in the table
  UnitConversion conversion;
  std::string origin;
};

struct ConceptUnits {
  std::string canonical;
  std::map<std::string, UnitFactor> accepted;  // key: lower-cased unit
};

inline constexpr size_t kConceptCount = 10;  // rules::Concept values

struct Tables {
  std::string base;
  CodeTable<ObservationCode> observation;
  CodeTable<MedicationMapping> medication;
  CodeTable<rules::RiskFactorKind> risk_factor;
  CodeTable<bool> dxa_procedure;
  CodeTable<rules::Site> body_site;
  CodeTable<bool> route;
  std::array<ConceptUnits, kConceptCount> units;
  std::vector<FileSummary> files;
};

inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace bonewatch::mappings::internal
