// `bonewatch evaluate`: the offline dry run of spec §5.
//
//   bonewatch evaluate [--as-of YYYY-MM-DD] [--format bundle|summary]
//                      [--rules FILE] [--mappings DIR] [--base URL]
//                      [--threads N] [--time-zone ZONE] FILE...
//
// Reads FHIR Bundles and NDJSON files (evaluate_command_input.h), groups the
// mapped facts by patient (evaluate_command_cohort.h), evaluates every
// patient at --as-of with the shipped mappings and rules (plus the operator's
// --mappings / --rules, as the daemon would), and prints either the
// transaction Bundle the daemon would write (writeback_transaction.h; only
// Flags whose episode is active at --as-of, plus the CarePlan; nothing for a
// patient out of scope) or a readable summary table. It needs no server and
// no state, and the output is deterministic: patients in ascending id order,
// Provenance.recorded = --as-of at 00:00:00Z.
//
// Exit codes: 0 on success (rejected resources are reported on stderr and do
// not fail the run); 1 when some input is unusable (an unreadable file,
// invalid JSON at the top level or on an NDJSON line, a document that is not a
// FHIR resource: stderr names the file and the byte offset or line, and
// nothing is printed on stdout) or the configuration does not load; 2 for a
// usage error.
//
// Dates are calendar dates in --time-zone (an IANA name such as
// "Europe/Berlin", or a fixed "+HH:MM"; default UTC), as the daemon's
// timeZone / timeZoneOffset. The clock is read in EvaluateCommand only
// (default --as-of = today in that zone); RunEvaluate is a pure function of
// its options and files.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "bonewatch/fhir/time_zone.h"
#include "bonewatch/rules/date.h"
#include "writeback_identity.h"

namespace bonewatch::adapter {

enum class EvaluateFormat { kBundle, kSummary };

struct EvaluateOptions {
  rules::Date as_of;
  EvaluateFormat format = EvaluateFormat::kBundle;
  std::string rules_file;    // optional override over rules/default-rules.json
  std::string mappings_dir;  // optional local mappings over mappings/default
  WritebackOptions writeback;
  // The zone in which instants become calendar dates (default UTC).
  fhir::TimeZone time_zone;
  std::vector<std::string> files;
  // Worker threads for reading and evaluating (0: one per hardware thread).
  // The output does not depend on it.
  unsigned threads = 0;
};

struct EvaluateStats {
  uint64_t resources = 0;
  uint64_t rejected = 0;
  uint64_t patients = 0;
  uint64_t in_scope = 0;
  uint64_t active_findings = 0;
  uint64_t entries_written = 0;
  unsigned threads = 0;  // worker threads used
};

// Runs the evaluation; returns the exit code. `stats` may be null.
int RunEvaluate(const EvaluateOptions& options, std::ostream& out, std::ostream& err,
                EvaluateStats* stats = nullptr);

// Parses the command line (arguments after "evaluate") and runs it on
// std::cout / std::cerr.
int EvaluateCommand(const std::vector<std::string_view>& args);

}  // namespace bonewatch::adapter
