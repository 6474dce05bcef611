// ShiftedClock: the clock behind the TEST-ONLY `bonewatch run --as-of
// YYYY-MM-DD` hook (also env BONEWATCH_TEST_TODAY). It runs at the real rate
// but is shifted by whole days so that "today" (in the configured time zone)
// is the given date when the process starts. It is given to the evaluation
// side (Pipeline, Writer, Scheduler) only; logs, polling watermarks and
// readiness keep the real clock. Never use it in production: Provenance and
// Flag periods would carry the shifted date.
//
// Thread-safety: immutable after construction.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "bonewatch/fhir/time_zone.h"
#include "bonewatch/rules/date.h"
#include "clock.h"

namespace bonewatch::adapter {

class ShiftedClock final : public Clock {
 public:
  // REQUIRES: `base` outlives the ShiftedClock.
  ShiftedClock(const Clock& base, rules::Date today, const fhir::TimeZone& zone)
      : base_(base), shift_(ShiftFor(base.Now(), today, zone)) {}
  std::chrono::system_clock::time_point Now() const override { return base_.Now() + shift_; }

 private:
  static std::chrono::system_clock::duration ShiftFor(std::chrono::system_clock::time_point now,
                                                      rules::Date today,
                                                      const fhir::TimeZone& zone) {
    const fhir::LocalDate local = zone.LocalDateAt(now);
    const int64_t days_now = fhir::DaysFromCivil(local.year, local.month, local.day);
    return std::chrono::days(today.days() - days_now);
  }
  const Clock& base_;
  const std::chrono::system_clock::duration shift_;
};

}  // namespace bonewatch::adapter
