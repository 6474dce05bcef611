// FHIR R4 Period: an optional start and end dateTime.
//
// Ownership/thread-safety: plain values; thread-compatible.
// REQUIRES: nothing. PeriodFromJson rejects invalid dateTimes and a start
// that begins after the end (R4 invariant per-1). The check compares the
// start of each value and only when both have a time or both have none.
#pragma once

#include <optional>

#include "bonewatch/fhir/datetime.h"
#include "bonewatch/fhir/json.h"
#include "bonewatch/fhir/status.h"

namespace bonewatch::fhir {

struct Period {
  std::optional<DateTime> start;
  std::optional<DateTime> end;  // absent: ongoing
  friend bool operator==(const Period&, const Period&) = default;
};

StatusOr<Period> PeriodFromJson(const Json& json);
Json PeriodToJson(const Period& period);

}  // namespace bonewatch::fhir
