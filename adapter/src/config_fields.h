// The configuration's key table: every key the parser accepts, its type and
// range, and where its value goes in Config. The one place that knows the
// file's shape; config.cc walks it, and ConfigKeyPaths() exposes it for the
// docs test (docs/configuration.md must list exactly these keys).
//
// Thread-safety: immutable static tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config.h"

namespace bonewatch::adapter::config_internal {

enum class FieldType {
  kString,       // any string
  kUrl,          // absolute http(s) URL
  kOptionalUrl,  // "" or an absolute http(s) URL
  kPath,         // a file or directory path, relative to the config file's directory
  kSecretFile,   // a path whose file holds a secret; the value read (trailing newline trimmed)
  kEnum,         // one of `choices` ("a|b|c")
  kBool,
  kInt,        // integer in [min, max]
  kSize,       // integer in [min, max], stored as size_t
  kUtcOffset,  // "Z", "+HH:MM" or "-HH:MM" within +-14:00, stored as minutes
  kCidrList,   // a JSON array of CIDR strings ("10.0.0.0/8", "fd00::/8", "192.0.2.7")
};

using StringRef = std::string& (*)(Config&);
using IntRef = int& (*)(Config&);
using BoolRef = bool& (*)(Config&);
using SizeRef = size_t& (*)(Config&);
using StringListRef = std::vector<std::string>& (*)(Config&);

struct FieldSpec {
  std::string_view path;  // dotted camelCase, e.g. "fhir.baseUrl"
  FieldType type;
  std::variant<StringRef, IntRef, BoolRef, SizeRef, StringListRef> target;
  int64_t min = 0;
  int64_t max = 0;
  std::string_view choices = {};
};

const std::vector<FieldSpec>& Fields();

// BONEWATCH_* overrides: `key` is the file key whose value it replaces (for a
// kSecretFile key the variable holds the secret itself, not a path; for a kInt key
// the variable is parsed and range-checked like the file value).
const std::vector<ConfigEnvOverride>& EnvOverrides();

}  // namespace bonewatch::adapter::config_internal
