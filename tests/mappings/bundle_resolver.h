// Test helper: resolves references against the entries of a FHIR Bundle
// (by fullUrl, including urn:uuid, and by "Type/id"), as `bonewatch evaluate`
// does (spec §5).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bonewatch/fhir/json.h"
#include "bonewatch/mappings/mapper.h"

namespace bonewatch::mappings::testing {

class BundleResolver {
 public:
  // `resources` and `full_urls` are parallel; the Json values must outlive this.
  void Add(const fhir::Json& resource, const std::string& full_url) {
    if (!full_url.empty()) index_[full_url] = &resource;
    const auto type = resource.GetString("resourceType");
    const auto id = resource.GetString("id");
    if (type && id) index_[*type + "/" + *id] = &resource;
  }

  // Adds every entry of a Bundle.
  void AddBundle(const fhir::Json& bundle) {
    if (const fhir::Json* entries = bundle.Find("entry")) {
      for (const fhir::Json& e : entries->elements()) {
        if (const fhir::Json* r = e.Find("resource")) Add(*r, e.GetString("fullUrl").value_or(""));
      }
    }
  }

  ReferenceResolver AsResolver() const {
    return [this](std::string_view reference) -> const fhir::Json* {
      auto it = index_.find(std::string(reference));
      if (it != index_.end()) return it->second;
      // An absolute URL resolves by its trailing Type/id.
      const size_t slash = reference.rfind('/');
      if (slash != std::string_view::npos && slash > 0) {
        const size_t type_slash = reference.rfind('/', slash - 1);
        if (type_slash != std::string_view::npos) {
          it = index_.find(std::string(reference.substr(type_slash + 1)));
          if (it != index_.end()) return it->second;
        }
      }
      return nullptr;
    };
  }

 private:
  std::unordered_map<std::string, const fhir::Json*> index_;
};

}  // namespace bonewatch::mappings::testing
