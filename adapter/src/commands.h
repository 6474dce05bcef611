// The operator commands beside `run` (each opens the Store named by the
// config; run them with the daemon stopped or not, the Store is safe to share
// between processes through SQLite's locking):
//
//   bonewatch dead-letters list --config FILE [--limit N]
//       a table of dead letters: id, created, origin, resource, reason.
//   bonewatch dead-letters replay --config FILE (ID... | --all)
//       moves dead letters back into the inbox (origin "replay"); the daemon
//       processes them on its next pass.
//   bonewatch backfill --config FILE [--batch N]
//       loads every in-scope patient (a MedicationStatement/MedicationRequest
//       with an aromatase-inhibitor code of the mappings) from the server:
//       history by subject -> map -> store -> evaluate -> write, with a
//       progress line on stderr (done/total, rate, ETA). Idempotent: a second
//       run writes nothing new. Best run with the daemon stopped (both would
//       drain the same inbox; harmless, but the work is done twice).
//
// Exit codes: 0 ok; 1 a runtime failure (named on stderr); 64 usage; 78
// configuration error (names the file and field).
#pragma once

#include <string_view>
#include <vector>

namespace bonewatch::adapter {

int DeadLettersCommand(const std::vector<std::string_view>& args);
int BackfillCommand(const std::vector<std::string_view>& args);

}  // namespace bonewatch::adapter
