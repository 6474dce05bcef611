// TimeZone: the configured zone in which instants become calendar dates.
//
// Purpose: the monitoring spec compares everything by calendar date in the
// configured time zone. A TimeZone maps an instant to its local calendar date
// using the zone's UTC offset AT THAT INSTANT, so that a named zone with
// daylight saving time puts 23:30 summer time on the right day. It is either
//  - a fixed UTC offset (`FixedOffset(60)`, "+01:00"; the default is UTC), or
//  - an IANA zone (`Named("Europe/Berlin")`), read from the system's tzdata
//    (/usr/share/zoneinfo, Debian package tzdata) through Howard Hinnant's
//    date/tz library (Debian libhowardhinnant-date-dev, USE_OS_TZDB=1).
// Named() loads the zone's rules once; every later call is a lookup that does
// not fail and does not throw. Limitation of the library: it reads the
// transitions that tzdata lists (Debian's "fat" files list them up to 2037)
// and keeps the last offset after them, so instants after 2037 do not get
// daylight saving time.
//
// Ownership/thread-safety: a small copyable value. A named zone points into
// the library's process-wide, immutable tz database, which lives until exit.
// All const methods are thread-safe.
// REQUIRES: nothing beyond what each function states.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "bonewatch/fhir/datetime.h"
#include "bonewatch/fhir/status.h"

namespace date {
class time_zone;
}  // namespace date

namespace bonewatch::fhir {

class TimeZone {
 public:
  // UTC.
  TimeZone() = default;

  // A fixed offset, minutes east of UTC. REQUIRES: within -14:00..+14:00.
  static TimeZone FixedOffset(int offset_minutes);
  // An IANA zone name ("Europe/Berlin", "UTC"). NotFound names the zone when
  // tzdata does not know it; Unavailable when tzdata cannot be read.
  static StatusOr<TimeZone> Named(std::string_view iana_name);
  // "Z", "+HH:MM" or "-HH:MM" (within 14:00) as a fixed offset; anything else
  // as an IANA name (Named). For command lines.
  static StatusOr<TimeZone> Parse(std::string_view text);

  // The UTC offset in force at the instant, minutes east of UTC.
  int OffsetMinutesAt(int64_t epoch_millis) const;
  // The local calendar date of the instant.
  LocalDate LocalDateAt(int64_t epoch_millis) const;
  LocalDate LocalDateAt(std::chrono::system_clock::time_point instant) const;
  // The local calendar date of a FHIR value: a value with a time is an
  // instant (its own offset says when it happened, the zone says which day
  // that was here); a date without a time is already a calendar date and is
  // not shifted; a partial date takes the first day of its period.
  LocalDate LocalDateOf(const DateTime& value) const;

  // "Europe/Berlin", or the fixed offset as "+01:00" / "-05:30" / "+00:00".
  std::string Name() const;
  bool is_named() const { return zone_ != nullptr; }

 private:
  const date::time_zone* zone_ = nullptr;  // not owned; null for a fixed offset
  int fixed_offset_minutes_ = 0;
};

}  // namespace bonewatch::fhir
