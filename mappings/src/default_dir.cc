#include "bonewatch/mappings/default_dir.h"

#include <cstdlib>

namespace bonewatch::mappings {

std::string DefaultMappingsDir(std::string_view source_dir) {
  if (const char* dir = std::getenv("BONEWATCH_DATA_DIR"); dir != nullptr && *dir != '\0') {
    return std::string(dir) + "/mappings/default";
  }
  return std::string(source_dir) + "/mappings/default";
}

}  // namespace bonewatch::mappings
