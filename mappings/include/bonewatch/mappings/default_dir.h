// Where the shipped mapping files (mappings/default) are.
//
// $BONEWATCH_DATA_DIR/mappings/default when that variable is set (installed
// layouts), else `source_dir`/mappings/default. The library does not know
// where it was built from: the caller passes `source_dir` (the adapter passes
// its BONEWATCH_SOURCE_DIR). Thread-safe (reads the environment only).
#pragma once

#include <string>
#include <string_view>

namespace bonewatch::mappings {

std::string DefaultMappingsDir(std::string_view source_dir);

}  // namespace bonewatch::mappings
