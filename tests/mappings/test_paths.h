// Paths and shared fixtures for the mappings tests.
#pragma once

#include <string>

#include "bonewatch/mappings/mapping_set.h"

namespace bonewatch::mappings::testing {

inline std::string DefaultMappingsDir() {
  return std::string(BONEWATCH_SOURCE_DIR) + "/mappings/default";
}
inline std::string CasesDir() {
  return std::string(BONEWATCH_SOURCE_DIR) + "/tests/mappings/cases";
}
inline std::string LocalMappingsDir() {
  return std::string(BONEWATCH_SOURCE_DIR) + "/tests/mappings/local-mappings";
}
inline std::string SyntheaDir() { return std::string(BONEWATCH_SHARED_DIR) + "/data/synthea"; }

}  // namespace bonewatch::mappings::testing
