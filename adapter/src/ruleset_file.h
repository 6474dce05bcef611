// Loading the rule thresholds from JSON files.
//
// The shipped defaults live in rules/default-rules.json; an operator may name
// an override file whose keys replace the defaults. Both are flat JSON objects
// of numbers keyed by RuleSet field name. rules/ does no I/O, so the files are
// read here and validated by rules::ApplyRuleSetEntries.
//
// Errors name the file and the key: "rules.json: key 'dxaIntervalMonths':
// must be an integer in [1, 120]". Thread-safe (no shared state).
#pragma once

#include <string>

#include "bonewatch/fhir/status.h"
#include "bonewatch/rules/ruleset.h"

namespace bonewatch::adapter {

// Parses `text` (the contents of `file_name`) and applies it over `base`.
StatusOr<rules::RuleSet> ParseRuleSetJson(const std::string& text, const std::string& file_name,
                                          const rules::RuleSet& base);

// Reads and applies the file at `path` over `base`.
StatusOr<rules::RuleSet> LoadRuleSetFile(const std::string& path, const rules::RuleSet& base);

// The shipped rules/default-rules.json: $BONEWATCH_DATA_DIR/rules/default-rules.json when the
// variable is set, else the copy in the source tree this binary was built from.
std::string DefaultRuleSetPath();

}  // namespace bonewatch::adapter
